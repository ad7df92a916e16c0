import { isCheckInForce } from '../pod-security/registry';
import { podTemplates } from '../pod-security/templates';
import { PodSecurityCheck, PssLevel, PssVersion } from '../pod-security/types';
import { toPssVersion } from '../pod-security/version';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../rule';
import { Severity } from '../severity';
import { POD_TEMPLATE_KINDS } from './workloads';

/**
 * One Pod Security Standards check as a manifest rule, evaluated at the pack's level and version
 * (or, without one, at the environment's Kubernetes version, else `latest`), on Pods and every
 * pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob...).
 */
export class PodSecurityRule extends ManifestRule {
  private inForceVersion?: PssVersion;
  private inForce = false;

  public constructor(private readonly check: PodSecurityCheck, private readonly level: PssLevel, private readonly version?: string) {
    super({
      id: check.id,
      severity: Severity.ERROR,
      description: check.description,
      explanation: check.explanation,
      fix: check.fix,
      helpUri: check.helpUri,
      // `podTemplates` finds no pod in any other kind
      kinds: POD_TEMPLATE_KINDS,
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const version = toPssVersion(this.version ?? ctx.environment?.kubernetesVersion ?? 'latest');
    // a check that does not exist in this version, or that a restricted check replaces, is not in force
    // (asked for every object: the answer for the last version is kept; parsed versions are shared)
    if (version !== this.inForceVersion) {
      this.inForce = isCheckInForce(this.check, this.level, version);
      this.inForceVersion = version;
    }
    if (!this.inForce) return [];
    const out: RuleViolation[] = [];
    const templates = podTemplates(ctx.manifest);
    for (let t = 0; t < templates.length; t++) {
      const { pod, pointer } = templates[t];
      const violations = this.check.evaluate(pod, version);
      if (violations === undefined || violations === null) continue;
      for (const v of violations) out.push({ message: v.message, jsonPointer: pointer + v.path });
    }
    return out;
  }
}
