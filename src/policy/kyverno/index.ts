export * from './policies';
export * from './export';
