/**
 * Egress pieces of the NetworkPolicies the engines render (internal module). Every environment
 * namespace has a default-deny policy (EnvironmentChart): a pod reaches only what an egress rule
 * of a policy selecting it allows.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { objectName, shortHash } from '../queue/private/names';

/** TCP ports as NetworkPolicy ports. */
export function tcp(...ports: number[]): any[] {
  return ports.map((port) => ({ port, protocol: 'TCP' }));
}

/** DNS: the cluster DNS pods (`k8s-app: kube-dns`, CoreDNS included) in kube-system, UDP and TCP 53. */
export const DNS_EGRESS = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
};

/**
 * The Kubernetes API server, for pods that watch it (CloudNativePG's instance manager, RabbitMQ's
 * Kubernetes peer discovery, Strimzi's entity operator and rack-awareness init container). Its
 * address is the cluster's own (the `kubernetes` Service's endpoints, often outside the pod
 * network): a NetworkPolicy cannot name it, so HTTPS (443) and the API server's usual 6443 are
 * allowed to any address outside the pod network (`ipBlock` applies to cluster-external addresses).
 */
export const API_SERVER_EGRESS = { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443, 6443) };

/**
 * Backups to an object store: HTTPS (443) to any address outside the pod network (object stores
 * have no stable addresses), plus the explicit port of a custom endpoint (e.g. MinIO on 9000).
 */
export function objectStoreEgress(endpointUrls: Array<string | undefined>): any {
  const ports = new Set<number>([443]);
  for (const url of endpointUrls) {
    if (url === undefined) continue;
    try {
      const u = new URL(url);
      ports.add(u.port !== '' ? Number(u.port) : u.protocol === 'http:' ? 80 : 443);
    } catch {
      // validated where the destination is declared
    }
  }
  return { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(...[...ports].sort((a, b) => a - b)) };
}

/** An egress rule to pods of the same namespace with these labels, on these TCP ports. */
export function toPods(labels: { [key: string]: string }, ports: number[]): any {
  return { to: [{ podSelector: { matchLabels: { ...labels } } }], ports: tcp(...ports) };
}

/** The peer of a client (a DatabaseClient's `toNetworkPolicyPeer()`): its pod labels, and its namespace if it names one. */
interface ClientPeer {
  readonly podSelector: { matchLabels: { [key: string]: string } };
  readonly namespaceSelector?: { matchLabels: { [key: string]: string } };
}

/**
 * The egress NetworkPolicy of a client in the environment's namespace (the default-deny would
 * otherwise cut it off): DNS, and the service's pods on `ports` (computed at synthesis). A client
 * in another namespace is left to that namespace's policies.
 *
 * @returns the policy, or undefined for a client in another namespace
 */
export function renderClientEgress(scope: IConstruct, service: string, namespace: string, peer: ClientPeer,
  targets: { [key: string]: string }, ports: () => number[], lazy: (produce: () => any) => any): ApiObject | undefined {
  const ns = peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'];
  if (ns !== undefined && ns !== namespace) return undefined;
  const key = JSON.stringify(Object.keys(peer.podSelector.matchLabels).sort().map((k) => [k, peer.podSelector.matchLabels[k]]));
  const id = `ClientEgress-${shortHash(key, 10)}`;
  if (scope.node.tryFindChild(id)) return undefined;
  return new ApiObject(scope, id, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: objectName(service, 'client', shortHash(key, 6)) },
    spec: {
      podSelector: { matchLabels: { ...peer.podSelector.matchLabels } },
      policyTypes: ['Egress'],
      egress: lazy(() => [DNS_EGRESS, toPods(targets, ports())]),
    },
  });
}
