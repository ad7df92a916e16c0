export { Errors } from './errors/errors';
export * from './aspects';
export * from './environment';
export * from './secrets';
export * from './validation';
export * from './policy';
export * from './app';
