/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import { Construct } from 'constructs';
import {
  AspectPriority, Aspects, DatabaseAccess, DatabaseClient, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, MessageQueue, PolicyPacks,
  PoolMode, QueueEngine, ReplicatedDatabase, ReplicatedDatabaseProps, SecretBackend, SecretSource, StorageProfile, Tier,
} from '../../src';
import { ValidationError } from '../../src/errors';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { tmpdir } from '../util/tmp';

const cnpg = DatabaseEngine.cloudNativePg({ version: '16.4' });
const creds = SecretSource.externalSecret({ store: 'vault', remoteKey: 'backups/s3' });
const backup = { schedule: '30 2 * * *', retentionDays: 14, destination: { destinationPath: 's3://acme-backups/orders', credentials: creds } };

function setup(tier: Tier, props: Partial<ReplicatedDatabaseProps> = {}, storage?: StorageProfile) {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const env = new Environment({
    name: tier === Tier.PRODUCTION ? 'prod' : tier === Tier.STAGING ? 'staging' : 'dev',
    tier,
    namespace: 'orders',
    storageProfile: storage ?? StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 }),
    allowedRegistries: ['ghcr.io/cloudnative-pg', 'ghcr.io/acme'],
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
  });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const db = new ReplicatedDatabase(chart, 'OrdersDb', { engine: cnpg, name: 'orders-db', ...props });
  return { app, chart, db };
}

function objects(app: GitOpsApp) {
  return app.render().objects.map((o) => o.manifest);
}
const find = (all: any[], kind: string, name?: string) => all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe('a database with a storage profile of its own', () => {
  const classes = (app: GitOpsApp) => app.render().objects.filter((o) => o.manifest.kind === 'StorageClass').map((o) => `${o.file.replace(/[^/]*$/, '')}${o.manifest.metadata.name}`).sort();

  test.each([['CloudNativePG', cnpg], ['StatefulSet', DatabaseEngine.postgresStatefulSet({ version: '16.4' })]])('%s: its StorageClass is rendered into platform/<cluster>/ and its volumes use it', (_name, engine) => {
    const { app } = setup(Tier.PRODUCTION, { engine, storageProfile: StorageProfile.awsEbs({ name: 'db-gp3' }) });
    expect(classes(app)).toEqual(['platform/prod/db-gp3', 'platform/prod/ondat-secure']);
    const all = objects(app);
    const storageClass = find(all, 'StorageClass', 'db-gp3');
    expect([storageClass.provisioner, storageClass.reclaimPolicy]).toEqual(['ebs.csi.aws.com', 'Retain']);
    const used = find(all, 'Cluster')?.spec.storage.storageClass ?? find(all, 'StatefulSet', 'orders-db').spec.volumeClaimTemplates[0].spec.storageClassName;
    expect(used).toBe('db-gp3');
  });

  test('rendered once when two databases and a queue share the profile, or when it is the environment\'s own', () => {
    const shared = StorageProfile.awsEbs({ name: 'db-gp3' });
    const { app, chart } = setup(Tier.PRODUCTION, { storageProfile: shared });
    new ReplicatedDatabase(chart, 'Billing', { engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), storageProfile: StorageProfile.awsEbs({ name: 'db-gp3' }) });
    new MessageQueue(chart, 'Events', { engine: QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }), storageProfile: shared });
    new ReplicatedDatabase(chart, 'Audit', { engine: cnpg, storageProfile: chart.environment.storageProfile });
    expect(classes(app)).toEqual(['platform/prod/db-gp3', 'platform/prod/ondat-secure']);
  });

  test('a different profile under the same name is refused; an existing() profile renders nothing', () => {
    const { chart } = setup(Tier.PRODUCTION, { storageProfile: StorageProfile.awsEbs({ name: 'db-gp3' }) });
    expect(() => new ReplicatedDatabase(chart, 'Billing', { engine: cnpg, storageProfile: StorageProfile.awsEbs({ name: 'db-gp3', iops: 6000 }) })).toThrow(ValidationError);
    const { app } = setup(Tier.PRODUCTION, { storageProfile: StorageProfile.existing('managed-csi') });
    expect(classes(app)).toEqual(['platform/prod/ondat-secure']);
    expect(find(objects(app), 'Cluster').spec.storage.storageClass).toBe('managed-csi');
  });
});

describe('ReplicatedDatabase on CloudNativePG', () => {
  test('tier defaults: 1 instance in development, 3 with a synchronous replica, spread, PDB and monitoring in production', () => {
    const dev = setup(Tier.DEVELOPMENT);
    expect([dev.db.instances, dev.db.synchronousReplicas, dev.db.spreadAcrossZones, dev.db.podDisruptionBudget, dev.db.monitoring]).toEqual([1, 0, false, false, false]);
    const prod = setup(Tier.PRODUCTION, { backup });
    expect([prod.db.instances, prod.db.synchronousReplicas, prod.db.spreadAcrossZones, prod.db.podDisruptionBudget, prod.db.monitoring]).toEqual([3, 1, true, true, true]);
    const cluster = find(objects(prod.app), 'Cluster');
    expect(cluster.spec).toMatchObject({
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4',
      enablePDB: true,
      storage: { size: '10Gi', storageClass: 'ondat-secure' },
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } },
      postgresql: { synchronous: { method: 'any', number: 1, dataDurability: 'required' } },
      // one instance per node, the zones balanced by the spread constraint (a required anti-affinity on the zone
      // would leave every instance beyond the number of zones Pending)
      affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname', podAntiAffinityType: 'required' },
      topologySpreadConstraints: [{
        maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { 'cnpg.io/cluster': 'orders-db' } },
      }],
      bootstrap: { initdb: { database: 'app', owner: 'app', secret: { name: 'orders-db-app' }, dataChecksums: true } },
      plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters: { barmanObjectName: 'orders-db-backup' } }],
    });
  });

  test('backups: 5-field cron converted to 6 fields, ObjectStore with retention and credentials from a secret', () => {
    const { app } = setup(Tier.PRODUCTION, { backup });
    const all = objects(app);
    expect(find(all, 'ScheduledBackup').spec).toEqual({
      schedule: '0 30 2 * * *',
      cluster: { name: 'orders-db' },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      backupOwnerReference: 'self',
      immediate: true,
    });
    const store = find(all, 'ObjectStore', 'orders-db-backup');
    expect(store.spec.retentionPolicy).toBe('14d');
    expect(store.spec.configuration.s3Credentials.accessKeyId).toEqual({ name: 'orders-db-backup-credentials', key: 'ACCESS_KEY_ID' });
    expect(find(all, 'ExternalSecret', 'orders-db-backup-credentials').spec.dataFrom).toEqual([{ extract: { key: 'backups/s3' } }]);
    const rules = find(all, 'PrometheusRule').spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual(['PostgresInstanceDown', 'PostgresInstancesNotReady', 'PostgresMetricsAbsent', 'PostgresReplicationLagHigh',
      'PostgresStorageAlmostFull', 'PostgresReplicasNotStreaming', 'PostgresLastBackupTooOld', 'PostgresBackupFailed', 'PostgresBackupMetricsAbsent']);
    // the Barman Cloud plugin's metrics (https://cloudnative-pg.io/plugin-barman-cloud/docs/observability), not the in-core cnpg_collector ones
    const backupRules = rules.filter((r: any) => /Backup/.test(r.alert));
    const backupExprs = backupRules.map((r: any) => r.expr).join('\n');
    expect(backupExprs).not.toMatch(/cnpg_collector/);
    expect(backupExprs.match(/barman_cloud_cloudnative_pg_io_[a-z_]+/g)!.sort()).toEqual([
      'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp', 'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp',
      'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp', 'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp',
      'barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp',
    ]);
    expect(backupRules[2].expr).toBe('absent(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{namespace="orders",pod=~"orders-db-[0-9]+"})');
  });

  test('egress: DNS, the instances, the API server, and the object store on HTTPS and a custom endpoint\'s port', () => {
    const { app } = setup(Tier.PRODUCTION, { backup: { ...backup, destination: { ...backup.destination, endpointUrl: 'http://minio.backup.svc:9000' } } });
    const np = find(objects(app), 'NetworkPolicy', 'orders-db');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const outside = { ipBlock: { cidr: '0.0.0.0/0' } };
    expect(np.spec.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      { to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'orders-db' } } }], ports: [{ port: 5432, protocol: 'TCP' }, { port: 8000, protocol: 'TCP' }] },
      { to: [outside], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
      { to: [outside], ports: [{ port: 443, protocol: 'TCP' }, { port: 9000, protocol: 'TCP' }] },
    ]);
    // without backups, no object-store rule
    expect(find(objects(setup(Tier.DEVELOPMENT).app), 'NetworkPolicy', 'orders-db').spec.egress).toHaveLength(3);
  });

  test('Environment.labels reach the pods CloudNativePG creates (Cluster.spec.inheritedMetadata)', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({
      name: 'prod',
      tier: Tier.PRODUCTION,
      namespace: 'orders',
      labels: { 'team': 'payments', 'cost-center': '42' },
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
    });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    new ReplicatedDatabase(chart, 'OrdersDb', { engine: cnpg, name: 'orders-db', backup });
    expect(find(objects(app), 'Cluster').spec.inheritedMetadata).toEqual({
      labels: { 'team': 'payments', 'cost-center': '42', 'stateful.cdk8s.io/environment': 'prod' },
    });
  });

  test('Environment.labels reach the grants Job\'s pods (below its own labels), not the migration Job\'s: its pod template changes only with the migration', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({
      name: 'prod',
      tier: Tier.PRODUCTION,
      namespace: 'orders',
      labels: { 'team': 'payments', 'app.kubernetes.io/name': 'not-the-job' },
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
    });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    const db = new ReplicatedDatabase(chart, 'OrdersDb', {
      engine: cnpg, name: 'orders-db', backup, migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] },
    });
    db.addUser('analyst', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    const all = objects(app);
    // a Job's pod template is immutable: Flux deletes and re-creates a Job whose template changed (force), which runs the
    // migration again; so a library upgrade that adds labels must not touch it
    expect(find(all, 'Job', 'orders-db-migrate').spec.template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'orders-db-migrate',
      'app.kubernetes.io/component': 'schema-migration',
    });
    const grants = find(all, 'Job', 'orders-db-grants');
    expect(grants.spec.template.metadata.labels).toEqual({
      'team': 'payments',
      'stateful.cdk8s.io/environment': 'prod',
      'app.kubernetes.io/name': 'orders-db-grants',
      'app.kubernetes.io/component': 'schema-migration',
    });
  });

  test('users, grants and databases added after construction are rendered (managed roles, Database objects)', () => {
    const { app, db } = setup(Tier.STAGING);
    db.addDatabase('reporting');
    db.addUser('analyst', { grants: [{ database: 'reporting', access: DatabaseAccess.READ_ONLY }] });
    db.addUser('worker', { password: SecretSource.existing('worker-creds') });
    db.grant('worker', 'app', DatabaseAccess.READ_WRITE);
    const all = objects(app);
    expect(find(all, 'Cluster').spec.managed.roles).toEqual([
      { name: 'analyst', ensure: 'present', login: true, inherit: true, connectionLimit: -1, passwordSecret: { name: 'orders-db-analyst' } },
      { name: 'worker', ensure: 'present', login: true, inherit: true, connectionLimit: -1, passwordSecret: { name: 'worker-creds' } },
    ]);
    expect(all.filter((o) => o.kind === 'Database').map((o) => [o.metadata.name, o.spec.name, o.spec.owner, o.spec.databaseReclaimPolicy])).toEqual([
      ['orders-db-app', 'app', 'app', 'retain'], ['orders-db-reporting', 'reporting', 'app', 'retain'],
    ]);
  });

  test('grants are per database (no pg_read_all_data / pg_write_all_data): a grants Job runs each database\'s SQL as its owner', () => {
    const { app, db } = setup(Tier.STAGING);
    db.addUser('billing', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    db.addDatabase('ledger', { owner: 'billing' });
    db.addUser('analyst', { grants: [{ database: 'ledger', access: DatabaseAccess.READ_ONLY }] });
    db.grant('analyst', 'app', DatabaseAccess.READ_WRITE);
    const all = objects(app);
    expect(JSON.stringify(all)).not.toMatch(/pg_(read|write)_all_data/);
    const sql: Record<string, string> = find(all, 'ConfigMap', 'orders-db-grants').data;
    expect(Object.keys(sql)).toEqual(['app.sql', 'ledger.sql']);
    expect(sql['app.sql']).toContain('REVOKE ALL ON DATABASE "app" FROM PUBLIC;');
    expect(sql['ledger.sql']).toContain('REVOKE ALL ON DATABASE "ledger" FROM PUBLIC;');
    // each database grants its own users, for the objects its owner creates later too
    expect(sql['app.sql']).toContain('GRANT CONNECT, TEMPORARY ON DATABASE "app" TO "analyst";');
    expect(sql['app.sql']).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "app" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "analyst";');
    expect(sql['app.sql']).toContain('GRANT CONNECT ON DATABASE "app" TO "billing";');
    expect(sql['ledger.sql']).toContain('GRANT CONNECT ON DATABASE "ledger" TO "analyst";');
    expect(sql['ledger.sql']).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "billing" GRANT SELECT ON TABLES TO "analyst";');
    // ledger's owner billing is not granted anything in it; app's owner app nothing in ledger (reset to none)
    expect(sql['ledger.sql']).not.toMatch(/TO "billing"/);
    expect(sql['ledger.sql']).toContain('REVOKE ALL ON DATABASE "ledger" FROM "app";');
    expect(sql['ledger.sql']).not.toMatch(/GRANT [^;]* TO "app"/);
    const job = find(all, 'Job', 'orders-db-grants');
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '1', 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
    const containers = [...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers];
    expect(containers.map((c: any) => [c.image, c.command.join(' '), c.env.find((e: any) => e.name === 'PGUSER').valueFrom.secretKeyRef.name])).toEqual([
      ['ghcr.io/cloudnative-pg/postgresql:16.4', 'psql -X -q -v ON_ERROR_STOP=1 -d app -f /grants/app.sql', 'orders-db-app'],
      ['ghcr.io/cloudnative-pg/postgresql:16.4', 'psql -X -q -v ON_ERROR_STOP=1 -d ledger -f /grants/ledger.sql', 'orders-db-billing'],
    ]);
    // the Job's pods reach the database, and only it
    expect(find(all, 'NetworkPolicy', 'orders-db-grants').spec.egress[1]).toEqual({ to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'orders-db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] });
    // a changed grant changes the pod template: Flux replaces the Job, which applies it
    const hash = job.spec.template.metadata.annotations['stateful.cdk8s.io/grants-sha256'];
    db.grant('app', 'ledger', DatabaseAccess.READ_ONLY);
    const again = objects(app);
    expect(find(again, 'Job', 'orders-db-grants').spec.template.metadata.annotations['stateful.cdk8s.io/grants-sha256']).not.toBe(hash);
  });

  test('connection contract: hosts, port, database, secret and keys; the secret renders the URI', () => {
    const { app, db } = setup(Tier.STAGING);
    expect(db.connection).toEqual({
      host: 'orders-db-rw.orders.svc',
      readOnlyHost: 'orders-db-ro.orders.svc',
      port: 5432,
      database: 'app',
      secretName: 'orders-db-app',
      usernameKey: 'username',
      passwordKey: 'password',
      uriKey: 'uri',
      // TLS offered, not required (a client that asks for it, libpq's default `sslmode=prefer`, gets it)
      tlsRequired: false,
    });
    const es = find(objects(app), 'ExternalSecret', 'orders-db-app');
    expect(es.spec.target.template.data).toEqual({ uri: 'postgresql://app:{{ .password | urlquery | replace "+" "%20" }}@orders-db-rw.orders.svc:5432/app', username: 'app' });
  });

  /**
   * What External Secrets writes for a URI template (engine v2): `.password` piped through the two functions the
   * library uses, `urlquery` (Go's url.QueryEscape: only A-Z a-z 0-9 - _ . ~ are kept, a space is "+") and sprig's
   * `replace OLD NEW` (runtime/template/v2/sprig/strings.go); any other function is not emulated.
   */
  function esoRenders(template: string, password: string): string {
    return template.replace(/\{\{ \.password((?: \| [^|}]+)*) \}\}/g, (_m, pipes: string) => {
      let v = password;
      for (const fn of pipes.split(' | ').map((p) => p.trim()).filter((p) => p !== '')) {
        const replace = /^replace "([^"]*)" "([^"]*)"$/.exec(fn);
        if (fn === 'urlquery') {
          v = [...Buffer.from(v, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
        } else if (replace) {
          v = v.split(replace[1]).join(replace[2]);
        } else {
          throw new Error(`template function not emulated: ${fn}`);
        }
      }
      return v;
    });
  }

  test.each<[string, any]>([
    ['CloudNativePG', cnpg],
    ['mariadb-operator', DatabaseEngine.mariadbOperator({ version: '11.4.5' })],
    ['the PostgreSQL StatefulSet', DatabaseEngine.postgresStatefulSet({ version: '16.4' })],
    ['the MariaDB StatefulSet', DatabaseEngine.mariadbStatefulSet({ version: '11.4.5' })],
  ])('%s: the URI holds the password percent-encoded, a space as %%20 (a "+" in userinfo is a plus to libpq, URL parsers)', (_name, engine) => {
    const { app } = setup(Tier.STAGING, { engine });
    const password = 'pa ss+word@:/?#%&=\'"';
    for (const key of ['uri', 'pooler-uri']) {
      for (const es of objects(app).filter((o) => o.kind === 'ExternalSecret' && o.spec.target.template?.data?.[key] !== undefined)) {
        const uri = new URL(esoRenders(es.spec.target.template.data[key], password));
        expect(decodeURIComponent(uri.password)).toBe(password);
        expect(uri.password).not.toContain('+');
      }
    }
  });

  test('a RabbitMQ user\'s AMQP URI holds the password percent-encoded, a space as %20', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const chart = new EnvironmentChart(app, 'q', {
      environment: new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'q', secretBackend: SecretBackend.externalSecrets({ store: 'vault' }), storageProfile: StorageProfile.ondat({ name: 'ondat', replicas: 2 }) }),
    });
    for (const [id, engine] of [['Op', QueueEngine.rabbitmqOperator({ version: '4.1.4' })], ['Sts', QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' })]] as const) {
      new MessageQueue(chart, id, { name: id.toLowerCase(), engine, users: [{ name: 'api' }] });
    }
    const secrets = objects(app).filter((o) => o.kind === 'ExternalSecret' && o.spec.target.template?.data?.uri !== undefined);
    expect(secrets.length).toBe(2);
    for (const es of secrets) {
      const uri = new URL(esoRenders(es.spec.target.template.data.uri, 'a b+c'));
      expect(uri.password).toBe('a%20b%2Bc');
    }
  });

  test.each<[string, any, Record<string, string> | undefined]>([
    ['CloudNativePG', cnpg, { 'cnpg.io/reload': 'true' }],
    ['mariadb-operator', DatabaseEngine.mariadbOperator({ version: '11.4.5' }), { 'k8s.mariadb.com/watch': '' }],
    ['the PostgreSQL StatefulSet (no operator watches)', DatabaseEngine.postgresStatefulSet({ version: '16.4' }), undefined],
  ])('%s: the users\' Secrets carry the label the operator watches, so a rotated password reaches the database at once', (_name, engine, labels) => {
    const { app } = setup(Tier.STAGING, { engine });
    const secrets = objects(app).filter((o) => o.kind === 'ExternalSecret' && o.spec.target.template?.data?.uri !== undefined);
    expect(secrets.length).toBeGreaterThan(0);
    for (const es of secrets) expect(es.spec.target.template.metadata?.labels).toEqual(labels);
  });

  test('two databases of one app may not back up to one place (each would overwrite the other\'s archive and prune its backups)', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const charts = ['staging', 'prod'].map((name) => new EnvironmentChart(app, `orders-${name}`, {
      environment: new Environment({ name, tier: Tier.STAGING, namespace: `orders-${name}`, storageProfile: StorageProfile.ondat({ name: 'ondat', replicas: 2 }) }),
    }));
    new ReplicatedDatabase(charts[0], 'OrdersDb', { engine: cnpg, name: 'orders-db', backup });
    // the same path and name from another environment: refused, naming the first
    expect(() => new ReplicatedDatabase(charts[1], 'OrdersDb', { engine: cnpg, name: 'orders-db', backup }))
      .toThrow(/DUPLICATE.*orders-prod\/OrdersDb: invalid backup.destination.destinationPath "s3:\/\/acme-backups\/orders": a location no other database of the app backs up to: orders-staging\/OrdersDb already writes s3:\/\/acme-backups\/orders\/orders-db\//);
    // another path, another name, or another object store endpoint: each its own place
    new ReplicatedDatabase(charts[1], 'OrdersDb2', { engine: cnpg, name: 'orders-db', backup: { ...backup, destination: { ...backup.destination, destinationPath: 's3://acme-backups/prod/orders' } } });
    new ReplicatedDatabase(charts[1], 'BillingDb', { engine: cnpg, name: 'billing-db', backup });
    new ReplicatedDatabase(charts[1], 'OrdersDb3', { engine: cnpg, name: 'orders-db', backup: { ...backup, destination: { ...backup.destination, endpointUrl: 'https://minio.example.com' } } });
    // a second app is another set of places
    const other = new GitOpsApp({ outdir: tmpdir() });
    new ReplicatedDatabase(new EnvironmentChart(other, 'x', { environment: new Environment({ name: 'staging', tier: Tier.STAGING, namespace: 'orders-staging', storageProfile: StorageProfile.ondat({ name: 'ondat', replicas: 2 }) }) }),
      'OrdersDb', { engine: cnpg, name: 'orders-db', backup });
  });

  test('NetworkPolicy admits exactly the clients, the operator, the instances, the pooler and monitoring', () => {
    const { app, db } = setup(Tier.PRODUCTION, { backup, pooler: { poolMode: PoolMode.SESSION }, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] });
    db.allowFrom(DatabaseClient.fromLabels({ app: 'reports' }, 'analytics'));
    const np = find(objects(app), 'NetworkPolicy', 'orders-db');
    expect(np.spec.podSelector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'orders-db' } });
    expect(np.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'orders-api' } } }, { podSelector: { matchLabels: { app: 'reports' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'analytics' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } } }], ports: [{ port: 5432, protocol: 'TCP' }, { port: 8000, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'orders-db' } } }, { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders-db-grants', 'app.kubernetes.io/component': 'schema-migration' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: { 'cnpg.io/poolerName': 'orders-db-pooler-rw' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9187, protocol: 'TCP' }, { port: 9127, protocol: 'TCP' }] }, // PgBouncer's exporter on the pooler's pods too
    ]);
    expect(find(objects(app), 'Pooler').spec).toMatchObject({ instances: 2, type: 'rw', pgbouncer: { poolMode: 'session' } });
  });

  test('with a pooler (whose pods carry the cluster label too), zone spreading and scraping select the instances only', () => {
    const instances = { 'cnpg.io/cluster': 'orders-db', 'cnpg.io/podRole': 'instance' };
    const pooled = objects(setup(Tier.PRODUCTION, { backup, pooler: {} }).app);
    expect(find(pooled, 'Cluster').spec.topologySpreadConstraints[0].labelSelector).toEqual({ matchLabels: instances });
    expect(find(pooled, 'PodMonitor', 'orders-db').spec.selector).toEqual({ matchLabels: instances });
    // PgBouncer's exporter (9127) has its own PodMonitor, and monitoring reaches it there
    const pooler = { 'cnpg.io/poolerName': 'orders-db-pooler-rw' };
    expect(find(pooled, 'PodMonitor', 'orders-db-pooler-rw').spec).toEqual({ selector: { matchLabels: pooler }, podMetricsEndpoints: [{ port: 'metrics' }] });
    expect(find(pooled, 'NetworkPolicy', 'orders-db').spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9187, protocol: 'TCP' }, { port: 9127, protocol: 'TCP' }],
    });
    // applications are told where the pooler is: its host, and a URI through it in each user's Secret
    const { db: pooledDb, app: pooledApp } = setup(Tier.PRODUCTION, { backup, pooler: {} });
    expect(pooledDb.connection).toMatchObject({ host: 'orders-db-rw.orders.svc', poolerHost: 'orders-db-pooler-rw.orders.svc', poolerUriKey: 'pooler-uri' });
    expect(find(objects(pooledApp), 'ExternalSecret', 'orders-db-app').spec.target.template.data['pooler-uri'])
      .toBe('postgresql://app:{{ .password | urlquery | replace "+" "%20" }}@orders-db-pooler-rw.orders.svc:5432/app');
    expect(setup(Tier.PRODUCTION, { backup }).db.connection.poolerHost).toBeUndefined();
    // CloudNativePG gives the pooler's Deployment no resources, spreading or budget of its own
    expect(find(pooled, 'Pooler').spec.template).toEqual({
      spec: {
        containers: [{ name: 'pgbouncer', resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } } }],
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: pooler }, topologyKey: 'kubernetes.io/hostname' } }] } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: pooler } }],
      },
    });
    expect(find(pooled, 'PodDisruptionBudget', 'orders-db-pooler-rw').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: pooler } });
    // one pooler pod (development): no budget that would block every drain; resources as given
    const devPooled = objects(setup(Tier.DEVELOPMENT, { pooler: { resources: { cpu: '50m', memory: '64Mi' } } }).app);
    expect(devPooled.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(find(devPooled, 'Pooler').spec.template.spec).toMatchObject({ containers: [{ name: 'pgbouncer', resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '64Mi' } } }] });
    expect(find(devPooled, 'Pooler').spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(() => setup(Tier.DEVELOPMENT, { pooler: { resources: { memory: 'lots' } } })).toThrow(/pooler\.resources\.memory/);
    const plain = objects(setup(Tier.PRODUCTION, { backup }).app);
    expect(find(plain, 'Cluster').spec.topologySpreadConstraints[0].labelSelector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'orders-db' } });
    expect(find(plain, 'PodMonitor').spec.selector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'orders-db' } });
  });

  test('the pooler\'s PgBouncer pods never open more server connections than PostgreSQL\'s max_connections (100) leaves them', () => {
    // PgBouncer's default_pool_size is per user and database and per pod: 2 pods x 3 users x 20 = 120 > 100 ("sorry, too many
    // clients already"). max_db_connections caps each pod's connections to a database, whatever the users; the pods pool
    // every declared database and `postgres` (CloudNativePG's auth_query), and 3 + 20 stay for superusers, Jobs, direct clients
    const parameters = (app: GitOpsApp) => find(objects(app), 'Pooler').spec.pgbouncer.parameters;
    const fits = (p: any, instances: number, databases: number) => instances * (databases + 1) * Number(p.max_db_connections) <= 100 - 3 - 20;
    const prod = setup(Tier.PRODUCTION, { backup, pooler: {} });
    prod.db.addUser('analyst', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    prod.db.addUser('worker', { grants: [{ database: 'app', access: DatabaseAccess.READ_WRITE }] });
    expect(parameters(prod.app)).toEqual({ max_client_conn: '1000', default_pool_size: '19', max_db_connections: '19' });
    expect(fits(parameters(prod.app), 2, 1)).toBe(true);
    // the share follows the databases declared until synthesis
    prod.db.addDatabase('ledger');
    expect(parameters(prod.app)).toMatchObject({ default_pool_size: '12', max_db_connections: '12' });
    expect(fits(parameters(prod.app), 2, 2)).toBe(true);
    const dev = setup(Tier.DEVELOPMENT, { pooler: {} });
    expect(parameters(dev.app)).toMatchObject({ default_pool_size: '38', max_db_connections: '38' });
    // sizes that cannot fit fail early, naming the fix
    const wide = setup(Tier.PRODUCTION, { backup, pooler: { instances: 20 } });
    wide.db.addDatabase('ledger');
    expect(parameters(wide.app)).toMatchObject({ max_db_connections: '1' });
    expect(() => wide.db.addDatabase('audit')).toThrow(ValidationError);
    const late = setup(Tier.PRODUCTION, { backup, pooler: { instances: 20 } });
    late.db.addDatabase('ledger');
    expect(() => late.db.addDatabase('audit')).toThrow(/pooler\.instances.*20 pooler instances for 3 databases.*at most 77.*fewer pooler\.instances/s);
  });

  test('recovery bootstrap and a schema migration Job after its database (Sync hook, wave 1, a fresh database\'s retry budget)', () => {
    const { app } = setup(Tier.STAGING, {
      recovery: { source: { destinationPath: 's3://acme-backups/orders', credentials: creds }, serverName: 'orders-db', targetTime: '2026-11-20T08:00:00Z' },
      migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate', 'up'] },
    });
    const all = objects(app);
    expect(find(all, 'Cluster').spec.bootstrap.recovery).toMatchObject({ source: 'origin', recoveryTarget: { targetTime: '2026-11-20T08:00:00Z' } });
    expect(find(all, 'Cluster').spec.externalClusters[0].plugin.parameters).toEqual({ barmanObjectName: 'orders-db-recovery', serverName: 'orders-db' });
    const job = find(all, 'Job', 'orders-db-migrate');
    // a PreSync hook runs before the Application creates the Cluster and its Secret: a first sync would deadlock
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '1', 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
    expect(job.spec).toMatchObject({ backoffLimit: 10, activeDeadlineSeconds: 3600 });
    expect(job.spec.template.spec.containers[0].env[0]).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'orders-db-app', key: 'uri' } } });
  });

  test('a recovery reads the source\'s bucket with the source\'s credentials, the backups write with their own (a Secret each)', () => {
    const prodKeys = SecretSource.externalSecret({ store: 'vault', remoteKey: 'prod/backup-s3' });
    const drKeys = SecretSource.externalSecret({ store: 'vault', remoteKey: 'dr/backup-s3' });
    const { app } = setup(Tier.PRODUCTION, {
      backup: { ...backup, destination: { destinationPath: 's3://acme-dr/orders', credentials: drKeys } },
      recovery: { source: { destinationPath: 's3://acme-prod/orders', credentials: prodKeys }, serverName: 'orders-db' },
    });
    const all = objects(app);
    const store = (name: string) => find(all, 'ObjectStore', name).spec.configuration;
    expect(store('orders-db-backup').s3Credentials.accessKeyId.name).toBe('orders-db-backup-credentials');
    expect(store('orders-db-recovery').s3Credentials.accessKeyId.name).toBe('orders-db-recovery-credentials');
    const remote = (name: string) => find(all, 'ExternalSecret', name).spec.dataFrom[0].extract.key;
    expect([remote('orders-db-backup-credentials'), remote('orders-db-recovery-credentials')]).toEqual(['dr/backup-s3', 'prod/backup-s3']);
  });

  // CloudNativePG's docs ("Backup and WAL Archive Considerations"): a major upgrade changes the Barman Cloud plugin's serverName with imageName,
  // which the plugin reads from the Cluster's plugins[] entry only (plugin-barman-cloud config.go `NewFromCluster`), never from a Backup's
  test('backup.serverName: the plugin parameter serverName, the ObjectStore\'s location, and nothing on the ScheduledBackup', () => {
    const all = objects(setup(Tier.PRODUCTION, { engine: DatabaseEngine.cloudNativePg({ version: '17.2' }), backup: { ...backup, serverName: 'orders-db-pg17' } }).app);
    expect(find(all, 'Cluster').spec.plugins).toEqual([{
      name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters: { barmanObjectName: 'orders-db-backup', serverName: 'orders-db-pg17' },
    }]);
    expect(find(all, 'ObjectStore', 'orders-db-backup').metadata.annotations['stateful.cdk8s.io/backup-location']).toBe('s3://acme-backups/orders/orders-db-pg17/');
    expect(find(all, 'ScheduledBackup').spec.pluginConfiguration).toEqual({ name: 'barman-cloud.cloudnative-pg.io' });
    // the default (the Cluster's name) is left out: the plugin's own default, and the output of databases that do not set it unchanged
    const plain = objects(setup(Tier.PRODUCTION, { backup: { ...backup, serverName: 'orders-db' } }).app);
    expect(find(plain, 'Cluster').spec.plugins[0].parameters).toEqual({ barmanObjectName: 'orders-db-backup' });
    expect(find(plain, 'ObjectStore', 'orders-db-backup').metadata.annotations['stateful.cdk8s.io/backup-location']).toBe('s3://acme-backups/orders/orders-db/');
    expect(() => setup(Tier.PRODUCTION, { backup: { ...backup, serverName: 'Orders_DB' } })).toThrow(/INVALID_NAME.*backup\.serverName "Orders_DB"/s);
  });

  test.each<[string, DatabaseEngine, (all: any[]) => unknown]>([
    ['the StatefulSet engine', DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
      (all) => find(all, 'CronJob', 'orders-db-backup').spec.jobTemplate.spec.template.spec.containers[0].env.find((e: any) => e.name === 'BACKUP_DESTINATION').value],
    ['mariadb-operator', DatabaseEngine.mariadbOperator({ version: '11.4.5' }), (all) => find(all, 'Backup', 'orders-db-backup').spec.storage.s3.prefix],
  ])('backup.serverName on %s: the folder its backups go to', (_name, engine, folder) => {
    expect(folder(objects(setup(Tier.PRODUCTION, { engine, backup: { ...backup, serverName: 'orders-db-v2' } }).app))).toMatch(/orders-db-v2(\/logical)?$/);
    expect(folder(objects(setup(Tier.PRODUCTION, { engine, backup }).app))).toMatch(/orders-db(\/logical)?$/);
  });

  test('backup.serverName: two databases under one server name collide; a recovery from the server name this database now writes is refused', () => {
    const { chart } = setup(Tier.PRODUCTION, { backup: { ...backup, serverName: 'orders' } });
    expect(() => new ReplicatedDatabase(chart, 'Billing', { engine: cnpg, name: 'billing-db', backup: { ...backup, serverName: 'orders' } }))
      .toThrow(/DUPLICATE.*already writes s3:\/\/acme-backups\/orders\/orders\/.*its own `backup.serverName`/s);
    // restoring the data of before a major upgrade into a new database: the old server name, while this one writes the new
    expect(() => setup(Tier.PRODUCTION, { backup: { ...backup, serverName: 'orders-db-pg17' }, recovery: { source: backup.destination, serverName: 'orders-db' } })).not.toThrow();
    expect(() => setup(Tier.PRODUCTION, { backup: { ...backup, serverName: 'orders-db-pg17' }, recovery: { source: backup.destination, serverName: 'orders-db-pg17' } }))
      .toThrow(/INVALID_BACKUP.*it writes its own backups to s3:\/\/acme-backups\/orders\/orders-db-pg17\//s);
  });

  test('a recovery from the place this database backs up to is refused (it would restore from the archive it then writes)', () => {
    expect(() => setup(Tier.PRODUCTION, { backup, recovery: { source: backup.destination, serverName: 'orders-db' } }))
      .toThrow(/INVALID_BACKUP.*recovery\.serverName "orders-db".*it writes its own backups to s3:\/\/acme-backups\/orders\/orders-db\/, so it would restore from the archive it then writes/s);
    // another server name in the same bucket (the database it replaces), or another path: fine
    expect(() => setup(Tier.PRODUCTION, { backup, recovery: { source: backup.destination, serverName: 'orders-db-old' } })).not.toThrow();
  });

  test('one Secret, one source: two different sources bound to one Secret name are a ValidationError (the second was dropped silently)', () => {
    const { db } = setup(Tier.PRODUCTION, { backup });
    const a = SecretSource.externalSecret({ store: 'vault', remoteKey: 'a', secretName: 'shared-s3' });
    const b = SecretSource.externalSecret({ store: 'vault', remoteKey: 'b', secretName: 'shared-s3' });
    a.bind(db, { name: 'x', keys: ['K'] });
    // the same source again is the same ExternalSecret
    expect(() => a.bind(db, { name: 'x', keys: ['K'] })).not.toThrow();
    expect(() => b.bind(db, { name: 'x', keys: ['K'] })).toThrow(/CONFLICTING_DEFINITION.*"shared-s3" is already bound from remote key "a" of store "vault"; give the other its own secretName/s);
  });

  test.each<[string, () => void, RegExp]>([
    ['instances < 1', () => setup(Tier.DEVELOPMENT, { instances: 0 }), /invalid instances 0: an integer from 1 to 9/],
    ['synchronous replicas >= instances', () => setup(Tier.DEVELOPMENT, { instances: 2, synchronousReplicas: 2 }), /invalid synchronousReplicas 2: fewer than instances \(2\)/],
    ['unpinned version', () => DatabaseEngine.cloudNativePg({ version: '16' }), /invalid version "16": a pinned PostgreSQL version/],
    ['latest version', () => DatabaseEngine.postgresStatefulSet({ version: 'latest' }), /invalid version "latest"/],
    ['unsupported major', () => DatabaseEngine.cloudNativePg({ version: '9.6' }), /invalid version "9.6"/],
    ['malformed cron', () => setup(Tier.DEVELOPMENT, { backup: { ...backup, schedule: '0 2 * *' } }), /INVALID_SCHEDULE.*invalid backup.schedule "0 2 \* \*"/],
    ['a 6-field (seconds first) cron', () => setup(Tier.DEVELOPMENT, { backup: { ...backup, schedule: '0 15 2 * * *' } }),
      /INVALID_SCHEDULE.*\(6 fields: drop the leading seconds field and write "15 2 \* \* \*"; the CloudNativePG 6-field form .* is derived from it\)/],
    ['cron out of range', () => setup(Tier.DEVELOPMENT, { backup: { ...backup, schedule: '0 25 * * *' } }), /hour out of range/],
    ['bad retention', () => setup(Tier.DEVELOPMENT, { backup: { ...backup, retentionDays: 0 } }), /invalid backup.retentionDays 0/],
    ['malformed size', () => setup(Tier.DEVELOPMENT, { storageSize: '10 GB' }), /invalid storageSize "10 GB"/],
    ['zero size', () => setup(Tier.DEVELOPMENT, { storageSize: '0Gi' }), /invalid storageSize "0Gi"/],
    ['invalid database name', () => setup(Tier.DEVELOPMENT, { databaseName: 'Orders-DB' }), /INVALID_IDENTIFIER.*invalid databaseName "Orders-DB"/],
    ['reserved user name', () => setup(Tier.DEVELOPMENT, { ownerName: 'postgres' }), /invalid ownerName "postgres"/],
    ['duplicate user', () => setup(Tier.DEVELOPMENT).db.addUser('app'), /DUPLICATE.*invalid user "app"/],
    ['duplicate database', () => setup(Tier.DEVELOPMENT).db.addDatabase('app'), /DUPLICATE.*invalid database "app"/],
    ['backup without destination', () => setup(Tier.DEVELOPMENT, { backup: { schedule: '0 2 * * *', destination: undefined as any } }), /invalid backup.destination/],
    ['bad destination', () => setup(Tier.DEVELOPMENT, { backup: { ...backup, destination: { destinationPath: 'https://x', credentials: creds } } }), /invalid backup.destination.destinationPath "https:\/\/x"/],
    ['PITR without backups', () => setup(Tier.DEVELOPMENT, { pointInTimeRecovery: true }), /invalid pointInTimeRecovery true: point-in-time recovery needs `backup`/],
    ['PITR off with backups on CloudNativePG (the WAL archive cannot be off)', () => setup(Tier.PRODUCTION, { backup, pointInTimeRecovery: false }),
      /UNSUPPORTED.*invalid pointInTimeRecovery false: true \(or unset\) with backups on CloudNativePG/],
    ['grant to an unknown user', () => setup(Tier.DEVELOPMENT).db.grant('nobody', 'app', DatabaseAccess.READ_ONLY), /UNKNOWN_USER/],
    ['vault password', () => setup(Tier.DEVELOPMENT).db.addUser('x', { password: SecretSource.vault({ role: 'r', path: 'secret/x' }) }), /delivers a Kubernetes Secret/],
    ['unpinned migration image', () => setup(Tier.DEVELOPMENT, { migration: { image: 'ghcr.io/acme/migrate', command: ['x'] } }), /invalid migration.image/],
    ['name too long', () => setup(Tier.DEVELOPMENT, { name: 'a'.repeat(41) }), /at most 40 characters/],
    // the plugin registers under its fixed name and ignores any other spec.plugins entry: no backup would ever run
    ['a Barman Cloud plugin name other than the plugin\'s own', () => DatabaseEngine.cloudNativePg({ version: '16.4', barmanPluginName: 'my.plugin' }),
      /invalid barmanPluginName "my.plugin": "barman-cloud.cloudnative-pg.io" only/],
  ])('%s is a ValidationError', (_name, make, message) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(message);
  });

  test('a grant to an undeclared database fails validation at synthesis, naming the construct', () => {
    const { app, db } = setup(Tier.DEVELOPMENT);
    db.addUser('bi', { grants: [{ database: 'warehouse', access: DatabaseAccess.READ_ONLY }] });
    expect(() => app.render()).toThrow(/\[CONSTRUCT_VALIDATION\] orders\/OrdersDb: invalid configuration: user "bi" is granted "warehouse", which is not a declared database/);
  });

  test('a database outside an EnvironmentChart is a ValidationError', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    expect(() => new ReplicatedDatabase(new Construct(app, 'x'), 'Db', { engine: cnpg })).toThrow(/NO_ENVIRONMENT/);
  });
});

describe('data-protection rules for databases', () => {
  function findings(tier: Tier, props: Partial<ReplicatedDatabaseProps>, storage?: StorageProfile) {
    const { app } = setup(tier, props, storage);
    Aspects.of(app).add(PolicyPacks.dataProtection(), { priority: AspectPriority.READONLY });
    return app.render().findings.filter((f) => f.constructPath === 'orders/OrdersDb').map((f) => `${f.severity}:${f.ruleId}`).sort();
  }

  test('a compliant production database has no finding', () => {
    expect(findings(Tier.PRODUCTION, { backup })).toEqual([]);
  });

  test.each<[string, Partial<ReplicatedDatabaseProps>, string[]]>([
    ['no backup', {}, ['error:DATA-BackupRequired']],
    ['short retention', { backup: { ...backup, retentionDays: 3 } }, ['error:DATA-BackupRetention']],
    ['2 instances', { backup, instances: 2 }, ['error:DATA-DatabaseInstances']],
    ['no zone spread', { backup, spreadAcrossZones: false }, ['error:DATA-DatabaseZoneSpread']],
    ['unencrypted, deleted volumes', { backup, storageProfile: StorageProfile.existing('plain') }, ['error:DATA-DatabaseEncryptedStorage', 'error:DATA-DatabaseRetainOnDelete']],
  ])('%s in production', (_name, props, expected) => {
    expect(findings(Tier.PRODUCTION, props)).toEqual(expected);
  });

  test('the same database in development is not flagged', () => {
    expect(findings(Tier.DEVELOPMENT, { instances: 1 })).toEqual([]);
  });
});

describeWithCrds('database objects are schema-valid (strict)', () => {
  test('every object of a fully-featured CloudNativePG database', () => {
    const { app, db } = setup(Tier.PRODUCTION, {
      backup,
      pooler: {},
      migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] },
      allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })],
    });
    db.addUser('analyst', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    const validator = sharedValidator();
    const all = objects(app);
    expect(all.map((o) => o.kind).sort()).toEqual([
      'Cluster', 'ConfigMap', 'Database', 'ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'Job', 'Job', 'Namespace', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy',
      'ObjectStore', 'PodDisruptionBudget', 'PodMonitor', 'PodMonitor', 'Pooler', 'PrometheusRule', 'ScheduledBackup', 'StorageClass',
    ]);
    for (const o of all) expect({ o: `${o.kind}/${o.metadata.name}`, issues: validator.validate(o) }).toEqual({ o: `${o.kind}/${o.metadata.name}`, issues: [] });
  });

  test('the backups under a server name of their own (a major upgrade): the Cluster, ObjectStore and ScheduledBackup', () => {
    const { app } = setup(Tier.PRODUCTION, { engine: DatabaseEngine.cloudNativePg({ version: '17.2' }), backup: { ...backup, serverName: 'orders-db-pg17' } });
    const validator = sharedValidator();
    const backupObjects = objects(app).filter((o) => ['Cluster', 'ObjectStore', 'ScheduledBackup'].includes(o.kind));
    expect(backupObjects).toHaveLength(3);
    for (const o of backupObjects) expect({ o: o.kind, issues: validator.validate(o) }).toEqual({ o: o.kind, issues: [] });
  });

  test('before PostgreSQL 15, the Database objects hand schema public to the owner (for the grants Job to close it)', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'orders', secretBackend: SecretBackend.existingSecrets() });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    const db = new ReplicatedDatabase(chart, 'OrdersDb', { engine: DatabaseEngine.cloudNativePg({ version: '14.13' }), name: 'orders-db' });
    db.addDatabase('ledger');
    const validator = sharedValidator();
    const databases = objects(app).filter((o) => o.kind === 'Database');
    expect(databases.map((d) => d.spec.schemas)).toEqual([[{ name: 'public', owner: 'app', ensure: 'present' }], [{ name: 'public', owner: 'app', ensure: 'present' }]]);
    for (const d of databases) expect(validator.validate(d)).toEqual([]);
    // from 15 on, schema public is the database owner's already
    expect(find(objects(setup(Tier.STAGING).app), 'Database').spec.schemas).toBeUndefined();
  });

  test('rendered pods (the migration and grants Jobs) pass Pod Security restricted', () => {
    const { app } = setup(Tier.PRODUCTION, { backup, migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] } });
    Aspects.of(app).add(PolicyPacks.podSecurityRestricted(), { priority: AspectPriority.READONLY });
    expect(app.render().findings).toEqual([]);
  });
});

describe('DatabaseClient', () => {
  test('fromWorkload admits the pods of a cdk8s-plus workload', () => {
    const { chart, app, db } = setup(Tier.STAGING);
    const plus = jest.requireActual('cdk8s-plus-28');
    const web = new plus.Deployment(chart, 'Web', { containers: [{ image: 'ghcr.io/acme/web:1.0' }] });
    db.allowFrom(DatabaseClient.fromWorkload(web));
    const all = objects(app);
    const peer = find(all, 'NetworkPolicy', 'orders-db').spec.ingress[0].from[0];
    const deployment = find(all, 'Deployment');
    // exactly the workload's own selector, in the workload's namespace, and its pods carry those labels
    expect(peer).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } },
      podSelector: { matchLabels: deployment.spec.selector.matchLabels },
    });
    expect(Object.keys(peer.podSelector.matchLabels).length).toBeGreaterThan(0);
    expect(deployment.spec.template.metadata.labels).toMatchObject(peer.podSelector.matchLabels);
  });

  test('fromLabels refuses an empty selector or a bad namespace', () => {
    expect(() => DatabaseClient.fromLabels({})).toThrow(/at least one label/);
    expect(() => DatabaseClient.fromLabels({ app: 'x' }, 'Bad NS')).toThrow(/invalid namespace "Bad NS"/);
  });
});

describe('a migration changed alone reaches Argo CD (its Sync hook is left out of the Application\'s sync status)', () => {
  // controller/state.go: hooks "do not affect overall sync status"; appcontroller.go autoSync runs only for OutOfSync: the
  // migration's egress NetworkPolicy, a regular object of the Application, carries the digest of the Job's pod template
  const render = (engine: any, image: string, command = ['migrate', 'up']) => {
    const app = new GitOpsApp({ outdir: tmpdir(), argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: 'https://kubernetes.default.svc' } } });
    const chart = new EnvironmentChart(app, 'orders', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', cluster: 'prod' }) });
    new ReplicatedDatabase(chart, 'Db', { engine, name: 'orders-db', migration: { image, command } });
    const all = objects(app);
    return { job: find(all, 'Job', 'orders-db-migrate'), policy: find(all, 'NetworkPolicy', 'orders-db-migrate') };
  };
  test.each([
    ['CloudNativePG', cnpg],
    ['PostgreSQL StatefulSet', DatabaseEngine.postgresStatefulSet({ version: '16.4' })],
    ['mariadb-operator', DatabaseEngine.mariadbOperator({ version: '11.4.4' })],
    ['MariaDB StatefulSet', DatabaseEngine.mariadbStatefulSet({ version: '11.4.4' })],
  ])('%s: the policy\'s stateful.cdk8s.io/migration-sha256 is a digest of the Job\'s pod template: it changes with the image or the command', (_name, engine) => {
    const a = render(engine, 'ghcr.io/acme/orders-migrations:2.3.0');
    expect(a.job.metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
    expect(a.policy.metadata.annotations['argocd.argoproj.io/hook']).toBeUndefined();
    const digest = a.policy.metadata.annotations['stateful.cdk8s.io/migration-sha256'];
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(render(engine, 'ghcr.io/acme/orders-migrations:2.3.0').policy.metadata.annotations['stateful.cdk8s.io/migration-sha256']).toBe(digest);
    expect(render(engine, 'ghcr.io/acme/orders-migrations:2.4.0').policy.metadata.annotations['stateful.cdk8s.io/migration-sha256']).not.toBe(digest);
    expect(render(engine, 'ghcr.io/acme/orders-migrations:2.3.0', ['migrate', 'up', '--all']).policy.metadata.annotations['stateful.cdk8s.io/migration-sha256']).not.toBe(digest);
  });
});
