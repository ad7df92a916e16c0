import { IConstruct } from 'constructs';
import type { ReplicatedDatabase } from '../../../database/replicated-database';
import { ReclaimPolicy } from '../../../environment/storage-profile';
import { Tier } from '../../../environment/tier';
import { isReplicatedDatabase } from '../../../private/brands';
import { ModelRule, ModelRuleContext, RuleProps, RuleViolation } from '../../rule';
import { Severity } from '../../severity';

/** Minimum backup retention in production, in days. */
export const MIN_PRODUCTION_RETENTION_DAYS = 7;

/** A model rule about production ReplicatedDatabases, whatever their engine. */
abstract class ProductionDatabaseRule extends ModelRule {
  protected constructor(props: RuleProps) {
    super(props);
  }

  public evaluate(ctx: ModelRuleContext): RuleViolation[] {
    if (!isDatabase(ctx.construct) || ctx.construct.environment.tier !== Tier.PRODUCTION) return [];
    const message = this.check(ctx.construct);
    return message ? [{ message }] : [];
  }

  /** A message when `db` violates the rule. */
  protected abstract check(db: ReplicatedDatabase): string | undefined;
}

function isDatabase(c: IConstruct): c is ReplicatedDatabase {
  return isReplicatedDatabase(c);
}

/** DATA-BackupRequired. */
export class BackupRequired extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-BackupRequired',
      severity: Severity.ERROR,
      description: 'Production databases have scheduled backups to an object store',
      explanation: 'Replicas replicate mistakes: a dropped table or a bad migration is gone on every instance at once. Only a backup '
        + '(with WAL archiving for point-in-time recovery) brings the data back.',
      fix: 'Set `backup: { schedule, retentionDays, destination }` on the ReplicatedDatabase.',
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    return db.hasBackup ? undefined : `database ${db.name} has no backup in production`;
  }
}

/** DATA-BackupRetention. */
export class BackupRetention extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-BackupRetention',
      severity: Severity.ERROR,
      description: `Production backups are kept at least ${MIN_PRODUCTION_RETENTION_DAYS} days`,
      explanation: 'Corruption and bad data are often found days later; a short retention deletes the last good backup before anyone notices.',
      fix: `Set backup.retentionDays to ${MIN_PRODUCTION_RETENTION_DAYS} or more.`,
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    const days = db.backupRetentionDays;
    return days !== undefined && days < MIN_PRODUCTION_RETENTION_DAYS ? `database ${db.name} keeps backups ${days} day(s)` : undefined;
  }
}

/** DATA-DatabaseInstances. */
export class DatabaseInstances extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-DatabaseInstances',
      severity: Severity.ERROR,
      description: 'Production databases run at least 3 instances',
      explanation: 'With 3 instances a synchronous replica confirms every commit and one instance can be lost or drained without downtime or data loss.',
      fix: 'Set instances to 3 or more (the production default).',
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    return db.instances < 3 ? `database ${db.name} runs ${db.instances} instance(s) in production` : undefined;
  }
}

/** DATA-DatabaseZoneSpread. */
export class DatabaseZoneSpread extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-DatabaseZoneSpread',
      severity: Severity.ERROR,
      description: 'Production database instances are spread across zones',
      explanation: 'Instances in one zone fail together with it: the replicas do not protect against a zone outage.',
      fix: 'Leave spreadAcrossZones at its production default (true).',
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    return db.spreadAcrossZones ? undefined : `database ${db.name} is not spread across zones`;
  }
}

/** DATA-DatabaseEncryptedStorage. */
export class DatabaseEncryptedStorage extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-DatabaseEncryptedStorage',
      severity: Severity.ERROR,
      description: 'Production databases store data on encrypted volumes',
      explanation: 'Unencrypted database volumes leak data through snapshots, backups of the storage layer and decommissioned disks.',
      fix: 'Use an encrypted StorageProfile for the database (or the environment).',
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    return db.storageProfile.encrypted ? undefined : `database ${db.name} uses unencrypted StorageClass "${db.storageProfile.storageClassName}"`;
  }
}

/** DATA-DatabaseRetainOnDelete. */
export class DatabaseRetainOnDelete extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-DatabaseRetainOnDelete',
      severity: Severity.ERROR,
      description: 'Production database volumes are retained when their claims are deleted',
      explanation: 'A pruned or renamed Cluster / StatefulSet deletes its claims; with reclaimPolicy Delete the data goes with them.',
      fix: 'Use a StorageProfile with reclaimPolicy RETAIN for the database.',
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    return db.storageProfile.reclaimPolicy === ReclaimPolicy.RETAIN ? undefined
      : `database ${db.name} uses StorageClass "${db.storageProfile.storageClassName}" with reclaimPolicy ${db.storageProfile.reclaimPolicy}`;
  }
}

/** DATA-DatabaseAutomaticFailover. */
export class DatabaseAutomaticFailover extends ProductionDatabaseRule {
  public constructor() {
    super({
      id: 'DATA-DatabaseAutomaticFailover',
      severity: Severity.WARNING,
      description: 'Production databases use an engine with automatic failover',
      explanation: 'The StatefulSet engine has no operator: when the primary\'s node is lost, writes stop until someone promotes a replica by hand.',
      fix: 'Use DatabaseEngine.cloudNativePg in production, or suppress with the on-call procedure as the reason.',
    });
  }

  protected check(db: ReplicatedDatabase): string | undefined {
    return db.engine.capabilities.automaticFailover ? undefined : `database ${db.name} uses ${db.engine.displayName} (no automatic failover)`;
  }
}
