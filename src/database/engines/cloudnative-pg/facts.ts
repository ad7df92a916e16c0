import {
  LoginUsersField, KindFacts, LogArchiveField, conditionTrue, imageOrDefault, imageTag, isObject, strictZoneSpread, templateImages,
} from '../../../private/kind-facts';

const GROUP = 'postgresql.cnpg.io';
const V1 = `${GROUP}/v1`;
/** The transition rule of the kinds that name their Cluster (`spec.cluster`). */
const CLUSTER_REFERENCE = { pointer: '/spec/cluster', message: 'cluster reference is immutable after creation' };

/**
 * What the pipeline knows about the CloudNativePG kinds this engine renders. Health: the `Ready`
 * condition (ConditionClusterReady), as Argo CD's built-in check reads it
 * (argo-cd `resource_customizations/postgresql.cnpg.io/Cluster/health.lua`).
 */
export const CLOUDNATIVE_PG_FACTS: readonly KindFacts[] = [
  {
    group: GROUP,
    kind: 'Cluster',
    // what the operator does to the objects it manages when its own version changes (change-safety CHANGE-OperatorUpgraded)
    operatorUpgrade: {
      title: 'CloudNativePG',
      charts: ['cloudnative-pg'],
      // cloudnative-pg docs/src/installation_upgrade.md "Upgrades" (the second step, "Spread Upgrades", "In-place updates of the
      // instance manager"); docs/src/operator_conf.md (CLUSTERS_ROLLOUT_DELAY, INSTANCES_ROLLOUT_DELAY)
      onUpgrade: 'as soon as the new operator runs, CloudNativePG upgrades the instance manager of every PostgreSQL Cluster it manages there: by '
        + 'default a rolling update of all of them at the same time (CLUSTERS_ROLLOUT_DELAY 0), one instance after the other, ending with a '
        + 'switchover of the primary (primaryUpdateStrategy unsupervised; a single-instance Cluster is restarted): every client reconnects',
      safely: 'Upgrade in a maintenance window, or first enable in-place updates of the instance manager (ENABLE_INSTANCE_MANAGER_INPLACE_UPDATES: '
        + '\'true\' in the operator\'s configuration, ConfigMap cnpg-controller-manager-config: no restart, no switchover) or spread the roll-outs '
        + '(CLUSTERS_ROLLOUT_DELAY, INSTANCES_ROLLOUT_DELAY); read the release notes of every version in between',
      downgrade: 'CloudNativePG\'s upgrade documentation describes no downgrade',
    },
    dataBearing: true,
    fluxReady: conditionTrue('Ready'),
    // the phases its operator cannot leave without a person
    fluxFailed: "has(status.phase) && status.phase in ['Unable to create required cluster objects', 'Cluster is unrecoverable and needs manual intervention', "
      + "'Cluster has incomplete or invalid image catalog', 'Cluster cannot proceed to reconciliation due to an unknown plugin being required']",
    storage: (m) => (m.apiVersion !== V1 ? [] : [
      { pointer: '/spec/storage/size', size: m.spec?.storage?.size, storageClass: m.spec?.storage?.storageClass, classPointer: '/spec/storage/storageClass' },
      ...(m.spec?.walStorage ? [{
        pointer: '/spec/walStorage/size', size: m.spec.walStorage.size, storageClass: m.spec.walStorage.storageClass, classPointer: '/spec/walStorage/storageClass',
      }] : []),
    ]),
    // the webhook takes a new class (`validateStorageConfigurationChange` checks only a shrink), and the operator gives it only
    // to the claims it creates (`persistentvolumeclaim.Build`): `reconcileExistingPVCs` resizes the claims there, never their class
    storageClassChange: (m) => {
      const ns = m.metadata?.namespace ? ` -n ${m.metadata.namespace}` : '';
      return 'CloudNativePG gives the new class only to the volumes it creates from now on (a new or re-created instance): the instances there '
        + 'keep their volumes on the old class, and the cluster ends up on both. To move it, re-create the instances\' volumes one at a time, the '
        + `replicas first, waiting for each to be streaming again (\`kubectl${ns} delete pvc/${m.metadata?.name}-<n> pod/${m.metadata?.name}-<n>\`, `
        + `with its \`${m.metadata?.name}-<n>-wal\` claim when the WAL has its own volume), then switch over (\`kubectl cnpg promote\`) and `
        + 're-create the former primary\'s (CloudNativePG\'s storage docs, "Re-creating storage")';
    },
    version: (m) => (m.apiVersion === V1 ? { text: imageTag(m.spec?.imageName), pointer: '/spec/imageName' } : undefined),
    logArchive: (m) => (m.apiVersion === V1 ? walArchive(m) : undefined),
    // the Barman Cloud plugin reads the ObjectStore on every WAL segment it archives (plugin-barman-cloud
    // internal/cnpgi/common/wal.go `Archive`: a failed Get fails the archiving), and PostgreSQL keeps every segment
    // archive_command has not archived: the ObjectStore rendered beside the Cluster is pruned with it, the Cluster is not
    whileUnmanaged: (m) => {
      const archive = m.apiVersion === V1 ? walArchive(m) : undefined;
      if (archive === undefined || !archive.pointer.startsWith('/spec/plugins/')) return undefined;
      return `Its WAL archiving reads ObjectStore "${archive.store}": once that is pruned with it (or its credentials are), every WAL `
        + 'segment fails to archive and PostgreSQL keeps them all on its volume until the volume fills and the database stops. '
        + 'Take a last backup, then hibernate or delete it once its data is safe';
    },
    // the operator manages only the roles listed: one that leaves the list keeps LOGIN and its password
    loginUsers: (m) => (m.apiVersion === V1 ? managedRoles(m) : undefined),
    // a quorum of three, more when synchronous replication waits for more standbys
    replicas: (m) => (m.apiVersion === V1 && typeof m.spec?.instances === 'number'
      ? { count: m.spec.instances, pointer: '/spec/instances', minimum: Math.max(3, (m.spec?.postgresql?.synchronous?.number ?? 0) + 1) } : undefined),
    // the operator writes its own parameters and pg_hba lines
    argoCdIgnoreDifferences: ['/spec/postgresql/parameters', '/spec/postgresql/pg_hba'],
    // the instance pods get the Cluster's constraints (pkg/specs/pods.go)
    zoneSpread: (m) => (m.apiVersion === V1 ? strictZoneSpread(m.spec?.topologySpreadConstraints, '/spec/topologySpreadConstraints') : undefined),
    // `bootstrap.initdb` runs once, when the cluster is created: a new owner is never created as a role (its
    // password update and the Database's `ALTER ... OWNER` fail, the application logs in as a role that does
    // not exist) and the objects stay the old owner's; a new database name is a new, empty database
    immutableFields: ['/spec/bootstrap/initdb/owner', '/spec/bootstrap/initdb/database'],
    // `bootstrap` is read only to create the first instance (internal/controller/cluster_controller.go: `createPrimaryInstance`
    // when `status.instances` is 0), and the webhook checks no bootstrap change (internal/webhook/v1/cluster_webhook.go
    // `validateClusterChanges`): a `recovery` added to a running cluster is accepted and does nothing
    creationFields: [{
      pointer: '/spec/bootstrap/recovery',
      consequence: 'CloudNativePG reads `bootstrap` only when it creates the cluster\'s first instance, so nothing is restored into the running '
        + 'cluster (the change is accepted and ignored). To restore a database from a backup, create a new one (another name) with `recovery` '
        + 'and move the applications to it; to keep this one, remove `recovery`',
    }],
    transitionRules: [{ pointer: '/spec/serviceAccountName', message: 'serviceAccountName is immutable' }],
    // instance Pods, PVCs, Secrets, Services
    operatorCreatedLabels: [{ label: 'cnpg.io/cluster' }],
    // `spec.imageName` (default `ghcr.io/cloudnative-pg/postgresql`); none with an `imageCatalogRef`: the catalog's images are checked on the catalog
    images: (m) => {
      if (m.apiVersion !== V1 || !isObject(m.spec)) return [];
      if (m.spec.imageCatalogRef !== undefined && m.spec.imageName === undefined) return [];
      return [imageOrDefault(m.spec, 'imageName', '/spec', 'PostgreSQL instances', 'ghcr.io/cloudnative-pg/postgresql')];
    },
  },
  {
    group: GROUP,
    kind: 'Database',
    fluxReady: 'has(status.applied) && status.applied',
    // `retain` keeps the database in PostgreSQL when the object goes
    deletionPolicy: (m) => (typeof m.spec?.databaseReclaimPolicy === 'string' ? { value: m.spec.databaseReclaimPolicy, pointer: '/spec/databaseReclaimPolicy' } : undefined),
    // the CRD's transition rules (`self == oldSelf`): the API server refuses the update
    transitionRules: [
      CLUSTER_REFERENCE,
      ...['name', 'template', 'encoding', 'locale', 'localeProvider', 'localeCollate', 'localeCType', 'icuLocale', 'icuRules', 'builtinLocale', 'collationVersion']
        .map((f) => ({ pointer: `/spec/${f}`, message: `${f} is immutable` })),
    ],
  },
  // the CRDs' transition rules: a Backup is immutable, a ScheduledBackup and a DatabaseRole keep their cluster (and a role its name)
  { group: GROUP, kind: 'Backup', transitionRules: [{ pointer: '/spec', message: 'BackupSpec is immutable once set' }] },
  { group: GROUP, kind: 'ScheduledBackup', transitionRules: [CLUSTER_REFERENCE] },
  // `name` through a rule on `spec` (`self.name == oldSelf.name`); `name` is required
  { group: GROUP, kind: 'DatabaseRole', transitionRules: [{ pointer: '/spec/name', message: 'name is immutable' }, CLUSTER_REFERENCE] },
  ...['ImageCatalog', 'ClusterImageCatalog'].map((kind): KindFacts => ({
    group: GROUP,
    kind,
    images: (m) => (m.apiVersion !== V1 || !isObject(m.spec) ? [] : (Array.isArray(m.spec.images) ? m.spec.images : []).flatMap((e: any, i: number) => (isObject(e) && typeof e.image === 'string'
      ? [{ image: e.image, pointer: `/spec/images/${i}/image`, what: `PostgreSQL ${e.major ?? ''} instances`.replace('  ', ' '), defaulted: false }] : []))),
  })),
  {
    group: GROUP,
    kind: 'Pooler',
    // the CRD's transition rules (`self == oldSelf`)
    transitionRules: [CLUSTER_REFERENCE, { pointer: '/spec/serviceAccountName', message: 'serviceAccountName is immutable' }],
    // pooler Deployments and Pods
    operatorCreatedLabels: [{ label: 'cnpg.io/poolerName' }],
    // PgBouncer default `ghcr.io/cloudnative-pg/pgbouncer` unless the template names the `pgbouncer` container's image
    images: (m) => {
      if (m.apiVersion !== V1 || !isObject(m.spec)) return [];
      const own = templateImages(m.spec.template, '/spec/template', 'PgBouncer');
      const named = own.some((i) => i.what.endsWith('"pgbouncer"'));
      return named ? own : [{ image: 'ghcr.io/cloudnative-pg/pgbouncer', pointer: '/spec/template', what: 'PgBouncer', defaulted: true }, ...own];
    },
  },
  // the Barman Cloud plugin's object store: what the pipeline knows of it comes from its backup annotations
  // (private/engine-facts.ts); declared so that the deployer may prune one (see gitops/flux.ts prunableResources)
  { group: 'barmancloud.cnpg.io', kind: 'ObjectStore' },
];

/** The managed roles of a Cluster: those that log in (`login: true`, the operator's default is false) and the others listed. */
function managedRoles(m: any): LoginUsersField {
  const roles: any[] = Array.isArray(m.spec?.managed?.roles) ? m.spec.managed.roles : [];
  const login: string[] = [];
  const retired: string[] = [];
  for (const r of roles) {
    if (typeof r?.name !== 'string') continue;
    if (r.login === true && r.ensure !== 'absent') login.push(r.name);
    else retired.push(r.name);
  }
  return { login, retired, pointer: '/spec/managed/roles', construct: 'ReplicatedDatabase' };
}

/**
 * The WAL archive of a Cluster: its WAL-archiver plugin's object store (`barmanObjectName`) and server name, the plugin
 * parameter `serverName` or, without one, the Cluster's name (plugin-barman-cloud internal/cnpgi/operator/config/config.go
 * `NewFromCluster`; a disabled plugin is not read). The in-tree `spec.backup.barmanObjectStore` has its own `serverName`,
 * the Cluster's name without one (api/v1/cluster_funcs.go `GetServerName`).
 */
function walArchive(m: any): LogArchiveField | undefined {
  const name = m.metadata?.name;
  const plugins: any[] = Array.isArray(m.spec?.plugins) ? m.spec.plugins : [];
  const at = plugins.findIndex((p) => isObject(p) && p.isWALArchiver === true && p.enabled !== false);
  if (at >= 0) {
    const parameters = isObject(plugins[at].parameters) ? plugins[at].parameters : {};
    const server = typeof parameters.serverName === 'string' && parameters.serverName !== '' ? parameters.serverName : name;
    return { store: String(parameters.barmanObjectName ?? plugins[at].name), serverName: server, pointer: `/spec/plugins/${at}/parameters`, majorSuffix: '-pg' };
  }
  const store = m.spec?.backup?.barmanObjectStore;
  if (isObject(store) && typeof store.destinationPath === 'string') {
    const server = typeof store.serverName === 'string' && store.serverName !== '' ? store.serverName : name;
    return { store: store.destinationPath, serverName: server, pointer: '/spec/backup/barmanObjectStore', majorSuffix: '-pg' };
  }
  return undefined;
}
