/**
 * The change-safety risk classes: stable ids, what they mean and how to proceed.
 */
export interface ChangeRule {
  readonly id: string;
  readonly description: string;
  readonly explanation: string;
  readonly fix: string;
}

const rule = (id: string, description: string, explanation: string, fix: string): ChangeRule => ({ id, description, explanation, fix });
const APPROVE = 'If intended, approve it in code: ChangeApprovals.approve(scope, { ruleId, kind, name, reason }).';

export const CHANGE_RULES: readonly ChangeRule[] = [
  rule('CHANGE-DataObjectRemoved', 'A data-bearing object was removed',
    'Flux / Argo CD prune it, and the operator or the StatefulSet controller deletes the data with it (a database cluster, a queue, volumes).',
    `Restore the object, or migrate the data first. ${APPROVE}`),
  rule('CHANGE-DataObjectRenamed', 'A data-bearing object was renamed (same kind and content, new name)',
    'A rename is a delete plus a create: the old object and its data are pruned and an empty one is created. Moving a construct in the tree does this.',
    `Keep the old name (set \`name\` explicitly), or migrate the data. ${APPROVE}`),
  rule('CHANGE-ImmutableField', 'A field Kubernetes or the operator treats as immutable or unsafe changed',
    'The apply fails (immutable field) or the controller recreates the object; for a StatefulSet\'s volumeClaimTemplates, selector or serviceName, '
    + 'a StorageClass\'s provisioner or parameters, a PVC\'s storageClassName, a Service\'s clusterIP or a Job\'s template, GitOps gets stuck. '
    + 'Or the operator takes the change and does nothing with it: no operator moves existing volumes to a new storage class (CloudNativePG gives '
    + 'it to new instances only, the RabbitMQ cluster operator changes only a claim\'s capacity, Strimzi ignores every storage change of the pool).',
    `Create a new object and migrate, or revert the field. ${APPROVE}`),
  rule('CHANGE-StorageShrink', 'Storage of a data-bearing object shrank',
    'Volumes cannot shrink: the change is rejected or the operator recreates instances on smaller volumes that the data may not fit.',
    `Keep the size, or migrate to a new object. ${APPROVE}`),
  rule('CHANGE-StorageGrowthWithoutExpansion', 'Storage grew on a StorageClass that does not allow volume expansion',
    'Claims on a class without allowVolumeExpansion cannot grow: the change fails at apply time.',
    `Use a StorageProfile with allowVolumeExpansion, or migrate. ${APPROVE}`),
  rule('CHANGE-MajorVersionUpgrade', 'A database or broker jumped a major version',
    'A major upgrade needs a planned path (pg_upgrade / logical replication for PostgreSQL, mariadb-upgrade for MariaDB, whose major releases '
    + 'are MAJOR.MINOR: 10.6 → 10.11 and 11.4 → 11.8 are major upgrades, feature flags for RabbitMQ, Kafka metadata versions).',
    'Follow the engine\'s upgrade procedure (README, "Major version upgrades"). CloudNativePG runs `pg_upgrade` in place when the major of '
    + `\`imageName\` changes: give its backups a new server name in the same change (\`CHANGE-MajorUpgradeSharedArchive\`). ${APPROVE}`),
  rule('CHANGE-MajorUpgradeSharedArchive', 'A database jumped a major version while its log archive kept its server name',
    'CloudNativePG upgrades a major version in place with `pg_upgrade`, which creates a new system identifier and starts timeline 1 again: '
    + 'in an archive that keeps its server name the new major\'s WAL overwrites the old one\'s timeline-1 segments and the backups of both '
    + 'majors mix (the Barman Cloud plugin does not separate them; CloudNativePG\'s docs, "Backup and WAL Archive Considerations"). '
    + 'Point-in-time recovery does not cross a major version.',
    'In the same change as the version, give the backups a new server name (`backup.serverName`, e.g. `<name>-pg<major>`: the Barman Cloud '
    + 'plugin parameter `serverName` of the Cluster\'s `spec.plugins[]`); the old archive stays restorable under the old name '
    + `(\`recovery.serverName\`). Take a backup as soon as the upgrade completes. ${APPROVE}`),
  rule('CHANGE-UnsupportedUpgradePath', 'A database or broker version skipped a release its upgrade path goes through',
    'RabbitMQ upgrades in place one release series at a time, along its version upgradability table (3.12 → 3.13 → 4.0, 4.1 or 4.2): '
    + 'each series requires the feature flags of the one before it enabled, so a broker restarted on a series further on refuses to start '
    + '("required feature flag not enabled") and the rolling restart stops with it down; nor can the two versions run side by side in the cluster.',
    `Upgrade through the series the finding names, one publish each, letting every broker run it (and its feature flags be enabled) before the next; or move to a new cluster (blue-green). ${APPROVE}`),
  rule('CHANGE-VersionDowngrade', 'A database or broker version went down',
    'Data files written by a newer version are generally not readable by an older one.',
    `Restore the version. ${APPROVE}`),
  rule('CHANGE-OperatorUpgraded', 'An operator that manages data services changed version (upgrade or downgrade)',
    'The operators are installed once per cluster (Argo CD Applications in `argocd/`) at one version for every cluster: a new version reaches '
    + 'production and the other clusters in the same sync, and acts on every data service it manages there at once. CloudNativePG rolls every '
    + 'PostgreSQL Cluster to the new instance manager (one instance after the other, then a switchover) unless in-place updates are enabled; '
    + 'RabbitMQ cluster operator releases that change the StatefulSets roll every RabbitmqCluster; Strimzi rolls the Kafka pods. A downgrade '
    + 'runs an older operator on objects the newer one wrote.',
    'Upgrade in a maintenance window after reading the release notes; for CloudNativePG enable `ENABLE_INSTANCE_MANAGER_INPLACE_UPDATES` '
    + '(or spread the roll-outs with `CLUSTERS_ROLLOUT_DELAY`); for RabbitMQ pause the reconciliation of each RabbitmqCluster '
    + `(the operator's pauseReconciliation label) until it is safe. ${APPROVE}`),
  rule('CHANGE-ScaleBelowQuorum', 'Instances, brokers or replicas went below what the data needs',
    'Fewer instances than the replication (or quorum) the data relies on loses redundancy or availability, or the data on the removed instances.',
    `Keep at least 3 instances (and more than the synchronous replicas), or lower replication first. ${APPROVE}`),
  rule('CHANGE-BrokersRemoved', 'Brokers that hold queue members or partition replicas were removed',
    'Each broker holds its own share of the data: RabbitMQ quorum queue and stream members, Kafka partition replicas. The StatefulSet '
    + 'controller removes the highest ordinals whatever they hold, so a queue with most of its members there stops, and the others stay '
    + 'short of a member until it is removed by hand; Strimzi reverts the scale-down of a broker that still holds partition replicas, and '
    + 'the layer never turns Ready.',
    'Move the data off the brokers first (RabbitMQ: `rabbitmq-queues shrink <node>` and `rabbitmq-streams delete_replica`, then '
    + `\`rabbitmqctl forget_cluster_node <node>\` after the scale-down; Kafka: a partition reassignment), or keep the brokers. ${APPROVE}`),
  rule('CHANGE-RetentionShortened', 'Backup or message retention was shortened',
    'Backups older than the new retention are deleted at the next cycle. Each limit on kept messages (time, bytes, count) is compared on its own, '
    + 'a limit set where there was none being a cut: Kafka deletes the segments beyond a lower retention.ms or retention.bytes at its next check; '
    + 'RabbitMQ applies a changed policy at once, deleting the stream segments beyond a lower max-age or max-length-bytes and dropping the oldest '
    + 'messages over a lower max-length (or refusing publishes, with reject-publish), and a lower message-ttl to the messages published after it.',
    `Restore the retention. ${APPROVE}`),
  rule('CHANGE-BackupRemoved', 'Backups were removed (schedule, object store or WAL archiving)',
    'Without backups, the next mistake is unrecoverable; removing the object store configuration also stops WAL archiving.',
    `Restore the backup configuration. ${APPROVE}`),
  rule('CHANGE-BackupDestinationChanged', 'The object-store location a database\'s backups are written to changed',
    'Backups and the log archive (CloudNativePG\'s WAL, mariadb-operator\'s binary logs) go to the new location at once, but it holds no base '
    + 'backup until the next scheduled one completes: until then nothing written since the change can be restored from it (CloudNativePG does '
    + 'not check again that the new location is empty, and the backup-age alert fires). The old location is no longer pruned, and its backups '
    + 'restore only through a recovery source naming it.',
    'Keep the location. To move it: have the new location empty, take a backup as soon as the change is applied (CloudNativePG: '
    + '`kubectl cnpg backup <cluster> --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io`; StatefulSet engines: '
    + '`kubectl create job --from=cronjob/<database>-backup <database>-backup-now`; mariadb-operator: a `Backup` object of your own), and keep '
    + `the old location until the new one covers the retention. ${APPROVE}`),
  rule('CHANGE-TierDowngrade', 'An environment that holds data moved to a less critical tier',
    'The tier decides how strictly policies and change safety apply: demoting production to staging turns the errors that protect its data '
    + '(a database removed or renamed, storage shrunk) into warnings, so the same change could prune it. Change safety keys on the tier the previous '
    + 'output recorded, and the demotion itself needs an approval.',
    `Keep the tier, or move the data out first. ${APPROVE}`),
  rule('CHANGE-EnvironmentMoved', 'An environment that holds data moved to another cluster',
    'The data does not move with the manifests: the new cluster starts with empty volumes (or a restore), and in the old cluster the '
    + 'environment\'s objects are left behind. Wired for Flux or Argo CD, the output never prunes the data objects nor the environment\'s '
    + 'Namespace: they keep running there, no longer managed from Git (a database keeps writing to its backup location, which the new '
    + 'one may share), until someone deletes them. Without wiring nothing protects the Namespace: a tool pruning the old cluster\'s '
    + 'platform layer deletes it, and every database, queue and volume in it goes with it.',
    `Keep the cluster, or move the data first (a replica or a restore in the new cluster), then retire the old one (delete its objects there by hand once the data is safe). ${APPROVE}`),
  rule('CHANGE-EnvironmentRenamed', 'An environment that holds data or credentials was renamed on the same cluster',
    'Its objects (same cluster, namespace, kind and name) stay and the new environment\'s layers take them over, so they are compared as '
    + 'changed, not removed. But the External Secrets backend reads each secret from a key named after the environment '
    + '(`<keyPrefix>/<environment>/<secret>`): the new ExternalSecrets read keys that are not in the store unless copied there, so they fail '
    + 'and their Secrets are not refreshed, or not created again. And the old environment\'s GitOps objects are deleted: Flux deletes its '
    + 'Kustomizations, whose finalizer prunes every object the new ones have not taken over yet (prune-disabled data objects excepted; an '
    + 'ExternalSecret takes its Secret with it, `creationPolicy: Owner`), as long as the old deployer ServiceAccount, renamed too, still '
    + 'exists; Argo CD deletes its Application without its objects (the library sets no resources finalizer).',
    'Keep the environment\'s name. To rename it: copy every secret of the old keys to the new ones in the store (the finding lists them), '
    + `then approve the rename. ${APPROVE}`),
  rule('CHANGE-SecretKeyChanged', 'An ExternalSecret reads another secret-store key',
    'The External Secrets Operator reads the new key at its next sync: a key missing from the store fails the ExternalSecret (not Ready, '
    + 'the layer\'s health check fails; with `target.deletionPolicy: Retain` the Secret keeps its last values, with `Delete` it is deleted), '
    + 'and a key holding other values changes the Secret to them (a password the database or broker does not have).',
    `Keep the key, or copy the values to the new key in the store before the change. ${APPROVE}`),
  rule('CHANGE-SecretSourceChanged', 'A Secret still in use is delivered by another mechanism (External Secrets ↔ Sealed Secrets or an existing Secret)',
    'An ExternalSecret owns the Secret it writes (`creationPolicy: Owner`): pruned, it takes the Secret with it, and the Sealed Secrets '
    + 'controller neither takes over a Secret it does not own nor notices that one deleted, so the databases\', brokers\' and clients\' '
    + 'credentials go missing. The other way, the External Secrets Operator cannot take over a Secret a SealedSecret controls (the '
    + 'ExternalSecret is never Ready) and overwrites one created by hand with the store\'s values.',
    'To Sealed Secrets: annotate each Secret `sealedsecrets.bitnami.com/managed=true`, apply its SealedSecret, then the change; to a Secret '
    + 'of your own: create it again once the ExternalSecret is pruned. To External Secrets: put the current values in the store first and '
    + `delete the SealedSecret as the change is applied. ${APPROVE}`),
  rule('CHANGE-UserRemoved', 'A user was removed while the database or broker keeps its login',
    'CloudNativePG stops managing a role that leaves `spec.managed.roles`, the StatefulSet engines keep roles removed from the model, and RabbitMQ\'s '
    + 'definitions import never deletes a user: the user keeps its login and password, so whoever holds the password (an old Secret, a former '
    + 'client) still connects, with the privileges it had.',
    `Retire the user (\`retireUser('<name>')\` or \`retiredUsers\` on the ReplicatedDatabase or MessageQueue): it can no longer log in. ${APPROVE}`),
  rule('CHANGE-ZoneSpreadAdded', 'Instances that hold volumes must now be spread evenly over the zones',
    'A topology spread constraint on the zone with `whenUnsatisfiable: DoNotSchedule` counts the pods in each zone, not where their volumes are, '
    + 'while a zonal volume (EBS, Persistent Disk, Azure Disk) binds its pod to its own zone. When the change re-creates an instance whose volume '
    + 'is in a zone that already has more instances than another, that pod cannot be scheduled anywhere and stays Pending (Kubernetes '
    + 'kubernetes/kubernetes#128832), and the rolling update the change starts stops there: one instance is down until its volume is re-created, '
    + 'and with as many synchronous replicas as the other replicas, writes wait. A staging environment promoted to production gets the spread too.',
    'Before applying it, list the zones of the instances\' volumes (`kubectl get pv -L topology.kubernetes.io/zone`, matching the claims). Balanced '
    + '(no zone with two instances more than another, e.g. 1/1/1 over three zones): approve it. Otherwise re-create the volumes of the instances '
    + 'in the fuller zones first, one at a time and replicas only (delete the claim and the pod; the instance is cloned again where the scheduler '
    + `puts it), or switch the spread off (\`spreadAcrossZones: false\`). ${APPROVE}`),
  rule('CHANGE-DeletionPolicyWeakened', 'A deletion or reclaim policy was weakened (retain → delete)',
    'With `delete`, a GitOps prune of the custom resource deletes the queue, vhost, database or volume in the backend.',
    `Keep \`retain\`. ${APPROVE}`),
];
