import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf, POD_TEMPLATE_KINDS } from '../workloads';

/** PROD-ResourceRequests: every container requests CPU and memory. */
export class ResourceRequests extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-ResourceRequests',
      kinds: POD_TEMPLATE_KINDS,
      severity: Severity.ERROR,
      description: 'Every container requests CPU and memory',
      explanation: 'Without requests the scheduler packs pods blindly and the kubelet evicts them first under pressure; '
        + 'a database evicted under memory pressure loses its in-flight transactions. Polaris and kube-score both require requests.',
      fix: 'Set resources.requests.cpu and resources.requests.memory on every container (and init container).',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const out: RuleViolation[] = [];
    for (const { container, pointer } of containersOf(ctx.manifest)) {
      for (const resource of ['cpu', 'memory']) {
        if (container.resources?.requests?.[resource] === undefined) {
          out.push({ message: `container "${container.name}" sets no ${resource} request`, jsonPointer: `${pointer}/resources/requests/${resource}` });
        }
      }
    }
    return out;
  }
}
