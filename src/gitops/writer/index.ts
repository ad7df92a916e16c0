// The crash-safe, owned-files writer: step 7 of the synthesis pipeline (see DESIGN.md). Internal:
// not exported from src/index.ts.
export { WriterError } from './errors';
export type { WriterErrorCode } from './errors';
export { FAULT_STEPS } from './faults';
export { MANIFEST_FORMAT_VERSION, readOwnedManifest } from './manifest';
export type { OwnedFile, OwnedManifest } from './manifest';
export { MANIFEST_PATH, META_DIR } from './paths';
export { recoverOutput } from './recovery';
export type * from './types';
export { verifyOwnedFiles } from './verify';
export type { VerifyResult } from './verify';
export { writeOutput } from './writer';
