// Sharded synthesis against a single run, on the reference fleet (every pack, change safety on):
//   ts-node --transpile-only --project test/tsconfig.json bench/shard.ts [services=100] [reps=3]
// Each shard is a CI job of its own: the number that matters is the slowest shard against the
// single run (plus the merge job). Ratios in one run on one machine; a busy machine makes them noisy.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fleet } from './fleet';
import { AspectPriority, Aspects, GitOpsApp, PolicyPacks, SynthesisShard } from '../src';
import { mergeShards } from '../src/gitops/shard-output';

type Step = { kind: 'single' } | { kind: 'shard'; shard: string } | { kind: 'merge'; shards: string[] };

const child_ = process.argv.indexOf('--child');
const services = child_ >= 0 ? JSON.parse(process.argv[child_ + 1]).services : Number(process.argv[2] ?? 100);
const reps = Number(process.argv[3] ?? 3);

/** One step in a fresh process (as a CI job would run it): milliseconds of `synthesize()` or of the merge. */
function child(step: Step, outdir: string, shardOutdir?: string): number {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', JSON.stringify({ step, outdir, shardOutdir, services })], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  return Number(out.trim().split('\n').pop());
}

function runChild(arg: { step: Step; outdir: string; shardOutdir?: string }): void {
  const t = process.hrtime.bigint();
  if (arg.step.kind === 'merge') {
    mergeShards(arg.step.shards, { outdir: arg.outdir });
  } else {
    const app = new GitOpsApp({
      outdir: arg.outdir,
      ...(arg.step.kind === 'shard' ? { shard: SynthesisShard.parse(arg.step.shard), shardOutdir: arg.shardOutdir } : {}),
    });
    fleet(app, services);
    for (const p of PolicyPacks.all()) Aspects.of(app).add(p, { priority: AspectPriority.READONLY });
    app.synthesize();
  }
  console.log(Number(process.hrtime.bigint() - t) / 1e6);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-shard-bench-'));
  try {
    const rows: Array<{ what: string; ms: number }> = [];
    const single: number[] = [];
    for (let i = 0; i < reps; i++) single.push(child({ kind: 'single' }, path.join(root, `single-${i}`)));
    rows.push({ what: 'single run', ms: median(single) });
    for (const by of ['cluster', 'environment']) {
      const parts = by === 'cluster' ? ['nonprod', 'prod'] : ['dev', 'prod', 'staging'];
      let slowest = 0;
      let merge: number[] = [];
      for (let i = 0; i < reps; i++) {
        const dirs = parts.map((p) => path.join(root, `${by}-${i}`, p));
        const times = parts.map((p, j) => child({ kind: 'shard', shard: `${by}:${p}` }, path.join(root, `prev-${by}-${i}`), dirs[j]));
        slowest = Math.max(slowest, ...times);
        parts.forEach((p, j) => rows.push({ what: `shard ${by}:${p} (rep ${i + 1})`, ms: times[j] }));
        merge.push(child({ kind: 'merge', shards: dirs }, path.join(root, `merged-${by}-${i}`)));
      }
      rows.push({ what: `slowest ${by} shard`, ms: slowest }, { what: `merge of the ${by} shards`, ms: median(merge) });
    }
    const base = rows[0].ms;
    console.log(`sharded synthesis, ${services} services x 3 environments on 2 clusters, median of ${reps} fresh processes`);
    for (const r of rows.filter((x) => !x.what.includes('(rep'))) console.log(`${r.what.padEnd(32)} ${r.ms.toFixed(0).padStart(7)} ms  ${(r.ms / base).toFixed(2)}x`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (child_ >= 0) runChild(JSON.parse(process.argv[child_ + 1]));
else main();
