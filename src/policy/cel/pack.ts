/**
 * CEL policies (Kyverno ValidatingPolicy, Kubernetes ValidatingAdmissionPolicy + binding) as
 * manifest rules of a policy pack, evaluated at synthesis. Internal module.
 */
import { parseAllDocuments } from 'yaml';
import { CelPolicyResult, evaluateCelPolicy, isAdmissionPolicy, isAdmissionPolicyBinding, isValidatingPolicy, LoadedCelPolicy, loadCelPolicy } from './policies';
import { ValidationError } from '../../errors/validation-error';
import { isObject } from '../kyverno/values';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../rule';
import { Severity } from '../severity';

/** The CEL policies and bindings of parsed YAML documents. */
export function celPoliciesOf(docs: readonly unknown[], source?: string): LoadedCelPolicy[] {
  const bindings = docs.filter(isAdmissionPolicyBinding);
  return docs.filter((d) => isValidatingPolicy(d) || isAdmissionPolicy(d)).map((d) => loadCelPolicy(d, source, bindings as any[]));
}

/** Every document of YAML text (for CEL policies and bindings). */
export function yamlDocuments(text: string, source?: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: false })) {
    if (doc.errors.length > 0) {
      throw new ValidationError({ code: 'INVALID_YAML', path: source ?? '<yaml>', property: 'text', allowed: `valid YAML (${doc.errors[0].message.split('\n')[0]})` });
    }
    out.push(doc.toJS({ maxAliasCount: 100 }));
  }
  return out;
}

const resultCache = new WeakMap<object, Map<LoadedCelPolicy, CelPolicyResult[]>>();

function namespaceOf(related: readonly any[] | undefined, ns: string): any {
  return (related ?? []).find((o) => o?.kind === 'Namespace' && o?.metadata?.name === ns);
}

/**
 * One CEL policy as a manifest rule. A failed validation is a violation naming the policy, the
 * validation (index and message) and, for a ValidatingAdmissionPolicy, the binding; an evaluation
 * error or a function that needs the cluster is a "not evaluated" violation, never a pass.
 */
export class CelPolicyRule extends ManifestRule {
  public constructor(id: string, severity: Severity, private readonly policy: LoadedCelPolicy) {
    const annotations = isObject(policy.raw?.metadata?.annotations) ? policy.raw.metadata.annotations : {};
    const title = annotations['policies.kyverno.io/title'];
    const first = policy.raw.spec.validations[0];
    super({
      id,
      severity,
      description: `${policy.kind} ${policy.name}${title ? `: ${title}` : typeof first?.message === 'string' ? `: ${first.message.trim().replace(/\s+/g, ' ')}` : ''}`,
      explanation: (annotations['policies.kyverno.io/description'] ?? `${policy.kind} ${policy.name}${policy.source ? ` (${policy.source})` : ''}.`).trim().replace(/\s+/g, ' '),
      fix: `Change the object so that every validation of ${policy.kind} ${policy.name} holds.`,
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const manifest = ctx.manifest;
    if (!isObject(manifest)) return [];
    let byPolicy = resultCache.get(manifest);
    if (!byPolicy) {
      byPolicy = new Map();
      resultCache.set(manifest, byPolicy);
    }
    let results = byPolicy.get(this.policy);
    if (!results) {
      const related = ctx.related ?? [];
      results = evaluateCelPolicy(this.policy, manifest, {
        namespaceLabels: (ns) => namespaceOf(related, ns)?.metadata?.labels,
        namespaceObject: (ns) => namespaceOf(related, ns),
        lookup: { objects: related },
      });
      byPolicy.set(this.policy, results);
    }
    const out: RuleViolation[] = [];
    for (const r of results) {
      const where = `${this.policy.name}${r.rule ? ` (${r.rule})` : ''}${r.binding ? ` [binding ${r.binding}]` : ''}`;
      if (r.status === 'fail') for (const f of r.failures) out.push({ message: `${where}: validations[${f.index}]: ${f.message}` });
      else if (r.status === 'error') out.push({ message: `${where}: not evaluated: error: ${r.message}` });
      else if (r.status === 'unsupported') out.push({ message: `${where}: ${r.message}` });
    }
    return out;
  }
}
