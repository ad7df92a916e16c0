/**
 * Synthesis benchmark: GitOpsApp against plain cdk8s on the same construct tree, at several sizes.
 *
 *   npm run bench                 # table
 *   npm run bench -- --json       # one JSON object
 *   npm run bench -- --sizes 10,100 --reps 5
 *
 * Figures are ratios against the baseline measured in the same run (plain cdk8s `App.synth()`,
 * FILE_PER_CHART), medians over repetitions; never absolute thresholds.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { OrdersApi } from '../examples/platform/orders-api';
import { Environment, EnvironmentChart, GitOpsApp, SecretBackend, StorageProfile, Tier } from '../src';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '10,50,200' },
    reps: { type: 'string', default: '3' },
  },
});
const sizes = values.sizes!.split(',').map((s) => Number(s));
const reps = Number(values.reps);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !Number.isInteger(reps) || reps <= 0) {
  console.error('usage: bench/run.ts [--json] [--sizes N,N,...] [--reps N]');
  process.exit(2);
}

/** A fleet of `services` applications, each over dev / staging / prod. */
function fleet(root: Construct, services: number): void {
  const secrets = SecretBackend.externalSecrets({ store: 'platform-vault' });
  const tiers: Array<[string, Tier, string]> = [['dev', Tier.DEVELOPMENT, 'nonprod'], ['staging', Tier.STAGING, 'nonprod'], ['prod', Tier.PRODUCTION, 'prod']];
  for (let i = 0; i < services; i++) {
    for (const [name, tier, cluster] of tiers) {
      const env = new Environment({
        name: `svc${i}-${name}`,
        tier,
        cluster,
        namespace: `svc${i}-${name}`,
        secretBackend: secrets,
        storageProfile: tier === Tier.DEVELOPMENT ? StorageProfile.existing('standard') : StorageProfile.ondat({ name: `ondat-${name}`, replicas: 2 }),
      });
      const chart = new EnvironmentChart(root, `svc${i}-${name}`, { environment: env });
      new OrdersApi(chart, 'Api', { image: 'ghcr.io/acme-orders/orders-api:1.8.2' });
    }
  }
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Row {
  services: number;
  objects: number;
  plainMs: number;
  gitopsMs: number;
  resynthMs: number;
  resynthWritten: number;
  ratio: number;
  resynthRatio: number;
  objectsPerSecond: number;
}

const rows: Row[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-bench-'));
try {
  for (const services of sizes) {
    const plain: number[] = [];
    const gitops: number[] = [];
    const resynth: number[] = [];
    let objects = 0;
    let written = -1;
    for (let r = 0; r < reps; r++) {
      const plainDir = path.join(tmp, `plain-${services}-${r}`);
      const app = new App({ outdir: plainDir });
      fleet(app, services);
      plain.push(time(() => app.synth()));

      const outdir = path.join(tmp, `gitops-${services}-${r}`);
      const g = new GitOpsApp({ outdir });
      fleet(g, services);
      gitops.push(time(() => { objects = g.synthesize().objectCount; }));

      const again = new GitOpsApp({ outdir });
      fleet(again, services);
      resynth.push(time(() => { written = again.synthesize().written.length; }));
      fs.rmSync(plainDir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    }
    const row = {
      services,
      objects,
      plainMs: median(plain),
      gitopsMs: median(gitops),
      resynthMs: median(resynth),
      resynthWritten: written,
      ratio: median(gitops) / median(plain),
      resynthRatio: median(resynth) / median(gitops),
      objectsPerSecond: objects / (median(gitops) / 1000),
    };
    rows.push(row);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

// scaling exponent of GitOpsApp synth in object count, from the smallest to the largest size
const first = rows[0];
const last = rows[rows.length - 1];
const exponent = rows.length > 1 ? Math.log(last.gitopsMs / first.gitopsMs) / Math.log(last.objects / first.objects) : NaN;
const result = { node: process.version, reps, rows, scalingExponent: exponent, peakRssMiB: process.memoryUsage().rss / 1048576 };

if (values.json) {
  console.log(JSON.stringify(result));
} else {
  console.log('services  objects  plain cdk8s ms  GitOpsApp ms  ratio  re-synth ms (files written)  re-synth/synth  objects/s');
  for (const r of rows) {
    console.log([
      String(r.services).padStart(8), String(r.objects).padStart(7), r.plainMs.toFixed(1).padStart(14),
      r.gitopsMs.toFixed(1).padStart(12), r.ratio.toFixed(2).padStart(5), `${r.resynthMs.toFixed(1)} (${r.resynthWritten})`.padStart(26),
      r.resynthRatio.toFixed(2).padStart(14), r.objectsPerSecond.toFixed(0).padStart(9),
    ].join('  '));
  }
  console.log(`scaling exponent (GitOpsApp synth vs objects): ${exponent.toFixed(2)}; peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
}
