import { Construct } from 'constructs';
import { Tier } from '../../../environment/tier';
import { invalid, requireRenderableKey } from '../../../private/names';
import { SecretSource } from '../../../secrets/secret-source';
import { objectName } from '../../private/names';
import { KafkaAuthentication, QueueConnection, QueueProtocol } from '../../types';
import { QueueEngineBase, QueueEngineCapabilities, QueueEngineKind } from '../engine';
import { EnvironmentFacts, QueueEngineBinding, QueueModel, ResolvedUser, UserCredentials } from '../model';

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

/**
 * The password as the double-quoted value of a JAAS option, a Go template (External Secrets engine v2).
 * Kafka parses `sasl.jaas.config` with a java.io.StreamTokenizer (clients/.../common/security/JaasConfig.java):
 * inside "…" a backslash escapes the next character (`\\`, `\"`, `\n`, `\r`) and an unescaped line break
 * ends the value, so a password holding `"` or `\` would end early or add options. sprig's `replace`
 * (`replace old new src`, strings.Replace; runtime/template/v2/sprig/strings.go) escapes the four, backslash first.
 */
const JAAS_QUOTED_PASSWORD = '{{ .password | replace `\\` `\\\\` | replace `"` `\\"` | replace "\\n" `\\n` | replace "\\r" `\\r` }}';

/**
 * Options of the Strimzi Kafka engine.
 */
export interface StrimziKafkaEngineOptions {
  /**
   * Kafka version, pinned as `MAJOR.MINOR.PATCH` (e.g. `4.3.1`; `spec.kafka.version`): one the Strimzi
   * release of `operatorVersion` supports (Strimzi 1.2.0: 4.2.0, 4.2.1, 4.3.0, 4.3.1). Strimzi refuses
   * any other, and the Kafka never becomes Ready.
   */
  readonly version: string;

  /**
   * The Strimzi release whose cluster operator runs this Kafka (`PlatformOperator.strimzi(...)` installs
   * it at that version): `version` is checked against the Kafka versions that release supports. A release
   * newer than the ones this library knows (1.0.0 to 1.2.0) is not checked.
   *
   * @default "1.2.0"
   */
  readonly operatorVersion?: string;

  /**
   * KRaft metadata version (`spec.kafka.metadataVersion`), e.g. `4.1-IV1`: from `3.3-IV3` (Strimzi refuses older ones)
   * up to the MAJOR.MINOR of `version` (Strimzi ignores a newer one and keeps the cluster's). Without it Strimzi raises
   * the cluster's metadata version to the new Kafka version's default once an upgrade has rolled every node, after which
   * the previous Kafka version can no longer run it: pin it to keep a downgrade possible.
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
   * brokers (one `dual-role` pool). 3 or 5 when set. Fixed once the cluster runs: Strimzi's
   * controller quorum is static, so change safety reports a change of this count (and, with 0, of
   * the broker count), and moving between 0 and dedicated controllers replaces the pools. Set it
   * explicitly on an environment whose tier may change (the default follows the tier).
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

/**
 * The Kafka versions each Strimzi release supports (its `kafka-versions.yaml`, `supported: true`): its
 * cluster operator refuses a Kafka of any other version ("Unsupported Kafka.spec.kafka.version").
 * Strimzi 1.0 is the first release serving only `kafka.strimzi.io/v1`, which this library renders.
 */
const STRIMZI_KAFKA_VERSIONS: Record<string, readonly string[]> = {
  '1.0.0': ['4.1.0', '4.1.1', '4.1.2', '4.2.0'],
  '1.0.1': ['4.1.0', '4.1.1', '4.1.2', '4.2.0'],
  '1.1.0': ['4.2.0', '4.2.1', '4.3.0'],
  '1.2.0': ['4.2.0', '4.2.1', '4.3.0', '4.3.1'],
};
/** The Strimzi release assumed when none is given: the one whose CRDs this library is validated against. */
export const DEFAULT_STRIMZI_VERSION = '1.2.0';

const semver = (v: string): number[] => v.split('.').map(Number);
const newer = (a: string, b: string): boolean => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return false;
};

/**
 * Why Strimzi `operatorVersion` would refuse a Kafka of `kafkaVersion` (what it supports), or undefined:
 * it supports it, or the release is newer than those this library knows.
 */
export function strimziKafkaVersionProblem(kafkaVersion: string, operatorVersion: string): string | undefined {
  const supported = STRIMZI_KAFKA_VERSIONS[operatorVersion];
  if (supported === undefined) {
    const known = Object.keys(STRIMZI_KAFKA_VERSIONS);
    return known.every((k) => newer(operatorVersion, k)) ? undefined : `a Strimzi release this library knows or a newer one (known: ${known.join(', ')})`;
  }
  return supported.includes(kafkaVersion) ? undefined : `a Kafka version Strimzi ${operatorVersion} supports: ${supported.join(', ')}`;
}

/** Whether `metadata` is a KRaft metadata version (`MAJOR.MINOR-IVn`) Strimzi applies with Kafka `kafkaVersion`: 3.3-IV3 up to its MAJOR.MINOR. */
function metadataVersionFits(metadata: unknown, kafkaVersion: string): boolean {
  const m = typeof metadata === 'string' ? /^(\d+)\.(\d+)-IV(\d+)$/.exec(metadata) : null;
  if (!m) return false;
  const [major, minor, iv] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [kafkaMajor, kafkaMinor] = semver(kafkaVersion);
  const oldEnough = major > 3 || (major === 3 && (minor > 3 || (minor === 3 && iv >= 3)));
  const notNewer = major < kafkaMajor || (major === kafkaMajor && minor <= kafkaMinor);
  return oldEnough && notNewer;
}

/** Kafka settings Strimzi forbids in `spec.kafka.config` (and the replication defaults the MessageQueue manages). */
const KAFKA_FORBIDDEN = ['listeners', 'advertised.', 'broker.', 'listener.', 'host.name', 'port', 'inter.broker.listener.name', 'sasl.', 'ssl.',
  'security.', 'password.', 'log.dir', 'zookeeper.', 'authorizer.', 'super.user', 'node.id', 'process.roles', 'controller.', 'metadata.log.dir',
  'cruise.control.metrics.', 'default.replication.factor', 'min.insync.replicas', 'offsets.topic.replication.factor', 'transaction.state.log.',
  'auto.create.topics.enable', 'delete.topic.enable'];
const TOPIC_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/** What Strimzi Kafka supports. */
const CAPABILITIES: QueueEngineCapabilities = {
  protocol: QueueProtocol.KAFKA,
  queues: false,
  queueTypes: [],
  streams: false,
  quorumQueues: false,
  topics: true,
  virtualHosts: false,
  issuesListenerCertificates: true,
  issuesClientCertificates: false,
};

/**
 * The Strimzi Kafkas bound so far, with their environment and namespace: node pools have fixed
 * short names (pods are `<cluster>-<pool>-<id>`), so one Kafka per namespace.
 */
const BOUND = new WeakMap<Construct, { environment: string; namespace: string }>();

/**
 * Apache Kafka on the Strimzi operator, KRaft only (`QueueEngine.strimziKafka()`).
 */
export class StrimziKafkaEngine extends QueueEngineBase {
  public readonly kind: QueueEngineKind = QueueEngineKind.STRIMZI_KAFKA;
  public readonly protocol: QueueProtocol = QueueProtocol.KAFKA;
  public readonly version: string;
  /** The Strimzi release whose cluster operator runs this Kafka. */
  public readonly operatorVersion: string;
  public readonly image?: string = undefined;
  public readonly operatorNamespace?: string = undefined;
  public readonly authentication?: KafkaAuthentication;
  public readonly controllerReplicas?: number;
  public readonly metadataVersion?: string;
  public readonly erlangCookie?: SecretSource = undefined;
  public readonly additionalConfig: { [key: string]: string };
  public readonly capabilities: QueueEngineCapabilities;
  public readonly displayName: string = 'Kafka';

  public constructor(options: StrimziKafkaEngineOptions) {
    super();
    const where = 'QueueEngine.strimziKafka';
    const v = options?.version;
    if (typeof v !== 'string' || !/^4\.[0-9]\.[0-9]+$/.test(v)) {
      throw invalid(where, 'INVALID_VERSION', 'version', v, 'a pinned Kafka 4 version MAJOR.MINOR.PATCH (e.g. "4.3.1"; Strimzi 1.x runs KRaft-only Kafka 4)');
    }
    const operatorVersion = options.operatorVersion ?? DEFAULT_STRIMZI_VERSION;
    if (typeof operatorVersion !== 'string' || !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(operatorVersion)) {
      throw invalid(where, 'INVALID_VERSION', 'operatorVersion', operatorVersion, 'a Strimzi release MAJOR.MINOR.PATCH, e.g. "1.2.0"');
    }
    const unsupported = strimziKafkaVersionProblem(v, operatorVersion);
    if (unsupported !== undefined) {
      // the default release is known: an unknown one was given
      const knownRelease = STRIMZI_KAFKA_VERSIONS[operatorVersion] !== undefined;
      throw invalid(where, 'INVALID_VERSION', knownRelease ? 'version' : 'operatorVersion', knownRelease ? v : operatorVersion, unsupported);
    }
    if (options.metadataVersion !== undefined && !metadataVersionFits(options.metadataVersion, v)) {
      // Strimzi refuses one before 3.3-IV3 (`KafkaCluster.validateMetadataVersion`) and ignores one newer than the Kafka version,
      // keeping the cluster's with only a log warning (`KRaftVersionChangeCreator.metadataVersionWithoutKafkaVersionChange`)
      throw invalid(where, 'INVALID_VERSION', 'metadataVersion', options.metadataVersion,
        `a KRaft metadata version from 3.3-IV3 up to the Kafka version's ${v.split('.').slice(0, 2).join('.')}, such as "4.1-IV1" (Strimzi refuses an older one, `
        + 'and ignores a newer one: the cluster keeps the metadata version it has)');
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
      // keys of the Kafka resource's spec.kafka.config map
      requireRenderableKey(where, 'INVALID_CONFIG', 'additionalConfig key', key, 'a Kafka broker setting');
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
    this.version = v;
    this.operatorVersion = operatorVersion;
    this.metadataVersion = options.metadataVersion;
    this.authentication = authentication;
    this.controllerReplicas = controllers;
    this.additionalConfig = Object.fromEntries(Object.keys(additionalConfig).sort().map((k) => [k, additionalConfig[k]]));
    this.capabilities = { ...CAPABILITIES, issuesClientCertificates: authentication === KafkaAuthentication.TLS };
  }

  /** @internal */
  public _podLabels(name: string): { [key: string]: string } {
    return { 'strimzi.io/cluster': name, 'strimzi.io/kind': 'Kafka' };
  }

  /** @internal */
  public _clientPorts(model: QueueModel): number[] {
    return [model.tls ? 9093 : 9092];
  }

  /** @internal */
  public _identifierError(name: unknown): string | undefined {
    if (typeof name !== 'string' || !TOPIC_NAME.test(name) || name.length > 249) {
      return 'a Kafka topic name: lower-case letters, digits, ".", "_" and "-", starting and ending with a letter or digit (so not "__"-prefixed internal topics), at most 249 characters';
    }
    return undefined;
  }

  /** @internal */
  public _resolveControllerReplicas(environment: EnvironmentFacts): number | undefined {
    return this.controllerReplicas ?? (environment.tier === Tier.DEVELOPMENT ? 0 : 3);
  }

  /**
   * Kafka principals carry the cluster name; the User Operator writes its own Secret named after the
   * KafkaUser (`<name>-<user>`), so the password comes from another one (`<name>-<user>-credentials`).
   * @internal
   */
  public _userCredentials(model: QueueModel, user: string): UserCredentials {
    const username = objectName(model.name, user);
    if (this.authentication === KafkaAuthentication.TLS) {
      return {
        username,
        noPassword: 'no password with Kafka TLS authentication (the Strimzi User Operator issues a client certificate in Secret "<name>-<user>")',
      };
    }
    return {
      username,
      secret: {
        name: objectName(model.name, user, 'credentials'),
        templates: {
          'username': username,
          'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${JAAS_QUOTED_PASSWORD}";`,
        },
      },
    };
  }

  /** @internal */
  public _bind(scope: Construct, model: QueueModel): QueueEngineBinding {
    const podLabels = this._podLabels(model.name);
    BOUND.set(scope, { environment: model.environment.name, namespace: model.environment.namespace });
    const hooks = render().renderStrimziKafka(scope, model, {
      podLabels,
      version: this.version,
      metadataVersion: this.metadataVersion,
      authentication: this.authentication ?? KafkaAuthentication.SCRAM_SHA_512,
      additionalConfig: this.additionalConfig,
    });
    const endpoint = { host: `${model.name}-kafka-bootstrap.${model.environment.namespace}.svc`, port: model.tls ? 9093 : 9092 };
    return {
      podLabels,
      endpoints: endpoint,
      ...hooks,
      connectionFor: (user) => this.connection(model, endpoint, user),
      validate: () => {
        const other = scope.node.root.node.findAll().find((c) => c !== scope && BOUND.get(c)?.namespace === model.environment.namespace
          && BOUND.get(c)?.environment === model.environment.name);
        return other ? [`another Strimzi Kafka (${other.node.path}) renders KafkaNodePools into namespace "${model.environment.namespace}": one Kafka per namespace`] : [];
      },
    };
  }

  private connection(model: QueueModel, endpoint: { host: string; port: number }, user: ResolvedUser): QueueConnection {
    const { host, port } = endpoint;
    const username = objectName(model.name, user.name);
    const common = {
      protocol: QueueProtocol.KAFKA,
      host,
      port,
      endpoints: [`${host}:${port}`],
      tls: model.tls,
      username,
      caSecretName: model.tls ? `${model.name}-cluster-ca-cert` : undefined,
      caKey: model.tls ? 'ca.crt' : undefined,
      consumerGroupPrefix: user.name,
    };
    if (this.authentication === KafkaAuthentication.TLS) {
      return { ...common, secretName: username, certificateKey: 'user.crt', privateKeyKey: 'user.key' };
    }
    return { ...common, secretName: user.secret!.secretName!, usernameKey: 'username', passwordKey: 'password', saslJaasConfigKey: 'sasl.jaas.config' };
  }
}
