export * from './secret-source';
export * from './secret-backend';
