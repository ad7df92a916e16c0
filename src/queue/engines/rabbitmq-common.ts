import type { MessageQueue } from '../message-queue';
import { consumes, produces, ResolvedQueue, ResolvedUser } from '../private/model';
import { exactPattern } from '../private/names';
import { QueueType } from '../types';

/** AMQP client port. */
export function amqpPort(mq: MessageQueue): number {
  return mq.tls ? 5671 : 5672;
}

/**
 * The arguments a queue is declared with, fixed at creation: replication only (the type is
 * `x-queue-type`, added by the caller where the format needs it). Everything that may change
 * later is in the queue's policy.
 */
export function queueArguments(q: ResolvedQueue): { [key: string]: number } {
  switch (q.type) {
    case QueueType.QUORUM: return { 'x-quorum-initial-group-size': q.replicas! };
    case QueueType.STREAM: return { 'x-initial-cluster-size': q.replicas! };
    default: return {};
  }
}

/** Name of the policy carrying a queue's limits, retention and dead-lettering. */
export function policyName(q: ResolvedQueue): string {
  return `queue.${q.name}`;
}

/**
 * The policy definition of a queue, or undefined when it needs none. Over-limit publishes are
 * refused (`reject-publish`) rather than old messages silently dropped; quorum queues dead-letter
 * at least once.
 */
export function policyDefinition(q: ResolvedQueue): { [key: string]: string | number } | undefined {
  const d: { [key: string]: string | number } = {};
  if (q.maxLength !== undefined) d['max-length'] = q.maxLength;
  if (q.maxLengthBytes !== undefined) d['max-length-bytes'] = q.maxLengthBytes;
  if ((q.maxLength !== undefined || q.maxLengthBytes !== undefined) && q.type !== QueueType.STREAM) d.overflow = 'reject-publish';
  if (q.retentionHours !== undefined) {
    if (q.type === QueueType.STREAM) d['max-age'] = `${q.retentionHours}h`;
    else d['message-ttl'] = q.retentionHours * 3600 * 1000;
  }
  if (q.deadLetterQueue !== undefined) {
    d['dead-letter-exchange'] = '';
    d['dead-letter-routing-key'] = q.deadLetterQueue;
    if (q.type === QueueType.QUORUM) {
      d['dead-letter-strategy'] = 'at-least-once';
      d.overflow = 'reject-publish';
    }
  }
  if (q.deliveryLimit !== undefined) d['delivery-limit'] = q.deliveryLimit;
  if (Object.keys(d).length === 0) return undefined;
  return Object.fromEntries(Object.keys(d).sort().map((k) => [k, d[k]]));
}

/** The policy's pattern: exactly the queue's name. */
export function policyPattern(q: ResolvedQueue): string {
  return exactPattern([q.name]);
}

/**
 * A user's permissions on the virtual host, least privilege: no `configure` (the topology is
 * declared in Git, not by applications), `write` on the exchanges bound to the queues it produces
 * to, `read` on the queues it consumes from.
 */
export function permissionsOf(mq: MessageQueue, user: ResolvedUser): { configure: string; write: string; read: string } {
  const queues = new Map(mq._resolvedQueues().map((q) => [q.name, q]));
  const exchanges: string[] = [];
  const readable: string[] = [];
  for (const p of user.permissions) {
    const q = queues.get(p.name);
    if (!q) continue;
    if (produces(p.access)) exchanges.push(...q.bindings.map((b) => b.exchange));
    if (consumes(p.access)) readable.push(q.name);
  }
  return { configure: '^$', write: exactPattern(exchanges), read: exactPattern(readable) };
}

/** Alert rules on the `rabbitmq_prometheus` metrics of the brokers' pods. */
export function rabbitmqAlerts(mq: MessageQueue, podPattern: string, claimPattern: string): any[] {
  const ns = mq.environment.namespace;
  const sel = `namespace="${ns}",pod=~"${podPattern}"`;
  const claims = `namespace="${ns}",persistentvolumeclaim=~"${claimPattern}"`;
  return [
    {
      alert: 'RabbitmqNodeDown',
      expr: `(count(rabbitmq_identity_info{${sel}}) or vector(0)) < ${mq.replicas}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `Fewer than ${mq.replicas} RabbitMQ nodes of ${mq.name} are up` },
    },
    {
      alert: 'RabbitmqMemoryAlarm',
      expr: `max(rabbitmq_alarms_memory_used_watermark{${sel}}) > 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `A node of ${mq.name} hit its memory watermark: publishers are blocked` },
    },
    {
      alert: 'RabbitmqDiskAlarm',
      expr: `max(rabbitmq_alarms_free_disk_space_watermark{${sel}}) > 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `A node of ${mq.name} is low on disk: publishers are blocked` },
    },
    {
      alert: 'RabbitmqUnroutableMessages',
      expr: `sum(rate(rabbitmq_channel_messages_unroutable_dropped_total{${sel}}[5m])) > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: `Messages published to ${mq.name} match no binding and are dropped` },
    },
    {
      alert: 'RabbitmqStorageAlmostFull',
      expr: `max by (persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims}} / kubelet_volume_stats_capacity_bytes{${claims}}) > 0.85`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: `A volume of ${mq.name} is more than 85% full` },
    },
  ];
}
