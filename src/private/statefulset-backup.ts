/**
 * Backup pieces shared by the StatefulSet database engines (PostgreSQL and MariaDB without an
 * operator): the object-store (AWS CLI) environment, the backup CronJob (a dump of the primary in an
 * init container, uploaded with retention by the AWS CLI), its egress NetworkPolicy and the database's
 * NetworkPolicy (which admits the backup job) (internal module; the backup alerts are in `./alerts`).
 * What differs between the engines (image, dump container, paths, port, labels) is a parameter.
 */
import { ApiObject } from 'cdk8s';
// the L1 classes only: not the cdk8s-plus-28 index, whose L2 constructs this library does not use
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { backupAnnotations, objectStoreFolder } from './engine-facts';
import { DNS_EGRESS, objectStoreEgress, toPods } from './network';
import { migrationLabels, monitoringPeer, renderWorkloadNetworkPolicy, RESTRICTED_CONTAINER } from './workload';

/** The object-store client of the backup and recovery containers. */
export const AWS_CLI_IMAGE = 'docker.io/amazon/aws-cli:2.17.0';

const q = (s: string) => k8s.Quantity.fromString(s);
const mount = (volume: string, mountPath: string, readOnly?: boolean): k8s.VolumeMount => ({ name: volume, mountPath, readOnly });

/**
 * AWS CLI environment: credentials from the Secret (ACCESS_KEY_ID / ACCESS_SECRET_KEY), endpoint, no
 * instance metadata; `home` is a writable directory (the CLI's cache).
 */
export function objectStoreEnv(secretName: string, endpointUrl: string | undefined, home: string): k8s.EnvVar[] {
  return [
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: secretName, key: 'ACCESS_KEY_ID' } } },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: secretName, key: 'ACCESS_SECRET_KEY' } } },
    { name: 'AWS_DEFAULT_REGION', value: 'us-east-1' },
    { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
    ...(endpointUrl ? [{ name: 'S3_ENDPOINT_URL', value: endpointUrl }] : []),
    { name: 'HOME', value: home },
  ];
}

/** The directories the backup job mounts (the engine's own paths). */
export interface StatefulSetBackupPaths {
  /** The scripts ConfigMap (`backup.sh`, `upload.sh`). */
  readonly scripts: string;
  /** The replication password Secret. */
  readonly replication: string;
  /** The dump, shared by the dump and upload containers. */
  readonly backup: string;
  readonly tmp: string;
}

/** A StatefulSet engine's backup CronJob `<name>-backup`. */
export interface StatefulSetBackupJob {
  /** The database (and StatefulSet) name. */
  readonly name: string;
  /** Labels of the job and its pods (the NetworkPolicy selects them). */
  readonly labels: { [key: string]: string };
  /** Labels of the job's pod template. */
  readonly podLabels: { [key: string]: string };
  readonly kubernetesVersion: string;
  readonly schedule: string;
  readonly retentionDays: number;
  /** Where backups go: `<destinationPath>/<serverName>/`. */
  readonly destinationPath: string;
  /** The folder under `destinationPath` (`backup.serverName`, the database's name by default). */
  readonly serverName: string;
  readonly credentialsSecretName: string;
  readonly endpointUrl?: string;
  readonly podSecurityContext: k8s.PodSecurityContext;
  /** The dump init container's name and image (the database image: `backup.sh`). */
  readonly dumpContainerName: string;
  readonly image: string;
  /** The database port, reached through `<name>-rw`. */
  readonly port: number;
  /** The account the dump logs in as (its password from the replication Secret). */
  readonly replicationUser: string;
  readonly replicationSecretName: string;
  readonly scriptsConfigMap: string;
  /** The size of the dump's emptyDir (the volume size). */
  readonly storageSize: string;
  readonly paths: StatefulSetBackupPaths;
}

/**
 * CronJob `<name>-backup`: `backup.sh` dumps the primary into an emptyDir in an init container,
 * `upload.sh` (AWS CLI) uploads it to `<destinationPath>/<serverName>/` and deletes complete backups older
 * than the retention. Change safety reads the backup facts (annotations) off it.
 */
export function renderStatefulSetBackupCronJob(scope: Construct, b: StatefulSetBackupJob): k8s.KubeCronJob {
  const { name, paths } = b;
  const minor = Number(b.kubernetesVersion.split('.')[1]);
  const uploadEnv: k8s.EnvVar[] = [
    { name: 'BACKUP_DIR', value: paths.backup },
    { name: 'BACKUP_DESTINATION', value: `${b.destinationPath}/${b.serverName}` },
    { name: 'RETENTION_DAYS', value: String(b.retentionDays) },
    ...objectStoreEnv(b.credentialsSecretName, b.endpointUrl, paths.tmp),
  ];
  // change safety reads the backup facts: this CronJob is the backup, RETENTION_DAYS of its upload container the retention
  const envField = (env: string) => `/spec/jobTemplate/spec/template/spec/containers/0/env/${uploadEnv.findIndex((e) => e.name === env)}/value`;
  const location = { url: objectStoreFolder(b.destinationPath, b.serverName), endpointUrl: b.endpointUrl, field: envField('BACKUP_DESTINATION') };
  return new k8s.KubeCronJob(scope, 'BackupCronJob', {
    metadata: { name: `${name}-backup`, labels: b.labels, annotations: backupAnnotations(name, { days: b.retentionDays, field: envField('RETENTION_DAYS') }, location) },
    spec: {
      schedule: b.schedule,
      timeZone: minor >= 27 ? 'Etc/UTC' : undefined,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: b.labels },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 6 * 3600,
          template: {
            metadata: { labels: b.podLabels },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: b.podSecurityContext,
              initContainers: [{
                name: b.dumpContainerName,
                image: b.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['bash', `${paths.scripts}/backup.sh`],
                env: [
                  { name: 'BACKUP_HOST', value: `${name}-rw` },
                  { name: 'BACKUP_PORT', value: String(b.port) },
                  { name: 'BACKUP_DIR', value: paths.backup },
                  { name: 'SCRIPTS_DIR', value: paths.scripts },
                  { name: 'REPLICATION_DIR', value: paths.replication },
                  { name: 'REPLICATION_USER', value: b.replicationUser },
                  { name: 'TMPDIR', value: paths.tmp },
                ],
                resources: { requests: { cpu: q('250m'), memory: q('256Mi') }, limits: { memory: q('512Mi') } },
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [
                  mount('scripts', paths.scripts, true), mount('replication', paths.replication, true), mount('backup', paths.backup), mount('tmp', paths.tmp),
                ],
              }],
              containers: [{
                name: 'upload',
                image: AWS_CLI_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['bash', `${paths.scripts}/upload.sh`],
                env: uploadEnv,
                resources: { requests: { cpu: q('100m'), memory: q('256Mi') }, limits: { memory: q('512Mi') } },
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [mount('scripts', paths.scripts, true), mount('backup', paths.backup, true), mount('tmp', paths.tmp)],
              }],
              volumes: [
                { name: 'scripts', configMap: { name: b.scriptsConfigMap, defaultMode: 0o555 } },
                { name: 'replication', secret: { secretName: b.replicationSecretName, defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] } },
                { name: 'backup', emptyDir: { sizeLimit: q(b.storageSize) } },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      },
    },
  });
}

/** NetworkPolicy `<name>-backup`: the backup job reaches DNS, the database pods on `port` and the object store. */
export function renderStatefulSetBackupNetworkPolicy(scope: Construct, name: string, backupLabels: { [key: string]: string },
  podLabels: { [key: string]: string }, port: number, endpointUrl?: string): ApiObject {
  return new ApiObject(scope, 'BackupNetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${name}-backup` },
    spec: {
      podSelector: { matchLabels: backupLabels },
      policyTypes: ['Egress'],
      egress: [DNS_EGRESS, toPods(podLabels, [port]), objectStoreEgress([endpointUrl])],
    },
  });
}

/** The NetworkPolicies of a StatefulSet database. */
export interface StatefulSetDatabaseNetwork {
  readonly name: string;
  readonly podLabels: { [key: string]: string };
  /** The database port (clients, the instances themselves, the backup job). */
  readonly port: number;
  /** The exporter's port, admitted from monitoring (with monitoring). */
  readonly metricsPort?: number;
  /** Namespace of the monitoring stack, admitted on `metricsPort`. */
  readonly monitoringNamespace: string;
  /** The declared clients' peers, computed at synthesis. */
  readonly clientPeers: () => any[];
  /** A schema migration Job is a client. */
  readonly migration: boolean;
  /** With backups: the backup job's pod labels and object store. */
  readonly backup?: { readonly labels: { [key: string]: string }; readonly endpointUrl?: string };
  /** With recovery: the object store the download init container reaches. */
  readonly recovery?: { readonly endpointUrl?: string };
  readonly lazy: (produce: () => any) => any;
}

/**
 * NetworkPolicy `<name>`: the database pods admit the clients and the migration Job, each other
 * (replication, clone), the backup job and monitoring, and reach DNS, each other and (recovery) the
 * object store; with backups, NetworkPolicy `<name>-backup` for the backup job.
 */
export function renderStatefulSetDatabaseNetworkPolicies(scope: Construct, n: StatefulSetDatabaseNetwork): void {
  const { name, podLabels, port } = n;
  const extra: { peers: any[]; ports: number[] }[] = [{ peers: [{ podSelector: { matchLabels: podLabels } }], ports: [port] }];
  if (n.backup) extra.push({ peers: [{ podSelector: { matchLabels: n.backup.labels } }], ports: [port] });
  if (n.metricsPort !== undefined) extra.push({ peers: [monitoringPeer(n.monitoringNamespace)], ports: [n.metricsPort] });
  renderWorkloadNetworkPolicy(scope, {
    name,
    podLabels,
    // the declared clients and the migration Job
    clientPeers: () => [...n.clientPeers(), ...(n.migration ? [{ podSelector: { matchLabels: migrationLabels(name) } }] : [])],
    clientPorts: [port],
    extra,
    egress: [
      DNS_EGRESS,
      // replicas replicate from (and are cloned from) the primary
      toPods(podLabels, [port]),
      // a recovery downloads the backup in an init container
      ...(n.recovery ? [objectStoreEgress([n.recovery.endpointUrl])] : []),
    ],
    lazy: n.lazy,
  });
  if (n.backup) renderStatefulSetBackupNetworkPolicy(scope, name, n.backup.labels, podLabels, port, n.backup.endpointUrl);
}

/** Object-store helpers for the AWS CLI image. */
const S3_FUNCTIONS = `s3() {
  if [ -n "\${S3_ENDPOINT_URL:-}" ]; then aws --endpoint-url "$S3_ENDPOINT_URL" s3 "$@"; else aws s3 "$@"; fi
}
# Backup prefixes (UTC timestamps) under $1, newest first.
backups() {
  s3 ls "$1/" | while read -r kind name; do
    name="\${name%/}"
    if [ "$kind" = PRE ] && [[ "$name" =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then echo "$name"; fi
  done | sort -r
}
`;

/**
 * upload.sh (backup job, AWS CLI container): uploads the backup to
 * `<destination>/<name>/<timestamp>/`, marks it complete, and deletes complete backups older than
 * the retention (never the newest).
 */
export const UPLOAD_SCRIPT = `#!/bin/bash
# upload.sh: upload $BACKUP_DIR/<LATEST>/ to $BACKUP_DESTINATION/<timestamp>/ and apply the retention.
set -euo pipefail
log() { printf '%s [upload] %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
${S3_FUNCTIONS}
stamp="$(cat "$BACKUP_DIR/LATEST")"
[[ "$stamp" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || { log "no backup to upload"; exit 1; }
log "uploading $stamp to $BACKUP_DESTINATION/$stamp/"
s3 cp --recursive --only-show-errors "$BACKUP_DIR/$stamp/" "$BACKUP_DESTINATION/$stamp/"
printf '%s\\n' "$stamp" | s3 cp --only-show-errors - "$BACKUP_DESTINATION/$stamp/COMPLETE"

cutoff="$(date -u -d "-$RETENTION_DAYS days" +%Y%m%dT%H%M%SZ)"
for old in $(backups "$BACKUP_DESTINATION"); do
  if [ "$old" != "$stamp" ] && [[ "$old" < "$cutoff" ]]; then
    log "deleting $old (older than $RETENTION_DAYS days)"
    s3 rm --recursive --only-show-errors "$BACKUP_DESTINATION/$old/"
  fi
done
log "done"
`;

/**
 * download.sh (recovery init container, AWS CLI image): on an empty ordinal 0, downloads the newest
 * complete backup of `<source>/<serverName>/` into $RESTORE_DIR for bootstrap.sh. `dataExists` is
 * the engine's shell test for an initialised data directory (nothing to restore then).
 */
export function downloadScript(dataExists: string): string {
  return `#!/bin/bash
# download.sh: fetch the newest complete backup from $RECOVERY_SOURCE into $RESTORE_DIR (empty primary only).
set -euo pipefail
log() { printf '%s [download] %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
${S3_FUNCTIONS}
if [ "\${POD_NAME##*-}" != 0 ] || ${dataExists}; then
  log "nothing to restore (replica, or the data directory exists)"
  exit 0
fi
for stamp in $(backups "$RECOVERY_SOURCE"); do
  if s3 ls "$RECOVERY_SOURCE/$stamp/COMPLETE" >/dev/null 2>&1; then
    log "downloading backup $stamp from $RECOVERY_SOURCE"
    s3 cp --recursive --only-show-errors "$RECOVERY_SOURCE/$stamp/" "$RESTORE_DIR/"
    exit 0
  fi
done
log "no complete backup under $RECOVERY_SOURCE/"
exit 1
`;
}
