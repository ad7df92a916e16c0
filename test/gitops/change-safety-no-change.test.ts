/**
 * The unchanged-file skip of change safety (issue 21: one pass over the new objects, scopes compared
 * without building strings, identities without an array) on the odd values the full comparison
 * takes in its stride: it must give exactly what `analyzeChanges` gives.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { analyzeChanges, analyzeSkippingUnchanged, NextObject, readOutputFolder, unchangedFilesOf } from '../../src/gitops/change-safety';
import * as analyzeModule from '../../src/gitops/change-safety/analyze';
import { identity, scopeOf } from '../../src/gitops/change-safety/analyze';
import { writeOutput } from '../../src/gitops/writer';
import { canonicalJson, toYaml } from '../../src/private/canonical';
import { tmpdir } from '../util/tmp';

describe('identity', () => {
  test('is the parts joined with "|", null and undefined as empty', () => {
    const part = fc.oneof(fc.string({ maxLength: 4 }), fc.constant(undefined), fc.constant(null), fc.integer());
    fc.assert(fc.property(fc.record({
      environment: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
      cluster: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
      apiVersion: fc.constantFrom('v1', 'apps/v1', 'postgresql.cnpg.io/v1', ''),
      kind: fc.oneof(part, fc.constantFrom('Namespace', 'ClusterRole', 'ConfigMap')),
      namespace: part,
      name: part,
    }), (o) => {
      const m = { apiVersion: o.apiVersion, kind: o.kind, metadata: { namespace: o.namespace, name: o.name } };
      const clusterScoped = ['Namespace', 'ClusterRole'].includes(o.kind as string);
      const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
      const expected = [scopeOf(o), group, m.kind, clusterScoped ? '' : (o.namespace ?? ''), m.metadata.name].join('|');
      expect(identity({ environment: o.environment, cluster: o.cluster, manifest: m })).toBe(expected);
    }), { numRuns: 300 });
  });
});

describe('analyzeSkippingUnchanged', () => {
  const configMap = (name: string, value = 'x') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { value } });
  /** A previous output of `objects` (path → manifest), read back with the contents of `next`. */
  function previousOf(objects: Record<string, any>, next: NextObject[]) {
    const dir = tmpdir('cdk8s-stateful-no-change-');
    writeOutput({
      outdir: dir,
      libraryVersion: '0.0.0',
      files: Object.entries(objects).map(([file, m]) => ({ path: file, content: toYaml(m) })),
      environments: [{ name: 'dev', tier: 'DEVELOPMENT', cluster: 'undefined', namespace: 'shop', packs: [] }],
    });
    expect(fs.existsSync(path.join(dir, '.cdk8s-stateful', 'manifest.json'))).toBe(true);
    return readOutputFolder(dir, undefined, new Map(next.map((o) => [o.file, toYaml(o.manifest)])))!;
  }
  const normalized = (c: ReturnType<typeof analyzeChanges>) => ({
    added: c.added.map((o) => o.file),
    removed: c.removed.map((o) => o.file),
    changed: c.changed.map((x) => [x.before.file, x.after.file, x.fields]),
    renamed: c.renamed.map((x) => [x.before.file, x.after.file]),
    risks: c.risks.map((r) => ({ ...r, manifest: canonicalJson(r.manifest) })),
  });

  // [what, previous objects by path, new objects, whether the unchanged files are left out of the comparison]
  const cases: Array<[string, Record<string, any>, NextObject[], boolean]> = [
    ['a platform folder named "undefined", its objects of no cluster (the same scope as text)',
      { 'platform/undefined/a.yaml': configMap('a'), 'platform/undefined/b.yaml': configMap('b') },
      [{ file: 'platform/undefined/a.yaml', manifest: configMap('a'), cluster: undefined as any }, { file: 'platform/undefined/b.yaml', manifest: configMap('b'), cluster: 'undefined' }], true],
    ['an environment that is not text (the scope as text decides)',
      { 'rendered/7/a.yaml': configMap('a') },
      [{ file: 'rendered/7/a.yaml', manifest: configMap('a'), environment: 7 as any, cluster: 'c' }], true],
    ['an object in the environment folder with the environment of another',
      { 'rendered/dev/a.yaml': configMap('a'), 'rendered/dev/b.yaml': configMap('b') },
      [{ file: 'rendered/dev/a.yaml', manifest: configMap('a'), environment: 'prod', cluster: 'c' }, { file: 'rendered/dev/b.yaml', manifest: configMap('b'), environment: 'dev', cluster: 'c' }], false],
    ['a platform object in an environment folder',
      { 'rendered/dev/a.yaml': configMap('a') },
      [{ file: 'rendered/dev/a.yaml', manifest: configMap('a'), cluster: 'dev' }], false],
    ['two unchanged files holding one identity',
      { 'rendered/dev/a.yaml': configMap('a'), 'rendered/dev/a2.yaml': configMap('a') },
      [{ file: 'rendered/dev/a2.yaml', manifest: configMap('a'), environment: 'dev', cluster: 'c' }, { file: 'rendered/dev/a.yaml', manifest: configMap('a'), environment: 'dev', cluster: 'c' }], false],
    ['an unchanged file written by two new objects',
      { 'rendered/dev/a.yaml': configMap('a') },
      [{ file: 'rendered/dev/a.yaml', manifest: configMap('b'), environment: 'dev', cluster: 'c' }, { file: 'rendered/dev/a.yaml', manifest: configMap('a'), environment: 'dev', cluster: 'c' }], false],
    ['an unchanged file and a changed one holding its identity',
      { 'rendered/dev/a.yaml': configMap('a'), 'rendered/dev/b.yaml': configMap('b') },
      [{ file: 'rendered/dev/a.yaml', manifest: configMap('a'), environment: 'dev', cluster: 'c' }, { file: 'rendered/dev/b.yaml', manifest: configMap('a', 'y'), environment: 'dev', cluster: 'c' }], false],
    ['nothing changed',
      { 'rendered/dev/a.yaml': configMap('a'), 'platform/c/b.yaml': configMap('b') },
      [{ file: 'platform/c/b.yaml', manifest: configMap('b'), cluster: 'c' }, { file: 'rendered/dev/a.yaml', manifest: configMap('a'), environment: 'dev', cluster: 'c' }], true],
  ];
  test.each(cases)('%s: what the full comparison gives', (_what, objects, next, skips) => {
    const previous = previousOf(objects, next);
    expect(unchangedFilesOf(previous)!.files.size).toBeGreaterThan(0);
    const analyze = jest.spyOn(analyzeModule, 'analyzeChanges');
    let skipped: boolean;
    let fast: ReturnType<typeof analyzeChanges>;
    try {
      fast = analyzeSkippingUnchanged(previous, next);
      skipped = analyze.mock.calls.length === 1 && analyze.mock.calls[0][1].length < next.length;
    } finally {
      analyze.mockRestore();
    }
    expect(normalized(fast)).toEqual(normalized(analyzeChanges(previous.objects, next)));
    expect(skipped).toBe(skips);
  });
});
