import { invalid, requireRenderableKey } from '../../../private/names';
import { URI_PASSWORD_TEMPLATE } from '../../../private/uri-password';
import { objectName } from '../../private/names';
import { QueueConnection, QueueProtocol, QueueType } from '../../types';
import { QueueEngineCapabilities } from '../engine';
import { QueueModel, ResolvedUser, UserCredentials } from '../model';
import { streamPort } from './amqp';

/** What both RabbitMQ engines share: the option checks, capabilities, names and the AMQP connection contract. */

/** RabbitMQ MAJOR.MINOR versions the engines render for. */
const RABBITMQ_MINORS = ['3.10', '3.11', '3.12', '3.13', '4.0', '4.1', '4.2'];
const RESOURCE_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/** rabbitmq.conf prefixes the RabbitMQ engines manage. */
const RABBITMQ_MANAGED = ['cluster_formation.', 'definitions.', 'load_definitions', 'listeners.', 'ssl_options.', 'log.', 'cluster_partition_handling',
  'default_user', 'default_pass', 'default_vhost', 'default_permissions.', 'default_user_tags.', 'prometheus.tcp.', 'management.tcp.'];

/** The default image repository. */
export const RABBITMQ_REPOSITORY = 'docker.io/library/rabbitmq';

/** What the RabbitMQ engines support. */
export const RABBITMQ_CAPABILITIES: QueueEngineCapabilities = {
  protocol: QueueProtocol.AMQP,
  queues: true,
  queueTypes: [QueueType.QUORUM, QueueType.CLASSIC, QueueType.STREAM],
  streams: true,
  quorumQueues: true,
  topics: false,
  virtualHosts: true,
  issuesListenerCertificates: false,
  issuesClientCertificates: false,
};

/** A pinned RabbitMQ version the engines render for. */
export function requireRabbitmqVersion(where: string, version: unknown): string {
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(version) : null;
  if (!m || !RABBITMQ_MINORS.includes(`${Number(m[1])}.${Number(m[2])}`)) {
    throw invalid(where, 'INVALID_VERSION', 'version', version,
      `a pinned RabbitMQ version MAJOR.MINOR.PATCH with MAJOR.MINOR one of ${RABBITMQ_MINORS.join(', ')} (e.g. "4.1.4"; "4.1" or "latest" are not pinned)`);
  }
  return version as string;
}

/** Extra rabbitmq.conf settings the engines do not manage, sorted by key. */
export function requireRabbitmqConfig(where: string, config: { [key: string]: string } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (config === undefined) return out;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalid(where, 'INVALID_CONFIG', 'additionalConfig', config, 'a map of rabbitmq.conf keys to values');
  }
  for (const [key, value] of Object.entries(config)) {
    if (!/^[a-z0-9_]+(\.[A-Za-z0-9_$-]+)*$/.test(key)) {
      throw invalid(where, 'INVALID_CONFIG', 'additionalConfig key', key, 'a rabbitmq.conf key such as "vm_memory_high_watermark.relative"');
    }
    requireRenderableKey(where, 'INVALID_CONFIG', 'additionalConfig key', key, 'a rabbitmq.conf key');
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
  return sortKeys(out);
}

/** The map with its keys sorted. */
export function sortKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]]));
}

/** What a queue, exchange or binding name must be in RabbitMQ, or undefined when `name` is one. */
export function checkRabbitmqName(name: unknown): string | undefined {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name) || name.length > 200 || name.startsWith('amq.')) {
    return 'a RabbitMQ name: lower-case letters, digits, ".", "_" and "-", starting and ending with a letter or digit, at most 200 characters, not "amq."-prefixed (reserved)';
  }
  return undefined;
}

/** The AMQP Service of a RabbitMQ engine. */
export function amqpEndpoint(model: QueueModel): { host: string; port: number } {
  return { host: `${model.name}.${model.environment.namespace}.svc`, port: model.tls ? 5671 : 5672 };
}

/** A RabbitMQ user's credentials: its own Secret `<queue>-<user>` with the password, the user name and an AMQP URI. */
export function rabbitmqCredentials(model: QueueModel, user: string): UserCredentials {
  const { host, port } = amqpEndpoint(model);
  const scheme = model.tls ? 'amqps' : 'amqp';
  return {
    username: user,
    secret: {
      name: objectName(model.name, user),
      templates: { username: user, uri: `${scheme}://${user}:${URI_PASSWORD_TEMPLATE}@${host}:${port}/${encodeURIComponent(model.virtualHost!)}` },
    },
  };
}

/** How an application connects to a RabbitMQ engine as `user`. */
export function amqpConnection(model: QueueModel, user: ResolvedUser): QueueConnection {
  const { host, port } = amqpEndpoint(model);
  return {
    protocol: QueueProtocol.AMQP,
    host,
    port,
    endpoints: [`${host}:${port}`],
    // on the same Service: the cluster operator's ports `stream` / `streams` once the plugin runs (`internal/resource/service.go`
    // of v2.22), the StatefulSet engine's; set whatever is declared when the contract is read (streams may come later)
    streamPort: streamPort(model),
    tls: model.tls,
    virtualHost: model.virtualHost,
    username: user.name,
    secretName: user.secret!.secretName!,
    usernameKey: 'username',
    passwordKey: 'password',
    uriKey: 'uri',
    // the CA-only Secret, never `tlsSecretName`: its tls.key would let a client impersonate the brokers
    caSecretName: model.tls ? model.tlsCaSecretName : undefined,
    caKey: model.tls && model.tlsCaSecretName !== undefined ? 'ca.crt' : undefined,
  };
}
