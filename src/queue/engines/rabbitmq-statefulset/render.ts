import { Construct } from 'constructs';
import {
  ConfigSettings, enabledPlugins, hostnameSuffix, INIT_SCRIPT, preStopCommand, RABBITMQ_PATHS, renderDefinitionsTemplate, renderRabbitmqConf,
} from './config';
import { CONFIG_HASH_ANNOTATION, loginUsersAnnotations } from '../../../private/engine-facts';
import { invalid } from '../../../private/names';
import { monitoringPeer, RESTRICTED_CONTAINER } from '../../../private/workload';
import { SecretSource } from '../../../secrets/secret-source';
import { k8s } from '../../private/kube';
import { shortHash } from '../../private/names';
import { antiAffinity, lazy, renderDisruptionBudget, renderMonitoring, zoneSpread } from '../common';
import { EngineHooks, QueueModel } from '../model';
import { amqpPort, hasStreams, rabbitmqAlerts, renderNetworkPolicy, streamPort } from '../rabbitmq-common';

/** uid / gid of the `rabbitmq` user of the official image. */
const RABBITMQ_UID = 999;
/** Secret files readable by the pod's group (fsGroup), not by others. */
const SECRET_MODE = 0o440;

/** What the render needs of the engine. */
export interface StatefulSetSettings extends ConfigSettings {
  readonly podLabels: { [key: string]: string };
  readonly image: string;
  readonly erlangCookie?: SecretSource;
}

/**
 * Renders a MessageQueue as a plain RabbitMQ StatefulSet (no operator).
 *
 * - ConfigMap `<name>-config`: `rabbitmq.conf` (Kubernetes peer discovery, definitions import,
 *   logging to stdout, TLS), `enabled_plugins`, the definitions template (vhost, exchanges, queues,
 *   bindings, policies, users, permissions; passwords are placeholders) and `init.sh`.
 * - An init container runs `init.sh`: it merges each user's password, mounted from the user's
 *   Secret, into the definitions on an in-memory volume, and installs the Erlang cookie. Nothing
 *   secret is rendered; a password rotation takes effect when the pods restart.
 * - StatefulSet with volumeClaimTemplates (retained on delete and scale-down), headless Service for
 *   the Erlang distribution, client Service, PodDisruptionBudget, NetworkPolicy, monitoring, and
 *   before RabbitMQ 4.1 the Role letting the peer discovery read the headless Service's endpoints.
 * - Pods pass Pod Security `restricted` (uid 999, read-only root filesystem, no capabilities) and
 *   carry the environment's labels (`stateful.cdk8s.io/environment`) on top of the selector labels.
 *
 * Definitions only add or update: a queue removed from the model stays in the broker with its
 * messages (delete it with rabbitmqctl once drained), and so does a user: retire it
 * (`MessageQueue.retireUser`), and the definitions keep it without a password or permission.
 */
export function renderRabbitmqStatefulSet(scope: Construct, mq: QueueModel, engine: StatefulSetSettings): EngineHooks {
  const labels = engine.podLabels;
  const ns = mq.environment.namespace;
  const headless = `${mq.name}-headless`;
  const configName = `${mq.name}-config`;
  const port = amqpPort(mq);
  const portName = mq.tls ? 'amqps' : 'amqp';
  const apiDiscovery = !engine.ordinalPeerDiscovery;

  const cookieName = `${mq.name}-erlang-cookie`;
  // Erlang's kernel auth.erl `check_cookie` takes printable ASCII (a trailing newline is dropped) and refuses an empty
  // cookie; the node's cookie is an atom, at most 255 characters
  const cookie = {
    cookie: 'the Erlang cookie the brokers authenticate each other with, the same for every broker: 1 to 255 printable '
      + 'ASCII characters, e.g. `openssl rand -hex 32`',
  };
  const cookieSecret = engine.erlangCookie
    ? engine.erlangCookie.bind(scope, { name: cookieName, keys: Object.keys(cookie), descriptions: cookie })
    : mq.environmentSecret(cookieName, cookie);
  if (cookieSecret.secretName === undefined) {
    throw invalid(scope, 'INVALID_SECRET_SOURCE', 'erlangCookie', cookieSecret.kind, 'a SecretSource that delivers a Kubernetes Secret with a `cookie` key');
  }

  const configData = () => ({
    'definitions.json': renderDefinitionsTemplate(mq, engine),
    'enabled_plugins': enabledPlugins(mq),
    'init.sh': INIT_SCRIPT,
    'rabbitmq.conf': renderRabbitmqConf(mq, engine),
  });
  new k8s.KubeConfigMap(scope, 'Config', {
    metadata: { name: configName, labels },
    data: lazy(configData),
  });

  new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
    metadata: { name: mq.name, labels },
    automountServiceAccountToken: apiDiscovery,
  });
  if (apiDiscovery) {
    new k8s.KubeRole(scope, 'PeerDiscoveryRole', {
      metadata: { name: `${mq.name}-peer-discovery`, labels },
      rules: [
        { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(scope, 'PeerDiscoveryRoleBinding', {
      metadata: { name: `${mq.name}-peer-discovery`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${mq.name}-peer-discovery` },
      subjects: [{ kind: 'ServiceAccount', name: mq.name, namespace: ns }],
    });
  }

  new k8s.KubeService(scope, 'Service', {
    metadata: { name: mq.name, labels },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: lazy(() => [
        { name: portName, port, targetPort: k8s.IntOrString.fromString(portName), protocol: 'TCP' },
        ...(hasStreams(mq) ? [{ name: 'stream', port: streamPort(mq), targetPort: k8s.IntOrString.fromString('stream'), protocol: 'TCP' }] : []),
      ]),
    },
  });
  new k8s.KubeService(scope, 'HeadlessService', {
    metadata: { name: headless, labels },
    spec: {
      clusterIp: 'None',
      publishNotReadyAddresses: true,
      selector: labels,
      ports: [
        { name: 'epmd', port: 4369, targetPort: k8s.IntOrString.fromString('epmd'), protocol: 'TCP' },
        { name: 'dist', port: 25672, targetPort: k8s.IntOrString.fromString('dist'), protocol: 'TCP' },
      ],
    },
  });

  const mounts = {
    templates: { name: 'templates', mountPath: RABBITMQ_PATHS.templates, readOnly: true },
    config: { name: 'config', mountPath: RABBITMQ_PATHS.config },
    users: { name: 'users', mountPath: RABBITMQ_PATHS.users, readOnly: true },
    cookie: { name: 'erlang-cookie', mountPath: RABBITMQ_PATHS.cookie, readOnly: true },
    data: { name: 'data', mountPath: RABBITMQ_PATHS.data },
    tmp: { name: 'tmp', mountPath: '/tmp' },
    tls: { name: 'tls', mountPath: RABBITMQ_PATHS.tls, readOnly: true },
  };
  const hasUsers = () => mq.users().length > 0;
  const multi = mq.replicas > 1;

  new k8s.KubeStatefulSet(scope, 'StatefulSet', {
    // who may log in and who is retired: change safety flags a login user that is gone from both
    metadata: { name: mq.name, labels, annotations: loginUsersAnnotations(mq) },
    spec: {
      serviceName: headless,
      replicas: mq.replicas,
      // the operator's choice too: on a full restart every node must start to find the last one stopped
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: mq.retainOnDelete ? 'Retain' : 'Delete', whenScaled: 'Retain' },
      selector: { matchLabels: labels },
      template: {
        metadata: {
          // the environment's labels on the pods, as the operators' pods get them; the selector (immutable) stays the engine's
          labels: { ...mq.environment.inheritedLabels, ...labels },
          // a change of the configuration rolls the brokers
          annotations: { [CONFIG_HASH_ANNOTATION]: lazy(() => shortHash(JSON.stringify(configData()), 16)) },
        },
        spec: {
          serviceAccountName: mq.name,
          automountServiceAccountToken: apiDiscovery,
          terminationGracePeriodSeconds: multi ? 360 : 60,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RABBITMQ_UID,
            runAsGroup: RABBITMQ_UID,
            fsGroup: RABBITMQ_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: antiAffinity(mq, labels),
          topologySpreadConstraints: mq.spreadAcrossZones ? zoneSpread(labels) : undefined,
          initContainers: [{
            name: 'init',
            image: engine.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', `${RABBITMQ_PATHS.templates}/init.sh`, RABBITMQ_PATHS.templates, RABBITMQ_PATHS.users, RABBITMQ_PATHS.config,
              `${RABBITMQ_PATHS.cookie}/cookie`, RABBITMQ_PATHS.data],
            resources: { requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') }, limits: { memory: k8s.Quantity.fromString('128Mi') } },
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: lazy(() => [
              mounts.templates, mounts.config, ...(hasUsers() ? [mounts.users] : []), mounts.cookie, mounts.data, mounts.tmp,
            ]),
          }],
          containers: [{
            name: 'rabbitmq',
            image: engine.image,
            imagePullPolicy: 'IfNotPresent',
            env: [
              { name: 'MY_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'RABBITMQ_USE_LONGNAME', value: 'true' },
              { name: 'RABBITMQ_NODENAME', value: `rabbit@$(MY_POD_NAME)${hostnameSuffix(mq)}` },
              // the root filesystem is read-only
              { name: 'ERL_CRASH_DUMP', value: '/tmp/erl_crash.dump' },
            ],
            ports: lazy(() => [
              { name: portName, containerPort: port, protocol: 'TCP' },
              ...(hasStreams(mq) ? [{ name: 'stream', containerPort: streamPort(mq), protocol: 'TCP' }] : []),
              { name: 'prometheus', containerPort: 15692, protocol: 'TCP' },
              { name: 'epmd', containerPort: 4369, protocol: 'TCP' },
              { name: 'dist', containerPort: 25672, protocol: 'TCP' },
            ]),
            resources: {
              requests: { cpu: k8s.Quantity.fromString(mq.cpu), memory: k8s.Quantity.fromString(mq.memory) },
              limits: { memory: k8s.Quantity.fromString(mq.memory) },
            },
            // ready once the definitions are imported and the AMQP listener is open
            readinessProbe: {
              tcpSocket: { port: k8s.IntOrString.fromString(portName) },
              initialDelaySeconds: 10,
              periodSeconds: 10,
              timeoutSeconds: 5,
              failureThreshold: 3,
            },
            livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('dist') }, initialDelaySeconds: 60, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 6 },
            // every stable feature flag enabled before a broker stops (the next series requires them), then with several
            // brokers the quorum queues keep their majority while one stops (with a single broker it would wait for nothing)
            lifecycle: { preStop: { exec: { command: preStopCommand(multi) } } },
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: [mounts.config, mounts.data, mounts.tmp, ...(mq.tls ? [mounts.tls] : [])],
          }],
          volumes: lazy(() => [
            { name: 'templates', configMap: { name: configName } },
            { name: 'config', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('16Mi') } },
            ...(hasUsers() ? [{
              name: 'users',
              projected: {
                defaultMode: SECRET_MODE,
                sources: mq.users().map((u) => ({ secret: { name: u.secret!.secretName, items: [{ key: 'password', path: u.name }] } })),
              },
            }] : []),
            { name: 'erlang-cookie', secret: { secretName: cookieSecret.secretName, defaultMode: SECRET_MODE, items: [{ key: 'cookie', path: 'cookie' }] } },
            { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ...(mq.tls ? [{ name: 'tls', secret: { secretName: mq.tlsSecretName, defaultMode: SECRET_MODE } }] : []),
          ]),
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data', labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: mq.storageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(mq.storageSize) } },
        },
      }],
    },
  });

  renderDisruptionBudget(scope, mq, labels);
  renderNetworkPolicy(scope, mq, labels, [
    { peers: [{ podSelector: { matchLabels: labels } }], ports: [4369, 25672] },
    ...(mq.monitoring ? [{ peers: [monitoringPeer(mq.environment.monitoringNamespace)], ports: [15692] }] : []),
  ], apiDiscovery, [4369, 25672]);
  renderMonitoring(scope, mq, labels, 'prometheus', rabbitmqAlerts(mq, `${mq.name}-[0-9]+`, `data-${mq.name}-[0-9]+`));
  // every object is rendered from the model at synthesis: nothing to add per queue or user
  return {};
}
