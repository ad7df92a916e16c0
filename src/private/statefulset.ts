/**
 * Pieces shared by the StatefulSet database engines (PostgreSQL and MariaDB without an operator):
 * the `-headless` / `-rw` / `-ro` Services, the pod security context, the recovery download init
 * container, the instance volumes, the StatefulSet itself with its PodDisruptionBudget, and the
 * PodMonitor (internal module). What differs between the engines (uid, ports, containers, paths,
 * labels) is a parameter.
 */
import { ApiObject } from 'cdk8s';
// the L1 classes only: not the cdk8s-plus-28 index, whose L2 constructs this library does not use
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { CONFIG_HASH_ANNOTATION } from './engine-facts';
import { AWS_CLI_IMAGE, objectStoreEnv } from './statefulset-backup';
import { RESTRICTED_CONTAINER } from './workload';

const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';

const q = (s: string) => k8s.Quantity.fromString(s);
const mount = (volume: string, mountPath: string, readOnly?: boolean): k8s.VolumeMount => ({ name: volume, mountPath, readOnly });

/**
 * Services `<name>-headless` (the StatefulSet's, `publishNotReadyAddresses`), `<name>-rw` (the
 * primary, ordinal 0) and `<name>-ro` (every instance) on the named database port.
 */
export function renderPrimaryReplicaServices(scope: Construct, name: string, podLabels: { [key: string]: string },
  portName: string, port: number): void {
  const servicePorts = [{ name: portName, port, targetPort: k8s.IntOrString.fromString(portName), protocol: 'TCP' }];
  new k8s.KubeService(scope, 'HeadlessService', {
    metadata: { name: `${name}-headless`, labels: podLabels },
    spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: podLabels, ports: servicePorts },
  });
  new k8s.KubeService(scope, 'ReadWriteService', {
    metadata: { name: `${name}-rw`, labels: podLabels },
    spec: { type: 'ClusterIP', selector: { ...podLabels, 'statefulset.kubernetes.io/pod-name': `${name}-0` }, ports: servicePorts },
  });
  new k8s.KubeService(scope, 'ReadOnlyService', {
    metadata: { name: `${name}-ro`, labels: podLabels },
    spec: { type: 'ClusterIP', selector: podLabels, ports: servicePorts },
  });
}

/** Pod Security `restricted` pod security context running as the image's database user `uid`. */
export function databasePodSecurityContext(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The directories of a StatefulSet database pod (the engine's own paths). */
export interface DatabasePodPaths {
  /** Where the `data` volume claim is mounted. */
  readonly dataMount: string;
  readonly scripts: string;
  readonly restore: string;
  readonly tmp: string;
}

/** What the recovery download init container needs. */
export interface RecoveryDownload {
  /** `<source>/<serverName>`: where the backups to restore from are. */
  readonly source: string;
  readonly credentialsSecretName: string;
  readonly endpointUrl?: string;
  /** The data directory variable `download.sh` checks (nothing to restore when it is initialised). */
  readonly dataEnv: k8s.EnvVar;
  readonly paths: DatabasePodPaths;
}

/**
 * Init container `restore-download` (AWS CLI image): `download.sh` fetches the newest complete
 * backup into the `restore` emptyDir on an empty ordinal 0.
 */
export function recoveryDownloadContainer(r: RecoveryDownload): k8s.Container {
  const paths = r.paths;
  return {
    name: 'restore-download',
    image: AWS_CLI_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    command: ['bash', `${paths.scripts}/download.sh`],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      r.dataEnv,
      { name: 'RESTORE_DIR', value: paths.restore },
      { name: 'RECOVERY_SOURCE', value: r.source },
      ...objectStoreEnv(r.credentialsSecretName, r.endpointUrl, paths.tmp),
    ],
    resources: { requests: { cpu: q('100m'), memory: q('256Mi') }, limits: { memory: q('512Mi') } },
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [mount('data', paths.dataMount, true), mount('scripts', paths.scripts, true), mount('restore', paths.restore), mount('tmp', paths.tmp)],
  };
}

/** The volumes of a StatefulSet database pod. */
export interface DatabasePodVolumes {
  readonly scriptsConfigMap: string;
  /** The projected sources of the users' password Secrets (usually lazy: users may be added until synthesis). */
  readonly userSecretSources: any;
  readonly replicationSecretName: string;
  /** Engine-specific volumes after `run` and `tmp`. */
  readonly extra: k8s.Volume[];
  /** With recovery: the size of the `restore` emptyDir. */
  readonly restoreSizeLimit?: string;
}

/**
 * Volumes `scripts` (the ConfigMap), `users` (every user's password), `replication`, the `run` and
 * `tmp` emptyDirs, the engine's extra volumes and, with recovery, `restore`.
 */
export function databasePodVolumes(v: DatabasePodVolumes): k8s.Volume[] {
  return [
    { name: 'scripts', configMap: { name: v.scriptsConfigMap, defaultMode: 0o555 } },
    { name: 'users', projected: { defaultMode: 0o440, sources: v.userSecretSources } },
    { name: 'replication', secret: { secretName: v.replicationSecretName, defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] } },
    { name: 'run', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    ...v.extra,
    ...(v.restoreSizeLimit !== undefined ? [{ name: 'restore', emptyDir: { sizeLimit: q(v.restoreSizeLimit) } }] : []),
  ];
}

/** A StatefulSet database: the pods, their volume claims and the disruption budget. */
export interface DatabaseStatefulSet {
  readonly name: string;
  /** Selector labels (StatefulSet, claims, spread). */
  readonly podLabels: { [key: string]: string };
  /** Pod template labels (the selector labels and any inherited ones). */
  readonly templateLabels: { [key: string]: string };
  /** Hash of the configuration and scripts (rolls the pods when it changes). */
  readonly configHash: string;
  readonly instances: number;
  readonly terminationGracePeriodSeconds: number;
  readonly podSecurityContext: k8s.PodSecurityContext;
  /** Spread across zones (topology spread constraints) or only prefer other nodes (anti-affinity). */
  readonly spreadAcrossZones: boolean;
  readonly initContainers: k8s.Container[];
  readonly containers: k8s.Container[];
  readonly volumes: k8s.Volume[];
  readonly storageClassName?: string;
  readonly storageSize: string;
  /** Render a PodDisruptionBudget (maxUnavailable 1). */
  readonly podDisruptionBudget: boolean;
  /** Annotations of the StatefulSet itself (not of its pods). */
  readonly annotations?: { [key: string]: string };
}

/**
 * StatefulSet `<name>` (`OrderedReady`, service `<name>-headless`, volume claim template `data`,
 * claims retained when deleted or scaled down) and, when asked, PodDisruptionBudget `<name>`.
 */
export function renderDatabaseStatefulSet(scope: Construct, s: DatabaseStatefulSet): void {
  const { name, podLabels } = s;
  const spread = s.spreadAcrossZones ? [
    { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: podLabels } },
    { maxSkew: 1, topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: podLabels } },
  ] : undefined;
  // (also with one instance: scaling out then needs no change of the pod template)
  const affinity: k8s.Affinity | undefined = !s.spreadAcrossZones ? {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { topologyKey: HOSTNAME, labelSelector: { matchLabels: podLabels } },
      }],
    },
  } : undefined;

  new k8s.KubeStatefulSet(scope, 'StatefulSet', {
    metadata: { name, labels: podLabels, annotations: s.annotations },
    spec: {
      serviceName: `${name}-headless`,
      replicas: s.instances,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      revisionHistoryLimit: 5,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: podLabels },
      template: {
        metadata: { labels: s.templateLabels, annotations: { [CONFIG_HASH_ANNOTATION]: s.configHash } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
          securityContext: s.podSecurityContext,
          topologySpreadConstraints: spread,
          affinity,
          initContainers: s.initContainers,
          containers: s.containers,
          volumes: s.volumes,
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data', labels: podLabels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: s.storageClassName,
          resources: { requests: { storage: q(s.storageSize) } },
        },
      }],
    },
  });

  if (s.podDisruptionBudget) {
    new k8s.KubePodDisruptionBudget(scope, 'PodDisruptionBudget', {
      metadata: { name, labels: podLabels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: podLabels } },
    });
  }
}

/** PodMonitor `<name>`: Prometheus scrapes the `metrics` port of the database pods. */
export function renderPodMonitor(scope: Construct, name: string, podLabels: { [key: string]: string }): ApiObject {
  return new ApiObject(scope, 'PodMonitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name, labels: podLabels },
    spec: { selector: { matchLabels: podLabels }, podMetricsEndpoints: [{ port: 'metrics' }] },
  });
}

/** The directories of a database instance's containers (the engine's own paths). */
export interface DatabaseInstancePaths extends DatabasePodPaths {
  readonly users: string;
  readonly replication: string;
  readonly run: string;
}

/** What the database instance containers need. */
export interface DatabaseInstance {
  /** The main container's name (the init container is `bootstrap`). */
  readonly containerName: string;
  readonly image: string;
  /** The environment of both containers. */
  readonly env: k8s.EnvVar[];
  readonly portName: string;
  readonly port: number;
  readonly cpu: string;
  readonly memory: string;
  /** Mount the `restore` volume into `bootstrap` (with recovery). */
  readonly restore: boolean;
  /** Engine-specific mounts of the main container, after the shared ones. */
  readonly extraMounts: k8s.VolumeMount[];
  readonly paths: DatabaseInstancePaths;
}

/**
 * The database image's containers: init container `bootstrap` (`bootstrap.sh`: initialise, clone or
 * restore the data directory) and the main container (`entrypoint.sh`, probed by `probe.sh`).
 */
export function databaseInstanceContainers(i: DatabaseInstance): { bootstrap: k8s.Container; main: k8s.Container } {
  const paths = i.paths;
  const resources: k8s.ResourceRequirements = { requests: { cpu: q(i.cpu), memory: q(i.memory) }, limits: { memory: q(i.memory) } };
  const probe = (kind: string, periodSeconds: number, failureThreshold: number): k8s.Probe => ({
    exec: { command: ['bash', `${paths.scripts}/probe.sh`, kind] }, periodSeconds, timeoutSeconds: 5, failureThreshold,
  });
  const bootstrap: k8s.Container = {
    name: 'bootstrap',
    image: i.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['bash', `${paths.scripts}/bootstrap.sh`],
    env: i.env,
    resources,
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [
      mount('data', paths.dataMount), mount('scripts', paths.scripts, true), mount('replication', paths.replication, true),
      mount('run', paths.run), mount('tmp', paths.tmp), ...(i.restore ? [mount('restore', paths.restore, true)] : []),
    ],
  };
  const main: k8s.Container = {
    name: i.containerName,
    image: i.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['bash', `${paths.scripts}/entrypoint.sh`],
    env: i.env,
    ports: [{ name: i.portName, containerPort: i.port, protocol: 'TCP' }],
    resources,
    startupProbe: probe('startup', 10, 360),
    readinessProbe: probe('ready', 5, 3),
    livenessProbe: probe('live', 10, 6),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [
      mount('data', paths.dataMount), mount('scripts', paths.scripts, true), mount('users', paths.users, true),
      mount('replication', paths.replication, true), mount('run', paths.run), mount('tmp', paths.tmp), ...i.extraMounts,
    ],
  };
  return { bootstrap, main };
}
