export * from './types';
export * from './database-engine';
export * from './database-client';
export * from './replicated-database';
