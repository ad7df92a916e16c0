import { KindFacts, OperatorImage, conditionTrue, imageOrDefault, imageTag, isObject, strictZoneSpread } from '../../../private/kind-facts';
import { argoCdSyncOptions } from '../../../private/sync-waves';

const GROUP = 'k8s.mariadb.com';
const V1ALPHA1 = `${GROUP}/v1alpha1`;

/**
 * The label the mariadb-operator engine asks the operator to put on everything it creates for a
 * `MariaDB`, `Backup` or `PhysicalBackup` (their `inheritMetadata`) and on its restore Jobs: the
 * operator's own labels (`app.kubernetes.io/name: mariadb`...) are shared with plain StatefulSets.
 */
export const MARIADB_OPERATOR_CREATED_LABEL = { label: 'app.kubernetes.io/managed-by', value: 'mariadb-operator' };

const SCALE_OUT_WITHOUT_SOURCE = 'mariadb-operator starts a new replica only from a physical backup of the template '
  + '`replication.replica.bootstrapFrom` names, and there is none: it reports "Unable to scale out MariaDB: replica datasource not found" '
  + 'and the new replicas never start. Give the database a `backup` (the engine then renders the template and bootstraps new replicas '
  + 'from it) before adding instances';

/**
 * What the pipeline knows about the mariadb-operator kinds (`k8s.mariadb.com/v1alpha1`, CRDs of
 * mariadb-operator 26.6). Health: the `Ready` condition the operator sets on `MariaDB`, `Database`,
 * `User` and `Grant` (their `Ready` printer column). `Backup` and `PhysicalBackup` report `Complete`
 * per run, which a schedule waiting for its first run does not have: no health check (kstatus reads them).
 */
export const MARIADB_OPERATOR_FACTS: readonly KindFacts[] = [
  {
    group: GROUP,
    kind: 'MariaDB',
    // what the operator does to the objects it manages when its own version changes (change-safety CHANGE-OperatorUpgraded)
    operatorUpgrade: {
      title: 'mariadb-operator',
      charts: ['mariadb-operator'],
      onUpgrade: 'the new mariadb-operator reconciles every MariaDB it manages there with its own defaults at once (a release that changes '
        + 'the StatefulSets it renders restarts their pods)',
      safely: 'Read the release notes of every version in between (the mariadb-operator-crds chart goes to the same version) and upgrade in a '
        + 'maintenance window',
      downgrade: 'check its release notes',
    },
    dataBearing: true,
    // Ready, and not restoring its bootstrap backup: the operator's reconcileStatus sets Ready once the StatefulSet is ready,
    // before reconcileRestore (a later phase of the same reconcile, internal/controller/mariadb_controller.go) starts the
    // Restore of a logical `bootstrapFrom`, and leaves Ready as it was while `BackupRestored` is False
    // (mariadb_controller_status.go): without this, the migrate layer would run during the restore that then drops its
    // tables (Argo CD's health check reads any False condition as Progressing: resource_customizations/k8s.mariadb.com/MariaDB)
    fluxReady: `${conditionTrue('Ready')} && !status.conditions.exists(e, e.type == 'BackupRestored' && e.status == 'False')`,
    // the StatefulSet's claims are retained unless `storage.pvcRetentionPolicy` says otherwise (`mariadbPVCRetentionPolicy`,
    // pkg/builder/statefulset_builder.go: applied on Kubernetes 1.32+ only)
    onDelete: (m) => (m.spec?.storage?.pvcRetentionPolicy?.whenDeleted === 'Delete'
      ? 'deletes its volume claims and their data (storage.pvcRetentionPolicy.whenDeleted: Delete, on Kubernetes 1.32 and later)'
      : 'leaves its volume claims with the data (mariadb-operator retains them unless storage.pvcRetentionPolicy.whenDeleted is Delete), '
        + 'unused until someone deletes them'),
    storage: (m) => (m.apiVersion !== V1ALPHA1 ? [] : [{ pointer: '/spec/storage/size', size: m.spec?.storage?.size, storageClass: m.spec?.storage?.storageClassName, classPointer: '/spec/storage/storageClassName' }]),
    // a major release is MAJOR.MINOR (10.6, 10.11, 11.4): the official image's entrypoint runs mariadb-upgrade when either
    // grows (mariadb-docker docker-entrypoint.sh `_check_if_upgrade_is_needed`, embedded in pkg/embed/mariadb-docker)
    version: (m) => (m.apiVersion === V1ALPHA1 ? { text: imageTag(m.spec?.image), pointer: '/spec/image', majorParts: 2 } : undefined),
    // a quorum of three, as the PostgreSQL engines: a primary and a replica to fail over to while one member is down
    replicas: (m) => (m.apiVersion === V1ALPHA1 && typeof m.spec?.replicas === 'number' ? { count: m.spec.replicas, pointer: '/spec/replicas', minimum: 3 } : undefined),
    // a new replica starts from a physical backup of the template `replication.replica.bootstrapFrom` names; without
    // one the operator reports ScaleOutError ("replica datasource not found") and retries forever (`reconcileScaleOutError`)
    nonIncreasingFields: (m) => (m.apiVersion === V1ALPHA1 && m.spec?.replication?.enabled === true
      && !isObject(m.spec.replication.replica?.bootstrapFrom) ? [{ pointer: '/spec/replicas', consequence: SCALE_OUT_WITHOUT_SOURCE }] : []),
    // what the operator's webhook refuses to change (`webhook:"inmutable"` / `"inmutableinit"` in its API types)
    immutableFields: [
      '/spec/storage/storageClassName', '/spec/rootPasswordSecretKeyRef', '/spec/replication/gtidDomainId', '/spec/replication/serverIdStartIndex',
      '/spec/affinity/antiAffinityEnabled', '/spec/bootstrapFrom/s3', '/spec/bootstrapFrom/backupContentType', '/spec/bootstrapFrom/targetRecoveryTime',
    ],
    // the webhook lets `bootstrapFrom` be set where it was not (`webhook:"inmutableinit"`), and the operator's `reconcileRestore`
    // (internal/controller/mariadb_controller.go) restores a logical bootstrap into any healthy MariaDB without the BackupRestored
    // condition, a running one included: the dump drops and re-creates each table it holds
    creationFields: [{
      pointer: '/spec/bootstrapFrom',
      consequence: 'mariadb-operator restores the backup into the running database (its `Restore` of a logical bootstrap, once the '
        + 'servers are healthy): every table in the dump is dropped and re-created as it was in the backup, and what was written since is lost. '
        + 'To restore a database from a backup, create a new one (another name) with `recovery` and move the applications to it; '
        + 'to keep this one, remove `recovery`',
    }],
    // the servers (`spec.image`, default the official image), the replication data plane (default the operator's image)
    // and the metrics exporter (default mysqld-exporter)
    images: (m) => {
      if (m.apiVersion !== V1ALPHA1 || !isObject(m.spec)) return [];
      const out = [imageOrDefault(m.spec, 'image', '/spec', 'MariaDB servers', 'docker-registry1.mariadb.com/library/mariadb')];
      // the replication data plane: the operator's own image unless named
      if (isObject(m.spec.replication) && m.spec.replication.enabled === true) {
        out.push(imageOrDefault(m.spec.replication.initContainer, 'image', '/spec/replication/initContainer', 'MariaDB replication init container', 'ghcr.io/mariadb-operator/mariadb-operator'));
        out.push(imageOrDefault(m.spec.replication.agent, 'image', '/spec/replication/agent', 'MariaDB replication agent', 'ghcr.io/mariadb-operator/mariadb-operator'));
      }
      // the restore Jobs of a bootstrap run the operator's image, whatever the spec says
      if (isObject(m.spec.bootstrapFrom)) out.push(operatorImage('/spec/bootstrapFrom', 'MariaDB restore Jobs'));
      if (isObject(m.spec.metrics) && m.spec.metrics.enabled === true) {
        out.push(imageOrDefault(m.spec.metrics.exporter, 'image', '/spec/metrics/exporter', 'MariaDB metrics exporter', 'docker.io/prom/mysqld-exporter'));
      }
      return out;
    },
    operatorCreatedLabels: [{ label: MARIADB_OPERATOR_CREATED_LABEL.label, values: [MARIADB_OPERATOR_CREATED_LABEL.value] }],
    // the operator's StatefulSet pods get the MariaDB's constraints (pkg/builder/pod_builder.go `mariadbTopologySpreadConstraints`)
    zoneSpread: (m) => (m.apiVersion === V1ALPHA1 ? strictZoneSpread(m.spec?.topologySpreadConstraints, '/spec/topologySpreadConstraints') : undefined),
  },
  { group: GROUP, kind: 'Database', fluxReady: conditionTrue('Ready'), immutableFields: ['/spec/mariaDbRef', '/spec/name', '/spec/characterSet', '/spec/collate'] },
  {
    group: GROUP,
    kind: 'User',
    fluxReady: conditionTrue('Ready'),
    immutableFields: ['/spec/mariaDbRef', '/spec/name', '/spec/host'],
    // the operator's ALTER USER carries a REQUIRE clause only when `require` is set, and it cannot write `REQUIRE NONE`
    // (pkg/sql/sql.go `AlterUser` / `requireQuery`, internal/controller/user_controller.go); MariaDB keeps the clause an
    // ALTER USER leaves out: `requireTls` turned off leaves every existing account requiring TLS
    removalKeptFields: (m) => {
      const quote = (v: unknown) => `'${String(v).replace(/'/g, '\'\'')}'`;
      const account = `${quote(m.spec?.name ?? m.metadata?.name)}@${quote(m.spec?.host ?? '%')}`;
      return [{
        pointer: '/spec/require',
        consequence: 'mariadb-operator keeps the account\'s TLS requirement: its ALTER USER writes a REQUIRE clause only when `require` is set and '
          + 'never REQUIRE NONE, and MariaDB keeps the clause an ALTER USER leaves out, so the account still refuses connections without TLS although '
          + `the server no longer requires it (\`connection.tlsRequired\` false). Once the change is applied, run \`ALTER USER ${account} REQUIRE NONE;\` `
          + 'as root on the primary, or keep `requireTls`',
      }];
    },
  },
  {
    group: GROUP,
    kind: 'Grant',
    fluxReady: conditionTrue('Ready'),
    immutableFields: ['/spec/mariaDbRef', '/spec/username', '/spec/host', '/spec/database', '/spec/table', '/spec/grantOption'],
  },
  // immutable once set, unless the object is recreated on change (Flux `force` and Argo CD `Force=true,Replace=true`, as the engine renders them)
  // their Jobs upload with the operator's image (a Backup cannot name another)
  {
    group: GROUP,
    kind: 'Backup',
    immutableFields: (m) => (recreated(m) ? [] : ['/spec/mariaDbRef', '/spec/storage', '/spec/maxRetention']),
    images: (m) => (m.apiVersion === V1ALPHA1 ? [operatorImage('/spec', 'MariaDB backup Jobs')] : []),
  },
  {
    group: GROUP,
    kind: 'PhysicalBackup',
    immutableFields: (m) => (recreated(m) ? [] : ['/spec/mariaDbRef', '/spec/storage', '/spec/schedule/cron']),
    images: (m) => (m.apiVersion === V1ALPHA1 ? [operatorImage('/spec', 'MariaDB physical backup Jobs')] : []),
  },
  { group: GROUP, kind: 'PointInTimeRecovery', immutableFields: ['/spec/compression'] },
];

/** The operator's own image (its Jobs and data plane), by registry and repository: the tag is the operator's version. */
function operatorImage(pointer: string, what: string): OperatorImage {
  return { image: 'ghcr.io/mariadb-operator/mariadb-operator', pointer, what, defaulted: true };
}

/**
 * Whether the GitOps tools the object is annotated for delete and recreate it when it changes: Flux (`force`)
 * where it carries Flux's annotations, Argo CD (`Force=true,Replace=true`) where it carries Argo CD's (an output
 * wired for one tool carries that tool's annotations only).
 */
function recreated(m: any): boolean {
  const a = m?.metadata?.annotations ?? {};
  const keys = Object.keys(a);
  const flux = a['kustomize.toolkit.fluxcd.io/force'] === 'enabled';
  const options = argoCdSyncOptions(a);
  const argoCd = options.includes('Force=true') && options.includes('Replace=true');
  return (flux || argoCd) && (flux || !keys.some((k) => k.startsWith('kustomize.toolkit.fluxcd.io/')))
    && (argoCd || !keys.some((k) => k.startsWith('argocd.argoproj.io/')));
}
