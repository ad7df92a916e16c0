import { KafkaAuthentication, QueueProtocol } from './types';
import { invalid, isDnsLabel } from '../private/names';
import { SecretSource } from '../secrets/secret-source';

/**
 * The engines a MessageQueue can render to.
 */
export enum QueueEngineKind {
  /** The RabbitMQ Cluster Operator (`RabbitmqCluster`) and Messaging Topology Operator (`rabbitmq.com`). */
  RABBITMQ_OPERATOR = 'rabbitmq-operator',
  /** A plain RabbitMQ StatefulSet: no operator, topology loaded from definitions at start. */
  RABBITMQ_STATEFULSET = 'rabbitmq-statefulset',
  /** Apache Kafka on the Strimzi operator (`kafka.strimzi.io/v1`, KRaft only). */
  STRIMZI_KAFKA = 'strimzi-kafka',
}

/**
 * Options of the RabbitMQ operator engine.
 */
export interface RabbitmqOperatorEngineOptions {
  /**
   * RabbitMQ version, pinned as `MAJOR.MINOR.PATCH` (e.g. `4.1.4`), 3.10 to 4.2.
   */
  readonly version: string;

  /**
   * Image repository; the tag is `<version>-management` (the operator needs the management plugin).
   *
   * @default "docker.io/library/rabbitmq"
   */
  readonly imageRepository?: string;

  /**
   * Namespace of the cluster and topology operators (admitted by the NetworkPolicy on the management port).
   *
   * @default "rabbitmq-system"
   */
  readonly operatorNamespace?: string;

  /**
   * Extra `rabbitmq.conf` settings (`spec.rabbitmq.additionalConfig`), e.g.
   * `{ 'vm_memory_high_watermark.relative': '0.6' }`. Listener, TLS, peer discovery and
   * definitions settings are managed by the engine.
   *
   * @default - none
   */
  readonly additionalConfig?: { [key: string]: string };
}

/**
 * Options of the RabbitMQ StatefulSet engine.
 */
export interface RabbitmqStatefulSetEngineOptions {
  /**
   * RabbitMQ version, pinned as `MAJOR.MINOR.PATCH` (e.g. `3.13.7`), 3.10 to 4.2. The rendered
   * `rabbitmq.conf` and definitions follow it.
   */
  readonly version: string;

  /**
   * Image repository (the tag is the version); the official image layout is assumed (uid 999,
   * `/var/lib/rabbitmq`, `sh` and `awk` for the init step).
   *
   * @default "docker.io/library/rabbitmq"
   */
  readonly imageRepository?: string;

  /**
   * The Erlang cookie the brokers authenticate each other with: a Secret with a `cookie` key.
   *
   * @default - the environment's secret backend, secret `<queue name>-erlang-cookie`
   */
  readonly erlangCookie?: SecretSource;

  /**
   * Extra `rabbitmq.conf` settings, e.g. `{ 'vm_memory_high_watermark.relative': '0.6' }`.
   * Listener, TLS, logging, peer discovery and definitions settings are managed by the engine.
   *
   * @default - none
   */
  readonly additionalConfig?: { [key: string]: string };
}

/**
 * Options of the Strimzi Kafka engine.
 */
export interface StrimziKafkaEngineOptions {
  /**
   * Kafka version, pinned as `MAJOR.MINOR.PATCH` (e.g. `4.1.0`); Kafka 4 (KRaft only).
   */
  readonly version: string;

  /**
   * KRaft metadata version (`spec.kafka.metadataVersion`), e.g. `4.1-IV1`.
   *
   * @default - the default of the Kafka version
   */
  readonly metadataVersion?: string;

  /**
   * How clients authenticate on the listener.
   *
   * @default KafkaAuthentication.SCRAM_SHA_512
   */
  readonly authentication?: KafkaAuthentication;

  /**
   * Dedicated KRaft controllers (a `controllers` KafkaNodePool); 0 runs the controllers on the
   * brokers (one `dual-role` pool). 3 or 5 when set.
   *
   * @default - 0 in development, 3 in staging and production
   */
  readonly controllerReplicas?: number;

  /**
   * Extra broker settings (`spec.kafka.config`), e.g. `{ 'num.io.threads': '16' }`. Settings
   * Strimzi forbids (listeners, TLS, SASL, passwords...) and the replication and retention
   * defaults the MessageQueue manages are rejected.
   *
   * @default - none
   */
  readonly additionalConfig?: { [key: string]: string };
}

/** RabbitMQ MAJOR.MINOR versions the engines render for. */
const RABBITMQ_MINORS = ['3.10', '3.11', '3.12', '3.13', '4.0', '4.1', '4.2'];
const REPOSITORY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([-_.a-z0-9]*[a-z0-9])?)+$/;

/** rabbitmq.conf prefixes the RabbitMQ engines manage. */
const RABBITMQ_MANAGED = ['cluster_formation.', 'definitions.', 'load_definitions', 'listeners.', 'ssl_options.', 'log.', 'cluster_partition_handling',
  'default_user', 'default_pass', 'default_vhost', 'default_permissions.', 'default_user_tags.', 'prometheus.tcp.', 'management.tcp.'];
/** Kafka settings Strimzi forbids in `spec.kafka.config` (and the replication defaults the MessageQueue manages). */
const KAFKA_FORBIDDEN = ['listeners', 'advertised.', 'broker.', 'listener.', 'host.name', 'port', 'inter.broker.listener.name', 'sasl.', 'ssl.',
  'security.', 'password.', 'log.dir', 'zookeeper.', 'authorizer.', 'super.user', 'node.id', 'process.roles', 'controller.', 'metadata.log.dir',
  'cruise.control.metrics.', 'default.replication.factor', 'min.insync.replicas', 'offsets.topic.replication.factor', 'transaction.state.log.',
  'auto.create.topics.enable', 'delete.topic.enable'];

/**
 * The backend a MessageQueue renders to.
 */
export abstract class QueueEngine {
  /**
   * RabbitMQ on the Cluster Operator: `RabbitmqCluster`, and the Messaging Topology Operator's
   * `Vhost`, `Queue`, `Exchange`, `Binding`, `User`, `Permission` and `Policy` (Vhost and Queue
   * with `deletionPolicy: retain`), a PodDisruptionBudget, NetworkPolicy and monitoring.
   */
  public static rabbitmqOperator(options: RabbitmqOperatorEngineOptions): QueueEngine {
    const where = 'QueueEngine.rabbitmqOperator';
    const version = requireRabbitmqVersion(where, options?.version);
    const repository = requireRepository(where, options.imageRepository ?? 'docker.io/library/rabbitmq', 'docker.io/library/rabbitmq');
    const operatorNamespace = options.operatorNamespace ?? 'rabbitmq-system';
    if (!isDnsLabel(operatorNamespace)) throw invalid(where, 'INVALID_NAME', 'operatorNamespace', operatorNamespace, 'a namespace name (DNS-1123 label)');
    return new SimpleQueueEngine({
      kind: QueueEngineKind.RABBITMQ_OPERATOR,
      protocol: QueueProtocol.AMQP,
      version,
      image: `${repository}:${version}-management`,
      operatorNamespace,
      additionalConfig: requireRabbitmqConfig(where, options.additionalConfig),
    });
  }

  /**
   * RabbitMQ as a plain StatefulSet (no operator): Kubernetes peer discovery, `rabbitmq.conf` and
   * definitions (vhost, exchanges, queues, bindings, policies, users, permissions) in a ConfigMap,
   * passwords merged into the definitions from the users' Secrets by an init step at start.
   */
  public static rabbitmqStatefulSet(options: RabbitmqStatefulSetEngineOptions): QueueEngine {
    const where = 'QueueEngine.rabbitmqStatefulSet';
    const version = requireRabbitmqVersion(where, options?.version);
    const repository = requireRepository(where, options.imageRepository ?? 'docker.io/library/rabbitmq', 'docker.io/library/rabbitmq');
    if (options.erlangCookie !== undefined && !(options.erlangCookie instanceof SecretSource)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'erlangCookie', options.erlangCookie, 'a SecretSource with a `cookie` key');
    }
    return new SimpleQueueEngine({
      kind: QueueEngineKind.RABBITMQ_STATEFULSET,
      protocol: QueueProtocol.AMQP,
      version,
      image: `${repository}:${version}`,
      erlangCookie: options.erlangCookie,
      additionalConfig: requireRabbitmqConfig(where, options.additionalConfig),
    });
  }

  /**
   * Apache Kafka on Strimzi (KRaft only, `kafka.strimzi.io/v1`): `Kafka`, `KafkaNodePool`s,
   * `KafkaTopic`s and `KafkaUser`s with ACLs from the declared permissions, a TLS listener and metrics.
   */
  public static strimziKafka(options: StrimziKafkaEngineOptions): QueueEngine {
    const where = 'QueueEngine.strimziKafka';
    const v = options?.version;
    if (typeof v !== 'string' || !/^4\.[0-9]\.[0-9]+$/.test(v)) {
      throw invalid(where, 'INVALID_VERSION', 'version', v, 'a pinned Kafka 4 version MAJOR.MINOR.PATCH (e.g. "4.1.0"; Strimzi 1.x runs KRaft-only Kafka 4)');
    }
    if (options.metadataVersion !== undefined && (typeof options.metadataVersion !== 'string' || !/^4\.[0-9]-IV[0-9]+$/.test(options.metadataVersion))) {
      throw invalid(where, 'INVALID_VERSION', 'metadataVersion', options.metadataVersion, 'a KRaft metadata version such as "4.1-IV1"');
    }
    const authentication = options.authentication ?? KafkaAuthentication.SCRAM_SHA_512;
    if (!Object.values(KafkaAuthentication).includes(authentication)) {
      throw invalid(where, 'INVALID_VALUE', 'authentication', authentication, 'KafkaAuthentication.SCRAM_SHA_512 or KafkaAuthentication.TLS');
    }
    const controllers = options.controllerReplicas;
    if (controllers !== undefined && ![0, 3, 5].includes(controllers)) {
      throw invalid(where, 'INVALID_VALUE', 'controllerReplicas', controllers, '0 (controllers on the brokers), 3 or 5 (a KRaft quorum)');
    }
    const additionalConfig: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.additionalConfig ?? {})) {
      if (!/^[a-z0-9]+(\.[a-z0-9_-]+)*$/.test(key)) throw invalid(where, 'INVALID_CONFIG', 'additionalConfig key', key, 'a Kafka broker setting such as "num.io.threads"');
      const forbidden = KAFKA_FORBIDDEN.find((p) => key === p || (p.endsWith('.') && key.startsWith(p)));
      if (forbidden) {
        throw invalid(where, 'INVALID_CONFIG', 'additionalConfig key', key,
          `a setting Strimzi accepts and the MessageQueue does not manage (not ${forbidden}*: use the MessageQueue props or the topic options)`);
      }
      if (typeof value !== 'string' || value.length === 0 || /[\r\n]/.test(value)) {
        throw invalid(where, 'INVALID_CONFIG', `additionalConfig["${key}"]`, value, 'a non-empty single-line string');
      }
      additionalConfig[key] = value;
    }
    return new SimpleQueueEngine({
      kind: QueueEngineKind.STRIMZI_KAFKA,
      protocol: QueueProtocol.KAFKA,
      version: v,
      metadataVersion: options.metadataVersion,
      authentication,
      controllerReplicas: controllers,
      additionalConfig,
    });
  }

  /** The engine. */
  public abstract readonly kind: QueueEngineKind;
  /** The protocol its clients speak. */
  public abstract readonly protocol: QueueProtocol;
  /** Version of RabbitMQ or Kafka, `MAJOR.MINOR.PATCH`. */
  public abstract readonly version: string;
  /**
   * Image, pinned by the version tag.
   *
   * @default - chosen by the operator from the version (Strimzi)
   */
  public abstract readonly image?: string;
  /**
   * Namespace of the operator.
   *
   * @default - no operator, or not needed (Strimzi renders its own NetworkPolicies)
   */
  public abstract readonly operatorNamespace?: string;
  /**
   * Kafka listener authentication.
   *
   * @default - not Kafka
   */
  public abstract readonly authentication?: KafkaAuthentication;
  /**
   * Dedicated KRaft controllers.
   *
   * @default - not Kafka, or tier-dependent
   */
  public abstract readonly controllerReplicas?: number;
  /**
   * KRaft metadata version.
   *
   * @default - the Kafka version's default
   */
  public abstract readonly metadataVersion?: string;
  /**
   * Erlang cookie source (RabbitMQ StatefulSet).
   *
   * @default - the environment's secret backend
   */
  public abstract readonly erlangCookie?: SecretSource;
  /** Extra broker settings, sorted by key. */
  public abstract readonly additionalConfig: { [key: string]: string };

  /** `[major, minor]` of the version. */
  public get versionParts(): number[] {
    return this.version.split('.').slice(0, 2).map(Number);
  }

  /** True if the version is at least `major.minor`. */
  public isAtLeast(major: number, minor: number): boolean {
    const [ma, mi] = this.versionParts;
    return ma > major || (ma === major && mi >= minor);
  }
}

interface EngineSettings {
  readonly kind: QueueEngineKind;
  readonly protocol: QueueProtocol;
  readonly version: string;
  readonly image?: string;
  readonly operatorNamespace?: string;
  readonly authentication?: KafkaAuthentication;
  readonly controllerReplicas?: number;
  readonly metadataVersion?: string;
  readonly erlangCookie?: SecretSource;
  readonly additionalConfig: Record<string, string>;
}

class SimpleQueueEngine extends QueueEngine {
  public readonly kind: QueueEngineKind;
  public readonly protocol: QueueProtocol;
  public readonly version: string;
  public readonly image?: string;
  public readonly operatorNamespace?: string;
  public readonly authentication?: KafkaAuthentication;
  public readonly controllerReplicas?: number;
  public readonly metadataVersion?: string;
  public readonly erlangCookie?: SecretSource;
  public readonly additionalConfig: { [key: string]: string };

  public constructor(s: EngineSettings) {
    super();
    this.kind = s.kind;
    this.protocol = s.protocol;
    this.version = s.version;
    this.image = s.image;
    this.operatorNamespace = s.operatorNamespace;
    this.authentication = s.authentication;
    this.controllerReplicas = s.controllerReplicas;
    this.metadataVersion = s.metadataVersion;
    this.erlangCookie = s.erlangCookie;
    this.additionalConfig = Object.fromEntries(Object.keys(s.additionalConfig).sort().map((k) => [k, s.additionalConfig[k]]));
  }
}

function requireRabbitmqVersion(where: string, version: unknown): string {
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(version) : null;
  if (!m || !RABBITMQ_MINORS.includes(`${Number(m[1])}.${Number(m[2])}`)) {
    throw invalid(where, 'INVALID_VERSION', 'version', version,
      `a pinned RabbitMQ version MAJOR.MINOR.PATCH with MAJOR.MINOR one of ${RABBITMQ_MINORS.join(', ')} (e.g. "4.1.4"; "4.1" or "latest" are not pinned)`);
  }
  return version as string;
}

function requireRepository(where: string, repository: unknown, example: string): string {
  if (typeof repository !== 'string' || !REPOSITORY.test(repository)) {
    throw invalid(where, 'INVALID_VALUE', 'imageRepository', repository, `an image repository without tag, e.g. "${example}"`);
  }
  return repository;
}

function requireRabbitmqConfig(where: string, config: { [key: string]: string } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (config === undefined) return out;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalid(where, 'INVALID_CONFIG', 'additionalConfig', config, 'a map of rabbitmq.conf keys to values');
  }
  for (const [key, value] of Object.entries(config)) {
    if (!/^[a-z0-9_]+(\.[A-Za-z0-9_$-]+)*$/.test(key)) {
      throw invalid(where, 'INVALID_CONFIG', 'additionalConfig key', key, 'a rabbitmq.conf key such as "vm_memory_high_watermark.relative"');
    }
    const managed = RABBITMQ_MANAGED.find((p) => key === p || key.startsWith(p.endsWith('.') ? p : `${p}.`) || (p.endsWith('.') && key === p.slice(0, -1)));
    if (managed) {
      throw invalid(where, 'INVALID_CONFIG', 'additionalConfig key', key,
        `a setting the engine does not manage (${managed.replace(/\.$/, '')}* is rendered from the MessageQueue; users come from SecretSources)`);
    }
    if (typeof value !== 'string' || value.trim().length === 0 || /[\r\n]/.test(value)) {
      throw invalid(where, 'INVALID_CONFIG', `additionalConfig["${key}"]`, value, 'a non-empty single-line string');
    }
    out[key] = value.trim();
  }
  return out;
}
