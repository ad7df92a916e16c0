import { RelatedObjects } from '../../related';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { anySelects, LONG_RUNNING_KINDS, podLabels, replicasOf } from '../workloads';

/** PROD-PodDisruptionBudget: replicated workloads are covered by a PodDisruptionBudget. */
export class DisruptionBudget extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-PodDisruptionBudget',
      kinds: LONG_RUNNING_KINDS,
      severity: Severity.ERROR,
      description: 'Replicated workloads are covered by a PodDisruptionBudget',
      explanation: 'A node drain (cluster upgrade) may evict every replica at once unless a PodDisruptionBudget limits it; for a '
        + 'replicated database that means losing quorum. kube-score (deployment-has-poddisruptionbudget) and Polaris require it.',
      fix: 'Add a PodDisruptionBudget in the same namespace whose selector matches the pod template labels.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (m.kind === 'DaemonSet' || replicasOf(m) < 2) return [];
    const labels = podLabels(m);
    const ns = m.metadata?.namespace;
    // only the PodDisruptionBudgets of the workload's namespace, from an index built once per environment
    const index = ctx.relatedIndex ?? RelatedObjects.of(ctx.related ?? []);
    const covered = anySelects(index.inNamespace('PodDisruptionBudget', ns), 'selector', labels);
    return covered ? [] : [{ message: `${m.kind} "${m.metadata?.name}" has ${replicasOf(m)} replicas and no PodDisruptionBudget selecting its pods`, jsonPointer: '/spec/replicas' }];
  }
}
