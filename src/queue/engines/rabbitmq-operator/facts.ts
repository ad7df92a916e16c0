import { KindFacts, conditionTrue, imageOrDefault, imageTag, isObject, strictZoneSpread, templateImages } from '../../../private/kind-facts';
import { queueDeclarationEntries } from '../rabbitmq-common/replication-facts';
import { policyLimits, queueArgumentLimits } from '../rabbitmq-common/retention-facts';
import { rabbitmqUpgradePath } from '../rabbitmq-common/upgrade-facts';

const GROUP = 'rabbitmq.com';
const REFUSED = 'the messaging topology operator refuses to update ("queue arguments cannot be updated"), failing the apply of the whole layer';
const V1BETA1 = `${GROUP}/v1beta1`;

/**
 * What the pipeline knows about the kinds of the RabbitMQ cluster operator and its messaging
 * topology operator. Health: the cluster's `ClusterAvailable` and `AllReplicasReady` conditions,
 * the topology objects' `Ready` condition.
 */
export const RABBITMQ_OPERATOR_FACTS: readonly KindFacts[] = [
  {
    group: GROUP,
    kind: 'RabbitmqCluster',
    // what the operator does to the objects it manages when its own version changes (change-safety CHANGE-OperatorUpgraded)
    operatorUpgrade: {
      title: 'the RabbitMQ cluster operator',
      charts: ['rabbitmq-cluster-operator'],
      repositories: ['github.com/rabbitmq/cluster-operator'],
      // rabbitmq/cluster-operator hack/upgrade-notice.md (the notice of the releases that update the clusters);
      // internal/controller/rabbitmqcluster_controller.go (the rabbitmq.com/pauseReconciliation label)
      onUpgrade: 'a release of the RabbitMQ cluster operator that changes the StatefulSets it renders (its release notes then say so) updates '
        + 'every RabbitmqCluster it manages there at once: a rolling restart of their brokers, and `rabbitmq-queues rebalance all` after it '
        + '(unless skipPostDeploySteps)',
      safely: 'Read the release notes of every version in between; to choose when each RabbitmqCluster restarts, label it '
        + '`rabbitmq.com/pauseReconciliation=true` before the upgrade and remove the label when it is safe (the operator\'s upgrade notice), '
        + 'or upgrade in a maintenance window',
      downgrade: 'the operator\'s upgrade notice describes upgrades only',
    },
    dataBearing: true,
    // the operator's StatefulSet takes the override's pod spec (its brokers' claims are zonal volumes)
    zoneSpread: (m) => strictZoneSpread(m.spec?.override?.statefulSet?.spec?.template?.spec?.topologySpreadConstraints,
      '/spec/override/statefulSet/spec/template/spec/topologySpreadConstraints'),
    // the operator's StatefulSet deletes its claims with it (`WhenDeleted: Delete`, internal/resource/statefulset.go) unless overridden
    onDelete: (m) => (m.spec?.override?.statefulSet?.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Retain'
      ? 'leaves its brokers\' volume claims with the data (override persistentVolumeClaimRetentionPolicy.whenDeleted: Retain), unused until someone deletes them'
      : 'deletes its brokers\' volume claims and their data (the operator\'s StatefulSet has persistentVolumeClaimRetentionPolicy.whenDeleted: Delete)'),
    // ReconcileSuccess: False while the operator refuses a change (a scale-down), though the brokers it keeps are available
    // (a `failed` expression would never be read: Flux holds the object in progress while its status.observedGeneration,
    // written only after a successful reconcile, is behind)
    fluxReady: conditionTrue('ClusterAvailable', 'AllReplicasReady', 'ReconcileSuccess'),
    storage: (m) => [{
      pointer: '/spec/persistence/storage', size: m.spec?.persistence?.storage, storageClass: m.spec?.persistence?.storageClassName, classPointer: '/spec/persistence/storageClassName',
    }],
    // the StatefulSet builder's `Update` changes only the capacity of the claim template (`updatePersistenceStorageCapacity`,
    // internal/resource/statefulset.go); the class is read only when the operator creates the StatefulSet
    storageClassChange: () => 'the RabbitMQ cluster operator changes only the capacity of its StatefulSet\'s claim template '
      + '(`updatePersistenceStorageCapacity`): the brokers\' volumes keep their class, and once the operator re-creates the StatefulSet (after a '
      + 'volume expansion) the brokers added later get the new one, leaving the cluster on both. Keep the class, or migrate: a new MessageQueue '
      + 'on the new class, the messages moved there (a shovel, or the clients drained and moved), then the old one removed',
    version: (m) => ({ text: imageTag(m.spec?.image), pointer: '/spec/image' }),
    // one release series at a time: the operator rolls the brokers onto any image it is given
    upgradePath: rabbitmqUpgradePath,
    replicas: (m) => (typeof m.spec?.replicas === 'number' ? { count: m.spec.replicas, pointer: '/spec/replicas', minimum: 3 } : undefined),
    // `scaleDown` of the cluster operator: "Cluster Scale down not supported" (to 0 and back only)
    nonDecreasingFields: [{
      pointer: '/spec/replicas',
      // paused: the operator keeps the count it had, and scales back up to it
      exempt: 0,
      consequence: 'the RabbitMQ cluster operator refuses to scale a cluster down (but to 0 and back; ReconcileSuccess turns False, and the '
        + 'layer never turns Ready) and applies no other change to it until the brokers are restored; keep the brokers, or move the queues to a '
        + 'new, smaller MessageQueue',
    }],
    // every child: the StatefulSet and its Pods, Secrets, Services
    operatorCreatedLabels: [{ label: 'app.kubernetes.io/part-of', values: ['rabbitmq'] }],
    // `spec.image` (default `rabbitmq` on Docker Hub) and the StatefulSet override's containers
    images: (m) => (m.apiVersion !== V1BETA1 || !isObject(m.spec) ? [] : [
      imageOrDefault(m.spec, 'image', '/spec', 'RabbitMQ brokers', 'docker.io/library/rabbitmq'),
      ...templateImages(m.spec.override?.statefulSet?.spec?.template, '/spec/override/statefulSet/spec/template', 'RabbitMQ broker'),
    ]),
  },
  ...['Vhost', 'Binding', 'User', 'Permission'].map((kind): KindFacts => ({ group: GROUP, kind, fluxReady: conditionTrue('Ready') })),
  {
    group: GROUP,
    kind: 'Policy',
    fluxReady: conditionTrue('Ready'),
    // RabbitMQ applies a changed policy to the queues and streams it matches at once (`rabbit_policy`), keyed like their
    // own arguments: a policy created for a queue that had no limit adds one
    retention: (m) => policyLimits(String(m.spec?.rabbitmqClusterReference?.name), String(m.spec?.vhost ?? '/'), m.spec?.pattern, m.spec?.applyTo ?? 'all',
      m.spec?.definition, (field) => `/spec/definition/${field}`),
  },
  // what the topology operator's webhooks refuse to update (`queue_webhook.go`, `exchange_webhook.go` of v1.20;
  // RabbitMQ itself refuses to redeclare a queue with other properties): the admission error fails the whole data
  // layer's apply. An exchange's arguments may change.
  {
    group: GROUP,
    kind: 'Exchange',
    fluxReady: conditionTrue('Ready'),
    immutableFields: ['/spec/name', '/spec/vhost', '/spec/rabbitmqClusterReference', '/spec/type', '/spec/durable', '/spec/autoDelete'],
  },
  {
    group: GROUP,
    kind: 'Queue',
    dataBearing: true,
    fluxReady: conditionTrue('Ready'),
    // `shouldSkipDeletion` (internal/controller/utils.go): with `retain` the operator removes its finalizer and leaves
    // the queue; `delete` is the CRD's default
    onDelete: (m) => {
      const queue = `queue "${m.spec?.name ?? m.metadata?.name}"`;
      return m.spec?.deletionPolicy === 'retain'
        ? `leaves ${queue} and its messages in RabbitMQ (deletionPolicy: retain: the topology operator skips the deletion), unmanaged until someone deletes the queue there`
        : `deletes ${queue} and its messages from RabbitMQ (deletionPolicy: ${m.spec?.deletionPolicy ?? 'delete, the default'})`;
    },
    immutableFields: ['/spec/name', '/spec/vhost', '/spec/rabbitmqClusterReference', '/spec/type', '/spec/durable', '/spec/autoDelete'],
    // any change of `spec.arguments` (added, removed, changed; "queue arguments cannot be updated", since v1.14.2): the
    // replication argument on its own, with how to keep it
    immutableEntries: (m) => queueDeclarationEntries(String(m.spec?.name ?? m.metadata?.name), m.spec?.type ?? m.spec?.arguments?.['x-queue-type'], {}, m.spec?.arguments,
      { replicas: (argument) => `/spec/arguments/${argument}`, rest: '/spec/arguments' }, REFUSED),
    // its own limits (unlimited without), the baseline of a policy's: a change of them is refused as any argument's
    retention: (m) => queueArgumentLimits({ broker: String(m.spec?.rabbitmqClusterReference?.name), vhost: String(m.spec?.vhost ?? '/'), name: String(m.spec?.name ?? m.metadata?.name) },
      m.spec?.type ?? m.spec?.arguments?.['x-queue-type'], m.spec?.arguments, (argument) => `/spec/arguments/${argument}`),
  },
];
