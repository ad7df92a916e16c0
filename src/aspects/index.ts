export * from './aspects';
