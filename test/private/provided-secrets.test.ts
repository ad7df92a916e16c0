/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import {
  DatabaseAccess, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, MessageQueue, QueueAccess, QueueEngine, ReplicatedDatabase,
  SecretBackend, SecretSource, SecretSourceKind, Tier,
} from '../../src';
import { ValidationError } from '../../src/errors';
import { secretReferences } from '../../src/private/provided-secrets';
import { tmpdir } from '../util/tmp';

/** An app with PostgreSQL, MariaDB and RabbitMQ in every environment: operators in production, StatefulSets elsewhere. */
function render(backends: { [env: string]: SecretBackend }, sealedBackup = true) {
  const app = new GitOpsApp({ outdir: tmpdir() });
  for (const [name, backend] of Object.entries(backends)) {
    const prod = name === 'prod';
    const env = new Environment({ name, tier: prod ? Tier.PRODUCTION : Tier.DEVELOPMENT, namespace: `shop-${name}`, cluster: name, secretBackend: backend });
    const chart = new EnvironmentChart(app, `shop-${name}`, { environment: env });
    const credentials = (secretName: string) => (sealedBackup ? SecretSource.sealedSecret({ secretName }) : SecretSource.existing(secretName));
    const pg = new ReplicatedDatabase(chart, 'Pg', {
      name: 'orders-db',
      engine: prod ? DatabaseEngine.cloudNativePg({ version: '16.4' }) : DatabaseEngine.postgresStatefulSet({ version: '15.8' }),
      databaseName: 'orders',
      ownerName: 'shop',
      storageSize: '5Gi',
      migration: { image: 'ghcr.io/acme/migrate:1.0.0', command: ['migrate'] },
      backup: { schedule: '15 2 * * *', retentionDays: 7, destination: { destinationPath: `s3://acme-backups/${name}/orders-db`, credentials: credentials('orders-db-s3') } },
    });
    pg.addUser('reporting', { grants: [{ database: 'orders', access: DatabaseAccess.READ_ONLY }] });
    const maria = new ReplicatedDatabase(chart, 'Maria', {
      name: 'catalog-db',
      engine: prod ? DatabaseEngine.mariadbOperator({ version: '10.11.9' }) : DatabaseEngine.mariadbStatefulSet({ version: '10.11.9' }),
      databaseName: 'catalog',
      ownerName: 'catalog',
      storageSize: '5Gi',
      backup: { schedule: '30 2 * * *', retentionDays: 7, destination: { destinationPath: `s3://acme-backups/${name}/catalog-db`, credentials: credentials('catalog-db-s3') } },
    });
    maria.addUser('reader', { grants: [{ database: 'catalog', access: DatabaseAccess.READ_ONLY }] });
    const mq = new MessageQueue(chart, 'Mq', {
      name: 'shop-mq',
      engine: prod ? QueueEngine.rabbitmqOperator({ version: '3.13.7' }) : QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' }),
      storageSize: '1Gi',
      exchanges: [{ name: 'orders' }],
      queues: [{ name: 'orders', bindings: [{ exchange: 'orders', routingKey: 'order.#' }] }],
    });
    mq.addUser('shop-api', { permissions: [{ name: 'orders', access: QueueAccess.PRODUCE_AND_CONSUME }] });
  }
  return app.render();
}

const readme = (out: ReturnType<typeof render>) => out.files.find((f) => f.path === 'README.md')!.content;
const section = (text: string) => {
  const start = text.indexOf('## Secrets you provide');
  if (start < 0) return undefined;
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
};

describe('Secrets you provide: what the output reads and does not create', () => {
  const sealedAndExisting = () => render({ prod: SecretBackend.sealedSecrets(), dev: SecretBackend.existingSecrets() });

  test('the README lists each SealedSecret / existing Secret with its keys, labels and readers, per environment', () => {
    const text = section(readme(sealedAndExisting()))!;
    expect(text).toBeDefined();
    expect(text).toContain('### dev (namespace `shop-dev`)');
    expect(text).toContain('### prod (namespace `shop-prod`)');
    // CloudNativePG: the owner's Secret, its label, its readers, the exact URI
    expect(text).toContain('- `orders-db-shop` (SealedSecret), labels `cnpg.io/reload: "true"`; read by `Cluster/orders-db`, `Job/orders-db-grants`, `Job/orders-db-migrate`');
    expect(text).toContain('  - `password`: the password of user "shop"');
    expect(text).toContain('  - `uri`: `postgresql://shop:<password, URL-encoded>@orders-db-rw.shop-prod.svc:5432/orders` (template `postgresql://shop:{{ .password | urlquery | replace "+" "%20" }}@orders-db-rw.shop-prod.svc:5432/orders`)');
    expect(text).toContain('  - `username`: exactly `shop`');
    // mariadb-operator and the RabbitMQ topology operator read only labelled Secrets
    expect(text).toContain('- `catalog-db-reader` (SealedSecret), labels `k8s.mariadb.com/watch: ""`; read by `User/catalog-db-reader`');
    expect(text).toContain('- `shop-mq-shop-api` (SealedSecret), labels `rabbitmq.com/topology-operator: "true"`; read by `User/shop-mq-user-shop-api`');
    // the StatefulSet engines' own Secrets: only the password of the replication role is read; the Erlang cookie's form
    expect(text).toContain('- `orders-db-replicator` (existing Secret), no labels needed; read by `CronJob/orders-db-backup`, `StatefulSet/orders-db`\n  - `password`: the password of the replication role "replicator" (the engine sets it on the role), not empty\n- ');
    expect(text).toContain('- `catalog-db-replicator` (existing Secret), no labels needed; read by `CronJob/catalog-db-backup`, `StatefulSet/catalog-db`\n  - `password`: the password of the replication account "replicator"');
    expect(text).toContain('- `shop-mq-erlang-cookie` (existing Secret), no labels needed; read by `StatefulSet/shop-mq`\n  - `cookie`: the Erlang cookie the brokers authenticate each other with, the same for every broker: 1 to 255 printable ASCII characters');
    expect(text).toContain('  - `uri`: `amqp://shop-api:<password, URL-encoded>@shop-mq.shop-dev.svc:5672/shop-mq`');
    // backup credentials: a SealedSecret source in an environment of existing Secrets
    expect(text).toMatch(/- `orders-db-s3` \(SealedSecret\), no labels needed; read by `CronJob\/orders-db-backup`\n {2}- `ACCESS_KEY_ID`: the access key ID of the S3 credentials that write the backups to s3:\/\/acme-backups\/dev\/orders-db\n/);
    expect(text).toContain('`spec.template.data`');
  });

  test('the same list in the rendered output, deterministic', () => {
    const a = sealedAndExisting();
    const b = sealedAndExisting();
    expect(readme(a)).toEqual(readme(b));
    expect(a.providedSecrets).toEqual(b.providedSecrets);
    expect(a.providedSecrets.map((s) => `${s.environment} ${s.name} ${s.source}`)).toEqual([
      'dev catalog-db-catalog Existing', 'dev catalog-db-reader Existing', 'dev catalog-db-replicator Existing', 'dev catalog-db-s3 SealedSecret',
      'dev orders-db-replicator Existing', 'dev orders-db-reporting Existing', 'dev orders-db-s3 SealedSecret', 'dev orders-db-shop Existing',
      'dev shop-mq-erlang-cookie Existing', 'dev shop-mq-shop-api Existing',
      'prod catalog-db-catalog SealedSecret', 'prod catalog-db-reader SealedSecret', 'prod catalog-db-s3 SealedSecret',
      'prod orders-db-reporting SealedSecret', 'prod orders-db-s3 SealedSecret', 'prod orders-db-shop SealedSecret', 'prod shop-mq-shop-api SealedSecret',
    ]);
    const shop = a.providedSecrets.find((s) => s.environment === 'prod' && s.name === 'orders-db-shop')!;
    expect(shop).toEqual({
      environment: 'prod',
      namespace: 'shop-prod',
      name: 'orders-db-shop',
      source: SecretSourceKind.SEALED_SECRET,
      keys: [
        { key: 'password', holds: 'the password of user "shop"' },
        { key: 'uri', holds: 'postgresql://shop:<password, URL-encoded>@orders-db-rw.shop-prod.svc:5432/orders', template: 'postgresql://shop:{{ .password | urlquery | replace "+" "%20" }}@orders-db-rw.shop-prod.svc:5432/orders' },
        { key: 'username', holds: 'exactly `shop`' },
      ],
      labels: { 'cnpg.io/reload': 'true' },
      readBy: ['Cluster/orders-db', 'Job/orders-db-grants', 'Job/orders-db-migrate'],
      boundBy: ['shop-prod/Pg'],
    });
  });

  test('none with External Secrets: the ExternalSecrets describe every Secret', () => {
    const out = render({ prod: SecretBackend.externalSecrets({ store: 'vault' }), dev: SecretBackend.externalSecrets({ store: 'vault' }) }, true);
    // only the backup credentials, named as sealed, are the user's
    expect(out.providedSecrets.map((s) => `${s.environment} ${s.name}`)).toEqual(['dev catalog-db-s3', 'dev orders-db-s3', 'prod catalog-db-s3', 'prod orders-db-s3']);
    const eso = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({ name: 'prod', tier: Tier.DEVELOPMENT, namespace: 'shop', cluster: 'prod', secretBackend: SecretBackend.externalSecrets({ store: 'vault' }) });
    const chart = new EnvironmentChart(eso, 'shop', { environment: env });
    new ReplicatedDatabase(chart, 'Pg', { name: 'orders-db', engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), databaseName: 'orders', ownerName: 'shop', storageSize: '1Gi' });
    const rendered = eso.render();
    expect(rendered.providedSecrets).toEqual([]);
    expect(section(rendered.files.find((f) => f.path === 'README.md')!.content)).toBeUndefined();
  });

  test('every key the rendered objects read from a Secret nothing renders is listed, and every listed Secret is read', () => {
    const out = sealedAndExisting();
    const created = new Set(out.objects.filter((o) => o.manifest.kind === 'Secret' || o.manifest.kind === 'ExternalSecret').map((o) => `${o.environment} ${o.manifest.metadata.name}`));
    const listed = new Map(out.providedSecrets.map((s) => [`${s.environment} ${s.name}`, s]));
    // Secrets the operators create themselves (`generate: true`, the operators' own) are not the user's
    const generated = new Set<string>();
    const referenced = new Map<string, Set<string | undefined>>();
    const walk = (node: any, env: string): void => {
      if (Array.isArray(node)) return node.forEach((n) => walk(n, env));
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries<any>(node)) {
        // secretKeyRef (env), mariadb-operator's *SecretKeyRef, S3 credentials' { name, key }
        if ((/SecretKeyRef$/i.test(k) || k === 'accessKeyId' || k === 'secretAccessKey') && typeof v?.name === 'string') {
          if (v.generate === true) generated.add(`${env} ${v.name}`);
          add(`${env} ${v.name}`, v.key);
        } else if (k === 'secret' && typeof (v?.secretName ?? v?.name) === 'string') {
          // a volume's or a projection's Secret (its items), CloudNativePG's initdb secret (username, password)
          const items: any[] = v.items ?? [];
          if (items.length === 0) add(`${env} ${v.secretName ?? v.name}`, undefined);
          for (const i of items) add(`${env} ${v.secretName ?? v.name}`, i.key);
        } else if ((k === 'passwordSecret' || k === 'importCredentialsSecret') && typeof v?.name === 'string') {
          add(`${env} ${v.name}`, undefined);
        }
        walk(v, env);
      }
    };
    const add = (id: string, key: string | undefined) => {
      let s = referenced.get(id);
      if (!s) referenced.set(id, s = new Set());
      s.add(key);
    };
    for (const o of out.objects) if (o.environment !== undefined) walk(o.manifest.spec, o.environment);
    const users = [...referenced.keys()].filter((id) => !created.has(id) && !generated.has(id)).sort();
    expect([...listed.keys()].sort()).toEqual(users);
    for (const id of users) {
      const keys = listed.get(id)!.keys.map((k) => k.key);
      const read = [...referenced.get(id)!];
      // each key read by name is listed
      for (const key of read) if (key !== undefined) expect([id, keys]).toEqual([id, expect.arrayContaining([key])]);
      // a Secret read whole by an operator (CloudNativePG, the RabbitMQ topology operator) holds username and password
      if (read.includes(undefined)) expect([id, keys]).toEqual([id, expect.arrayContaining(['password', 'username'])]);
      // and a key listed that no object reads by name is one applications read (the connection's username and URI) or
      // one an operator reads from the whole Secret
      const extra = keys.filter((k) => !read.includes(k));
      expect([id, extra.filter((k) => !['uri', 'username', ...(read.includes(undefined) ? ['password'] : [])].includes(k))]).toEqual([id, []]);
    }
  });

  test('one Secret bound with two values for one key is refused', () => {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop', cluster: 'dev', secretBackend: SecretBackend.existingSecrets() });
    const chart = new EnvironmentChart(app, 'shop', { environment: env });
    const db = new ReplicatedDatabase(chart, 'Pg', { name: 'orders-db', engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), databaseName: 'orders', ownerName: 'shop', storageSize: '1Gi' });
    db.addUser('etl', { password: SecretSource.existing('orders-db-shop') });
    expect(() => app.render()).toThrow(ValidationError);
    expect(() => app.render()).toThrow(/one value per key of Secret "orders-db-shop": key "username" must hold exactly `etl` here and exactly `shop` for shop\/Pg; give each its own Secret/);
  });
});

describe('secretReferences', () => {
  test('secretKeyRef, volumes, projections, envFrom and operator fields; not other names', () => {
    expect(secretReferences({
      metadata: { name: 'x' },
      spec: {
        env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's1', key: 'k1' } } }, { name: 'B', value: 'b' }],
        envFrom: [{ secretRef: { name: 's2' } }, { configMapRef: { name: 'cm' } }],
        volumes: [{ name: 'v', secret: { secretName: 's3', items: [{ key: 'k3', path: 'p' }] } }, { name: 'w', projected: { sources: [{ secret: { name: 's4' } }] } }],
        managed: { roles: [{ name: 'role', passwordSecret: { name: 's5' } }] },
        s3Credentials: { accessKeyId: { name: 's6', key: 'ID' } },
      },
    })).toEqual([
      { name: 's1', key: 'k1' }, { name: 's2' }, { name: 's3', key: 'k3' }, { name: 's4' }, { name: 's5' }, { name: 's6', key: 'ID' },
    ]);
  });

  // change safety reads the same list (CHANGE-SecretSourceChanged): a RabbitmqCluster's TLS Secret is read, an
  // ExternalSecret's store is not a Secret
  test('a secretName anywhere is a Secret read; an External Secrets store reference is not', () => {
    expect(secretReferences({ spec: { tls: { secretName: 'mq-tls' } } })).toEqual([{ name: 'mq-tls' }]);
    expect(secretReferences({ spec: { secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' }, target: { name: 'db' } } })).toEqual([]);
  });
});
