import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ExchangeDefinition, ExchangeOptions, ExchangeType, QueueAccess, QueueConnection, QueueDefinition, QueueOptions,
  QueueProtocol, QueueResources, QueueType, QueueUserDefinition, QueueUserOptions, TopicDefinition, TopicOptions,
} from './types';
import { DatabaseClient } from '../database/database-client';
import { Environment } from '../environment/environment';
import { requireProfileStorageClass } from '../environment/profile-storage-class';
import { StorageProfile } from '../environment/storage-profile';
import { Tier } from '../environment/tier';
import { markMessageQueue } from '../private/brands';
import { invalid, noSecretFromBackend, requireBoolean, requireDnsLabel, requireInteger, Where } from '../private/names';
import { renderClientEgress } from '../private/network';
import { RetiredUsers } from '../private/retired-users';
import { requireOwnNamespace, requireQuantity, requireWorkloadName } from '../private/workload';
import { SecretSource, SecretSourceKind } from '../secrets/secret-source';
import { QueueEngineBase } from './engines/engine';
import {
  EnvironmentFacts, produces, QueueEngineBinding, QueueModel, ResolvedExchange, ResolvedQueue, ResolvedTopic, ResolvedUser,
} from './engines/model';
import { topologyObjectName } from './private/names';
import { lazyValue } from '../private/lazy';

/**
 * Properties of a MessageQueue.
 */
export interface MessageQueueProps {
  /** The engine (and pinned RabbitMQ or Kafka version), from `QueueEngine`'s factories. */
  readonly engine: QueueEngineBase;

  /**
   * Base name of the rendered objects (the Service / cluster name), a DNS-1123 label of at most 40 characters.
   *
   * @default - the construct id, lower-cased
   */
  readonly name?: string;

  /**
   * Brokers (RabbitMQ nodes or Kafka brokers).
   *
   * @default - 1 in development, 3 in staging and production
   */
  readonly replicas?: number;

  /**
   * Volume size of each broker (a Kubernetes quantity, e.g. `20Gi`).
   *
   * @default "10Gi"
   */
  readonly storageSize?: string;

  /**
   * Storage of the volumes (their storage class). A profile that renders its own StorageClass
   * (anything but `StorageProfile.existing()`) is rendered into the platform layer of the
   * environment's cluster (`platform/<cluster>/`), once however many constructs share it.
   *
   * @default - the environment's StorageProfile
   */
  readonly storageProfile?: StorageProfile;

  /**
   * CPU and memory of each broker.
   *
   * @default - tier-dependent, see QueueResources
   */
  readonly resources?: QueueResources;

  /**
   * RabbitMQ virtual host holding the exchanges, queues and permissions (RabbitMQ engines only).
   *
   * @default - the MessageQueue's name
   */
  readonly virtualHost?: string;

  /**
   * Exchanges (RabbitMQ engines; more with `addExchange()`).
   *
   * @default - none
   */
  readonly exchanges?: ExchangeDefinition[];

  /**
   * Queues (RabbitMQ engines; more with `addQueue()`).
   *
   * @default - none
   */
  readonly queues?: QueueDefinition[];

  /**
   * Topics (Kafka engine; more with `addTopic()`).
   *
   * @default - none
   */
  readonly topics?: TopicDefinition[];

  /**
   * Users with their credentials and permissions (more with `addUser()`).
   *
   * @default - none
   */
  readonly users?: QueueUserDefinition[];

  /**
   * Serve clients over TLS only.
   *
   * @default - Kafka: true (Strimzi issues the broker certificates); RabbitMQ: true when `tlsSecretName` is set
   */
  readonly tls?: boolean;

  /**
   * RabbitMQ engines: a Secret with the broker certificate `tls.crt`, its key `tls.key` and the CA
   * `ca.crt` (e.g. from a cert-manager Certificate for `<name>.<namespace>.svc`), mounted by the brokers
   * only (`RabbitmqCluster` `spec.tls.secretName` and `caSecretName`; the StatefulSet's `ssl_options`).
   * Not for Kafka. Applications never get this Secret's name: it holds the brokers' private key (see
   * `tlsCaSecretName`).
   *
   * @default - no TLS for RabbitMQ
   */
  readonly tlsSecretName?: string;

  /**
   * RabbitMQ engines with TLS: a Secret holding only the CA certificate `ca.crt` that signed the broker
   * certificate (e.g. a trust-manager `Bundle` target, or the CA's public certificate synced by External
   * Secrets), which applications mount to verify the brokers: `connectionFor(...).caSecretName`, key `ca.crt`.
   * Must differ from `tlsSecretName`, whose Secret holds the brokers' private key.
   *
   * @default - none: `connectionFor(...).caSecretName` is undefined and clients verify the brokers against their own trust store
   */
  readonly tlsCaSecretName?: string;

  /**
   * PodMonitor and alert rules (needs the Prometheus operator).
   *
   * @default - true in staging and production
   */
  readonly monitoring?: boolean;

  /**
   * Spread brokers across zones (`topology.kubernetes.io/zone`; Kafka rack awareness).
   *
   * @default - true in production
   */
  readonly spreadAcrossZones?: boolean;

  /**
   * A PodDisruptionBudget letting one broker at a time go (Strimzi renders its own).
   *
   * @default - true with 2+ replicas
   */
  readonly podDisruptionBudget?: boolean;

  /**
   * Keep messages when the GitOps tool prunes the objects: RabbitMQ operator `deletionPolicy:
   * retain` on Vhost and Queue, Kafka `delete.topic.enable=false`, StatefulSet volume claims retained.
   *
   * @default true
   */
  readonly retainOnDelete?: boolean;

  /**
   * Clients admitted by the NetworkPolicy (more with `allowFrom()`).
   *
   * @default - none: only the brokers themselves, the operator and monitoring
   */
  readonly allowFrom?: DatabaseClient[];

  /**
   * Users removed from the broker that must no longer log in (see `retireUser`). A user that is only
   * deleted from code keeps its login on the RabbitMQ StatefulSet engine (its definitions import
   * never deletes a user); change safety flags that (`CHANGE-UserRemoved`).
   *
   * @default - none
   */
  readonly retiredUsers?: string[];
}

const VHOST_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
const USER_NAME = /^[a-z][a-z0-9-]{0,39}$/;
function optionalInteger(where: Where, property: string, value: unknown, min: number, max: number): number | undefined {
  return value === undefined ? undefined : requireInteger(where, property, value, min, max);
}

/**
 * A message queue, engine-agnostic: RabbitMQ on its operator or as a plain StatefulSet, or Kafka
 * on Strimzi, with one connection contract per user and a NetworkPolicy admitting exactly the
 * declared clients.
 *
 * Tier-aware defaults come from `Environment.of(this)`: 1 broker in development; 3 brokers,
 * zone spread, PDB and monitoring in production; quorum queues; topic replicas 3 and
 * `min.insync.replicas` 2 once there are 3 brokers. The data-protection pack checks replicas,
 * spread, replication, retention on delete, encrypted storage and literal credentials.
 */
export class MessageQueue extends Construct {
  /** The environment. */
  public readonly environment: Environment;
  /** The engine. */
  public readonly engine: QueueEngineBase;
  /** Base name of the rendered objects. */
  public readonly name: string;
  /** Brokers. */
  public readonly replicas: number;
  /** Volume size per broker. */
  public readonly storageSize: string;
  /** Storage profile. */
  public readonly storageProfile: StorageProfile;
  /** CPU request per broker. */
  public readonly cpu: string;
  /** Memory request and limit per broker. */
  public readonly memory: string;
  /**
   * RabbitMQ virtual host.
   *
   * @default - none (Kafka)
   */
  public readonly virtualHost?: string;
  /** Whether clients connect over TLS. */
  public readonly tls: boolean;
  /**
   * Secret with the RabbitMQ broker certificate and key.
   *
   * @default - none
   */
  public readonly tlsSecretName?: string;
  /**
   * Secret with only the CA certificate of the RabbitMQ brokers, for clients.
   *
   * @default - none
   */
  public readonly tlsCaSecretName?: string;
  /** Whether monitoring is rendered. */
  public readonly monitoring: boolean;
  /** Whether brokers spread across zones. */
  public readonly spreadAcrossZones: boolean;
  /** Whether a PodDisruptionBudget is rendered. */
  public readonly podDisruptionBudget: boolean;
  /** Whether pruning the objects keeps the messages. */
  public readonly retainOnDelete: boolean;
  /**
   * Dedicated KRaft controllers (Kafka).
   *
   * @default - not Kafka
   */
  public readonly controllerReplicas?: number;

  private readonly _exchanges = new Map<string, ResolvedExchange>();
  private readonly _queues = new Map<string, ResolvedQueue>();
  private readonly _topics = new Map<string, ResolvedTopic>();
  private readonly _users = new Map<string, ResolvedUser>();
  private readonly _retired = new RetiredUsers(this, this._users);
  private readonly _objectNames = new Map<string, string>();
  private readonly _clients: DatabaseClient[] = [];
  /** What the engine reads: the resolved props, the environment and the declarations. @internal */
  public readonly _model: QueueModel;
  private readonly binding: QueueEngineBinding;

  public constructor(scope: Construct, id: string, props: MessageQueueProps) {
    super(scope, id);
    const env = Environment.of(this);
    this.environment = env;
    const environment: EnvironmentFacts = {
      name: env.name,
      namespace: env.namespace,
      tier: env.tier,
      labels: env.labels,
      inheritedLabels: env._inheritedLabels(),
      monitoringNamespace: env.monitoringNamespace,
    };
    if (!props || !(props.engine instanceof QueueEngineBase)) {
      throw invalid(this, 'INVALID_VALUE', 'engine', props?.engine,
        'a QueueEngine (QueueEngine.rabbitmqOperator({...}), QueueEngine.rabbitmqStatefulSet({...}) or QueueEngine.strimziKafka({...}))');
    }
    this.engine = props.engine;
    requireOwnNamespace(this, 'environment.namespace', env.namespace,
      new Map(this.engine.operatorNamespace === undefined ? [] : [[this.engine.operatorNamespace, `${this.engine.displayName}'s operator's`]]));
    this.name = requireWorkloadName(this, props.name ?? id.toLowerCase(), '"-headless"');
    const caps = this.engine.capabilities;
    const product = this.engine.displayName;

    this.replicas = requireInteger(this, 'replicas', props.replicas ?? env.selectNumber({ development: 1, otherwise: 3 }), 1, 9);
    this.storageSize = requireQuantity(this, 'storageSize', props.storageSize ?? '10Gi', 'a positive Kubernetes quantity such as "20Gi"');
    this.storageProfile = props.storageProfile ?? env.storageProfile;
    // a profile other than the environment's: its StorageClass goes to the cluster's platform layer too
    requireProfileStorageClass(this, env.cluster, props.storageProfile);
    this.cpu = requireQuantity(this, 'resources.cpu', props.resources?.cpu ?? env.selectString({ development: '250m', staging: '500m', production: '1' }),
      'a CPU quantity such as "500m" or "2"');
    this.memory = requireQuantity(this, 'resources.memory', props.resources?.memory ?? env.selectString({ development: '1Gi', staging: '2Gi', production: '4Gi' }),
      'a memory quantity such as "2Gi"');
    this.monitoring = requireBoolean(this, 'monitoring', props.monitoring ?? env.tier !== Tier.DEVELOPMENT);
    this.spreadAcrossZones = requireBoolean(this, 'spreadAcrossZones', props.spreadAcrossZones ?? env.tier === Tier.PRODUCTION);
    this.podDisruptionBudget = requireBoolean(this, 'podDisruptionBudget', props.podDisruptionBudget ?? this.replicas > 1);
    this.retainOnDelete = requireBoolean(this, 'retainOnDelete', props.retainOnDelete ?? true);

    if (caps.virtualHosts) {
      const vhost = props.virtualHost ?? this.name;
      if (vhost !== '/' && (typeof vhost !== 'string' || !VHOST_NAME.test(vhost) || vhost.length > 200)) {
        throw invalid(this, 'INVALID_NAME', 'virtualHost', vhost, '"/" or lower-case letters, digits, ".", "_" and "-", starting and ending with a letter or digit');
      }
      this.virtualHost = vhost;
    } else if (props.virtualHost !== undefined) {
      throw invalid(this, 'UNSUPPORTED', 'virtualHost', props.virtualHost, `no virtual host with ${product}`);
    }
    if (!caps.issuesListenerCertificates) {
      if (props.tlsSecretName !== undefined) requireDnsLabel(this, 'tlsSecretName', props.tlsSecretName);
      this.tlsSecretName = props.tlsSecretName;
      this.tls = requireBoolean(this, 'tls', props.tls ?? this.tlsSecretName !== undefined);
      if (this.tls && this.tlsSecretName === undefined) {
        throw invalid(this, 'INVALID_TLS', 'tls', true, `a \`tlsSecretName\` with tls.crt, tls.key and ca.crt (e.g. from cert-manager) when TLS is on with ${product}`);
      }
      if (!this.tls && this.tlsSecretName !== undefined) {
        throw invalid(this, 'INVALID_TLS', 'tlsSecretName', this.tlsSecretName, 'no tlsSecretName when `tls` is false');
      }
      if (props.tlsCaSecretName !== undefined) {
        requireDnsLabel(this, 'tlsCaSecretName', props.tlsCaSecretName);
        if (!this.tls) throw invalid(this, 'INVALID_TLS', 'tlsCaSecretName', props.tlsCaSecretName, 'no tlsCaSecretName without TLS (set `tlsSecretName`)');
        // applications mount the CA Secret: the broker's own Secret would hand them its private key
        if (props.tlsCaSecretName === this.tlsSecretName) {
          throw invalid(this, 'INVALID_TLS', 'tlsCaSecretName', props.tlsCaSecretName,
            `a Secret holding only the CA certificate ca.crt, not \`tlsSecretName\` ("${this.tlsSecretName}"), whose tls.key would let every client `
            + 'impersonate the brokers (e.g. a trust-manager Bundle target, or leave tlsCaSecretName unset for the clients\' own trust store)');
        }
      }
      this.tlsCaSecretName = props.tlsCaSecretName;
    } else {
      for (const [property, value] of [['tlsSecretName', props.tlsSecretName], ['tlsCaSecretName', props.tlsCaSecretName]] as const) {
        if (value !== undefined) {
          throw invalid(this, 'UNSUPPORTED', property, value,
            `no ${property} with ${product}: the operator issues the listener certificates from its cluster CA`);
        }
      }
      this.tls = requireBoolean(this, 'tls', props.tls ?? true);
    }
    this.controllerReplicas = this.engine._resolveControllerReplicas(environment);
    if (!caps.topics && props.topics !== undefined && props.topics.length > 0) {
      throw invalid(this, 'UNSUPPORTED', 'topics', props.topics.map((t) => t?.name), `no topics with a ${product} engine: declare queues bound to exchanges`);
    }
    if (!caps.queues) {
      for (const field of ['exchanges', 'queues'] as const) {
        const items = props[field];
        if (items !== undefined && items.length > 0) {
          throw invalid(this, 'UNSUPPORTED', field, items.map((i) => i?.name), `no exchanges or queues with ${product}: declare topics`);
        }
      }
    }

    const sorted = <T extends { name: string }>(items: Map<string, T>) => sortByName([...items.values()]);
    this._model = {
      name: this.name,
      environment,
      replicas: this.replicas,
      storageSize: this.storageSize,
      storageClassName: this.storageProfile.storageClassName,
      cpu: this.cpu,
      memory: this.memory,
      virtualHost: this.virtualHost,
      tls: this.tls,
      tlsSecretName: this.tlsSecretName,
      tlsCaSecretName: this.tlsCaSecretName,
      monitoring: this.monitoring,
      spreadAcrossZones: this.spreadAcrossZones,
      podDisruptionBudget: this.podDisruptionBudget,
      retainOnDelete: this.retainOnDelete,
      controllerReplicas: this.controllerReplicas,
      environmentSecret: (secretName, keys) => env.secretBackend.sourceFor(env.name, secretName)
        .bind(this, { name: secretName, keys: Object.keys(keys), descriptions: keys }),
      exchanges: () => sorted(this._exchanges),
      queues: () => sorted(this._queues),
      topics: () => sorted(this._topics),
      users: () => sorted(this._users),
      retiredUsers: () => this._retired.sorted(),
      clientPeers: () => this._clients.map((c) => c.toNetworkPolicyPeer()),
    };

    for (const e of props.exchanges ?? []) this.addExchange(e?.name, e);
    for (const q of props.queues ?? []) this.addQueue(q?.name, q);
    for (const t of props.topics ?? []) this.addTopic(t?.name, t);
    for (const u of props.users ?? []) this.addUser(u?.name, u);
    this._retired.fromProps(props.retiredUsers, (name) => this.retireUser(name));
    for (const client of props.allowFrom ?? []) this.allowFrom(client);

    this.binding = this.engine._bind(this, this._model);
    const binding = this.binding;
    for (const e of this._exchanges.values()) binding.onExchange?.(e);
    for (const q of this._queues.values()) binding.onQueue?.(q);
    for (const t of this._topics.values()) binding.onTopic?.(t);
    for (const u of this._users.values()) binding.onUser?.(u);
    this.node.addValidation({ validate: () => this.validateModel() });
  }

  /**
   * Adds an exchange (RabbitMQ engines; valid until synthesis).
   */
  public addExchange(name: string, options: ExchangeOptions = {}): void {
    this.requireSupported('queues', 'exchange', name);
    this.requireResourceName('exchange name', name);
    if (this._exchanges.has(name)) throw invalid(this, 'DUPLICATE', 'exchange', name, 'an exchange name not declared already');
    const type = options.type ?? ExchangeType.TOPIC;
    if (!Object.values(ExchangeType).includes(type)) throw invalid(this, 'INVALID_VALUE', `type of exchange "${name}"`, type, 'an ExchangeType');
    this.claimObjectName('exchange', name);
    const exchange = { name, type };
    this._exchanges.set(name, exchange);
    this.binding?.onExchange?.(exchange);
  }

  /**
   * Adds a queue (RabbitMQ engines; valid until synthesis).
   */
  public addQueue(name: string, options: QueueOptions = {}): void {
    this.requireSupported('queues', 'queue', name);
    this.requireResourceName('queue name', name);
    if (this._queues.has(name)) throw invalid(this, 'DUPLICATE', 'queue', name, 'a queue name not declared already');
    const p = (property: string) => `${property} of queue "${name}"`;
    const type = options.type ?? QueueType.QUORUM;
    if (!Object.values(QueueType).includes(type)) throw invalid(this, 'INVALID_VALUE', p('type'), type, 'a QueueType');
    if (!this.engine.capabilities.queueTypes.includes(type)) {
      throw invalid(this, 'UNSUPPORTED', p('type'), type, `one of the queue types of the engine: ${this.engine.capabilities.queueTypes.join(', ')}`);
    }
    const replicated = type !== QueueType.CLASSIC;
    if (!replicated && options.replicas !== undefined) {
      throw invalid(this, 'INVALID_QUEUE', p('replicas'), options.replicas,
        'no replication settings on a classic queue (classic queues have one copy; use QueueType.QUORUM or QueueType.STREAM to replicate)');
    }
    const replicas = replicated ? requireInteger(this, p('replicas'), options.replicas ?? Math.min(3, this.replicas), 1, this.replicas) : undefined;
    const durable = options.durable ?? true;
    if (typeof durable !== 'boolean' || (replicated && !durable)) {
      throw invalid(this, 'INVALID_QUEUE', p('durable'), durable, 'true for quorum queues and streams (they are always durable)');
    }
    if (type === QueueType.STREAM) {
      for (const [field, value] of [['maxLength', options.maxLength], ['deadLetterQueue', options.deadLetterQueue], ['deliveryLimit', options.deliveryLimit]] as const) {
        if (value !== undefined) throw invalid(this, 'INVALID_QUEUE', p(field), value, 'nothing on a stream (streams keep messages by size and age: maxLengthBytes, retentionHours)');
      }
    }
    if (options.deliveryLimit !== undefined && type !== QueueType.QUORUM) {
      throw invalid(this, 'INVALID_QUEUE', p('deliveryLimit'), options.deliveryLimit, 'a delivery limit on quorum queues only');
    }
    if (options.deadLetterQueue !== undefined) {
      this.requireResourceName(p('deadLetterQueue'), options.deadLetterQueue);
      if (options.deadLetterQueue === name) throw invalid(this, 'INVALID_QUEUE', p('deadLetterQueue'), name, 'another queue than the queue itself');
    }
    const bindings = (options.bindings ?? []).map((b, i) => {
      this.requireResourceName(p(`bindings[${i}].exchange`), b?.exchange);
      const routingKey = b.routingKey ?? name;
      if (typeof routingKey !== 'string' || routingKey.length > 255 || /[\r\n]/.test(routingKey)) {
        throw invalid(this, 'INVALID_QUEUE', p(`bindings[${i}].routingKey`), routingKey, 'a single-line routing key of at most 255 characters');
      }
      return { exchange: b.exchange, routingKey };
    });
    const seen = new Set<string>();
    for (const b of bindings) {
      const key = `${b.exchange}\u0000${b.routingKey}`;
      if (seen.has(key)) throw invalid(this, 'DUPLICATE', p('bindings'), b, 'each exchange and routing key once');
      seen.add(key);
    }
    const queue: ResolvedQueue = {
      name,
      type,
      durable,
      replicas,
      maxLength: optionalInteger(this, p('maxLength'), options.maxLength, 1, Number.MAX_SAFE_INTEGER),
      maxLengthBytes: optionalInteger(this, p('maxLengthBytes'), options.maxLengthBytes, 1, Number.MAX_SAFE_INTEGER),
      retentionHours: optionalInteger(this, p('retentionHours'), options.retentionHours, 1, 87600),
      deadLetterQueue: options.deadLetterQueue,
      deliveryLimit: optionalInteger(this, p('deliveryLimit'), options.deliveryLimit, 1, 1000),
      bindings,
    };
    this.claimObjectName('queue', name);
    this._queues.set(name, queue);
    this.binding?.onQueue?.(queue);
  }

  /**
   * Adds a topic (Kafka engine; valid until synthesis).
   */
  public addTopic(name: string, options: TopicOptions = {}): void {
    this.requireSupported('topics', 'topic', name);
    this.requireResourceName('topic name', name);
    if (this._topics.has(name)) throw invalid(this, 'DUPLICATE', 'topic', name, 'a topic name not declared already');
    const clash = [...this._topics.keys()].find((t) => t.replace(/\./g, '_') === name.replace(/\./g, '_'));
    if (clash) throw invalid(this, 'INVALID_NAME', 'topic name', name, `a name that does not collide with "${clash}" (Kafka treats "." and "_" alike in metric names)`);
    const p = (property: string) => `${property} of topic "${name}"`;
    const replicas = options.replicas ?? Math.min(3, this.replicas);
    if (typeof replicas === 'number' && Number.isInteger(replicas) && replicas > this.replicas) {
      throw invalid(this, 'INVALID_TOPIC', p('replicas'), replicas, `at most the number of brokers (${this.replicas})`);
    }
    requireInteger(this, p('replicas'), replicas, 1, this.replicas);
    const minInSyncReplicas = requireInteger(this, p('minInSyncReplicas'), options.minInSyncReplicas ?? (replicas >= 3 ? 2 : 1), 1, 9);
    if (replicas > 1 && minInSyncReplicas >= replicas) {
      throw invalid(this, 'INVALID_TOPIC', p('minInSyncReplicas'), minInSyncReplicas,
        `fewer than the topic's replicas (${replicas}): with min.insync.replicas equal to the replicas, one broker down stops every acks=all producer`);
    }
    if (replicas === 1 && minInSyncReplicas !== 1) throw invalid(this, 'INVALID_TOPIC', p('minInSyncReplicas'), minInSyncReplicas, '1 with a single replica');
    if (options.deadLetterTopic !== undefined) {
      this.requireResourceName(p('deadLetterTopic'), options.deadLetterTopic);
      if (options.deadLetterTopic === name) throw invalid(this, 'INVALID_TOPIC', p('deadLetterTopic'), name, 'another topic than the topic itself');
    }
    const topic: ResolvedTopic = {
      name,
      partitions: requireInteger(this, p('partitions'), options.partitions ?? 3, 1, 10000),
      replicas,
      minInSyncReplicas,
      retentionHours: requireInteger(this, p('retentionHours'), options.retentionHours ?? 168, 1, 876000),
      retentionBytes: optionalInteger(this, p('retentionBytes'), options.retentionBytes, 1, Number.MAX_SAFE_INTEGER),
      deadLetterTopic: options.deadLetterTopic,
    };
    this.claimObjectName('topic', name);
    this._topics.set(name, topic);
    this.binding?.onTopic?.(topic);
  }

  /**
   * Adds a user with its credentials and permissions (valid until synthesis).
   */
  public addUser(name: string, options: QueueUserOptions = {}): void {
    this.requireUserName('user name', name);
    if (this._users.has(name)) throw invalid(this, 'DUPLICATE', 'user', name, 'a user name not declared already');
    if (this.engine.protocol === QueueProtocol.KAFKA) {
      // each Kafka user reads the consumer groups prefixed with its name (a PREFIXED ACL on `<user>`): a user
      // named after another plus a suffix would share the other's groups (etl's ACL covers etl-audit's groups)
      const other = [...this._users.keys()].find((u) => u.startsWith(name) || name.startsWith(u));
      if (other !== undefined) {
        throw invalid(this, 'INVALID_NAME', 'user name', name, `a name that does not start with "${other}" and is not the start of it: Kafka users read `
          + 'the consumer groups prefixed with their name, so one of them would read and commit the other\'s groups; rename one');
      }
    }
    this._retired.requireNotRetired(name);
    const credentials = this.engine._userCredentials(this._model, name);
    let secret;
    if (credentials.secret === undefined) {
      if (options.password !== undefined) {
        throw invalid(this, 'INVALID_SECRET_SOURCE', `password of user "${name}"`, options.password?.kind, credentials.noPassword ?? 'no password');
      }
    } else {
      const secretName = credentials.secret.name;
      const source = options.password ?? this.environment.secretBackend.sourceFor(this.environment.name, secretName);
      if (!(source instanceof SecretSource)) throw invalid(this, 'INVALID_SECRET_SOURCE', `password of user "${name}"`, source, 'a SecretSource');
      const labels = credentials.secret.labels ?? {};
      secret = source.bind(this, {
        name: secretName,
        keys: ['username', 'password'],
        templates: credentials.secret.templates,
        // the label without which the operator does not read the Secret (an ExternalSecret renders it; other sources carry it)
        ...(Object.keys(labels).length > 0 ? { labels } : {}),
        descriptions: { password: `the password of user "${name}"` },
      });
      if (secret.kind === SecretSourceKind.VAULT || secret.secretName === undefined) {
        throw invalid(this, 'INVALID_SECRET_SOURCE', `password of user "${name}"`, secret.kind,
          'a SecretSource that delivers a Kubernetes Secret (ExternalSecret, SealedSecret, existing): the broker itself reads the password'
          + (options.password === undefined ? noSecretFromBackend(this.environment, `addUser('${name}', { password })`) : ''));
      }
    }
    const user: ResolvedUser = { name, secret, permissions: [] };
    this._users.set(name, user);
    for (const perm of options.permissions ?? []) this.grant(name, perm?.name, perm?.access);
    this.binding?.onUser?.(user);
  }

  /**
   * Retires a user that was declared before and is removed now (valid until synthesis): it can no
   * longer log in. Deleting a user from code is not enough where the engine keeps it:
   *
   * - RabbitMQ StatefulSet: the definitions import never deletes a user, so the definitions keep it
   *   with no password (`password_hash` empty: every password is refused) and no permission in the
   *   virtual host (`^$`); connections already open last until they close.
   * - RabbitMQ operator: no `User` or `Permission` object (the messaging topology operator deletes
   *   the user of a deleted `User`).
   * - Strimzi Kafka: no `KafkaUser` (the User Operator deletes the user's credentials and ACLs; with
   *   TLS authentication its client certificate stays valid until it expires, but without ACLs it
   *   may do nothing).
   *
   * Once the change has been applied, the name may stay retired or be removed from code.
   */
  public retireUser(name: string): void {
    this.requireUserName('retired user', name);
    this._retired.add(name);
  }

  /**
   * Grants a user access to a queue or topic (valid until synthesis; the queue or topic may be declared later).
   */
  public grant(user: string, name: string, access: QueueAccess): void {
    const u = this._users.get(user);
    if (!u) throw invalid(this, 'UNKNOWN_USER', 'grant user', user, `a declared user: ${[...this._users.keys()].join(', ') || '(none)'}`);
    this.requireResourceName(`permission of user "${user}"`, name);
    if (!Object.values(QueueAccess).includes(access)) throw invalid(this, 'INVALID_VALUE', `access of user "${user}" to "${name}"`, access, 'a QueueAccess');
    if (u.permissions.some((g) => g.name === name)) throw invalid(this, 'DUPLICATE', `permission of user "${user}"`, name, 'one permission per user and queue or topic');
    u.permissions.push({ name, access });
  }

  /**
   * Admits a client through the NetworkPolicy (Kafka: the listener's `networkPolicyPeers`); a
   * client in the queue's namespace also gets an egress NetworkPolicy to the brokers (DNS and the
   * client ports), which the namespace's default-deny policy requires.
   */
  public allowFrom(client: DatabaseClient): void {
    if (!(client instanceof DatabaseClient)) throw invalid(this, 'INVALID_CLIENT', 'client', client, 'a DatabaseClient (DatabaseClient.fromWorkload / fromLabels)');
    this._clients.push(client);
    // the namespace denies by default: a client in it gets an egress policy to the brokers
    renderClientEgress(this, this.name, this.environment.namespace, client.toNetworkPolicyPeer(), this._podLabels(),
      () => this.engine._clientPorts(this._model), lazyValue);
  }

  /**
   * How an application connects as `user`: identical whatever the engine of the same protocol.
   */
  public connectionFor(user: string): QueueConnection {
    const u = this._users.get(user);
    if (!u) throw invalid(this, 'UNKNOWN_USER', 'connection user', user, `a declared user: ${[...this._users.keys()].join(', ') || '(none)'}`);
    return this.binding.connectionFor(u);
  }

  /** Names of the declared queues, sorted. */
  public get queueNames(): string[] {
    return [...this._queues.keys()].sort();
  }

  /** Names of the declared topics, sorted. */
  public get topicNames(): string[] {
    return [...this._topics.keys()].sort();
  }

  /** Names of the declared users, sorted. */
  public get userNames(): string[] {
    return [...this._users.keys()].sort();
  }

  /** Labels of the broker pods (the engine's). @internal */
  public _podLabels(): { [key: string]: string } {
    return this.engine._podLabels(this.name);
  }

  /** The ApiObjects of the queue, for tests and policies. @internal */
  public _objects(): ApiObject[] {
    return this.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  }

  private requireSupported(capability: 'queues' | 'topics', what: string, name: unknown): void {
    if (!this.engine.capabilities[capability]) {
      const product = this.engine.displayName;
      throw invalid(this, 'UNSUPPORTED', what, name, capability === 'queues'
        ? `no ${what}s with ${product} (engine ${this.engine.kind}): declare topics with addTopic()`
        : `no ${what}s with ${product} (engine ${this.engine.kind}): declare queues bound to exchanges`);
    }
  }

  /** A user name (added or retired): the broker's and a Kubernetes name's rules, and never the default `guest`. */
  private requireUserName(property: string, name: string): void {
    if (typeof name !== 'string' || !USER_NAME.test(name) || name === 'guest') {
      throw invalid(this, 'INVALID_NAME', property, name, 'lower-case letters, digits and "-", starting with a letter, at most 40 characters, not "guest"');
    }
  }

  private requireResourceName(property: string, name: unknown): asserts name is string {
    const allowed = this.engine._identifierError(name);
    if (allowed !== undefined) throw invalid(this, 'INVALID_NAME', property, name, allowed);
  }

  /** Rendered object names must not collide (`a.b` and `a-b` both render `<name>-a-b`). */
  private claimObjectName(kind: 'exchange' | 'queue' | 'topic', name: string): void {
    const objName = `${kind === 'exchange' ? 'exchange' : 'data'}:${topologyObjectName(this.name, kind, name)}`;
    const other = this._objectNames.get(objName);
    if (other !== undefined) {
      throw invalid(this, 'DUPLICATE', `${kind} name`, name, `a name whose object name (${topologyObjectName(this.name, kind, name)}) differs from that of "${other}"`);
    }
    this._objectNames.set(objName, name);
  }

  private validateModel(): string[] {
    const errors: string[] = [];
    const queues = this.engine.capabilities.queues;
    const targets = queues ? this._queues : this._topics;
    const what = queues ? 'queue' : 'topic';
    for (const u of this._users.values()) {
      for (const g of u.permissions) {
        if (!targets.has(g.name)) errors.push(`user "${u.name}" is granted "${g.name}", which is not a declared ${what}`);
        const q = this._queues.get(g.name);
        // a stream producer may also publish over the stream protocol, straight to the stream
        if (q && produces(g.access) && q.bindings.length === 0 && q.type !== QueueType.STREAM) {
          errors.push(`user "${u.name}" may produce to queue "${q.name}", which is bound to no exchange (producers publish through exchanges)`);
        }
      }
    }
    for (const q of this._queues.values()) {
      for (const b of q.bindings) {
        if (!this._exchanges.has(b.exchange)) errors.push(`queue "${q.name}" is bound to "${b.exchange}", which is not a declared exchange`);
      }
      if (q.deadLetterQueue !== undefined) {
        const dlq = this._queues.get(q.deadLetterQueue);
        if (!dlq) {
          errors.push(`queue "${q.name}" dead-letters to "${q.deadLetterQueue}", which is not a declared queue: `
            + `declare it with addQueue('${q.deadLetterQueue}') or name one of ${[...this._queues.keys()].map((n) => `"${n}"`).join(', ')}`);
        } else if (dlq.type === QueueType.STREAM) {
          errors.push(`queue "${q.name}" dead-letters to "${dlq.name}", which is a stream (dead-letter to a quorum or classic queue)`);
        }
      }
    }
    for (const t of this._topics.values()) {
      if (t.deadLetterTopic !== undefined && !this._topics.has(t.deadLetterTopic)) {
        errors.push(`topic "${t.name}" dead-letters to "${t.deadLetterTopic}", which is not a declared topic`);
      }
    }
    errors.push(...this.binding.validate?.() ?? []);
    return errors;
  }
}
markMessageQueue(MessageQueue);

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
