import fsDefault from 'fs';
import * as fs from 'fs';
import * as path from 'path';
import { addHandFiles, backdate, file, HAND_FILES, mtimeMs, outputSets, sha, snapshot, tmpDir, write } from './helpers';
import { readOwnedManifest, verifyOwnedFiles, WriterError } from '../../../src/gitops/writer';

const OLD_TIME = new Date('2001-01-01T00:00:00Z').getTime();

function expectWriterError(fn: () => unknown, code: string, message: RegExp | string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WriterError);
  expect((error as WriterError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('first write', () => {
  test('creates a missing outdir (and its parents) and records every file', () => {
    const outdir = path.join(tmpDir(), 'a', 'b', 'out');
    const { old } = outputSets(6);
    const result = write(outdir, old);
    expect(result.written).toEqual(old.map(f => f.path).sort());
    expect(result.unchanged).toEqual([]);
    expect(result.manifestWritten).toBe(true);
    for (const f of old) expect(fs.readFileSync(path.join(outdir, f.path), 'utf8')).toBe(f.content);
    const manifest = readOwnedManifest(outdir)!;
    expect(manifest.files.map(f => f.path)).toEqual(old.map(f => f.path).sort());
    // only the manifest remains in the state folder: no lock, journal or staging
    expect(fs.readdirSync(path.join(outdir, '.cdk8s-stateful'))).toEqual(['manifest.json']);
  });

  test('keeps unrelated files of an existing directory, bytes and mtime', () => {
    const outdir = tmpDir();
    addHandFiles(outdir);
    backdate(outdir);
    const before = snapshot(outdir);
    write(outdir, outputSets(6).old);
    const after = snapshot(outdir);
    for (const p of Object.keys(HAND_FILES)) {
      expect(after.files[p]).toBe(before.files[p]);
      expect(mtimeMs(path.join(outdir, p))).toBe(OLD_TIME);
    }
  });
});

describe('unchanged files are not rewritten', () => {
  test('a second write with identical input writes nothing, not even the manifest', () => {
    const outdir = tmpDir();
    const { old } = outputSets(9);
    write(outdir, old);
    backdate(outdir);
    const result = write(outdir, old);
    expect(result).toEqual({ written: [], unchanged: old.map(f => f.path).sort(), deleted: [], released: [], manifestWritten: false });
    for (const p of Object.keys(snapshot(outdir).files)) expect(mtimeMs(path.join(outdir, p))).toBe(OLD_TIME);
  });

  test('only changed and added files get a new mtime', () => {
    const outdir = tmpDir();
    const { old, next } = outputSets(9);
    write(outdir, old);
    backdate(outdir);
    const result = write(outdir, next);
    const oldByPath = new Map(old.map(f => [f.path, f.content]));
    for (const f of next) {
      const same = oldByPath.get(f.path) === f.content;
      expect(result.unchanged.includes(f.path)).toBe(same);
      expect(result.written.includes(f.path)).toBe(!same);
      if (same) expect(mtimeMs(path.join(outdir, f.path))).toBe(OLD_TIME);
      else expect(mtimeMs(path.join(outdir, f.path))).toBeGreaterThan(OLD_TIME);
    }
  });

  test('a file the user deleted is written again', () => {
    const outdir = tmpDir();
    write(outdir, [file('a.yaml'), file('b.yaml')]);
    fs.rmSync(path.join(outdir, 'a.yaml'));
    expect(write(outdir, [file('a.yaml'), file('b.yaml')]).written).toEqual(['a.yaml']);
    expect(fs.existsSync(path.join(outdir, 'a.yaml'))).toBe(true);
  });
});

describe('pruning', () => {
  test('removes owned files no longer produced and the folders they leave empty, nothing else', () => {
    const outdir = tmpDir();
    addHandFiles(outdir);
    fs.mkdirSync(path.join(outdir, 'empty-user-folder'));
    const { old, next } = outputSets(9);
    write(outdir, old);
    const result = write(outdir, next);

    const nextPaths = new Set(next.map(f => f.path));
    const removed = old.map(f => f.path).filter(p => !nextPaths.has(p)).sort();
    expect(result.deleted).toEqual(removed);
    for (const p of removed) expect(fs.existsSync(path.join(outdir, p))).toBe(false);
    // emptied by the pruning: removed up to (not including) the first folder that holds something
    expect(fs.existsSync(path.join(outdir, 'platform/eu-1/deep'))).toBe(false);
    expect(fs.existsSync(path.join(outdir, 'platform/eu-1'))).toBe(true);
    // still holding a user's file: kept
    expect(fs.readdirSync(path.join(outdir, 'rendered/retired/data'))).toEqual(['KEEP.txt']);
    // untouched: the user's files and the user's empty folder
    for (const [p, content] of Object.entries(HAND_FILES)) expect(fs.readFileSync(path.join(outdir, p), 'utf8')).toBe(content);
    expect(fs.existsSync(path.join(outdir, 'empty-user-folder'))).toBe(true);
    expect(readOwnedManifest(outdir)!.files.map(f => f.path)).toEqual([...nextPaths].sort());
  });

  test('an empty output set prunes everything the library wrote but keeps the outdir', () => {
    const outdir = tmpDir();
    write(outdir, outputSets(3).old);
    write(outdir, []);
    expect(snapshot(outdir)).toEqual({ files: { '.cdk8s-stateful/manifest.json': expect.any(String) }, dirs: ['.cdk8s-stateful'] });
  });

  test('an owned file can become a folder of a new output (deleted before the rename)', () => {
    const outdir = tmpDir();
    write(outdir, [file('x/config')]);
    write(outdir, [file('x/config/a.yaml')]);
    expect(snapshot(outdir).files['x/config/a.yaml']).toBeDefined();
  });
});

describe('files the library does not own', () => {
  test('a colliding user file is an error naming it, and nothing is written', () => {
    const outdir = tmpDir();
    addHandFiles(outdir);
    const before = snapshot(outdir);
    expectWriterError(() => write(outdir, [file('a.yaml'), file('notes/by-hand.md')]), 'CONFLICT', /notes\/by-hand\.md: exists and was not written by cdk8s-stateful/);
    expect(snapshot(outdir)).toEqual(before); // not even .cdk8s-stateful/
  });

  test('a colliding user file is an error even with identical bytes', () => {
    const outdir = tmpDir();
    fs.writeFileSync(path.join(outdir, 'a.yaml'), 'same\n');
    expectWriterError(() => write(outdir, [file('a.yaml', 'same\n')]), 'CONFLICT', /a\.yaml/);
  });

  test('after an earlier write, a collision leaves the previous output as it was', () => {
    const outdir = tmpDir();
    const { old, next } = outputSets(6);
    write(outdir, old);
    fs.mkdirSync(path.join(outdir, 'rendered/staging/data-stg'), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'rendered/staging/data-stg/ConfigMap.new-1.yaml'), 'mine\n');
    const before = snapshot(outdir);
    expectWriterError(() => write(outdir, next), 'CONFLICT', /ConfigMap\.new-1\.yaml/);
    expect(snapshot(outdir)).toEqual(before);
  });

  test('a directory, a file or a symbolic link in the way is a conflict', () => {
    const outdir = tmpDir();
    const elsewhere = tmpDir();
    fs.mkdirSync(path.join(outdir, 'dir.yaml'));
    fs.writeFileSync(path.join(outdir, 'plain'), 'x\n');
    fs.symlinkSync(elsewhere, path.join(outdir, 'link'));
    expectWriterError(() => write(outdir, [file('dir.yaml')]), 'CONFLICT', /dir\.yaml: is a directory/);
    expectWriterError(() => write(outdir, [file('plain/a.yaml')]), 'CONFLICT', /plain is in the way/);
    expectWriterError(() => write(outdir, [file('link/a.yaml')]), 'CONFLICT', /link is in the way \(a symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

describe('hand-edited owned files', () => {
  test('still produced: a conflict unless overwriteModified', () => {
    const outdir = tmpDir();
    write(outdir, [file('a.yaml', 'v1\n'), file('b.yaml', 'v1\n')]);
    fs.writeFileSync(path.join(outdir, 'a.yaml'), 'edited by hand\n');
    expectWriterError(() => write(outdir, [file('a.yaml', 'v2\n'), file('b.yaml', 'v2\n')]), 'CONFLICT', /a\.yaml: was edited by hand/);
    expect(fs.readFileSync(path.join(outdir, 'b.yaml'), 'utf8')).toBe('v1\n'); // nothing written
    expect(verifyOwnedFiles(outdir)).toMatchObject({ ok: false, modified: ['a.yaml'], missing: [] });

    const result = write(outdir, [file('a.yaml', 'v2\n'), file('b.yaml', 'v2\n')], { overwriteModified: true });
    expect(result.written).toEqual(['a.yaml', 'b.yaml']);
    expect(fs.readFileSync(path.join(outdir, 'a.yaml'), 'utf8')).toBe('v2\n');
  });

  test('still produced, and the edit equals the new content: unchanged', () => {
    const outdir = tmpDir();
    write(outdir, [file('a.yaml', 'v1\n')]);
    fs.writeFileSync(path.join(outdir, 'a.yaml'), 'v2\n');
    expect(write(outdir, [file('a.yaml', 'v2\n')]).unchanged).toEqual(['a.yaml']);
  });

  test('no longer produced: kept, released from the manifest, and a user file from then on', () => {
    const outdir = tmpDir();
    write(outdir, [file('a.yaml', 'v1\n'), file('dir/b.yaml', 'v1\n')]);
    fs.writeFileSync(path.join(outdir, 'dir/b.yaml'), 'edited by hand\n');
    const result = write(outdir, [file('a.yaml', 'v1\n')]);
    expect(result.deleted).toEqual([]);
    expect(result.released).toEqual(['dir/b.yaml']);
    expect(fs.readFileSync(path.join(outdir, 'dir/b.yaml'), 'utf8')).toBe('edited by hand\n');
    expect(readOwnedManifest(outdir)!.files.map(f => f.path)).toEqual(['a.yaml']);
    // producing it again now collides with a user's file
    expectWriterError(() => write(outdir, [file('a.yaml', 'v1\n'), file('dir/b.yaml', 'v1\n')]), 'CONFLICT', /dir\/b\.yaml: exists and was not written/);
  });
});

test('an owned file now behind a symbolic link is released, never deleted through the link', () => {
  const outdir = tmpDir();
  const elsewhere = tmpDir();
  write(outdir, [file('a.yaml'), file('sub/b.yaml', 'b\n')]);
  fs.writeFileSync(path.join(elsewhere, 'b.yaml'), 'b\n');
  fs.rmSync(path.join(outdir, 'sub'), { recursive: true });
  fs.symlinkSync(elsewhere, path.join(outdir, 'sub'));
  expect(write(outdir, [file('a.yaml')])).toMatchObject({ deleted: [], released: ['sub/b.yaml'] });
  expect(fs.readFileSync(path.join(elsewhere, 'b.yaml'), 'utf8')).toBe('b\n');
});

describe('real errors (not crashes) during a write', () => {
  afterEach(() => jest.restoreAllMocks());

  test('before the commit: the staging is discarded at once, the previous set stays', () => {
    const outdir = tmpDir();
    const { old, next } = outputSets(6);
    write(outdir, old);
    const before = snapshot(outdir);
    const realOpen = fsDefault.openSync;
    let calls = 0;
    jest.spyOn(fsDefault, 'openSync').mockImplementation(((...args: Parameters<typeof fs.openSync>) => {
      if (args[1] === 'wx' && String(args[0]).includes('staging') && ++calls === 3) {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
      return realOpen(...args);
    }) as typeof fs.openSync);
    expect(() => write(outdir, next)).toThrow(/ENOSPC/);
    expect(snapshot(outdir)).toEqual(before);
  });

  test('after the commit: rolled forward at once, the new set is complete', () => {
    const outdir = tmpDir();
    const { old, next } = outputSets(6);
    write(outdir, old);
    const reference = tmpDir();
    write(reference, old);
    write(reference, next);
    const realRename = fsDefault.renameSync;
    let calls = 0;
    jest.spyOn(fsDefault, 'renameSync').mockImplementation((from, to) => {
      if (String(from).endsWith('.staged') && ++calls === 2) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      realRename(from, to);
    });
    expect(() => write(outdir, next)).toThrow(/EIO/);
    expect(snapshot(outdir)).toEqual(snapshot(reference));
  });
});

describe('verifyOwnedFiles', () => {
  test('reports modified, missing and unknown files', () => {
    const outdir = tmpDir();
    addHandFiles(outdir);
    write(outdir, [file('a.yaml'), file('b.yaml'), file('c.yaml')]);
    expect(verifyOwnedFiles(outdir)).toEqual({
      ok: true, hasManifest: true, modified: [], missing: [], unknown: Object.keys(HAND_FILES).sort(), interrupted: false,
    });
    fs.writeFileSync(path.join(outdir, 'a.yaml'), 'changed\n');
    fs.rmSync(path.join(outdir, 'b.yaml'));
    expect(verifyOwnedFiles(outdir)).toMatchObject({ ok: false, modified: ['a.yaml'], missing: ['b.yaml'] });
    expect(sha(fs.readFileSync(path.join(outdir, 'c.yaml')))).toBe(readOwnedManifest(outdir)!.files[2].sha256);
  });

  test('a directory the library never wrote to', () => {
    expect(verifyOwnedFiles(tmpDir())).toMatchObject({ ok: true, hasManifest: false, modified: [], missing: [] });
  });
});
