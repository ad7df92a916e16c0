import { OrdersApi } from './orders-api';
import {
  AspectPriority, Aspects, DatabaseAccess, DatabaseClient, DatabaseEngine, Environment, EnvironmentChart, EnvironmentOverlay, GitOpsApp,
  GitOpsAppProps, IEnvironmentApplication, OutputLayout, PolicyPacks, ReplicatedDatabase, SecretBackend, SecretSource, SecretStoreKind,
  StorageProfile, Tier, ExchangeType, MessageQueue, PlatformOperator, QueueAccess, QueueEngine,
} from '../../src';

/**
 * The reference "orders" platform: one application over dev, staging and prod.
 * `npm run synth` renders it into dist/ (committed; CI fails on drift).
 */
export function buildPlatform(props: GitOpsAppProps = {}): GitOpsApp {
  const app = new GitOpsApp({
    // hydrated manifests for review, kustomize overlays and both GitOps tools' wiring
    layout: OutputLayout.HYDRATED_AND_KUSTOMIZE,
    flux: { repositoryUrl: 'https://git.example.com/acme/orders-gitops.git', repositoryPath: './dist' },
    argoCd: {
      repositoryUrl: 'https://git.example.com/acme/orders-gitops.git',
      repositoryPath: 'dist',
      name: 'orders',
      destinations: { 'nonprod': 'https://nonprod.k8s.example.com:6443', 'prod-eu-west': 'https://prod-eu-west.k8s.example.com:6443' },
    },
    // operators from their Helm charts, pinned to the releases whose CRDs the objects are validated against
    operators: [
      // CloudNativePG 1.30.0 (chart 0.29.0) and its Barman Cloud plugin (chart 0.7.0: plugin 0.13.0, the ObjectStore CRD of 0.14.0)
      PlatformOperator.cloudNativePg('0.29.0'), PlatformOperator.barmanCloudPlugin('0.7.0'),
      PlatformOperator.strimzi('1.2.0'), PlatformOperator.externalSecrets('2.9.0'),
      // the PodMonitors' and PrometheusRules' CRDs (Prometheus Operator v0.93.0)
      PlatformOperator.prometheusOperatorCrds('31.0.0'),
      // mariadb-operator's CRDs come in a chart of their own, synced one wave before the operator
      PlatformOperator.mariadbOperatorCrds('26.6.0'), PlatformOperator.mariadbOperator('26.6.0'),
      // RabbitMQ's operators as RabbitMQ releases them (Git folders at their tags); their webhooks need cert-manager
      PlatformOperator.certManager('1.18.2'), PlatformOperator.rabbitmqClusterOperator('2.22.3'), PlatformOperator.rabbitmqTopologyOperator('1.20.1'),
    ],
    ...props,
  });
  // every built-in pack, over the whole app: nothing is written unless the platform passes them
  for (const pack of PolicyPacks.all()) {
    Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
  }

  const secrets = SecretBackend.externalSecrets({
    store: 'platform-vault',
    storeKind: SecretStoreKind.CLUSTER_SECRET_STORE,
    keyPrefix: 'orders',
  });
  // quay.io/strimzi: Strimzi's default Kafka and entity operator images (the Kafka resource names none)
  // docker-registry1.mariadb.com, ghcr.io/mariadb-operator, docker.io/prom: the mariadb-operator's operand, data-plane and exporter images
  const registries = [
    'ghcr.io/acme-orders', 'ghcr.io/cloudnative-pg', 'docker.io/library', 'quay.io/strimzi',
    'docker-registry1.mariadb.com/library', 'ghcr.io/mariadb-operator', 'docker.io/prom',
  ];

  const environments = [
    new Environment({
      name: 'dev',
      tier: Tier.DEVELOPMENT,
      namespace: 'orders-dev',
      cluster: 'nonprod',
      labels: { 'acme.example/cost-center': 'orders' },
      kubernetesVersion: '1.30',
      allowedRegistries: registries,
      secretBackend: secrets,
      storageProfile: StorageProfile.existing('standard-rwo'),
    }),
    new Environment({
      name: 'staging',
      tier: Tier.STAGING,
      namespace: 'orders-staging',
      cluster: 'nonprod',
      labels: { 'acme.example/cost-center': 'orders' },
      kubernetesVersion: '1.30',
      allowedRegistries: registries,
      secretBackend: secrets,
      storageProfile: StorageProfile.ondat({ name: 'ondat-replicated-1', replicas: 1, encryption: true }),
    }),
    new Environment({
      name: 'prod',
      tier: Tier.PRODUCTION,
      namespace: 'orders',
      cluster: 'prod-eu-west',
      labels: { 'acme.example/cost-center': 'orders' },
      kubernetesVersion: '1.30',
      allowedRegistries: registries,
      secretBackend: secrets,
      storageProfile: StorageProfile.ondat({ name: 'ondat-encrypted-replicated-2', replicas: 2, encryption: true }),
    }),
  ];

  new EnvironmentOverlay(app, 'orders', { environments, base: 'dev', application: new OrdersPlatform() });
  return app;
}

/**
 * The orders application, defined once and rendered for every environment.
 */
class OrdersPlatform implements IEnvironmentApplication {
  public define(chart: EnvironmentChart): void {
    const env = chart.environment;
    // the orders database: the operator where it matters, a plain StatefulSet in development;
    // the API connects through the same contract either way
    const db = new ReplicatedDatabase(chart, 'OrdersDb', {
      name: 'orders-db',
      engine: env.tier === Tier.DEVELOPMENT
        ? DatabaseEngine.postgresStatefulSet({ version: '16.4' })
        : DatabaseEngine.cloudNativePg({ version: '16.4' }),
      databaseName: 'orders',
      ownerName: 'orders',
      storageSize: env.selectString({ development: '5Gi', staging: '20Gi', production: '100Gi' }),
      backup: env.tier === Tier.DEVELOPMENT ? undefined : {
        schedule: '15 2 * * *',
        retentionDays: env.selectNumber({ staging: 7, production: 30 }),
        destination: {
          destinationPath: `s3://acme-orders-backups/${env.name}/orders-db`,
          credentials: SecretSource.externalSecret({ store: 'platform-vault', remoteKey: `orders/${env.name}/backup-s3` }),
        },
      },
      migration: { image: 'ghcr.io/acme-orders/orders-migrations:1.8.2', command: ['orders-migrate', 'up'] },
      allowFrom: [DatabaseClient.fromLabels(OrdersApi.podLabels)],
    });
    // order events on RabbitMQ (the operator where it matters), analytics on Kafka (Strimzi)
    new MessageQueue(chart, 'OrdersEvents', {
      name: 'orders-events',
      engine: env.tier === Tier.DEVELOPMENT ? QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' }) : QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
      storageSize: env.selectString({ development: '2Gi', otherwise: '20Gi' }),
      exchanges: [{ name: 'orders', type: ExchangeType.TOPIC }],
      queues: [
        { name: 'orders.placed', maxLength: 100000, deadLetterQueue: 'orders.dead', deliveryLimit: 10, bindings: [{ exchange: 'orders', routingKey: 'order.placed' }] },
        { name: 'orders.dead', retentionHours: 336 },
      ],
      users: [
        { name: 'orders-api', permissions: [{ name: 'orders.placed', access: QueueAccess.PRODUCE }] },
        { name: 'fulfilment', permissions: [{ name: 'orders.placed', access: QueueAccess.CONSUME }, { name: 'orders.dead', access: QueueAccess.CONSUME }] },
      ],
      allowFrom: [DatabaseClient.fromLabels(OrdersApi.podLabels)],
    });
    new MessageQueue(chart, 'Analytics', {
      name: 'analytics',
      engine: QueueEngine.strimziKafka({ version: '4.3.1' }),
      storageSize: env.selectString({ development: '5Gi', otherwise: '50Gi' }),
      topics: [
        { name: 'orders.events', partitions: 12, retentionHours: 168, deadLetterTopic: 'orders.events.dlt' },
        { name: 'orders.events.dlt', partitions: 3, retentionHours: 720 },
      ],
      users: [
        { name: 'orders-api', permissions: [{ name: 'orders.events', access: QueueAccess.PRODUCE }] },
        { name: 'analytics-etl', permissions: [{ name: 'orders.events', access: QueueAccess.CONSUME }] },
      ],
      allowFrom: [DatabaseClient.fromLabels(OrdersApi.podLabels)],
    });
    // the stock catalogue on MariaDB: a plain StatefulSet in development, the mariadb-operator elsewhere;
    // the API reads it through the same connection contract
    const inventory = new ReplicatedDatabase(chart, 'InventoryDb', {
      name: 'inventory-db',
      engine: env.tier === Tier.DEVELOPMENT
        ? DatabaseEngine.mariadbStatefulSet({ version: '11.4.5' })
        : DatabaseEngine.mariadbOperator({ version: '11.4.5' }),
      databaseName: 'inventory',
      ownerName: 'inventory',
      storageSize: env.selectString({ development: '2Gi', staging: '10Gi', production: '50Gi' }),
      backup: env.tier === Tier.DEVELOPMENT ? undefined : {
        schedule: '45 2 * * *',
        retentionDays: env.selectNumber({ staging: 7, production: 30 }),
        destination: {
          destinationPath: `s3://acme-orders-backups/${env.name}/inventory-db`,
          credentials: SecretSource.externalSecret({ store: 'platform-vault', remoteKey: `orders/${env.name}/backup-s3` }),
        },
      },
      allowFrom: [DatabaseClient.fromLabels(OrdersApi.podLabels)],
    });
    inventory.addUser('orders_api', { grants: [{ database: 'inventory', access: DatabaseAccess.READ_ONLY }] });
    db.addUser('reporting', { grants: [{ database: 'orders', access: DatabaseAccess.READ_ONLY }] });
    new OrdersApi(chart, 'Api', { image: 'ghcr.io/acme-orders/orders-api:1.8.2', database: db.connection });
  }
}
