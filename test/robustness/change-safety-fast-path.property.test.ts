/**
 * The fast paths of change safety against the full comparison, on random previous outputs and
 * random changes (kept, edited, renamed, removed and added objects; files hand-edited on disk;
 * identities held twice; objects whose scope is not their path's; tiers going down):
 * - reading the previous output with the new contents (unchanged files neither parsed nor, from
 *   Git, read) gives the same objects, change set and findings as reading everything, from the
 *   output folder and from the committed tree;
 * - rename matching through the lookup table gives the pairs of the all-pairs search it replaced
 *   (kept below as the oracle).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { params, RUNS } from './harness';
import {
  AppliedChangeApproval, analyzeChanges, ChangeSet, gitBlobId, judgeChanges, NextObject, PreviousObject, PreviousOutput,
  readCommittedOutput, readOutputFolder, unchangedFilesOf,
} from '../../src/gitops/change-safety';
import * as analyzeModule from '../../src/gitops/change-safety/analyze';
import { identity, renamedContent, scopeOf } from '../../src/gitops/change-safety/analyze';
import { environmentObjectPath, platformObjectPath } from '../../src/gitops/layout';
import { writeOutput } from '../../src/gitops/writer';
import * as canonicalJsonModule from '../../src/gitops/writer/canonical-json';
import { inspectPath } from '../../src/gitops/writer/fsutil';
import { OutputSnapshot } from '../../src/gitops/writer/snapshot';
import { canonicalJson, toYaml } from '../../src/private/canonical';
import { apiGroup } from '../../src/private/kinds';
import { git, GIT_ENV } from '../gitops/publish/helpers';
import { tmpdir } from '../util/tmp';

const KINDS = ['ConfigMap', 'PersistentVolumeClaim', 'StatefulSet', 'Service', 'StorageClass', 'Cluster', 'KafkaTopic'] as const;
type Kind = typeof KINDS[number];
const SCOPES = ['dev', 'prod', 'platform'] as const;
type Scope = typeof SCOPES[number];
const CLUSTER: Record<Scope, string> = { dev: 'dev-cluster', prod: 'prod-cluster', platform: 'prod-cluster' };

interface Spec {
  readonly scope: Scope;
  readonly kind: Kind;
  readonly name: string;
  readonly ns: string;
  readonly size: string;
  readonly replicas: number;
  readonly tag: string;
  readonly data: string;
  readonly expandable: boolean;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  scope: fc.constantFrom(...SCOPES),
  kind: fc.constantFrom(...KINDS),
  name: fc.constantFrom('a', 'b', 'c', 'orders', 'orders-db', 'mq'),
  ns: fc.constantFrom('shop', 'data'),
  size: fc.constantFrom('1Gi', '10Gi', '500Mi', 'lots'),
  replicas: fc.constantFrom(1, 3, 5),
  tag: fc.constantFrom('3.13.7', '4.0.1', '16.4', '15.2'),
  data: fc.constantFrom('x', 'y', 'a-b'),
  expandable: fc.boolean(),
});

/** A StorageClass of the new output (`sc-a`, `sc-b`), looked up when storage grows. */
const classOf = (s: Spec) => (s.data === 'x' ? 'sc-a' : 'sc-b');

function manifestOf(s: Spec): any {
  const metadata = { name: s.name, namespace: s.ns, labels: { app: s.name } };
  switch (s.kind) {
    case 'ConfigMap':
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { value: s.data, self: `${s.name}-${s.data}` } };
    case 'PersistentVolumeClaim':
      return {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata,
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: classOf(s), resources: { requests: { storage: s.size } } },
      };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata,
        spec: {
          replicas: s.replicas,
          serviceName: s.name,
          selector: { matchLabels: { app: s.name } },
          template: { metadata: { labels: { app: s.name } }, spec: { containers: [{ name: 'mq', image: `docker.io/library/rabbitmq:${s.tag}` }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: classOf(s), resources: { requests: { storage: s.size } } } }],
        },
      };
    case 'Service':
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: { clusterIP: s.data === 'x' ? 'None' : '10.0.0.10', ports: [{ port: s.replicas }] } };
    case 'StorageClass':
      return {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: `sc-${s.name}`, labels: { app: s.name } },
        provisioner: 'csi.example.com',
        allowVolumeExpansion: s.expandable,
        reclaimPolicy: s.data === 'x' ? 'Retain' : 'Delete',
      };
    case 'Cluster':
      return {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata,
        spec: { instances: s.replicas, imageName: `ghcr.io/cloudnative-pg/postgresql:${s.tag}`, storage: { size: s.size } },
      };
    case 'KafkaTopic':
      // topics of several objects share a Kafka topic (its retention keyed over all of them, unchanged files included)
      return {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata,
        spec: { topicName: s.data, partitions: 3, config: { 'retention.ms': s.replicas * 3_600_000 } },
      };
  }
}

function fileOf(s: Spec, m: any): string {
  return s.scope === 'platform' ? platformObjectPath(CLUSTER.platform, m) : environmentObjectPath(s.scope, m);
}

/** One change to a previous object. */
const op = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ op: 'keep' as const }) },
  { weight: 2, arbitrary: spec.map((s) => ({ op: 'edit' as const, s })) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'c', 'orders', 'x-renamed').map((name) => ({ op: 'rename' as const, name })) },
  { weight: 1, arbitrary: fc.constant({ op: 'remove' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'grow' as const }) },
);

const TIERS = ['development', 'staging', 'production'];

const scenario = fc.record({
  previous: fc.array(fc.record({ s: spec, misplacedAs: fc.option(fc.constantFrom('a', 'zz'), { freq: 8 }) }), { minLength: 1, maxLength: 14 }),
  ops: fc.array(op, { minLength: 14, maxLength: 14 }),
  added: fc.array(spec, { maxLength: 4 }),
  /** New objects whose environment is not the one of their path. */
  misScoped: fc.array(fc.nat(20), { maxLength: 1 }),
  handEdits: fc.array(fc.record({ at: fc.nat(20), how: fc.constantFrom('comment', 'value') }), { maxLength: 2 }),
  tiersBefore: fc.tuple(fc.constantFrom(...TIERS), fc.constantFrom(...TIERS)),
  tiersAfter: fc.tuple(fc.constantFrom(...TIERS), fc.constantFrom(...TIERS)),
  /** allowVolumeExpansion of the StorageClasses `sc-a` and `sc-b`, on the platform, unchanged. */
  classes: fc.tuple(fc.boolean(), fc.boolean()),
  approvals: fc.subarray(['CHANGE-DataObjectRenamed', 'CHANGE-DataObjectRemoved', 'CHANGE-StorageShrink', 'CHANGE-TierDowngrade']),
  viaGit: fc.boolean(),
});

interface Case {
  readonly dir: string;
  readonly repo?: string;
  readonly next: NextObject[];
  readonly contents: Map<string, string>;
  readonly environments: { name: string; tier: string; cluster: string }[];
  readonly approvals: AppliedChangeApproval[];
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(sc: Scenario): Case {
  const repo = sc.viaGit ? tmpdir('cdk8s-stateful-fast-path-git-') : undefined;
  const dir = repo ? path.join(repo, 'out') : tmpdir('cdk8s-stateful-fast-path-');
  const classes = sc.classes.map((expandable, i): Spec => ({
    scope: 'platform', kind: 'StorageClass', name: i === 0 ? 'a' : 'b', ns: 'shop', size: '1Gi', replicas: 1, tag: '1', data: 'x', expandable,
  }));
  // the previous output: unique paths; a misplaced object sits in the file of another name (a hand-made collision)
  const previous = new Map<string, { s: Spec; m: any }>();
  for (const { s, misplacedAs } of [...sc.previous, ...classes.map((c) => ({ s: c, misplacedAs: null }))]) {
    const m = manifestOf(s);
    const file = misplacedAs !== null ? fileOf({ ...s, name: misplacedAs }, manifestOf({ ...s, name: misplacedAs })) : fileOf(s, m);
    if (!previous.has(file)) previous.set(file, { s, m });
  }
  writeOutput({
    outdir: dir,
    libraryVersion: '0.0.0',
    files: [...previous].map(([file, { m }]) => ({ path: file, content: toYaml(m) })),
    environments: ['dev', 'prod'].map((name, i) => ({ name, tier: sc.tiersBefore[i], cluster: CLUSTER[name as Scope], namespace: name, packs: [] })),
  });
  const files = [...previous.keys()];
  for (const { at, how } of sc.handEdits) {
    const f = path.join(dir, ...files[at % files.length].split('/'));
    const text = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(f, how === 'comment' ? `# edited by hand\n${text}` : text.replace(/labels:/, 'labels:\n    edited: "yes"'));
  }
  if (repo) {
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'previous');
  }

  // the new output
  const nextSpecs: Spec[] = [];
  [...previous.values()].forEach(({ s }, i) => {
    if (classes.includes(s)) return; // the StorageClasses, added below
    const o = sc.ops[i];
    if (o.op === 'keep') nextSpecs.push(s);
    else if (o.op === 'edit') nextSpecs.push({ ...o.s, scope: s.scope, kind: s.kind, name: s.name, ns: s.ns });
    else if (o.op === 'rename') nextSpecs.push({ ...s, name: o.name });
    else if (o.op === 'grow') nextSpecs.push({ ...s, size: '20Gi' });
  });
  nextSpecs.push(...sc.added, ...classes);
  const next: NextObject[] = [];
  const seen = new Set<string>();
  for (const s of nextSpecs) {
    const m = manifestOf(s);
    const file = fileOf(s, m);
    if (seen.has(file)) continue;
    seen.add(file);
    next.push({ file, manifest: m, environment: s.scope === 'platform' ? undefined : s.scope, cluster: CLUSTER[s.scope], constructPath: `app/${file}` });
  }
  for (const i of sc.misScoped) {
    if (next.length === 0) break;
    const o = next[i % next.length];
    next[i % next.length] = { ...o, environment: o.environment === 'dev' ? 'prod' : 'dev' };
  }
  const contents = new Map(next.map((o) => [o.file, toYaml(o.manifest)]));
  const environments = ['dev', 'prod'].map((name, i) => ({ name, tier: sc.tiersAfter[i], cluster: CLUSTER[name as Scope] }));
  const approvals = sc.approvals.map((ruleId) => ({ ruleId, reason: 'approved in the property test', constructPath: 'app' }));
  return { dir, repo, next, contents, environments, approvals };
}

const files = (list: readonly { file: string }[]) => list.map((o) => o.file);

function normalized(c: ChangeSet | undefined): unknown {
  if (!c) return undefined;
  return {
    added: files(c.added),
    removed: files(c.removed),
    changed: c.changed.map((x) => [x.before.file, x.after.file, x.fields]),
    renamed: c.renamed.map((x) => [x.before.file, x.after.file]),
    risks: c.risks.map((r) => ({ ...r, manifest: canonicalJson(r.manifest) })),
  };
}

/** The rename matching `analyzeChanges` did before the lookup table: every removed object against every added one. */
function allPairs(previous: PreviousObject[], next: NextObject[]): { added: string[]; removed: string[]; renamed: string[][] } {
  const before = new Map(previous.map((o) => [identity(o), o]));
  const after = new Map(next.map((o) => [identity(o), o]));
  const added = next.filter((o) => !before.has(identity(o)));
  const unmatchedAdded = new Set(added);
  const removed: PreviousObject[] = [];
  const renamed: string[][] = [];
  for (const r of previous.filter((o) => !after.has(identity(o)))) {
    const content = renamedContent(r.manifest, r.manifest.metadata.name);
    const twin = [...unmatchedAdded].find((a) => scopeOf(a) === scopeOf(r) && a.manifest.kind === r.manifest.kind
      && apiGroup(a.manifest.apiVersion) === apiGroup(r.manifest.apiVersion) && renamedContent(a.manifest, a.manifest.metadata.name) === content);
    if (twin) {
      unmatchedAdded.delete(twin);
      renamed.push([r.file, twin.file]);
    } else {
      removed.push(r);
    }
  }
  return { added: files([...unmatchedAdded]), removed: files(removed), renamed };
}

/**
 * A case every run checks besides the random ones (whose retention cuts are rare: a topic's retention is the
 * lowest of the objects that configure it): a production topic's retention cut, beside a file left unchanged.
 */
const topic = (replicas: number): Spec => ({ scope: 'prod', kind: 'KafkaTopic', name: 'orders', ns: 'data', size: '1Gi', replicas, tag: '16.4', data: 'x', expandable: false });
const RETENTION_CUT: Scenario = {
  previous: [
    { s: topic(5), misplacedAs: null },
    { s: { scope: 'prod', kind: 'ConfigMap', name: 'a', ns: 'shop', size: '1Gi', replicas: 1, tag: '16.4', data: 'y', expandable: false }, misplacedAs: null },
  ],
  ops: [{ op: 'edit', s: topic(1) }, ...Array.from({ length: 13 }, () => ({ op: 'keep' as const }))],
  added: [],
  misScoped: [],
  handEdits: [],
  tiersBefore: ['production', 'production'],
  tiersAfter: ['production', 'production'],
  classes: [true, true],
  approvals: [],
  viaGit: false,
};

describe('property: change safety fast paths', () => {
  test('unchanged files skipped and renames looked up: the same objects, change set and findings as the full comparison', () => {
    const tally = { skipping: 0, growthWithoutExpansion: 0, retention: 0, renamed: 0, findings: 0, downgrades: 0, git: 0, cases: 0 };
    const analyze = jest.spyOn(analyzeModule, 'analyzeChanges');
    fc.assert(fc.property(scenario, (sc) => {
      const c = build(sc);
      const read = (contents?: Map<string, string>): PreviousOutput => (c.repo
        ? readCommittedOutput(c.repo, 'HEAD', 'out', GIT_ENV, contents)!
        : readOutputFolder(c.dir, undefined, contents)!);
      const fast = read(c.contents);
      const full = read();
      expect(unchangedFilesOf(full)).toBeUndefined();

      analyze.mockClear();
      const a = judgeChanges(fast, c.next, c.environments, c.approvals);
      // compared without the unchanged files (not the fallback to everything)
      const skipping = analyze.mock.calls.length === 1 && analyze.mock.calls[0][1].length < c.next.length;
      const b = judgeChanges(full, c.next, c.environments, c.approvals);
      expect(normalized(a.changes)).toEqual(normalized(b.changes));
      expect(a.findings).toEqual(b.findings);
      expect(a.unusedApprovals).toEqual(b.unusedApprovals);
      // read lazily, every previous object is still there, as a full read gives it
      expect(fast.objects).toEqual(full.objects);

      // read through a synthesis' snapshot of the folder (each file read and hashed once, shared with
      // the writer): the same unchanged files, change set and findings, and the states the writer plans with
      if (!c.repo) {
        const snapshot = new OutputSnapshot(c.dir);
        const shared = readOutputFolder(c.dir, undefined, c.contents, snapshot)!;
        expect([...unchangedFilesOf(shared)!.files.keys()]).toEqual([...unchangedFilesOf(fast)!.files.keys()]);
        const s = judgeChanges(shared, c.next, c.environments, c.approvals);
        expect(normalized(s.changes)).toEqual(normalized(b.changes));
        expect(s.findings).toEqual(b.findings);
        expect(shared.objects).toEqual(full.objects);
        for (const f of c.next) expect([f.file, snapshot.listing.stateOf(f.file)]).toEqual([f.file, inspectPath(path.join(c.dir, ...f.file.split('/')))]);
      }

      // the lookup table pairs renames as the all-pairs search did
      const analyzed = analyzeChanges(full.objects, c.next);
      expect({ added: files(analyzed.added), removed: files(analyzed.removed), renamed: analyzed.renamed.map((r) => [r.before.file, r.after.file]) })
        .toEqual(allPairs(full.objects, c.next));

      tally.cases++;
      if (skipping) tally.skipping++;
      tally.renamed += analyzed.renamed.length;
      tally.findings += b.findings.length;
      tally.downgrades += b.findings.filter((f) => f.ruleId === 'CHANGE-TierDowngrade').length;
      if (c.repo) tally.git++;
      if (b.findings.some((f) => f.ruleId === 'CHANGE-StorageGrowthWithoutExpansion')) tally.growthWithoutExpansion++;
      if (skipping && b.findings.some((f) => f.ruleId === 'CHANGE-RetentionShortened')) tally.retention++;
      if (process.env.ROBUSTNESS_VERBOSE) console.log(JSON.stringify(tally));
    }), params({ numRuns: Math.min(RUNS, 80), examples: [[RETENTION_CUT]] }));
    analyze.mockRestore();
    // the cases exercised what they are about
    expect(tally.skipping).toBeGreaterThan(tally.cases / 4);
    expect(tally.skipping).toBeLessThan(tally.cases); // and the fallbacks
    expect(tally.renamed).toBeGreaterThan(0);
    expect(tally.growthWithoutExpansion).toBeGreaterThan(0);
    expect(tally.retention).toBeGreaterThan(0);
    expect(tally.findings).toBeGreaterThan(0);
    expect(tally.downgrades).toBeGreaterThan(0);
    expect(tally.git).toBeGreaterThan(0);
  });

  test('renames: many look-alike objects removed and added, the lookup table pairs them as the all-pairs search', () => {
    const names = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `n${i}`));
    const objects = fc.uniqueArray(fc.record({ name: names, data: fc.constantFrom('x', 'y'), scope: fc.constantFrom<Scope>('dev', 'prod', 'platform') }),
      { selector: (o) => `${o.scope}/${o.name}`, maxLength: 12 });
    const place = (o: { name: string; data: string; scope: Scope }) => {
      const manifest = manifestOf({ scope: o.scope, kind: 'ConfigMap', name: o.name, ns: 'shop', size: '1Gi', replicas: 1, tag: '1', data: o.data, expandable: true });
      const file = fileOf({ scope: o.scope } as Spec, manifest);
      return { file, manifest, environment: o.scope === 'platform' ? undefined : o.scope, cluster: CLUSTER[o.scope] };
    };
    let renamed = 0;
    fc.assert(fc.property(objects, objects, (before, after) => {
      const previous = before.map(place);
      const next = after.map(place);
      const analyzed = analyzeChanges(previous, next);
      expect({ added: files(analyzed.added), removed: files(analyzed.removed), renamed: analyzed.renamed.map((r) => [r.before.file, r.after.file]) })
        .toEqual(allPairs(previous, next));
      renamed += analyzed.renamed.length;
    }), params({ numRuns: Math.min(RUNS, 500) }));
    expect(renamed).toBeGreaterThan(0);
  });

  test('rename detection costs one rename key per object, not one per pair', () => {
    const place = (name: string, data: string) => {
      const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { value: data } };
      return { file: environmentObjectPath('dev', manifest), manifest, environment: 'dev', cluster: CLUSTER.dev };
    };
    const previous = Array.from({ length: 300 }, (_, i) => place(`old-${i}`, `before-${i}`));
    const next = Array.from({ length: 300 }, (_, i) => place(`new-${i}`, `after-${i}`));
    const canonical = jest.spyOn(canonicalJsonModule, 'canonicalJson');
    try {
      const analyzed = analyzeChanges(previous, next);
      expect([analyzed.added.length, analyzed.removed.length, analyzed.renamed.length]).toEqual([300, 300, 0]);
      // 600 rename keys (the all-pairs search computed 300 + 300 × 300)
      expect(canonical.mock.calls.length).toBeLessThanOrEqual(600);
    } finally {
      canonical.mockRestore();
    }
  });

  test('a committed blob is unchanged exactly when its Git object id is that of the new content', () => {
    const repo = tmpdir('cdk8s-stateful-blob-id-');
    git(repo, 'init', '-q', '-b', 'main');
    for (const text of ['', 'kind: ConfigMap\n', 'unicode: "é 💥"\n', 'lone: "\ud800"\n']) {
      fs.writeFileSync(path.join(repo, 'f'), text);
      expect(gitBlobId(text)).toBe(git(repo, 'hash-object', 'f'));
    }
  });
});
