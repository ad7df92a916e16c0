import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { API_SERVER_EGRESS, DNS_EGRESS, tcp } from '../../../private/network';
import { IngressPeers, renderWorkloadNetworkPolicy } from '../../../private/workload';
import { exactPattern } from '../../private/names';
import { QueueType } from '../../types';
import { lazy } from '../common';
import { consumes, produces, QueueModel, ResolvedQueue, ResolvedUser } from '../model';

/** AMQP client port. */
export function amqpPort(model: QueueModel): number {
  return model.tls ? 5671 : 5672;
}

/** Whether a stream is declared (valid at synthesis). */
export function hasStreams(model: QueueModel): boolean {
  return model.queues().some((q) => q.type === QueueType.STREAM);
}

/** The stream protocol port (`rabbitmq_stream`): 5551 over TLS, else 5552. */
export function streamPort(model: QueueModel): number {
  return model.tls ? 5551 : 5552;
}

/** The ports a client connects to: AMQP, and the stream protocol once a stream is declared (valid at synthesis; with TLS, 5552 too). */
export function amqpClientPorts(model: QueueModel): number[] {
  return [amqpPort(model), ...(hasStreams(model) ? [streamPort(model), ...(model.tls ? [5552] : [])] : [])];
}

/**
 * The NetworkPolicy of the brokers: they admit exactly the declared clients on the client port,
 * plus the given peers (other brokers, the operator, monitoring) on their ports. Once a stream is
 * declared, clients also reach the stream port and the brokers each other's stream replication ports.
 * `apiServer`: the Kubernetes peer discovery reads the API server (before RabbitMQ 4.1).
 */
export function renderNetworkPolicy(scope: Construct, model: QueueModel, podLabels: { [key: string]: string }, extra: IngressPeers[],
  apiServer: boolean, clusteringPorts: number[]): ApiObject {
  const brokers = [{ podSelector: { matchLabels: podLabels } }];
  // stream replication between brokers only (https://www.rabbitmq.com/docs/networking#ports, https://www.rabbitmq.com/docs/streams)
  const streamPorts = () => [{ port: 6000, endPort: 6500, protocol: 'TCP' }];
  return renderWorkloadNetworkPolicy(scope, {
    name: model.name,
    podLabels,
    // with a stream declared, stream protocol clients too (5552, 5551 with TLS)
    clientPeers: () => model.clientPeers(),
    clientPorts: () => amqpClientPorts(model),
    extra,
    moreIngress: () => (hasStreams(model) ? [{ from: brokers, ports: streamPorts() }] : []),
    // DNS, the other brokers (clustering, stream replication), the API server only for the
    // Kubernetes peer discovery before RabbitMQ 4.1 (4.1+ finds its peers by pod ordinal)
    egress: lazy(() => [
      DNS_EGRESS,
      ...(clusteringPorts.length > 0 ? [{ to: brokers, ports: tcp(...clusteringPorts) }] : []),
      ...(hasStreams(model) ? [{ to: brokers, ports: streamPorts() }] : []),
      ...(apiServer ? [API_SERVER_EGRESS] : []),
    ]),
    lazy,
  });
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
 * Whether the stream protocol checks `write` (not `read`) on a stream for storing a consumer's offset:
 * before RabbitMQ 3.13 (`rabbit_stream_reader` `store_offset`: `check_write_permitted` up to 3.12,
 * `check_read_permitted` from 3.13.0).
 */
export function storeOffsetNeedsWrite(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major < 3 || (major === 3 && minor < 13);
}

/**
 * A user's permissions on the virtual host, least privilege: no `configure` (the topology is
 * declared in Git, not by applications), `write` on the exchanges bound to the queues it produces
 * to, `read` on the queues it consumes from. Streams are also reached over the stream protocol,
 * which checks the stream itself (`rabbit_stream_reader`): a producer's `declare_publisher` and
 * `publish` need `write` on the stream, a consumer's `subscribe` and `query_offset` `read`, and its
 * `store_offset` `write` before RabbitMQ 3.13 (`storeOffsetNeedsWrite`), `read` from 3.13.
 */
export function permissionsOf(model: QueueModel, user: ResolvedUser, offsetsNeedWrite: boolean): { configure: string; write: string; read: string } {
  const queues = new Map(model.queues().map((q) => [q.name, q]));
  const writable: string[] = [];
  const readable: string[] = [];
  for (const p of user.permissions) {
    const q = queues.get(p.name);
    if (!q) continue;
    const stream = q.type === QueueType.STREAM;
    if (produces(p.access)) writable.push(...q.bindings.map((b) => b.exchange), ...(stream ? [q.name] : []));
    if (consumes(p.access)) readable.push(q.name);
    if (consumes(p.access) && stream && offsetsNeedWrite) writable.push(q.name);
  }
  return { configure: '^$', write: exactPattern(writable), read: exactPattern(readable) };
}

/** Alert rules on the `rabbitmq_prometheus` metrics of the brokers' pods. */
export function rabbitmqAlerts(mq: QueueModel, podPattern: string, claimPattern: string): any[] {
  const ns = mq.environment.namespace;
  const sel = `namespace="${ns}",pod=~"${podPattern}"`;
  const claims = `namespace="${ns}",persistentvolumeclaim=~"${claimPattern}"`;
  return [
    {
      alert: 'RabbitmqNodeDown',
      expr: `(count by (namespace) (rabbitmq_identity_info{${sel}}) or on () vector(0)) < ${mq.replicas}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `Fewer than ${mq.replicas} RabbitMQ nodes of ${mq.name} are up` },
    },
    {
      alert: 'RabbitmqMemoryAlarm',
      expr: `max by (namespace) (rabbitmq_alarms_memory_used_watermark{${sel}}) > 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `A node of ${mq.name} hit its memory watermark: publishers are blocked` },
    },
    {
      alert: 'RabbitmqDiskAlarm',
      expr: `max by (namespace) (rabbitmq_alarms_free_disk_space_watermark{${sel}}) > 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `A node of ${mq.name} is low on disk: publishers are blocked` },
    },
    {
      alert: 'RabbitmqUnroutableMessages',
      expr: `sum by (namespace) (rate(rabbitmq_channel_messages_unroutable_dropped_total{${sel}}[5m])) > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: `Messages published to ${mq.name} match no binding and are dropped` },
    },
    {
      alert: 'RabbitmqStorageAlmostFull',
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${claims}} / kubelet_volume_stats_capacity_bytes{${claims}}) > 0.85`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: `A volume of ${mq.name} is more than 85% full` },
    },
  ];
}
