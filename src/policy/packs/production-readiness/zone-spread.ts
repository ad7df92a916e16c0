import { podTemplates } from '../../pod-security/templates';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { LONG_RUNNING_KINDS, replicasOf } from '../workloads';

const TOPOLOGY_KEYS = ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'];

/** PROD-ZoneSpread: replicated workloads spread their pods (topology spread or pod anti-affinity). */
export class ZoneSpread extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-ZoneSpread',
      kinds: LONG_RUNNING_KINDS,
      severity: Severity.ERROR,
      description: 'Replicated workloads spread their pods across zones or nodes',
      explanation: 'Replicas scheduled on one node or in one zone fail together. kube-score (deployment-pod-anti-affinity) and '
        + 'Polaris ask for anti-affinity or topology spread constraints.',
      fix: 'Add topologySpreadConstraints on topology.kubernetes.io/zone (or kubernetes.io/hostname), or a podAntiAffinity.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (m.kind === 'DaemonSet' || replicasOf(m) < 2) return [];
    const [template] = podTemplates(m);
    const spec = template?.pod.spec ?? {};
    const spread = (spec.topologySpreadConstraints ?? []).some((c: any) => TOPOLOGY_KEYS.includes(c?.topologyKey));
    const anti = spec.affinity?.podAntiAffinity;
    const antiTerms = [
      ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => p?.podAffinityTerm),
    ].some((t: any) => TOPOLOGY_KEYS.includes(t?.topologyKey));
    return spread || antiTerms ? [] : [{
      message: `${m.kind} "${m.metadata?.name}" has ${replicasOf(m)} replicas but no topology spread or pod anti-affinity`,
      jsonPointer: `${template?.pointer ?? ''}/spec`,
    }];
  }
}
