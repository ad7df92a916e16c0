/**
 * Regenerates the typed operator bindings in src/imports/ from ../shared/crds.
 *
 * `cdk8s import` writes one file per API group and a second import of the same group
 * overwrites the first, so each group's CRDs are concatenated and imported in one go.
 * Only the groups the library imports as typed classes (grep `from '../imports/` in src/) are
 * generated: every binding ships in the npm package. The operators' custom resources
 * (CloudNativePG, Strimzi, RabbitMQ, Prometheus, Argo CD, Kyverno, Flux, External Secrets
 * stores) are emitted as plain ApiObjects and checked against their CRD schemas instead.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const CRDS = path.resolve(process.env.CRDS_DIR ?? path.join(ROOT, '..', 'shared', 'crds'));
const OUT = path.join(ROOT, 'src', 'imports');

/** API group → CRD files (relative to the CRD folder). */
export const IMPORTED_GROUPS: Record<string, string[]> = {
  'external-secrets.io': ['external-secrets/external-secrets.io_externalsecrets.yaml'],
};

function main(): void {
  if (!fs.existsSync(CRDS)) {
    throw new Error(`CRD folder not found: ${CRDS} (set CRDS_DIR)`);
  }
  const only = process.argv.slice(2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-import-'));
  const cli = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
  try {
    for (const [group, files] of Object.entries(IMPORTED_GROUPS)) {
      if (only.length > 0 && !only.includes(group)) continue;
      const combined = path.join(tmp, `${group}.yaml`);
      const docs = files.map((f) => fs.readFileSync(path.join(CRDS, f), 'utf8').replace(/^---\s*\n/, '').trimEnd());
      fs.writeFileSync(combined, docs.join('\n---\n') + '\n');
      const started = Date.now();
      execFileSync(cli, ['import', combined, '--language', 'typescript', '--output', OUT], {
        stdio: 'inherit',
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      });
      const file = path.join(OUT, `${group}.ts`);
      const size = fs.statSync(file).size;
      console.log(`imported ${group}: ${files.length} CRDs -> ${path.relative(ROOT, file)} (${(size / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
