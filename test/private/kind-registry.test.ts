import * as fs from 'fs';
import * as path from 'path';
import { analyzeChanges } from '../../src/gitops/change-safety/analyze';
import { KIND_FACTS, argoCdIgnoreDifferences, factOf, isDataBearing, operatorCreatedLabels } from '../../src/private/kind-registry';

/** A StatefulSet as a workload engine renders it: selected by `app.kubernetes.io/name`, its server in container `container`. */
const workload = (name: string, container: string, image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'mq', namespace: 'orders' },
  spec: {
    replicas: 3,
    serviceName: 'mq-headless',
    selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'mq' } },
    template: { spec: { initContainers: [{ name: 'init', image: 'busybox:1.36' }], containers: [{ name: 'sidecar', image: 'exporter:2.0' }, { name: container, image }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '10Gi' } } } }],
  },
});
const versionRisks = (before: any, after: any) => analyzeChanges([{ file: 'a.yaml', manifest: before, environment: 'prod' }], [{ file: 'a.yaml', manifest: after, environment: 'prod', cluster: 'prod' }])
  .risks.filter((r) => /Version/.test(r.ruleId)).map((r) => [r.ruleId, r.jsonPointer]);

describe('kind registry: what the engines declare, read without naming a kind', () => {
  test('a workload engine declares its version container: read whatever the image repository is called', () => {
    expect(versionRisks(workload('rabbitmq', 'rabbitmq', 'mirror.acme.example/mq:3.13.7'), workload('rabbitmq', 'rabbitmq', 'mirror.acme.example/mq:4.1.4')))
      .toEqual([['CHANGE-MajorVersionUpgrade', '/spec/template/spec/containers/1/image']]);
    expect(versionRisks(workload('postgresql', 'postgres', 'mirror.acme.example/pg:16.4'), workload('postgresql', 'postgres', 'mirror.acme.example/pg:15.8')))
      .toEqual([['CHANGE-VersionDowngrade', '/spec/template/spec/containers/1/image']]);
  });

  // plugin-barman-cloud config.go `NewFromCluster`: the enabled plugin's `serverName`, else the Cluster's name; in-tree: cluster_funcs.go `GetServerName`
  test('a CloudNativePG Cluster\'s WAL archive: the archiver plugin\'s server name, or the in-tree object store\'s, the Cluster\'s name by default', () => {
    const cluster = (spec: any) => ({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pg', namespace: 'orders' }, spec });
    const archive = (spec: any) => { const m = cluster(spec); return factOf(m, 'logArchive')?.(m); };
    const plugin = (parameters: any, more: any = {}) => ({ plugins: [{ name: 'other' }, { name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters, ...more }] });
    expect(archive(plugin({ barmanObjectName: 'store' }))).toEqual({ store: 'store', serverName: 'pg', pointer: '/spec/plugins/1/parameters', majorSuffix: '-pg' });
    expect(archive(plugin({ barmanObjectName: 'store', serverName: 'pg-pg16' }))?.serverName).toBe('pg-pg16');
    expect(archive(plugin({ barmanObjectName: 'store' }, { enabled: false }))).toBeUndefined();
    expect(archive({ backup: { barmanObjectStore: { destinationPath: 's3://b/p', serverName: 'old' } } })).toMatchObject({ serverName: 'old', pointer: '/spec/backup/barmanObjectStore' });
    expect(archive({ instances: 3 })).toBeUndefined();
    // a hand-written Cluster upgraded under the same server name: the finding, after the major upgrade's
    const risks = (from: any, to: any) => analyzeChanges([{ file: 'a.yaml', manifest: from, environment: 'prod' }], [{ file: 'a.yaml', manifest: to, environment: 'prod', cluster: 'prod' }])
      .risks.map((r) => [r.ruleId, r.jsonPointer]);
    const store = (imageName: string, serverName?: string) => cluster({ imageName, backup: { barmanObjectStore: { destinationPath: 's3://b/p', serverName } } });
    expect(risks(store('ghcr.io/cloudnative-pg/postgresql:16.4'), store('ghcr.io/cloudnative-pg/postgresql:17.2')))
      .toEqual([['CHANGE-MajorVersionUpgrade', '/spec/imageName'], ['CHANGE-MajorUpgradeSharedArchive', '/spec/backup/barmanObjectStore']]);
    expect(risks(store('ghcr.io/cloudnative-pg/postgresql:16.4'), store('ghcr.io/cloudnative-pg/postgresql:17.2', 'pg-pg17')))
      .toEqual([['CHANGE-MajorVersionUpgrade', '/spec/imageName']]);
  });

  test('a StatefulSet no engine declares has no version (an image name is no evidence), but keeps the core facts', () => {
    const foreign = workload('queue', 'rabbitmq', 'docker.io/library/rabbitmq:3.13.7');
    expect(versionRisks(foreign, workload('queue', 'rabbitmq', 'docker.io/library/rabbitmq:4.1.4'))).toEqual([]);
    expect(isDataBearing(foreign)).toBe(true);
    expect(factOf(foreign, 'replicas')?.(foreign)).toEqual({ count: 3, pointer: '/spec/replicas', minimum: 3 });
  });

  test('an engine descriptor of a core kind adds to the core facts, it does not hide them', () => {
    const sts = workload('postgresql', 'postgres', 'docker.io/library/postgres:16.4');
    expect(factOf(sts, 'version')?.(sts)).toEqual({ text: '16.4', pointer: '/spec/template/spec/containers/1/image' });
    expect(isDataBearing(sts)).toBe(true);
    expect(isDataBearing({ ...sts, spec: { ...sts.spec, volumeClaimTemplates: [] } })).toBe(false);
    const storage = factOf(sts, 'storage');
    expect(storage?.(sts)).toEqual([{ pointer: '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', size: '10Gi', storageClass: undefined, classPointer: '/spec/volumeClaimTemplates/0/spec/storageClassName' }]);
  });

  test('deletion policies: what a kind declares (CloudNativePG Database, StorageClass), else spec.deletionPolicy', () => {
    const risks = (before: any, after: any) => analyzeChanges([{ file: 'a.yaml', manifest: before, environment: 'prod' }], [{ file: 'a.yaml', manifest: after, environment: 'prod', cluster: 'prod' }])
      .risks.map((r) => [r.ruleId, r.jsonPointer]);
    const database = (policy: string) => ({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', metadata: { name: 'app' }, spec: { name: 'app', owner: 'app', databaseReclaimPolicy: policy } });
    expect(risks(database('retain'), database('delete'))).toEqual([['CHANGE-DeletionPolicyWeakened', '/spec/databaseReclaimPolicy']]);
    expect(risks(database('delete'), database('retain'))).toEqual([]);
    const storageClass = (policy: string) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'x', reclaimPolicy: policy });
    expect(risks(storageClass('Retain'), storageClass('Delete'))).toEqual([
      ['CHANGE-ImmutableField', '/reclaimPolicy'], ['CHANGE-DeletionPolicyWeakened', '/reclaimPolicy'],
    ]);
    const foreign = (policy: string) => ({ apiVersion: 'example.com/v1', kind: 'Bucket', metadata: { name: 'b' }, spec: { deletionPolicy: policy } });
    expect(risks(foreign('Retain'), foreign('Delete'))).toEqual([['CHANGE-DeletionPolicyWeakened', '/spec/deletionPolicy']]);
  });

  test('operator-created labels: one entry per label, in engine order', () => {
    expect(operatorCreatedLabels()).toEqual([
      { label: 'cnpg.io/cluster' },
      { label: 'cnpg.io/poolerName' },
      { label: 'app.kubernetes.io/managed-by', values: ['mariadb-operator', 'strimzi-cluster-operator', 'strimzi-user-operator', 'strimzi-topic-operator'] },
      { label: 'app.kubernetes.io/part-of', values: ['rabbitmq'] },
      { label: 'reconcile.external-secrets.io/created-by' },
    ]);
  });

  test('Argo CD ignores the operator-managed fields the engines declare, then the core ones: of the kinds among the objects only', () => {
    const cluster = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' }, spec: {} };
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } };
    expect(argoCdIgnoreDifferences([workload('rabbitmq', 'rabbitmq', 'rabbitmq:4.1.4'), cluster, configMap])).toEqual([
      { group: 'postgresql.cnpg.io', kind: 'Cluster', jsonPointers: ['/spec/postgresql/parameters', '/spec/postgresql/pg_hba'] },
      { group: 'apps', kind: 'StatefulSet', jsonPointers: ['/spec/volumeClaimTemplates'] },
    ]);
    expect(argoCdIgnoreDifferences([workload('rabbitmq', 'rabbitmq', 'rabbitmq:4.1.4'), configMap])).toEqual([
      { group: 'apps', kind: 'StatefulSet', jsonPointers: ['/spec/volumeClaimTemplates'] },
    ]);
    // a kind of the same name in another group is not CloudNativePG's
    expect(argoCdIgnoreDifferences([{ ...cluster, apiVersion: 'example.com/v1' }, configMap])).toEqual([]);
  });

  test('every engine folder\'s facts.ts is listed in its area\'s engines/index.ts (the registry holds each of its descriptors)', () => {
    const src = path.join(__dirname, '..', '..', 'src');
    const files = ['database', 'queue'].flatMap((area) => fs.readdirSync(path.join(src, area, 'engines'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(src, area, 'engines', e.name, 'facts.ts')))
      .map((e) => `${area}/engines/${e.name}/facts.ts`));
    expect(files).toEqual(expect.arrayContaining(['database/engines/cloudnative-pg/facts.ts', 'queue/engines/strimzi-kafka/facts.ts']));
    const registered = new Set(KIND_FACTS);
    const missing = files.flatMap((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported: unknown[] = Object.values(require(path.join(src, file)));
      const lists = exported.filter((v): v is any[] => Array.isArray(v));
      expect({ file, lists: lists.length }).toEqual({ file, lists: 1 });
      return lists[0].filter((f) => !registered.has(f)).map((f) => `${file}: ${f.group}/${f.kind}`);
    });
    expect(missing).toEqual([]);
  });

  test('at most one descriptor per kind applies to every object of it (others name their objects with `matches`)', () => {
    const unconditional = KIND_FACTS.filter((f) => !f.matches).map((f) => `${f.group}/${f.kind}`);
    expect(unconditional.filter((k, i) => unconditional.indexOf(k) !== i)).toEqual([]);
  });
});
