import { spawnSync } from 'child_process';
import { backup, find, manifests, mariadbFixture } from './fixture';
import {
  AspectPriority, Aspects, DatabaseAccess, DatabaseClient, DatabaseEngine, PointInTimeRecoverySupport, PolicyPacks, SecretBackend, SecretSource, Tier,
} from '../../../src';
import { evaluatePacks } from '../../../src/policy/engine';
import { CONFIG_HASH_ANNOTATION } from '../../../src/private/engine-facts';
import { describeWithCrds, sharedValidator } from '../../util/crds';

const labels = { 'app.kubernetes.io/name': 'mariadb', 'app.kubernetes.io/instance': 'orders-db' };
const backupLabels = { 'app.kubernetes.io/name': 'mariadb-backup', 'app.kubernetes.io/instance': 'orders-db' };
const podSpec = (all: any[]) => find(all, 'StatefulSet', 'orders-db').spec.template.spec;
const container = (all: any[], name: string) => [...podSpec(all).initContainers, ...podSpec(all).containers].find((c: any) => c.name === name);
const env = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
const RESTRICTED = { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

describe('mariadb-statefulset engine: rendered objects', () => {
  test('development: StatefulSet, scripts ConfigMap, headless / -rw / -ro Services, NetworkPolicy; one instance, no PDB, backup or monitoring', () => {
    const { app, db } = mariadbFixture();
    const all = manifests(app).filter((o) => o.kind !== 'Namespace' && o.kind !== 'StorageClass');
    expect(all.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/orders-db-scripts', 'NetworkPolicy/default-deny', 'NetworkPolicy/orders-db',
      'Service/orders-db-headless', 'Service/orders-db-ro', 'Service/orders-db-rw', 'StatefulSet/orders-db',
    ]);
    expect([db.instances, db.synchronousReplicas, db.monitoring, db.podDisruptionBudget, db.spreadAcrossZones, db.cpu, db.memory])
      .toEqual([1, 0, false, false, false, '250m', '512Mi']);
    const sts = find(all, 'StatefulSet', 'orders-db');
    expect(sts.spec).toMatchObject({
      serviceName: 'orders-db-headless',
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: labels },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      volumeClaimTemplates: [{
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'ondat-secure', resources: { requests: { storage: '10Gi' } } },
      }],
    });
    // the environment's labels on the pods (the selector stays the engine's)
    expect(sts.spec.template.metadata.labels).toEqual({ ...labels, 'stateful.cdk8s.io/environment': 'dev' });
    expect(sts.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
    const spec = sts.spec.template.spec;
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.automountServiceAccountToken).toBe(false);
    const mariadb = container(all, 'mariadb');
    expect(mariadb).toMatchObject({
      image: 'docker.io/library/mariadb:10.11.10',
      command: ['bash', '/etc/mariadb-stateful/scripts/entrypoint.sh'],
      ports: [{ name: 'mysql', containerPort: 3306, protocol: 'TCP' }],
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
      readinessProbe: { exec: { command: ['bash', '/etc/mariadb-stateful/scripts/probe.sh', 'ready'] } },
      securityContext: RESTRICTED,
    });
    // a read-only root filesystem: the socket, pid file and temporary files live in emptyDirs
    expect(mariadb.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/run/mysqld', '/tmp', '/var/lib/mysql']));
    expect(spec.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name)).toEqual(['run', 'tmp']);
    expect(env(mariadb)).toMatchObject({ PRIMARY_HOST: 'orders-db-0.orders-db-headless', PRIMARY_PORT: '3306', PORT: '3306', SOCKET: '/run/mysqld/mysqld.sock' });
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['bootstrap']);
    expect(find(all, 'Service', 'orders-db-rw').spec.selector).toEqual({ ...labels, 'statefulset.kubernetes.io/pod-name': 'orders-db-0' });
    expect(find(all, 'Service', 'orders-db-ro').spec).toMatchObject({ selector: labels, ports: [{ name: 'mysql', port: 3306 }] });
  });

  test('the connection contract: -rw / -ro hosts, port 3306, the owner\'s Secret keys, a mysql:// URI', () => {
    const { app, db } = mariadbFixture({ secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }) });
    expect(db.connection).toEqual({
      host: 'orders-db-rw.orders.svc',
      readOnlyHost: 'orders-db-ro.orders.svc',
      port: 3306,
      database: 'app',
      secretName: 'orders-db-app',
      usernameKey: 'username',
      passwordKey: 'password',
      uriKey: 'uri',
      tlsRequired: false,
    });
    const es = find(manifests(app), 'ExternalSecret', 'orders-db-app');
    expect(es.spec.target.template.data.uri).toBe('mysql://app:{{ .password | urlquery | replace "+" "%20" }}@orders-db-rw.orders.svc:3306/app');
  });

  test('the engine: capabilities (no failover, no point-in-time recovery), version, image', () => {
    const engine = DatabaseEngine.mariadbStatefulSet({ version: '11.4.5', imageRepository: 'registry.acme.io/mirror/mariadb' });
    expect(engine.capabilities).toEqual({
      pointInTimeRecovery: PointInTimeRecoverySupport.UNSUPPORTED, pooler: false, automaticFailover: false, tls: false,
    });
    expect([engine.kind, engine.version, engine.majorVersion, engine.port, engine.image])
      .toEqual(['mariadb-statefulset', '11.4.5', 11, 3306, 'registry.acme.io/mirror/mariadb:11.4.5']);
  });

  test('production: three instances, semi-synchronous replica, zone spread, PDB, backup CronJob, exporter, alerts, NetworkPolicy peers', () => {
    const { app, db } = mariadbFixture({ tier: Tier.PRODUCTION, props: { backup, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] } });
    const all = manifests(app);
    expect([db.instances, db.synchronousReplicas, db.monitoring, db.podDisruptionBudget]).toEqual([3, 1, true, true]);
    const spec = podSpec(all);
    expect(spec.topologySpreadConstraints[0]).toEqual({ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } });
    expect(find(all, 'StatefulSet', 'orders-db').spec.replicas).toBe(3);
    const cnf = find(all, 'ConfigMap', 'orders-db-scripts').data['my.cnf'];
    for (const line of ['log_bin', 'binlog_format = ROW', 'log_slave_updates = ON', 'gtid_strict_mode = ON', 'rpl_semi_sync_master_enabled = ON', 'innodb_buffer_pool_size = 2048M']) {
      expect(cnf.split('\n')).toContain(line);
    }
    expect(find(all, 'PodDisruptionBudget', 'orders-db').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: labels } });
    // the exporter runs as nobody (uid 65534): unix_socket authentication maps it to 'nobody'@'localhost'
    expect(container(all, 'metrics')).toMatchObject({
      image: 'quay.io/prometheus/mysqld-exporter:v0.16.0',
      ports: [{ name: 'metrics', containerPort: 9104 }],
      securityContext: { ...RESTRICTED, runAsUser: 65534, runAsGroup: 65534 },
      // mysqld_exporter requires a password, which unix_socket authentication ignores: the pod's UID, no secret
      env: [{ name: 'MYSQLD_EXPORTER_PASSWORD', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }],
    });
    expect(find(all, 'ConfigMap', 'orders-db-scripts').data['exporter.cnf']).toBe('[client]\nuser = nobody\nsocket = /run/mysqld/mysqld.sock\n');
    expect(find(all, 'PodMonitor', 'orders-db').spec).toEqual({ selector: { matchLabels: labels }, podMetricsEndpoints: [{ port: 'metrics' }] });
    expect(find(all, 'PrometheusRule', 'orders-db-alerts').spec.groups[0].rules.map((r: any) => r.alert)).toEqual([
      'MariadbInstanceDown', 'MariadbMetricsAbsent', 'MariadbReplicationStopped', 'MariadbReplicationLagHigh', 'MariadbStorageAlmostFull',
      'MariadbLastBackupTooOld', 'MariadbBackupFailed', 'MariadbBackupMetricsAbsent',
    ]);

    const cron = find(all, 'CronJob', 'orders-db-backup');
    expect(cron.spec).toMatchObject({ schedule: '30 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    // the backup facts change safety reads
    expect(cron.metadata.annotations).toEqual({
      'stateful.cdk8s.io/backup-of': 'orders-db',
      'stateful.cdk8s.io/backup-retention': '7d',
      'stateful.cdk8s.io/backup-retention-field': '/spec/jobTemplate/spec/template/spec/containers/0/env/2/value',
      'stateful.cdk8s.io/backup-location': 's3://acme-backups/orders/orders-db/ at https://minio.storage.svc:9000',
      'stateful.cdk8s.io/backup-location-field': '/spec/jobTemplate/spec/template/spec/containers/0/env/1/value',
    });
    const job = cron.spec.jobTemplate.spec.template.spec;
    expect(job.containers[0].env[2]).toEqual({ name: 'RETENTION_DAYS', value: '7' });
    expect(job.containers[0].env[1]).toEqual({ name: 'BACKUP_DESTINATION', value: 's3://acme-backups/orders/orders-db' });
    expect(job.initContainers[0]).toMatchObject({ name: 'dump', image: 'docker.io/library/mariadb:10.11.10', command: ['bash', '/etc/mariadb-stateful/scripts/backup.sh'] });
    expect(env(job.initContainers[0])).toMatchObject({ BACKUP_HOST: 'orders-db-rw', BACKUP_PORT: '3306', REPLICATION_USER: 'replicator' });
    expect(env(job.containers[0])).toMatchObject({
      BACKUP_DESTINATION: 's3://acme-backups/orders/orders-db',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'orders-backup-s3', key: 'ACCESS_KEY_ID' } },
      S3_ENDPOINT_URL: 'https://minio.storage.svc:9000',
    });
    expect(find(all, 'ConfigMap', 'orders-db-scripts').data['backup.sh']).toMatch(/mariadb-dump .*\\\n {2}--all-databases --single-transaction --gtid/);
    expect(find(all, 'NetworkPolicy', 'orders-db').spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'orders-api' } } }], ports: [{ port: 3306, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: labels } }], ports: [{ port: 3306, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: backupLabels } }], ports: [{ port: 3306, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9104, protocol: 'TCP' }] },
    ]);
    expect(find(all, 'NetworkPolicy', 'orders-db-backup').spec.podSelector).toEqual({ matchLabels: backupLabels });
  });

  test('egress: a client in the namespace reaches the database pods on 3306; the pods reach DNS and each other on 3306', () => {
    const { app } = mariadbFixture({ props: { allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] } });
    const policies = manifests(app).filter((o) => o.kind === 'NetworkPolicy');
    const client = policies.find((p) => p.spec.podSelector?.matchLabels?.app === 'orders-api');
    expect(client.spec.egress).toEqual(expect.arrayContaining([{ to: [{ podSelector: { matchLabels: labels } }], ports: [{ port: 3306, protocol: 'TCP' }] }]));
    const own = find(policies, 'NetworkPolicy', 'orders-db');
    expect(own.spec.egress).toEqual(expect.arrayContaining([{ to: [{ podSelector: { matchLabels: labels } }], ports: [{ port: 3306, protocol: 'TCP' }] }]));
    expect(JSON.stringify(policies)).not.toMatch(/5432/);
  });

  test('users, grants and databases declared after construction reach the reconcile script and the mounted Secrets', () => {
    const { app, db } = mariadbFixture({ withUsers: true });
    db.addDatabase('sales_2027');
    db.grant('reader', 'sales_2027', DatabaseAccess.READ_ONLY);
    const all = manifests(app);
    const sql = find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql'];
    expect(sql).toContain("GRANT SELECT, SHOW VIEW ON `app`.* TO 'reader'@'%';;");
    expect(sql).toContain("GRANT ALL PRIVILEGES ON `reports`.* TO 'maintainer'@'%';;");
    expect(sql).toContain("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, SHOW VIEW ON `app`.* TO 'writer'@'%';;");
    // "_" is a wildcard in GRANT database names: escaped, so that the grant covers exactly that database
    expect(sql).toContain("GRANT SELECT, SHOW VIEW ON `sales\\_2027`.* TO 'reader'@'%';;");
    expect(sql).toContain('CREATE DATABASE IF NOT EXISTS `sales_2027` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;;');
    expect(sql).toContain("ALTER USER 'reader'@'%' WITH MAX_USER_CONNECTIONS 10;;");
    const users = podSpec(all).volumes.find((v: any) => v.name === 'users').projected.sources;
    expect(users.map((s: any) => s.secret.name)).toEqual(['orders-db-app', 'orders-db-maintainer', 'orders-db-reader', 'orders-db-writer']);
  });

  test('the config hash rolls the pods when the configuration changes; grants and databases do not touch the pod template', () => {
    const template = (o: Parameters<typeof mariadbFixture>[0]) => find(manifests(mariadbFixture(o).app), 'StatefulSet', 'orders-db').spec.template;
    const base = template({});
    const more = mariadbFixture({});
    more.db.addDatabase('extra');
    expect(find(manifests(more.app), 'StatefulSet', 'orders-db').spec.template).toEqual(base);
    expect(template({ props: { resources: { memory: '2Gi' } } }).metadata.annotations[CONFIG_HASH_ANNOTATION])
      .not.toBe(base.metadata.annotations[CONFIG_HASH_ANNOTATION]);
  });

  test('recovery: an init container downloads the newest complete backup for an empty primary', () => {
    const all = manifests(mariadbFixture({ props: { recovery: { source: backup.destination, serverName: 'orders-db-old' } } }).app);
    expect(podSpec(all).initContainers.map((c: any) => c.name)).toEqual(['restore-download', 'bootstrap']);
    expect(env(container(all, 'restore-download'))).toMatchObject({ RECOVERY_SOURCE: 's3://acme-backups/orders/orders-db-old', RESTORE_DIR: '/var/lib/mysql-restore' });
    expect(env(container(all, 'bootstrap')).RESTORE_DIR).toBe('/var/lib/mysql-restore');
    expect(container(all, 'restore-download').securityContext).toEqual(RESTRICTED);
  });

  test('every rendered script is valid bash', () => {
    const cm = find(manifests(mariadbFixture({ withUsers: true, props: { backup } }).app), 'ConfigMap').data;
    const scripts = Object.keys(cm).filter((k) => k.endsWith('.sh')).sort();
    expect(scripts).toEqual(['backup.sh', 'bootstrap.sh', 'common.sh', 'download.sh', 'entrypoint.sh', 'probe.sh', 'reconcile.sh', 'replicate.sh', 'upload.sh']);
    for (const script of scripts) {
      const r = spawnSync('bash', ['-n'], { input: cm[script], encoding: 'utf8' });
      expect({ script, status: r.status, stderr: r.stderr }).toEqual({ script, status: 0, stderr: '' });
    }
  });

  test('output is deterministic', () => {
    const render = () => JSON.stringify(manifests(mariadbFixture({ tier: Tier.PRODUCTION, withUsers: true, props: { backup } }).app));
    expect(render()).toBe(render());
  });
});

describe('mariadb-statefulset engine: credentials and validation', () => {
  test('no Secret, password or credential value in any rendered object; passwords only from mounted files', () => {
    const { app } = mariadbFixture({
      tier: Tier.PRODUCTION,
      withUsers: true,
      props: { backup, ownerPassword: SecretSource.existing('orders-app-password') },
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
    });
    const all = manifests(app);
    expect(all.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(find(all, 'ExternalSecret', 'orders-db-replicator').spec.dataFrom).toEqual([{ extract: { key: 'orders/prod/orders-db-replicator' } }]);
    const sql = find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql'];
    // passwords: only session variables set by reconcile.sh from the mounted files, hashed before they replicate
    expect([...sql.matchAll(/IDENTIFIED BY PASSWORD', ' ', QUOTE\(@pw_hash\)/g)]).toHaveLength(5);
    expect(sql).not.toMatch(/IDENTIFIED BY '/);
    for (const o of all) expect(JSON.stringify(o)).not.toMatch(/MYSQL_PWD|MARIADB_ROOT_PASSWORD|"password":"/i);
    const findings = evaluatePacks([PolicyPacks.gitopsHygiene()], all.map((manifest) => ({ manifest }))).findings
      .filter((f) => f.ruleId === 'GITOPS-NoLiteralCredentials' || f.ruleId === 'GITOPS-NoSecretData');
    expect(findings).toEqual([]);
  });

  test.each([
    ['10.11', /INVALID_VERSION.*MAJOR.MINOR.PATCH/s],
    ['latest', /INVALID_VERSION/],
    ['10.5.27', /INVALID_VERSION.*10.6, 10.11, 11.4, 11.8/s],
    [undefined, /INVALID_VERSION/],
  ])('version %p is rejected', (version, error) => {
    expect(() => DatabaseEngine.mariadbStatefulSet({ version: version as any })).toThrow(error);
  });

  test('an image repository with a tag is rejected', () => {
    expect(() => DatabaseEngine.mariadbStatefulSet({ version: '10.11.10', imageRepository: 'mariadb:10.11' })).toThrow(/INVALID_VALUE.*imageRepository/s);
  });

  test.each([
    ['more than one synchronous replica', { instances: 3, synchronousReplicas: 2 }, /UNSUPPORTED.*synchronousReplicas.*0 or 1/s],
    ['a recovery target time', { recovery: { source: backup.destination, serverName: 'orders-db', targetTime: '2026-11-20T08:00:00Z' } }, /UNSUPPORTED.*recovery.targetTime/s],
    ['point-in-time recovery', { backup, pointInTimeRecovery: true }, /pointInTimeRecovery/],
    ['a pooler', { pooler: {} }, /pooler.*MariaDB StatefulSet engine/s],
  ])('%s is rejected', (_what, props, error) => {
    expect(() => mariadbFixture({ props: props as any })).toThrow(error);
  });

  test.each(['root', 'mysql', 'replicator', 'nobody', 'mariadb', 'information_schema', 'sys', 'a'.repeat(33), 'Upper', 'has-dash'])('user or database name %p is rejected', (name) => {
    const { db } = mariadbFixture();
    if (name !== 'mariadb') {
      expect(() => db.addUser(name)).toThrow(/INVALID_IDENTIFIER.*MariaDB/s);
    }
    expect(() => db.addDatabase(name === 'mariadb' ? 'performance_schema' : name)).toThrow(/INVALID_IDENTIFIER/);
  });

  test('the replication password needs a secret backend that delivers Kubernetes Secrets', () => {
    expect(() => mariadbFixture({
      props: { ownerPassword: SecretSource.existing('orders-app') },
      secretBackend: SecretBackend.vault({ role: 'orders' }),
    })).toThrow(/INVALID_SECRET_SOURCE.*replication password.*Secret "orders-db-replicator"/s);
  });
});

describeWithCrds('mariadb-statefulset engine: schema and policies', () => {
  test('every object is schema-valid (strict, unknown fields rejected)', () => {
    const validator = sharedValidator();
    for (const props of [
      { backup, migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] }, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] },
      { recovery: { source: backup.destination, serverName: 'orders-db-old' } },
    ]) {
      const { app } = mariadbFixture({ tier: Tier.PRODUCTION, withUsers: true, props });
      for (const o of manifests(app)) {
        expect({ o: `${o.kind}/${o.metadata.name}`, issues: validator.validate(o) }).toEqual({ o: `${o.kind}/${o.metadata.name}`, issues: [] });
      }
    }
  });

  test('pods pass Pod Security restricted, production readiness and GitOps hygiene in production; data protection warns of the missing failover', () => {
    const { app } = mariadbFixture({
      tier: Tier.PRODUCTION,
      withUsers: true,
      props: { backup, migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] } },
    });
    Aspects.of(app).add(PolicyPacks.podSecurityRestricted(), { priority: AspectPriority.READONLY });
    Aspects.of(app).add(PolicyPacks.productionReadiness(), { priority: AspectPriority.READONLY });
    Aspects.of(app).add(PolicyPacks.gitopsHygiene(), { priority: AspectPriority.READONLY });
    Aspects.of(app).add(PolicyPacks.dataProtection(), { priority: AspectPriority.READONLY });
    const output = app.render();
    // the one finding: the data-protection pack reads the engine's capabilities (no automatic failover)
    expect(output.findings.map((f) => `${f.severity} ${f.ruleId}: ${f.message}`)).toEqual([
      'warning DATA-DatabaseAutomaticFailover: database orders-db uses the MariaDB StatefulSet engine (no automatic failover)',
    ]);
  });
});
