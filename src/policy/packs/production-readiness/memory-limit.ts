import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf, POD_TEMPLATE_KINDS } from '../workloads';

/** PROD-MemoryLimit: every container has a memory limit. */
export class MemoryLimit extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-MemoryLimit',
      kinds: POD_TEMPLATE_KINDS,
      severity: Severity.ERROR,
      description: 'Every container has a memory limit',
      explanation: 'A container without a memory limit can take a node\'s memory and get its neighbours (other databases) OOM-killed. '
        + 'Polaris and kube-score both require memory limits. (CPU limits are left to the team: throttling hurts latency.)',
      fix: 'Set resources.limits.memory on every container (and init container).',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    return containersOf(ctx.manifest)
      .filter(({ container }) => container.resources?.limits?.memory === undefined)
      .map(({ container, pointer }) => ({ message: `container "${container.name}" has no memory limit`, jsonPointer: `${pointer}/resources/limits/memory` }));
  }
}
