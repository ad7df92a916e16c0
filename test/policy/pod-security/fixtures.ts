import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/** Root of the shared conformance fixtures: `$CONFORMANCE_FIXTURES`, or `../shared/fixtures` next to the checkout. */
export const CONFORMANCE_FIXTURES = process.env.CONFORMANCE_FIXTURES ?? path.resolve(__dirname, '../../../../shared/fixtures');

/** The Pod Security Admission fixtures. */
export const PSS_FIXTURES_DIR = path.join(CONFORMANCE_FIXTURES, 'pod-security');

/**
 * Version of fixtures stored directly as `<level>/{pass,fail}` (the published layout is `<level>/v1.28/...`;
 * the shared copy is flattened, see its README: "test/testdata/<level>/v1.28/").
 */
export const FLAT_LAYOUT_VERSION = 'v1.28';

/** One fixture file. */
export interface PssFixture {
  readonly level: 'baseline' | 'restricted';
  readonly version: string;
  readonly expect: 'pass' | 'fail';
  /** File stem, e.g. `capabilities_restricted2`. */
  readonly name: string;
  /** Lower-cased upstream check id the fixture is about (stem without the index), e.g. `capabilities_restricted`. */
  readonly prefix: string;
  /** Path relative to {@link PSS_FIXTURES_DIR}. */
  readonly relativePath: string;
  readonly file: string;
}

/** Whether the fixtures are there. */
export function pssFixturesAvailable(): boolean {
  try {
    return fs.statSync(PSS_FIXTURES_DIR).isDirectory();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every fixture, sorted by path. */
export function loadPssFixtures(): PssFixture[] {
  const fixtures: PssFixture[] = [];
  for (const level of ['baseline', 'restricted'] as const) {
    const levelDir = path.join(PSS_FIXTURES_DIR, level);
    if (!isDir(levelDir)) {
      continue;
    }
    const versionDirs = fs.readdirSync(levelDir).filter(d => /^v1\.\d+$/.test(d) && isDir(path.join(levelDir, d)));
    const roots: [string, string][] = versionDirs.length > 0
      ? versionDirs.map(d => [d, path.join(levelDir, d)])
      : [[FLAT_LAYOUT_VERSION, levelDir]];
    for (const [version, root] of roots) {
      for (const expect of ['pass', 'fail'] as const) {
        const dir = path.join(root, expect);
        if (!isDir(dir)) {
          continue;
        }
        for (const entry of fs.readdirSync(dir).filter(f => f.endsWith('.yaml')).sort()) {
          const name = entry.replace(/\.yaml$/, '');
          const file = path.join(dir, entry);
          fixtures.push({
            level,
            version,
            expect,
            name,
            prefix: name.replace(/[0-9]+$/, ''),
            relativePath: path.relative(PSS_FIXTURES_DIR, file),
            file,
          });
        }
      }
    }
  }
  return fixtures.sort((a, b) => a.relativePath.localeCompare(b.relativePath));
}

/** The Pod of a fixture file. */
export function readFixture(fixture: PssFixture): any {
  return parse(fs.readFileSync(fixture.file, 'utf8'));
}
