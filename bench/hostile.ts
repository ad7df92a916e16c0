/**
 * Hostile-input benchmark: inputs that are small but cost super-linear time in naive code.
 *   (a) `cdk8s-stateful check` on one ConfigMap of 100,000 keys (~1.2 MB), against only parsing
 *       the same text with the `yaml` package (no unique-key check) — the baseline; plus the
 *       `yaml` package's own unique-key check on a tenth of it, to show what it would cost;
 *   (b) the Kyverno function `regex_match('^(a+)+$', …)` on 32 characters, against a benign regex
 *       on the same text and against JavaScript's RegExp on 24 characters;
 *   (c) the Kyverno wildcard pattern `*a*a*a*c` on a 3,000-character annotation, against the
 *       pattern `*` on the same object.
 * Each hostile case must finish in under 2 s (issue 20); medians of repetitions.
 *
 *   npm run bench:hostile              # table
 *   npm run bench:hostile -- --json    # one JSON object
 *   npm run bench:hostile -- --reps 3
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { parseAllDocuments } from 'yaml';
import { main as cli } from '../src/cli/main';
import { evaluatePolicy } from '../src/policy/kyverno/engine';
import { loadPolicy } from '../src/policy/kyverno/model';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, reps: { type: 'string', default: '3' } } });
const reps = Number(values.reps);
if (!Number.isInteger(reps) || reps <= 0) {
  console.error('usage: bench/hostile.ts [--json] [--reps N]');
  process.exit(2);
}
const BUDGET_MS = 2000;

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function median(fn: () => void): number {
  const xs = Array.from({ length: reps }, () => time(fn)).sort((a, b) => a - b);
  return xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
}
const silent = { stdout: () => true, stderr: () => true, env: {} };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-hostile-'));
const bigMap = (keys: number) => 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: shop\ndata:\n'
  + Array.from({ length: keys }, (_, i) => `  k${i}: v\n`).join('');
const text = bigMap(100_000);
const file = path.join(tmp, 'big.yaml');
fs.writeFileSync(file, text);

const rows: { case: string; ms: number; baseline: string; baselineMs: number; withinBudget?: boolean }[] = [];

// (a) check on a 100k-key map
let exit = -1;
const cpuBefore = process.cpuUsage();
const checkMs = median(() => { exit = cli(['check', file, '--quiet'], silent); });
const cpu = process.cpuUsage(cpuBefore);
// CPU time is less sensitive than wall time to other processes on a shared machine
const checkCpuMs = (cpu.user + cpu.system) / 1000 / reps;
if (exit !== 0 && exit !== 1) throw new Error(`check exited ${exit}`);
const parseMs = median(() => parseAllDocuments(text, { uniqueKeys: false }));
rows.push({ case: 'check: ConfigMap of 100,000 keys', ms: checkMs, baseline: 'yaml parse only', baselineMs: parseMs, withinBudget: checkMs < BUDGET_MS });
const tenth = bigMap(10_000);
rows.push({
  case: 'yaml unique-key check, 10,000 keys (quadratic)',
  ms: median(() => parseAllDocuments(tenth, { uniqueKeys: true })),
  baseline: 'yaml parse only, 10,000 keys',
  baselineMs: median(() => parseAllDocuments(tenth, { uniqueKeys: false })),
});

// (b) and (c): Kyverno policies on a Pod
const pod = (note: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', annotations: { note } }, spec: { containers: [{ name: 'c', image: 'x' }] },
});
const policy = (rule: any) => loadPolicy({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name: 'hostile' },
  spec: { validationFailureAction: 'Enforce', rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'no', ...rule } }] },
});
const regexPolicy = (re: string) => policy({
  deny: { conditions: { any: [{ key: `{{ regex_match('${re}', request.object.metadata.annotations.note) }}`, operator: 'Equals', value: true }] } },
});
const regexPod = pod(`${'a'.repeat(31)}!`);
const hostileRegex = regexPolicy('^(a+)+$');
const benignRegex = regexPolicy('^a+$');
const regexMs = median(() => evaluatePolicy(hostileRegex, regexPod));
const jsRegExp = new RegExp('^(a+)+$');
rows.push({
  case: "Kyverno regex_match('^(a+)+$') on 32 characters",
  ms: regexMs,
  baseline: "regex_match('^a+$')",
  baselineMs: median(() => evaluatePolicy(benignRegex, regexPod)),
  withinBudget: regexMs < BUDGET_MS,
});
rows.push({ case: 'JavaScript RegExp ^(a+)+$ on 24 characters (for scale)', ms: median(() => jsRegExp.test(`${'a'.repeat(23)}!`)), baseline: '-', baselineMs: NaN });

const wildcardPod = pod('a'.repeat(3000));
const hostileWildcard = policy({ pattern: { metadata: { annotations: { note: '*a*a*a*c' } } } });
const benignWildcard = policy({ pattern: { metadata: { annotations: { note: '*' } } } });
const wildcardMs = median(() => evaluatePolicy(hostileWildcard, wildcardPod));
rows.push({
  case: 'Kyverno pattern *a*a*a*c on 3,000 characters',
  ms: wildcardMs,
  baseline: 'pattern *',
  baselineMs: median(() => evaluatePolicy(benignWildcard, wildcardPod)),
  withinBudget: wildcardMs < BUDGET_MS,
});

fs.rmSync(tmp, { recursive: true, force: true });

const over = rows.filter((r) => r.withinBudget === false);
if (values.json) {
  console.log(JSON.stringify({ budgetMs: BUDGET_MS, reps, loadAverage: os.loadavg()[0], checkCpuMs, rows }, null, 2));
} else {
  const f = (ms: number) => (Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
  console.log(`hostile inputs: median of ${reps}, budget ${BUDGET_MS} ms for each hostile case; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  console.log(`check: ConfigMap of 100,000 keys: ${f(checkCpuMs)} ms CPU per run (user + system, all threads)`);
  console.log(['case'.padEnd(56), 'ms'.padStart(8), 'baseline'.padEnd(32), 'ms'.padStart(8), 'ratio'.padStart(7), 'budget'].join('  '));
  for (const r of rows) {
    const ratio = Number.isNaN(r.baselineMs) ? '-' : (r.ms / r.baselineMs).toFixed(1);
    const budget = r.withinBudget === undefined ? '' : r.withinBudget ? 'ok' : 'OVER';
    console.log([r.case.padEnd(56), f(r.ms).padStart(8), r.baseline.padEnd(32), f(r.baselineMs).padStart(8), ratio.padStart(7), budget].join('  '));
  }
}
process.exitCode = over.length > 0 ? 1 : 0;
