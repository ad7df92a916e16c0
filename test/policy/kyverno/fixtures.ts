import * as fs from 'fs';
import * as path from 'path';

/** `$CONFORMANCE_FIXTURES/kyverno`, or `../shared/fixtures/kyverno` next to the checkout. */
export const KYVERNO_FIXTURES_DIR = path.join(process.env.CONFORMANCE_FIXTURES ?? path.resolve(__dirname, '../../../../shared/fixtures'), 'kyverno');

/** Whether the Kyverno fixtures are there. */
export function kyvernoFixturesAvailable(): boolean {
  try {
    return fs.statSync(KYVERNO_FIXTURES_DIR).isDirectory();
  } catch {
    return false;
  }
}

/** `describe` when the fixtures are there; otherwise `describe.skip` with a message saying why. */
export function describeWithKyvernoFixtures(name: string, fn: () => void): void {
  if (kyvernoFixturesAvailable()) {
    describe(name, fn);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`${name}: skipped: Kyverno fixtures not found in ${KYVERNO_FIXTURES_DIR}; set CONFORMANCE_FIXTURES to the directory holding kyverno/`);
    describe.skip(name, fn);
  }
}
