import { spawnSync } from 'child_process';
import * as fs from 'fs';
import fsDefault from 'fs';
import * as path from 'path';
import * as fsutil from '../../../src/gitops/writer/fsutil';
import { inspectPath } from '../../../src/gitops/writer/fsutil';
import { OutputListing } from '../../../src/gitops/writer/listing';
import { tmpdir } from '../../util/tmp';

/**
 * A tree with what a checkout can hold in the way of output paths: files, folders, a file where a
 * folder is expected, symbolic links to a folder, to a file, dangling, and a FIFO.
 */
function hostileTree(): string {
  const dir = tmpdir('cdk8s-stateful-listing-');
  const outside = tmpdir('cdk8s-stateful-listing-outside-');
  fs.writeFileSync(path.join(outside, 'secret.yaml'), 'kind: Secret\n');
  fs.mkdirSync(path.join(dir, 'rendered', 'dev', 'shop'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'rendered', 'dev', 'shop', 'ConfigMap.a.yaml'), 'kind: ConfigMap\n');
  fs.writeFileSync(path.join(dir, 'rendered', 'dev', 'shop', 'ConfigMap.b.yaml'), 'kind: ConfigMap\nb: 1\n');
  fs.writeFileSync(path.join(dir, 'rendered', 'dev', 'file-not-folder'), 'x\n');
  fs.symlinkSync(outside, path.join(dir, 'rendered', 'dev', 'linked'));
  fs.symlinkSync(path.join(outside, 'secret.yaml'), path.join(dir, 'rendered', 'dev', 'shop', 'Secret.s.yaml'));
  fs.symlinkSync(path.join(outside, 'missing'), path.join(dir, 'rendered', 'dev', 'shop', 'dangling.yaml'));
  fs.mkdirSync(path.join(dir, 'rendered', 'dev', 'shop', 'Deployment.api.yaml'));
  spawnSync('mkfifo', [path.join(dir, 'rendered', 'dev', 'fifo.yaml')]);
  return dir;
}

const PATHS = [
  'README.md', 'rendered', 'rendered/dev', 'rendered/dev/shop', 'rendered/prod', 'rendered/prod/shop/ConfigMap.a.yaml',
  'rendered/dev/shop/ConfigMap.a.yaml', 'rendered/dev/shop/ConfigMap.b.yaml', 'rendered/dev/shop/ConfigMap.c.yaml',
  'rendered/dev/file-not-folder', 'rendered/dev/file-not-folder/ConfigMap.a.yaml', 'rendered/dev/linked',
  'rendered/dev/linked/secret.yaml', 'rendered/dev/linked/other.yaml', 'rendered/dev/shop/Secret.s.yaml',
  'rendered/dev/shop/dangling.yaml', 'rendered/dev/shop/Deployment.api.yaml', 'rendered/dev/fifo.yaml',
];

describe('OutputListing', () => {
  test('says what inspectPath says of every path, symbolic links, files in the way and special files included', () => {
    const dir = hostileTree();
    const listing = new OutputListing(dir);
    for (const p of PATHS) {
      expect([p, listing.stateOf(p)]).toEqual([p, inspectPath(path.join(dir, ...p.split('/')))]);
    }
  });

  test('one readdir per folder and no lstat for the paths it lists', () => {
    const dir = hostileTree();
    const readdir = jest.spyOn(fsDefault, 'readdirSync');
    const lstat = jest.spyOn(fsDefault, 'lstatSync');
    try {
      const listing = new OutputListing(dir);
      for (const p of PATHS) listing.stateOf(p);
      for (const p of PATHS) listing.stateOf(p);
      const listed = readdir.mock.calls.map(([p]) => path.relative(dir, String(p)));
      expect(new Set(listed).size).toBe(listed.length);
      expect(lstat).not.toHaveBeenCalled();
    } finally {
      readdir.mockRestore();
      lstat.mockRestore();
    }
  });

  test('bytesOf: the bytes a regular file was hashed from, without reading it again; nothing for anything else', () => {
    const dir = hostileTree();
    const listing = new OutputListing(dir);
    const read = jest.spyOn(fsDefault, 'readFileSync');
    try {
      for (const p of PATHS) {
        const state = listing.stateOf(p);
        const calls = read.mock.calls.length;
        const bytes = listing.bytesOf(p);
        if (state.kind === 'file') {
          expect(read.mock.calls.length).toBe(calls); // the bytes hashed, kept from the inspection
          expect([p, bytes]).toEqual([p, fs.readFileSync(path.join(dir, ...p.split('/')))]);
        } else {
          expect([p, bytes]).toEqual([p, undefined]); // no symbolic link followed, no FIFO opened
        }
      }
      // a file inspected earlier is read again (one file's bytes are kept, not the whole output)
      const calls = read.mock.calls.length;
      expect(listing.bytesOf('rendered/dev/shop/ConfigMap.a.yaml')!.toString('utf8')).toBe('kind: ConfigMap\n');
      expect(read.mock.calls.length).toBe(calls + 1);
    } finally {
      read.mockRestore();
    }
  });

  test('stateOf with the expected content: the same bytes take its hash unhashed, other bytes are hashed', () => {
    const dir = hostileTree();
    const hash = jest.spyOn(fsutil, 'sha256');
    try {
      const listing = new OutputListing(dir);
      const a = 'kind: ConfigMap\n';
      expect(listing.stateOf('rendered/dev/shop/ConfigMap.a.yaml', { content: a, sha256: fsutil.sha256(a) }))
        .toEqual(inspectPath(path.join(dir, 'rendered', 'dev', 'shop', 'ConfigMap.a.yaml')));
      hash.mockClear();
      expect(listing.stateOf('rendered/dev/shop/ConfigMap.b.yaml', { content: a, sha256: 'not looked at: the bytes differ' }))
        .toEqual(inspectPath(path.join(dir, 'rendered', 'dev', 'shop', 'ConfigMap.b.yaml')));
      expect(hash).toHaveBeenCalled(); // the file's bytes
      hash.mockClear();
      // the hash given is the one of the content: taken without hashing the file
      expect(new OutputListing(dir).stateOf('rendered/dev/shop/ConfigMap.a.yaml', { content: a, sha256: 'given' })).toEqual({ kind: 'file', sha256: 'given' });
      expect(hash).not.toHaveBeenCalled();
    } finally {
      hash.mockRestore();
    }
  });
});
