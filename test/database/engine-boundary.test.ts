/* eslint-disable @stylistic/max-len */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as ts from 'typescript';
import {
  DatabaseAccess, DatabaseClient, DatabaseEngine, DatabaseEngineBase, DatabaseEngineKind, Environment, EnvironmentChart, GitOpsApp, PointInTimeRecoverySupport, ReplicatedDatabase,
  SecretBackend, SecretSource, StorageProfile, Tier,
} from '../../src';
import { CloudNativePgEngine } from '../../src/database/engines/cloudnative-pg/engine';
import { DatabaseEndpoints, DatabaseEngineBinding, DatabaseModel } from '../../src/database/engines/model';
import { PostgresStatefulSetEngine } from '../../src/database/engines/postgres-statefulset/engine';
import { DatabaseAutomaticFailover } from '../../src/policy/packs/data-protection/database-rules';
import { tmpdir } from '../util/tmp';

const backup = { schedule: '30 2 * * *', destination: { destinationPath: 's3://acme-backups/orders', credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: 's3' }) } };
const SRC = path.resolve(__dirname, '../../src');
const DATABASE = path.join(SRC, 'database');
const ENGINES = path.join(DATABASE, 'engines');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The relative imports (and re-exports) of a file, resolved to files. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((f) => f.startsWith('.')).flatMap((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    const found = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    return found ? [found] : [];
  });
}

const rel = (f: string) => path.relative(SRC, f);
const files = tsFiles(DATABASE);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((i) => i.startsWith(DATABASE + path.sep))]));

/** Every import cycle among `nodes` (as paths), one per strongly connected component. */
function cycles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const next of g.get(f) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map(rel));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...g.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const f = todo.pop()!;
    for (const next of graph.get(f) ?? []) if (!seen.has(next)) { seen.add(next); todo.push(next); }
  }
  return seen;
}

describe('the database engine boundary', () => {
  const engineFolders = fs.readdirSync(ENGINES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(ENGINES, e.name));

  test('the import graph is read (the test would otherwise pass on nothing)', () => {
    expect(graph.get(path.join(DATABASE, 'database-engine.ts'))).toContain(path.join(ENGINES, 'cloudnative-pg', 'engine.ts'));
    expect(engineFolders.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['cloudnative-pg', 'postgres-statefulset']));
    // a planted cycle is found
    expect(cycles(new Map([[path.join(SRC, 'a'), [path.join(SRC, 'b')]], [path.join(SRC, 'b'), [path.join(SRC, 'a')]]]))).toEqual([['a', 'b', 'a']]);
  });

  test('no import cycle within src/database', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('engine folders and the boundary types import neither the construct nor the factory file, even indirectly', () => {
    const forbidden = [path.join(DATABASE, 'replicated-database.ts'), path.join(DATABASE, 'database-engine.ts')];
    const sources = [...engineFolders.flatMap((d) => tsFiles(d)), path.join(ENGINES, 'engine.ts'), path.join(ENGINES, 'model.ts')];
    const offending = sources.flatMap((f) => [...reachable(f)].filter((r) => forbidden.includes(r)).map((r) => `${rel(f)} -> ${rel(r)}`));
    expect(offending).toEqual([]);
  });

  test('an engine folder imports no other engine folder (shared PostgreSQL pieces live in engines/postgresql/, MariaDB ones in engines/mariadb-common/)', () => {
    const engines = engineFolders.filter((d) => !['postgresql', 'mariadb-common'].includes(path.basename(d)));
    const offending = engines.flatMap((d) => tsFiles(d).flatMap((f) => (graph.get(f) ?? [])
      .filter((i) => engines.some((other) => other !== d && i.startsWith(other + path.sep)))
      .map((i) => `${rel(f)} -> ${rel(i)}`)));
    expect(offending).toEqual([]);
  });

  test('no operator API group outside the CloudNativePG engine folder', () => {
    const own = path.join(ENGINES, 'cloudnative-pg') + path.sep;
    const offending = files.filter((f) => !f.startsWith(own)).flatMap((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return ['postgresql.cnpg.io', 'barmancloud.cnpg.io', 'cnpg.io/'].filter((s) => text.includes(s)).map((s) => `${rel(f)}: ${s}`);
    });
    expect(offending).toEqual([]);
  });

  test('no mariadb-operator API group outside its engine folder', () => {
    const own = path.join(ENGINES, 'mariadb-operator') + path.sep;
    expect(files.filter((f) => !f.startsWith(own) && fs.readFileSync(f, 'utf8').includes('k8s.mariadb.com')).map(rel)).toEqual([]);
  });
});

describe('the construct reads engine capabilities, not kinds', () => {
  function setup(tier: Tier, engine: any, props: any = {}) {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({
      name: tier === Tier.PRODUCTION ? 'prod' : 'dev',
      tier,
      namespace: 'orders',
      storageProfile: StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 }),
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'orders' }),
    });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    return new ReplicatedDatabase(chart, 'OrdersDb', { engine, name: 'orders-db', ...props });
  }

  /** CloudNativePG whose capabilities say otherwise: the construct must follow the capabilities. */
  class LimitedCnpg extends CloudNativePgEngine {
    public readonly capabilities = { pointInTimeRecovery: PointInTimeRecoverySupport.UNSUPPORTED, pooler: false, automaticFailover: false, tls: true };
  }

  test('the factories return engines of their own', () => {
    expect(DatabaseEngine.cloudNativePg({ version: '16.4' })).toBeInstanceOf(CloudNativePgEngine);
    expect(DatabaseEngine.postgresStatefulSet({ version: '16.4' })).toBeInstanceOf(PostgresStatefulSetEngine);
    expect(DatabaseEngine.cloudNativePg({ version: '16.4' }).kind).toBe(DatabaseEngineKind.CLOUDNATIVE_PG);
  });

  test('pooler and point-in-time recovery follow the capabilities', () => {
    const limited = new LimitedCnpg({ version: '16.4' });
    expect(() => setup(Tier.DEVELOPMENT, limited, { pooler: {} })).toThrow(/UNSUPPORTED.*pooler/s);
    expect(() => setup(Tier.DEVELOPMENT, limited, { backup, pointInTimeRecovery: true })).toThrow(/UNSUPPORTED.*pointInTimeRecovery true/s);
    expect(setup(Tier.DEVELOPMENT, limited, { backup }).pointInTimeRecovery).toBe(false);
    expect(setup(Tier.DEVELOPMENT, DatabaseEngine.cloudNativePg({ version: '16.4' }), { backup }).pointInTimeRecovery).toBe(true);
  });

  test('DATA-DatabaseAutomaticFailover reads the failover capability', () => {
    const rule = new DatabaseAutomaticFailover();
    const messages = (engine: any) => { const db = setup(Tier.PRODUCTION, engine, { backup }); return rule.evaluate({ construct: db, environment: db.environment }).map((v) => v.message); };
    expect(messages(DatabaseEngine.cloudNativePg({ version: '16.4' }))).toEqual([]);
    expect(messages(new LimitedCnpg({ version: '16.4' }))).toEqual(['database orders-db uses CloudNativePG (no automatic failover)']);
    expect(messages(DatabaseEngine.postgresStatefulSet({ version: '16.4' }))).toEqual(['database orders-db uses the StatefulSet engine (no automatic failover)']);
  });

  test('identifier rules and reserved names are the engine\'s', () => {
    // the StatefulSet engine's own roles are reserved there, not on CloudNativePG, and the reverse
    expect(() => setup(Tier.DEVELOPMENT, DatabaseEngine.postgresStatefulSet({ version: '16.4' })).addUser('replicator')).toThrow(/INVALID_IDENTIFIER/);
    expect(() => setup(Tier.DEVELOPMENT, DatabaseEngine.cloudNativePg({ version: '16.4' })).addUser('streaming_replica')).toThrow(/INVALID_IDENTIFIER/);
    expect(() => setup(Tier.DEVELOPMENT, DatabaseEngine.cloudNativePg({ version: '16.4' })).addUser('replicator')).not.toThrow();
  });
});

describe('an engine of another family plugs in without touching the construct', () => {
  /** A minimal MySQL-like engine: port 3306, `mysql://`, its own identifier rules, one object per database. */
  class FakeMysqlEngine extends DatabaseEngineBase {
    public readonly kind: DatabaseEngineKind = DatabaseEngineKind.POSTGRES_STATEFULSET;
    public readonly displayName: string = 'the fake engine';
    public readonly version: string = '11.4';
    public readonly majorVersion: number = 11;
    public readonly image: string = 'docker.io/library/mariadb:11.4';
    public readonly port: number = 3306;
    public readonly operatorNamespace?: string = undefined;
    public readonly barmanPluginName?: string = undefined;
    public readonly capabilities = { pointInTimeRecovery: PointInTimeRecoverySupport.SUPPORTED, pooler: false, automaticFailover: true, tls: true };
    public models: DatabaseModel[] = [];
    public _identifierError(value: unknown): string | undefined {
      return typeof value === 'string' && /^[a-z][a-z0-9_]{0,31}$/.test(value) && !['root', 'mysql', 'sys'].includes(value) ? undefined : 'a MySQL name (not root, mysql, sys)';
    }
    public _podLabels(name: string) {
      return { 'app.kubernetes.io/name': 'fake-mysql', 'app.kubernetes.io/instance': name };
    }
    public _endpoints(name: string, namespace: string): DatabaseEndpoints {
      return { host: `${name}-primary.${namespace}.svc`, readOnlyHost: `${name}-secondary.${namespace}.svc`, port: this.port };
    }
    public _uriTemplate(e: DatabaseEndpoints, database: string): string {
      return `mysql://{{ .username }}:{{ .password | urlquery }}@${e.host}:${e.port}/${database}`;
    }
    public _bind(scope: Construct, model: DatabaseModel): DatabaseEngineBinding {
      this.models.push(model);
      new ApiObject(scope, 'Users', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${model.name}-users` },
        data: Lazy.any({ produce: () => Object.fromEntries(model.users().map((u) => [u.name, u.grants.map((g) => `${g.database}:${g.access}`).join(',')])) }),
      });
      return {
        podLabels: this._podLabels(model.name),
        endpoints: this._endpoints(model.name, model.environment.namespace),
        onDatabase: (d) => new ApiObject(scope, `Db-${d.name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${model.name}-db-${d.name}` }, data: { owner: d.owner } }),
      };
    }
  }

  function setup(props: any = {}) {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const env = new Environment({
      name: 'dev',
      tier: Tier.DEVELOPMENT,
      namespace: 'shop',
      storageProfile: StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 }),
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'shop' }),
    });
    const chart = new EnvironmentChart(app, 'shop', { environment: env });
    const engine = new FakeMysqlEngine();
    const db = new ReplicatedDatabase(chart, 'Db', { engine, name: 'shop-db', ...props });
    const all = () => app.render().objects.map((o) => o.manifest);
    return { db, engine, all };
  }
  const find = (all: any[], kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata.name === name);

  test('connection contract, Secret URI and client egress use the engine\'s port, hosts and pod labels', () => {
    const { db, all } = setup({ allowFrom: [DatabaseClient.fromLabels({ app: 'shop-api' })] });
    expect(db.connection).toMatchObject({ host: 'shop-db-primary.shop.svc', readOnlyHost: 'shop-db-secondary.shop.svc', port: 3306, secretName: 'shop-db-app' });
    const objects = all();
    expect(find(objects, 'ExternalSecret', 'shop-db-app').spec.target.template.data).toEqual({ uri: 'mysql://app:{{ .password | urlquery }}@shop-db-primary.shop.svc:3306/app', username: 'app' });
    const egress = objects.filter((o) => o.kind === 'NetworkPolicy').flatMap((o) => o.spec.egress ?? []);
    expect(egress).toContainEqual({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'fake-mysql', 'app.kubernetes.io/instance': 'shop-db' } } }], ports: [{ port: 3306, protocol: 'TCP' }] });
  });

  test('identifier rules are the engine\'s', () => {
    const { db } = setup();
    expect(() => db.addUser('root')).toThrow(/INVALID_IDENTIFIER.*a MySQL name/s);
    expect(() => db.addUser('postgres')).not.toThrow();
  });

  test('the model: resolved props, and users / databases complete at synthesis; onDatabase for every database', () => {
    const { db, engine, all } = setup();
    db.addUser('reader', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
    db.addDatabase('audit');
    const model = engine.models[0];
    expect(model).toMatchObject({ name: 'shop-db', instances: 1, databaseName: 'app', ownerName: 'app', environment: { namespace: 'shop', tier: Tier.DEVELOPMENT } });
    expect(model.users().map((u) => u.name)).toEqual(['app', 'reader']);
    const objects = all();
    expect(find(objects, 'ConfigMap', 'shop-db-users').data).toEqual({ app: 'app:owner', reader: 'app:read-only' });
    expect(['shop-db-db-app', 'shop-db-db-audit'].map((n) => find(objects, 'ConfigMap', n)?.data)).toEqual([{ owner: 'app' }, { owner: 'app' }]);
  });

  test('PITR SUPPORTED: optional with backups, off by default', () => {
    expect(setup({ backup }).db.pointInTimeRecovery).toBe(false);
    expect(setup({ backup, pointInTimeRecovery: true }).db.pointInTimeRecovery).toBe(true);
  });
});
