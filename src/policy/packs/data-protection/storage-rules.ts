import { EnvironmentChart } from '../../../environment/environment-chart';
import { ReclaimPolicy } from '../../../environment/storage-profile';
import { Tier } from '../../../environment/tier';
import { ModelRule, ModelRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';

/** Runs `check` on each EnvironmentChart of a production environment. */
function productionCharts(ctx: ModelRuleContext): EnvironmentChart | undefined {
  return EnvironmentChart.isEnvironmentChart(ctx.construct) && ctx.construct.environment.tier === Tier.PRODUCTION ? ctx.construct : undefined;
}

/** DATA-EncryptedStorage: production environments store data on encrypted volumes. */
export class EncryptedStorage extends ModelRule {
  public constructor() {
    super({
      id: 'DATA-EncryptedStorage',
      severity: Severity.ERROR,
      description: 'Production environments store data on encrypted volumes',
      explanation: 'Unencrypted volumes leak data through snapshots, decommissioned disks and storage-layer access.',
      fix: 'Give the production Environment a StorageProfile with encryption (StorageProfile.ondat({ encryption: true }), awsEbs, gcePd), '
        + 'or declare an existing class encrypted: StorageProfile.existing(name, { encrypted: true }).',
    });
  }

  public evaluate(ctx: ModelRuleContext): RuleViolation[] {
    const chart = productionCharts(ctx);
    if (!chart || chart.environment.storageProfile.encrypted) return [];
    return [{ message: `environment "${chart.environment.name}" uses StorageClass "${chart.environment.storageProfile.storageClassName}", which is not encrypted` }];
  }
}

/** DATA-RetainOnDelete: production volumes outlive their claims. */
export class RetainOnDelete extends ModelRule {
  public constructor() {
    super({
      id: 'DATA-RetainOnDelete',
      severity: Severity.ERROR,
      description: 'Production volumes are retained when their claim is deleted',
      explanation: 'With reclaimPolicy Delete, a GitOps prune or a renamed StatefulSet deletes the claim and the data with it.',
      fix: 'Use a StorageProfile with reclaimPolicy RETAIN (the default of the presets) in production.',
    });
  }

  public evaluate(ctx: ModelRuleContext): RuleViolation[] {
    const chart = productionCharts(ctx);
    if (!chart || chart.environment.storageProfile.reclaimPolicy === ReclaimPolicy.RETAIN) return [];
    return [{ message: `environment "${chart.environment.name}" uses StorageClass "${chart.environment.storageProfile.storageClassName}" with reclaimPolicy ${chart.environment.storageProfile.reclaimPolicy}` }];
  }
}

/** DATA-ReplicatedStorage: production volumes keep more than one copy. */
export class ReplicatedStorage extends ModelRule {
  public constructor() {
    super({
      id: 'DATA-ReplicatedStorage',
      severity: Severity.WARNING,
      description: 'Production volumes keep at least two copies',
      explanation: 'A single-copy volume is lost with its disk; databases replicate at the application level too, but a replica '
        + 'rebuild from scratch takes hours.',
      fix: 'Use a replicated StorageProfile (Ondat replicas >= 1, Portworx repl >= 2, GCE regional PD) in production.',
    });
  }

  public evaluate(ctx: ModelRuleContext): RuleViolation[] {
    const chart = productionCharts(ctx);
    if (!chart || chart.environment.storageProfile.replicas >= 2) return [];
    return [{ message: `environment "${chart.environment.name}" uses StorageClass "${chart.environment.storageProfile.storageClassName}" with ${chart.environment.storageProfile.replicas} copy` }];
  }
}
