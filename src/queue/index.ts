export * from './types';
export * from './queue-engine';
export * from './message-queue';
