import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { AFTER_DATA_SYNC_WAVE } from '../../../private/sync-waves';
import { monitoringPeer } from '../../../private/workload';
import { objectName, shortHash, topologyObjectName } from '../../private/names';
import { antiAffinity, lazy, renderDisruptionBudget, renderMonitoring, zoneSpread } from '../common';
import { EngineHooks, QueueModel, ResolvedExchange, ResolvedQueue, ResolvedUser } from '../model';
import {
  hasStreams, permissionsOf, policyDefinition, policyName, policyPattern, queueArguments, rabbitmqAlerts, renderNetworkPolicy, storeOffsetNeedsWrite,
} from '../rabbitmq-common';

const TOPOLOGY = 'rabbitmq.com/v1beta1';

/** Restricted, merged into the operator's containers (which write to their root filesystem). */
const OPERATOR_CONTAINER = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

/** What the render needs of the engine. */
export interface OperatorSettings {
  readonly podLabels: { [key: string]: string };
  readonly image: string;
  /** The RabbitMQ version (`MAJOR.MINOR.PATCH`). */
  readonly version: string;
  readonly operatorNamespace: string;
  readonly additionalConfig: { [key: string]: string };
  /** The Kubernetes peer discovery reads the API server (before RabbitMQ 4.1). */
  readonly apiServer: boolean;
}

/**
 * Renders a MessageQueue for the RabbitMQ Cluster Operator and Messaging Topology Operator:
 * `RabbitmqCluster`, `Vhost`, `Exchange`, `Queue`, `Binding`, `Policy`, `User` (credentials
 * imported from the user's Secret) and `Permission`, a PodDisruptionBudget (the operator has no
 * field for one), the NetworkPolicy, PodMonitor and alerts.
 *
 * `Vhost` and `Queue` carry `deletionPolicy: retain` when `retainOnDelete` (the default): a GitOps
 * prune of the custom resource leaves the vhost, the queue and its messages in the broker. The
 * other topology kinds have no deletion policy in topology operator 1.20 and hold no messages.
 *
 * Objects are plain ApiObjects whose specs are computed at synthesis (mutators stay valid until
 * then); every object is validated against the CRD schemas in the tests.
 */
export function renderRabbitmqOperator(scope: Construct, mq: QueueModel, engine: OperatorSettings): EngineHooks {
  const ref = { name: mq.name };
  const labels = engine.podLabels;
  const vhost = mq.virtualHost!;
  const retain = mq.retainOnDelete ? 'retain' : 'delete';
  const config = {
    // canonical values of what the operator would otherwise default (no drift in Argo CD)
    cluster_partition_handling: 'pause_minority',
    ...engine.additionalConfig,
  };

  new ApiObject(scope, 'RabbitmqCluster', {
    apiVersion: TOPOLOGY,
    kind: 'RabbitmqCluster',
    metadata: { name: mq.name },
    spec: {
      replicas: mq.replicas,
      image: engine.image,
      persistence: { storage: mq.storageSize, storageClassName: mq.storageClassName },
      resources: { requests: { cpu: mq.cpu, memory: mq.memory }, limits: { memory: mq.memory } },
      rabbitmq: {
        // stream clients speak the stream protocol (port 5552): the operator opens it with the plugin
        additionalPlugins: lazy(() => (hasStreams(mq) ? ['rabbitmq_stream'] : undefined)),
        additionalConfig: Object.keys(config).sort().map((k) => `${k} = ${(config as Record<string, string>)[k]}`).join('\n') + '\n',
      },
      service: { type: 'ClusterIP' },
      // the brokers read the CA from their own Secret (the operator's "single TLS secret", `SingleTLSSecret()`);
      // clients get `tlsCaSecretName`, never this Secret with its tls.key
      tls: mq.tls ? { secretName: mq.tlsSecretName, caSecretName: mq.tlsSecretName, disableNonTLSListeners: false } : undefined,
      terminationGracePeriodSeconds: 604800,
      delayStartSeconds: 30,
      // the operator enables every stable feature flag only when it creates the cluster, and after an upgrade only with this
      // (`runRabbitmqCLICommandsIfAnnotated`, internal/controller/reconcile_cli.go, cluster-operator 2.15+: `rabbitmqctl
      // enable_feature_flag all` once all brokers run the new image). Without it the flags a version brings stay disabled,
      // and the next series, which requires them (4.0 those of 3.13, 4.3 those of 4.2: `stability => required`,
      // rabbit_core_ff.erl), refuses to start ("required feature flag not enabled")
      autoEnableAllFeatureFlags: true,
      affinity: antiAffinity(mq, labels),
      override: {
        statefulSet: {
          spec: {
            template: {
              // Environment.labels reach the broker pods
              metadata: { labels: { ...mq.environment.inheritedLabels } },
              spec: {
                // the namespace enforces Pod Security "restricted": the operator's pods need these
                securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
                topologySpreadConstraints: mq.spreadAcrossZones ? zoneSpread(labels) : undefined,
                containers: [{ name: 'rabbitmq', securityContext: OPERATOR_CONTAINER }],
                initContainers: [{ name: 'setup-container', securityContext: OPERATOR_CONTAINER }],
              },
            },
          },
        },
      },
    },
  });

  new ApiObject(scope, 'Vhost', {
    apiVersion: TOPOLOGY,
    kind: 'Vhost',
    metadata: { name: objectName(mq.name, 'vhost', vhost === '/' ? 'default' : vhost) },
    spec: { name: vhost, defaultQueueType: 'quorum', deletionPolicy: retain, rabbitmqClusterReference: ref },
  });

  renderDisruptionBudget(scope, mq, labels);
  const operator = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': engine.operatorNamespace } },
    podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['messaging-topology-operator', 'rabbitmq-cluster-operator'] }] },
  };
  renderNetworkPolicy(scope, mq, labels, [
    { peers: [{ podSelector: { matchLabels: labels } }], ports: [4369, 25672] },
    { peers: [operator], ports: mq.tls ? [15671, 15672] : [15672] },
    ...(mq.monitoring ? [{ peers: [monitoringPeer(mq.environment.monitoringNamespace)], ports: [15692] }] : []),
  ], engine.apiServer, [4369, 25672]);
  renderMonitoring(scope, mq, labels, 'prometheus', rabbitmqAlerts(mq, `${mq.name}-server-[0-9]+`, `persistence-${mq.name}-server-[0-9]+`));

  return {
    onExchange: (e: ResolvedExchange) => {
      new ApiObject(scope, `Exchange-${e.name}`, {
        apiVersion: TOPOLOGY,
        kind: 'Exchange',
        metadata: { name: topologyObjectName(mq.name, 'exchange', e.name) },
        spec: { name: e.name, vhost, type: e.type, durable: true, autoDelete: false, rabbitmqClusterReference: ref },
      });
    },
    onQueue: (q: ResolvedQueue) => {
      const args = queueArguments(q);
      new ApiObject(scope, `Queue-${q.name}`, {
        apiVersion: TOPOLOGY,
        kind: 'Queue',
        metadata: { name: topologyObjectName(mq.name, 'queue', q.name) },
        spec: {
          name: q.name,
          vhost,
          type: q.type,
          durable: q.durable,
          autoDelete: false,
          arguments: Object.keys(args).length > 0 ? args : undefined,
          deletionPolicy: retain,
          rabbitmqClusterReference: ref,
        },
      });
      // a Binding's spec is immutable: its name changes with its content, so a change is a replacement
      for (const b of q.bindings) {
        new ApiObject(scope, `Binding-${q.name}-${b.exchange}-${b.routingKey}`, {
          apiVersion: TOPOLOGY,
          kind: 'Binding',
          metadata: { name: objectName(mq.name, b.exchange, 'to', q.name, shortHash(b.routingKey, 6)) },
          spec: { vhost, source: b.exchange, destination: q.name, destinationType: 'queue', routingKey: b.routingKey, rabbitmqClusterReference: ref },
        });
      }
      const definition = policyDefinition(q);
      if (definition) {
        new ApiObject(scope, `Policy-${q.name}`, {
          apiVersion: TOPOLOGY,
          kind: 'Policy',
          metadata: { name: topologyObjectName(mq.name, 'queue', q.name) },
          spec: { name: policyName(q), vhost, pattern: policyPattern(q), applyTo: 'queues', priority: 0, definition, rabbitmqClusterReference: ref },
        });
      }
    },
    onUser: (u: ResolvedUser) => {
      const userObject = objectName(mq.name, 'user', u.name);
      // the topology operator's webhook refuses a `User` whose Secret does not exist yet ("secret ... not found",
      // `validateSecretLabel`, v1.20): the `User` is applied once the data objects are ready, the ExternalSecret
      // writing its Secret among them (Argo CD: the wave after theirs; Flux: the `<env>-migrate` layer, after
      // `<env>-data`, whose apply would otherwise fail as a whole at its dry-run); its `Permission` with it (the
      // data layer would wait on its Ready condition, which needs the `User`)
      const annotations = { 'argocd.argoproj.io/sync-wave': AFTER_DATA_SYNC_WAVE };
      new ApiObject(scope, `User-${u.name}`, {
        apiVersion: TOPOLOGY,
        kind: 'User',
        metadata: { name: userObject, annotations: { ...annotations } },
        spec: { importCredentialsSecret: { name: u.secret!.secretName }, rabbitmqClusterReference: ref },
      });
      new ApiObject(scope, `Permission-${u.name}`, {
        apiVersion: TOPOLOGY,
        kind: 'Permission',
        metadata: { name: objectName(mq.name, 'user', u.name, 'permissions'), annotations: { ...annotations } },
        spec: {
          vhost,
          userReference: { name: userObject },
          permissions: lazy(() => permissionsOf(mq, u, storeOffsetNeedsWrite(engine.version))),
          rabbitmqClusterReference: ref,
        },
      });
    },
  };
}
