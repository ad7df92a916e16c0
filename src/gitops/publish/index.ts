// `cdk8s-stateful publish` as a library: gated commits of a GitOpsApp's output to a Git repository.
// `./api` is the jsii-compatible surface; `PublishError` (extends Error) is for TypeScript / JavaScript
// (`import { PublishError } from 'cdk8s-stateful/lib/gitops/publish'`).
export * from './api';
export { PublishError } from './errors';
export { OUTDIR_PLACEHOLDER, REPORTS_PLACEHOLDER, REPORTS_ENV } from './app';
export { redactCredentials } from './git';
