/**
 * Synthesis benchmark: GitOpsApp against the best a user of plain cdk8s would do, on two generated
 * fleets over dev / staging / prod (`data`: a ReplicatedDatabase, a MessageQueue per service;
 * `deploy`: a stateless API per service — Deployment, Service, ConfigMap, NetworkPolicy, PDB), at
 * several sizes. Every measurement runs in a fresh Node process (no warm caches, no JIT carried over,
 * its own peak RSS), on JavaScript transpiled once at start (so no ts-node cost is measured):
 *   plain            plain cdk8s `App.synth()`, the same objects in one chart per environment (baseline)
 *   plainManyCharts  plain cdk8s with one chart per service: cdk8s' worst case (it resolves every chart
 *                    against the others), only up to --many-charts-max services
 *   bare             GitOpsApp, change safety on (the default), no policy packs, empty output directory
 *   packs            GitOpsApp with every built-in pack, change safety on, empty output directory
 *   resynth          the same app again into the output of `packs`: no change, files written must be 0
 *   resynthGit       the same app again into a wiped folder whose output of `packs` is committed in the
 *                    Git repository holding it (what `cdk8s synth` does): change safety compares with the
 *                    committed tree; every file is written (the folder is empty)
 *   fewCharts        `packs` with one chart per environment instead of one per service
 *   parse / policy / check   parsing the rendered YAML; every pack over it (timed on the first call, which
 *                    compiles the rules' code, and again warm in the same process); `cdk8s-stateful check` on it
 * Each row: median time (ms) and peak RSS (MiB) of every variant, ratios, and the scaling exponent of
 * `packs` (least squares of log time over log objects, across sizes); policy time split into a fixed
 * cost and a cost per object (least-squares line across sizes); then CEL policy evaluation
 * against ClusterPolicy pattern evaluation of the same checks (bench/cel.ts, in this process).
 *
 *   npm run bench                                   # table; sizes 10,100,400,800 (≈10–15 min on 2 idle cores)
 *   npm run bench -- --json                         # one JSON object
 *   npm run bench -- --sizes 10,100 --fleets deploy --reps 3 [--many-charts-max 100] [--no-startup]
 *   npm run bench -- --startup-only --reps 9 --json  # the one-service start-up rows only (no sizes, no CEL)
 *   npm run bench -- --json-file bench.json          # the table, and the JSON written to bench.json
 * Then, per fleet, a one-service app from process start to written output (bench/startup.ts):
 * plain cdk8s alone, plain cdk8s loading the L1 classes the app is written with, plain cdk8s with this
 * library's constructs, and every pack (paired ratios against plain and against plain + L1); as compiled
 * JavaScript and through ts-node --transpile-only (medians of at least 7).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import * as ts from 'typescript';
import { celBench, printCelBench } from './cel';
import type { Measurement, Variant } from './measure';
import { lazyIndex } from '../projenrc/lazy-index';

const ROOT = path.join(__dirname, '..');
const { values } = parseArgs({
  options: {
    'json': { type: 'boolean', default: false },
    'sizes': { type: 'string', default: '10,100,400,800' },
    'fleets': { type: 'string', default: 'data,deploy' },
    'reps': { type: 'string', default: '1' },
    'many-charts-max': { type: 'string', default: '100' },
    'no-startup': { type: 'boolean', default: false },
    'startup-only': { type: 'boolean', default: false },
    // the JSON written to this file too, the table printed as without --json
    'json-file': { type: 'string' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const fleets = values.fleets!.split(',');
const reps = Number(values.reps);
const manyChartsMax = Number(values['many-charts-max']);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !Number.isInteger(reps) || reps <= 0
  || fleets.some((f) => f !== 'data' && f !== 'deploy') || !Number.isFinite(manyChartsMax)) {
  console.error('usage: bench/run.ts [--json] [--sizes N,N,...] [--fleets data,deploy] [--reps N] [--many-charts-max N] [--no-startup | --startup-only]');
  process.exit(2);
}

/** Transpiles src/, bench/ and examples/ once into `out` (no type check): the children run plain JavaScript. */
function transpile(out: string): void {
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined };
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, host);
  const compilerOptions: ts.CompilerOptions = {
    ...config?.options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false, declaration: false, noEmit: false,
  };
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(rel);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, rel), 'utf8'), { compilerOptions, fileName: rel }).outputText;
        fs.mkdirSync(path.join(out, dir), { recursive: true });
        fs.writeFileSync(path.join(out, rel.replace(/\.ts$/, '.js')), js);
      } else if (e.name.endsWith('.json')) {
        fs.mkdirSync(path.join(out, dir), { recursive: true });
        fs.copyFileSync(path.join(ROOT, rel), path.join(out, rel));
      }
    }
  };
  for (const dir of ['src', 'bench', 'examples']) walk(dir);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(out, 'package.json'));
  // the entry point as the compile task ships it in lib/: each name loads its module on first use
  lazyIndex(path.join(out, 'src'), { env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } });
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Least-squares line y = intercept + slope · x. */
function linearFit(points: Array<[number, number]>): { intercept: number; slope: number } {
  const p = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (p.length < 2) return { intercept: NaN, slope: NaN };
  const mx = p.reduce((a, [x]) => a + x, 0) / p.length;
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length;
  const slope = p.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / p.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return { intercept: my - slope * mx, slope };
}

/** Least-squares slope of log(y) over log(x). */
function exponent(points: Array<[number, number]>): number {
  const logs = points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]): [number, number] => [Math.log(x), Math.log(y)]);
  return linearFit(logs).slope;
}

// Outputs are kept until the end of the run: ext4 scans past recently deleted inodes when it
// allocates new ones, so deleting thousands of files between measurements slows the next one down.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-bench-'));
const build = path.join(tmp, 'build');
let seq = 0;
const fresh = () => path.join(tmp, String(seq++));
// the children's per-user state folder (cross-run cache, code cache, journal key): the run's own, so
// that every run starts as cold as the first run of a new library version and leaves the user's alone
const stateDir = path.join(tmp, 'state');
const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), CDK8S_STATEFUL_STATE_DIR: stateDir };

function run(variant: Variant, fleet: string, services: number, dir: string): Measurement {
  const child = spawnSync(process.execPath, [path.join(build, 'bench', 'measure.js'), '--variant', variant, '--fleet', fleet, '--services', String(services), '--dir', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // the transpiled files live outside the repository: resolve packages from its node_modules
    env: childEnv,
  });
  if (child.status !== 0) throw new Error(`${variant} ${fleet} ${services}: exit ${child.status}\n${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** A Git repository holding a copy of `dir` committed in `out/`, the folder then deleted: returns `out`. */
function committedAndWiped(dir: string): string {
  const repo = fresh();
  const out = path.join(repo, 'out');
  fs.mkdirSync(repo);
  fs.cpSync(dir, out, { recursive: true });
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'output');
  fs.rmSync(out, { recursive: true });
  return out;
}

/**
 * One-service app, process start to written output (bench/startup.ts), per fleet: the median wall
 * time of the whole child process, as compiled JavaScript (`node`) and through `ts-node
 * --transpile-only` (the app file in TypeScript, the library compiled, as a user's app imports it).
 * The variants take turns within each repetition; `pairedRatio…` is the median of the per-repetition
 * ratios packs / plain.
 */
function startupRows(): any[] {
  const out: any[] = [];
  const tsNode = require.resolve('ts-node/dist/bin.js', { paths: [ROOT] });
  // the user's app file in TypeScript; the library and the benchmark code stay JavaScript
  fs.writeFileSync(path.join(build, 'bench', 'startup-main.ts'), "import { startup } from './startup';\nstartup(process.argv.slice(2));\n");
  const wall = (args: string[], env: NodeJS.ProcessEnv = childEnv) => {
    const t = process.hrtime.bigint();
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', env, cwd: build, maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (child.status !== 0) throw new Error(`startup ${args.join(' ')}: exit ${child.status}\n${child.stderr}`);
    return ms;
  };
  for (const fleet of fleets) {
    const objects = path.join(tmp, `startup-${fleet}.json`);
    wall([path.join(build, 'bench', 'startup.js'), '--variant', 'prepare', '--fleet', fleet, '--dir', fresh(), '--objects', objects]);
    // packsFirstRun: the same app as `packs` in a process whose state folder is new and empty (a CI
    // job whose state does not survive it; the first run of a library version): no code cache
    const variants = ['plain', 'plainL1', 'plainWithLibrary', 'packs', 'packsFirstRun'];
    const js: Record<string, number[]> = {};
    const tsn: Record<string, number[]> = {};
    // the variants take turns within each repetition, so a change of machine load during the run
    // falls on all of them instead of on whichever variant ran last
    // at least 7 repetitions: a single process start moves by ±20 % on a shared machine
    for (let r = 0; r < Math.max(reps, 7); r++) {
      for (const variant of variants) {
        const args = ['--variant', variant === 'packsFirstRun' ? 'packs' : variant, '--fleet', fleet, '--objects', objects];
        const env = () => (variant === 'packsFirstRun' ? { ...childEnv, CDK8S_STATEFUL_STATE_DIR: fresh() } : childEnv);
        (js[variant] ??= []).push(wall([path.join(build, 'bench', 'startup.js'), ...args, '--dir', fresh()], env()));
        (tsn[variant] ??= []).push(wall([tsNode, '--transpile-only', '--skip-project', '--compiler-options', '{"module":"commonjs","esModuleInterop":true}',
          path.join(build, 'bench', 'startup-main.ts'), ...args, '--dir', fresh()], env()));
      }
    }
    const ms: Record<string, Record<string, number>> = { js: {}, tsNode: {} };
    for (const variant of variants) {
      ms.js[variant] = median(js[variant]);
      ms.tsNode[variant] = median(tsn[variant]);
    }
    // median of the ratios of runs made side by side (less sensitive to load drift than a ratio of medians)
    const paired = (xs: Record<string, number[]>, base = 'plain', of = 'packs') => median(xs[of].map((t, i) => t / xs[base][i]));
    out.push({
      fleet,
      ms,
      ratioPacksToPlainJs: ms.js.packs / ms.js.plain,
      ratioPacksToPlainTsNode: ms.tsNode.packs / ms.tsNode.plain,
      pairedRatioPacksToPlainJs: paired(js),
      pairedRatioPacksToPlainTsNode: paired(tsn),
      ratioPacksToPlainWithLibraryJs: ms.js.packs / ms.js.plainWithLibrary,
      // against plain cdk8s loading the L1 classes the app is written with (see bench/startup.ts)
      pairedRatioPacksToPlainL1Js: paired(js, 'plainL1'),
      pairedRatioPacksToPlainL1TsNode: paired(tsn, 'plainL1'),
      // the first run (an empty state folder: no code cache yet)
      pairedRatioPacksFirstRunToPlainJs: paired(js, 'plain', 'packsFirstRun'),
      pairedRatioPacksFirstRunToPlainTsNode: paired(tsn, 'plain', 'packsFirstRun'),
    });
  }
  return out;
}

const rows: any[] = [];
let startup: any[] = [];
try {
  transpile(build);
  for (const fleet of values['startup-only'] ? [] : fleets) {
    for (const services of sizes) {
      const m: Record<string, Measurement[]> = {};
      const record = (variant: Variant, dir: string) => (m[variant] ??= []).push(run(variant, fleet, services, dir));
      for (let r = 0; r < reps; r++) {
        record('plain', fresh());
        if (services <= manyChartsMax) record('plainManyCharts', fresh());
        record('bare', fresh());
        const dir = fresh();
        record('packs', dir);
        record('resynth', dir);
        record('resynthGit', committedAndWiped(dir));
        record('fewCharts', fresh());
        record('check', dir);
        record('parse', dir);
        record('policy', dir);
      }
      const ms = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v.map((x) => x.ms))]));
      const rss = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.max(...v.map((x) => x.peakRssMiB))]));
      const objects = m.packs[0].objects ?? 0;
      const policyObjects = m.policy[0].objects ?? 0;
      rows.push({
        fleet,
        services,
        objects,
        ms,
        peakRssMiB: rss.packs,
        peakRssMiBByVariant: rss,
        ratioPacksToPlain: ms.packs / ms.plain,
        ratioBareToPlain: ms.bare / ms.plain,
        ratioPacksToPlainManyCharts: ms.packs / (ms.plainManyCharts ?? NaN),
        ratioPeakRssPacksToPlain: rss.packs / rss.plain,
        resynthFilesWritten: Math.max(...m.resynth.map((x) => x.written ?? -1)),
        ratioResynthToBare: ms.resynth / ms.bare,
        ratioResynthToPacks: ms.resynth / ms.packs,
        ratioResynthGitToPacks: ms.resynthGit / ms.packs,
        ratioCheckToParse: ms.check / ms.parse,
        ratioManyToFewCharts: ms.packs / ms.fewCharts,
        objectsPerSecond: objects / (ms.packs / 1000),
        policyMicrosPerObject: (ms.policy * 1000) / policyObjects,
        policyObjects,
        // the same objects evaluated again in the same process: the rule code already compiled
        policyWarmMicrosPerObject: (median(m.policy.map((x) => x.warmMs ?? NaN)) * 1000) / policyObjects,
      });
    }
  }
  if (!values['no-startup']) startup = startupRows();
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
// CEL (ValidatingPolicy) against ClusterPolicy pattern evaluation of the same checks, 5 objects per service
const celRows = values['startup-only'] ? [] : celBench(sizes.map((n) => n * 5), reps);

const exponents = Object.fromEntries(fleets.map((f) => [f, exponent(rows.filter((r) => r.fleet === f).map((r) => [r.objects, r.ms.packs]))]));
// policy time over objects across sizes: a fixed cost (compiling the rules' code on first use, per
// process) and a cost per object (the slope)
const policyFits = Object.fromEntries(fleets.map((fl) => {
  const fit = linearFit(rows.filter((r) => r.fleet === fl).map((r) => [r.policyObjects, r.ms.policy]));
  return [fl, { fixedMs: fit.intercept, microsPerObject: fit.slope * 1000 }];
}));
const result = {
  node: process.version,
  cpus: os.cpus().length,
  reps,
  rows,
  // of the first fleet run (data-heavy by default), as before; every fleet's in scalingExponents
  scalingExponentWithPacks: exponents[fleets[0]],
  scalingExponents: exponents,
  peakRssMiB: Math.max(...rows.map((r) => r.peakRssMiB)),
  policyFits,
  startup,
  cel: celRows,
};

if (values['json-file']) fs.writeFileSync(values['json-file'], `${JSON.stringify(result)}\n`);
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const cols: Array<[string, (r: any) => string]> = [
    ['fleet', (r) => r.fleet],
    ['services', (r) => String(r.services)],
    ['objects', (r) => String(r.objects)],
    ['plain ms', (r) => f(r.ms.plain)],
    ['packs ms', (r) => f(r.ms.packs)],
    ['packs/plain', (r) => f(r.ratioPacksToPlain, 2)],
    ['bare/plain', (r) => f(r.ratioBareToPlain, 2)],
    ['RSS MiB packs/plain', (r) => `${f(r.peakRssMiB)}/${f(r.peakRssMiBByVariant.plain)}`],
    ['many-chart plain ms', (r) => f(r.ms.plainManyCharts)],
    ['resynth ms [written]', (r) => `${f(r.ms.resynth)} [${r.resynthFilesWritten}]`],
    ['resynth/packs', (r) => f(r.ratioResynthToPacks, 2)],
    ['resynth from git/packs', (r) => f(r.ratioResynthGitToPacks, 2)],
    ['check/parse', (r) => f(r.ratioCheckToParse, 2)],
    ['policy µs/obj', (r) => f(r.policyMicrosPerObject, 1)],
    ['policy µs/obj warm', (r) => f(r.policyWarmMicrosPerObject, 1)],
  ];
  if (rows.length > 0) {
    console.log(`| ${cols.map(([h]) => h).join(' | ')} |`);
    console.log(`|${cols.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${cols.map(([, c]) => c(r)).join(' | ')} |`);
  }
  console.log(`scaling exponent of packs (time over objects): ${fleets.map((fl) => `${fl} ${f(exponents[fl], 2)}`).join(', ')}; `
    + `times in ms, ${reps > 1 ? `medians of ${reps}` : 'one run each'}, every measurement in a fresh process; ${os.cpus().length} CPUs, Node ${process.version}`);
  if (sizes.length > 1) {
    console.log(`policy time over objects (least squares across sizes): ${fleets.map((fl) => `${fl} ${f(policyFits[fl].fixedMs, 1)} ms fixed + `
      + `${f(policyFits[fl].microsPerObject, 1)} µs/object`).join(', ')}`);
  }
  if (startup.length > 0) {
    console.log('\none-service app, process start to written output (median ms; plain = cdk8s only, the same objects as ApiObjects):');
    console.log('| fleet | run as | plain cdk8s | plain cdk8s + L1 classes | plain cdk8s + library constructs | every pack | packs / plain | paired ratio | paired ratio to plain + L1 '
      + '| every pack, first run (empty state folder) | its paired ratio |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of startup) {
      for (const [how, key] of [['node (compiled JS)', 'js'], ['ts-node --transpile-only', 'tsNode']]) {
        const m = s.ms[key];
        const paired = key === 'js' ? s.pairedRatioPacksToPlainJs : s.pairedRatioPacksToPlainTsNode;
        const pairedL1 = key === 'js' ? s.pairedRatioPacksToPlainL1Js : s.pairedRatioPacksToPlainL1TsNode;
        const pairedFirst = key === 'js' ? s.pairedRatioPacksFirstRunToPlainJs : s.pairedRatioPacksFirstRunToPlainTsNode;
        console.log(`| ${s.fleet} | ${how} | ${f(m.plain)} | ${f(m.plainL1)} | ${f(m.plainWithLibrary)} | ${f(m.packs)} | ${f(m.packs / m.plain, 2)} | ${f(paired, 2)} `
          + `| ${f(pairedL1, 2)} | ${f(m.packsFirstRun)} | ${f(pairedFirst, 2)} |`);
      }
    }
  }
  if (celRows.length > 0) printCelBench(celRows, reps);
}
