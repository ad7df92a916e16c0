import { isClusterScoped } from '../../../private/kinds';
import { ManifestRule, ManifestRuleContext, RuleEnforcement, RuleViolation } from '../../rule';
import { Severity } from '../../severity';

/** GITOPS-NamespaceScoped: application layers hold namespace-scoped objects only. */
export class NamespaceScoped extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-NamespaceScoped',
      severity: Severity.ERROR,
      description: 'Application layers hold namespace-scoped objects only',
      explanation: 'A cluster-scoped object (ClusterRole, StorageClass, CRD...) in an application layer is owned by every team that '
        + 'deploys it: one environment\'s change or prune breaks the others. Cluster-scoped prerequisites belong to platform/<cluster>/.',
      fix: 'Move the object to the platform layer (an Environment\'s StorageProfile, the cluster platform chart) or use a namespaced kind.',
      // what goes into Git: operators create such objects at run time, the cluster has no files
      enforcement: RuleEnforcement.GIT_ONLY,
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (!isClusterScoped(m.kind)) return [];
    if (ctx.file !== undefined && (ctx.file.startsWith('platform/') || ctx.file.includes('/platform/'))) return [];
    return [{ message: `cluster-scoped ${m.kind} "${m.metadata?.name}" in an application layer` }];
  }
}
