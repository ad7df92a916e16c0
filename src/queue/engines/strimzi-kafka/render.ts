import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { API_SERVER_EGRESS, DNS_EGRESS, toPods } from '../../../private/network';
import { objectName, topologyObjectName } from '../../private/names';
import { KafkaAuthentication } from '../../types';
import { lazy, renderMonitoring, zoneSpread } from '../common';
import { consumes, EngineHooks, produces, QueueModel, ResolvedTopic, ResolvedUser } from '../model';

const STRIMZI = 'kafka.strimzi.io/v1';
const ZONE = 'topology.kubernetes.io/zone';

/** Restricted settings merged into Strimzi's containers (the namespace enforces Pod Security "restricted"). */
const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
const POD_SECURITY = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };

/** Metrics the Strimzi Metrics Reporter exposes (the alerts use them). */
const METRICS_ALLOW_LIST = [
  'kafka_controller_kafkacontroller_.*',
  'kafka_server_replicamanager_.*',
  'kafka_server_brokertopicmetrics_.*',
  'kafka_network_requestmetrics_.*',
  'kafka_log_log_size',
];

/** Name of a node pool (pods are `<cluster>-<pool>-<id>`, so pool names stay short). */
export const BROKER_POOL = 'brokers';
export const CONTROLLER_POOL = 'controllers';
export const DUAL_ROLE_POOL = 'dual-role';

/** What the render needs of the engine. */
export interface StrimziSettings {
  readonly podLabels: { [key: string]: string };
  readonly version: string;
  readonly metadataVersion?: string;
  readonly authentication: KafkaAuthentication;
  readonly additionalConfig: { [key: string]: string };
}

/**
 * Renders a MessageQueue for Strimzi (KRaft only, `kafka.strimzi.io/v1`): `Kafka` with one
 * internal listener (TLS by default, SCRAM-SHA-512 or mutual TLS authentication, its
 * `networkPolicyPeers` admitting exactly the declared clients: Strimzi renders the NetworkPolicy),
 * simple authorization, rack awareness when spread across zones, the Strimzi Metrics Reporter;
 * `KafkaNodePool`s (a combined pool, or dedicated controllers and brokers); a `KafkaTopic` per
 * topic; a `KafkaUser` per user with ACLs derived from its permissions; PodMonitor and alerts.
 *
 * Replication defaults follow the brokers: with 3+ brokers the replication factor is 3 and
 * `min.insync.replicas` 2 (internal topics too). With `retainOnDelete`, `delete.topic.enable` is
 * false: a pruned KafkaTopic cannot delete the topic's records (its finalizer then waits for an
 * operator to delete it deliberately). Strimzi renders its own PodDisruptionBudget (max 1 unavailable).
 */
export function renderStrimziKafka(scope: Construct, mq: QueueModel, engine: StrimziSettings): EngineHooks {
  const cluster = { 'strimzi.io/cluster': mq.name };
  const rf = Math.min(3, mq.replicas);
  const minIsr = rf >= 3 ? 2 : 1;
  const tls = mq.tls;
  const authentication = engine.authentication;
  const ns = mq.environment.namespace;

  new ApiObject(scope, 'Kafka', {
    apiVersion: STRIMZI,
    kind: 'Kafka',
    metadata: { name: mq.name },
    spec: {
      kafka: {
        version: engine.version,
        metadataVersion: engine.metadataVersion,
        listeners: [{
          name: tls ? 'tls' : 'plain',
          port: tls ? 9093 : 9092,
          type: 'internal',
          tls,
          authentication: { type: authentication },
          // Strimzi admits every pod when the list is empty: the brokers themselves stand in for "no client"
          networkPolicyPeers: lazy(() => {
            const clients = mq.clientPeers();
            return clients.length > 0 ? clients : [{ podSelector: { matchLabels: engine.podLabels } }];
          }),
        }],
        authorization: { type: 'simple' },
        config: {
          'auto.create.topics.enable': false,
          'default.replication.factor': rf,
          'delete.topic.enable': !mq.retainOnDelete,
          'min.insync.replicas': minIsr,
          'offsets.topic.replication.factor': rf,
          'transaction.state.log.min.isr': minIsr,
          'transaction.state.log.replication.factor': rf,
          // the share groups' state topic (`__share_group_state`, KIP-932) defaults to 3 replicas and min.isr 2, which fewer
          // brokers cannot host (Kafka 4.2 upgrade notes: set both to 1 below 3 brokers); with 3+ the defaults hold
          ...(rf < 3 ? { 'share.coordinator.state.topic.min.isr': minIsr, 'share.coordinator.state.topic.replication.factor': rf } : {}),
          ...engine.additionalConfig,
        },
        rack: mq.spreadAcrossZones ? { type: 'topology-label', topologyKey: ZONE } : undefined,
        metricsConfig: mq.monitoring ? { type: 'strimziMetricsReporter', values: { allowList: METRICS_ALLOW_LIST } } : undefined,
        template: {
          podDisruptionBudget: mq.podDisruptionBudget ? { maxUnavailable: 1 } : undefined,
          initContainer: mq.spreadAcrossZones ? { securityContext: CONTAINER_SECURITY } : undefined,
        },
      },
      entityOperator: {
        topicOperator: { watchedNamespace: ns },
        userOperator: { watchedNamespace: ns },
        template: {
          pod: { metadata: { labels: { ...mq.environment.inheritedLabels } }, securityContext: POD_SECURITY },
          topicOperatorContainer: { securityContext: CONTAINER_SECURITY },
          userOperatorContainer: { securityContext: CONTAINER_SECURITY },
        },
      },
    },
  });

  const controllers = mq.controllerReplicas ?? 0;
  const pools: Array<{ name: string; roles: string[]; replicas: number }> = controllers > 0
    ? [{ name: CONTROLLER_POOL, roles: ['controller'], replicas: controllers }, { name: BROKER_POOL, roles: ['broker'], replicas: mq.replicas }]
    : [{ name: DUAL_ROLE_POOL, roles: ['controller', 'broker'], replicas: mq.replicas }];
  for (const pool of pools) {
    const podLabels = { ...cluster, 'strimzi.io/pool-name': pool.name };
    const multi = pool.replicas > 1;
    new ApiObject(scope, `KafkaNodePool-${pool.name}`, {
      apiVersion: STRIMZI,
      kind: 'KafkaNodePool',
      metadata: { name: pool.name, labels: cluster },
      spec: {
        replicas: pool.replicas,
        roles: pool.roles,
        storage: {
          type: 'jbod',
          volumes: [{
            id: 0,
            type: 'persistent-claim',
            size: mq.storageSize,
            class: mq.storageClassName,
            deleteClaim: !mq.retainOnDelete,
            kraftMetadata: 'shared',
          }],
        },
        resources: { requests: { cpu: mq.cpu, memory: mq.memory }, limits: { memory: mq.memory } },
        template: {
          pod: {
            // Environment.labels reach the broker / controller pods
            metadata: { labels: { ...mq.environment.inheritedLabels } },
            securityContext: POD_SECURITY,
            affinity: multi ? {
              podAntiAffinity: mq.spreadAcrossZones
                ? { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: podLabels }, topologyKey: 'kubernetes.io/hostname' }] }
                : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: podLabels }, topologyKey: 'kubernetes.io/hostname' } }] },
            } : undefined,
            topologySpreadConstraints: mq.spreadAcrossZones && multi ? zoneSpread(podLabels) : undefined,
          },
          kafkaContainer: { securityContext: CONTAINER_SECURITY },
        },
      },
    });
  }

  // Strimzi renders the brokers' ingress NetworkPolicy; the namespace denies by default, so the
  // egress of the brokers and of the entity operator is rendered here
  const kafkaPods = { ...cluster, 'strimzi.io/name': `${mq.name}-kafka` };
  const egressPolicy = (id: string, name: string, podSelector: any, egress: any[]) => new ApiObject(scope, id, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name },
    spec: { podSelector: { matchLabels: podSelector }, policyTypes: ['Egress'], egress },
  });
  egressPolicy('KafkaEgressNetworkPolicy', `${mq.name}-kafka-egress`, kafkaPods, [
    DNS_EGRESS,
    // controllers (9090), replication (9091), the listener (the brokers stand in for clients when none is declared)
    toPods(kafkaPods, [9090, 9091, tls ? 9093 : 9092]),
    // every node reads its listeners' PEM certificates from its Secrets through the API server at start
    // (Strimzi's KubernetesSecretConfigProvider, `${strimzisecrets:<ns>/<pod>:<pod>.crt}`, since 0.49); the
    // rack-awareness init container reads its node's zone label there too
    API_SERVER_EGRESS,
  ]);
  egressPolicy('EntityOperatorEgressNetworkPolicy', `${mq.name}-entity-operator-egress`, { ...cluster, 'strimzi.io/name': `${mq.name}-entity-operator` }, [
    DNS_EGRESS,
    // the topic and user operators: the brokers' replication listener, and their KafkaTopic / KafkaUser / Secret watches
    toPods(kafkaPods, [9091]),
    API_SERVER_EGRESS,
  ]);

  // the nodes of a pool are pods `<cluster>-<pool>-<id>` (Strimzi KafkaPool `componentName`)
  const podsOf = (ps: typeof pools) => `namespace="${ns}",pod=~"${mq.name}-(${ps.map((p) => p.name).join('|')})-[0-9]+"`;
  const sel = podsOf(pools);
  const brokers = pools.filter((p) => p.roles.includes('broker'));
  const controllerNodes = pools.filter((p) => p.roles.includes('controller'));
  const count = (ps: typeof pools) => ps.reduce((n, p) => n + p.replicas, 0);
  // the JBOD volume 0 of every node: PVC `data-0-<pod>` (Strimzi PersistentVolumeClaimUtils `createPersistentVolumeClaims`,
  // VolumeUtils `createVolumePrefix`), the controllers' too (their metadata log)
  const claims = `namespace="${ns}",persistentvolumeclaim=~"data-0-${mq.name}-(${pools.map((p) => p.name).join('|')})-[0-9]+"`;
  renderMonitoring(scope, mq, engine.podLabels, 'tcp-prometheus', [
    {
      alert: 'KafkaOfflinePartitions',
      expr: `max by (namespace) (kafka_controller_kafkacontroller_offlinepartitionscount{${sel}}) > 0`,
      for: '1m',
      labels: { severity: 'critical' },
      annotations: { summary: `Partitions of ${mq.name} have no leader: their topics are unavailable` },
    },
    {
      alert: 'KafkaUnderMinIsrPartitions',
      expr: `sum by (namespace) (kafka_server_replicamanager_underminisrpartitioncount{${sel}}) > 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `Partitions of ${mq.name} are below min.insync.replicas: acks=all producers are refused` },
    },
    {
      alert: 'KafkaUnderReplicatedPartitions',
      expr: `sum by (namespace) (kafka_server_replicamanager_underreplicatedpartitions{${sel}}) > 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: `Partitions of ${mq.name} are under-replicated` },
    },
    {
      // Kafka takes a log directory offline on a write error (a full disk); the one volume here holds the KRaft
      // metadata log too, whose loss stops the node (KIP-858)
      alert: 'KafkaStorageAlmostFull',
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims}} / kubelet_volume_stats_capacity_bytes{${claims}}) > 0.85`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: `A volume of ${mq.name} is more than 85% full` },
    },
    {
      // a node without metrics (not running, or not scraped) would otherwise silence the alerts above: every broker
      // exports the ReplicaManager's gauges, every controller (a dual-role node too) the QuorumController's
      // `ActiveControllerCount`, 0 or 1 (Kafka QuorumControllerMetrics); names as Strimzi's Metrics Reporter writes them
      // (Strimzi packaging/examples/metrics/strimzi-metrics-reporter/grafana-dashboards). Each count is at most one
      // series, and `or on ()` keeps one: two of identical labels would fail the rule's evaluation
      alert: 'KafkaMetricsAbsent',
      expr: `(count by (namespace) (kafka_server_replicamanager_underreplicatedpartitions{${podsOf(brokers)}}) or on () vector(0)) < ${count(brokers)}`
        + ` or on () (count by (namespace) (kafka_controller_kafkacontroller_activecontrollercount{${podsOf(controllerNodes)}}) or on () vector(0)) < ${count(controllerNodes)}`,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: { summary: `Metrics of fewer than ${count(brokers)} brokers or ${count(controllerNodes)} controllers of ${mq.name}: nodes not running or not scraped` },
    },
  ]);

  return {
    onTopic: (t: ResolvedTopic) => {
      const config: { [key: string]: string | number } = {
        'cleanup.policy': 'delete',
        'min.insync.replicas': t.minInSyncReplicas,
        'retention.ms': t.retentionHours * 3600 * 1000,
      };
      if (t.retentionBytes !== undefined) config['retention.bytes'] = t.retentionBytes;
      new ApiObject(scope, `KafkaTopic-${t.name}`, {
        apiVersion: STRIMZI,
        kind: 'KafkaTopic',
        metadata: {
          name: topologyObjectName(mq.name, 'topic', t.name),
          labels: cluster,
          annotations: t.deadLetterTopic ? { 'stateful.cdk8s.io/dead-letter-topic': t.deadLetterTopic } : undefined,
        },
        spec: { topicName: t.name, partitions: t.partitions, replicas: t.replicas, config },
      });
    },
    onUser: (u: ResolvedUser) => {
      new ApiObject(scope, `KafkaUser-${u.name}`, {
        apiVersion: STRIMZI,
        kind: 'KafkaUser',
        metadata: { name: objectName(mq.name, u.name), labels: cluster },
        spec: {
          authentication: authentication === KafkaAuthentication.TLS
            ? { type: 'tls' }
            : { type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: u.secret!.secretName, key: 'password' } } } },
          // no permission: no authorization section (`acls` is required and the output drops empty lists); simple authorization then denies everything
          authorization: lazy(() => {
            const acls = aclsOf(mq, u);
            return acls.length > 0 ? { type: 'simple', acls } : undefined;
          }),
        },
      });
    },
  };
}

/**
 * A user's ACLs: producers `Write` + `Describe` on their topics; consumers `Read` + `Describe` on
 * their topics, `Read` on the consumer groups prefixed with the user name and `Write` +
 * `Describe` on the topics' dead-letter topics.
 */
export function aclsOf(mq: QueueModel, u: ResolvedUser): any[] {
  const topics = new Map(mq.topics().map((t) => [t.name, t]));
  const ops = new Map<string, Set<string>>();
  const add = (topic: string, ...operations: string[]) => {
    const set = ops.get(topic) ?? new Set<string>();
    operations.forEach((o) => set.add(o));
    ops.set(topic, set);
  };
  let consumer = false;
  for (const p of u.permissions) {
    const t = topics.get(p.name);
    if (!t) continue;
    if (produces(p.access)) add(t.name, 'Describe', 'Write');
    if (consumes(p.access)) {
      consumer = true;
      add(t.name, 'Describe', 'Read');
      if (t.deadLetterTopic !== undefined && topics.has(t.deadLetterTopic)) add(t.deadLetterTopic, 'Describe', 'Write');
    }
  }
  const acls: any[] = [...ops.keys()].sort().map((topic) => ({
    type: 'allow',
    resource: { type: 'topic', name: topic, patternType: 'literal' },
    operations: [...ops.get(topic)!].sort(),
  }));
  if (consumer) acls.push({ type: 'allow', resource: { type: 'group', name: u.name, patternType: 'prefix' }, operations: ['Read'] });
  return acls;
}
