import { RetentionField, isObject, millisecondsText, wholeNumber } from '../../../private/kind-facts';

/**
 * `rabbit_amqqueue:check_max_age/1`: a positive whole number and one unit, `unit_value_in_ms/1` giving
 * a year 365 days and a month 30 (`M` months, `m` minutes).
 */
const MAX_AGE_UNITS: Record<string, number> = { Y: 365 * 86_400_000, M: 30 * 86_400_000, D: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** A stream's `max-age` (`7D`, `1h`, `30m`) in milliseconds, or undefined when RabbitMQ would refuse it. */
export function maxAgeMilliseconds(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(\d+)([YMDhms])$/.exec(v) : null;
  return m && Number(m[1]) > 0 ? Number(m[1]) * MAX_AGE_UNITS[m[2]] : undefined;
}

/** Where a queue is: its name, vhost and broker, in a key and for a finding. */
export interface QueuePlace {
  /** Unique in an environment: the broker and the vhost. */
  readonly broker: string;
  readonly vhost: string;
  readonly name: string;
  /** What the finding calls it, when not the queue `name`. */
  readonly label?: string;
}

/** What the limits of one queue or policy are read from: a policy definition or a queue's arguments, by name. */
interface Limits {
  readonly values: Record<string, unknown>;
  /** The name of each limit there (`message-ttl`, `x-message-ttl`...). */
  readonly field: (limit: 'message-ttl' | 'max-length' | 'max-length-bytes' | 'max-age' | 'overflow') => string;
  /** Where the object holds a limit. */
  readonly pointer: (field: string) => string;
}

// RabbitMQ sets a message's expiry when it is enqueued (`rabbit_amqqueue_process:calculate_msg_expiry/2`,
// `rabbit_fifo:maybe_set_msg_ttl/4`): a shorter TTL applies to messages published after it
const TTL = 'messages published from now on expire that much sooner (RabbitMQ sets a message\'s expiry when it is enqueued: those already queued '
  + 'keep theirs) and are dead-lettered, or dropped without a dead-letter queue';
// `init_max_length` / `rabbit_fifo` `update_config`: the heads over a lowered limit are dropped at once unless publishes are rejected
const DROPPED = 'RabbitMQ drops the oldest messages over it at once, from the messages already queued (dead-lettered with a dead-letter queue)';
const REFUSED = 'RabbitMQ refuses publishes while the queue holds more (overflow reject-publish; the messages already queued stay)';
// `rabbit_stream_queue:update_stream_conf/2` → `osiris:update_retention/2` on the running stream
const SEGMENTS = 'RabbitMQ applies it to the stream\'s existing segments (`osiris:update_retention`): the oldest ones beyond it are deleted';

/**
 * The retention limits of a queue (`type`: `stream`, or another queue type, or undefined when the
 * limits come from a policy that may apply to either), each of them, unlimited where not set:
 * `message TTL`, `maximum length`, `maximum length in bytes` for queues, `maximum age` and
 * `maximum length in bytes` for streams (a stream has no TTL nor length in messages).
 */
function limitsOf(place: QueuePlace, type: string | undefined, limits: Limits): RetentionField[] {
  const { values, field, pointer } = limits;
  const overflow = values[field('overflow')];
  const rejects = overflow === 'reject-publish' || overflow === 'reject-publish-dlx';
  const queue = type !== 'stream';
  const stream = type === 'stream' || type === undefined;
  const over = !queue ? SEGMENTS : rejects ? REFUSED : stream ? `${DROPPED} (on a stream, the oldest segments beyond it are deleted)` : DROPPED;
  const out: RetentionField[] = [];
  const entry = (limit: Parameters<Limits['field']>[0], dimension: string, value: number | undefined, text: (n: number) => string, consequence: string) => {
    const name = field(limit);
    const set = values[name] !== undefined;
    // a value RabbitMQ would refuse is no limit the broker applies
    if (set && value === undefined) return;
    const n = set ? value! : Infinity;
    out.push({
      key: `rabbitmq|${place.broker}|${place.vhost}|${place.name}|${dimension}`,
      what: `the ${dimension} of ${place.label ?? `${stream && !queue ? 'stream' : 'queue'} "${place.name}"`} (vhost "${place.vhost}")`,
      value: n,
      pointer: pointer(name),
      text: n === Infinity ? 'unlimited' : text(n),
      consequence,
    });
  };
  const ms = (v: unknown) => { const n = wholeNumber(v); return n !== undefined && n >= 0 ? n : undefined; };
  if (queue) {
    entry('message-ttl', 'message TTL', ms(values[field('message-ttl')]), millisecondsText, TTL);
    entry('max-length', 'maximum length', ms(values[field('max-length')]), (n) => `${n} messages`, rejects ? REFUSED : DROPPED);
  }
  entry('max-length-bytes', 'maximum length in bytes', ms(values[field('max-length-bytes')]), (n) => `${n} bytes`, over);
  if (stream) {
    const age = values[field('max-age')];
    entry('max-age', 'maximum age', maxAgeMilliseconds(age), (n) => `${String(age)} (${millisecondsText(n)})`, SEGMENTS);
  }
  return out;
}

/** A queue's own limits, from its arguments (`x-message-ttl`, `x-max-length`, `x-max-length-bytes`, `x-max-age`, `x-overflow`). */
export function queueArgumentLimits(place: QueuePlace, type: string | undefined, args: unknown,
  pointer: (argument: string) => string): RetentionField[] {
  return limitsOf(place, type ?? 'classic', { values: isObject(args) ? args : {}, field: (limit) => `x-${limit}`, pointer });
}

/**
 * The queues a policy pattern names exactly (`^orders$`, `^(a|b)$`, as the engines render them with
 * `exactPattern`), or undefined for any other pattern.
 */
export function exactNames(pattern: unknown): string[] | undefined {
  if (typeof pattern !== 'string') return undefined;
  const literal = '(?:[^.*+?^${}()|[\\]\\\\]|\\\\[.*+?^${}()|[\\]\\\\])+';
  const m = new RegExp(`^\\^(?:(${literal})|\\((${literal}(?:\\|${literal})*)\\))\\$$`).exec(pattern);
  if (!m) return undefined;
  return (m[1] !== undefined ? [m[1]] : m[2].split('|')).map((n) => n.replace(/\\(.)/g, '$1'));
}

const QUEUE_ONLY = ['message-ttl', 'max-length', 'overflow', 'dead-letter-exchange', 'delivery-limit'];

/**
 * A policy's limits (`message-ttl`, `max-length`, `max-length-bytes`, `max-age`), for each queue its
 * pattern names exactly (so that they meet the queue's own arguments under one key), else for the
 * queues the pattern matches. None when it applies to exchanges only.
 */
export function policyLimits(broker: string, vhost: string, pattern: unknown, applyTo: unknown, definition: unknown,
  pointer: (field: string) => string, typeOf: (name: string) => string | undefined = () => undefined): RetentionField[] {
  if (applyTo === 'exchanges' || !isObject(definition)) return [];
  const type = applyTo === 'streams' ? 'stream' : applyTo === 'classic_queues' ? 'classic' : applyTo === 'quorum_queues' ? 'quorum'
    // only a stream has a maximum age, and none of a queue's TTL, length in messages or overflow (the engines' policy of a stream)
    : definition['max-age'] !== undefined && QUEUE_ONLY.every((k) => definition[k] === undefined) ? 'stream' : undefined;
  const exact = exactNames(pattern);
  const places: QueuePlace[] = exact ? exact.map((name) => ({ broker, vhost, name }))
    : [{ broker, vhost, name: `pattern ${String(pattern)}`, label: `the queues matching ${JSON.stringify(pattern)}` }];
  return places.flatMap((place) => limitsOf(place, type ?? typeOf(place.name), { values: definition, field: (limit) => limit, pointer }));
}
