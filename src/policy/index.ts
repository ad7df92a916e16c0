export * from './severity';
export * from './finding';
export * from './rule';
export * from './pack';
export * from './suppressions';
