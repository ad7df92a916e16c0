/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import {
  AspectPriority, Aspects, DatabaseAccess, DatabaseClient, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, PolicyPacks,
  ReplicatedDatabase, ReplicatedDatabaseProps, SecretBackend, SecretSource, StorageProfile, Tier,
} from '../../../src';
import { ValidationError } from '../../../src/errors';
import { fluxHealthCheckExprs } from '../../../src/gitops/data-objects';
import { evaluatePodSecurity } from '../../../src/policy/pod-security';
import { factOf, immutableFieldsOf, isDataBearing, operatorImagesOf } from '../../../src/private/kind-registry';
import { describeWithCrds, sharedValidator } from '../../util/crds';
import { tmpdir } from '../../util/tmp';

const engine = () => DatabaseEngine.mariadbOperator({ version: '11.4.5' });
const creds = SecretSource.externalSecret({ store: 'vault', remoteKey: 'backups/s3' });
const backup = { schedule: '30 2 * * *', retentionDays: 14, destination: { destinationPath: 's3://acme-backups/orders', credentials: creds } };
const minio = { ...backup, destination: { ...backup.destination, endpointUrl: 'http://minio.minio.svc:9000' } };

function setup(tier: Tier, props: Partial<ReplicatedDatabaseProps> = {}) {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const env = new Environment({
    name: tier === Tier.PRODUCTION ? 'prod' : tier === Tier.STAGING ? 'staging' : 'dev',
    tier,
    namespace: 'orders',
    labels: { team: 'orders' },
    storageProfile: StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 }),
    allowedRegistries: ['docker-registry1.mariadb.com/library', 'ghcr.io/mariadb-operator', 'ghcr.io/acme'],
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
  });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const db = new ReplicatedDatabase(chart, 'OrdersDb', { engine: engine(), name: 'orders-db', ...props });
  return { app, chart, db };
}

const objects = (app: GitOpsApp) => app.render().objects.map((o) => o.manifest);
const find = (all: any[], kind: string, name?: string) => all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const named = (all: any[], kind: string) => all.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();

describe('DatabaseEngine.mariadbOperator', () => {
  test('the version must be pinned MAJOR.MINOR.PATCH, 10.6 or later; bad options are ValidationErrors', () => {
    for (const version of ['11.4', 'latest', '11', '10.5.20', '13.0.0', '11.4.5-ubi', undefined as any]) {
      expect(() => DatabaseEngine.mariadbOperator({ version })).toThrow(ValidationError);
    }
    expect(() => DatabaseEngine.mariadbOperator({ version: '11.4.5', operatorNamespace: 'Bad NS' })).toThrow(/operatorNamespace/);
    expect(() => DatabaseEngine.mariadbOperator({ version: '11.4.5', imageRepository: 'mariadb:11' })).toThrow(/imageRepository/);
    expect(() => DatabaseEngine.mariadbOperator({ version: '11.4.5', dataPlaneImage: 'ghcr.io/mariadb-operator/mariadb-operator' })).toThrow(/dataPlaneImage/);
    const e = DatabaseEngine.mariadbOperator({ version: '10.11.10', imageRepository: 'ghcr.io/acme/mariadb' });
    expect([e.image, e.port, e.operatorNamespace, e.capabilities.automaticFailover, e.capabilities.pooler]).toEqual(['ghcr.io/acme/mariadb:10.11.10', 3306, 'mariadb-operator', true, false]);
  });
});

describe('ReplicatedDatabase on mariadb-operator', () => {
  test('tier defaults: a standalone instance in development; replication with semi-sync, failover, PDB, spread and metrics in production', () => {
    const dev = find(objects(setup(Tier.DEVELOPMENT).app), 'MariaDB').spec;
    expect(dev).toMatchObject({ replicas: 1, image: 'docker-registry1.mariadb.com/library/mariadb:11.4.5', port: 3306, resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } } });
    expect([dev.replication, dev.podDisruptionBudget, dev.metrics, dev.topologySpreadConstraints]).toEqual([undefined, undefined, undefined, undefined]);

    const staging = find(objects(setup(Tier.STAGING).app), 'MariaDB').spec;
    // the operator owns the primary's podIndex (it defaults it and moves it on a failover): GitOps must not move it back
    expect(staging.replication.primary).toEqual({ autoFailover: true });
    expect(staging).toMatchObject({ replicas: 2, replication: { enabled: true, semiSyncEnabled: false, primary: { autoFailover: true } }, podDisruptionBudget: { maxUnavailable: 1 } });
    // not `antiAffinityEnabled`: the operator refuses to change it once set, and scaling from one instance would
    expect(staging.affinity).toEqual({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': 'orders-db' } }, topologyKey: 'kubernetes.io/hostname' } }] } });
    expect(staging.metrics).toMatchObject({ enabled: true, exporter: { port: 9104 } });

    const prod = find(objects(setup(Tier.PRODUCTION, { backup }).app), 'MariaDB').spec;
    expect(prod).toMatchObject({
      replicas: 3,
      replication: { enabled: true, gtidStrictMode: true, semiSyncEnabled: true, primary: { autoFailover: true } },
      storage: { size: '10Gi', storageClassName: 'ondat-secure', resizeInUseVolumes: true },
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } },
      podDisruptionBudget: { maxUnavailable: 1 },
      tls: { enabled: true, required: true },
      metrics: { enabled: true, serviceMonitor: { interval: '30s' } },
      rootPasswordSecretKeyRef: { name: 'orders-db-root', key: 'password', generate: true },
      inheritMetadata: { labels: { team: 'orders' } },
    });
    const zone = 'topology.kubernetes.io/zone';
    const pods = { 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': 'orders-db' };
    expect(prod.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: pods } }]);
    // one instance per node; the zones balanced by the spread constraint (a required anti-affinity on the zone
    // would leave every instance beyond the number of zones Pending)
    expect(prod.affinity).toEqual({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: pods }, topologyKey: 'kubernetes.io/hostname' }] } });
  });

  test('semi-synchronous replication waits for one replica: more synchronous replicas are a ValidationError', () => {
    expect(() => setup(Tier.PRODUCTION, { instances: 4, synchronousReplicas: 2 })).toThrow(/synchronousReplicas.*semi-synchronous/s);
  });

  test('users, databases and grants: least privilege on one database each; the owner of a database has every privilege on it only', () => {
    const { app, db } = setup(Tier.STAGING);
    db.addDatabase('ledger');
    db.addUser('reporter', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }], connectionLimit: 5 });
    db.addUser('writer');
    db.grant('writer', 'ledger', DatabaseAccess.READ_WRITE);
    db.addUser('auditor', { grants: [{ database: 'audit', access: DatabaseAccess.READ_ONLY }] });
    db.addDatabase('audit', { owner: 'auditor' }); // the owner wins over a lesser grant
    db.addDatabase('order_items');
    db.grant('reporter', 'order_items', DatabaseAccess.READ_ONLY);
    const all = objects(app);
    expect(named(all, 'Database')).toEqual(['orders-db-app', 'orders-db-audit', 'orders-db-ledger', 'orders-db-order-items']);
    expect(find(all, 'Database', 'orders-db-ledger').spec).toEqual({ mariaDbRef: { name: 'orders-db', waitForIt: true }, name: 'ledger', characterSet: 'utf8mb4', collate: 'utf8mb4_unicode_ci', cleanupPolicy: 'Skip' });
    const grants = all.filter((o) => o.kind === 'Grant').map((g) => [g.spec.username, g.spec.database, g.spec.table, g.spec.privileges.join(','), g.spec.grantOption]).sort();
    expect(grants).toEqual([
      ['app', 'app', '*', 'ALL PRIVILEGES', false],
      ['app', 'ledger', '*', 'ALL PRIVILEGES', false],
      // `_` is a wildcard in a GRANT's database: escaped, the grant covers order_items only (not orderXitems)
      ['app', 'order\\_items', '*', 'ALL PRIVILEGES', false],
      ['auditor', 'audit', '*', 'ALL PRIVILEGES', false],
      ['reporter', 'app', '*', 'SELECT,SHOW VIEW', false],
      ['reporter', 'order\\_items', '*', 'SELECT,SHOW VIEW', false],
      ['writer', 'ledger', '*', 'SELECT,INSERT,UPDATE,DELETE,CREATE TEMPORARY TABLES,LOCK TABLES,EXECUTE,SHOW VIEW', false],
    ]);
    // never a global grant
    expect(all.filter((o) => o.kind === 'Grant').every((g) => g.spec.database !== '*')).toBe(true);
    const reporter = find(all, 'User', 'orders-db-reporter').spec;
    expect(reporter).toEqual({
      mariaDbRef: { name: 'orders-db', waitForIt: true },
      name: 'reporter',
      host: '%',
      passwordSecretKeyRef: { name: 'orders-db-reporter', key: 'password' },
      maxUserConnections: 5,
      require: { ssl: true },
      cleanupPolicy: 'Delete',
    });
    // unlimited is MariaDB's 0 (the CRD defaults to 10)
    expect(find(all, 'User', 'orders-db-writer').spec.maxUserConnections).toBe(0);
  });

  test('MariaDB identifier rules: reserved and overlong names are ValidationErrors', () => {
    const { db } = setup(Tier.DEVELOPMENT);
    expect(() => db.addUser('root')).toThrow(ValidationError);
    expect(() => db.addDatabase('mysql')).toThrow(ValidationError);
    expect(() => db.addUser('u'.repeat(33))).toThrow(ValidationError);
    expect(() => setup(Tier.DEVELOPMENT, { databaseName: 'information_schema' })).toThrow(ValidationError);
  });

  test('connection contract: primary and secondary Services, port 3306, a mysql:// URI; a single instance gets both Services from the engine', () => {
    const { app, db } = setup(Tier.DEVELOPMENT);
    expect(db.connection).toEqual({
      host: 'orders-db-primary.orders.svc',
      readOnlyHost: 'orders-db-secondary.orders.svc',
      port: 3306,
      database: 'app',
      secretName: 'orders-db-app',
      usernameKey: 'username',
      passwordKey: 'password',
      uriKey: 'uri',
      // TLS required by default: the client verifies the server with the CA bundle the operator writes
      tlsRequired: true,
      caSecretName: 'orders-db-ca-bundle',
      caKey: 'ca.crt',
    });
    const all = objects(app);
    expect(find(all, 'ExternalSecret', 'orders-db-app').spec.target.template.data).toEqual({ uri: 'mysql://app:{{ .password | urlquery | replace "+" "%20" }}@orders-db-primary.orders.svc:3306/app', username: 'app' });
    expect(named(all, 'Service')).toEqual(['orders-db-primary', 'orders-db-secondary']);
    expect(find(all, 'Service', 'orders-db-primary').spec.selector).toEqual({ 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': 'orders-db', 'statefulset.kubernetes.io/pod-name': 'orders-db-0' });
    // with replication the operator creates them
    expect(named(objects(setup(Tier.STAGING).app), 'Service')).toEqual([]);
  });

  test('backups: a scheduled logical Backup to S3 with retention (maxRetention), credentials from a Secret, a backup fact for change safety', () => {
    const all = objects(setup(Tier.PRODUCTION, { backup: minio }).app);
    const b = find(all, 'Backup', 'orders-db-backup');
    // the operator refuses to change maxRetention once set: Flux and Argo CD recreate the Backup instead (the backups stay in the store)
    expect(b.metadata.annotations).toEqual({
      'stateful.cdk8s.io/backup-of': 'orders-db',
      'stateful.cdk8s.io/backup-retention': '14d',
      'stateful.cdk8s.io/backup-retention-field': '/spec/maxRetention',
      'stateful.cdk8s.io/backup-location': 's3://acme-backups/orders/orders-db/logical/ at http://minio.minio.svc:9000',
      'stateful.cdk8s.io/backup-location-field': '/spec/storage/s3',
      'kustomize.toolkit.fluxcd.io/force': 'enabled',
      'argocd.argoproj.io/sync-options': 'Force=true,Replace=true',
      // Progressing in Argo CD until its first nightly run succeeds (no `immediate` on a logical Backup): the last wave, which no sync waits on
      'argocd.argoproj.io/sync-wave': '3',
    });
    expect(b.spec).toMatchObject({
      mariaDbRef: { name: 'orders-db' },
      schedule: { cron: '30 2 * * *', suspend: false },
      maxRetention: '336h',
      compression: 'gzip',
      storage: {
        s3: {
          bucket: 'acme-backups',
          prefix: 'orders/orders-db/logical',
          endpoint: 'minio.minio.svc:9000',
          tls: { enabled: false },
          accessKeyIdSecretKeyRef: { name: 'orders-db-backup-credentials', key: 'ACCESS_KEY_ID' },
          secretAccessKeySecretKeyRef: { name: 'orders-db-backup-credentials', key: 'ACCESS_SECRET_KEY' },
        },
      },
    });
    // AWS S3 by default, over TLS; no point-in-time recovery unless asked
    const aws = objects(setup(Tier.PRODUCTION, { backup }).app);
    expect(find(aws, 'Backup').spec.storage.s3).toMatchObject({ endpoint: 's3.amazonaws.com', tls: { enabled: true } });
    expect([find(aws, 'PhysicalBackup', 'orders-db-physical'), find(aws, 'PointInTimeRecovery'), find(aws, 'MariaDB').spec.pointInTimeRecoveryRef]).toEqual([undefined, undefined, undefined]);
  });

  test('point-in-time recovery: PhysicalBackup base backups and binary logs archived to S3, referenced by the MariaDB', () => {
    const all = objects(setup(Tier.PRODUCTION, { backup, pointInTimeRecovery: true }).app);
    const mariadb = find(all, 'MariaDB');
    expect(mariadb.spec.pointInTimeRecoveryRef).toEqual({ name: 'orders-db-pitr' });
    expect(mariadb.metadata.annotations).toEqual({ 'stateful.cdk8s.io/backup-archive': '/spec/pointInTimeRecoveryRef' });
    expect(find(all, 'PhysicalBackup', 'orders-db-physical').spec).toMatchObject({ schedule: { cron: '30 2 * * *', immediate: true }, maxRetention: '336h', target: 'Replica', storage: { s3: { prefix: 'orders/orders-db/physical' } } });
    expect(find(all, 'PointInTimeRecovery', 'orders-db-pitr').spec).toMatchObject({ physicalBackupRef: { name: 'orders-db-physical' }, strictMode: true, storage: { s3: { prefix: 'orders/orders-db/binlogs' } } });
    // the agent on the primary uploads binary logs: the MariaDB pods reach the object store
    expect(find(all, 'NetworkPolicy', 'orders-db').spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    // a physical backup Job records its GTID on the PhysicalBackup through the API server (`--physical-backup-meta`), 6443 on many clusters
    expect(find(all, 'NetworkPolicy', 'orders-db-backup').spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toEqual([[53, 53], [3306], [443], [443, 6443]]);
    // without point-in-time recovery the backup Jobs never call it
    const logicalOnly = objects(setup(Tier.PRODUCTION, { backup }).app);
    expect(find(logicalOnly, 'NetworkPolicy', 'orders-db-backup').spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toEqual([[53, 53], [3306], [443]]);
  });

  test('point-in-time recovery is refused where the operator cannot archive binary logs (single instance, MariaDB before 10.8, no backup)', () => {
    expect(() => setup(Tier.DEVELOPMENT, { backup, pointInTimeRecovery: true })).toThrow(/pointInTimeRecovery.*replication topology/s);
    expect(() => setup(Tier.PRODUCTION, { engine: DatabaseEngine.mariadbOperator({ version: '10.6.20' }), backup, pointInTimeRecovery: true })).toThrow(/10\.8 or later/);
    expect(() => setup(Tier.PRODUCTION, { pointInTimeRecovery: true })).toThrow(ValidationError);
  });

  test('recovery: bootstrapped from the origin\'s backups in S3 up to a target time; the restore Job reaches the store and the database', () => {
    const { app } = setup(Tier.STAGING, { recovery: { source: minio.destination, serverName: 'orders-db-old', targetTime: '2026-11-20T08:00:00Z' } });
    const all = objects(app);
    expect(find(all, 'MariaDB').spec.bootstrapFrom).toMatchObject({
      s3: { bucket: 'acme-backups', prefix: 'orders/orders-db-old/logical', endpoint: 'minio.minio.svc:9000' },
      backupContentType: 'Logical',
      targetRecoveryTime: '2026-11-20T08:00:00Z',
      restoreJob: { metadata: { labels: { 'stateful.cdk8s.io/database': 'orders-db', 'stateful.cdk8s.io/role': 'restore' } } },
    });
    expect(find(all, 'NetworkPolicy', 'orders-db-restore').spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toEqual([[53, 53], [3306], [443, 9000]]);
  });

  test('scale-out: new replicas start from a physical backup of a never-scheduled template (without one the operator refuses to add them)', () => {
    const all = objects(setup(Tier.PRODUCTION, { backup: minio }).app);
    const template = find(all, 'PhysicalBackup', 'orders-db-scale-out');
    expect(template.spec).toMatchObject({
      mariaDbRef: { name: 'orders-db', waitForIt: true },
      schedule: { suspend: true },
      target: 'PreferReplica',
      storage: { s3: { bucket: 'acme-backups', prefix: 'orders/orders-db/scale-out', endpoint: 'minio.minio.svc:9000' } },
      podMetadata: { labels: { 'stateful.cdk8s.io/database': 'orders-db', 'stateful.cdk8s.io/role': 'backup' } },
    });
    expect(template.spec.schedule.cron).toBeUndefined();
    // not a backup of the database: no retention or location for change safety to hold
    expect(template.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/force': 'enabled', 'argocd.argoproj.io/sync-options': 'Force=true,Replace=true' });
    expect(find(all, 'MariaDB').spec.replication.replica).toEqual({
      gtid: 'CurrentPos',
      bootstrapFrom: {
        physicalBackupTemplateRef: { name: 'orders-db-scale-out' },
        restoreJob: {
          metadata: { labels: { 'app.kubernetes.io/managed-by': 'mariadb-operator', 'stateful.cdk8s.io/environment': 'prod', 'team': 'orders', 'stateful.cdk8s.io/database': 'orders-db', 'stateful.cdk8s.io/role': 'restore' } },
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
        },
      },
    });
    // the new replica's restore Job reads the object store
    expect(find(all, 'NetworkPolicy', 'orders-db-restore').spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toEqual([[53, 53], [3306], [443, 9000]]);
    // no backup: no template, no source
    const none = objects(setup(Tier.STAGING).app);
    expect(find(none, 'PhysicalBackup', 'orders-db-scale-out')).toBeUndefined();
    expect(find(none, 'MariaDB').spec.replication.replica).toEqual({ gtid: 'CurrentPos' });
    expect(find(none, 'NetworkPolicy', 'orders-db-restore')).toBeUndefined();
  });

  test('NetworkPolicy: clients, the operator (MariaDB and agent ports), peers and helper pods on 3306; egress to DNS, peers, the API server', () => {
    const { app, db } = setup(Tier.PRODUCTION, { backup, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] });
    db.allowFrom(DatabaseClient.fromLabels({ app: 'reports' }, 'analytics'));
    const all = objects(app);
    const pods = { 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': 'orders-db' };
    const np = find(all, 'NetworkPolicy', 'orders-db');
    const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: 'TCP' }));
    expect(np.spec.podSelector).toEqual({ matchLabels: pods });
    expect(np.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'orders-api' } } }, { podSelector: { matchLabels: { app: 'reports' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'analytics' } } }], ports: tcp(3306) },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mariadb-operator' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mariadb-operator' } } }], ports: tcp(3306, 5555, 5566) },
      { from: [{ podSelector: { matchLabels: pods } }], ports: tcp(3306) },
      { from: ['backup', 'restore', 'metrics'].map((role) => ({ podSelector: { matchLabels: { 'stateful.cdk8s.io/database': 'orders-db', 'stateful.cdk8s.io/role': role } } })), ports: tcp(3306) },
    ]);
    expect(np.spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toEqual([[53, 53], [3306, 5555], [443, 6443]]);
    // the client in the namespace may reach the database on 3306
    const clientEgress = all.filter((o) => o.kind === 'NetworkPolicy' && o.spec.podSelector.matchLabels?.app === 'orders-api');
    expect(clientEgress.map((p) => p.spec.egress[1])).toEqual([{ to: [{ podSelector: { matchLabels: pods } }], ports: tcp(3306) }]);
    // the exporter: scraped from monitoring, reaches the database
    expect(find(all, 'NetworkPolicy', 'orders-db-metrics').spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: tcp(9104) }]);
  });

  test('monitoring: the operator\'s exporter and ServiceMonitor, and alert rules (down, replication, storage, backups)', () => {
    const all = objects(setup(Tier.PRODUCTION, { backup }).app);
    const rules = find(all, 'PrometheusRule', 'orders-db-alerts').spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual([
      'MariaDBDown', 'MariaDBMetricsAbsent', 'MariaDBStorageAlmostFull', 'MariaDBReplicationLagHigh', 'MariaDBReplicationStopped',
      'MariaDBLastBackupTooOld', 'MariaDBBackupFailed', 'MariaDBBackupMetricsAbsent',
    ]);
    expect(rules[0].expr).toBe('min by (namespace) (mysql_up{namespace="orders",job="orders-db-metrics"}) == 0');
    // development: no monitoring, no alerts, no replication alerts for a single instance
    expect(find(objects(setup(Tier.DEVELOPMENT).app), 'PrometheusRule')).toBeUndefined();
    const single = find(objects(setup(Tier.DEVELOPMENT, { monitoring: true }).app), 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert);
    expect(single).toEqual(['MariaDBDown', 'MariaDBMetricsAbsent', 'MariaDBStorageAlmostFull']);
  });

  test('every built-in policy pack passes in production; the exporter\'s image counts against the allowed registries until pinned to one', () => {
    const findings = (props: Partial<ReplicatedDatabaseProps>) => {
      const { app } = setup(Tier.PRODUCTION, { backup, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })], ...props });
      for (const pack of PolicyPacks.all()) Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
      return app.render().findings.map((f) => [f.severity, f.ruleId, f.resource?.kind, f.jsonPointer]);
    };
    expect(findings({})).toEqual([['error', 'GITOPS-AllowedRegistries', 'MariaDB', '/spec/metrics/exporter/image']]);
    const pinned = DatabaseEngine.mariadbOperator({ version: '11.4.5', metricsExporterImage: 'ghcr.io/acme/mysqld-exporter:v0.15.1' });
    expect(findings({ engine: pinned })).toEqual([]);
    expect(() => DatabaseEngine.mariadbOperator({ version: '11.4.5', metricsExporterImage: 'prom/mysqld-exporter' })).toThrow(/metricsExporterImage/);
    expect(() => DatabaseEngine.mariadbOperator({ version: '11.4.5', metricsExporterImage: 'prom/mysqld-exporter:latest' })).toThrow(/metricsExporterImage/);
  });

  test('the engine\'s kind facts: the MariaDB bears data (never pruned), its storage, version and members are read; Flux waits for Ready', () => {
    const all = objects(setup(Tier.PRODUCTION, { backup, storageSize: '20Gi' }).app);
    const mariadb = find(all, 'MariaDB');
    expect(all.filter(isDataBearing).map((o) => o.kind)).toEqual(['MariaDB']);
    expect(factOf(mariadb, 'storage')!(mariadb)).toEqual([{ pointer: '/spec/storage/size', size: '20Gi', storageClass: 'ondat-secure', classPointer: '/spec/storage/storageClassName' }]);
    expect(factOf(mariadb, 'version')!(mariadb)).toEqual({ text: '11.4.5', pointer: '/spec/image', majorParts: 2 });
    expect(factOf(mariadb, 'replicas')!(mariadb)).toEqual({ count: 3, pointer: '/spec/replicas', minimum: 3 });
    expect(fluxHealthCheckExprs(all).map((e) => e.kind)).toEqual(expect.arrayContaining(['Database', 'Grant', 'MariaDB', 'User']));
    // what the operator's webhook refuses to change; a Backup recreated on change has none
    expect(immutableFieldsOf(mariadb)).toContain('/spec/storage/storageClassName');
    expect(immutableFieldsOf(find(all, 'Grant'))).toContain('/spec/database');
    const b = find(all, 'Backup');
    expect(immutableFieldsOf(b)).toEqual([]);
    expect(immutableFieldsOf({ ...b, metadata: { ...b.metadata, annotations: {} } })).toEqual(['/spec/mariaDbRef', '/spec/storage', '/spec/maxRetention']);
    // an output wired for one tool carries that tool's annotations only: recreated by it
    const only = (annotations: object) => immutableFieldsOf({ ...b, metadata: { ...b.metadata, annotations } });
    expect(only({ 'kustomize.toolkit.fluxcd.io/force': 'enabled' })).toEqual([]);
    expect(only({ 'argocd.argoproj.io/sync-options': 'Force=true,Replace=true', 'argocd.argoproj.io/sync-wave': '3' })).toEqual([]);
    // annotated for Argo CD without the recreation: Argo CD would update it in place
    expect(only({ 'kustomize.toolkit.fluxcd.io/force': 'enabled', 'argocd.argoproj.io/sync-wave': '3' })).toEqual(['/spec/mariaDbRef', '/spec/storage', '/spec/maxRetention']);
    // the images the operator runs for them, for the allowed registries: the servers, the data plane, the exporter, the backup Jobs
    expect(operatorImagesOf(mariadb).map((i) => [i.pointer, i.image, i.defaulted])).toEqual([
      ['/spec/image', 'docker-registry1.mariadb.com/library/mariadb:11.4.5', false],
      ['/spec/replication/initContainer/image', 'ghcr.io/mariadb-operator/mariadb-operator:26.6.0', false],
      ['/spec/replication/agent/image', 'ghcr.io/mariadb-operator/mariadb-operator:26.6.0', false],
      ['/spec/metrics/exporter/image', 'docker.io/prom/mysqld-exporter', true],
    ]);
    expect(operatorImagesOf(b).map((i) => [i.image, i.defaulted])).toEqual([['ghcr.io/mariadb-operator/mariadb-operator', true]]);
    // and what the operator creates carries the label the admission exports leave to it
    expect(mariadb.spec.inheritMetadata.labels).toEqual({ 'team': 'orders', 'stateful.cdk8s.io/environment': 'prod', 'app.kubernetes.io/managed-by': 'mariadb-operator' });
  });

  test('no literal credentials: passwords come from Secrets, the operator generates its own (root, metrics) in the cluster', () => {
    const all = objects(setup(Tier.PRODUCTION, { backup, pointInTimeRecovery: true }).app);
    expect(all.filter((o) => o.kind === 'Secret')).toEqual([]);
    const text = JSON.stringify(all);
    expect(text).not.toMatch(/"password"\s*:\s*"(?!password")/);
    const refs = JSON.stringify(all.filter((o) => o.apiVersion === 'k8s.mariadb.com/v1alpha1')).match(/"[a-zA-Z]*SecretKeyRef":\{[^}]*\}/g) ?? [];
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(ref).toMatch(/"key":"[A-Za-z_]+","name":"orders-db-[a-z-]+"|"generate":true/);
  });
});

describe('the migration Job connects as TLS requires: it is told so and given the CA bundle the operator writes', () => {
  test.each([[true, 'required'], [false, 'preferred']])('requireTls %s', (requireTls, tls) => {
    const { app } = setup(Tier.PRODUCTION, {
      engine: DatabaseEngine.mariadbOperator({ version: '11.4.5', requireTls }),
      backup,
      migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] },
    });
    const job = find(objects(app), 'Job', 'orders-db-migrate').spec.template.spec;
    const c = job.containers[0];
    expect(c.env.filter((e: any) => e.name.startsWith('DATABASE_T') || e.name === 'DATABASE_CA_FILE'))
      .toEqual([{ name: 'DATABASE_TLS', value: tls }, { name: 'DATABASE_CA_FILE', value: '/etc/database-ca/ca.crt' }]);
    expect(c.volumeMounts).toEqual([{ name: 'ca', mountPath: '/etc/database-ca', readOnly: true }]);
    expect(job.volumes).toEqual([{ name: 'ca', secret: { secretName: 'orders-db-ca-bundle', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]);
  });
});

describeWithCrds('mariadb-operator objects are schema-valid (strict) and Pod Security restricted', () => {
  function full() {
    const { app, db } = setup(Tier.PRODUCTION, {
      backup: minio,
      pointInTimeRecovery: true,
      recovery: { source: backup.destination, serverName: 'orders-db-old', targetTime: '2026-11-20T08:00:00Z' },
      migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] },
      allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })],
    });
    db.addDatabase('ledger');
    db.addUser('analyst', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }, { database: 'ledger', access: DatabaseAccess.READ_WRITE }] });
    return app;
  }

  test('every object of a fully-featured database, unknown fields rejected', () => {
    const all = objects(full());
    expect([...new Set(all.filter((o) => o.apiVersion === 'k8s.mariadb.com/v1alpha1').map((o) => o.kind))].sort()).toEqual(['Backup', 'Database', 'Grant', 'MariaDB', 'PhysicalBackup', 'PointInTimeRecovery', 'User']);
    const validator = sharedValidator();
    for (const o of all) expect({ o: `${o.kind}/${o.metadata.name}`, issues: validator.validate(o) }).toEqual({ o: `${o.kind}/${o.metadata.name}`, issues: [] });
    // the validator does reject what the CRD does not know
    const mariadb = find(all, 'MariaDB');
    expect(validator.validate({ ...mariadb, spec: { ...mariadb.spec, instances: 3 } })).not.toEqual([]);
  });

  test('the pods the operator runs from these specs pass Pod Security restricted (MariaDB, agent, init, backups, exporter); rendered pods too', () => {
    const all = objects(full());
    const mariadb = find(all, 'MariaDB').spec;
    const pod = (spec: any, containers: Record<string, any>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { securityContext: spec.podSecurityContext, containers: Object.entries(containers).map(([name, securityContext]) => ({ name, image: 'x', securityContext })) },
    });
    // each container with the security context the operator gives it: the data plane's are fields of their own
    const pods = [
      pod(mariadb, { mariadb: mariadb.securityContext, agent: mariadb.replication.agent.securityContext, init: mariadb.replication.initContainer.securityContext }),
      pod(find(all, 'Backup').spec, { backup: find(all, 'Backup').spec.securityContext }),
      pod(find(all, 'PhysicalBackup').spec, { backup: find(all, 'PhysicalBackup').spec.securityContext }),
      pod(mariadb.metrics.exporter, { exporter: mariadb.metrics.exporter.securityContext }),
    ];
    expect(mariadb.replication.initContainer.image).toBe('ghcr.io/mariadb-operator/mariadb-operator:26.6.0');
    for (const p of pods) expect(evaluatePodSecurity(p, 'restricted', 'latest')).toEqual([]);
    // and the check can fail: without the pod security context it does
    expect(evaluatePodSecurity(pod({ ...mariadb, podSecurityContext: undefined }, { mariadb: mariadb.securityContext }), 'restricted', 'latest')).not.toEqual([]);
    expect(evaluatePodSecurity(pod(mariadb, { agent: undefined }), 'restricted', 'latest')).not.toEqual([]);

    const app = full();
    Aspects.of(app).add(PolicyPacks.podSecurityRestricted(), { priority: AspectPriority.READONLY });
    expect(app.render().findings).toEqual([]);
  });
});
