export * from './identifiers';
export * from './grants';
