import { ImmutableEntry, isObject } from '../../../private/kind-facts';

/** The queue arguments that fix a quorum queue's or a stream's replicas when it is created (`queueArguments`). */
const QUORUM_REPLICAS = 'x-quorum-initial-group-size';
const STREAM_REPLICAS = 'x-initial-cluster-size';

/**
 * What to do about a changed replica count: RabbitMQ places a quorum queue's or a stream's members
 * once, when it declares the queue (capped at the brokers there are), and never adds one on a
 * broker that joins later (`rabbit_queue_location`; the continuous membership reconciliation of
 * 3.13+ is off unless configured). The default follows the brokers, so scaling them changes it.
 */
const KEEP_REPLICAS = 'a quorum queue or stream keeps the members it was created with. Set `replicas` on the queue to the previous value '
  + '(without it a queue takes 3, or the number of brokers when fewer, so adding or removing brokers changes it); to give it members on '
  + 'brokers added, run `rabbitmq-queues grow <node> all` (quorum queues) or `rabbitmq-streams add_replica <stream> <node>` (streams)';

/**
 * A queue's declaration as entries for change safety: everything but its replicas (`value`, with the
 * remaining arguments) and, for a quorum queue or a stream (`type`: `spec.type`, else the
 * `x-queue-type` argument), its replicas (the replication argument, with what to do when it changes).
 * `pointer`: where the object holds the arguments, or the declaration when it is embedded text;
 * `refusal`: what the broker or operator does with a changed declaration; `advice`: what to do
 * about a change of the rest.
 */
export function queueDeclarationEntries(name: string, type: unknown, value: Record<string, unknown>, args: unknown,
  pointer: { replicas: (argument: string) => string; rest: string }, refusal: string, advice?: string): ImmutableEntry[] {
  const all: Record<string, unknown> = isObject(args) ? args : {};
  // keyed on the type: a queue whose type changed is reported once, by the rest of its declaration
  const replicated = type === 'quorum' || type === 'stream';
  const argument = type === 'stream' ? STREAM_REPLICAS : QUORUM_REPLICAS;
  // only the argument reported on its own leaves the rest (a classic queue's stray one stays in it)
  const rest = replicated ? Object.fromEntries(Object.entries(all).filter(([k]) => k !== argument)) : all;
  const entries: ImmutableEntry[] = [
    { key: `queue "${name}"`, value: { ...value, arguments: rest }, pointer: pointer.rest, consequence: advice ? `${refusal}: ${advice}` : refusal },
  ];
  if (replicated) {
    entries.push({
      key: `the replicas of ${type === 'stream' ? 'stream' : 'quorum queue'} "${name}"`,
      value: all[argument] ?? null,
      pointer: pointer.replicas(argument),
      consequence: `${refusal}; ${KEEP_REPLICAS}`,
    });
  }
  return entries;
}
