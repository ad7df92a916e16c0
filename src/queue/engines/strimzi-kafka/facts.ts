import {
  ImmutableEntry, KindFacts, RetentionField, conditionTrue, imageOrDefault, isObject, millisecondsText, OperatorImage, strictZoneSpread,
  VersionDowngrade, wholeNumber,
} from '../../../private/kind-facts';

const GROUP = 'kafka.strimzi.io';
const VERSIONS = /^kafka\.strimzi\.io\/v1(beta2)?$/;
const REMOVED_BROKERS = 'Strimzi removes the brokers with the highest node ids in the pool only once they hold no partition replicas: '
  + 'otherwise it reverts the scale-down, and the pool never reports the nodes its replicas ask for, so the layer never turns Ready. First '
  + 'move the partitions off those brokers (`kafka-reassign-partitions.sh`, or a `KafkaRebalance` in `remove-brokers` mode once Cruise '
  + 'Control is enabled)';
const TOPIC_REPLICAS = 'the Topic Operator changes only through Cruise Control, which is not rendered: the topic turns NotReady '
  + '("Replication factor change not supported") and the layer\'s health check waits on it, while the topic\'s other settings are applied. '
  + 'Without `replicas` a topic takes 3, or the number of brokers when fewer, and `minInSyncReplicas` follows it (2 from 3 replicas): '
  + 'after brokers are added `min.insync.replicas` rises above the replication factor the topic keeps, and every acks=all producer is refused '
  + '(after brokers are removed the topic keeps more replicas than it declares). '
  + 'Set `replicas` on the topic to the previous value (a default `minInSyncReplicas` follows it back); to raise the replication factor, '
  + 'reassign the topic\'s partitions (`kafka-reassign-partitions.sh`), then set `replicas` to the new factor';
const STATIC_QUORUM = 'Strimzi runs a static KRaft controller quorum (`controller.quorum.voters`; no release supports a dynamic one): '
  + 'it applies the change anyway and rolls every node onto the new voter set, and voters added or removed that way can lose the quorum '
  + 'and the cluster\'s metadata. Keep the controllers as they are (`controllerReplicas` on the engine; with `controllerReplicas: 0` the '
  + 'brokers are the controllers, so keep the broker count). To change them, create a new cluster and move the clients, or follow '
  + 'Strimzi\'s procedure with downtime: pause the reconciliation, delete the controllers\' StrimziPodSets, change the replicas, resume';

// `StorageDiff` allows only a larger size, `deleteClaim`, `kraftMetadata`, `volumeAttributesClass` and JBOD volumes added or
// removed: on any other difference `KafkaPool` keeps the storage it had, every change of it included, with a warning condition
const STORAGE_CLASS = 'Strimzi does not change the class of a pool\'s volumes: it ignores every storage change of the pool while this one stands '
  + '(a size grown with it too), keeps the volumes as they are and only adds a warning condition (`KafkaStorage`) to the Kafka and the pool, '
  + 'which stay Ready (`KafkaPool`, `StorageDiff`). Keep the class, or migrate: a new node pool on the new class, the partitions moved to it '
  + '(`kafka-reassign-partitions.sh`, or a `KafkaRebalance` in `remove-brokers` mode), then the old pool removed';

/** A pool's share of the KRaft controller quorum, which Strimzi cannot change safely in a running cluster. */
function controllerQuorum(m: any): ImmutableEntry[] {
  const roles: unknown[] = Array.isArray(m.spec?.roles) ? m.spec.roles : [];
  const controller = roles.includes('controller');
  const cluster = m.metadata?.labels?.['strimzi.io/cluster'] ?? '';
  const pool = `KafkaNodePool "${m.metadata?.name}" of Kafka "${cluster}"`;
  return [
    // a role that joins or leaves the voters (adding or removing `broker` is supported)
    { key: `whether ${pool} is a KRaft controller`, value: controller, pointer: '/spec/roles', consequence: STATIC_QUORUM },
    ...(controller && typeof m.spec?.replicas === 'number'
      ? [{ key: `the controllers of ${pool}`, value: m.spec.replicas, pointer: '/spec/replicas', consequence: STATIC_QUORUM }] : []),
  ];
}

// Kafka's `LogConfig`: a topic without its own `retention.ms` takes the brokers' `log.retention.hours` (168, 7 days, unless the
// Kafka resource sets `log.retention.*`), one without `retention.bytes` the brokers' `log.retention.bytes` (-1: unlimited); -1 is
// unlimited. The Topic Operator deletes a setting removed from the resource from the topic (`BatchingTopicController`
// `buildAlterConfigOps`), and the log cleaner deletes the segments beyond a lower limit at its next check
const DEFAULT_RETENTION_MS = 168 * 3_600_000;
const SEGMENTS_DELETED = 'Kafka deletes the partitions\' segments beyond it at its next retention check (`log.retention.check.interval.ms`, 5 minutes by default)';

/** A topic's `retention.ms` and `retention.bytes`, each by the cluster and topic name, with the brokers' default where not set. */
function topicRetention(m: any): RetentionField[] {
  const config = isObject(m.spec?.config) ? m.spec.config : {};
  const topic = String(m.spec?.topicName ?? m.metadata?.name);
  const cluster = String(m.metadata?.labels?.['strimzi.io/cluster']);
  const out: RetentionField[] = [];
  const limit = (field: string, fallback: number, fallbackText: string, text: (n: number) => string) => {
    const written = config[field];
    const n = written === undefined ? undefined : wholeNumber(written);
    // a value Kafka refuses is not applied
    if (written !== undefined && n === undefined) return;
    const value = n === undefined ? fallback : n < 0 ? Infinity : n;
    out.push({
      key: `kafka|${cluster}|${topic}|${field}`,
      what: `the ${field} of topic "${topic}"`,
      value,
      pointer: `/spec/config/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      text: n === undefined ? fallbackText : value === Infinity ? `${n} (unlimited)` : text(n),
      consequence: SEGMENTS_DELETED,
    });
  };
  limit('retention.ms', DEFAULT_RETENTION_MS, `not set (the brokers' default, ${millisecondsText(DEFAULT_RETENTION_MS)} unless the Kafka resource sets log.retention.*)`, millisecondsText);
  limit('retention.bytes', Infinity, 'not set (unlimited)', (n) => `${n} bytes`);
  return out;
}

const LISTENER_AUTHENTICATION = 'Strimzi rolls the brokers onto it, and from the first rolled broker on every client that still authenticates the '
  + 'old way is refused there. Users change with it: the User Operator deletes the SCRAM-SHA-512 credentials of a user no longer of that type, '
  + 'and a TLS user\'s ACLs name the principal `CN=<user>` (`KafkaUserOperator`), so each client needs other credentials, in another Secret '
  + '(`connectionFor`: SCRAM-SHA-512 `<name>-<user>-credentials` with `sasl.jaas.config`, TLS `<name>-<user>` with `user.crt` and `user.key`). '
  + 'Keep the authentication, or move the clients in one window with the change, or create a new MessageQueue with the new authentication and '
  + 'move them there';

const LISTENERS = 'is where every client connects: Strimzi rolls the brokers onto the new listeners, and from the first rolled broker on a '
  + 'client still using the old port (or TLS setting) is refused there; the bootstrap address in the clients\' connection settings '
  + '(`<name>-kafka-bootstrap:<port>`) changes with it. Clients of this app get the new settings in the same change, but each keeps the old '
  + 'ones until its pods restart, and clients outside the app keep them until you change them. Keep the listeners, or move the clients in '
  + 'one window with the change';

/**
 * The listeners clients connect to (name, port, TLS), and each listener's authentication by its name: clients log
 * in that way. `tls` turned on or off renames the one listener (`plain` 9092 ↔ `tls` 9093, render.ts), which the
 * per-name entries do not see.
 */
function listenerAuthentication(m: any): ImmutableEntry[] {
  const listeners: unknown[] = Array.isArray(m.spec?.kafka?.listeners) ? m.spec.kafka.listeners : [];
  const named = listeners.filter((l: any) => isObject(l) && typeof l.name === 'string') as any[];
  const all: ImmutableEntry[] = named.length === 0 ? [] : [{
    key: 'the listeners (name, port, TLS)',
    value: named.map((l) => `${l.name}:${l.port}${l.tls === true ? ' TLS' : ''}`).sort().join(', '),
    pointer: '/spec/kafka/listeners',
    consequence: LISTENERS,
  }];
  return [...all, ...listeners.flatMap((l: any, i) => (isObject(l) && typeof l.name === 'string' ? [{
    key: `the authentication of listener "${l.name}"`,
    value: isObject(l.authentication) ? l.authentication.type : 'none',
    pointer: `/spec/kafka/listeners/${i}/authentication`,
    consequence: LISTENER_AUTHENTICATION,
  }] : []))];
}

/**
 * The KRaft metadata version each Kafka minor runs by default (Strimzi `kafka-versions.yaml`, `metadata`; 4.0's `4.0` is
 * Kafka's latest production 4.0-IV3): the subversion of an unpinned cluster, compared with a pinned `metadataVersion`.
 */
const DEFAULT_METADATA_SUBVERSION: Record<string, number> = { '4.0': 3, '4.1': 1, '4.2': 1, '4.3': 0 };

/** MAJOR, MINOR (and the `IVn` subversion, where there is one) of a Kafka version or a KRaft metadata version. */
function versionParts(v: unknown): number[] | undefined {
  const x = typeof v === 'string' ? /^(\d+)\.(\d+)(?:\.\d+|-IV(\d+))?$/.exec(v) : null;
  return x ? [Number(x[1]), Number(x[2]), ...(x[3] !== undefined ? [Number(x[3])] : [])] : undefined;
}

/** The KRaft metadata version a Kafka resource asks for: its `metadataVersion`, else its Kafka version's default. */
function metadataOf(m: any): { parts: number[]; text: string } | undefined {
  const pinned = m.spec?.kafka?.metadataVersion;
  if (pinned !== undefined) {
    const parts = versionParts(pinned);
    return parts && parts.length === 3 ? { parts, text: String(pinned) } : undefined;
  }
  const version = versionParts(m.spec?.kafka?.version);
  if (!version) return undefined;
  const iv = DEFAULT_METADATA_SUBVERSION[`${version[0]}.${version[1]}`];
  const minor = `${version[0]}.${version[1]}`;
  return iv === undefined
    ? { parts: version.slice(0, 2), text: `${minor} (the default of Kafka ${m.spec.kafka.version})` }
    : { parts: [version[0], version[1], iv], text: `${minor}-IV${iv} (the default of Kafka ${m.spec.kafka.version})` };
}

/** Compares two version part lists on the parts both have (an unknown subversion compares equal). */
function compareParts(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

const METADATA_REFUSED = 'Kafka lowers it only when no metadata version between the two has metadata changes (`MetadataVersion` '
  + '`didMetadataChange`; 4.3-IV0 has them, so a cluster on 4.3-IV0 cannot go back to 4.2), else Strimzi keeps the cluster\'s metadata version with only '
  + 'a warning condition (`MetadataUpdateFailed`) while the Kafka stays Ready (`KRaftMetadataManager`)';

/**
 * A Kafka version or metadata version lowered, as Strimzi applies it (`KRaftVersionChangeCreator`, `KRaftMetadataManager`):
 * a downgrade goes ahead only when the cluster's metadata version (`status.kafkaMetadataVersion`, here the previous output's)
 * is no newer than the target Kafka's MAJOR.MINOR (`KafkaVersion.compareMetadataVersions`), else the reconciliation fails
 * before anything is rolled; a lowered `metadataVersion` is a safe downgrade Kafka may refuse.
 */
function kafkaDowngrades(m: any, previous: any): VersionDowngrade[] {
  const [from, to] = [previous?.spec?.kafka?.version, m.spec?.kafka?.version];
  const [vo, vn] = [versionParts(from), versionParts(to)];
  const [mo, mn] = [metadataOf(previous ?? {}), metadataOf(m)];
  if (!mo || !mn) return [];
  const lowered = vo && vn && semverLower(String(to), String(from));
  if (lowered) {
    const minor = `${vn[0]}.${vn[1]}`;
    const example = `${minor}-IV${DEFAULT_METADATA_SUBVERSION[minor] ?? 0}`;
    if (compareParts(mo.parts.slice(0, 2), vn.slice(0, 2)) > 0) {
      return [{
        pointer: '/spec/kafka/version',
        text: `Kafka version goes down ${from} → ${to}, but the cluster's KRaft metadata version is ${mo.text}, newer than Kafka ${to} runs: Strimzi `
          + 'refuses the downgrade ("The current metadata version ... has to be lower or equal to the Kafka broker version we are downgrading to", '
          + '`KRaftVersionChangeCreator`), the Kafka turns NotReady and nothing is rolled; a `metadataVersion` lowered in the same change does not help '
          + `(Strimzi reads the cluster's). Downgrade in two publishes: first set \`metadataVersion\` to one Kafka ${to} runs (e.g. "${example}") `
          + `with the version kept at ${from}, and wait for the Kafka's status.kafkaMetadataVersion to show it (${METADATA_REFUSED}: then Kafka ${to} `
          + 'can no longer run this cluster); then lower the version',
      }];
    }
    return [{
      pointer: '/spec/kafka/version',
      text: `Kafka version goes down ${from} → ${to}: Strimzi rolls every node back to Kafka ${to}, which runs the metadata version ${mo.text} the `
        + 'previous output asked for. Check the Kafka\'s status.kafkaMetadataVersion first: if Kafka refused to lower it (a `MetadataUpdateFailed` '
        + 'condition), the cluster\'s is newer and Strimzi refuses the downgrade (the Kafka turns NotReady, nothing is rolled)',
    }];
  }
  if (compareParts(mn.parts, mo.parts) < 0) {
    return [{
      pointer: '/spec/kafka/metadataVersion',
      text: `KRaft metadata version goes down ${mo.text} → ${mn.text} (/spec/kafka/metadataVersion): Strimzi asks Kafka for a safe downgrade. `
        + `${METADATA_REFUSED}, and a Kafka downgrade then stays impossible. After the change, check the Kafka's status.kafkaMetadataVersion`,
    }];
  }
  return [];
}

/** Whether Kafka version `a` is lower than `b` (MAJOR.MINOR.PATCH). */
function semverLower(a: string, b: string): boolean {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/**
 * What the pipeline knows about the Strimzi kinds this engine renders. Health: the `Ready` condition;
 * a node pool has no condition of its own: reconciled once the operator assigned every node id.
 */
export const STRIMZI_KAFKA_FACTS: readonly KindFacts[] = [
  {
    group: GROUP,
    kind: 'Kafka',
    // what the operator does to the objects it manages when its own version changes (change-safety CHANGE-OperatorUpgraded)
    operatorUpgrade: {
      title: 'Strimzi',
      charts: ['strimzi-kafka-operator'],
      // strimzi-kafka-operator documentation/modules/upgrading/proc-upgrade-cluster-operator.adoc ("Wait for the rolling
      // updates to complete"; a Kafka version the new operator no longer supports is an error)
      onUpgrade: 'the new Strimzi Cluster Operator rolls the pods of every Kafka cluster it manages there, and refuses a Kafka cluster whose '
        + 'spec.kafka.version it no longer supports',
      safely: 'Check in the release notes that the new version supports the Kafka version of every cluster, upgrade in a maintenance window '
        + 'and wait for the rolling updates to complete',
      // documentation/modules/upgrading/con-downgrade-paths.adoc
      downgrade: 'Strimzi supports a downgrade along its downgrade paths only, and refuses a Kafka version the older operator does not support',
    },
    dataBearing: true,
    fluxReady: conditionTrue('Ready'),
    // the claims of a node pool's volumes are owned by the KafkaNodePool, and only with `deleteClaim`
    // (`PersistentVolumeClaimUtils.createPersistentVolumeClaims`, the pool's owner reference)
    onDelete: () => 'stops its brokers and controllers; their data stays in the volume claims the KafkaNodePools own '
      + '(deleted with a pool only where its `deleteClaim` is true)',
    version: (m) => ({ text: m.spec?.kafka?.version, pointer: '/spec/kafka/version' }),
    downgrades: kafkaDowngrades,
    // a listener's authentication changed: every client's login and credentials change with it (the User Operator
    // `KafkaUserOperator.reconcileCredentialsQuotasAndAcls` deletes the SCRAM credentials of a TLS user, its ACLs name `CN=<user>`)
    immutableEntries: listenerAuthentication,
    // the operators that made an object: cluster operator (Deployments, Pods, Secrets), the entity operator's user and topic operators
    operatorCreatedLabels: [{ label: 'app.kubernetes.io/managed-by', values: ['strimzi-cluster-operator', 'strimzi-user-operator', 'strimzi-topic-operator'] }],
    // `spec.kafka.image` (default `quay.io/strimzi/kafka`), the entity operator's topic and user operators
    // (`quay.io/strimzi/operator`), Cruise Control and Kafka Exporter (`quay.io/strimzi/kafka`)
    images: (m) => {
      if (!VERSIONS.test(String(m.apiVersion)) || !isObject(m.spec)) return [];
      const spec = m.spec;
      const out: OperatorImage[] = [];
      if (isObject(spec.kafka)) out.push(imageOrDefault(spec.kafka, 'image', '/spec/kafka', 'Kafka brokers', 'quay.io/strimzi/kafka'));
      for (const op of ['topicOperator', 'userOperator']) {
        if (isObject(spec.entityOperator?.[op])) {
          out.push(imageOrDefault(spec.entityOperator[op], 'image', `/spec/entityOperator/${op}`, `the entity operator's ${op}`, 'quay.io/strimzi/operator'));
        }
      }
      if (isObject(spec.cruiseControl)) out.push(imageOrDefault(spec.cruiseControl, 'image', '/spec/cruiseControl', 'Cruise Control', 'quay.io/strimzi/kafka'));
      if (isObject(spec.kafkaExporter)) out.push(imageOrDefault(spec.kafkaExporter, 'image', '/spec/kafkaExporter', 'Kafka Exporter', 'quay.io/strimzi/kafka'));
      return out;
    },
  },
  {
    group: GROUP,
    kind: 'KafkaNodePool',
    dataBearing: true,
    // Strimzi gives the pool's pods its template (their claims are zonal volumes)
    zoneSpread: (m) => strictZoneSpread(m.spec?.template?.pod?.topologySpreadConstraints, '/spec/template/pod/topologySpreadConstraints'),
    // `deleteClaim` (PersistentClaimStorage, default false) gives a volume's claims the pool as owner: deleted with it
    onDelete: (m) => {
      const storage = m.spec?.storage;
      if (storage?.type === 'ephemeral') return 'deletes its data (ephemeral storage)';
      const volumes: any[] = storage?.type === 'jbod' ? (Array.isArray(storage.volumes) ? storage.volumes : []) : [storage ?? {}];
      const deleted = volumes.filter((v) => v?.deleteClaim === true || v?.type === 'ephemeral');
      return deleted.length === 0
        ? 'leaves its nodes\' volume claims with the data (deleteClaim false), unused until someone deletes them'
        : 'deletes the volume claims of its volumes with deleteClaim true (or ephemeral) and their data';
    },
    // Strimzi's scale-down check (0.40+): a broker that still holds partition replicas is not removed, the change reverted
    removedInstances: (m) => (Array.isArray(m.spec?.roles) && m.spec.roles.includes('broker') ? REMOVED_BROKERS : undefined),
    // Strimzi has no check for the controllers: scaling a controller pool, or giving or taking the role, is carried out
    // with a new static voter set (its docs list it as unsupported; `NodePoolUtils` only refuses a cluster left without any)
    immutableEntries: controllerQuorum,
    fluxReady: 'has(status.nodeIds) && size(status.nodeIds) == spec.replicas',
    storage: (m) => [
      ...(m.spec?.storage?.size !== undefined ? [{ pointer: '/spec/storage/size', size: m.spec.storage.size, storageClass: m.spec.storage.class, classPointer: '/spec/storage/class' }] : []),
      ...(m.spec?.storage?.volumes ?? []).map((v: any, i: number) => ({
        pointer: `/spec/storage/volumes/${i}/size`, size: v?.size, storageClass: v?.class, classPointer: `/spec/storage/volumes/${i}/class`,
      })),
    ],
    storageClassChange: () => STORAGE_CLASS,
    replicas: (m) => (typeof m.spec?.replicas === 'number' ? { count: m.spec.replicas, pointer: '/spec/replicas', minimum: 3 } : undefined),
  },
  {
    group: GROUP,
    kind: 'KafkaTopic',
    dataBearing: true,
    fluxReady: conditionTrue('Ready'),
    // the Topic Operator deletes the topic; where the brokers refuse (TopicDeletionDisabledException) the KafkaTopic keeps its
    // finalizer and reports the error (`BatchingTopicController`): the topic stays. The setting is the Kafka's, not the topic's
    onDelete: (m) => `deletes topic "${m.spec?.topicName ?? m.metadata?.name}" and its messages from Kafka (the Topic Operator), unless the Kafka runs `
      + 'with delete.topic.enable=false (a MessageQueue with retainOnDelete, the default): then the topic stays and the KafkaTopic stays Terminating',
    replicas: (m) => (typeof m.spec?.replicas === 'number' ? { count: m.spec.replicas, pointer: '/spec/replicas', minimum: 3 } : undefined),
    // the Topic Operator changes a replication factor only through Cruise Control (0.41+), which is not rendered
    // ("Replication factor change not supported", `BatchingTopicController`), and never lowers the partition count:
    // the topic turns NotReady, after its other settings (min.insync.replicas) were applied
    // (a topic without replicas takes the brokers' default, and gaining or losing the field changes nothing)
    immutableEntries: (m) => (m.spec?.replicas === undefined ? [] : [{
      key: `the replicas of topic "${m.spec?.topicName ?? m.metadata?.name}"`,
      value: m.spec.replicas,
      pointer: '/spec/replicas',
      consequence: TOPIC_REPLICAS,
    }]),
    nonDecreasingFields: [{
      pointer: '/spec/partitions',
      consequence: 'Kafka cannot remove partitions, so the topic turns NotReady and keeps them; keep the partitions, or create a new topic and move the clients',
    }],
    retention: topicRetention,
  },
  { group: GROUP, kind: 'KafkaUser', fluxReady: conditionTrue('Ready') },
];
