// The L1 classes as a cdk8s app imports them (`cdk8s import k8s` writes the same classes into
// imports/k8s.ts); the cdk8s-plus-28 index would add its L2 constructs (~30 modules) to the start
// of an app that uses none (bench/startup.ts times the whole process).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
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
 * One stateless service (what most of a real fleet is): a hardened Deployment (Pod Security
 * restricted, probes, requests and limits, zone spread), its Service, ServiceAccount, ConfigMap,
 * NetworkPolicy and, when replicated, a PodDisruptionBudget. The same shape as the reference
 * platform's OrdersApi, with a name per service.
 */
function api(chart: Construct, env: Environment, prefix: string): void {
  const scope = new Construct(chart, `${prefix}Api`);
  const name = `${prefix}-api`;
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'api' };
  const replicas = env.selectNumber({ development: 1, staging: 2, production: 3 });
  new k8s.KubeServiceAccount(scope, 'ServiceAccount', { metadata: { name }, automountServiceAccountToken: false });
  new k8s.KubeConfigMap(scope, 'Config', { metadata: { name, labels }, data: { LOG_LEVEL: 'info', UPSTREAM: `http://${prefix}-upstream` } });
  new k8s.KubeDeployment(scope, 'Deployment', {
    metadata: { name, labels },
    spec: {
      replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: replicas > 1 ? [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }] : undefined,
          containers: [{
            name: 'api',
            image: 'ghcr.io/acme/bench-api:1.8.2',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            envFrom: [{ configMapRef: { name } }],
            resources: {
              requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
              limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('256Mi') },
            },
            readinessProbe: { httpGet: { path: '/ready', port: k8s.IntOrString.fromString('http') }, periodSeconds: 5 },
            livenessProbe: { httpGet: { path: '/health', port: k8s.IntOrString.fromString('http') }, periodSeconds: 10 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  });
  new k8s.KubeService(scope, 'Service', {
    metadata: { name, labels },
    spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] },
  });
  new k8s.KubeNetworkPolicy(scope, 'NetworkPolicy', {
    metadata: { name },
    spec: {
      podSelector: { matchLabels: labels },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } }], ports: [{ port: k8s.IntOrString.fromNumber(8080), protocol: 'TCP' }] }],
    },
  });
  if (replicas > 1) {
    new k8s.KubePodDisruptionBudget(scope, 'PodDisruptionBudget', {
      metadata: { name },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });
  }
}

/** The fleets the benchmark runs: data-heavy (a database and a queue per service) and Deployment-heavy (stateless APIs). */
export type FleetKind = 'data' | 'deploy';

/**
 * The reference fleet: `services` applications over dev / staging / prod, each with a
 * ReplicatedDatabase and a MessageQueue (and one API per environment), one namespace per
 * environment; with `kind: 'deploy'`, one stateless API per service instead (six to seven objects
 * each, five of them related by selectors). `chartPerService: false` puts every service of an environment into one chart: the
 * same objects in 3 charts instead of 3 × services charts.
 */
export function fleet(root: Construct, services: number, options: { chartPerService?: boolean; kind?: FleetKind } = {}): void {
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
      if (options.kind === 'deploy') {
        api(chart, env, `s${i}`);
        continue;
      }
      service(chart, env, `s${i}`);
      if (i === 0) new (ordersApi())(chart, 'Api', { image: 'ghcr.io/acme-orders/orders-api:1.8.2' });
    }
  }
}

/** The reference platform's OrdersApi (the data fleet's API), loaded by the fleet that uses it. */
function ordersApi(): typeof import('../examples/platform/orders-api').OrdersApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../examples/platform/orders-api') as typeof import('../examples/platform/orders-api')).OrdersApi;
}
