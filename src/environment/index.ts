export * from './tier';
export * from './per-tier';
export * from './storage-profile';
export * from './environment';
export * from './environment-chart';
export * from './platform-chart';
export * from './environment-overlay';
