// ValidationError extends Error, which jsii cannot expose: it is exported from this module for
// TypeScript / JavaScript users (`cdk8s-stateful/lib/errors`); src/index.ts exports `Errors`.
export * from './validation-error';
export * from './errors';
export { PolicyViolationError } from '../policy/policy-violation-error';
