/**
 * The shortcuts a re-synthesis that changes nothing takes in the writer (issue 21) against the
 * general code they stand for:
 * - the manifest's bytes without re-sorting every object's keys (serializeManifest) are
 *   `canonicalJson` of it, for any manifest, of the usual shape or not;
 * - the one-test check of plain output paths accepts only what the full path rules accept;
 * - the manifest's digests checked in one pass report the error a check of each in turn reports;
 * - the plan of a write with the same paths as the manifest (no owned/produced maps) is the plan
 *   of the general comparison, on random disk states (hand edits, files missing, directories,
 *   symbolic links in the way).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { sha, tmpDir } from './helpers';
import { WriterError } from '../../../src/gitops/writer';
import { canonicalJson } from '../../../src/gitops/writer/canonical-json';
import { buildManifest, OwnedManifest, parseManifest, serializeManifest } from '../../../src/gitops/writer/manifest';
import { assertSafeOutputPath, META_DIR } from '../../../src/gitops/writer/paths';
import { computePlan } from '../../../src/gitops/writer/plan';
import { HashedFile } from '../../../src/gitops/writer/request';

const RUNS = 200;

describe('serializeManifest is canonicalJson', () => {
  const text = fc.string({ maxLength: 6 });
  const environment = fc.record({ name: text, tier: text, cluster: text, namespace: text, packs: fc.array(text, { maxLength: 3 }) });
  const approval = fc.record({
    ruleId: text,
    reason: text,
    constructPath: text,
    kind: fc.option(text, { nil: undefined }),
    name: fc.option(text, { nil: undefined }),
    environment: fc.option(text, { nil: undefined }),
  });
  const ownedFile = fc.record({ path: text, sha256: text });

  test('of manifests buildManifest gives (with and without approvals)', () => {
    fc.assert(fc.property(fc.array(environment, { maxLength: 3 }), fc.array(ownedFile, { maxLength: 8 }), fc.array(approval, { maxLength: 3 }),
      (envs, files, approvals) => {
        const m = buildManifest('1.2.3', envs, files, approvals);
        expect(serializeManifest(m)).toBe(canonicalJson(m));
      }), { numRuns: RUNS });
  });

  test('of manifests of any other shape (extra or missing keys, other types, integer-like keys)', () => {
    const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean(),
      fc.dictionary(fc.constantFrom('1', '0', 'b', 'a', '__proto__', 'path'), text, { maxKeys: 3 }));
    const oddFile = fc.oneof(ownedFile, fc.record({ path: value, sha256: value }), fc.dictionary(fc.constantFrom('path', 'sha256', 'x', '1'), value, { maxKeys: 3 }));
    const oddEnvironment = fc.oneof(environment,
      fc.record({ name: value, tier: text, cluster: text, namespace: text, packs: fc.array(value, { maxLength: 2 }) }),
      fc.dictionary(fc.constantFrom('name', 'tier', 'extra'), value, { maxKeys: 3 }));
    const manifest = fc.record({
      formatVersion: fc.oneof(fc.constant(1), fc.double(), value),
      libraryVersion: value,
      environments: fc.oneof(fc.array(oddEnvironment, { maxLength: 3 }), value),
      files: fc.oneof(fc.array(oddFile, { maxLength: 5 }), value),
      changeApprovals: fc.oneof(fc.constant(undefined), fc.array(approval, { maxLength: 2 }), value),
      extra: fc.oneof(fc.constant(undefined), value),
    }, { requiredKeys: ['formatVersion', 'libraryVersion', 'environments', 'files'] });
    fc.assert(fc.property(manifest, (m) => {
      expect(serializeManifest(m as unknown as OwnedManifest)).toBe(canonicalJson(m));
    }), { numRuns: RUNS * 3 });
  });
});

/** The path rules as they were written before the one-test shortcut (the oracle). */
function pathProblem(p: string): string | undefined {
  if (typeof p !== 'string' || p.length === 0) return 'empty';
  if (p.includes('\\') || p.includes('\0') || p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'form';
  const segments = p.split('/');
  if (segments.some((s) => s === '' || s === '..' || s === '.')) return 'segment';
  if (segments[0].toLowerCase() === META_DIR) return 'state';
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'git';
  return undefined;
}

describe('assertSafeOutputPath', () => {
  test('accepts exactly the paths the rules accept', () => {
    const piece = fc.constantFrom('a', 'B', '0', '-', '_', '.', '..', '/', '//', '\\', '\0', ':', 'C:', '.git', '.GiT', '.cdk8s-stateful', '.Cdk8s-Stateful',
      'x.yaml', ' ', 'é', '\n', '~', '*');
    fc.assert(fc.property(fc.array(piece, { minLength: 0, maxLength: 6 }), (pieces) => {
      const p = pieces.join('');
      let accepted = true;
      try {
        assertSafeOutputPath(p);
      } catch (e) {
        expect(e).toBeInstanceOf(WriterError);
        accepted = false;
      }
      expect([p, accepted]).toEqual([p, pathProblem(p) === undefined]);
    }), { numRuns: RUNS * 5 });
  });
});

describe('parseManifest: the digests checked in one pass', () => {
  const manifestText = (files: { path: unknown; sha256: unknown }[]) => JSON.stringify({ formatVersion: 1, libraryVersion: '1.2.3', environments: [], files });
  const good = 'a'.repeat(64);
  const errorOf = (text: string): string => {
    try {
      parseManifest(text);
    } catch (e) {
      return (e as Error).message;
    }
    return 'valid';
  };

  test('a digest that is not lower-case hex is refused, the first one named', () => {
    expect(errorOf(manifestText([{ path: 'a.yaml', sha256: good }, { path: 'b.yaml', sha256: 'A'.repeat(64) }, { path: 'c.yaml', sha256: 'g'.repeat(64) }])))
      .toMatch(/files\[1\]\.sha256 is not a sha256 hex digest/);
    expect(errorOf(manifestText([{ path: 'a.yaml', sha256: good.slice(1) }]))).toMatch(/files\[0\]\.sha256/);
  });

  test('an entry after a bad digest is reported after it; a bad entry before one is reported first', () => {
    expect(errorOf(manifestText([{ path: 'a.yaml', sha256: 'z'.repeat(64) }, { path: '../x', sha256: good }]))).toMatch(/files\[0\]\.sha256/);
    expect(errorOf(manifestText([{ path: 'a.yaml', sha256: 'z'.repeat(64) }, { path: 'a.yaml', sha256: good }]))).toMatch(/files\[0\]\.sha256/);
    expect(errorOf(manifestText([{ path: 'a.yaml', sha256: 'z'.repeat(64) }, { path: 7, sha256: good }]))).toMatch(/files\[0\]\.sha256/);
    expect(errorOf(manifestText([{ path: '../x', sha256: good }, { path: 'a.yaml', sha256: 'z'.repeat(64) }]))).toMatch(/"\.\.\/x".*"\.\." segments/);
    expect(errorOf(manifestText([{ path: 'a.yaml', sha256: good }, { path: 'b/c.yaml', sha256: good }]))).toBe('valid');
  });
});

describe('parseManifest: paths listed twice', () => {
  test('found at the entry that repeats one, in order or not', () => {
    const good = 'b'.repeat(64);
    fc.assert(fc.property(fc.array(fc.constantFrom('a.yaml', 'b.yaml', 'c/d.yaml', 'c/e.yaml', 'f.yaml'), { maxLength: 6 }), fc.boolean(), (paths, sorted) => {
      const list = sorted ? [...paths].sort() : paths;
      const text = JSON.stringify({ formatVersion: 1, libraryVersion: '1.2.3', environments: [], files: list.map((p) => ({ path: p, sha256: good })) });
      const twice = list.find((p, i) => list.indexOf(p) < i);
      if (twice === undefined) expect(parseManifest(text).files.map((f) => f.path)).toEqual(list);
      else expect(() => parseManifest(text)).toThrow(`${twice} is listed twice`);
    }), { numRuns: RUNS });
  });
});

describe('computePlan with the same paths as the manifest', () => {
  const PATHS = ['README.md', 'rendered/dev/a.yaml', 'rendered/dev/b.yaml', 'rendered/prod/a.yaml', 'rendered/prod/sub/c.yaml'];
  type DiskState = 'as-recorded' | 'new-content' | 'hand-edited' | 'missing' | 'directory' | 'symlink' | 'folder-symlink';
  const diskState = fc.constantFrom<DiskState>('as-recorded', 'new-content', 'hand-edited', 'missing', 'directory', 'symlink', 'folder-symlink');

  test('gives the plan of the general comparison (the manifest listed in another order), on random disk states', () => {
    fc.assert(fc.property(fc.array(diskState, { minLength: PATHS.length, maxLength: PATHS.length }), fc.boolean(), (states, overwrite) => {
      const outdir = tmpDir('plan-same-paths');
      const outside = tmpDir('plan-same-paths-outside');
      const recorded = (p: string) => `recorded ${p}\n`;
      const files: HashedFile[] = PATHS.map((p, i) => {
        const content = i % 2 === 0 ? recorded(p) : `new ${p}\n`;
        return { path: p, content, sha256: sha(content) };
      });
      PATHS.forEach((p, i) => {
        const abs = path.join(outdir, ...p.split('/'));
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        const state = states[i];
        if (state === 'missing' || (state === 'folder-symlink' && fs.existsSync(path.dirname(abs)) && fs.lstatSync(path.dirname(abs)).isSymbolicLink())) return;
        if (state === 'directory') {fs.mkdirSync(abs);} else if (state === 'symlink') {fs.symlinkSync(path.join(outside, 'x'), abs);} else if (state === 'folder-symlink' && p.includes('/')) {
          // the folder of the file is a link to a copy holding the recorded bytes
          const copy = path.join(outside, `copy-${i}`);
          fs.mkdirSync(copy, { recursive: true });
          fs.writeFileSync(path.join(copy, path.basename(abs)), recorded(p));
          fs.rmSync(path.dirname(abs), { recursive: true, force: true });
          fs.symlinkSync(copy, path.dirname(abs));
        } else {
          fs.writeFileSync(abs, state === 'new-content' ? files[i].content : state === 'hand-edited' ? `edited ${p}\n` : recorded(p));
        }
      });
      const previous = buildManifest('1.2.3', [], PATHS.map((p) => ({ path: p, sha256: sha(recorded(p)) })));
      const reordered: OwnedManifest = { ...previous, files: [...previous.files].reverse() };
      const same = computePlan(outdir, files, previous, overwrite);
      const general = computePlan(outdir, files, reordered, overwrite);
      expect(same).toEqual(general);
      expect(same.deletes).toEqual([]);
      expect(same.released).toEqual([]);
    }), { numRuns: 60 });
  });
});
