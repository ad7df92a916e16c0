import { ManifestRule, ManifestRuleContext, RuleEnforcement, RuleViolation } from '../../rule';
import { Severity } from '../../severity';

/** GITOPS-NoSecretData: no Secret carries data in Git. */
export class NoSecretData extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-NoSecretData',
      severity: Severity.ERROR,
      unsuppressible: true,
      description: 'No Secret with data or stringData is committed',
      explanation: 'base64 is not encryption: a Secret with data in a Git repository is a leaked credential, forever, in every clone.',
      fix: 'Use a SecretSource: an External Secrets ExternalSecret, a SealedSecret, Vault agent injection or an existing Secret.',
      // what goes into Git: operators create such objects at run time, the cluster has no files
      enforcement: RuleEnforcement.GIT_ONLY,
      kinds: ['Secret'],
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (m.kind !== 'Secret' || (m.apiVersion !== 'v1' && m.apiVersion !== undefined)) return [];
    const out: RuleViolation[] = [];
    for (const field of ['data', 'stringData']) {
      if (m[field] && typeof m[field] === 'object' && Object.keys(m[field]).length > 0) {
        out.push({ message: `Secret "${m.metadata?.name}" has ${field} (${Object.keys(m[field]).sort().join(', ')})`, jsonPointer: `/${field}` });
      }
    }
    return out;
  }
}
