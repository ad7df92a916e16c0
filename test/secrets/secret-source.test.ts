import { Testing } from 'cdk8s';
import {
  DatabaseEngine, Environment, EnvironmentChart, MessageQueue, QueueEngine, ReplicatedDatabase, SecretBackend, SecretSource, SecretSourceKind,
  SecretStoreKind, Tier,
} from '../../src';
import { ValidationError } from '../../src/errors';

function chart() {
  // the namespace's default-deny NetworkPolicy is not what these tests look at
  const env = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', defaultDenyNetworkPolicy: false });
  return new EnvironmentChart(Testing.app(), 'orders', { environment: env });
}

describe('SecretSource', () => {
  test('externalSecret renders one ExternalSecret per secret name, no literal data', () => {
    const c = chart();
    const source = SecretSource.externalSecret({ store: 'vault', remoteKey: 'orders/prod/db', properties: { password: 'pw', username: 'user' } });
    const a = source.bind(c, { name: 'orders-db', keys: ['username', 'password'] });
    const b = source.bind(c, { name: 'orders-db', keys: ['username', 'password'] });
    expect(a).toEqual({ kind: SecretSourceKind.EXTERNAL_SECRET, secretName: 'orders-db', keys: ['password', 'username'] });
    expect(b).toEqual(a);
    const objects = Testing.synth(c);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: expect.objectContaining({ name: 'orders-db', namespace: 'orders' }),
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
        target: { creationPolicy: 'Owner', deletionPolicy: 'Retain', name: 'orders-db' },
        data: [
          { secretKey: 'password', remoteRef: { key: 'orders/prod/db', property: 'pw' } },
          { secretKey: 'username', remoteRef: { key: 'orders/prod/db', property: 'user' } },
        ],
      },
    });
  });

  test('externalSecret with properties must map every key the consumer reads (the Secret holds only those)', () => {
    const c = chart();
    const source = SecretSource.externalSecret({ store: 'vault', remoteKey: 'orders/prod/db', properties: { pass: 'password' } });
    // `password` is read (a volume item, a secretKeyRef, the URI template): never written under another name
    expect(() => source.bind(c, { name: 'orders-db', keys: ['username', 'password'], templates: { username: 'app', uri: 'x://{{ .password }}' } }))
      .toThrow(/INVALID_SECRET_SOURCE.*invalid properties "pass".*every key read from Secret "orders-db": password, username \(missing: password\)/);
    // a templated key needs no property; every other one does
    const mapped = SecretSource.externalSecret({ store: 'vault', remoteKey: 'orders/prod/db', properties: { password: 'pw' } });
    expect(mapped.bind(c, { name: 'orders-db', keys: ['username', 'password'], templates: { username: 'app' } }).keys).toEqual(['password', 'username']);
    // backup credentials named the way another tool spells them
    const aws = SecretSource.externalSecret({ store: 'vault', remoteKey: 'aws', properties: { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'key' } });
    expect(() => aws.bind(c, { name: 'db-backup-credentials', keys: ['ACCESS_KEY_ID', 'ACCESS_SECRET_KEY'] }))
      .toThrow(/missing: ACCESS_KEY_ID, ACCESS_SECRET_KEY/);
    expect(() => aws.bind(c, { name: 'db-backup-credentials', keys: ['ACCESS_KEY_ID', 'ACCESS_SECRET_KEY'] })).toThrow(ValidationError);
    // nothing was rendered for the refused bindings
    expect(Testing.synth(c).map((o) => o.metadata.name)).toEqual(['orders-db']);
  });

  test('externalSecret without properties extracts the whole remote secret', () => {
    const c = chart();
    SecretSource.externalSecret({ store: 'vault', storeKind: SecretStoreKind.SECRET_STORE, remoteKey: 'k' }).bind(c, { name: 's', keys: ['a'] });
    const [es] = Testing.synth(c);
    expect(es.spec.dataFrom).toEqual([{ extract: { key: 'k' } }]);
    expect(es.spec.secretStoreRef.kind).toBe('SecretStore');
  });

  test('labels the consumer asks for are the Secret\'s (the ExternalSecret\'s target template metadata); bad labels are refused', () => {
    const c = chart();
    const source = SecretSource.externalSecret({ store: 'vault', remoteKey: 'k' });
    source.bind(c, { name: 'plain', keys: ['password'] });
    source.bind(c, { name: 'watched', keys: ['password'], labels: { 'cnpg.io/reload': 'true', 'k8s.mariadb.com/watch': '' } });
    source.bind(c, { name: 'both', keys: ['password'], templates: { uri: 'x://{{ .password }}' }, labels: { 'cnpg.io/reload': 'true' } });
    const [both, plain, watched] = Testing.synth(c).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    expect(plain.spec.target.template).toBeUndefined();
    expect(watched.spec.target.template).toEqual({ engineVersion: 'v2', mergePolicy: 'Merge', metadata: { labels: { 'cnpg.io/reload': 'true', 'k8s.mariadb.com/watch': '' } } });
    expect(both.spec.target.template).toEqual({ engineVersion: 'v2', mergePolicy: 'Merge', metadata: { labels: { 'cnpg.io/reload': 'true' } }, data: { uri: 'x://{{ .password }}' } });
    expect(() => source.bind(chart(), { name: 'x', keys: ['password'], labels: { 'bad key!': 'x' } })).toThrow(/INVALID_LABELS.*invalid labels key "bad key!"/);
    expect(() => source.bind(chart(), { name: 'x', keys: ['password'], labels: { ok: 'not a value' } })).toThrow(/INVALID_LABELS.*invalid labels\["ok"\] "not a value"/);
  });

  test('sealedSecret, existing and vault render nothing secret-bearing', () => {
    const c = chart();
    expect(SecretSource.sealedSecret({ secretName: 'db-creds' }).bind(c, { name: 'x', keys: ['password'] }))
      .toEqual({ kind: SecretSourceKind.SEALED_SECRET, secretName: 'db-creds', keys: ['password'] });
    expect(SecretSource.existing('db', { keys: ['password', 'pw'] }).bind(c, { name: 'x', keys: ['password'] }).keys).toEqual(['password', 'pw']);
    const vault = SecretSource.vault({ role: 'orders', path: 'secret/data/orders/db' }).bind(c, { name: 'db', keys: ['password'] });
    expect(vault.secretName).toBeUndefined();
    expect(vault.podAnnotations).toEqual({
      'vault.hashicorp.com/agent-inject': 'true',
      'vault.hashicorp.com/role': 'orders',
      'vault.hashicorp.com/agent-inject-secret-db': 'secret/data/orders/db',
    });
    expect(Testing.synth(c)).toEqual([]);
  });

  test('existing with keys must hold every key the consumer reads (the kubelet refuses a reference to a missing key)', () => {
    const c = chart();
    const owner = SecretSource.existing('shop-owner', { keys: ['password'] });
    // a database user's Secret is read for its username, password and URI (the migration Job's DATABASE_URL)
    expect(() => owner.bind(c, { name: 'shop-db-shop', keys: ['username', 'password'], templates: { uri: 'x', username: 'shop' } }))
      .toThrow(/INVALID_SECRET_SOURCE.*invalid keys "password".*every key read from Secret "shop-owner": password, uri, username \(missing: uri, username\)/);
    expect(() => SecretSource.existing('cookie', { keys: ['erlang'] }).bind(c, { name: 'mq-erlang-cookie', keys: ['cookie'] })).toThrow(ValidationError);
    // one key given alone from plain JavaScript is a list of it, not of its characters
    expect(SecretSource.existing('cookie', { keys: 'cookie' as any }).bind(c, { name: 'mq-erlang-cookie', keys: ['cookie'] }).keys).toEqual(['cookie']);
    // without keys, what the consumer reads is assumed to be there
    expect(SecretSource.existing('shop-owner').bind(c, { name: 'x', keys: ['password'], templates: { uri: 'x' } }).keys).toEqual(['password', 'uri']);
  });

  test('a database refuses an existing Secret declared without the keys it reads', () => {
    const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop' });
    const c = new EnvironmentChart(Testing.app(), 'shop', { environment: env });
    expect(() => new ReplicatedDatabase(c, 'Pg', {
      name: 'shop-db',
      engine: DatabaseEngine.cloudNativePg({ version: '16.4' }),
      databaseName: 'shop',
      ownerName: 'shop',
      ownerPassword: SecretSource.existing('shop-owner', { keys: ['password'] }),
    })).toThrow(/shop\/Pg: invalid keys "password".*missing: uri, username/);
  });

  test('a Vault environment backend: each construct that needs a Kubernetes Secret says the backend delivers none and what to do', () => {
    const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop', secretBackend: SecretBackend.vault({ role: 'shop' }) });
    const c = new EnvironmentChart(Testing.app(), 'shop', { environment: env });
    const props = { name: 'shop-db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), databaseName: 'shop', ownerName: 'shop' };
    expect(() => new ReplicatedDatabase(c, 'Pg', props)).toThrow(ValidationError);
    expect(() => new ReplicatedDatabase(c, 'Pg2', props)).toThrow(
      /invalid password of user "shop" "Vault".*the secret backend of environment "dev" \(vault:shop\) delivers none.*\(ownerPassword\), or use SecretBackend.externalSecrets with a store of the Vault provider/);
    // with an owner password of another kind, the next user is refused the same way, named
    const db = new ReplicatedDatabase(c, 'Pg3', { ...props, name: 'other-db', ownerPassword: SecretSource.existing('other-db-owner') });
    expect(() => db.addUser('reporting')).toThrow(/\(addUser\('reporting', \{ password \}\)\)/);
    // a Vault source named by the user: no advice about the backend
    expect(() => db.addUser('etl', { password: SecretSource.vault({ role: 'r', path: 'secret/data/etl' }) })).not.toThrow(/secret backend of environment/);
    const mq = new MessageQueue(c, 'Mq', { name: 'mq', engine: QueueEngine.rabbitmqOperator({ version: '3.13.7' }) });
    expect(() => mq.addUser('app')).toThrow(/the broker itself reads the password; the secret backend of environment "dev" \(vault:shop\) delivers none/);
  });

  test('the environment backend names remote keys per environment', () => {
    const backend = SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders/' });
    const c = chart();
    backend.sourceFor('prod', 'db').bind(c, { name: 'db', keys: ['password'] });
    expect(Testing.synth(c)[0].spec.dataFrom).toEqual([{ extract: { key: 'orders/prod/db' } }]);
    expect(SecretBackend.vault({ role: 'r' }).sourceFor('dev', 'db').kind).toBe(SecretSourceKind.VAULT);
    expect(SecretBackend.sealedSecrets().sourceFor('dev', 'db').kind).toBe(SecretSourceKind.SEALED_SECRET);
  });

  test.each([
    [() => SecretSource.externalSecret({ store: '', remoteKey: 'k' }), /invalid store ""/],
    [() => SecretSource.externalSecret({ store: 'vault', remoteKey: '' }), /invalid remoteKey ""/],
    [() => SecretSource.externalSecret({ store: 'vault', remoteKey: '  ' }), /invalid remoteKey "  "/],
    [() => SecretSource.externalSecret({ store: 'vault', remoteKey: 'k', refreshInterval: 'hourly' }), /invalid refreshInterval "hourly"/],
    [() => SecretSource.externalSecret({ store: 'vault', remoteKey: 'k', properties: { 'a b': 'x' } }), /invalid properties key "a b"/],
    [() => SecretSource.externalSecret({ store: 'vault', remoteKey: 'k', storeKind: 'Vault' as any }), /invalid storeKind "Vault"/],
    [() => SecretSource.sealedSecret({ secretName: 'Bad' }), /invalid secretName "Bad"/],
    [() => SecretSource.existing(''), /invalid secretName ""/],
    [() => SecretSource.vault({ role: '', path: 'secret/x' }), /invalid role ""/],
    [() => SecretSource.vault({ role: 'r', path: '../etc' }), /invalid path "..\/etc"/],
    [() => SecretBackend.externalSecrets({ store: '' }), /invalid store ""/],
  ])('bad input %# is a ValidationError', (make, message) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(message);
  });
});
