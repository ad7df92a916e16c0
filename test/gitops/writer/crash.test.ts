import * as child from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { addHandFiles, classify, ENVIRONMENTS, HAND_FILES, LIB_VERSION, outputSets, sameTree, snapshot, tmpDir, TreeSnapshot, write } from './helpers';
import { FAULT_STEPS, OutputFile, recoverOutput } from '../../../src/gitops/writer';
import { UNREADABLE_LOCK_GRACE_MS } from '../../../src/gitops/writer/lock';

/**
 * Out-of-process crash tests: a child process performs a large write (~300 files: changed,
 * deleted, added) and is SIGKILLed, by the parent after a random delay or by itself at a fault
 * step. Nothing unwinds, no finally runs: the lock, the staging and maybe the journal stay behind.
 * Recovery (taking over the dead child's lock) must then give exactly the old or the new set.
 */
const ROOT = path.resolve(__dirname, '../../..');
const RANDOM_KILL_TRIALS = 20;
const { old, next } = outputSets(300);
/** A competing output set for the concurrency test: every file different from both. */
const other: OutputFile[] = old.map(f => ({ path: f.path, content: `${f.content}# other writer\n` }));

let childScript: string;
let oldTree: TreeSnapshot;
let newTree: TreeSnapshot;
let otherTree: TreeSnapshot;

beforeAll(() => {
  childScript = buildChild();
  const trees = [next, other].map(files => {
    const reference = tmpDir('ref');
    addHandFiles(reference);
    write(reference, old);
    const before = snapshot(reference);
    write(reference, files);
    return [before, snapshot(reference)];
  });
  [oldTree, newTree] = trees[0];
  otherTree = trees[1][1];
});

/**
 * Transpiles the writer and the child script once (what ts-node --transpile-only would do on
 * every start): a child then starts in ~50 ms instead of ~600 ms.
 */
function buildChild(): string {
  const out = tmpDir('build');
  const sources = fs.readdirSync(path.join(ROOT, 'src/gitops/writer')).filter(f => f.endsWith('.ts')).map(f => `src/gitops/writer/${f}`);
  sources.push('test/gitops/writer/fixtures/child-writer.ts');
  for (const rel of sources) {
    const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, rel), 'utf8'), {
      fileName: rel,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    fs.writeFileSync(path.join(out, rel.replace(/\.ts$/, '.js')), js);
  }
  return path.join(out, 'test/gitops/writer/fixtures/child-writer.js');
}

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The child's last JSON line, if it got that far. */
  readonly result?: { ok: boolean; ms?: number; code?: string; message?: string };
  readonly stderr: string;
}

interface RunningWriter {
  readonly proc: child.ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<Outcome>;
}

function startWriter(job: object): RunningWriter {
  const jobFile = path.join(tmpDir('job'), 'job.json');
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const proc = child.spawn(process.execPath, [childScript, jobFile], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
  });
  let stdout = '';
  let stderr = '';
  let onReady: () => void;
  const ready = new Promise<void>(resolve => (onReady = resolve));
  proc.stdout!.on('data', d => {
    stdout += d;
    if (stdout.startsWith('ready\n')) onReady();
  });
  proc.stderr!.on('data', d => (stderr += d));
  // 'close' (not 'exit'): the child is reaped, so kill(pid, 0) now says ESRCH, and all output is in
  const exited = new Promise<Outcome>(resolve => proc.on('close', (code, signal) => {
    const last = stdout.trim().split('\n').pop();
    resolve({ code, signal, stderr, result: last && last !== 'ready' ? JSON.parse(last) : undefined });
  }));
  return { proc, ready, exited };
}

function request(outdir: string, files: OutputFile[]) {
  return { outdir, files, libraryVersion: LIB_VERSION, environments: ENVIRONMENTS };
}

function prepared(): string {
  const outdir = tmpDir('crash');
  addHandFiles(outdir);
  write(outdir, old);
  return outdir;
}

function expectRecoveredToOneSet(outdir: string, context: string): 'old' | 'new' {
  const state = classify(snapshot(outdir), oldTree, newTree);
  if (state !== 'old' && state !== 'new') throw new Error(`${context}: ${state}`);
  expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['manifest.json']);
  for (const [p, content] of Object.entries(HAND_FILES)) expect(fs.readFileSync(path.join(outdir, p), 'utf8')).toBe(content);
  return state;
}

/**
 * A writer that waits for "go" on stdin, started and ready: the parent then starts its clock (and
 * its kill timer) when it sends "go", so the time the child needs to start up and the pipe's
 * latency are out of the window a kill has to hit.
 */
async function readyWriter(outdir: string): Promise<RunningWriter> {
  const writer = startWriter({ request: request(outdir, next), waitForGo: true });
  await writer.ready;
  return writer;
}

test(`${RANDOM_KILL_TRIALS}+ writers SIGKILLed by the parent after a random delay: old or new set after recovery`, async () => {
  // calibrate: from "go" to the child's exit, as the parent sees it (the median of 3)
  const windows: number[] = [];
  for (let i = 0; i < 3; i++) {
    const writer = await readyWriter(prepared());
    const started = process.hrtime.bigint();
    writer.proc.stdin!.write('go\n');
    const calibration = await writer.exited;
    expect(calibration.result?.ok).toBe(true);
    windows.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const windowMs = windows.sort((a, b) => a - b)[1];

  const tally: Record<string, number> = {};
  const count = (pred: (k: string) => boolean) => Object.entries(tally).filter(([k]) => pred(k)).reduce((n, [, v]) => n + v, 0);
  // At least RANDOM_KILL_TRIALS trials; more (up to 3×) while fewer than 5 kills landed before the
  // child was done, which a burst of load on the machine can cause. Every trial's recovery is checked.
  for (let trial = 0; trial < RANDOM_KILL_TRIALS || (count(k => k.startsWith('killed/')) < 5 && trial < 3 * RANDOM_KILL_TRIALS); trial++) {
    const outdir = prepared();
    const writer = await readyWriter(outdir);
    const delay = Math.random() * windowMs;
    writer.proc.stdin!.write('go\n');
    const timer = setTimeout(() => writer.proc.kill('SIGKILL'), delay);
    const outcome = await writer.exited;
    clearTimeout(timer);

    // killed between creating its lock (O_EXCL) and writing into it: the empty lock is respected
    // for a grace period (another writer may be starting), so let that period pass
    const lock = path.join(outdir, '.cdk8s-stateful/lock');
    if (fs.existsSync(lock) && fs.statSync(lock).size === 0) {
      const past = new Date(Date.now() - UNREADABLE_LOCK_GRACE_MS - 1_000);
      fs.utimesSync(lock, past, past);
    }
    const recovery = recoverOutput(outdir);
    const state = expectRecoveredToOneSet(outdir, `trial ${trial}: killed after ${delay.toFixed(1)} ms of a ${windowMs.toFixed(0)} ms window`);
    const key = `${outcome.signal === 'SIGKILL' ? 'killed' : 'finished'}/${recovery?.action ?? 'nothing-to-recover'}/${state}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  // Timing varies with machine load, so only loose checks that the kills did hit writes in
  // progress; the self-kill tests below cover every step deterministically.
  expect(count(k => k.startsWith('killed/'))).toBeGreaterThanOrEqual(5);
  expect(count(k => !k.includes('nothing-to-recover'))).toBeGreaterThanOrEqual(1);
  process.stdout.write(`random SIGKILL outcomes: ${JSON.stringify(tally)}\n`);
});

describe('writers SIGKILLing themselves at each fault step', () => {
  const writes = next.filter(n => !old.some(f => f.path === n.path && f.content === n.content)).length;
  const deletes = old.filter(f => !next.some(n => n.path === f.path)).length;
  const counts: Record<string, number> = { 'staged-file': writes, 'deleted-file': deletes, 'renamed-file': writes };
  const cases = FAULT_STEPS.map((step, i) => ({ step, i, then: i % 2 === 0 ? 'recoverOutput' : 'writeOutput' }));
  test.each(cases)('at $step, then $then', async ({ step, i }) => {
    const outdir = prepared();
    const occurrence = 1 + Math.floor(Math.random() * (counts[step] ?? 1));
    const outcome = await startWriter({ request: request(outdir, next), killAt: { step, occurrence } }).exited;
    expect(outcome.signal).toBe('SIGKILL');
    expect(fs.existsSync(path.join(outdir, '.cdk8s-stateful/lock'))).toBe(true); // left behind by the dead child
    const committed = FAULT_STEPS.indexOf(step) >= FAULT_STEPS.indexOf('journal-committed');
    if (i % 2 === 0) {
      recoverOutput(outdir);
      expect(expectRecoveredToOneSet(outdir, `killed at ${step}#${occurrence}`)).toBe(committed ? 'new' : 'old');
    } else {
      write(outdir, next);
      expect(expectRecoveredToOneSet(outdir, `killed at ${step}#${occurrence}`)).toBe('new');
    }
  });
});

describe('two writers at once', () => {
  test.each([
    { round: 1, start: 'a missing outdir' },
    { round: 2, start: 'the old set' },
    { round: 3, start: 'the old set' },
    { round: 4, start: 'the old set and a stale lock of a dead writer (both race to take it over)' },
  ])('round $round, from $start: exactly one wins, the other gets the lock error, the output is one complete set', async ({ round }) => {
    const outdir = round === 1 ? path.join(tmpDir('race'), 'fresh') : prepared();
    if (round === 4) {
      const dead = child.spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(path.join(outdir, '.cdk8s-stateful/lock'), JSON.stringify({ pid: dead, hostname: os.hostname(), startedAt: '2024-01-01', token: 'dead' }));
    }
    // holdMs: the winner keeps the lock long enough that the loser surely tries while it is held
    const writers = [next, other].map(files => startWriter({ request: request(outdir, files), waitForGo: true, holdMs: 300 }));
    await Promise.all(writers.map(w => w.ready));
    for (const w of writers) w.proc.stdin!.write('go\n');
    const outcomes = await Promise.all(writers.map(w => w.exited));

    const winners = outcomes.map((o, i) => (o.result?.ok ? i : -1)).filter(i => i >= 0);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    const loser = outcomes[1 - winner];
    expect(loser.code).toBe(3);
    expect(loser.result).toMatchObject({ ok: false, code: 'LOCKED' });
    expect(loser.result!.message).toContain(`another synthesis is writing to ${outdir} (pid ${writers[winner].proc.pid}`);

    const tree = snapshot(outdir);
    if (round === 1) {
      // a first write: the winner's files only (no hand files were added there)
      const expectedPaths = (winner === 0 ? next : other).map(f => f.path);
      expect(Object.keys(tree.files).sort()).toEqual([...expectedPaths, '.cdk8s-stateful/manifest.json'].sort());
    } else {
      expect(sameTree(tree, winner === 0 ? newTree : otherTree)).toBe(true);
    }
  });
});
