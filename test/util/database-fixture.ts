import * as os from 'os';
import * as path from 'path';
import {
  Environment, EnvironmentChart, GitOpsApp, ReplicatedDatabase, ReplicatedDatabaseProps, SecretBackend, SecretSource, StorageProfile, Tier,
} from '../../src';

/** What the StatefulSet engine tests share: the `orders-db` fixture, the test backup, manifest look-ups. */

/** Backup options used by the tests (the credentials are a reference, never a value). */
export const backup = {
  schedule: '30 2 * * *',
  retentionDays: 7,
  destination: {
    destinationPath: 's3://acme-backups/orders',
    endpointUrl: 'https://minio.storage.svc:9000',
    credentials: SecretSource.existing('orders-backup-s3'),
  },
};

export interface FixtureOptions {
  readonly tier?: Tier;
  readonly version?: string;
  readonly props?: Partial<ReplicatedDatabaseProps>;
  readonly secretBackend?: SecretBackend;
  /** Declare the extra users and database of the real-server test (after construction: they are lazy). */
  readonly withUsers?: boolean;
}

/** A GitOpsApp with one environment (namespace `orders`) and a ReplicatedDatabase `orders-db` on `engine`. */
export function ordersDbFixture(engine: ReplicatedDatabaseProps['engine'], options: FixtureOptions = {}) {
  const tier = options.tier ?? Tier.DEVELOPMENT;
  const app = new GitOpsApp({ outdir: path.join(os.tmpdir(), 'cdk8s-stateful-unused-outdir') });
  const env = new Environment({
    name: tier === Tier.PRODUCTION ? 'prod' : tier === Tier.STAGING ? 'staging' : 'dev',
    tier,
    namespace: 'orders',
    storageProfile: StorageProfile.ondat({ name: 'ondat-secure', replicas: 2 }),
    secretBackend: options.secretBackend ?? SecretBackend.existingSecrets(),
  });
  const chart = new EnvironmentChart(app, 'orders', { environment: env });
  const db = new ReplicatedDatabase(chart, 'OrdersDb', { engine, name: 'orders-db', ...options.props });
  return { app, env, chart, db };
}

/** Rendered manifests of an app. */
export function manifests(app: GitOpsApp): any[] {
  return app.render().objects.map((o) => o.manifest);
}

/** The one manifest of a kind (and name). */
export function find(all: any[], kind: string, name?: string): any {
  const found = all.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}
