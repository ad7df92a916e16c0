import { spawnSync } from 'child_process';
import { backup, find, manifests, statefulSetFixture } from './fixture';
import {
  AspectPriority, Aspects, DatabaseAccess, DatabaseClient, PolicyPacks, SecretBackend, SecretSource, Tier,
} from '../../../src';
import { renderPostgresqlConf } from '../../../src/database/engines/postgres-statefulset/config';
import { CONFIG_HASH_ANNOTATION } from '../../../src/database/engines/postgres-statefulset/render';
import { evaluatePacks } from '../../../src/policy/engine';
import { describeWithCrds, sharedValidator } from '../../util/crds';

const labels = { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'orders-db' };
const podSpec = (all: any[]) => find(all, 'StatefulSet', 'orders-db').spec.template.spec;
const container = (all: any[], name: string) => [...podSpec(all).initContainers, ...podSpec(all).containers].find((c: any) => c.name === name);
const env = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('postgres-statefulset engine: rendered objects', () => {
  test('development: StatefulSet, scripts ConfigMap, headless / -rw / -ro Services, NetworkPolicy; no PDB, backup or monitoring', () => {
    const { app } = statefulSetFixture();
    const all = manifests(app).filter((o) => o.kind !== 'Namespace' && o.kind !== 'StorageClass');
    expect(all.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/orders-db-scripts', 'NetworkPolicy/default-deny', 'NetworkPolicy/orders-db',
      'Service/orders-db-headless', 'Service/orders-db-ro', 'Service/orders-db-rw', 'StatefulSet/orders-db',
    ]);
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
    // the environment's labels on the pods (the selector, immutable, stays the engine's)
    expect(sts.spec.template.metadata.labels).toEqual({ ...labels, 'stateful.cdk8s.io/environment': 'dev' });
    const spec = sts.spec.template.spec;
    expect(spec.topologySpreadConstraints).toBeUndefined();
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.automountServiceAccountToken).toBe(false);
    const postgres = container(all, 'postgres');
    expect(postgres).toMatchObject({
      image: 'docker.io/library/postgres:15.8',
      imagePullPolicy: 'IfNotPresent',
      command: ['bash', '/etc/postgresql-stateful/scripts/entrypoint.sh'],
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
      readinessProbe: { exec: { command: ['bash', '/etc/postgresql-stateful/scripts/probe.sh', 'ready'] } },
      livenessProbe: { exec: { command: ['bash', '/etc/postgresql-stateful/scripts/probe.sh', 'live'] } },
      startupProbe: { exec: { command: ['bash', '/etc/postgresql-stateful/scripts/probe.sh', 'startup'] } },
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
    expect(postgres.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/var/run/postgresql', '/tmp', '/var/lib/postgresql/data']));
    expect(env(postgres)).toMatchObject({
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } }, PG_MAJOR_VERSION: '15', PRIMARY_HOST: 'orders-db-0.orders-db-headless', PRIMARY_PORT: '5432',
    });
    // every possible replica, so that scaling does not change the pod template
    expect(env(postgres).REPLICA_HOSTS).toBe([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `orders-db-${i}.orders-db-headless:5432`).join(' '));
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['bootstrap']);
  });

  test('Services: headless publishes not-ready pods, -rw selects ordinal 0 only, -ro selects every instance', () => {
    const all = manifests(statefulSetFixture().app);
    const ports = [{ name: 'postgresql', port: 5432, targetPort: 'postgresql', protocol: 'TCP' }];
    expect(find(all, 'Service', 'orders-db-headless').spec).toEqual({ clusterIP: 'None', publishNotReadyAddresses: true, selector: labels, ports });
    expect(find(all, 'Service', 'orders-db-rw').spec).toEqual({
      type: 'ClusterIP', selector: { ...labels, 'statefulset.kubernetes.io/pod-name': 'orders-db-0' }, ports,
    });
    expect(find(all, 'Service', 'orders-db-ro').spec).toEqual({ type: 'ClusterIP', selector: labels, ports });
  });

  test('production: replicas, synchronous standby, zone spread, PDB, backup CronJob, monitoring, NetworkPolicy peers', () => {
    const { app, db } = statefulSetFixture({ tier: Tier.PRODUCTION, props: { backup, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] } });
    const all = manifests(app);
    expect(db.instances).toBe(3);
    const spec = podSpec(all);
    expect(spec.topologySpreadConstraints[0]).toEqual({ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } });
    expect(find(all, 'StatefulSet', 'orders-db').spec.replicas).toBe(3);
    const cm = find(all, 'ConfigMap', 'orders-db-scripts').data;
    expect(cm['postgresql.conf']).toMatch(/^synchronous_standby_names = 'ANY 1 \("orders-db-1", "orders-db-2", "orders-db-3", .*, "orders-db-8"\)'$/m);
    expect(cm['postgresql.conf']).toMatch(/^shared_buffers = '1024MB'$/m);
    expect(find(all, 'PodDisruptionBudget', 'orders-db').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: labels } });
    expect(container(all, 'metrics')).toMatchObject({ image: 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0', ports: [{ name: 'metrics', containerPort: 9187 }] });
    expect(find(all, 'PodMonitor', 'orders-db').spec).toEqual({ selector: { matchLabels: labels }, podMetricsEndpoints: [{ port: 'metrics' }] });
    expect(find(all, 'PrometheusRule', 'orders-db-alerts').spec.groups[0].rules.map((r: any) => r.alert)).toEqual([
      'PostgresInstanceDown', 'PostgresMetricsAbsent', 'PostgresReplicationLagHigh', 'PostgresStorageAlmostFull', 'PostgresLastBackupTooOld', 'PostgresBackupFailed',
      'PostgresBackupMetricsAbsent',
    ]);

    const cron = find(all, 'CronJob', 'orders-db-backup');
    expect(cron.spec).toMatchObject({ schedule: '30 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const job = cron.spec.jobTemplate.spec.template.spec;
    expect(job.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } });
    expect(job.initContainers[0]).toMatchObject({ name: 'base-backup', image: 'docker.io/library/postgres:15.8', command: ['bash', '/etc/postgresql-stateful/scripts/backup.sh'] });
    expect(env(job.initContainers[0])).toMatchObject({ BACKUP_HOST: 'orders-db-rw', BACKUP_PORT: '5432' });
    expect(env(job.containers[0])).toEqual({
      BACKUP_DIR: '/var/lib/postgresql/backup',
      BACKUP_DESTINATION: 's3://acme-backups/orders/orders-db',
      RETENTION_DAYS: '7',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'orders-backup-s3', key: 'ACCESS_KEY_ID' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'orders-backup-s3', key: 'ACCESS_SECRET_KEY' } },
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      S3_ENDPOINT_URL: 'https://minio.storage.svc:9000',
      HOME: '/tmp',
    });
    // backup pods are not database pods: no Service, PDB or NetworkPolicy podSelector picks them up as instances
    expect(job.containers[0].image).toBe('docker.io/amazon/aws-cli:2.17.0');
    expect(cron.spec.jobTemplate.spec.template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'postgresql-backup', 'app.kubernetes.io/instance': 'orders-db', 'stateful.cdk8s.io/environment': 'prod',
    });

    expect(find(all, 'NetworkPolicy', 'orders-db').spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'orders-api' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: labels } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql-backup', 'app.kubernetes.io/instance': 'orders-db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9187, protocol: 'TCP' }] },
    ]);
  });

  test('without zone spread: preferred anti-affinity on the hostname', () => {
    const all = manifests(statefulSetFixture({ tier: Tier.STAGING }).app);
    expect(podSpec(all).topologySpreadConstraints).toBeUndefined();
    expect(podSpec(all).affinity).toEqual({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } } }] },
    });
  });

  test('users, grants and databases declared after construction reach the reconcile script and the mounted Secrets', () => {
    const { app } = statefulSetFixture({ withUsers: true });
    const all = manifests(app);
    const sql = find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql'];
    expect(sql).toContain('CREATE DATABASE "reports" OWNER "app";');
    expect(sql).toContain('ALTER ROLE "reader" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 10 PASSWORD :\'pw_reader\';');
    expect(sql).toContain('GRANT CONNECT ON DATABASE "reports" TO "reader";');
    expect(sql).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "app" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "writer";');
    expect(sql).toContain('GRANT ALL ON DATABASE "reports" TO "maintainer";');
    const users = podSpec(all).volumes.find((v: any) => v.name === 'users');
    expect(users.projected.sources.map((s: any) => [s.secret.name, s.secret.items])).toEqual([
      ['orders-db-app', [{ key: 'password', path: 'app/password' }]],
      ['orders-db-maintainer', [{ key: 'password', path: 'maintainer/password' }]],
      ['orders-db-reader', [{ key: 'password', path: 'reader/password' }]],
      ['orders-db-writer', [{ key: 'password', path: 'writer/password' }]],
    ]);
  });

  test('scaling changes only spec.replicas: the primary is not restarted', () => {
    const sts = (instances: number) => find(manifests(statefulSetFixture({ tier: Tier.STAGING, props: { instances, synchronousReplicas: 1 } }).app), 'StatefulSet');
    const [two, five] = [sts(2), sts(5)];
    expect(five.spec.replicas).toBe(5);
    expect(five.spec.template).toEqual(two.spec.template);
  });

  test('the config hash rolls the pods when the configuration changes; grants and databases do not touch the pod template', () => {
    const hash = (o: Parameters<typeof statefulSetFixture>[0]) => find(manifests(statefulSetFixture(o).app), 'StatefulSet').spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hash({})).toMatch(/^[0-9a-f]{16}$/);
    expect(hash({ withUsers: true })).toBe(hash({}));
    expect(hash({ props: { resources: { memory: '2Gi' } } })).not.toBe(hash({}));
    expect(hash({ props: { synchronousReplicas: 1, instances: 2 } })).not.toBe(hash({ props: { instances: 2 } }));

    const template = (more: boolean) => {
      const { app, db } = statefulSetFixture({ withUsers: true });
      if (more) {
        db.addDatabase('audit');
        db.grant('writer', 'reports', DatabaseAccess.READ_ONLY);
      }
      const all = manifests(app);
      return { template: find(all, 'StatefulSet').spec.template, sql: find(all, 'ConfigMap').data['reconcile.sql'] };
    };
    expect(template(true).template).toEqual(template(false).template);
    expect(template(true).sql).not.toEqual(template(false).sql);
  });

  test('version-aware configuration', () => {
    const render = (version: string) => find(manifests(statefulSetFixture({ version }).app), 'ConfigMap').data;
    const v13 = render('13.16');
    const v17 = render('17.2');
    expect(v13['postgresql.conf']).toMatch(/^wal_keep_size = '1024MB'$/m);
    expect(v13['reconcile.sql']).toContain('REVOKE CREATE ON SCHEMA public FROM PUBLIC;');
    expect(v13['reconcile.sql']).toContain('ALTER SCHEMA public OWNER TO "app";');
    expect(v17['reconcile.sql']).not.toContain('REVOKE CREATE ON SCHEMA public');
    expect(v17['postgresql.conf']).toMatch(/^# PostgreSQL 17 configuration/);
    const base = { name: 'x', instances: 1, synchronousReplicas: 0, memory: '1Gi', storageSize: '10Gi', monitoring: false };
    expect(renderPostgresqlConf({ ...base, majorVersion: 12 })).toMatch(/^wal_keep_segments = 64$/m);
    expect(renderPostgresqlConf({ ...base, majorVersion: 12 })).not.toMatch(/wal_keep_size/);
    // the WAL a volume holds between checkpoints (max_wal_size) and for replicas (wal_keep_size) stays well within it
    const wal = (storageSize: string) => {
      const conf = renderPostgresqlConf({ ...base, majorVersion: 16, storageSize });
      return [/^max_wal_size = '(.*)'$/m.exec(conf)![1], /^wal_keep_size = '(.*)'$/m.exec(conf)![1]];
    };
    expect(wal('1Gi')).toEqual(['256MB', '128MB']);
    expect(wal('2Gi')).toEqual(['512MB', '204MB']);
    expect(wal('512Mi')).toEqual(['128MB', '128MB']);
    expect(wal('4Gi')).toEqual(['1GB', '409MB']);
    expect(wal('100Gi')).toEqual(['1GB', '10240MB']);
  });

  test('pg_hba.conf: no trust, superuser and replication role without network login, scram-sha-256 everywhere else', () => {
    const hba = find(manifests(statefulSetFixture().app), 'ConfigMap').data['pg_hba.conf'];
    const rules = hba.split('\n').filter((l: string) => l && !l.startsWith('#')).map((l: string) => l.split(/\s+/));
    expect(rules.map((r: string[]) => r[r.length - 1])).not.toContain('trust');
    expect(rules.map((r: string[]) => r[r.length - 1])).not.toContain('password');
    expect(rules.map((r: string[]) => r[r.length - 1])).not.toContain('md5');
    expect(rules.filter((r: string[]) => r[0] === 'host').map((r: string[]) => r.slice(1).join(' '))).toEqual([
      'replication replicator 0.0.0.0/0 scram-sha-256',
      'replication replicator ::/0 scram-sha-256',
      'replication all 0.0.0.0/0 reject',
      'replication all ::/0 reject',
      'all postgres,replicator,postgres_exporter 0.0.0.0/0 reject',
      'all postgres,replicator,postgres_exporter ::/0 reject',
      'all all 0.0.0.0/0 scram-sha-256',
      'all all ::/0 scram-sha-256',
    ]);
  });

  test('recovery: an init container downloads the newest complete backup for an empty primary', () => {
    const { app } = statefulSetFixture({ props: { recovery: { source: backup.destination, serverName: 'orders-db-old' } } });
    const all = manifests(app);
    expect(podSpec(all).initContainers.map((c: any) => c.name)).toEqual(['restore-download', 'bootstrap']);
    expect(env(container(all, 'restore-download'))).toMatchObject({
      RECOVERY_SOURCE: 's3://acme-backups/orders/orders-db-old', RESTORE_DIR: '/var/lib/postgresql/restore', S3_ENDPOINT_URL: 'https://minio.storage.svc:9000',
    });
    expect(env(container(all, 'bootstrap')).RESTORE_DIR).toBe('/var/lib/postgresql/restore');
  });

  test('every rendered script is valid bash', () => {
    const cm = find(manifests(statefulSetFixture({ withUsers: true, props: { backup } }).app), 'ConfigMap').data;
    const scripts = Object.keys(cm).filter((k) => k.endsWith('.sh')).sort();
    expect(scripts).toEqual(['backup.sh', 'bootstrap.sh', 'common.sh', 'download.sh', 'entrypoint.sh', 'probe.sh', 'reconcile.sh', 'upload.sh']);
    for (const script of scripts) {
      const r = spawnSync('bash', ['-n'], { input: cm[script], encoding: 'utf8' });
      expect({ script, status: r.status, stderr: r.stderr }).toEqual({ script, status: 0, stderr: '' });
    }
  });

  test('output is deterministic', () => {
    const render = () => JSON.stringify(manifests(statefulSetFixture({ tier: Tier.PRODUCTION, withUsers: true, props: { backup } }).app));
    expect(render()).toBe(render());
  });
});

describe('postgres-statefulset engine: credentials', () => {
  test('no Secret, password or credential value in any rendered object; passwords only through psql variables from mounted files', () => {
    const { app } = statefulSetFixture({
      tier: Tier.PRODUCTION,
      withUsers: true,
      props: { backup, ownerPassword: SecretSource.existing('orders-app-password') },
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
    });
    const all = manifests(app);
    expect(all.filter((o) => o.kind === 'Secret')).toEqual([]);
    // the replication password comes from the environment's backend like any other secret
    expect(find(all, 'ExternalSecret', 'orders-db-replicator').spec.dataFrom).toEqual([{ extract: { key: 'orders/prod/orders-db-replicator' } }]);
    const sql = find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql'];
    for (const m of sql.matchAll(/PASSWORD\s+(\S+?);/g)) expect(m[1]).toMatch(/^(:'pw_[a-z0-9_]+'|NULL)$/);
    expect(sql).toContain('\\set pw_app `cat "$USERS_DIR/app/password"`');
    // every env var from a secret uses valueFrom; none is literal
    for (const o of all) {
      const text = JSON.stringify(o);
      expect(text).not.toMatch(/PGPASSWORD|"password":"/i);
    }
    const findings = evaluatePacks([PolicyPacks.gitopsHygiene()], all.map((manifest) => ({ manifest }))).findings
      .filter((f) => f.ruleId === 'GITOPS-NoLiteralCredentials' || f.ruleId === 'GITOPS-NoSecretData');
    expect(findings).toEqual([]);
  });

  test('the replication password needs a secret backend that delivers Kubernetes Secrets', () => {
    expect(() => statefulSetFixture({
      props: { ownerPassword: SecretSource.existing('orders-app') },
      secretBackend: SecretBackend.vault({ role: 'orders' }),
    })).toThrow(/INVALID_SECRET_SOURCE.*replication password.*Secret "orders-db-replicator"/s);
  });

  test('point-in-time recovery targets are rejected (no WAL archive)', () => {
    expect(() => statefulSetFixture({
      props: { recovery: { source: backup.destination, serverName: 'orders-db', targetTime: '2026-11-20T08:00:00Z' } },
    })).toThrow(/UNSUPPORTED.*recovery.targetTime/s);
  });

  test('the exporter role name is reserved', () => {
    const { app, db } = statefulSetFixture();
    expect(() => db.addUser('postgres_exporter')).toThrow(/invalid user name "postgres_exporter".*not reserved/);
    void app;
  });

  test('unknown grants are reported at synthesis', () => {
    const { app, db } = statefulSetFixture();
    db.addUser('late', { grants: [{ database: 'missing', access: DatabaseAccess.READ_ONLY }] });
    expect(() => app.render()).toThrow(/"missing", which is not a declared database/);
  });
});

describeWithCrds('postgres-statefulset engine: schema and policies', () => {
  test('every object is schema-valid (strict, unknown fields rejected)', () => {
    const validator = sharedValidator();
    for (const props of [
      { backup, migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] }, allowFrom: [DatabaseClient.fromLabels({ app: 'orders-api' })] },
      { recovery: { source: backup.destination, serverName: 'orders-db-old' } },
    ]) {
      const { app } = statefulSetFixture({ tier: Tier.PRODUCTION, withUsers: true, props });
      for (const o of manifests(app)) {
        expect({ o: `${o.kind}/${o.metadata.name}`, issues: validator.validate(o) }).toEqual({ o: `${o.kind}/${o.metadata.name}`, issues: [] });
      }
    }
  });

  test('pods pass Pod Security restricted and production readiness in production, with no finding at all', () => {
    const { app } = statefulSetFixture({
      tier: Tier.PRODUCTION,
      withUsers: true,
      props: { backup, migration: { image: 'ghcr.io/acme/orders-migrations:2.3.0', command: ['migrate'] } },
    });
    Aspects.of(app).add(PolicyPacks.podSecurityRestricted(), { priority: AspectPriority.READONLY });
    Aspects.of(app).add(PolicyPacks.productionReadiness(), { priority: AspectPriority.READONLY });
    Aspects.of(app).add(PolicyPacks.gitopsHygiene(), { priority: AspectPriority.READONLY });
    const output = app.render();
    expect(output.findings.map((f) => `${f.severity} ${f.ruleId} ${f.resource?.kind}/${f.resource?.name}: ${f.message}`)).toEqual([]);
    expect(output.packsByEnvironment.prod).toEqual(['gitops-hygiene', 'pod-security-restricted', 'production-readiness']);
  });
});
