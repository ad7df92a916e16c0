/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import { DatabaseAccess, DatabaseEngine, ReplicatedDatabaseProps } from '../../src';
import { ValidationError } from '../../src/errors';
import { LOGIN_USERS_ANNOTATION, RETIRED_USERS_ANNOTATION } from '../../src/private/engine-facts';
import { loginUsersOf } from '../../src/private/kind-registry';
import { sharedValidator, crdsAvailable } from '../util/crds';
import { find, manifests, ordersDbFixture } from '../util/database-fixture';

const ENGINES: [string, () => ReplicatedDatabaseProps['engine']][] = [
  ['CloudNativePG', () => DatabaseEngine.cloudNativePg({ version: '16.4' })],
  ['PostgreSQL StatefulSet', () => DatabaseEngine.postgresStatefulSet({ version: '16.4' })],
  ['mariadb-operator', () => DatabaseEngine.mariadbOperator({ version: '11.4.5' })],
  ['MariaDB StatefulSet', () => DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' })],
];

/** A database with users `analyst` and `worker`, `legacy` retired in props and `auditor` after construction. */
function retiring(engine: ReplicatedDatabaseProps['engine']) {
  const f = ordersDbFixture(engine, { props: { retiredUsers: ['legacy'] } });
  f.db.addUser('analyst', { grants: [{ database: 'app', access: DatabaseAccess.READ_ONLY }] });
  f.db.addUser('worker', { grants: [{ database: 'app', access: DatabaseAccess.READ_WRITE }] });
  f.db.retireUser('auditor');
  return { ...f, all: manifests(f.app) };
}

describe('retired users: the engine keeps them from logging in', () => {
  test('CloudNativePG: the roles stay managed, without login or password, and get no Secret', () => {
    const { all } = retiring(DatabaseEngine.cloudNativePg({ version: '16.4' }));
    const cluster = find(all, 'Cluster');
    expect(cluster.spec.managed.roles).toEqual([
      { name: 'analyst', ensure: 'present', login: true, inherit: true, connectionLimit: -1, passwordSecret: { name: 'orders-db-analyst' } },
      { name: 'worker', ensure: 'present', login: true, inherit: true, connectionLimit: -1, passwordSecret: { name: 'orders-db-worker' } },
      { name: 'auditor', ensure: 'present', login: false, inherit: true, disablePassword: true },
      { name: 'legacy', ensure: 'present', login: false, inherit: true, disablePassword: true },
    ]);
    expect(loginUsersOf(cluster)).toEqual({ login: ['analyst', 'worker'], retired: ['auditor', 'legacy'], pointer: '/spec/managed/roles', construct: 'ReplicatedDatabase' });
    expect(all.filter((o) => /auditor|legacy/.test(JSON.stringify(o))).map((o) => o.kind)).toEqual(['Cluster']);
    if (crdsAvailable()) expect(sharedValidator().validate(cluster)).toEqual([]);
  });

  test('PostgreSQL StatefulSet: reconcile.sql ends their login and sessions; the StatefulSet lists who logs in and who is retired', () => {
    const { all } = retiring(DatabaseEngine.postgresStatefulSet({ version: '16.4' }));
    const sql: string = find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql'];
    for (const name of ['auditor', 'legacy']) {
      expect(sql).toContain(`SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${name}') AS role_present \\gset\n\\if :role_present\nALTER ROLE "${name}" WITH NOLOGIN PASSWORD NULL;\n`);
      expect(sql).toContain(`pg_catalog.pg_terminate_backend(pid)) AS sessions_ended FROM pg_catalog.pg_stat_activity WHERE usename = '${name}'`);
      expect(sql).not.toContain(`$USERS_DIR/${name}/password`);
    }
    // first: no password file is read before it (a broken Secret of another user cannot hold it back)
    expect(sql.indexOf('ALTER ROLE "auditor" WITH NOLOGIN')).toBeLessThan(sql.indexOf('\\set pw_missing'));
    const sts = find(all, 'StatefulSet', 'orders-db');
    expect(sts.metadata.annotations).toEqual({ [LOGIN_USERS_ANNOTATION]: 'analyst,app,worker', [RETIRED_USERS_ANNOTATION]: 'auditor,legacy' });
    expect(loginUsersOf(sts)).toEqual({ login: ['analyst', 'app', 'worker'], retired: ['auditor', 'legacy'], pointer: '/metadata/annotations/stateful.cdk8s.io~1login-users', construct: 'ReplicatedDatabase' });
    // the pods are not rolled by a retirement: the annotations are the StatefulSet's own
    expect(sts.spec.template.metadata.annotations[RETIRED_USERS_ANNOTATION]).toBeUndefined();
  });

  test('MariaDB StatefulSet: reconcile.sql locks their accounts and kills their connections first (before any password is checked)', () => {
    const { all } = retiring(DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' }));
    const sql: string = find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql'];
    const block = "ALTER USER IF EXISTS 'auditor'@'%' ACCOUNT LOCK;;\nKILL CONNECTION USER 'auditor'@'%';;\n"
      + "ALTER USER IF EXISTS 'legacy'@'%' ACCOUNT LOCK;;\nKILL CONNECTION USER 'legacy'@'%';;\n";
    expect(sql).toContain(block);
    expect(sql).not.toMatch(/DROP USER/);
    expect(sql.indexOf(block)).toBeLessThan(sql.indexOf('SIGNAL SQLSTATE'));
    expect(loginUsersOf(find(all, 'StatefulSet', 'orders-db'))).toMatchObject({ login: ['analyst', 'app', 'worker'], retired: ['auditor', 'legacy'] });
  });

  test('StatefulSet engines: every replica ends their sessions (retired-sessions.sql); without retired users it holds no statement', () => {
    const scriptsOf = (engine: ReplicatedDatabaseProps['engine'], retire: boolean) => find(retire ? retiring(engine).all : manifests(ordersDbFixture(engine).app),
      'ConfigMap', 'orders-db-scripts').data['retired-sessions.sql'] as string;
    const pg = DatabaseEngine.postgresStatefulSet({ version: '16.4' });
    expect(scriptsOf(pg, true).split('\n').filter((l) => !l.startsWith('--'))).toEqual([
      "SELECT count(pg_catalog.pg_terminate_backend(pid)) AS sessions_ended FROM pg_catalog.pg_stat_activity WHERE usename IN ('auditor', 'legacy');", '',
    ]);
    const mariadb = DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' });
    expect(scriptsOf(mariadb, true).split('\n').filter((l) => !l.startsWith('--'))).toEqual([
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN ('auditor', 'legacy');",
      "KILL CONNECTION USER 'auditor'@'%';", "KILL CONNECTION USER 'legacy'@'%';", '',
    ]);
    // what the entrypoints look for before running it on a replica
    for (const engine of [pg, mariadb]) expect(scriptsOf(engine, false)).not.toMatch(/^(SELECT|KILL)/m);
    const entrypoint = (engine: ReplicatedDatabaseProps['engine']) => find(manifests(ordersDbFixture(engine).app), 'ConfigMap', 'orders-db-scripts').data['entrypoint.sh'] as string;
    expect(entrypoint(pg)).toContain("grep -q '^SELECT' \"$SCRIPTS_DIR/retired-sessions.sql\"");
    expect(entrypoint(mariadb)).toContain("grep -q '^KILL' \"$SCRIPTS_DIR/retired-sessions.sql\"");
  });

  test('mariadb-operator: no User or Grant (the operator drops the account of a removed User: cleanupPolicy Delete)', () => {
    const { all } = retiring(DatabaseEngine.mariadbOperator({ version: '11.4.5' }));
    expect(all.filter((o) => o.kind === 'User').map((o) => o.spec.name).sort()).toEqual(['analyst', 'app', 'worker']);
    expect(all.filter((o) => o.kind === 'User').every((o) => o.spec.cleanupPolicy === 'Delete')).toBe(true);
    expect(all.filter((o) => /auditor|legacy/.test(JSON.stringify(o)))).toEqual([]);
  });

  test('in output rendered before the annotations, the login users are those whose password the pods mount', () => {
    for (const engine of [DatabaseEngine.postgresStatefulSet({ version: '16.4' }), DatabaseEngine.mariadbStatefulSet({ version: '10.11.10' })]) {
      const sts = find(retiring(engine).all, 'StatefulSet', 'orders-db');
      const older = { ...sts, metadata: { ...sts.metadata, annotations: undefined } };
      expect(loginUsersOf(older)).toMatchObject({ login: ['analyst', 'app', 'worker'], retired: [], pointer: expect.stringMatching(/^\/spec\/template\/spec\/volumes\/\d+$/) });
    }
  });

  test('without retired users nothing changes but the StatefulSet\'s list of login users', () => {
    const f = ordersDbFixture(DatabaseEngine.postgresStatefulSet({ version: '16.4' }));
    const all = manifests(f.app);
    expect(find(all, 'StatefulSet', 'orders-db').metadata.annotations).toEqual({ [LOGIN_USERS_ANNOTATION]: 'app' });
    expect(find(all, 'ConfigMap', 'orders-db-scripts').data['reconcile.sql']).not.toContain('retired');
  });

  test.each(ENGINES)('on %s, a retired name cannot also be a user, be retired twice, or be a reserved role', (_name, engine) => {
    const error = (fn: (f: ReturnType<typeof ordersDbFixture>) => void) => {
      const f = ordersDbFixture(engine());
      try {
        fn(f);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error((f) => f.db.retireUser('app'))).toMatch(/OrdersDb.*retired user.*"app".*a user that is not declared \(declared: app\); remove its addUser\(\) to retire it/s);
    expect(error((f) => { f.db.retireUser('legacy'); f.db.addUser('legacy'); })).toMatch(/user.*"legacy".*retireUser\('legacy'\)/s);
    expect(error((f) => { f.db.retireUser('legacy'); f.db.retireUser('legacy'); })).toMatch(/a user not retired already/);
    expect(error((f) => f.db.retireUser('bad name'))).toMatch(/INVALID_IDENTIFIER.*retired user "bad name"/s);
    const reserved = _name.includes('MariaDB') || _name.includes('mariadb') ? 'root' : 'postgres';
    expect(error((f) => f.db.retireUser(reserved))).toMatch(new RegExp(`INVALID_IDENTIFIER.*retired user "${reserved}".*not reserved \\(.*${reserved}`, 's'));
    expect(() => ordersDbFixture(engine(), { props: { retiredUsers: 'legacy' as any } })).toThrow(/retiredUsers.*a list of user names/s);
  });
});
