// The jsii-compatible surface of publish (src/index.ts may re-export this module as is).
export * from './types';
export { GitOpsPublisher } from './publisher';
