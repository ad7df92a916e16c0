export * from './secret-source';
export * from './secret-backend';
export * from './provided-secret';
