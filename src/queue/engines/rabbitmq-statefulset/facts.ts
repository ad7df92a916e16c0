import { loginUsersOfStatefulSet } from '../../../private/engine-facts';
import { DeclaredData, ImmutableEntry, KindFacts, RetentionField, containerImageVersion, selectsLabels } from '../../../private/kind-facts';
import { queueDeclarationEntries } from '../rabbitmq-common/replication-facts';
import { policyLimits } from '../rabbitmq-common/retention-facts';
import { rabbitmqUpgradePath } from '../rabbitmq-common/upgrade-facts';

/**
 * What the pipeline knows about the StatefulSet engine's objects beyond the core kinds (data-bearing
 * StatefulSet, storage, replicas, immutable fields: `private/kind-registry.ts`): the RabbitMQ version
 * is the tag of its `rabbitmq` container's image.
 */
export const RABBITMQ_STATEFULSET_FACTS: readonly KindFacts[] = [
  {
    group: 'apps',
    kind: 'StatefulSet',
    matches: (m) => selectsLabels(m, { 'app.kubernetes.io/name': 'rabbitmq' }),
    version: (m) => containerImageVersion(m, 'rabbitmq'),
    upgradePath: rabbitmqUpgradePath,
    // the login and retired users the engine lists on it, in older output the users whose password the pods mount
    // (the definitions import never deletes a user)
    loginUsers: loginUsersOfStatefulSet('MessageQueue'),
    removedInstances: removedBrokers,
  },
  {
    group: '',
    kind: 'ConfigMap',
    matches: (m) => m?.metadata?.labels?.['app.kubernetes.io/name'] === 'rabbitmq' && typeof m?.data?.['definitions.json'] === 'string',
    // the definitions import declares a queue or an exchange only when it does not exist: a changed type, durability or
    // argument is ignored without a word (measured on RabbitMQ 3.10.8), and the broker keeps running the old one
    immutableEntries: definitionsEntries,
    // nor does it delete a queue, its bindings or its policy: a queue gone from the definitions keeps filling
    declaredData: definitionsQueues,
    // the import updates an existing policy (and every queue has one), which RabbitMQ applies to the queue at once
    retention: definitionsLimits,
  },
];

const DEFINITIONS = '/data/definitions.json';
const IGNORED = 'RabbitMQ\'s definitions import ignores for an existing one (it keeps running as first declared)';
const KEEP = 'delete it once drained, or keep the declaration';

/**
 * What the brokers a scale-down removes hold: quorum queue and stream members (RabbitMQ places them
 * on chosen brokers), which the StatefulSet controller takes away with the highest ordinals; the
 * preStop wait (`await_online_quorum_plus_one`) covers a restart, not a broker that never returns.
 */
function removedBrokers(m: any, from: number, to: number): string {
  const ns = m.metadata?.namespace ? ` -n ${m.metadata.namespace}` : '';
  const node = `rabbit@${m.metadata?.name}-<ordinal>.${m.spec?.serviceName}.${m.metadata?.namespace ?? '<namespace>'}.svc.cluster.local`;
  return 'the StatefulSet controller removes the brokers with the highest ordinals, whatever quorum queue and stream members they hold: a '
    + 'queue with most of its members there stops, and every other one stays a member short. Before the change, for each broker to remove '
    + `(${to === from - 1 ? `ordinal ${to}` : `ordinals ${to} to ${from - 1}`}), `
    + `run \`rabbitmq-queues shrink ${node}\` and \`rabbitmq-streams delete_replica <stream> ${node}\` for each stream on it `
    + `(\`kubectl${ns} exec ${m.metadata?.name}-0 -- …\`); after it, \`rabbitmqctl forget_cluster_node ${node}\``;
}

/** The parsed definitions file of the engine's ConfigMap, or undefined when it is not there or not JSON. */
function definitionsOf(m: any): any {
  try {
    return JSON.parse(m.data['definitions.json']);
  } catch {
    return undefined;
  }
}

/** A JSON array of the definitions, or none. */
const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/**
 * The limits of the policies of a definitions file, on the queues they name (of the type the file
 * declares them with). A queue's own arguments are not read: the import never changes them.
 */
function definitionsLimits(m: any): RetentionField[] {
  const definitions = definitionsOf(m);
  if (definitions === undefined) return [];
  const broker = `ConfigMap ${m.metadata?.name}`;
  const types = new Map(list(definitions?.queues).map((q) => [`${q?.vhost ?? '/'}\u0000${q?.name}`, q?.arguments?.['x-queue-type'] ?? 'classic']));
  return list(definitions?.policies).flatMap((p) => {
    const vhost = String(p?.vhost ?? '/');
    return policyLimits(broker, vhost, p?.pattern, p?.['apply-to'] ?? 'all', p?.definition, () => DEFINITIONS, (name) => types.get(`${vhost}\u0000${name}`));
  });
}

/**
 * The queues of a definitions file, each by vhost and name: RabbitMQ's definitions import only adds and updates
 * (`rabbit_definitions` declares queues and `add_binding`s, deleting nothing), so a queue no longer declared stays in the
 * broker with its messages, its policy and its bindings, which keep routing the messages published to them into it, while
 * no user of the model consumes it any more.
 */
function definitionsQueues(m: any): DeclaredData[] {
  const definitions = definitionsOf(m);
  if (definitions === undefined) return [];
  const pod = `${m.metadata?.name?.replace(/-config$/, '') ?? '<name>'}-0`;
  const ns = m.metadata?.namespace ? ` -n ${m.metadata.namespace}` : '';
  return list(definitions?.queues).filter((q) => typeof q?.name === 'string').map((q) => {
    const vhost = String(q.vhost ?? '/');
    const bound = list(definitions?.bindings).filter((b) => b?.destination === q.name && String(b?.vhost ?? '/') === vhost && b?.destination_type === 'queue');
    return {
      key: `queue "${vhost}/${q.name}"`,
      pointer: DEFINITIONS,
      removed: `RabbitMQ's definitions import deletes nothing: the queue stays in the broker with its messages${bound.length > 0 ? ', its policy' : ' and its policy'}`
        + (bound.length > 0 ? ` and its bindings (${bound.map((b) => `exchange "${b.source}"${b.routing_key ? ` key "${b.routing_key}"` : ''}`).join(', ')}), `
          + 'which keep routing what is published there into it' : '')
        + ', while no user of the model consumes it any more: it grows until its length limit or the brokers\' memory '
        + 'or disk alarm blocks every publisher. Move its consumers and drain it, then delete it with its bindings '
        + `(\`kubectl${ns} exec ${pod} -- rabbitmqctl delete_queue -p ${vhost} ${q.name}\`), or keep the declaration`,
    };
  });
}

/** The queues and exchanges of a definitions file, each by vhost and name, with what the import never changes. */
function definitionsEntries(m: any): ImmutableEntry[] {
  const definitions = definitionsOf(m);
  if (definitions === undefined) return [];
  const entries: ImmutableEntry[] = [];
  for (const q of list(definitions?.queues)) {
    if (typeof q?.name !== 'string') continue;
    entries.push(...queueDeclarationEntries(`${q.vhost ?? '/'}/${q.name}`, q.arguments?.['x-queue-type'], { durable: q.durable, auto_delete: q.auto_delete }, q.arguments,
      { replicas: () => DEFINITIONS, rest: DEFINITIONS }, IGNORED, KEEP));
  }
  // a binding removed from the definitions stays (the import only adds them): the queue keeps receiving what matches it
  const pod = `${String(m.metadata?.name ?? '<name>').replace(/-config$/, '')}-0`;
  const ns = m.metadata?.namespace ? ` -n ${m.metadata.namespace}` : '';
  for (const b of list(definitions?.bindings)) {
    if (typeof b?.source !== 'string' || typeof b?.destination !== 'string' || b?.destination_type !== 'queue') continue;
    const vhost = String(b.vhost ?? '/');
    entries.push({
      key: `the binding of queue "${vhost}/${b.destination}" to exchange "${b.source}" with key "${b.routing_key ?? ''}"`,
      value: true,
      pointer: DEFINITIONS,
      consequence: IGNORED,
      within: `queue "${vhost}/${b.destination}"`,
      removed: 'RabbitMQ\'s definitions import never deletes (it only adds bindings): the queue keeps receiving the messages that match it. '
        + 'Keep the binding, or remove it with the queue: once the queue is drained, delete it '
        + `(\`kubectl${ns} exec ${pod} -- rabbitmqctl delete_queue -p ${vhost} ${b.destination}\`) and restart the brokers `
        + `(\`kubectl${ns} rollout restart statefulset/${pod.replace(/-0$/, '')}\`), which declare it again with the bindings the model has`,
    });
  }
  for (const e of list(definitions?.exchanges)) {
    if (typeof e?.name !== 'string') continue;
    entries.push({
      key: `exchange "${e.vhost ?? '/'}/${e.name}"`,
      value: { type: e.type, durable: e.durable, auto_delete: e.auto_delete, internal: e.internal, arguments: e.arguments },
      pointer: DEFINITIONS,
      consequence: `${IGNORED}: ${KEEP}`,
    });
  }
  return entries;
}
