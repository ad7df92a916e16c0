import { isClusterScoped } from '../../../private/kinds';
import { ManifestRule, ManifestRuleContext, RuleEnforcement, RuleViolation } from '../../rule';
import { Severity } from '../../severity';

/** GITOPS-NoDefaultNamespace: namespaced objects name a namespace other than `default`. */
export class NoDefaultNamespace extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-NoDefaultNamespace',
      severity: Severity.ERROR,
      description: 'Namespaced objects name their namespace, and it is not "default"',
      explanation: 'An object without a namespace lands wherever the applier points (often `default`), outside the namespace\'s '
        + 'Pod Security labels, quotas and NetworkPolicies; `default` itself has none of them.',
      fix: 'Define the object in an EnvironmentChart (its namespace applies) or set metadata.namespace.',
      // what goes into Git: operators create such objects at run time, the cluster has no files
      enforcement: RuleEnforcement.GIT_ONLY,
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (isClusterScoped(m.kind)) return [];
    const ns = m.metadata?.namespace;
    if (ns === undefined || ns === '') return [{ message: `${m.kind} "${m.metadata?.name}" has no namespace`, jsonPointer: '/metadata' }];
    if (ns === 'default') return [{ message: `${m.kind} "${m.metadata?.name}" is in the default namespace`, jsonPointer: '/metadata/namespace' }];
    return [];
  }
}
