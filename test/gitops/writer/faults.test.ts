import * as fs from 'fs';
import * as path from 'path';
import { addHandFiles, classify, HAND_FILES, outputSets, snapshot, tmpDir, TreeSnapshot, write } from './helpers';
import { FAULT_STEPS, FaultStep, recoverOutput } from '../../../src/gitops/writer';

/**
 * In-process fault injection: the hook throws at one step (and one occurrence of a per-file
 * step), which the writer treats exactly like the process dying there (no clean-up). Then the
 * next recoverOutput / writeOutput must find exactly the old or the new set.
 */
const { old, next } = outputSets(30);
const COMMIT: FaultStep = 'journal-committed';
let oldTree: TreeSnapshot;
let newTree: TreeSnapshot;
const occurrences = new Map<FaultStep, number>();
const order: FaultStep[] = [];

beforeAll(() => {
  const reference = tmpDir('ref');
  addHandFiles(reference);
  write(reference, old);
  oldTree = snapshot(reference);
  write(reference, next, {
    faultHook: step => {
      occurrences.set(step, (occurrences.get(step) ?? 0) + 1);
      if (!order.includes(step)) order.push(step);
    },
  });
  newTree = snapshot(reference);
});

test('a normal write emits every documented step, in protocol order', () => {
  expect(order).toEqual([...FAULT_STEPS]);
  expect(occurrences.get('staged-file')).toBeGreaterThan(10);
  expect(occurrences.get('deleted-file')).toBeGreaterThan(5);
});

interface Case { readonly step: FaultStep; readonly occurrence: number }

/** Every step; for per-file steps the first, a middle and the last occurrence. */
function cases(): Case[] {
  // computed from the same sets as beforeAll, without touching the disk
  const removed = old.filter(f => !next.some(n => n.path === f.path)).length;
  const written = next.filter(n => !old.some(f => f.path === n.path && f.content === n.content)).length;
  const counts: Partial<Record<FaultStep, number>> = { 'staged-file': written, 'deleted-file': removed, 'renamed-file': written };
  const out: Case[] = [];
  for (const step of FAULT_STEPS) {
    const n = counts[step] ?? 1;
    for (const occurrence of [...new Set([1, Math.ceil(n / 2), n])]) out.push({ step, occurrence });
  }
  return out;
}

function crashAt(outdir: string, c: Case, files = next): void {
  let seen = 0;
  expect(() => write(outdir, files, {
    faultHook: (step) => {
      if (step === c.step && ++seen === c.occurrence) throw new Error(`crash at ${step}#${c.occurrence}`);
    },
  })).toThrow(`crash at ${c.step}#${c.occurrence}`);
}

function committedAt(step: FaultStep): boolean {
  return FAULT_STEPS.indexOf(step) >= FAULT_STEPS.indexOf(COMMIT);
}

function prepared(): string {
  const outdir = tmpDir('fault');
  addHandFiles(outdir);
  write(outdir, old);
  return outdir;
}

function withoutState(t: TreeSnapshot): TreeSnapshot {
  return {
    files: Object.fromEntries(Object.entries(t.files).filter(([p]) => !p.startsWith('.cdk8s-stateful/'))),
    dirs: t.dirs.filter(d => !d.startsWith('.cdk8s-stateful')),
  };
}

function expectNoLeftovers(outdir: string): void {
  expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['manifest.json']);
  for (const [p, content] of Object.entries(HAND_FILES)) expect(fs.readFileSync(path.join(outdir, p), 'utf8')).toBe(content);
}

describe.each(cases())('crash at $step #$occurrence', (c) => {
  const expected = committedAt(c.step) ? 'new' : 'old';

  test(`recoverOutput gives the ${expected} set`, () => {
    const outdir = prepared();
    crashAt(outdir, c);
    if (!committedAt(c.step)) {
      // before the commit nothing outside .cdk8s-stateful/ has been touched
      expect(withoutState(snapshot(outdir))).toEqual(withoutState(oldTree));
    }
    const recovery = recoverOutput(outdir);
    if (committedAt(c.step) && FAULT_STEPS.indexOf(c.step) < FAULT_STEPS.indexOf('journal-removed')) {
      expect(recovery?.action).toBe('rolled-forward');
    }
    expect(classify(snapshot(outdir), oldTree, newTree)).toBe(expected);
    expectNoLeftovers(outdir);
  });

  test('the next writeOutput (same input) recovers first and gives the new set', () => {
    const outdir = prepared();
    crashAt(outdir, c);
    write(outdir, next);
    expect(classify(snapshot(outdir), oldTree, newTree)).toBe('new');
    expectNoLeftovers(outdir);
  });

  test('the next writeOutput (previous input) gives the old set', () => {
    const outdir = prepared();
    crashAt(outdir, c);
    write(outdir, old);
    expect(classify(snapshot(outdir), oldTree, newTree)).toBe('old');
    expectNoLeftovers(outdir);
  });
});

test('a writer killed between removing its transaction\'s staging folder and the empty staging/ leaves nothing behind', () => {
  // the window between the two removals (or between creating the two folders) is too short for the
  // random kills of crash.test.ts to hit reliably; it once did
  const outdir = prepared();
  fs.mkdirSync(path.join(outdir, '.cdk8s-stateful', 'staging'));
  expect(recoverOutput(outdir)).toBeUndefined();
  expectNoLeftovers(outdir);
  fs.mkdirSync(path.join(outdir, '.cdk8s-stateful', 'staging'));
  write(outdir, next);
  expect(classify(snapshot(outdir), oldTree, newTree)).toBe('new');
  expectNoLeftovers(outdir);
});

describe('a crash during the roll-forward is recovered by the next one', () => {
  const recoverySteps: FaultStep[] = ['deleted-file', 'renamed-file', 'manifest-renamed', 'applied', 'journal-removed', 'staging-removed'];
  const firstCrashes: Case[] = [{ step: COMMIT, occurrence: 1 }, { step: 'renamed-file', occurrence: 5 }];
  test.each(firstCrashes.flatMap(first => recoverySteps.map(second => ({ first, second }))))('write crashed at $first.step, recovery crashed at $second', ({ first, second }) => {
    const outdir = prepared();
    crashAt(outdir, first);
    let crashed = false;
    try {
      recoverOutput(outdir, {
        faultHook: step => {
          if (step === second && !crashed) {
            crashed = true;
            throw new Error('crash again');
          }
        },
      });
    } catch (e) {
      expect((e as Error).message).toBe('crash again');
    }
    recoverOutput(outdir);
    expect(classify(snapshot(outdir), oldTree, newTree)).toBe('new');
    expectNoLeftovers(outdir);
  });
});

test('staged files carry an extension neither Flux nor Argo CD reads as a manifest', () => {
  const outdir = prepared();
  let stagedNames: string[] = [];
  write(outdir, next, {
    faultHook: step => {
      if (step === 'staged-all') {
        const root = path.join(outdir, '.cdk8s-stateful/staging');
        stagedNames = fs.readdirSync(root).flatMap(tx => fs.readdirSync(path.join(root, tx)));
      }
    },
  });
  expect(stagedNames.length).toBeGreaterThan(10);
  for (const name of stagedNames) {
    expect(name).toMatch(/\.staged$/);
    expect(name).not.toMatch(/\.(ya?ml|json)$/);
  }
});
