import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

/** The version of this library (from its package.json), recorded in manifests and reports. */
export function libraryVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    cached = String(pkg.version);
  }
  return cached;
}
