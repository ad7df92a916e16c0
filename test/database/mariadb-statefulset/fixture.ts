import { App, Chart, Testing } from 'cdk8s';
import { DatabaseAccess, SecretSourceKind, Tier } from '../../../src';
import { DatabaseModel, ResolvedDatabase, ResolvedUser } from '../../../src/database/engines/model';
import { renderMariadbStatefulSet } from '../../../src/database/engines/mariadb-statefulset/render';

/** Backup options used by the tests (the credentials are a reference, never a value). */
export const backup = {
  schedule: '30 2 * * *',
  retentionDays: 7,
  destinationPath: 's3://acme-backups/orders',
  endpointUrl: 'https://minio.storage.svc:9000',
};

export interface FixtureOptions {
  readonly version?: string;
  readonly instances?: number;
  readonly monitoring?: boolean;
  readonly backup?: boolean;
  readonly recovery?: boolean;
  readonly withUsers?: boolean;
}

const secret = (name: string) => ({ kind: SecretSourceKind.EXISTING, secretName: name, keys: ['username', 'password'] });

/** TEMPORARY (until the engine boundary lands): renders the engine for a hand-built model. */
export function mariadbFixture(o: FixtureOptions = {}) {
  const app: App = Testing.app();
  const chart = new Chart(app, 'orders', { namespace: 'orders' });
  const users = new Map<string, ResolvedUser>();
  const databases = new Map<string, ResolvedDatabase>();
  const addUser = (name: string, grants: { database: string; access: DatabaseAccess }[], connectionLimit = -1) =>
    users.set(name, { name, secret: secret(`orders-db-${name}`) as any, grants, connectionLimit });
  addUser('app', [{ database: 'app', access: DatabaseAccess.OWNER }]);
  databases.set('app', { name: 'app', owner: 'app' });
  if (o.withUsers) {
    databases.set('reports', { name: 'reports', owner: 'maintainer' });
    addUser('writer', [{ database: 'app', access: DatabaseAccess.READ_WRITE }]);
    addUser('reader', [{ database: 'app', access: DatabaseAccess.READ_ONLY }], 10);
    addUser('maintainer', [{ database: 'reports', access: DatabaseAccess.OWNER }]);
  }
  const model: DatabaseModel = {
    name: 'orders-db',
    environment: { name: 'dev', namespace: 'orders', tier: Tier.DEVELOPMENT, kubernetesVersion: '1.30', labels: {}, inheritedLabels: { 'stateful.cdk8s.io/environment': 'dev' } },
    storageClassName: 'standard',
    allowVolumeExpansion: true,
    instances: o.instances ?? 2,
    synchronousReplicas: 0,
    storageSize: '10Gi',
    cpu: '250m',
    memory: '512Mi',
    databaseName: 'app',
    ownerName: 'app',
    monitoring: o.monitoring ?? true,
    spreadAcrossZones: false,
    podDisruptionBudget: true,
    pointInTimeRecovery: false,
    backup: o.backup ? { schedule: backup.schedule, retentionDays: backup.retentionDays, destinationPath: backup.destinationPath, endpointUrl: backup.endpointUrl,
      credentials: { kind: SecretSourceKind.EXISTING, secretName: 'orders-backup-s3', keys: [] } as any } : undefined,
    recovery: o.recovery ? { destinationPath: backup.destinationPath, endpointUrl: backup.endpointUrl, serverName: 'orders-db',
      credentials: { kind: SecretSourceKind.EXISTING, secretName: 'orders-backup-s3', keys: [] } as any } : undefined,
    connection: { host: 'orders-db-rw.orders.svc', readOnlyHost: 'orders-db-ro.orders.svc', port: 3306, database: 'app', secretName: 'orders-db-app', usernameKey: 'username', passwordKey: 'password', uriKey: 'uri' },
    owner: users.get('app')!,
    users: () => [...users.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    databases: () => [...databases.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    clientPeers: () => [],
    environmentSecret: (name: string, keys: string[]) => ({ kind: SecretSourceKind.EXISTING, secretName: name, keys }) as any,
  };
  renderMariadbStatefulSet(chart, model, { image: `docker.io/library/mariadb:${o.version ?? '10.11.10'}`, series: (o.version ?? '10.11.10').split('.').slice(0, 2).join('.') });
  return {
    app,
    users: () => model.users(),
    manifests: () => Testing.synth(chart),
    grant: (user: string, database: string, access: DatabaseAccess) => users.get(user)!.grants.push({ database, access }),
    addDatabase: (name: string, owner = 'app') => databases.set(name, { name, owner }),
  };
}

/** The one manifest of a kind (and name). */
export function find(all: any[], kind: string, name?: string): any {
  const found = all.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}
