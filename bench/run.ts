/**
 * Synthesis benchmark over a generated fleet (each service: ReplicatedDatabase + MessageQueue + API
 * over dev / staging / prod), at several sizes, medians of repetitions, ratios against baselines
 * measured in the same run:
 *   (a) plain cdk8s `App.synth()` of the same construct tree (FILE_PER_CHART) — the baseline;
 *   (b) GitOpsApp synth without policies; (c) with every built-in pack;
 *   (d) a second synth with no change (files written must be 0);
 *   (e) `cdk8s-stateful check` over the rendered directory vs only parsing the same YAML;
 *   plus peak memory, objects per second, the scaling exponent of (c), and (c) with 3 charts vs 3 × services charts;
 *   then CEL policy evaluation against ClusterPolicy pattern evaluation of the same checks (bench/cel.ts).
 *
 *   npm run bench                      # table
 *   npm run bench -- --json            # one JSON object
 *   npm run bench -- --sizes 10,100,400 --reps 3 [--skip-plain-above 100]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { App } from 'cdk8s';
import * as YAML from 'yaml';
import { AspectPriority, Aspects, GitOpsApp, PolicyPacks, Tier } from '../src';
import { celBench, printCelBench } from './cel';
import { fleet } from './fleet';
import { main as cli } from '../src/cli/main';
import { CheckedObject, evaluatePacks } from '../src/policy/engine';

const { values } = parseArgs({
  options: {
    'json': { type: 'boolean', default: false },
    'sizes': { type: 'string', default: '10,100,400' },
    'reps': { type: 'string', default: '3' },
    'skip-plain-above': { type: 'string', default: '100000' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const reps = Number(values.reps);
const skipPlainAbove = Number(values['skip-plain-above']);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !Number.isInteger(reps) || reps <= 0) {
  console.error('usage: bench/run.ts [--json] [--sizes N,N,...] [--reps N] [--skip-plain-above N]');
  process.exit(2);
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const TIER_OF: Record<string, Tier> = { dev: Tier.DEVELOPMENT, staging: Tier.STAGING, prod: Tier.PRODUCTION };
// Outputs are kept until the end of the run: ext4 scans past recently deleted inodes when it
// allocates new ones (recently_deleted() in find_inode_bit), so deleting thousands of files
// between repetitions makes the next repetition's file creation several times slower.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-bench-'));
let seq = 0;
const fresh = () => path.join(tmp, String(seq++));

function gitops(outdir: string, services: number, packs: boolean, chartPerService = true): GitOpsApp {
  const app = new GitOpsApp({ outdir, changeSafety: false });
  fleet(app, services, { chartPerService });
  if (packs) for (const p of PolicyPacks.all()) Aspects.of(app).add(p, { priority: AspectPriority.READONLY });
  return app;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p)); else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

const rows: any[] = [];
try {
  for (const services of sizes) {
    const m: Record<string, number[]> = { plain: [], bare: [], packs: [], resynth: [], check: [], parse: [], policy: [], fewCharts: [] };
    let objects = 0;
    let written = -1;
    let policyObjects = 0;
    // a warm-up round before the first size (JIT, module loading, first-use caches), not measured
    for (let r = services === sizes[0] ? -1 : 0; r < reps; r++) {
      const record = (key: string, ms: number) => { if (r >= 0) m[key].push(ms); };
      // every variant times synthesis only: the construct tree is built before the clock starts
      // (the same tree for all, so building it would add the same cost to each)
      if (services <= skipPlainAbove) {
        const app = new App({ outdir: fresh() });
        fleet(app, services);
        record('plain', time(() => app.synth()));
      }
      const bare = gitops(fresh(), services, false);
      record('bare', time(() => bare.synth()));
      const dir = fresh();
      const withPacks = gitops(dir, services, true);
      record('packs', time(() => { objects = withPacks.synthesize().objectCount; }));
      const again = gitops(dir, services, true);
      record('resynth', time(() => { written = again.synthesize().written.length; }));
      const files = yamlFiles(path.join(dir, 'rendered'));
      record('parse', time(() => { for (const f of files) YAML.parseAllDocuments(fs.readFileSync(f, 'utf8')); }));
      // policy evaluation alone: every built-in pack over the fleet's rendered objects, with their tiers
      const checked: CheckedObject[] = files.map((f) => ({
        manifest: YAML.parse(fs.readFileSync(f, 'utf8')),
        tier: TIER_OF[path.relative(path.join(dir, 'rendered'), f).split(path.sep)[0]],
      }));
      policyObjects = checked.length;
      record('policy', time(() => evaluatePacks(PolicyPacks.all(), checked)));
      record('check', time(() => cli(['check', path.join(dir, 'rendered'), '--quiet'], { stdout: () => true, stderr: () => true })));
      const few = gitops(fresh(), services, true, false);
      record('fewCharts', time(() => few.synth()));
    }
    const med = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.length ? median(v) : NaN]));
    rows.push({
      services,
      objects,
      ms: med,
      ratioPacksToPlain: med.packs / med.plain,
      ratioBareToPlain: med.bare / med.plain,
      resynthFilesWritten: written,
      ratioResynthToBare: med.resynth / med.bare,
      ratioCheckToParse: med.check / med.parse,
      ratioManyToFewCharts: med.packs / med.fewCharts,
      objectsPerSecond: objects / (med.packs / 1000),
      policyMicrosPerObject: (med.policy * 1000) / policyObjects,
    });
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
const first = rows[0];
const last = rows[rows.length - 1];
const exponent = rows.length > 1 ? Math.log(last.ms.packs / first.ms.packs) / Math.log(last.objects / first.objects) : NaN;
// CEL (ValidatingPolicy) against ClusterPolicy pattern evaluation of the same checks, 5 objects per service
const celRows = celBench(sizes.map((n) => n * 5), reps);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const result = { node: process.version, reps, rows, scalingExponentWithPacks: exponent, peakRssMiB, cel: celRows };

if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log('services objects | (a) plain  (b) bare  (c) packs  (d) resynth [files] | (c)/(a) (b)/(a) (d)/(b) | check/parse | many/3 charts | objects/s | policy µs/obj');
  for (const r of rows) {
    console.log(`${String(r.services).padStart(8)} ${String(r.objects).padStart(7)} | ${f(r.ms.plain).padStart(9)} ${f(r.ms.bare).padStart(9)} ${f(r.ms.packs).padStart(10)} `
      + `${f(r.ms.resynth).padStart(12)} [${r.resynthFilesWritten}] | ${f(r.ratioPacksToPlain, 2).padStart(7)} ${f(r.ratioBareToPlain, 2).padStart(7)} `
      + `${f(r.ratioResynthToBare, 2).padStart(7)} | ${f(r.ratioCheckToParse, 2).padStart(11)} | ${f(r.ratioManyToFewCharts, 2).padStart(13)} | ${f(r.objectsPerSecond).padStart(9)} | ${f(r.policyMicrosPerObject, 1).padStart(13)}`);
  }
  console.log(`scaling exponent of (c) in objects: ${f(exponent, 2)}; peak RSS ${f(result.peakRssMiB)} MiB; times in ms, medians of ${reps}`);
  printCelBench(celRows, reps);
}
