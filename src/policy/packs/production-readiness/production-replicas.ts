import { Tier } from '../../../environment/tier';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { isLongRunning, LONG_RUNNING_KINDS } from '../workloads';

/** PROD-ProductionReplicas: in production, Deployments and StatefulSets run at least 2 replicas. */
export class ProductionReplicas extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-ProductionReplicas',
      kinds: LONG_RUNNING_KINDS,
      severity: Severity.ERROR,
      description: 'In production, Deployments and StatefulSets run at least 2 replicas',
      explanation: 'A single replica is a single point of failure: every node drain, crash or rollout is an outage.',
      fix: 'Set spec.replicas to 2 or more in production (env.selectNumber({ development: 1, production: 3 })).',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (ctx.tier !== Tier.PRODUCTION || !isLongRunning(m) || m.kind === 'DaemonSet' || m.kind === 'ReplicaSet') return [];
    const replicas = typeof m.spec?.replicas === 'number' ? m.spec.replicas : 1;
    return replicas >= 2 ? [] : [{ message: `${m.kind} "${m.metadata?.name}" runs ${replicas} replica(s) in production`, jsonPointer: '/spec/replicas' }];
  }
}
