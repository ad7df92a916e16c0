import { Construct } from 'constructs';
import { OrdersApi } from '../examples/platform/orders-api';
import {
  DatabaseClient, DatabaseEngine, Environment, EnvironmentChart, MessageQueue, QueueAccess, QueueEngine, ReplicatedDatabase, SecretBackend,
  SecretSource, StorageProfile, Tier,
} from '../src';

const TIERS: Array<[string, Tier, string]> = [['dev', Tier.DEVELOPMENT, 'nonprod'], ['staging', Tier.STAGING, 'nonprod'], ['prod', Tier.PRODUCTION, 'prod']];

/** One service's stateful stack (database, queue, API) in a chart. */
function service(chart: Construct, env: Environment, prefix: string): void {
  const dev = env.tier === Tier.DEVELOPMENT;
  const db = new ReplicatedDatabase(chart, `${prefix}Db`, {
    name: `${prefix}-db`,
    engine: dev ? DatabaseEngine.postgresStatefulSet({ version: '16.4' }) : DatabaseEngine.cloudNativePg({ version: '16.4' }),
    backup: dev ? undefined : {
      schedule: '15 2 * * *',
      retentionDays: 30,
      destination: { destinationPath: `s3://bench-backups/${env.name}/${prefix}`, credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: `${prefix}/s3` }) },
    },
    allowFrom: [DatabaseClient.fromLabels({ app: `${prefix}-api` })],
  });
  new MessageQueue(chart, `${prefix}Mq`, {
    name: `${prefix}-mq`,
    engine: dev ? QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' }) : QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
    queues: [{ name: 'events' }],
    users: [{ name: 'app', permissions: [{ name: 'events', access: QueueAccess.CONSUME }] }],
  });
  void db;
}

/**
 * The reference fleet: `services` applications over dev / staging / prod, each with a
 * ReplicatedDatabase and a MessageQueue (and one API per environment), one namespace per
 * environment. `chartPerService: false` puts every service of an environment into one chart: the
 * same objects in 3 charts instead of 3 × services charts.
 */
export function fleet(root: Construct, services: number, options: { chartPerService?: boolean } = {}): void {
  const secrets = SecretBackend.externalSecrets({ store: 'platform-vault' });
  const perService = options.chartPerService ?? true;
  for (const [name, tier, cluster] of TIERS) {
    const env = new Environment({
      name,
      tier,
      cluster,
      namespace: `fleet-${name}`,
      secretBackend: secrets,
      storageProfile: tier === Tier.DEVELOPMENT ? StorageProfile.existing('standard') : StorageProfile.ondat({ name: `ondat-${tier}`, replicas: 2 }),
    });
    let shared: EnvironmentChart | undefined;
    for (let i = 0; i < services; i++) {
      const chart = perService ? new EnvironmentChart(root, `svc${i}-${name}`, { environment: env }) : (shared ??= new EnvironmentChart(root, `fleet-${name}`, { environment: env }));
      service(chart, env, `s${i}`);
      if (i === 0) new OrdersApi(chart, 'Api', { image: 'ghcr.io/acme-orders/orders-api:1.8.2' });
    }
  }
}
