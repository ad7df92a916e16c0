export * from './types';
export * from './engines/engine';
export * from './engines/cloudnative-pg/engine';
export * from './engines/postgres-statefulset/engine';
export * from './database-engine';
export * from './database-client';
export * from './replicated-database';
