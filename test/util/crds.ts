import * as fs from 'fs';
import * as path from 'path';
import { SchemaValidator } from '../../src/validation';

/**
 * Where the upstream CRDs live: `$CRDS_DIR`, or `../shared/crds` next to the checkout.
 */
export const CRDS_DIR = process.env.CRDS_DIR ?? path.resolve(__dirname, '../../../shared/crds');

/** Whether the CRD directory exists. */
export function crdsAvailable(): boolean {
  try {
    return fs.statSync(CRDS_DIR).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `describe` when the CRDs are available; otherwise `describe.skip` with a message saying why.
 */
export function describeWithCrds(name: string, fn: () => void): void {
  if (crdsAvailable()) {
    describe(name, fn);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`${name}: skipped: ../shared/crds not found (looked in ${CRDS_DIR}); set CRDS_DIR`);
    describe.skip(name, fn);
  }
}

let shared: SchemaValidator | undefined;

/**
 * A SchemaValidator with every CRD of `CRDS_DIR` loaded, built once per test file (schemas
 * compile lazily on first use and stay cached).
 */
export function sharedValidator(): SchemaValidator {
  if (!shared) {
    if (!crdsAvailable()) {
      throw new Error(`sharedValidator: ../shared/crds not found (looked in ${CRDS_DIR}); set CRDS_DIR`);
    }
    shared = SchemaValidator.fromCrdPaths([CRDS_DIR]);
  }
  return shared;
}
