import { ApiObject } from 'cdk8s';
import { API_SERVER_EGRESS, DNS_EGRESS, renderClientEgress, tcp } from '../../private/network';
import type { MessageQueue } from '../message-queue';
import { k8s } from '../private/kube';
import { QueueProtocol, QueueType } from '../types';

/** The restricted container security context every container of ours gets. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** Namespace the monitoring stack (Prometheus) runs in, admitted on the metrics port. */
export const MONITORING_NAMESPACE = 'monitoring';

/** A set of peers admitted on some ports. */
export interface IngressPeers {
  readonly peers: any[];
  readonly ports: number[];
}

/**
 * The NetworkPolicy of a queue's brokers: they admit exactly the declared clients on the client
 * port, plus the given peers (other brokers, the operator, monitoring) on their ports. With
 * `streamPeers` (RabbitMQ) and a stream declared, clients also reach the stream port and the
 * stream peers (the brokers) the stream replication ports.
 */
export function renderNetworkPolicy(mq: MessageQueue, clientPort: number, extra: IngressPeers[],
  streamPeers?: any[], clusteringPorts: number[] = []): ApiObject {
  return new ApiObject(mq, 'NetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: mq.name },
    spec: {
      podSelector: { matchLabels: mq._podLabels() },
      policyTypes: ['Ingress', 'Egress'],
      // DNS, the other brokers (clustering, stream replication), the API server only for the
      // Kubernetes peer discovery before RabbitMQ 4.1 (4.1+ finds its peers by pod ordinal)
      egress: mq._lazy(() => {
        const streams = streamPeers !== undefined && mq._resolvedQueues().some((q) => q.type === QueueType.STREAM);
        return [
          DNS_EGRESS,
          ...(streamPeers !== undefined && clusteringPorts.length > 0 ? [{ to: streamPeers, ports: tcp(...clusteringPorts) }] : []),
          ...(streams ? [{ to: streamPeers, ports: [{ port: 6000, endPort: 6500, protocol: 'TCP' }] }] : []),
          ...(mq.engine.isAtLeast(4, 1) ? [] : [API_SERVER_EGRESS]),
        ];
      }),
      ingress: mq._lazy(() => {
        const clients = mq._resolvedClients().map((c) => c.toNetworkPolicyPeer());
        // with a stream declared: stream protocol clients (5552, 5551 with TLS) and, between brokers only, the
        // stream replication ports 6000-6500 (https://www.rabbitmq.com/docs/networking#ports, https://www.rabbitmq.com/docs/streams)
        const streams = streamPeers !== undefined && mq._resolvedQueues().some((q) => q.type === QueueType.STREAM);
        const ports = [clientPort, ...(streams ? (mq.tls ? [5551, 5552] : [5552]) : [])];
        const rules: any[] = clients.length > 0 ? [{ from: clients, ports: ports.map((port) => ({ port, protocol: 'TCP' })) }] : [];
        for (const e of extra) {
          if (e.peers.length > 0) rules.push({ from: e.peers, ports: e.ports.map((port) => ({ port, protocol: 'TCP' })) });
        }
        if (streams) rules.push({ from: streamPeers, ports: [{ port: 6000, endPort: 6500, protocol: 'TCP' }] });
        return rules;
      }),
    },
  });
}

/** A PodDisruptionBudget letting one broker at a time go (a quorum queue keeps its majority). */
export function renderDisruptionBudget(mq: MessageQueue, labels: { [key: string]: string }): void {
  if (!mq.podDisruptionBudget) return;
  new k8s.KubePodDisruptionBudget(mq, 'PodDisruptionBudget', {
    metadata: { name: mq.name },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
  });
}

/** The peer selecting the monitoring namespace. */
export function monitoringPeer(): any {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } };
}

/** PodMonitor and PrometheusRule of a queue. */
export function renderMonitoring(mq: MessageQueue, port: string, rules: any[]): void {
  if (!mq.monitoring) return;
  new ApiObject(mq, 'PodMonitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: mq.name },
    spec: { selector: { matchLabels: mq._podLabels() }, podMetricsEndpoints: [{ port, interval: '30s' }] },
  });
  new ApiObject(mq, 'PrometheusRule', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: `${mq.name}-alerts` },
    spec: { groups: [{ name: `${mq.name}.rules`, rules }] },
  });
}

/** Topology spread over zones for the brokers' pods. */
export function zoneSpread(labels: { [key: string]: string }): any[] {
  return [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }];
}

/** Pod anti-affinity across nodes: required when spreading across zones (one broker per node), else preferred. */
export function antiAffinity(mq: MessageQueue, labels: { [key: string]: string }): any {
  if (mq.replicas < 2) return undefined;
  const term = { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' };
  return mq.spreadAcrossZones
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
    : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
}

/** The ports a client of the queue connects to (AMQP or the Kafka listener; RabbitMQ streams add theirs). */
export function clientPorts(mq: MessageQueue): number[] {
  if (mq.engine.protocol === QueueProtocol.KAFKA) return [mq.tls ? 9093 : 9092];
  const streams = mq._resolvedQueues().some((q) => q.type === QueueType.STREAM);
  return [mq.tls ? 5671 : 5672, ...(streams ? (mq.tls ? [5551, 5552] : [5552]) : [])];
}

/** The egress policy of a client of the queue in its namespace (called by `allowFrom`). */
export function renderQueueClientEgress(mq: MessageQueue, peer: any): void {
  renderClientEgress(mq, mq.name, mq.environment.namespace, peer, mq._podLabels(), () => clientPorts(mq), (p) => mq._lazy(p));
}
