import { Construct } from 'constructs';
import { requireImageRepository } from '../../../private/engine-options';
import { invalid } from '../../../private/names';
import { SecretSource } from '../../../secrets/secret-source';
import { KafkaAuthentication, QueueProtocol } from '../../types';
import { QueueEngineBase, QueueEngineCapabilities, QueueEngineKind } from '../engine';
import { QueueEngineBinding, QueueModel, UserCredentials } from '../model';
import {
  amqpClientPorts, amqpConnection, amqpEndpoint, checkRabbitmqName, RABBITMQ_CAPABILITIES, RABBITMQ_REPOSITORY, rabbitmqCredentials,
  requireRabbitmqConfig, requireRabbitmqVersion,
} from '../rabbitmq-common';

/** The renderer, loaded when an app first renders with this engine (not when the library loads). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = (): typeof import('./render') => require('./render');

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
 * RabbitMQ as a plain StatefulSet, no operator (`QueueEngine.rabbitmqStatefulSet()`).
 */
export class RabbitmqStatefulSetEngine extends QueueEngineBase {
  public readonly kind: QueueEngineKind = QueueEngineKind.RABBITMQ_STATEFULSET;
  public readonly protocol: QueueProtocol = QueueProtocol.AMQP;
  public readonly version: string;
  public readonly image?: string;
  public readonly operatorNamespace?: string = undefined;
  public readonly authentication?: KafkaAuthentication = undefined;
  public readonly controllerReplicas?: number = undefined;
  public readonly metadataVersion?: string = undefined;
  public readonly erlangCookie?: SecretSource;
  public readonly additionalConfig: { [key: string]: string };
  public readonly capabilities: QueueEngineCapabilities = RABBITMQ_CAPABILITIES;
  public readonly displayName: string = 'RabbitMQ';
  private readonly imageRef: string;

  public constructor(options: RabbitmqStatefulSetEngineOptions) {
    super();
    const where = 'QueueEngine.rabbitmqStatefulSet';
    this.version = requireRabbitmqVersion(where, options?.version);
    const repository = requireImageRepository(where, options.imageRepository ?? RABBITMQ_REPOSITORY, RABBITMQ_REPOSITORY);
    if (options.erlangCookie !== undefined && !(options.erlangCookie instanceof SecretSource)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'erlangCookie', options.erlangCookie, 'a SecretSource with a `cookie` key');
    }
    this.imageRef = `${repository}:${this.version}`;
    this.image = this.imageRef;
    this.erlangCookie = options.erlangCookie;
    this.additionalConfig = requireRabbitmqConfig(where, options.additionalConfig);
  }

  /** @internal */
  public _podLabels(name: string): { [key: string]: string } {
    return { 'app.kubernetes.io/name': 'rabbitmq', 'app.kubernetes.io/instance': name };
  }

  /** @internal */
  public _clientPorts(model: QueueModel): number[] {
    return amqpClientPorts(model);
  }

  /** @internal */
  public _identifierError(name: unknown): string | undefined {
    return checkRabbitmqName(name);
  }

  /** @internal */
  public _userCredentials(model: QueueModel, user: string): UserCredentials {
    return rabbitmqCredentials(model, user);
  }

  /** @internal */
  public _bind(scope: Construct, model: QueueModel): QueueEngineBinding {
    const podLabels = this._podLabels(model.name);
    const hooks = render().renderRabbitmqStatefulSet(scope, model, {
      podLabels,
      image: this.imageRef,
      erlangCookie: this.erlangCookie,
      version: this.version,
      additionalConfig: this.additionalConfig,
      // RabbitMQ 4.1+: the peer discovery finds the `-0` pod by ordinal, without the API server
      ordinalPeerDiscovery: this.isAtLeast(4, 1),
    });
    return {
      podLabels,
      endpoints: amqpEndpoint(model),
      ...hooks,
      connectionFor: (user) => amqpConnection(model, user),
    };
  }
}
