import { ExchangeType, QueueType } from '../../types';
import { QueueModel } from '../model';
import {
  hasStreams, permissionsOf, streamPort, policyDefinition, policyName, policyPattern, queueArguments, storeOffsetNeedsWrite,
} from '../rabbitmq-common';

/** What the configuration needs of the engine. */
export interface ConfigSettings {
  readonly version: string;
  readonly additionalConfig: { [key: string]: string };
  /** RabbitMQ 4.1+: pods join the `-0` pod by ordinal, no API server. */
  readonly ordinalPeerDiscovery: boolean;
}

/** Where things are in the broker pods of the StatefulSet engine. */
export const RABBITMQ_PATHS = {
  /** The ConfigMap: rabbitmq.conf, enabled_plugins, the definitions template and the init script. */
  templates: '/etc/rabbitmq-templates',
  /** What RabbitMQ reads (an in-memory volume the init step fills): rabbitmq.conf, enabled_plugins, definitions.json. */
  config: '/etc/rabbitmq',
  /** One file per user, named after the user, holding its password (projected from the users' Secrets). */
  users: '/etc/rabbitmq-users',
  /** The Erlang cookie Secret (`cookie` key). */
  cookie: '/etc/rabbitmq-cookie',
  /** The data volume, also RabbitMQ's HOME (the cookie goes there). */
  data: '/var/lib/rabbitmq',
  /** The TLS Secret (tls.crt, tls.key, ca.crt). */
  tls: '/etc/rabbitmq-tls',
};

/** Markers around the Kubernetes peer discovery settings in rabbitmq.conf. */
export const PEER_DISCOVERY_BEGIN = '## BEGIN kubernetes-peer-discovery';
export const PEER_DISCOVERY_END = '## END kubernetes-peer-discovery';

/**
 * The plugins the brokers run: peer discovery and metrics; once a stream is declared, the stream
 * protocol too (`rabbitmq_stream`, port 5552, 5551 with TLS), as the operator engine opens it: the
 * NetworkPolicy admits stream clients there, and an application's stream client works on either engine.
 */
export function enabledPlugins(mq: QueueModel): string {
  return `[rabbitmq_peer_discovery_k8s,rabbitmq_prometheus${hasStreams(mq) ? ',rabbitmq_stream' : ''}].\n`;
}

/** The placeholder of a user's password in the definitions template. */
export function passwordPlaceholder(user: string): string {
  return `@@PASSWORD:${user}@@`;
}

/** The DNS suffix of the brokers' pods (their node names are `rabbit@<pod><suffix>`). */
export function hostnameSuffix(mq: QueueModel): string {
  return `.${mq.name}-headless.${mq.environment.namespace}.svc.cluster.local`;
}

/**
 * `rabbitmq.conf` for the engine's version. The Kubernetes peer discovery settings sit between
 * markers (the real-server test replaces exactly them with a single-node setting); without TLS no
 * listener is set, so the AMQP port is RabbitMQ's default (5672).
 */
export function renderRabbitmqConf(mq: QueueModel, engine: ConfigSettings): string {
  const lines: string[] = [
    `# rabbitmq.conf of ${mq.name}, rendered by cdk8s-stateful for RabbitMQ ${engine.version}: change the MessageQueue, not this file.`,
    PEER_DISCOVERY_BEGIN,
    'cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s',
  ];
  if (!engine.ordinalPeerDiscovery) {
    // before 4.1 the plugin lists the headless Service's endpoints through the Kubernetes API
    lines.push(
      'cluster_formation.k8s.host = kubernetes.default.svc.cluster.local',
      'cluster_formation.k8s.address_type = hostname',
      `cluster_formation.k8s.service_name = ${mq.name}-headless`,
      `cluster_formation.k8s.hostname_suffix = ${hostnameSuffix(mq)}`,
      'cluster_formation.node_cleanup.only_log_warning = true',
    );
  }
  lines.push(
    PEER_DISCOVERY_END,
    'cluster_partition_handling = pause_minority',
    'definitions.import_backend = local_filesystem',
    `definitions.local.path = ${RABBITMQ_PATHS.config}/definitions.json`,
    'log.console = true',
    'log.console.level = info',
    'log.file = false',
  );
  // the stream plugin advertises the node's host, its pod's DNS name (RABBITMQ_NODENAME): clients reach each stream's leader there
  if (mq.tls && hasStreams(mq)) lines.push('stream.listeners.tcp = none', `stream.listeners.ssl.default = ${streamPort(mq)}`);
  if (mq.tls) {
    lines.push(
      'listeners.tcp = none',
      'listeners.ssl.default = 5671',
      `ssl_options.cacertfile = ${RABBITMQ_PATHS.tls}/ca.crt`,
      `ssl_options.certfile = ${RABBITMQ_PATHS.tls}/tls.crt`,
      `ssl_options.keyfile = ${RABBITMQ_PATHS.tls}/tls.key`,
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = false',
    );
  }
  const extra = engine.additionalConfig;
  if (Object.keys(extra).length > 0) {
    lines.push('## additionalConfig');
    for (const key of Object.keys(extra)) lines.push(`${key} = ${extra[key]}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The policy definition of a queue with no limit, retention, dead-lettering or delivery limit: RabbitMQ's default
 * overflow behaviour, which only acts on a queue with a length limit (it has none; a stream has no overflow and takes
 * the policy without effect, measured on 3.10.8). A policy needs a key, and the definitions import updates an existing
 * policy but never deletes one: without this definition, a limit removed from the model would stay in the broker and
 * keep refusing (or expiring) messages.
 */
const NO_LIMIT_POLICY = { overflow: 'drop-head' };

/**
 * The definitions RabbitMQ imports at start: the virtual host, exchanges, queues (type and
 * replication as arguments), bindings, one policy per queue (its limits, retention and
 * dead-lettering, or none of them), users and their permissions. Each user's password is a placeholder the init
 * step replaces with the content of the user's Secret. A retired user is kept (the import never
 * deletes one) with an empty password hash and no permission: it can no longer log in.
 */
export function renderDefinitionsTemplate(mq: QueueModel, engine: ConfigSettings): string {
  const vhost = mq.virtualHost!;
  const queues = mq.queues();
  const users = mq.users();
  const retired = mq.retiredUsers();
  const definitions = {
    bindings: queues.flatMap((q) => q.bindings.map((b) => ({
      source: b.exchange,
      vhost,
      destination: q.name,
      destination_type: 'queue',
      routing_key: b.routingKey,
      arguments: {},
    }))).sort((a, b) => compare(`${a.source} ${a.destination} ${a.routing_key}`, `${b.source} ${b.destination} ${b.routing_key}`)),
    exchanges: mq.exchanges().map((e) => ({
      name: e.name,
      vhost,
      type: e.type ?? ExchangeType.TOPIC,
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    })),
    global_parameters: [],
    parameters: [],
    // a retired user: the import never deletes a user, so it stays without a permission and without a password
    permissions: [
      ...users.map((u) => ({ user: u.name, vhost, ...permissionsOf(mq, u, storeOffsetNeedsWrite(engine.version)) })),
      ...retired.map((name) => ({ user: name, vhost, configure: '^$', write: '^$', read: '^$' })),
    ],
    // every queue has its policy, one without limits too: the import updates a policy but never deletes one
    policies: queues.map((q) => ({
      vhost,
      'name': policyName(q),
      'pattern': policyPattern(q),
      'apply-to': 'queues',
      'priority': 0,
      'definition': policyDefinition(q) ?? NO_LIMIT_POLICY,
    })),
    queues: queues.map((q) => ({
      name: q.name,
      vhost,
      durable: q.durable,
      auto_delete: false,
      arguments: { 'x-queue-type': q.type ?? QueueType.QUORUM, ...queueArguments(q) },
    })),
    rabbit_version: engine.version,
    rabbitmq_version: engine.version,
    topic_permissions: [],
    users: [
      ...users.map((u) => ({ name: u.name, password: passwordPlaceholder(u.name), tags: [] })),
      // an empty password hash: every password is refused ("invalid credentials")
      ...retired.map((name) => ({ name, password_hash: '', tags: [] })),
    ],
    vhosts: [{ name: vhost }],
  };
  return JSON.stringify(definitions, undefined, 2) + '\n';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The brokers' `preStop` hook. First it enables the stable feature flags still disabled (those of the version the broker
 * runs): RabbitMQ enables them only on a new cluster, and each release series requires those of the one before it
 * (`stability => required`, deps/rabbit/src/rabbit_core_ff.erl), so a broker of the next series refuses to start while one
 * is disabled ("required feature flag not enabled"). The first broker an upgrade stops still runs the old version beside
 * brokers that all support its flags, so they are enabled before any broker restarts on the new one (docs/upgrade.md: "All
 * stable feature flags must be enabled before an upgrade"). `khepri_db` (stable in 4.2) is left out: it migrates the
 * metadata store to Khepri, which RabbitMQ leaves to an opt-in away from peak load (docs/metadata-store), not to whenever a
 * pod stops. A failure (a broker unreachable; mid-upgrade, a flag the brokers on the old version lack) is logged and
 * ignored: the next stop tries again. Then, with several brokers, it waits until the quorum queues keep their majority
 * without this one (`await_online_quorum_plus_one`).
 */
export function preStopCommand(multi: boolean): string[] {
  const enable = 'for flag in $(rabbitmqctl -q list_feature_flags name state stability --no-table-headers '
    + '| awk \'$2 == "disabled" && $3 == "stable" && $1 != "khepri_db" { print $1 }\'); do '
    + 'rabbitmqctl -q enable_feature_flag "$flag" || echo "preStop: feature flag $flag not enabled" >&2; done';
  return ['sh', '-c', multi ? `${enable}; exec rabbitmq-upgrade await_online_quorum_plus_one -t 300` : enable];
}

/**
 * The init step (POSIX sh and awk, as in the official image): copies rabbitmq.conf and
 * enabled_plugins next to the definitions, renders the definitions with the passwords read from
 * the mounted Secrets (JSON-escaped, never in the ConfigMap), and installs the Erlang cookie.
 */
export const INIT_SCRIPT = `#!/bin/sh
# Prepares a RabbitMQ node before it starts (the StatefulSet's init container); rendered by
# cdk8s-stateful. Usage: init.sh TEMPLATES USERS CONFIG [COOKIE HOME]
#  - copies rabbitmq.conf and enabled_plugins from TEMPLATES to CONFIG;
#  - writes CONFIG/definitions.json: TEMPLATES/definitions.json with each "@@PASSWORD:<user>@@"
#    replaced by the JSON-escaped content of USERS/<user> (the password key of the user's Secret,
#    one final newline ignored). Passwords only exist there (an in-memory volume), never in the
#    ConfigMap; a missing or empty password fails the pod;
#  - with COOKIE, installs it as HOME/.erlang.cookie, mode 0600 as Erlang requires.
set -eu
LC_ALL=C
export LC_ALL
umask 077
templates=$1
users=$2
config=$3
for f in rabbitmq.conf enabled_plugins; do
  cp "$templates/$f" "$config/$f.tmp"
  mv -f "$config/$f.tmp" "$config/$f"
done
awk -v users="$users" '
BEGIN { for (i = 1; i < 32; i++) ctl = ctl sprintf("%c", i) }
function esc(s,    out, i, c, k) {
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c == "\\\\") out = out "\\\\\\\\"
    else if (c == "\\"") out = out "\\\\\\""
    else if ((k = index(ctl, c)) > 0) out = out sprintf("\\\\u%04x", k)
    else out = out c
  }
  return out
}
function password(user,    file, line, s, n, rc) {
  file = users "/" user
  s = ""
  n = 0
  while ((rc = (getline line < file)) > 0) s = s (n++ ? "\\n" : "") line
  close(file)
  if (rc < 0) { printf "init.sh: no password file %s for user %s\\n", file, user > "/dev/stderr"; failed = 1; exit 1 }
  if (s == "") { printf "init.sh: the password of user %s (%s) is empty\\n", user, file > "/dev/stderr"; failed = 1; exit 1 }
  return esc(s)
}
{
  out = ""
  rest = $0
  while (match(rest, /@@PASSWORD:[a-z0-9-]+@@/)) {
    out = out substr(rest, 1, RSTART - 1) password(substr(rest, RSTART + 11, RLENGTH - 13))
    rest = substr(rest, RSTART + RLENGTH)
  }
  print out rest
}
END { if (failed) exit 1 }
' "$templates/definitions.json" > "$config/definitions.json.tmp"
mv -f "$config/definitions.json.tmp" "$config/definitions.json"
if [ $# -ge 5 ]; then
  cp "$4" "$5/.erlang.cookie.tmp"
  chmod 600 "$5/.erlang.cookie.tmp"
  mv -f "$5/.erlang.cookie.tmp" "$5/.erlang.cookie"
fi
`;
