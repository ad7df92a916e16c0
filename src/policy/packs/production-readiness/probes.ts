import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf, isLongRunning, LONG_RUNNING_KINDS } from '../workloads';

/** PROD-ReadinessProbe: containers of long-running workloads have a readiness probe. */
export class ReadinessProbe extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-ReadinessProbe',
      kinds: LONG_RUNNING_KINDS,
      severity: Severity.ERROR,
      description: 'Containers of long-running workloads have a readiness probe',
      explanation: 'Without a readiness probe a pod receives traffic before it can serve it, and a rolling update can take every '
        + 'replica out of service at once. Polaris and kube-score both require it.',
      fix: 'Add a readinessProbe (httpGet, tcpSocket, grpc or exec) to every container of Deployments, StatefulSets and DaemonSets.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    if (!isLongRunning(ctx.manifest)) return [];
    return containersOf(ctx.manifest, { init: false })
      .filter(({ container }) => container.readinessProbe === undefined)
      .map(({ container, pointer }) => ({ message: `container "${container.name}" has no readinessProbe`, jsonPointer: `${pointer}/readinessProbe` }));
  }
}

/** PROD-LivenessProbe: containers of long-running workloads have a liveness probe. */
export class LivenessProbe extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-LivenessProbe',
      kinds: LONG_RUNNING_KINDS,
      severity: Severity.WARNING,
      description: 'Containers of long-running workloads have a liveness probe',
      explanation: 'A liveness probe restarts a wedged process. It is a warning, not an error: a badly tuned liveness probe restarts '
        + 'healthy databases under load, so some teams leave it out on purpose.',
      fix: 'Add a livenessProbe with a generous failureThreshold, or suppress the rule with the reason.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    if (!isLongRunning(ctx.manifest)) return [];
    return containersOf(ctx.manifest, { init: false })
      .filter(({ container }) => container.livenessProbe === undefined)
      .map(({ container, pointer }) => ({ message: `container "${container.name}" has no livenessProbe`, jsonPointer: `${pointer}/livenessProbe` }));
  }
}
