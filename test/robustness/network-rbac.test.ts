/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
/**
 * Network and RBAC defaults (issue 10, item 5).
 *
 * NetworkPolicy: a small evaluator of the Kubernetes NetworkPolicy semantics (podSelector /
 * namespaceSelector / ports, ingress isolation, additive rules) runs over the objects the engines
 * render, for every engine and tier, against a modelled cluster: the database and queue pods the
 * engines' objects produce (StatefulSet templates; CloudNativePG `Cluster` / `Pooler`, RabbitMQ
 * `RabbitmqCluster` and Strimzi `KafkaNodePool` pods with the labels and ports their operators
 * give them), the declared clients, the pods of every rendered Job / CronJob / Deployment, the
 * operators, the monitoring stack, and pods that must stay out (undeclared pods, other namespaces,
 * pods wearing a client's or an operator's labels elsewhere). The whole access matrix (who reaches
 * which pod group on which port) is compared with the expectation.
 *
 * Strimzi renders the Kafka NetworkPolicy itself from the `Kafka` resource; the test derives it
 * the way Strimzi's `KafkaCluster.generateNetworkPolicy` does. Two admissions there are Strimzi's,
 * not the library's, and are asserted to be exactly these (see STRIMZI_EXCEPTIONS):
 * - the metrics port 9404 is open to every pod when metrics are enabled (`from: []`);
 * - the cluster operator peer is `strimzi.io/kind: cluster-operator` in *any* namespace
 *   (`namespaceSelector: {}`), because the operator is not configured with
 *   STRIMZI_OPERATOR_NAMESPACE_LABELS.
 * The library's own exception: monitoring is admitted as a whole namespace (`monitoring`, no
 * podSelector), on the metrics port only and only with monitoring on (see MONITORING_PEER).
 *
 * RBAC: every Role / ClusterRole / RoleBinding / ClusterRoleBinding / ServiceAccount the library
 * renders in all engine configurations (with the Flux and Argo CD wiring) and in the reference
 * platform's dist/ is namespace-scoped, least-privilege and matched exactly. The library renders no
 * cluster-scoped RBAC; the operators create their own at run time (e.g. Strimzi's ClusterRoleBinding
 * for the rack-awareness init container), which is outside what is rendered here.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as plus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { buildPlatform } from '../../examples/platform/app';
import {
  DatabaseClient, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, KafkaAuthentication, MessageQueue, QueueEngine,
  ReplicatedDatabase, SecretBackend, SecretSource, StorageProfile, Tier,
} from '../../src';
import { prunableResources } from '../../src/gitops/flux';
import { tmpdir } from '../util/tmp';

// ---------------------------------------------------------------------------------------------
// A NetworkPolicy evaluator (networking.k8s.io/v1 semantics, ingress and egress)
// ---------------------------------------------------------------------------------------------

type Labels = { [key: string]: string };

interface Pod {
  /** Unique id of the pod (actors) or of the pod group member. */
  readonly id: string;
  /** Pod group (a workload): `<Kind>/<name>`. */
  readonly group: string;
  readonly namespace: string;
  readonly labels: Labels;
  /** Named container ports. */
  readonly ports: { [name: string]: number };
  /** An address outside the pod network (API server, object store, Internet): only `ipBlock` peers match it. */
  readonly ip?: string;
}

/** Every namespace carries `kubernetes.io/metadata.name` (set by the API server since 1.22). */
const nsLabels = (ns: string): Labels => ({ 'kubernetes.io/metadata.name': ns });

/** A label selector (matchLabels AND matchExpressions); `{}` selects everything. */
function selects(sel: any, labels: Labels): boolean {
  if (sel === undefined || sel === null || typeof sel !== 'object') throw new Error(`not a label selector: ${JSON.stringify(sel)}`);
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': if (!has || !e.values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && e.values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

function policyTypes(np: any): string[] {
  return np.spec.policyTypes ?? (np.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** The policies that isolate `pod` for ingress (or egress); an address outside the pod network has none. */
function isolating(pod: Pod, policies: any[], type: 'Ingress' | 'Egress' = 'Ingress'): any[] {
  if (pod.ip !== undefined) return [];
  return policies.filter((np) => np.metadata.namespace === pod.namespace && policyTypes(np).includes(type) && selects(np.spec.podSelector, pod.labels));
}

/** Whether `ip` (dotted quad) is in `cidr` minus its `except` blocks. */
function inIpBlock(ipBlock: any, ip: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const inCidr = (cidr: string) => {
    const [base, bits] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
  };
  return inCidr(ipBlock.cidr) && !(ipBlock.except ?? []).some(inCidr);
}

/**
 * A peer of a rule of a policy in `policyNs` matches `pod`. `ipBlock` matches addresses outside the
 * pod network only (the API's intent: "ipBlock ... cluster-external IPs"), selectors pods only.
 */
function peerAdmits(peer: any, src: Pod, policyNs: string): boolean {
  if (peer.ipBlock !== undefined) return src.ip !== undefined && inIpBlock(peer.ipBlock, src.ip);
  if (src.ip !== undefined) return false;
  if (peer.podSelector === undefined && peer.namespaceSelector === undefined) throw new Error(`empty peer: ${JSON.stringify(peer)}`);
  const nsOk = peer.namespaceSelector === undefined ? src.namespace === policyNs : selects(peer.namespaceSelector, nsLabels(src.namespace));
  const podOk = peer.podSelector === undefined ? true : selects(peer.podSelector, src.labels);
  return nsOk && podOk;
}

function portAdmits(rulePorts: any[] | undefined, dst: Pod, port: number, protocol = 'TCP'): boolean {
  if (rulePorts === undefined || rulePorts.length === 0) return true;
  return rulePorts.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port;
    return dst.ports[p.port] === port;
  });
}

/** Whether `dst` admits a connection from `src` on `port` (its ingress isolation). */
function ingressAdmits(src: Pod, dst: Pod, port: number, policies: any[], protocol = 'TCP'): boolean {
  const iso = isolating(dst, policies, 'Ingress');
  if (iso.length === 0) return true;
  return iso.some((np) => (np.spec.ingress ?? []).some((rule: any) => portAdmits(rule.ports, dst, port, protocol)
    && (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer: any) => peerAdmits(peer, src, np.metadata.namespace)))));
}

/** Whether `src` may send to `dst` on `port` (its egress isolation). */
function egressAdmits(src: Pod, dst: Pod, port: number, policies: any[], protocol = 'TCP'): boolean {
  const iso = isolating(src, policies, 'Egress');
  if (iso.length === 0) return true;
  return iso.some((np) => (np.spec.egress ?? []).some((rule: any) => portAdmits(rule.ports, dst, port, protocol)
    && (rule.to === undefined || rule.to.length === 0 || rule.to.some((peer: any) => peerAdmits(peer, dst, np.metadata.namespace)))));
}

/** Whether `src` may open a connection to `dst` on `port`: its egress and `dst`'s ingress both allow it. */
function admits(src: Pod, dst: Pod, port: number, policies: any[], protocol = 'TCP'): boolean {
  return egressAdmits(src, dst, port, policies, protocol) && ingressAdmits(src, dst, port, policies, protocol);
}

/** Ports probed on every pod besides its own: a rule admitting every port shows up here. */
const PROBE_PORTS = [1, 22, 80, 443, 3306, 6379, 8080, 65535];

/**
 * Who reaches what: for every source, the sorted `<group>:<port>` it is admitted to (a group
 * member that disagrees with the others shows up as `<group>[<pod>]:<port>`).
 */
function accessMatrix(sources: Pod[], targets: Pod[], policies: any[]): { [source: string]: string[] } {
  const groups = new Map<string, Pod[]>();
  for (const t of targets) groups.set(t.group, [...(groups.get(t.group) ?? []), t]);
  const out: { [source: string]: string[] } = {};
  for (const src of sources) {
    const reached = new Set<string>();
    for (const [group, pods] of groups) {
      const ports = [...new Set([...pods.flatMap((p) => Object.values(p.ports)), ...PROBE_PORTS])].sort((a, b) => a - b);
      for (const port of ports) {
        const ok = pods.filter((p) => p.id !== src.id && admits(src, p, port, policies));
        if (ok.length === 0) continue;
        if (ok.length === pods.filter((p) => p.id !== src.id).length) reached.add(`${group}:${port}`);
        else for (const p of ok) reached.add(`${group}[${p.id}]:${port}`);
      }
    }
    out[src.id] = [...reached].sort();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The modelled cluster: data pods from the rendered objects, actors around them
// ---------------------------------------------------------------------------------------------

const NS = 'shop';
const ELSEWHERE = 'elsewhere';
const CLIENT_LABELS = { app: 'api' };
const CLIENT2_LABELS = { app: 'reports' };
const CLIENT2_NS = 'analytics';

const actor = (id: string, namespace: string, labels: Labels): Pod => ({ id, group: id, namespace, labels, ports: {} });

/** Pods that are no data pods: clients, intruders, operators, monitoring. */
function actors(ns: string): Pod[] {
  return [
    actor('client', ns, { ...CLIENT_LABELS, 'pod-template-hash': '5d8f7' }),
    actor('client-lookalike-elsewhere', ELSEWHERE, { ...CLIENT_LABELS, 'pod-template-hash': '5d8f7' }),
    actor('client2', CLIENT2_NS, CLIENT2_LABELS),
    actor('client2-lookalike-in-app-namespace', ns, CLIENT2_LABELS),
    actor('client2-lookalike-elsewhere', ELSEWHERE, CLIENT2_LABELS),
    actor('intruder', ns, { app: 'intruder' }),
    // an application that happens to carry the queue's name (RabbitMQ operator pods also carry component=rabbitmq)
    actor('queue-name-lookalike', ns, { 'app.kubernetes.io/name': 'mq' }),
    actor('unlabelled', ns, {}),
    actor('foreign', ELSEWHERE, { app: 'intruder' }),
    actor('kube-system', 'kube-system', { 'k8s-app': 'kube-dns' }),
    actor('prometheus', 'monitoring', { 'app.kubernetes.io/name': 'prometheus', 'prometheus': 'k8s' }),
    actor('prometheus-lookalike', ns, { 'app.kubernetes.io/name': 'prometheus', 'prometheus': 'k8s' }),
    actor('cnpg-operator', 'cnpg-system', { 'app.kubernetes.io/name': 'cloudnative-pg', 'app.kubernetes.io/instance': 'cnpg' }),
    actor('cnpg-operator-lookalike', ELSEWHERE, { 'app.kubernetes.io/name': 'cloudnative-pg' }),
    actor('barman-cloud-plugin', 'cnpg-system', { 'app.kubernetes.io/name': 'barman-cloud' }),
    actor('rabbitmq-cluster-operator', 'rabbitmq-system', { 'app.kubernetes.io/name': 'rabbitmq-cluster-operator', 'app.kubernetes.io/component': 'rabbitmq-operator' }),
    actor('messaging-topology-operator', 'rabbitmq-system', { 'app.kubernetes.io/name': 'messaging-topology-operator', 'app.kubernetes.io/component': 'messaging-topology-operator' }),
    actor('rabbitmq-operator-lookalike', ns, { 'app.kubernetes.io/name': 'messaging-topology-operator' }),
    actor('strimzi-operator', 'strimzi', { 'strimzi.io/kind': 'cluster-operator', 'name': 'strimzi-cluster-operator' }),
    actor('strimzi-operator-lookalike', ELSEWHERE, { 'strimzi.io/kind': 'cluster-operator' }),
  ];
}

const portsOf = (spec: any): { [name: string]: number } => Object.fromEntries((spec.containers ?? [])
  .flatMap((c: any) => c.ports ?? []).map((p: any) => [p.name ?? String(p.containerPort), p.containerPort]));

/**
 * The pods the data objects produce, with the labels and ports their controllers give them:
 * StatefulSets (the templates), CloudNativePG instances and poolers, RabbitmqCluster servers,
 * Strimzi node pools.
 */
function dataPods(manifests: any[]): Pod[] {
  const pods: Pod[] = [];
  const add = (group: string, namespace: string, names: string[], labels: (pod: string) => Labels, ports: { [name: string]: number }) => {
    for (const id of names) pods.push({ id, group, namespace, labels: labels(id), ports });
  };
  const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i));
  for (const m of manifests) {
    const name = m.metadata.name;
    const ns = m.metadata.namespace;
    switch (`${m.apiVersion}/${m.kind}`) {
      case 'apps/v1/StatefulSet':
        add(`StatefulSet/${name}`, ns, range(m.spec.replicas ?? 1, (i) => `${name}-${i}`),
          (pod) => ({ ...m.spec.template.metadata.labels, 'statefulset.kubernetes.io/pod-name': pod, 'controller-revision-hash': `${name}-7c9d` }), portsOf(m.spec.template.spec));
        break;
      case 'postgresql.cnpg.io/v1/Cluster':
        add(`Cluster/${name}`, ns, range(m.spec.instances, (i) => `${name}-${i + 1}`), (pod) => ({
          'cnpg.io/cluster': name,
          'cnpg.io/instanceName': pod,
          'cnpg.io/podRole': 'instance',
          'cnpg.io/instanceRole': pod === `${name}-1` ? 'primary' : 'replica',
          'role': pod === `${name}-1` ? 'primary' : 'replica',
        }), { postgresql: 5432, status: 8000, metrics: 9187 });
        break;
      case 'postgresql.cnpg.io/v1/Pooler':
        // CloudNativePG >= 1.22 labels pooler pods with their cluster too (cloudnative-pg#3153)
        add(`Pooler/${name}`, ns, range(m.spec.instances, (i) => `${name}-6b7f-${i}`), () => ({
          'cnpg.io/poolerName': name, 'cnpg.io/cluster': m.spec.cluster.name, 'cnpg.io/podRole': 'pooler',
        }), { pgbouncer: 5432, metrics: 9127 });
        break;
      case 'rabbitmq.com/v1beta1/RabbitmqCluster': {
        const tls = m.spec.tls !== undefined;
        add(`RabbitmqCluster/${name}`, ns, range(m.spec.replicas, (i) => `${name}-server-${i}`), () => ({
          ...m.metadata.labels, 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'rabbitmq', 'app.kubernetes.io/part-of': 'rabbitmq',
        }), {
          'amqp': 5672,
          'management': 15672,
          'prometheus': 15692,
          'epmd': 4369,
          'cluster-links': 25672,
          ...(tls ? { 'amqps': 5671, 'management-tls': 15671, 'prometheus-tls': 15691 } : {}),
        });
        break;
      }
      case 'kafka.strimzi.io/v1/KafkaNodePool': {
        const cluster = m.metadata.labels['strimzi.io/cluster'];
        const kafka = manifests.find((k) => k.kind === 'Kafka' && k.metadata.name === cluster && k.metadata.namespace === ns);
        if (!kafka) throw new Error(`KafkaNodePool ${name}: no Kafka ${cluster}`);
        const broker = m.spec.roles.includes('broker');
        const controller = m.spec.roles.includes('controller');
        add(`KafkaNodePool/${name}`, ns, range(m.spec.replicas, (i) => `${cluster}-${name}-${i}`), (pod) => ({
          'strimzi.io/cluster': cluster,
          'strimzi.io/kind': 'Kafka',
          'strimzi.io/name': `${cluster}-kafka`,
          'strimzi.io/component-type': 'kafka',
          'strimzi.io/pool-name': name,
          'strimzi.io/pod-name': pod,
          'strimzi.io/broker-role': String(broker),
          'strimzi.io/controller-role': String(controller),
        }), {
          ...(controller ? { 'tcp-ctrlplane': 9090 } : {}),
          ...(broker ? { 'tcp-replication': 9091, ...Object.fromEntries(kafka.spec.kafka.listeners.map((l: any) => [`tcp-${l.name}`, l.port])) } : {}),
          'tcp-kafkaagent': 8443,
          ...(kafka.spec.kafka.metricsConfig ? { 'tcp-prometheus': 9404 } : {}),
        });
        break;
      }
      default:
    }
  }
  return pods;
}

/** Pods of the rendered workloads that are no data pods (migration Job, backup CronJob, applications), and of the operators' helpers. */
function workloadPods(manifests: any[]): Pod[] {
  const pods: Pod[] = [];
  for (const m of manifests) {
    const id = `${m.kind}/${m.metadata.name}`;
    const ns = m.metadata.namespace;
    if (m.kind === 'Job' || m.kind === 'Deployment') pods.push(actor(id, ns, { ...m.spec.template.metadata.labels, 'job-name': m.metadata.name }));
    if (m.kind === 'CronJob') pods.push(actor(id, ns, { ...m.spec.jobTemplate.spec.template.metadata.labels, 'job-name': `${m.metadata.name}-29000000` }));
    // CloudNativePG's join / initdb jobs clone the primary over 5432
    if (m.kind === 'Cluster' && m.apiVersion === 'postgresql.cnpg.io/v1') {
      pods.push(actor(`cnpg-join/${m.metadata.name}`, ns, { 'cnpg.io/cluster': m.metadata.name, 'cnpg.io/jobRole': 'join', 'cnpg.io/instanceName': `${m.metadata.name}-2` }));
    }
    // Strimzi's entity operator (topic and user operators) talks to the brokers' replication port
    if (m.kind === 'Kafka' && m.spec.entityOperator) {
      pods.push(actor(`entity-operator/${m.metadata.name}`, ns, {
        'strimzi.io/cluster': m.metadata.name, 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': `${m.metadata.name}-entity-operator`, 'strimzi.io/component-type': 'entity-operator',
      }));
    }
  }
  return pods;
}

/** Another member of every data pod group, as a source (replicas talking to each other). */
function peerPods(data: Pod[]): Pod[] {
  const seen = new Set<string>();
  const out: Pod[] = [];
  for (const p of data) {
    if (seen.has(p.group)) continue;
    seen.add(p.group);
    out.push({ ...p, id: `peer:${p.group}`, group: `peer:${p.group}`, ports: {} });
  }
  return out;
}

/**
 * Strimzi's ingress options, as its installation in this library leaves them: network policy
 * generation on (the default) and no STRIMZI_OPERATOR_NAMESPACE_LABELS.
 */
const STRIMZI_EXCEPTIONS = {
  /** The operator runs in its own namespace: without namespace labels Strimzi admits it from any namespace. */
  operatorPeer: { podSelector: { matchLabels: { 'strimzi.io/kind': 'cluster-operator' } }, namespaceSelector: {} },
  /** With metrics enabled the metrics port is open to every pod. */
  metricsRule: { ports: [{ port: 9404, protocol: 'TCP' }], from: [] },
};

/** The NetworkPolicy Strimzi renders for a `Kafka` (KafkaCluster.generateNetworkPolicy, KRaft). */
function strimziNetworkPolicy(kafka: any): any {
  const c = kafka.metadata.name;
  const rule = (port: number, from: any[]) => ({ ports: [{ port, protocol: 'TCP' }], from });
  const self = { 'strimzi.io/cluster': c, 'strimzi.io/name': `${c}-kafka`, 'strimzi.io/kind': 'Kafka' };
  const kafkaPeer = { podSelector: { matchLabels: self } };
  const component = (suffix: string) => ({ podSelector: { matchLabels: { 'strimzi.io/name': `${c}-${suffix}` } } });
  const operator = STRIMZI_EXCEPTIONS.operatorPeer;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${c}-network-policy-kafka`, namespace: kafka.metadata.namespace },
    spec: {
      podSelector: { matchLabels: self },
      ingress: [
        rule(9090, [kafkaPeer, operator]),
        rule(9091, [operator, kafkaPeer, component('entity-operator'), component('kafka-exporter'), component('cruise-control')]),
        rule(8443, [operator]),
        ...kafka.spec.kafka.listeners.map((l: any) => rule(l.port, l.networkPolicyPeers ?? [])),
        ...(kafka.spec.kafka.metricsConfig ? [STRIMZI_EXCEPTIONS.metricsRule] : []),
      ],
    },
  };
}

/** The NetworkPolicies in force: the rendered ones and those Strimzi renders for each Kafka. */
function policiesOf(manifests: any[]): any[] {
  return [
    ...manifests.filter((m) => m.kind === 'NetworkPolicy'),
    ...manifests.filter((m) => m.kind === 'Kafka' && m.apiVersion === 'kafka.strimzi.io/v1').map(strimziNetworkPolicy),
  ];
}

/** The namespace of every source a matrix was computed for (by id). */
const SOURCE_NAMESPACE = new Map<string, string>();

function matrixOf(manifests: any[], ns: string): { [source: string]: string[] } {
  const data = dataPods(manifests);
  const sources = [...actors(ns), ...workloadPods(manifests), ...peerPods(data)];
  for (const src of sources) SOURCE_NAMESPACE.set(src.id, src.namespace);
  return accessMatrix(sources, data, policiesOf(manifests));
}

// ---------------------------------------------------------------------------------------------
// Scenarios: every engine in every tier
// ---------------------------------------------------------------------------------------------

type EngineId = 'cnpg' | 'postgres-sts' | 'rabbitmq-operator' | 'rabbitmq-sts' | 'rabbitmq-sts-3.13' | 'kafka' | 'kafka-mtls';
const ENGINES: EngineId[] = ['cnpg', 'postgres-sts', 'rabbitmq-operator', 'rabbitmq-sts', 'rabbitmq-sts-3.13', 'kafka', 'kafka-mtls'];
const TIERS: Array<[string, Tier]> = [['dev', Tier.DEVELOPMENT], ['staging', Tier.STAGING], ['prod', Tier.PRODUCTION]];

interface Options {
  /** Override of the monitoring default (off in development, on elsewhere). */
  readonly monitoring?: boolean;
  /** RabbitMQ: TLS with a certificate Secret. */
  readonly tls?: boolean;
  /** CloudNativePG: a PgBouncer pooler. */
  readonly pooler?: boolean;
  /** Declared clients besides `client` (`app: api` in the namespace). */
  readonly second?: 'other-namespace' | 'workload';
  /** No client at all. */
  readonly noClient?: boolean;
  /** Environment.monitoringNamespace. */
  readonly monitoringNamespace?: string;
}

interface Scenario {
  readonly app: GitOpsApp;
  readonly manifests: any[];
  readonly all: Array<{ environment?: string; manifest: any }>;
  readonly env: Environment;
}

const backupDestination = { destinationPath: 's3://acme-backups/shop', credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: 'shop/backup' }) };

function scenario(engine: EngineId, envName: string, tier: Tier, o: Options = {}): Scenario {
  const app = new GitOpsApp({
    outdir: tmpdir(),
    flux: { repositoryUrl: 'https://git.example.com/acme/gitops.git' },
    argoCd: { repositoryUrl: 'https://git.example.com/acme/gitops.git', destinations: { [envName]: `https://${envName}.k8s.example.com:6443` } },
  });
  const env = new Environment({
    name: envName,
    tier,
    namespace: NS,
    storageProfile: StorageProfile.ondat({ name: 'ondat-encrypted', replicas: 2, encryption: true }),
    secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'shop' }),
    ...(o.monitoringNamespace ? { monitoringNamespace: o.monitoringNamespace } : {}),
  });
  const chart = new EnvironmentChart(app, 'shop', { environment: env });
  const clients: DatabaseClient[] = o.noClient ? [] : [DatabaseClient.fromLabels(CLIENT_LABELS)];
  if (o.second === 'other-namespace') clients.push(DatabaseClient.fromLabels(CLIENT2_LABELS, CLIENT2_NS));
  if (o.second === 'workload') {
    const reports = new plus.Deployment(chart, 'Reports', { containers: [{ image: 'ghcr.io/acme/reports:1.4.0', portNumber: 8080 }] });
    clients.push(DatabaseClient.fromWorkload(reports));
  }
  const monitoring = o.monitoring === undefined ? {} : { monitoring: o.monitoring };
  const prodLike = tier !== Tier.DEVELOPMENT;
  switch (engine) {
    case 'cnpg':
    case 'postgres-sts': {
      const db = new ReplicatedDatabase(chart, 'Db', {
        name: 'db',
        engine: engine === 'cnpg' ? DatabaseEngine.cloudNativePg({ version: '16.4' }) : DatabaseEngine.postgresStatefulSet({ version: '16.4' }),
        backup: prodLike ? { schedule: '15 2 * * *', retentionDays: 14, destination: backupDestination } : undefined,
        migration: { image: 'ghcr.io/acme/shop-migrations:2.0.1', command: ['migrate', 'up'] },
        pooler: o.pooler ? {} : undefined,
        allowFrom: clients.slice(0, 1),
        ...monitoring,
      });
      // later clients through the method (valid until synthesis)
      for (const c of clients.slice(1)) db.allowFrom(c);
      break;
    }
    default: {
      const kafka = engine === 'kafka' || engine === 'kafka-mtls';
      const mq = new MessageQueue(chart, 'Mq', {
        name: 'mq',
        engine: engine === 'rabbitmq-operator' ? QueueEngine.rabbitmqOperator({ version: '4.1.4' })
          : engine === 'rabbitmq-sts' ? QueueEngine.rabbitmqStatefulSet({ version: '4.1.4' })
            : engine === 'rabbitmq-sts-3.13' ? QueueEngine.rabbitmqStatefulSet({ version: '3.13.7' })
              : QueueEngine.strimziKafka({ version: '4.3.1', authentication: engine === 'kafka-mtls' ? KafkaAuthentication.TLS : undefined }),
        tlsSecretName: o.tls ? 'mq-tls' : undefined,
        ...(kafka ? { topics: [{ name: 'orders' }], users: [{ name: 'api', permissions: [] }] } : { queues: [{ name: 'orders' }] }),
        allowFrom: clients.slice(0, 1),
        ...monitoring,
      });
      for (const c of clients.slice(1)) mq.allowFrom(c);
    }
  }
  const out = app.render();
  return { app, env, all: out.objects, manifests: out.objects.filter((x) => x.environment === envName).map((x) => x.manifest) };
}

/** Monitoring on by default outside development. */
const monitoringOf = (tier: Tier, o: Options) => o.monitoring ?? tier !== Tier.DEVELOPMENT;

/**
 * The expected access matrix, written from the requirements (not from the code): declared
 * clients reach the data port, replicas their replication / clustering ports, the operator its
 * ports, monitoring the metrics port when on; nobody else reaches anything.
 */
function expectedMatrix(engine: EngineId, tier: Tier, o: Options, sources: string[]): { [source: string]: string[] } {
  const m: { [source: string]: string[] } = Object.fromEntries(sources.map((s) => [s, []]));
  const grant = (source: string, ...entries: string[]) => {
    if (!(source in m)) throw new Error(`expected source ${source} is not modelled (sources: ${sources.join(', ')})`);
    m[source] = [...new Set([...m[source], ...entries])].sort();
  };
  const monitoring = monitoringOf(tier, o);
  const prodLike = tier !== Tier.DEVELOPMENT;
  const second = o.second === 'other-namespace' ? 'client2' : o.second === 'workload' ? workloadSource(sources) : undefined;
  const clients = [...(o.noClient ? [] : ['client']), ...(second ? [second] : [])];
  switch (engine) {
    case 'cnpg': {
      const data = ['Cluster/db', ...(o.pooler ? ['Pooler/db-pooler-rw'] : [])];
      const sql = data.map((g) => `${g}:5432`);
      for (const c of [...clients, 'Job/db-migrate', 'Job/db-grants', 'cnpg-join/db', ...data.map((g) => `peer:${g}`)]) grant(c, ...sql);
      grant('cnpg-operator', ...sql, 'Cluster/db:8000');
      if (monitoring) grant('prometheus', 'Cluster/db:9187', ...(o.pooler ? ['Pooler/db-pooler-rw:9127'] : []));
      break;
    }
    case 'postgres-sts':
      for (const c of [...clients, 'Job/db-migrate', 'peer:StatefulSet/db', ...(prodLike ? ['CronJob/db-backup'] : [])]) grant(c, 'StatefulSet/db:5432');
      if (monitoring) grant('prometheus', 'StatefulSet/db:9187');
      break;
    case 'rabbitmq-operator': {
      const g = 'RabbitmqCluster/mq';
      for (const c of clients) grant(c, `${g}:${o.tls ? 5671 : 5672}`);
      grant(`peer:${g}`, `${g}:4369`, `${g}:25672`);
      for (const op of ['rabbitmq-cluster-operator', 'messaging-topology-operator']) grant(op, `${g}:15672`, ...(o.tls ? [`${g}:15671`] : []));
      if (monitoring) grant('prometheus', `${g}:15692`);
      break;
    }
    case 'rabbitmq-sts':
    case 'rabbitmq-sts-3.13': {
      const g = 'StatefulSet/mq';
      for (const c of clients) grant(c, `${g}:${o.tls ? 5671 : 5672}`);
      grant(`peer:${g}`, `${g}:4369`, `${g}:25672`);
      if (monitoring) grant('prometheus', `${g}:15692`);
      break;
    }
    default: {
      const pools = prodLike ? { controllers: ['controller'], brokers: ['broker'] } : { 'dual-role': ['controller', 'broker'] };
      const listener = 9093; // TLS by default on Kafka
      for (const [pool, roles] of Object.entries(pools)) {
        const g = `KafkaNodePool/${pool}`;
        const broker = roles.includes('broker');
        const controller = roles.includes('controller');
        for (const c of clients) if (broker) grant(c, `${g}:${listener}`);
        // Strimzi's own peers: the operator (from any namespace, see STRIMZI_EXCEPTIONS), the other nodes, the entity operator
        for (const op of ['strimzi-operator', 'strimzi-operator-lookalike']) grant(op, `${g}:8443`, ...(controller ? [`${g}:9090`] : []), ...(broker ? [`${g}:9091`] : []));
        for (const p of Object.keys(pools)) grant(`peer:KafkaNodePool/${p}`, ...(controller ? [`${g}:9090`] : []), ...(broker ? [`${g}:9091`] : []));
        if (broker) grant('entity-operator/mq', `${g}:9091`);
        // no client declared: the brokers stand in for one (Strimzi would admit every pod on an empty list)
        if (o.noClient && broker) for (const p of Object.keys(pools)) grant(`peer:KafkaNodePool/${p}`, `${g}:${listener}`);
        // Strimzi opens the metrics port to every pod (see STRIMZI_EXCEPTIONS); in the namespace, the
        // default-deny policy keeps every pod's egress to what it needs (not the metrics port)
        if (monitoring) for (const s of sources) if (SOURCE_NAMESPACE.get(s) !== NS) grant(s, `${g}:9404`);
      }
    }
  }
  return m;
}

/** The source modelling the pods of the cdk8s-plus Deployment declared with DatabaseClient.fromWorkload. */
function workloadSource(sources: string[]): string {
  const found = sources.filter((s) => s.startsWith('Deployment/shop-reports'));
  if (found.length !== 1) throw new Error(`no single workload client among ${sources.join(', ')}`);
  return found[0];
}

const isKafka = (e: EngineId) => e === 'kafka' || e === 'kafka-mtls';
const isRabbit = (e: EngineId) => e.startsWith('rabbitmq');
const dataPortOf = (e: EngineId, o: Options) => (isKafka(e) ? 9093 : isRabbit(e) ? (o.tls ? 5671 : 5672) : 5432);

/** The monitoring peer the engines render: the whole `monitoring` namespace, metrics port only. */
const MONITORING_PEER = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
// postgres_exporter / CloudNativePG, RabbitMQ's Prometheus plugin, mysqld_exporter (the MariaDB engines)
const METRICS_PORTS = new Set([9187, 9127, 15692, 9104]);

/** The DNS peer the engines' egress rules name: the cluster DNS pods in kube-system. */
const DNS_PEER = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
/** Ports the engines may open to addresses outside the pod network: the API server (443, 6443), object stores (443). */
const EXTERNAL_PORTS = new Set([443, 6443]);

const emptySelector = (sel: any) => !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);

/**
 * The problems of a library-rendered NetworkPolicy: ingress peers as `checkPeer`; egress to DNS,
 * pods of the namespace by pod selector, or outside the pod network on the API server / HTTPS ports
 * only; every policy limits egress; the one policy selecting every pod is the default deny.
 */
function checkRenderedPolicy(np: any): string[] {
  const problems: string[] = [];
  const where = `NetworkPolicy ${np.metadata.namespace}/${np.metadata.name}`;
  const types = policyTypes(np);
  if (emptySelector(np.spec.podSelector)) {
    const isDefaultDeny = np.metadata.name === 'default-deny' && types.includes('Ingress') && types.includes('Egress')
      && (np.spec.ingress ?? []).length === 0 && (np.spec.egress ?? []).length === 0;
    if (!isDefaultDeny) problems.push(`${where}: selects every pod of the namespace`);
    return problems;
  }
  if (!types.includes('Egress')) problems.push(`${where}: no Egress policy type (egress open)`);
  for (const [i, rule] of (np.spec.ingress ?? []).entries()) {
    if (!rule.from || rule.from.length === 0) problems.push(`${where} rule ${i}: no \`from\` (admits every source)`);
    if (!rule.ports || rule.ports.length === 0) problems.push(`${where} rule ${i}: no \`ports\` (admits every port)`);
    for (const peer of rule.from ?? []) problems.push(...checkPeer(peer, `${where} rule ${i}`, (rule.ports ?? []).map((p: any) => p.port)));
  }
  for (const [i, rule] of (np.spec.egress ?? []).entries()) {
    const at = `${where} egress rule ${i}`;
    if (!rule.to || rule.to.length === 0) problems.push(`${at}: no \`to\` (reaches every destination)`);
    if (!rule.ports || rule.ports.length === 0) problems.push(`${at}: no \`ports\` (reaches every port)`);
    const ports: any[] = rule.ports ?? [];
    for (const peer of rule.to ?? []) {
      if (peer.ipBlock) {
        if (ports.some((p) => !EXTERNAL_PORTS.has(p.port) || p.endPort !== undefined)) problems.push(`${at}: outside the pod network on ${JSON.stringify(ports)}`);
      } else if (JSON.stringify(peer) === JSON.stringify(DNS_PEER)) {
        if (ports.some((p) => p.port !== 53)) problems.push(`${at}: DNS pods on ${JSON.stringify(ports)}`);
      } else if (peer.namespaceSelector !== undefined || emptySelector(peer.podSelector)) {
        problems.push(`${at}: peer ${JSON.stringify(peer)} (egress goes to the namespace's own pods by label)`);
      }
    }
  }
  return problems;
}

function checkPeer(peer: any, where: string, ports: any[]): string[] {
  const problems: string[] = [];
  if (peer.ipBlock) problems.push(`${where}: ipBlock peer ${JSON.stringify(peer)}`);
  if (peer.namespaceSelector && Object.keys(peer.namespaceSelector.matchLabels ?? {}).length === 0 && (peer.namespaceSelector.matchExpressions ?? []).length === 0) {
    problems.push(`${where}: namespaceSelector {} (every namespace) in ${JSON.stringify(peer)}`);
  }
  const podSel = peer.podSelector;
  const emptyPodSel = !podSel || (Object.keys(podSel.matchLabels ?? {}).length === 0 && (podSel.matchExpressions ?? []).length === 0);
  if (emptyPodSel) {
    // the one deliberate whole-namespace peer: monitoring, on the metrics port only
    const isMonitoring = JSON.stringify(peer) === JSON.stringify(MONITORING_PEER);
    if (!isMonitoring) problems.push(`${where}: peer without a pod selector ${JSON.stringify(peer)}`);
    else if (ports.length === 0 || ports.some((p) => !METRICS_PORTS.has(p))) problems.push(`${where}: the monitoring namespace is admitted on ${JSON.stringify(ports)}, not only a metrics port`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy tests
// ---------------------------------------------------------------------------------------------

describe('NetworkPolicy evaluator (self-test against the Kubernetes semantics)', () => {
  const db: Pod = { id: 'db-0', group: 'db', namespace: 'a', labels: { app: 'db' }, ports: { pg: 5432 } };
  const api: Pod = actor('api', 'a', { app: 'api' });
  const other: Pod = actor('other', 'b', { app: 'api' });
  const np = (ingress: any[], extra: any = {}) => ({ metadata: { name: 'p', namespace: 'a' }, spec: { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress, ...extra } });

  test('a pod no policy selects is open; a selecting policy without rules isolates it', () => {
    expect(admits(other, db, 5432, [])).toBe(true);
    expect(admits(api, db, 5432, [np([])])).toBe(false);
    expect(admits(api, db, 5432, [{ ...np([]), metadata: { name: 'p', namespace: 'b' } }])).toBe(true);
    expect(admits(api, db, 5432, [np([], { policyTypes: ['Egress'] })])).toBe(true);
  });

  test('podSelector alone is the policy\'s namespace; namespaceSelector and podSelector in one peer are ANDed, in two peers ORed', () => {
    expect(admits(api, db, 5432, [np([{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }])])).toBe(true);
    expect(admits(other, db, 5432, [np([{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }])])).toBe(false);
    const and = np([{ from: [{ namespaceSelector: { matchLabels: nsLabels('b') }, podSelector: { matchLabels: { app: 'x' } } }] }]);
    expect(admits(other, db, 5432, [and])).toBe(false);
    const or = np([{ from: [{ namespaceSelector: { matchLabels: nsLabels('b') } }, { podSelector: { matchLabels: { app: 'x' } } }] }]);
    expect(admits(other, db, 5432, [or])).toBe(true);
    expect(admits(other, db, 5432, [np([{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'api' } } }] }])])).toBe(true);
  });

  test('ports: absent = every port, numbers, names, ranges, protocols; rules and policies add up', () => {
    expect(admits(api, db, 1, [np([{ from: [{ podSelector: {} }] }])])).toBe(true);
    expect(admits(api, db, 1, [np([{ ports: [{ port: 5432 }], from: [{ podSelector: {} }] }])])).toBe(false);
    expect(admits(api, db, 5432, [np([{ ports: [{ port: 'pg' }], from: [{ podSelector: {} }] }])])).toBe(true);
    expect(admits(api, db, 5433, [np([{ ports: [{ port: 5430, endPort: 5440 }], from: [{ podSelector: {} }] }])])).toBe(true);
    expect(admits(api, db, 5432, [np([{ ports: [{ port: 5432, protocol: 'UDP' }], from: [{ podSelector: {} }] }])])).toBe(false);
    expect(admits(other, db, 5432, [np([{ ports: [{ port: 5432 }], from: [] }])])).toBe(true);
    const one = np([{ ports: [{ port: 5432 }], from: [{ podSelector: { matchLabels: { app: 'api' } } }] }]);
    const two = { ...np([{ ports: [{ port: 5432 }], from: [{ namespaceSelector: { matchLabels: nsLabels('b') } }] }]), metadata: { name: 'q', namespace: 'a' } };
    expect([admits(api, db, 5432, [one, two]), admits(other, db, 5432, [one, two]), admits(other, db, 5432, [one])]).toEqual([true, true, false]);
  });

  test('matchExpressions: In, NotIn (absent key matches), Exists, DoesNotExist', () => {
    const l = { a: '1' };
    expect([
      selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, l),
      selects({ matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['1'] }] }, l),
      selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, l),
      selects({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, l),
      selects({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, l),
      selects({}, l),
    ]).toEqual([true, true, false, true, false, true]);
  });
});

describe('the NetworkPolicy checks can fail: weakened policies are caught', () => {
  const o: Options = { pooler: true, second: 'other-namespace' };
  let base: any[];
  let expected: { [source: string]: string[] };
  beforeAll(() => {
    base = scenario('cnpg', 'prod', Tier.PRODUCTION, o).manifests;
    expected = expectedMatrix('cnpg', Tier.PRODUCTION, o, Object.keys(matrixOf(base, NS)));
  });
  const mutate = (f: (np: any) => void) => base.map((m) => {
    if (m.kind !== 'NetworkPolicy' || m.metadata.name !== 'db') return m;
    const np = JSON.parse(JSON.stringify(m));
    f(np);
    return np;
  });
  const diff = (manifests: any[]) => {
    const got = matrixOf(manifests, NS);
    return Object.keys(got).filter((k) => JSON.stringify(got[k]) !== JSON.stringify(expected[k])).sort();
  };

  test('unchanged: no difference', () => {
    expect(diff(base)).toEqual([]);
  });

  test('a client peer that loses its namespaceSelector admits the lookalike in the database\'s namespace instead', () => {
    const weakened = mutate((np) => { delete np.spec.ingress[0].from[1].namespaceSelector; });
    // the default deny keeps the lookalike's egress shut (defence in depth); without it, the lookalike gets in
    expect(diff(weakened)).toEqual(['client2']);
    expect(diff(weakened.filter((m) => m.metadata.name !== 'default-deny'))).toEqual(['client2', 'client2-lookalike-in-app-namespace']);
  });

  test('the monitoring rule on every port, or an empty `from`, or no policy at all', () => {
    const monitoringAllPorts = mutate((np) => { for (const r of np.spec.ingress) if (r.from.some((p: any) => !p.podSelector)) delete r.ports; });
    expect(diff(monitoringAllPorts)).toEqual(['prometheus']);
    expect(monitoringAllPorts.filter((m) => m.kind === 'NetworkPolicy').flatMap(checkRenderedPolicy)).toEqual([
      'NetworkPolicy shop/db rule 4: no `ports` (admits every port)', 'NetworkPolicy shop/db rule 4: the monitoring namespace is admitted on [], not only a metrics port',
    ]);
    const openFrom = mutate((np) => { np.spec.ingress[0].from = []; });
    expect(diff(openFrom)).toContain('foreign');
    expect(openFrom.filter((m) => m.kind === 'NetworkPolicy').flatMap(checkRenderedPolicy)).toEqual(['NetworkPolicy shop/db rule 0: no `from` (admits every source)']);
    const none = base.filter((m) => m.kind !== 'NetworkPolicy');
    expect(dataPods(none).filter((p) => isolating(p, policiesOf(none)).length === 0).length).toBe(5);
    expect(diff(none)).toContain('intruder');
  });

  test('a peer opened to every namespace, or to every pod of the namespace, is flagged', () => {
    const allNs = mutate((np) => { np.spec.ingress[2].from[0].namespaceSelector = {}; });
    expect(allNs.filter((m) => m.kind === 'NetworkPolicy').flatMap(checkRenderedPolicy)).toEqual([
      'NetworkPolicy shop/db rule 2: namespaceSelector {} (every namespace) in {"podSelector":{"matchLabels":{"cnpg.io/cluster":"db"}},"namespaceSelector":{}}',
    ]);
    const allPods = mutate((np) => { np.spec.ingress[0].from[0].podSelector = {}; });
    expect(allPods.filter((m) => m.kind === 'NetworkPolicy').flatMap(checkRenderedPolicy)).toEqual(['NetworkPolicy shop/db rule 0: peer without a pod selector {"podSelector":{}}']);
    expect(diff(allPods)).toEqual([]);
    expect(diff(allPods.filter((m) => m.metadata.name !== 'default-deny'))).toEqual(expect.arrayContaining(['intruder', 'unlabelled', 'prometheus-lookalike']));
  });
});

describe.each(ENGINES)('%s: databases and queues admit only declared clients, the operator and monitoring', (engine) => {
  const variants: Options[] = [{}];
  if (engine === 'cnpg') variants.push({ pooler: true });
  if (isRabbit(engine)) variants.push({ tls: true });

  describe.each(TIERS)('%s', (envName, tier) => {
    test.each(variants.map((o) => [JSON.stringify(o), o]))('access matrix %s', (_n, o) => {
      const s = scenario(engine, envName, tier, o as Options);
      const data = dataPods(s.manifests);
      const policies = policiesOf(s.manifests);
      // the engines' pods exist in the model (a renamed label or kind would empty it)
      expect(data.length).toBeGreaterThan(0);
      // every database / queue pod is isolated by a policy with policyTypes Ingress
      expect(data.filter((p) => isolating(p, policies).length === 0).map((p) => p.id)).toEqual([]);
      const matrix = matrixOf(s.manifests, NS);
      expect(matrix).toEqual(expectedMatrix(engine, tier, o as Options, Object.keys(matrix)));
    });
  });

  test('the rendered rules: a non-empty `from` and `ports` each, pod selectors everywhere but the monitoring namespace on the metrics port', () => {
    for (const [envName, tier] of TIERS) {
      for (const o of [...variants, { monitoring: true }, { monitoring: false }, { second: 'other-namespace' as const }]) {
        const s = scenario(engine, envName, tier, o);
        const rendered = s.manifests.filter((m) => m.kind === 'NetworkPolicy');
        expect(rendered.filter((np) => np.metadata.name === 'default-deny')).toHaveLength(1);
        expect(rendered.flatMap(checkRenderedPolicy)).toEqual([]);
        if (isKafka(engine)) {
          // Strimzi renders the brokers' ingress policy; the library's part is the listener's peers, and egress
          expect(rendered.filter((np) => (np.spec.ingress ?? []).length > 0)).toEqual([]);
          const kafka = s.manifests.find((m) => m.kind === 'Kafka');
          for (const l of kafka.spec.kafka.listeners) {
            expect(l.networkPolicyPeers.length).toBeGreaterThan(0);
            expect(l.networkPolicyPeers.flatMap((p: any) => checkPeer(p, `listener ${l.name}`, [l.port]))).toEqual([]);
          }
        } else {
          expect(rendered.filter((np) => (np.spec.ingress ?? []).length > 0).map((np) => np.metadata.name)).toEqual([engine === 'cnpg' || engine === 'postgres-sts' ? 'db' : 'mq']);
        }
      }
    }
  });

  test('monitoring is admitted only when monitoring is on, and only on the metrics port', () => {
    for (const [envName, tier] of TIERS) {
      for (const monitoring of [true, false]) {
        // (CloudNativePG with a pooler: its pods carry the cluster label too)
        const s = scenario(engine, envName, tier, { monitoring, pooler: engine === 'cnpg' });
        const matrix = matrixOf(s.manifests, NS);
        // CloudNativePG: the instances' exporter, and PgBouncer's on the pooler's pods
        const metrics = isKafka(engine) ? [9404] : isRabbit(engine) ? [15692] : engine === 'cnpg' ? [9187, 9127] : [9187];
        const reached = matrix.prometheus.map((e) => Number(e.split(':').pop()));
        expect({ monitoring, ports: [...new Set(reached)] }).toEqual({ monitoring, ports: monitoring ? metrics : [] });
        // a Prometheus-labelled pod outside the monitoring namespace gets nothing the monitoring stack gets
        if (!isKafka(engine)) expect(matrix['prometheus-lookalike']).toEqual([]);
        // every endpoint a PodMonitor scrapes is reachable from the monitoring namespace
        const monitors = s.manifests.filter((m) => m.kind === 'PodMonitor');
        expect(monitors.length).toBe(monitoring ? (engine === 'cnpg' ? 2 : 1) : 0);
        const prometheus = actors(NS).find((a) => a.id === 'prometheus')!;
        const data = dataPods(s.manifests);
        for (const pm of monitors) {
          const scraped = data.filter((p) => p.namespace === pm.metadata.namespace && selects(pm.spec.selector, p.labels));
          expect(scraped.length).toBeGreaterThan(0);
          for (const p of scraped) {
            for (const ep of pm.spec.podMetricsEndpoints) {
              const port = p.ports[ep.port];
              if (port === undefined) continue;
              expect({ pod: p.id, port, admitted: admits(prometheus, p, port, policiesOf(s.manifests)) }).toEqual({ pod: p.id, port, admitted: true });
            }
          }
        }
      }
    }
  });

  test('a monitoring stack in another namespace (Environment.monitoringNamespace) reaches the metrics ports; the default one no longer does', () => {
    const s = scenario(engine, 'prod', Tier.PRODUCTION, { monitoringNamespace: 'kube-prometheus-stack', pooler: engine === 'cnpg' });
    const policies = policiesOf(s.manifests);
    const usual = actors(NS).find((a) => a.id === 'prometheus')!;
    const moved = { ...usual, id: 'prometheus-moved', namespace: 'kube-prometheus-stack' };
    const metrics = isKafka(engine) ? [9404] : isRabbit(engine) ? [15692] : engine === 'cnpg' ? [9187, 9127] : [9187];
    const scraped = dataPods(s.manifests).flatMap((p) => Object.values(p.ports).filter((port) => metrics.includes(port)).map((port) => ({ p, port })));
    expect(scraped.length).toBeGreaterThan(0);
    for (const { p, port } of scraped) {
      expect({ pod: p.id, port, admitted: admits(moved, p, port, policies) }).toEqual({ pod: p.id, port, admitted: true });
      // (Strimzi opens its metrics port to every pod)
      if (!isKafka(engine)) expect({ pod: p.id, port, admitted: admits(usual, p, port, policies) }).toEqual({ pod: p.id, port, admitted: false });
    }
  });

  test.each<['other-namespace' | 'workload']>([['other-namespace'], ['workload']])('adding a second client (%s) admits it, on the data port only, and nothing else changes', (second) => {
    for (const [envName, tier] of TIERS) {
      const o: Options = engine === 'cnpg' ? { pooler: tier !== Tier.DEVELOPMENT } : {};
      const one = matrixOf(scenario(engine, envName, tier, o).manifests, NS);
      const two = matrixOf(scenario(engine, envName, tier, { ...o, second }).manifests, NS);
      const changed = Object.keys(two).filter((k) => JSON.stringify(two[k]) !== JSON.stringify(one[k] ?? []));
      const id = second === 'other-namespace' ? 'client2' : workloadSource(Object.keys(two));
      // Kafka with monitoring: the new client also reaches the metrics port, as every pod does (Strimzi)
      const strimziMetrics = isKafka(engine) && tier !== Tier.DEVELOPMENT;
      expect(changed).toEqual([id]);
      const port = dataPortOf(engine, o);
      expect(two[id].filter((e) => !(strimziMetrics && e.endsWith(':9404')))).toEqual(two.client.filter((e) => e.endsWith(`:${port}`)));
      expect(two[id].length).toBeGreaterThan(0);
      // the lookalikes of the second client stay out
      expect([two['client2-lookalike-in-app-namespace'], two['client2-lookalike-elsewhere']].map((l) => l.filter((e) => !e.endsWith(':9404')))).toEqual([[], []]);
      expect(two).toEqual(expectedMatrix(engine, tier, { ...o, second }, Object.keys(two)));
    }
  });

  test('without any client nobody but the replicas, the operator and monitoring reaches the pods', () => {
    const s = scenario(engine, 'prod', Tier.PRODUCTION, { noClient: true });
    const matrix = matrixOf(s.manifests, NS);
    expect(matrix).toEqual(expectedMatrix(engine, Tier.PRODUCTION, { noClient: true }, Object.keys(matrix)));
    expect(matrix.client.filter((e) => !e.endsWith(':9404'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Egress: what the library's pods may reach (the namespace denies by default)
// ---------------------------------------------------------------------------------------------

describe('NetworkPolicy evaluator: egress (self-test against the Kubernetes semantics)', () => {
  const db: Pod = { id: 'db-0', group: 'db', namespace: 'a', labels: { app: 'db' }, ports: { pg: 5432 } };
  const api: Pod = actor('api', 'a', { app: 'api' });
  const dns: Pod = actor('dns', 'kube-system', { 'k8s-app': 'kube-dns' });
  const outside: Pod = { id: 'outside', group: 'outside', namespace: '', labels: {}, ports: {}, ip: '93.184.216.34' };
  const deny = { metadata: { name: 'default-deny', namespace: 'a' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } };
  const egress = (rules: any[]) => ({ metadata: { name: 'e', namespace: 'a' }, spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: rules } });

  test('a default deny shuts ingress and egress; an egress rule opens exactly its destinations and ports', () => {
    expect(admits(api, db, 5432, [])).toBe(true);
    expect(admits(api, db, 5432, [deny])).toBe(false);
    expect(egressAdmits(api, dns, 53, [deny], 'UDP')).toBe(false);
    const rules = [egress([{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }, { to: [DNS_PEER], ports: [{ port: 53, protocol: 'UDP' }] }])];
    expect(egressAdmits(api, db, 5432, [deny, ...rules])).toBe(true);
    expect(egressAdmits(api, db, 5433, [deny, ...rules])).toBe(false);
    expect(egressAdmits(api, dns, 53, [deny, ...rules], 'UDP')).toBe(true);
    expect(egressAdmits(api, dns, 53, [deny, ...rules], 'TCP')).toBe(false);
    // the destination's ingress still applies: the default deny isolates the database too
    expect(admits(api, db, 5432, [deny, ...rules])).toBe(false);
  });

  test('ipBlock matches addresses outside the pod network (with except), selectors match pods only', () => {
    const ext = [egress([{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['93.184.216.0/24'] } }], ports: [{ port: 443 }] }])];
    expect(egressAdmits(api, { ...outside, ip: '52.216.0.10' }, 443, [deny, ...ext])).toBe(true);
    expect(egressAdmits(api, outside, 443, [deny, ...ext])).toBe(false);
    expect(egressAdmits(api, db, 443, [deny, ...ext])).toBe(false);
    expect(egressAdmits(api, outside, 443, [deny, egress([{ to: [{ namespaceSelector: {} }], ports: [{ port: 443 }] }])])).toBe(false);
  });
});

/** Destinations probed for egress: DNS, the API server, an object store and the Internet, pods that are nobody's business. */
const EGRESS_PROBES: Array<{ pod: Pod; ports: Array<[number, string]> }> = [
  { pod: actor('dns', 'kube-system', { 'k8s-app': 'kube-dns' }), ports: [[53, 'UDP'], [53, 'TCP'], [80, 'TCP']] },
  { pod: { id: 'api-server', group: 'api-server', namespace: '', labels: {}, ports: {}, ip: '172.20.0.2' }, ports: [[443, 'TCP'], [6443, 'TCP']] },
  { pod: { id: 'internet', group: 'internet', namespace: '', labels: {}, ports: {}, ip: '93.184.216.34' }, ports: [[22, 'TCP'], [80, 'TCP'], [443, 'TCP'], [5432, 'TCP']] },
  { pod: actor('foreign', ELSEWHERE, { app: 'intruder' }), ports: [[80, 'TCP'], [443, 'TCP'], [5432, 'TCP'], [5672, 'TCP'], [9093, 'TCP']] },
  { pod: actor('intruder', NS, { app: 'intruder' }), ports: [[80, 'TCP'], [443, 'TCP'], [5432, 'TCP']] },
];

/** What each of the library's pods (a member of each data group, the jobs, the entity operator, the client) may send to. */
function egressMatrix(manifests: any[]): { [source: string]: string[] } {
  const data = dataPods(manifests);
  const policies = policiesOf(manifests);
  const firsts = [...new Map(data.map((p) => [p.group, p])).values()];
  const sources = [...firsts, ...workloadPods(manifests), actors(NS).find((a) => a.id === 'client')!];
  const out: { [source: string]: string[] } = {};
  for (const src of sources) {
    const reached = new Set<string>();
    for (const { pod, ports } of EGRESS_PROBES) for (const [port, proto] of ports) if (egressAdmits(src, pod, port, policies, proto)) reached.add(`${pod.id}:${port}/${proto}`);
    for (const dst of firsts) {
      for (const port of [...new Set([...Object.values(dst.ports), 80, 443, 6000, 6500])]) if (egressAdmits(src, dst, port, policies)) reached.add(`${dst.group}:${port}`);
    }
    out[src.group] = [...reached].sort();
  }
  return out;
}

/** The expected egress, written from what each pod needs. */
function expectedEgress(engine: EngineId, tier: Tier, groups: string[]): { [source: string]: string[] } {
  const dns = ['dns:53/TCP', 'dns:53/UDP'];
  const apiServer = ['api-server:443/TCP', 'api-server:6443/TCP', 'internet:443/TCP'];
  const prodLike = tier !== Tier.DEVELOPMENT;
  const m: { [source: string]: string[] } = {};
  const set = (k: string, ...e: string[]) => { m[k] = [...new Set(e)].sort(); };
  switch (engine) {
    case 'cnpg': {
      const peers = ['Cluster/db:5432', 'Cluster/db:8000', ...(groups.includes('Pooler/db-pooler-rw') ? ['Pooler/db-pooler-rw:5432'] : [])];
      for (const g of groups) set(g, ...dns, ...peers, ...apiServer);
      const sql = peers.filter((p) => p.endsWith(':5432'));
      set('Job/db-migrate', ...dns, ...sql);
      set('Job/db-grants', ...dns, ...sql);
      set('cnpg-join/db', ...dns, ...peers, ...apiServer);
      set('client', ...dns, ...sql);
      break;
    }
    case 'postgres-sts':
      set('StatefulSet/db', ...dns, 'StatefulSet/db:5432');
      set('Job/db-migrate', ...dns, 'StatefulSet/db:5432');
      if (prodLike) set('CronJob/db-backup', ...dns, 'StatefulSet/db:5432', 'api-server:443/TCP', 'internet:443/TCP');
      set('client', ...dns, 'StatefulSet/db:5432');
      break;
    case 'rabbitmq-operator':
    case 'rabbitmq-sts':
    case 'rabbitmq-sts-3.13': {
      const g = groups[0];
      set(g, ...dns, `${g}:4369`, `${g}:25672`, ...(engine === 'rabbitmq-sts-3.13' ? apiServer : []));
      set('client', ...dns, `${g}:5672`);
      break;
    }
    default: {
      // the ports each pool opens: controllers 9090; brokers replication 9091 and the TLS listener 9093 (not 8443: the operator's only)
      const opened: { [pool: string]: number[] } = prodLike
        ? { 'KafkaNodePool/brokers': [9091, 9093], 'KafkaNodePool/controllers': [9090] }
        : { 'KafkaNodePool/dual-role': [9090, 9091, 9093] };
      const all = Object.entries(opened).flatMap(([p, ports]) => ports.map((port) => `${p}:${port}`));
      // every node reads its PEM certificates from its Secrets through the API server (Strimzi's KubernetesSecretConfigProvider)
      for (const p of Object.keys(opened)) set(p, ...dns, ...all, ...apiServer);
      set('entity-operator/mq', ...dns, ...all.filter((e) => e.endsWith(':9091')), ...apiServer);
      set('client', ...dns, ...all.filter((e) => e.endsWith(':9093')));
    }
  }
  return m;
}

describe.each(ENGINES)('%s: egress of the library\'s pods (default deny in the namespace)', (engine) => {
  test.each(TIERS)('%s', (envName, tier) => {
    const s = scenario(engine, envName, tier, engine === 'cnpg' ? { pooler: true } : {});
    const matrix = egressMatrix(s.manifests);
    const groups = [...new Set(dataPods(s.manifests).map((p) => p.group))];
    expect(matrix).toEqual(expectedEgress(engine, tier, groups));
    // nobody reaches the Internet on anything but HTTPS, nor a foreign pod, nor the namespace's other pods
    for (const [src, reached] of Object.entries(matrix)) {
      expect({ src, leaks: reached.filter((e) => /^(foreign|intruder|internet:(22|80|5432))/.test(e)) }).toEqual({ src, leaks: [] });
    }
  });
});

test('without the default deny (Environment.defaultDenyNetworkPolicy false) nothing is rendered for it, and a bad value is a ValidationError', () => {
  const app = new GitOpsApp({ outdir: tmpdir() });
  const env = new Environment({ name: 'x', tier: Tier.PRODUCTION, namespace: 'x', defaultDenyNetworkPolicy: false });
  new EnvironmentChart(app, 'a', { environment: env });
  new EnvironmentChart(app, 'b', { environment: new Environment({ name: 'y', tier: Tier.PRODUCTION, namespace: 'y' }) });
  new EnvironmentChart(app, 'c', { environment: new Environment({ name: 'y', tier: Tier.PRODUCTION, namespace: 'y' }) });
  const nps = app.render().objects.map((o) => o.manifest).filter((m) => m.kind === 'NetworkPolicy');
  // one default deny per environment namespace, even with two charts
  expect(nps.map((m) => `${m.metadata.namespace}/${m.metadata.name}`)).toEqual(['y/default-deny']);
  expect(() => new Environment({ name: 'z', tier: Tier.PRODUCTION, namespace: 'z', defaultDenyNetworkPolicy: 'no' as any })).toThrow(/defaultDenyNetworkPolicy/);
});

describe('Strimzi\'s own admissions are exactly the documented exceptions', () => {
  test('the derived Kafka policy differs from a "declared peers only" policy by the operator peer and the metrics rule, nothing else', () => {
    for (const [envName, tier] of TIERS) {
      const s = scenario('kafka', envName, tier);
      const np = strimziNetworkPolicy(s.manifests.find((m) => m.kind === 'Kafka'));
      const emptyFrom = np.spec.ingress.filter((r: any) => r.from.length === 0);
      expect(emptyFrom).toEqual(tier === Tier.DEVELOPMENT ? [] : [STRIMZI_EXCEPTIONS.metricsRule]);
      const allNamespaces = np.spec.ingress.flatMap((r: any) => r.from).filter((p: any) => p.namespaceSelector && Object.keys(p.namespaceSelector).length === 0);
      expect(allNamespaces).toEqual([STRIMZI_EXCEPTIONS.operatorPeer, STRIMZI_EXCEPTIONS.operatorPeer, STRIMZI_EXCEPTIONS.operatorPeer]);
      // the listener (the only rule the library shapes) admits exactly the declared client
      expect(np.spec.ingress.find((r: any) => r.ports[0].port === 9093).from).toEqual([{ podSelector: { matchLabels: CLIENT_LABELS } }]);
    }
  });
});

describe('reference platform (examples/platform): the data services admit orders-api, their jobs, replicas, operators and monitoring only', () => {
  let out: ReturnType<GitOpsApp['render']>;
  beforeAll(() => { out = buildPlatform({ outdir: tmpdir() }).render(); });
  const api = 'Deployment/orders-api';

  test.each([['dev', 'orders-dev'], ['staging', 'orders-staging'], ['prod', 'orders']])('%s', (envName, ns) => {
    const manifests = out.objects.filter((o) => o.environment === envName).map((o) => o.manifest);
    const data = dataPods(manifests);
    const policies = policiesOf(manifests);
    expect(data.filter((p) => isolating(p, policies).length === 0).map((p) => p.id)).toEqual([]);
    for (const np of manifests.filter((m) => m.kind === 'NetworkPolicy' && m.metadata.name !== 'orders-api')) expect(checkRenderedPolicy(np)).toEqual([]);
    const matrix = matrixOf(manifests, ns);
    const dev = envName === 'dev';
    const pools = dev ? ['dual-role'] : ['brokers', 'controllers'];
    const kafka = (port: number, roles: 'broker' | 'controller' | 'all') => pools
      .filter((p) => roles === 'all' || p === 'dual-role' || (roles === 'broker' ? p === 'brokers' : p === 'controllers')).map((p) => `KafkaNodePool/${p}:${port}`);
    const db = dev ? 'StatefulSet/orders-db' : 'Cluster/orders-db';
    const mq = dev ? 'StatefulSet/orders-events' : 'RabbitmqCluster/orders-events';
    // Strimzi's metrics port is open to every pod, but the namespace's pods reach only what their egress allows
    const metrics = (k: string) => (dev || SOURCE_NAMESPACE.get(k) === ns ? [] : kafka(9404, 'all'));
    const expected: { [source: string]: string[] } = Object.fromEntries(Object.keys(matrix).map((k) => [k, metrics(k)]));
    const set = (k: string, ...e: string[]) => {
      expect(Object.keys(matrix)).toContain(k);
      expected[k] = [...new Set([...e, ...metrics(k)])].sort();
    };
    // the inventory database on MariaDB: a StatefulSet in development (the operator's MariaDB elsewhere is not a pod template)
    const inventory = dev ? ['StatefulSet/inventory-db:3306'] : [];
    set(api, `${db}:5432`, `${mq}:5672`, ...kafka(9093, 'broker'), ...inventory);
    if (dev) set('peer:StatefulSet/inventory-db', ...inventory);
    set('Job/orders-db-migrate', `${db}:5432`);
    set(`peer:${db}`, `${db}:5432`);
    set(`peer:${mq}`, `${mq}:4369`, `${mq}:25672`);
    for (const p of pools) set(`peer:KafkaNodePool/${p}`, ...kafka(9090, 'controller'), ...kafka(9091, 'broker'));
    set('entity-operator/analytics', ...kafka(9091, 'broker'));
    for (const op of ['strimzi-operator', 'strimzi-operator-lookalike']) set(op, ...kafka(8443, 'all'), ...kafka(9090, 'controller'), ...kafka(9091, 'broker'));
    if (dev) {
      set('prometheus');
    } else {
      set('cnpg-operator', `${db}:5432`, `${db}:8000`);
      set('cnpg-join/orders-db', `${db}:5432`);
      set('Job/orders-db-grants', `${db}:5432`);
      for (const op of ['rabbitmq-cluster-operator', 'messaging-topology-operator']) set(op, `${mq}:15672`);
      set('prometheus', `${db}:9187`, `${mq}:15692`);
    }
    expect(matrix).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// RBAC
// ---------------------------------------------------------------------------------------------

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ServiceAccount']);
const DEPLOYER = 'gitops-deployer';
const DEPLOYER_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** The Role of the RabbitMQ StatefulSet engine before 4.1 (the peer discovery reads the headless Service's endpoints). */
const PEER_DISCOVERY_RULES = [
  { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** The REST resource of every kind the scenarios render (what an RBAC rule names). */
const RESOURCES: { [kind: string]: string } = Object.fromEntries([
  'ConfigMap=configmaps', 'Service=services', 'ServiceAccount=serviceaccounts', 'Secret=secrets', 'PersistentVolumeClaim=persistentvolumeclaims',
  'StatefulSet=statefulsets', 'Deployment=deployments', 'Job=jobs', 'CronJob=cronjobs', 'NetworkPolicy=networkpolicies',
  'PodDisruptionBudget=poddisruptionbudgets', 'Role=roles', 'RoleBinding=rolebindings', 'ExternalSecret=externalsecrets',
  'PodMonitor=podmonitors', 'PrometheusRule=prometheusrules', 'Cluster=clusters', 'ScheduledBackup=scheduledbackups', 'Pooler=poolers',
  'Database=databases', 'ObjectStore=objectstores', 'RabbitmqCluster=rabbitmqclusters', 'Vhost=vhosts', 'Queue=queues', 'Exchange=exchanges',
  'Binding=bindings', 'User=users', 'Permission=permissions', 'Policy=policies', 'Kafka=kafkas', 'KafkaNodePool=kafkanodepools',
  'KafkaTopic=kafkatopics', 'KafkaUser=kafkausers', 'MariaDB=mariadbs', 'Grant=grants', 'Backup=backups', 'PhysicalBackup=physicalbackups',
  'PointInTimeRecovery=pointintimerecoveries',
].map((pair) => pair.split('=')));

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/** One rendered output: its objects (namespaced ones with their environment). */
interface Rendered {
  readonly label: string;
  readonly objects: Array<{ environment?: string; manifest: any }>;
}

function scenarioOutputs(): Rendered[] {
  const outs: Rendered[] = [];
  for (const engine of ENGINES) {
    for (const [envName, tier] of TIERS) {
      for (const o of [{}, { tls: isRabbit(engine) }, { pooler: engine === 'cnpg', second: 'workload' as const }]) {
        outs.push({ label: `${engine}/${envName}/${JSON.stringify(o)}`, objects: scenario(engine, envName, tier, o).all });
      }
    }
  }
  return outs;
}

/** The problems of the RBAC objects of one output (empty: least privilege, namespace-scoped). */
function rbacProblems(r: Rendered): string[] {
  const problems: string[] = [];
  const manifests = r.objects.map((o) => o.manifest);
  const key = (m: any) => `${m.kind} ${m.metadata.namespace ?? '(cluster)'}/${m.metadata.name}`;
  const find = (kind: string, ns: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.namespace === ns && m.metadata.name === name);
  for (const m of manifests) {
    if (!RBAC_KINDS.has(m.kind)) continue;
    const where = `${r.label}: ${key(m)}`;
    if (m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding') problems.push(`${where}: cluster-scoped RBAC`);
    if (!m.metadata.namespace) problems.push(`${where}: no namespace`);
    if (m.kind === 'Role') {
      for (const rule of m.rules ?? []) {
        if (rule.verbs.includes('*')) problems.push(`${where}: verb *`);
        for (const v of ['escalate', 'bind', 'impersonate']) if (rule.verbs.includes(v)) problems.push(`${where}: verb ${v}`);
        if ((rule.apiGroups ?? []).includes('*')) problems.push(`${where}: apiGroup *`);
        if ((rule.resources ?? []).includes('secrets') && rule.verbs.some((v: string) => v === 'list' || v === 'watch')) problems.push(`${where}: lists / watches secrets`);
        if (rule.nonResourceURLs) problems.push(`${where}: nonResourceURLs`);
      }
      for (const rule of m.rules ?? []) {
        if ((rule.resources ?? []).includes('*')) problems.push(`${where}: resources *`);
        for (const sub of ['pods/exec', 'pods/attach', 'pods/portforward', 'serviceaccounts/token']) if ((rule.resources ?? []).includes(sub)) problems.push(`${where}: ${sub}`);
      }
      if (m.metadata.name === DEPLOYER) {
        // the Flux deployer may apply exactly the resources its environment renders, per API group (no
        // Secrets unless the environment renders one), plus the rules of the Roles it applies (RBAC
        // refuses to let an account create a Role granting more than it holds)
        const ns = m.metadata.namespace;
        const env = r.objects.filter((o) => o.environment !== undefined && o.manifest.metadata.namespace === ns);
        if (env.length === 0) problems.push(`${where}: no environment objects in its namespace`);
        const byGroup = new Map<string, Set<string>>();
        for (const o of env) {
          const resource = RESOURCES[o.manifest.kind];
          if (!resource) { problems.push(`${where}: kind ${o.manifest.kind} has no known resource name (add it to RESOURCES)`); continue; }
          const set = byGroup.get(groupOf(o.manifest.apiVersion)) ?? new Set<string>();
          byGroup.set(groupOf(o.manifest.apiVersion), set.add(resource));
        }
        const expected: any[] = [...byGroup].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([g, set]) => ({ apiGroups: [g], resources: [...set].sort(), verbs: DEPLOYER_VERBS }));
        // Flux's health checks (wait) list what workloads generate: a Deployment's ReplicaSets and Pods, a StatefulSet's Pods
        const read = new Map<string, Set<string>>();
        const has = (g: string, res: string) => byGroup.get(g)?.has(res) === true;
        const readAlso = (g: string, res: string) => { if (!has(g, res)) read.set(g, (read.get(g) ?? new Set<string>()).add(res)); };
        if (has('apps', 'deployments')) { readAlso('apps', 'replicasets'); readAlso('', 'pods'); }
        if (has('apps', 'statefulsets')) readAlso('', 'pods');
        expected.push(...[...read].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([g, set]) => ({ apiGroups: [g], resources: [...set].sort(), verbs: ['get', 'list', 'watch'] })));
        // and get / delete on every other kind the library renders, for a layer to prune the last one of its kind
        for (const [g, names] of prunableResources()) {
          const left = names.filter((n) => !has(g, n));
          if (left.length > 0) expected.push({ apiGroups: [g], resources: left, verbs: ['get', 'delete'] });
        }
        for (const o of env) {
          const resource = RESOURCES[o.manifest.kind];
          if (resource && !prunableResources().some(([g, names]) => g === groupOf(o.manifest.apiVersion) && names.includes(resource))) {
            problems.push(`${where}: ${o.manifest.kind} is rendered but not in prunableResources() (its last object could not be pruned)`);
          }
        }
        for (const role of env.filter((o) => o.manifest.kind === 'Role')) expected.push(...role.manifest.rules);
        if (JSON.stringify(m.rules) !== JSON.stringify(expected)) problems.push(`${where}: rules ${JSON.stringify(m.rules)}, expected ${JSON.stringify(expected)}`);
        if (!env.some((o) => o.manifest.kind === 'Secret') && m.rules.some((rule: any) => rule.resources.includes('secrets'))) problems.push(`${where}: grants secrets`);
      } else if (/-peer-discovery$/.test(m.metadata.name)) {
        if (JSON.stringify(m.rules) !== JSON.stringify(PEER_DISCOVERY_RULES)) problems.push(`${where}: rules ${JSON.stringify(m.rules)}`);
        if (m.rules.some((rule: any) => rule.resources.includes('*'))) problems.push(`${where}: resources *`);
      } else {
        problems.push(`${where}: a Role this test does not know (add its exact rules)`);
      }
    }
    if (m.kind === 'RoleBinding') {
      const ns = m.metadata.namespace;
      if (m.roleRef.kind !== 'Role' || m.roleRef.apiGroup !== 'rbac.authorization.k8s.io') problems.push(`${where}: binds ${m.roleRef.kind} ${m.roleRef.name}`);
      else if (!find('Role', ns, m.roleRef.name)) problems.push(`${where}: Role ${m.roleRef.name} is not rendered in ${ns}`);
      for (const s of m.subjects ?? []) {
        // the Flux deployer binding grants the account flux-system/gitops-deployer-<env> (rendered with the
        // Flux wiring, impersonated by that environment's Kustomizations) the deployer Role here
        const deployerAccount = m.metadata.name === DEPLOYER && s.kind === 'ServiceAccount' && s.namespace === 'flux-system' && /^gitops-deployer-[a-z0-9-]+$/.test(s.name);
        if (s.kind !== 'ServiceAccount') problems.push(`${where}: subject ${s.kind} ${s.name}`);
        else if (deployerAccount) continue;
        else if (s.namespace !== ns) problems.push(`${where}: ServiceAccount of namespace ${s.namespace}`);
        else if (!find('ServiceAccount', ns, s.name)) problems.push(`${where}: ServiceAccount ${s.name} is not rendered in ${ns}`);
      }
      if ((m.subjects ?? []).length === 0) problems.push(`${where}: no subjects`);
    }
    if (m.kind === 'ServiceAccount') {
      const bound = manifests.some((b) => b.kind === 'RoleBinding' && b.metadata.namespace === m.metadata.namespace
        && (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === m.metadata.name && s.namespace === m.metadata.namespace));
      // the deployer is impersonated by Flux (no pod): no token; a pod's ServiceAccount mounts one only when the pod uses the API (then it is bound)
      const needsApi = m.metadata.name !== DEPLOYER && bound;
      if (m.automountServiceAccountToken !== needsApi) problems.push(`${where}: automountServiceAccountToken ${m.automountServiceAccountToken}, expected ${needsApi}`);
    }
  }
  return problems;
}

/** Every pod template of an output, with whether it mounts an API token. */
function tokenMounts(manifests: any[]): string[] {
  const mounts: string[] = [];
  for (const m of manifests) {
    const spec = m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec
      : ['StatefulSet', 'Deployment', 'Job', 'DaemonSet', 'ReplicaSet'].includes(m.kind) ? m.spec.template.spec : undefined;
    if (!spec) continue;
    const sa = manifests.find((s) => s.kind === 'ServiceAccount' && s.metadata.namespace === m.metadata.namespace && s.metadata.name === (spec.serviceAccountName ?? 'default'));
    const mounted = spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
    if (mounted) mounts.push(`${m.kind}/${m.metadata.name} as ${spec.serviceAccountName ?? 'default'}`);
  }
  return mounts.sort();
}

/** Every key path of a JSON value (a stable key order for JSON.stringify). */
function flatten(v: any, out: { [key: string]: true } = {}): { [key: string]: true } {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (!Array.isArray(v)) out[k] = true;
      flatten(x, out);
    }
  }
  return out;
}

/** Every YAML document under a directory. */
function yamlDocs(dir: string): Array<{ file: string; doc: any }> {
  const out: Array<{ file: string; doc: any }> = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(e.name)) for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, child), 'utf8'))) out.push({ file: child, doc: d.toJSON() });
    }
  };
  walk('');
  return out;
}

describe('RBAC the library renders is namespace-scoped and least-privilege', () => {
  let outputs: Rendered[];
  beforeAll(() => { outputs = scenarioOutputs(); });

  test('every engine configuration, every tier, with the Flux and Argo CD wiring', () => {
    expect(outputs.length).toBe(ENGINES.length * TIERS.length * 3);
    expect(outputs.flatMap(rbacProblems)).toEqual([]);
  });

  test('exactly these RBAC objects: the Flux deployer per environment, and the peer discovery of RabbitMQ < 4.1 on a StatefulSet', () => {
    const inventory = new Map<string, Set<string>>();
    for (const r of outputs) {
      const engine = r.label.split('/')[0];
      const set = inventory.get(engine) ?? new Set<string>();
      for (const o of r.objects) if (RBAC_KINDS.has(o.manifest.kind)) set.add(`${o.manifest.kind}/${o.manifest.metadata.name}:${o.manifest.automountServiceAccountToken ?? '-'}`);
      inventory.set(engine, set);
    }
    // the deployer's ServiceAccount lives in flux-system, with the Flux wiring (clusters/<cluster>/)
    const deployer = ['Role/gitops-deployer:-', 'RoleBinding/gitops-deployer:-'];
    expect(Object.fromEntries([...inventory].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      'cnpg': deployer,
      'postgres-sts': deployer,
      'rabbitmq-operator': deployer,
      'rabbitmq-sts': [...deployer, 'ServiceAccount/mq:false'].sort(),
      'rabbitmq-sts-3.13': [...deployer, 'Role/mq-peer-discovery:-', 'RoleBinding/mq-peer-discovery:-', 'ServiceAccount/mq:true'].sort(),
      'kafka': deployer,
      'kafka-mtls': deployer,
    });
  });

  test('only the RabbitMQ < 4.1 brokers mount an API token (peer discovery); every other pod template opts out', () => {
    const mounts = new Map<string, Set<string>>();
    for (const r of outputs) {
      const engine = r.label.split('/')[0];
      const set = mounts.get(engine) ?? new Set<string>();
      tokenMounts(r.objects.map((o) => o.manifest)).forEach((m) => set.add(m));
      mounts.set(engine, set);
    }
    // the cdk8s-plus Deployment of the "workload" client is the test's, not the library's: it mounts none either
    expect(Object.fromEntries([...mounts].map(([k, v]) => [k, [...v]]))).toEqual({
      'cnpg': [], 'postgres-sts': [], 'rabbitmq-operator': [], 'rabbitmq-sts': [], 'rabbitmq-sts-3.13': ['StatefulSet/mq as mq'], 'kafka': [], 'kafka-mtls': [],
    });
  });

  test('the deployer Role follows the environment: rbac.authorization.k8s.io only where a Role is rendered', () => {
    const deployerRules = (r: Rendered) => r.objects.find((o) => o.manifest.kind === 'Role' && o.manifest.metadata.name === DEPLOYER)!.manifest.rules;
    // the groups it may write to (the others it may only read and delete, to prune)
    const deployerGroups = (r: Rendered) => [...new Set(deployerRules(r).filter((rule: any) => rule.verbs.includes('create')).map((rule: any) => rule.apiGroups[0]))];
    const byLabel = new Map(outputs.map((r) => [r.label, r]));
    expect(deployerGroups(byLabel.get('rabbitmq-sts-3.13/prod/{}')!)).toEqual(['', 'apps', 'external-secrets.io', 'monitoring.coreos.com', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io']);
    expect(deployerGroups(byLabel.get('rabbitmq-sts/prod/{}')!)).toEqual(['', 'apps', 'external-secrets.io', 'monitoring.coreos.com', 'networking.k8s.io', 'policy']);
    // the core group for the grants Job's ConfigMap
    expect(deployerGroups(byLabel.get('cnpg/dev/{}')!)).toEqual(['', 'batch', 'external-secrets.io', 'networking.k8s.io', 'postgresql.cnpg.io']);
    expect(deployerGroups(byLabel.get('cnpg/prod/{}')!)).toEqual(['', 'barmancloud.cnpg.io', 'batch', 'external-secrets.io', 'monitoring.coreos.com', 'networking.k8s.io', 'postgresql.cnpg.io']);
    expect(deployerGroups(byLabel.get('kafka/prod/{}')!)).toEqual(['external-secrets.io', 'kafka.strimzi.io', 'monitoring.coreos.com', 'networking.k8s.io']);
    // named resources, not `*`: the core group of the RabbitMQ StatefulSet engine holds no secrets, no pods/exec, no tokens
    expect(deployerRules(byLabel.get('rabbitmq-sts-3.13/prod/{}')!).filter((rule: any) => rule.apiGroups[0] === '')).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'serviceaccounts', 'services'], verbs: DEPLOYER_VERBS },
      // Flux's wait reads the StatefulSet's Pods: read only
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      // the peer-discovery Role it applies: an account can only grant what it holds
      { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
  });

  test('a deployer Role that misses a group, or a binding to another namespace, is caught (the check can fail)', () => {
    const r = outputs[0];
    const mutate = (f: (m: any) => void): Rendered => ({ label: 'mutated', objects: r.objects.map((o) => { const m = JSON.parse(JSON.stringify(o.manifest)); f(m); return { ...o, manifest: m }; }) });
    expect(rbacProblems(mutate((m) => { if (m.kind === 'Role') m.rules[0].apiGroups.pop(); })).join('\n')).toMatch(/Role shop\/gitops-deployer: rules/);
    expect(rbacProblems(mutate((m) => { if (m.kind === 'RoleBinding') m.subjects[0].namespace = 'kube-system'; })).join('\n')).toMatch(/ServiceAccount of namespace kube-system/);
    expect(rbacProblems(mutate((m) => { if (m.kind === 'Role') m.rules[0].verbs.push('escalate'); })).join('\n')).toMatch(/verb escalate/);
    // (the deployer's account is in flux-system now: a RabbitMQ StatefulSet output has a pod ServiceAccount)
    const sts = outputs.find((o) => o.label.startsWith('rabbitmq-sts/'))!;
    const withToken: Rendered = { label: 'mutated', objects: sts.objects.map((o) => (o.manifest.kind === 'ServiceAccount' ? { ...o, manifest: { ...o.manifest, automountServiceAccountToken: true } } : o)) };
    expect(rbacProblems(withToken).join('\n')).toMatch(/automountServiceAccountToken true, expected false/);
    expect(rbacProblems(mutate((m) => { if (m.kind === 'RoleBinding') m.roleRef.kind = 'ClusterRole'; })).join('\n')).toMatch(/binds ClusterRole/);
    // the Role of before: every resource of each group it uses (Secrets, pods/exec, serviceaccounts/token included)
    expect(rbacProblems(mutate((m) => { if (m.kind === 'Role') m.rules = [{ apiGroups: [''], resources: ['*'], verbs: DEPLOYER_VERBS }]; })).join('\n')).toMatch(/resources \*/);
    expect(rbacProblems(mutate((m) => { if (m.kind === 'Role') m.rules[0].resources.push('secrets'); })).join('\n')).toMatch(/grants secrets/);
  });

  test('reference platform: render and the committed dist/ hold the same RBAC, and it passes', () => {
    const out = buildPlatform({ outdir: tmpdir() }).render();
    expect(rbacProblems({ label: 'platform', objects: out.objects })).toEqual([]);
    expect(tokenMounts(out.objects.map((o) => o.manifest))).toEqual([]);

    const dist = path.resolve(__dirname, '../../dist');
    const docs = yamlDocs(dist).filter((d) => d.doc && typeof d.doc === 'object' && typeof d.doc.kind === 'string');
    const rbac = docs.filter((d) => RBAC_KINDS.has(d.doc.kind));
    // no cluster-scoped RBAC anywhere in the GitOps repository (hydrated, kustomize base / overlays, wiring)
    expect(rbac.filter((d) => d.doc.kind.startsWith('Cluster')).map((d) => d.file)).toEqual([]);
    // the hydrated layers: the environments' objects (rendered/) and the platform layer (platform/)
    const hydrated = docs.filter((d) => /^(rendered|platform)\//.test(d.file)).map((d) => ({
      environment: /^rendered\/([^/]+)\//.exec(d.file)?.[1],
      manifest: d.doc,
    }));
    expect(rbacProblems({ label: 'dist', objects: hydrated })).toEqual([]);
    // the committed RBAC is the rendered RBAC, object for object
    const rbacOf = (objects: Array<{ manifest: any }>) => objects.map((o) => o.manifest).filter((m) => RBAC_KINDS.has(m.kind))
      .map((m) => JSON.stringify(m, Object.keys(flatten(m)).sort())).sort();
    expect(rbacOf(hydrated)).toEqual(rbacOf(out.objects));
    expect(tokenMounts(hydrated.map((o) => o.manifest))).toEqual([]);
    expect(hydrated.filter((o) => RBAC_KINDS.has(o.manifest.kind)).map((o) => `${o.manifest.kind} ${o.manifest.metadata.namespace}/${o.manifest.metadata.name}`).sort()).toEqual([
      'Role orders-dev/gitops-deployer', 'Role orders-staging/gitops-deployer', 'Role orders/gitops-deployer',
      'RoleBinding orders-dev/gitops-deployer', 'RoleBinding orders-staging/gitops-deployer', 'RoleBinding orders/gitops-deployer',
      'ServiceAccount orders-dev/orders-api', 'ServiceAccount orders-dev/orders-events',
      'ServiceAccount orders-staging/orders-api',
      'ServiceAccount orders/orders-api',
    ]);
    // the kustomize copies carry the same objects: every ServiceAccount opts out of the token, no Role but the deployer's
    for (const d of rbac) {
      if (d.doc.kind === 'ServiceAccount') expect({ file: d.file, automount: d.doc.automountServiceAccountToken }).toEqual({ file: d.file, automount: false });
      if (d.doc.kind === 'Role') expect({ file: d.file, name: d.doc.metadata.name }).toEqual({ file: d.file, name: DEPLOYER });
    }
  });
});
