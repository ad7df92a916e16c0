import { Construct } from 'constructs';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid, isDnsLabel } from '../../../private/names';
import { SecretSource } from '../../../secrets/secret-source';
import { KafkaAuthentication, QueueProtocol } from '../../types';
import { QueueEngineBase, QueueEngineCapabilities, QueueEngineKind } from '../engine';
import { QueueEngineBinding, QueueModel, UserCredentials } from '../model';
import {
  amqpClientPorts, amqpConnection, amqpEndpoint, checkRabbitmqName, RABBITMQ_CAPABILITIES, RABBITMQ_REPOSITORY, rabbitmqCredentials,
  requireRabbitmqConfig, requireRabbitmqVersion,
} from '../rabbitmq-common';

/** The label the messaging topology operator reads Secrets by (`TopologyOperatorLabel` of v1.20, `api/v1beta1/labels.go`). */
const TOPOLOGY_OPERATOR_SECRET_LABEL: Readonly<Record<string, string>> = { 'rabbitmq.com/topology-operator': 'true' };

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

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
 * RabbitMQ on the Cluster Operator and the Messaging Topology Operator (`QueueEngine.rabbitmqOperator()`).
 */
/**
 * Whether RabbitMQ's cluster operator `version` (`X.Y.Z`) reads `spec.autoEnableAllFeatureFlags`, which the engine sets:
 * from 2.15.0 on (cluster-operator #1892, `runRabbitmqCLICommandsIfAnnotated` in internal/controller/reconcile_cli.go).
 */
export function clusterOperatorAutoEnablesFeatureFlags(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 15);
}

export class RabbitmqOperatorEngine extends QueueEngineBase {
  public readonly kind: QueueEngineKind = QueueEngineKind.RABBITMQ_OPERATOR;
  public readonly protocol: QueueProtocol = QueueProtocol.AMQP;
  public readonly version: string;
  public readonly image?: string;
  public readonly operatorNamespace?: string;
  public readonly authentication?: KafkaAuthentication = undefined;
  public readonly controllerReplicas?: number = undefined;
  public readonly metadataVersion?: string = undefined;
  public readonly erlangCookie?: SecretSource = undefined;
  public readonly additionalConfig: { [key: string]: string };
  public readonly capabilities: QueueEngineCapabilities = RABBITMQ_CAPABILITIES;
  public readonly displayName: string = 'RabbitMQ';
  private readonly settings: { image: string; operatorNamespace: string };

  public constructor(options: RabbitmqOperatorEngineOptions) {
    super();
    const where = 'QueueEngine.rabbitmqOperator';
    this.version = requireRabbitmqVersion(where, options?.version);
    const repository = requireImageRepository(where, options.imageRepository ?? RABBITMQ_REPOSITORY, RABBITMQ_REPOSITORY);
    const operatorNamespace = options.operatorNamespace ?? 'rabbitmq-system';
    if (!isDnsLabel(operatorNamespace)) throw invalid(where, 'INVALID_NAME', 'operatorNamespace', operatorNamespace, 'a namespace name (DNS-1123 label)');
    const image = `${repository}:${this.version}-management`;
    this.image = image;
    this.operatorNamespace = operatorNamespace;
    this.settings = { image, operatorNamespace };
    this.additionalConfig = requireRabbitmqConfig(where, options.additionalConfig);
  }

  /**
   * The cluster operator's pod labels (name, component): the name alone would also select an application called the same.
   * @internal
   */
  public _podLabels(name: string): { [key: string]: string } {
    return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'rabbitmq' };
  }

  /** @internal */
  public _clientPorts(model: QueueModel): number[] {
    return amqpClientPorts(model);
  }

  /** @internal */
  public _identifierError(name: unknown): string | undefined {
    return checkRabbitmqName(name);
  }

  /**
   * The user's Secret carries `rabbitmq.com/topology-operator: "true"`: messaging-topology-operator 1.20 caches
   * only Secrets with it (`cmd/main.go`, `api/v1beta1/labels.go`), and its `User` webhook refuses an
   * `importCredentialsSecret` without it, or that does not exist yet (`validateSecretLabel`,
   * `internal/webhook/v1beta1/label_validation.go`).
   *
   * @internal
   */
  public _userCredentials(model: QueueModel, user: string): UserCredentials {
    const credentials = rabbitmqCredentials(model, user);
    return { ...credentials, secret: { ...credentials.secret!, labels: { ...TOPOLOGY_OPERATOR_SECRET_LABEL } } };
  }

  /** @internal */
  public _bind(scope: Construct, model: QueueModel): QueueEngineBinding {
    const podLabels = this._podLabels(model.name);
    const hooks = render().renderRabbitmqOperator(scope, model, {
      podLabels,
      ...this.settings,
      version: this.version,
      additionalConfig: this.additionalConfig,
      apiServer: !this.isAtLeast(4, 1),
    });
    return {
      podLabels,
      endpoints: amqpEndpoint(model),
      ...hooks,
      connectionFor: (user) => amqpConnection(model, user),
    };
  }
}
