/**
 * Fault injection on a synthesizing process: the reference platform (examples/platform) is
 * synthesized as a GitOpsApp in a child process that is SIGKILLed during the write, at a random
 * file-system mutation (a real crash: nothing unwinds, the lock, the staging and maybe the journal
 * stay behind) or by the parent after a random delay into the write. Then:
 *
 * - before recovery, everything outside `.cdk8s-stateful/` (where Flux and Argo CD read) is a
 *   complete file of the previous or of the new set, or a file added by hand: no staging or
 *   half-written file there;
 * - recovery by the next synthesis, or by `cdk8s-stateful verify`, leaves exactly the complete
 *   previous set or the complete new set (sha256 of every file, and every directory), with the
 *   hand-added files intact and no writer state but the manifest;
 * - concurrent synthesis into one directory is refused by the lock, never interleaved.
 */
import * as child from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildJs, childEnv } from './build-js';
import { main } from '../../src/cli/main';
import { acquireLock } from '../../src/gitops/writer/lock';
import { snapshot, TreeSnapshot } from '../gitops/writer/helpers';
import { tmpdir } from '../util/tmp';

const TRIALS_AT_RANDOM_OPERATION = 14;
const TRIALS_AT_RANDOM_TIME = 6;
const CONCURRENT_ROUNDS = 3;
/** A pause before every file-system mutation (ms): makes the write long enough for timed kills and races to land inside it. */
const SLOW_MS = 0.25;

/** Files a user added by hand: their own folder, inside a rendered folder, and in folders the new set prunes entirely. */
const HAND_FILES: Record<string, string> = {
  'notes/by-hand.md': 'written by a human\n',
  'rendered/dev/orders-dev/notes.txt': 'kept next to generated files\n',
  'base/KEEP.txt': 'the new set prunes base/: this file keeps the folder\n',
  'overlays/prod/hand-patch.txt': 'mine\n',
};

/** sha256 of every file and the list of directories (the writer tests' snapshot). */
type Tree = TreeSnapshot;

function same(a: Tree, b: Tree): boolean {
  const keys = (t: Tree) => JSON.stringify(Object.entries(t.files).sort(([x], [y]) => (x < y ? -1 : 1)));
  return keys(a) === keys(b) && JSON.stringify(a.dirs) === JSON.stringify(b.dirs);
}

function describeDifference(actual: Tree, expected: Tree): string {
  const lines: string[] = [];
  for (const p of [...new Set([...Object.keys(actual.files), ...Object.keys(expected.files)])].sort()) {
    if (actual.files[p] !== expected.files[p]) lines.push(`  ${p}: ${actual.files[p]?.slice(0, 8) ?? 'absent'} (expected ${expected.files[p]?.slice(0, 8) ?? 'absent'})`);
  }
  for (const d of [...new Set([...actual.dirs, ...expected.dirs])].sort()) {
    if (actual.dirs.includes(d) !== expected.dirs.includes(d)) lines.push(`  dir ${d}: ${actual.dirs.includes(d) ? 'present' : 'absent'}`);
  }
  return lines.slice(0, 20).join('\n');
}

interface Outcome {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly result?: { ok: boolean; ops: number; ms: number; code?: string; message?: string };
  readonly stderr: string;
}

interface Running {
  readonly proc: child.ChildProcess;
  readonly ready: Promise<void>;
  readonly writing: Promise<void>;
  readonly exited: Promise<Outcome>;
}

let childScript: string;
let oldTree: Tree;
let newTree: Tree;
let writeOps: number;
let slowWriteMs: number;

function start(job: { outdir: string; variant: 'old' | 'new'; killAtOp?: number; slowMs?: number; waitForGo?: boolean }): Running {
  const jobFile = path.join(tmpdir('cdk8s-stateful-fi-job-'), 'job.json');
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const proc = child.spawn(process.execPath, [childScript, jobFile], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
  let stdout = '';
  let stderr = '';
  let onReady!: () => void;
  let onWriting!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const writing = new Promise<void>((resolve) => (onWriting = resolve));
  proc.stdout!.on('data', (d) => {
    stdout += d;
    if (stdout.startsWith('ready\n')) onReady();
    if (stdout.includes('writing\n')) onWriting();
  });
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<Outcome>((resolve) => proc.on('close', (code, signal) => {
    onReady();
    onWriting();
    const last = stdout.trim().split('\n').pop();
    resolve({ code, signal, stderr, result: last && last.startsWith('{') ? JSON.parse(last) : undefined });
  }));
  return { proc, ready, writing, exited };
}

/** Synthesizes `variant` into `outdir` in a child and expects success. */
async function synth(outdir: string, variant: 'old' | 'new', slowMs?: number): Promise<Outcome> {
  const outcome = await start({ outdir, variant, slowMs }).exited;
  if (!outcome.result?.ok) throw new Error(`synthesis of ${variant} failed: ${JSON.stringify(outcome.result)} ${outcome.stderr}`);
  return outcome;
}

function addHandFiles(outdir: string): void {
  for (const [p, content] of Object.entries(HAND_FILES)) {
    fs.mkdirSync(path.dirname(path.join(outdir, p)), { recursive: true });
    fs.writeFileSync(path.join(outdir, p), content);
  }
}

/** An output directory holding the old set and the hand-added files. */
function prepared(): string {
  const outdir = path.join(tmpdir('cdk8s-stateful-fi-'), 'gitops');
  fs.cpSync(referenceOld, outdir, { recursive: true });
  return outdir;
}

let referenceOld: string;
let sharedStateDir: string | undefined;

beforeAll(async () => {
  // A state folder of this file's own (journal key, cross-run cache), for this process and the children:
  // the kill points are counted file-system operations, and those of the cache folder must not depend
  // on what other test files write there at the same time (a folder past its limit is trimmed in a burst
  // of removals by whichever synthesis crosses it, which would make a trial shorter than the calibration).
  sharedStateDir = process.env.CDK8S_STATEFUL_STATE_DIR;
  process.env.CDK8S_STATEFUL_STATE_DIR = tmpdir('cdk8s-stateful-fi-state-');
  childScript = path.join(buildJs(['test/robustness/fixtures/synth-child.ts']), 'test/robustness/fixtures/synth-child.js');
  referenceOld = path.join(tmpdir('cdk8s-stateful-fi-ref-'), 'gitops');
  await synth(referenceOld, 'old');
  addHandFiles(referenceOld);
  oldTree = snapshot(referenceOld);
  const referenceNew = prepared();
  const calibration = await synth(referenceNew, 'new');
  writeOps = calibration.result!.ops;
  newTree = snapshot(referenceNew);
  // the two sets really differ: files change, appear and disappear
  const changed = Object.keys(newTree.files).filter((p) => oldTree.files[p] !== undefined && oldTree.files[p] !== newTree.files[p]);
  const removed = Object.keys(oldTree.files).filter((p) => newTree.files[p] === undefined);
  expect(changed.length).toBeGreaterThan(50);
  expect(removed.length).toBeGreaterThan(20);
  slowWriteMs = (await synth(prepared(), 'new', SLOW_MS)).result!.ms;
}, 120_000);

afterAll(() => {
  if (sharedStateDir === undefined) delete process.env.CDK8S_STATEFUL_STATE_DIR;
  else process.env.CDK8S_STATEFUL_STATE_DIR = sharedStateDir;
});

/**
 * Before recovery: every file Flux or Argo CD could read (outside `.cdk8s-stateful/`) is an old
 * file, a new file or a hand-added one; nothing half-written, nothing staged.
 */
function expectNoTornFileOutsideWriterState(outdir: string, context: string): void {
  const tree = snapshot(outdir);
  for (const [p, hash] of Object.entries(tree.files)) {
    if (p.startsWith('.cdk8s-stateful/')) continue;
    if (hash !== oldTree.files[p] && hash !== newTree.files[p]) throw new Error(`${context}: ${p} is neither its old nor its new content`);
  }
}

function expectOneCompleteSet(outdir: string, context: string): 'old' | 'new' {
  const tree = snapshot(outdir);
  const state = same(tree, oldTree) ? 'old' : same(tree, newTree) ? 'new' : undefined;
  if (!state) throw new Error(`${context}: neither the old nor the new set:\n${describeDifference(tree, newTree)}`);
  expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['manifest.json']);
  for (const [p, content] of Object.entries(HAND_FILES)) expect(fs.readFileSync(path.join(outdir, p), 'utf8')).toBe(content);
  return state;
}

function verify(outdir: string): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(['verify', outdir, '--allow-unknown'], { env: {}, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** Runs `count` async trials, at most `width` at a time. */
async function inParallel(count: number, width: number, trial: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await trial(next++);
  }));
}

type Recovery = 'verify' | 'synth-old' | 'synth-new';
const RECOVERIES: Recovery[] = ['verify', 'synth-new', 'synth-old'];

/**
 * A writer killed between creating its lock (O_EXCL) and writing its pid into it leaves an empty
 * lock: another writer may be starting, so it is respected for a grace period (a synthesis is
 * refused, with a clear message), then taken over. Returns whether that happened.
 */
async function emptyLockRespectedThenTakenOver(outdir: string): Promise<boolean> {
  const lock = path.join(outdir, '.cdk8s-stateful/lock');
  if (!fs.existsSync(lock) || fs.statSync(lock).size > 0) return false;
  const refused = await start({ outdir, variant: 'new' }).exited;
  expect(refused.result).toMatchObject({ ok: false, code: 'LOCKED', message: expect.stringMatching(/lock .* is being created/) });
  const past = new Date(Date.now() - 11_000); // the grace period is over
  fs.utimesSync(lock, past, past);
  return true;
}

async function recoverAndCheck(outdir: string, recovery: Recovery, context: string, lockAged = false): Promise<string> {
  expectNoTornFileOutsideWriterState(outdir, context);
  // once aged past its grace period, the empty lock is there to be taken over, not refused again
  const emptyLock = !lockAged && await emptyLockRespectedThenTakenOver(outdir);
  if (emptyLock) return `empty-lock+${await recoverAndCheck(outdir, recovery, context, true)}`;
  if (recovery === 'verify') {
    const r = verify(outdir);
    const state = expectOneCompleteSet(outdir, `${context}, recovered by verify`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return `verify→${state}`;
  }
  const variant = recovery === 'synth-new' ? 'new' : 'old';
  await synth(outdir, variant);
  expect(expectOneCompleteSet(outdir, `${context}, recovered by a synthesis of the ${variant} set`)).toBe(variant);
  return `synth→${variant}`;
}

test('a writer SIGKILLed between creating its lock and writing its pid: refused for the grace period, then taken over (each recovery)', async () => {
  // the operation that leaves the lock empty: the first kill point after which the lock exists with no content
  let killAtOp: number | undefined;
  for (let op = 1; op <= 60 && killAtOp === undefined; op++) {
    const outdir = prepared();
    const outcome = await start({ outdir, variant: 'new', killAtOp: op }).exited;
    const lock = path.join(outdir, '.cdk8s-stateful/lock');
    if (outcome.signal === 'SIGKILL' && fs.existsSync(lock) && fs.statSync(lock).size === 0) killAtOp = op;
  }
  expect(killAtOp).toBeDefined();
  for (const recovery of RECOVERIES) {
    const outdir = prepared();
    expect((await start({ outdir, variant: 'new', killAtOp }).exited).signal).toBe('SIGKILL');
    expect(await recoverAndCheck(outdir, recovery, `${recovery}: killed at operation ${killAtOp}, after creating its lock`)).toMatch(/^empty-lock\+/);
  }
}, 120_000);

test(`${TRIALS_AT_RANDOM_OPERATION} synthesizing processes SIGKILLed at a random file-system operation of the write`, async () => {
  expect(writeOps).toBeGreaterThan(100);
  const tally: Record<string, number> = {};
  // the kill point is an operation count, not a time: trials run two at a time, each in its own directory
  await inParallel(TRIALS_AT_RANDOM_OPERATION, 2, async (trial) => {
    const outdir = prepared();
    const killAtOp = 1 + Math.floor(Math.random() * writeOps);
    const outcome = await start({ outdir, variant: 'new', killAtOp }).exited;
    const context = `trial ${trial}: killed at operation ${killAtOp} of ${writeOps}`;
    expect(outcome.signal).toBe('SIGKILL');
    const how = await recoverAndCheck(outdir, RECOVERIES[trial % RECOVERIES.length], context);
    tally[how] = (tally[how] ?? 0) + 1;
  });
  // a crash before the journal's commit goes back to the old set, after it forward to the new one: both happen
  expect(Object.keys(tally).some((k) => k === 'verify→old') || Object.keys(tally).some((k) => k === 'verify→new')).toBe(true);
  process.stdout.write(`SIGKILL at a random operation: ${JSON.stringify(tally)}\n`);
});

test(`${TRIALS_AT_RANDOM_TIME} synthesizing processes SIGKILLed by the parent after a random delay into the write`, async () => {
  const tally: Record<string, number> = {};
  for (let trial = 0; trial < TRIALS_AT_RANDOM_TIME; trial++) {
    const outdir = prepared();
    const running = start({ outdir, variant: 'new', slowMs: SLOW_MS });
    await running.writing;
    const delay = Math.random() * slowWriteMs * 0.8;
    const timer = setTimeout(() => running.proc.kill('SIGKILL'), delay);
    const outcome = await running.exited;
    clearTimeout(timer);
    const killed = outcome.signal === 'SIGKILL' ? 'killed' : 'finished';
    const how = await recoverAndCheck(outdir, trial % 2 === 0 ? 'verify' : 'synth-new', `timed trial ${trial}: SIGKILL after ${delay.toFixed(0)} ms`);
    tally[`${killed}/${how}`] = (tally[`${killed}/${how}`] ?? 0) + 1;
  }
  expect(Object.keys(tally).some((k) => k.startsWith('killed/'))).toBe(true);
  process.stdout.write(`SIGKILL after a random delay: ${JSON.stringify(tally)}\n`);
});

test('a synthesis killed between creating its lock and writing it: refused during the grace period, then recovered', async () => {
  // the lock is taken at the start of the write: its creation is one of the first operations
  for (let killAtOp = 1; killAtOp <= 8; killAtOp++) {
    const outdir = prepared();
    await start({ outdir, variant: 'new', killAtOp }).exited;
    if (!(await emptyLockRespectedThenTakenOver(outdir))) continue;
    // verify takes the expired empty lock over (nothing else to recover): nothing of it stays behind
    expect(verify(outdir)).toMatchObject({ code: 0, stderr: '' });
    expect(expectOneCompleteSet(outdir, `killed at operation ${killAtOp}, with an empty lock`)).toBe('old');
    return;
  }
  throw new Error('no kill among the first 8 operations left an empty lock: has the writer stopped creating its lock with O_EXCL first?');
});

test('a synthesis while another holds the lock is refused and writes nothing', async () => {
  const outdir = prepared();
  const lock = acquireLock(outdir);
  try {
    const outcome = await start({ outdir, variant: 'new' }).exited;
    expect(outcome.result).toMatchObject({ ok: false, code: 'LOCKED' });
    expect(outcome.result!.message).toContain(`another synthesis is writing to ${outdir} (pid ${process.pid}`);
  } finally {
    lock.release();
  }
  expectOneCompleteSet(outdir, 'after a refused synthesis');
  expect(same(snapshot(outdir), oldTree)).toBe(true);
  await synth(outdir, 'new');
  expect(expectOneCompleteSet(outdir, 'after the lock was released')).toBe('new');
});

test(`${CONCURRENT_ROUNDS} rounds of two concurrent synthesizing processes into one directory: serialized or refused, never interleaved`, async () => {
  const tally: Record<string, number> = {};
  for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
    const outdir = prepared();
    // slow writes: each holds the lock long enough that the other surely tries while it is held
    const runs = (['new', 'old'] as const).map((variant) => start({ outdir, variant, slowMs: SLOW_MS, waitForGo: true }));
    await Promise.all(runs.map((r) => r.ready));
    for (const r of runs) r.proc.stdin!.write('go\n');
    const outcomes = await Promise.all(runs.map((r) => r.exited));
    const results = outcomes.map((o) => o.result);
    for (const r of results) {
      if (!r?.ok) expect(r).toMatchObject({ ok: false, code: 'LOCKED' });
    }
    expect(results.some((r) => r?.ok)).toBe(true);
    const state = expectOneCompleteSet(outdir, `round ${round}`);
    const key = `${results.map((r) => (r?.ok ? 'ok' : 'locked')).join('+')}→${state}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  process.stdout.write(`concurrent synthesis: ${JSON.stringify(tally)}\n`);
});
