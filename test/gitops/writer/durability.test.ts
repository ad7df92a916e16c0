import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { file, tmpDir, write } from './helpers';
import { readOwnedManifest } from '../../../src/gitops/writer';
import { acquireLock } from '../../../src/gitops/writer/lock';

// the writer's processes and fsyncs, counted (each still runs)
jest.mock('child_process', () => {
  const actual = jest.requireActual('child_process');
  return { ...actual, spawnSync: jest.fn(actual.spawnSync) };
});
jest.mock('fs', () => {
  const actual = jest.requireActual('fs');
  return { ...actual, fsyncSync: jest.fn(actual.fsyncSync) };
});
const spawned = childProcess.spawnSync as unknown as jest.Mock;
const fsynced = fs.fsyncSync as unknown as jest.Mock;

/** `sync -f` processes started while `fn` ran, and the fsync calls it made. */
function count(fn: () => void): { syncs: number; fsyncs: number } {
  spawned.mockClear();
  fsynced.mockClear();
  fn();
  return { syncs: spawned.mock.calls.filter(([cmd]) => cmd === 'sync').length, fsyncs: fsynced.mock.calls.length };
}

describe('what the writer makes durable, and how (issue 21: a small write spawns no process)', () => {
  test('a write of a few files: each staged file and each directory fsynced, no `sync -f` process', () => {
    const outdir = path.join(tmpDir(), 'out');
    const files = [file('rendered/dev/a.yaml'), file('rendered/dev/b.yaml')];
    const { syncs, fsyncs } = count(() => write(outdir, files));
    expect(syncs).toBe(0);
    // 2 staged files + the manifest, the journal, and the directories (staging, the renames' targets)
    expect(fsyncs).toBeGreaterThanOrEqual(3 + 1 + 4);
    for (const f of files) expect(fs.readFileSync(path.join(outdir, f.path), 'utf8')).toBe(f.content);
    expect(readOwnedManifest(outdir)!.files.map((f) => f.path).sort()).toEqual(files.map((f) => f.path));

    // a re-synthesis changing one file: the same
    const changed = [file('rendered/dev/a.yaml', 'kind: ConfigMap\n# changed\n'), files[1]];
    expect(count(() => write(outdir, changed)).syncs).toBe(0);
    expect(fs.readFileSync(path.join(outdir, 'rendered/dev/a.yaml'), 'utf8')).toBe(changed[0].content);
  });

  test('a large write: one filesystem sync for the staged files and one for the folders, not an fsync each', () => {
    const outdir = path.join(tmpDir(), 'out');
    const files = Array.from({ length: 40 }, (_, i) => file(`rendered/d${i % 8}/f${String(i).padStart(3, '0')}.yaml`));
    write(path.join(tmpDir(), 'warm-up'), [file('a.yaml')]); // the per-user key of origin.ts, created once
    const { syncs, fsyncs } = count(() => write(outdir, files));
    expect(syncs).toBe(2);
    // the journal (its file and its folder when committed, its folder when removed) and nothing
    // else: the filesystem syncs cover the staging folders, and the lock is never fsynced
    expect(fsyncs).toBe(3);
    for (const f of files) expect(fs.readFileSync(path.join(outdir, f.path), 'utf8')).toBe(f.content);
  });

  test('the lock is not fsynced: a lock stands between live processes only', () => {
    const outdir = path.join(tmpDir(), 'out');
    const { fsyncs } = count(() => acquireLock(outdir).release());
    expect(fsyncs).toBe(0);
  });
});
