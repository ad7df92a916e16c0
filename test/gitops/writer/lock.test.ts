import * as child from 'child_process';
import fsDefault from 'fs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { file, snapshot, tmpDir, write } from './helpers';
import { recoverOutput, WriterError } from '../../../src/gitops/writer';

function lockPath(outdir: string): string {
  return path.join(outdir, '.cdk8s-stateful', 'lock');
}

function plantLock(outdir: string, content: object | string): void {
  fs.mkdirSync(path.join(outdir, '.cdk8s-stateful'), { recursive: true });
  fs.writeFileSync(lockPath(outdir), typeof content === 'string' ? content : JSON.stringify(content));
}

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const pid = child.spawnSync(process.execPath, ['-e', '']).pid!;
  expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  return pid;
}

function lockedError(fn: () => unknown): WriterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WriterError);
    expect((e as WriterError).code).toBe('LOCKED');
    return e as WriterError;
  }
  throw new Error('expected a LOCKED error');
}

describe('lock', () => {
  test('holds pid, hostname and start time while writing, and is released afterwards', () => {
    const outdir = tmpDir();
    let seen: any;
    write(outdir, [file('a.yaml')], {
      faultHook: step => {
        if (step === 'lock-acquired') seen = JSON.parse(fs.readFileSync(lockPath(outdir), 'utf8'));
      },
    });
    expect(seen).toMatchObject({ pid: process.pid, hostname: os.hostname(), startedAt: expect.stringMatching(/^\d{4}-/) });
    expect(fs.existsSync(lockPath(outdir))).toBe(false);
  });

  test('a live holder makes a second writer fail with a clear error, and nothing changes', () => {
    const outdir = tmpDir();
    write(outdir, [file('a.yaml', 'v1\n')]);
    plantLock(outdir, { pid: process.ppid, hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z', token: 'x' });
    const before = snapshot(outdir);
    const error = lockedError(() => write(outdir, [file('a.yaml', 'v2\n')]));
    expect(error.message).toContain(`another synthesis is writing to ${outdir} (pid ${process.ppid}`);
    expect(error.message).toContain(lockPath(outdir)); // tells how to clear it by hand
    expect(snapshot(outdir)).toEqual(before); // the other writer's lock is left alone too
    expect(() => recoverOutput(outdir)).toThrow(/another synthesis is writing/);
  });

  test('a write already running in the same process counts as live', () => {
    const outdir = tmpDir();
    let inner: unknown;
    write(outdir, [file('a.yaml')], {
      faultHook: step => {
        if (step === 'planned') {
          try {
            write(outdir, [file('b.yaml')]);
          } catch (e) {
            inner = e;
          }
        }
      },
    });
    expect((inner as Error).message).toContain(`(pid ${process.pid}`);
  });

  test('a lock left by a dead process on this host is taken over', () => {
    const outdir = tmpDir();
    plantLock(outdir, { pid: deadPid(), hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z', token: 'dead' });
    expect(write(outdir, [file('a.yaml')]).written).toEqual(['a.yaml']);
    expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['manifest.json']);
  });

  test('a lock of another host is never taken over (its processes cannot be checked)', () => {
    const outdir = tmpDir();
    plantLock(outdir, { pid: deadPid(), hostname: 'ci-runner-7', startedAt: '2024-01-01T00:00:00.000Z', token: 'x' });
    expect(lockedError(() => write(outdir, [file('a.yaml')])).message).toMatch(/\(pid \d+ on host ci-runner-7/);
  });

  test('an empty lock (writer died between create and write) is stale only after a grace period', () => {
    const outdir = tmpDir();
    plantLock(outdir, '');
    expect(lockedError(() => write(outdir, [file('a.yaml')])).message).toMatch(/being created/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath(outdir), old, old);
    expect(write(outdir, [file('a.yaml')]).written).toEqual(['a.yaml']);
  });

  test('released when the write fails', () => {
    const outdir = tmpDir();
    fs.writeFileSync(path.join(outdir, 'a.yaml'), 'mine\n');
    write(outdir, [file('b.yaml')]);
    expect(() => write(outdir, [file('a.yaml')])).toThrow(/a\.yaml/);
    expect(fs.existsSync(lockPath(outdir))).toBe(false);
    expect(() => write(outdir, [file('b.yaml'), file('c.yaml')], {
      faultHook: s => {
        if (s === 'renamed-file') throw new Error('boom');
      },
    })).toThrow('boom');
    expect(fs.existsSync(lockPath(outdir))).toBe(false);
  });

  test('taking over a stale lock never removes a fresh lock that replaced it meanwhile', () => {
    const outdir = tmpDir();
    plantLock(outdir, { pid: deadPid(), hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z', token: 'dead' });
    const fresh = JSON.stringify({ pid: process.ppid, hostname: os.hostname(), startedAt: '2024-01-02T00:00:00.000Z', token: 'fresh' });
    const realRename = fsDefault.renameSync;
    jest.spyOn(fsDefault, 'renameSync').mockImplementation((from, to) => {
      if (from === lockPath(outdir)) {
        // another process took the stale lock over and created its own just before our rename
        fs.rmSync(lockPath(outdir));
        fs.writeFileSync(lockPath(outdir), fresh);
      }
      realRename(from, to);
    });
    try {
      expect(lockedError(() => write(outdir, [file('a.yaml')])).message).toContain(`(pid ${process.ppid}`);
    } finally {
      jest.restoreAllMocks();
    }
    expect(fs.readFileSync(lockPath(outdir), 'utf8')).toBe(fresh);
    expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['lock']);
  });
});
