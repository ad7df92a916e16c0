import { RelatedObjects } from '../../related';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { anySelects, isLongRunning, LONG_RUNNING_KINDS, podLabels } from '../workloads';

/** PROD-NetworkPolicy: the pods of every long-running workload are selected by a NetworkPolicy. */
export class NetworkPolicyCoverage extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-NetworkPolicy',
      kinds: LONG_RUNNING_KINDS,
      severity: Severity.ERROR,
      description: 'The pods of every long-running workload are selected by a NetworkPolicy',
      explanation: 'A pod no NetworkPolicy selects accepts connections from anywhere in the cluster: a database reachable from '
        + 'every namespace. kube-score (pod-networkpolicy) requires it.',
      fix: 'Add a NetworkPolicy in the same namespace whose podSelector matches the pods and that admits only their clients.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (!isLongRunning(m)) return [];
    const labels = podLabels(m);
    const ns = m.metadata?.namespace;
    // only the NetworkPolicies of the workload's namespace, from an index built once per environment
    const index = ctx.relatedIndex ?? RelatedObjects.of(ctx.related ?? []);
    const covered = anySelects(index.inNamespace('NetworkPolicy', ns), 'podSelector', labels);
    return covered ? [] : [{ message: `${m.kind} "${m.metadata?.name}": no NetworkPolicy selects its pods`, jsonPointer: '/spec/template/metadata/labels' }];
  }
}
