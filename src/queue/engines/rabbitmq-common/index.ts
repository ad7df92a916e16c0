export * from './amqp';
export * from './engine';
