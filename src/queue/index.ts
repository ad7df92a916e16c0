export * from './types';
export * from './engines/engine';
export * from './queue-engine';
export * from './engines/rabbitmq-operator';
export * from './engines/rabbitmq-statefulset';
export * from './engines/strimzi-kafka';
export * from './message-queue';
