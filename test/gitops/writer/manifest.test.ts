import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS, file, LIB_VERSION, sha, snapshot, tmpDir, write } from './helpers';
import { readOwnedManifest, writeOutput, WriterError } from '../../../src/gitops/writer';

const MANIFEST = '.cdk8s-stateful/manifest.json';

describe('owned-files manifest', () => {
  test('is canonical JSON: sorted keys, 2-space indent, LF, trailing newline, no timestamps', () => {
    const outdir = tmpDir();
    write(outdir, [file('b.yaml', 'b\n'), file('a/x.yaml', 'x\n')]);
    const text = fs.readFileSync(path.join(outdir, MANIFEST), 'utf8');
    expect(text).toBe(`{
  "environments": [
    {
      "cluster": "dev-1",
      "name": "dev",
      "namespace": "data-dev",
      "packs": [
        "PSS"
      ],
      "tier": "DEVELOPMENT"
    },
    {
      "cluster": "eu-1",
      "name": "prod",
      "namespace": "data",
      "packs": [
        "DATA",
        "PSS"
      ],
      "tier": "PRODUCTION"
    }
  ],
  "files": [
    {
      "path": "a/x.yaml",
      "sha256": "${sha('x\n')}"
    },
    {
      "path": "b.yaml",
      "sha256": "${sha('b\n')}"
    }
  ],
  "formatVersion": 1,
  "libraryVersion": "${LIB_VERSION}"
}
`);
    expect(text).not.toContain('\r');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  test('same input, same bytes: order of files and environments does not matter', () => {
    const a = tmpDir();
    const b = tmpDir();
    write(a, [file('1.yaml'), file('2.yaml'), file('3.yaml')]);
    writeOutput({ outdir: b, files: [file('3.yaml'), file('1.yaml'), file('2.yaml')], libraryVersion: LIB_VERSION, environments: [...ENVIRONMENTS].reverse() });
    expect(snapshot(a)).toEqual(snapshot(b));
  });

  test('a change of environment records alone rewrites only the manifest', () => {
    const outdir = tmpDir();
    write(outdir, [file('a.yaml')]);
    const result = write(outdir, [file('a.yaml')], { environments: [{ ...ENVIRONMENTS[0], packs: ['PSS'] }] });
    expect(result).toMatchObject({ written: [], deleted: [], manifestWritten: true });
    expect(readOwnedManifest(outdir)!.environments).toEqual([{ ...ENVIRONMENTS[0], packs: ['PSS'] }]);
  });

  test('readOwnedManifest: undefined where the library never wrote', () => {
    expect(readOwnedManifest(tmpDir())).toBeUndefined();
  });

  test.each([
    ['invalid JSON', '{', /invalid JSON/],
    ['a newer format', JSON.stringify({ formatVersion: 2, libraryVersion: '9.0.0', environments: [], files: [] }), /newer cdk8s-stateful \(9\.0\.0\).*Upgrade/],
    ['an unsafe path', JSON.stringify({ formatVersion: 1, libraryVersion: '1', environments: [], files: [{ path: '../../etc/passwd', sha256: sha('') }] }), /"\.\." segments/],
    ['a bad hash', JSON.stringify({ formatVersion: 1, libraryVersion: '1', environments: [], files: [{ path: 'a.yaml', sha256: 'abc' }] }), /sha256/],
  ])('a manifest with %s is CORRUPT_STATE and nothing is written', (_name, text, why) => {
    const outdir = tmpDir();
    fs.mkdirSync(path.join(outdir, '.cdk8s-stateful'));
    fs.writeFileSync(path.join(outdir, MANIFEST), text);
    const before = snapshot(outdir);
    let error: unknown;
    try {
      write(outdir, [file('a.yaml')]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WriterError);
    expect((error as WriterError).code).toBe('CORRUPT_STATE');
    expect((error as Error).message).toMatch(why);
    expect(snapshot(outdir)).toEqual(before);
  });
});
