/**
 * Kyverno `ClusterPolicy` / `Policy` rules with `validate.cel` (and `celPreconditions`), on the
 * CEL environment of ValidatingAdmissionPolicy. Internal module.
 */
import { CelLookup } from './environment';
import { CelEvaluation, evaluateCelValidations, podTemplateView } from './evaluate';

/**
 * Evaluates a rule's `validate.cel` on a resource. For the rules Kyverno generates for pod
 * controllers (`autogen`), the expressions read the pod template as `object`.
 */
/** How a rule is evaluated: the operation, autogen, the namespace and the objects lookups read. */
export interface CelRuleOptions {
  readonly operation: string;
  readonly autogen?: string;
  readonly namespaceObject?: any;
  readonly lookup?: CelLookup;
}

export function evaluateValidateCel(rule: any, resource: any, options: CelRuleOptions): CelEvaluation {
  const cel = rule?.validate?.cel ?? {};
  const object = options.autogen !== undefined ? podTemplateView(resource) ?? resource : resource;
  const validations = (Array.isArray(cel.expressions) ? cel.expressions : []).map((e: any) => ({
    ...e,
    message: typeof e?.message === 'string' && e.message !== '' ? e.message : rule?.validate?.message,
  }));
  const params = cel.paramKind !== undefined
    ? (options.lookup?.objects ?? []).find((o) => o?.apiVersion === cel.paramKind.apiVersion && o?.kind === cel.paramKind.kind
      && (cel.paramRef?.name === undefined || o?.metadata?.name === cel.paramRef.name)
      && (cel.paramRef?.namespace === undefined || o?.metadata?.namespace === cel.paramRef.namespace))
    : null;
  if (cel.paramKind !== undefined && params === undefined) {
    return { status: 'error', message: `params not found: ${cel.paramKind.kind} ${cel.paramRef?.namespace ?? ''}/${cel.paramRef?.name ?? ''}`, failures: [] };
  }
  return evaluateCelValidations({
    matchConditions: Array.isArray(rule?.celPreconditions) ? rule.celPreconditions : [],
    variables: Array.isArray(cel.variables) ? cel.variables : [],
    validations,
    auditAnnotations: Array.isArray(cel.auditAnnotations) ? cel.auditAnnotations : [],
  }, { object, operation: options.operation, namespaceObject: options.namespaceObject, params, lookup: options.lookup });
}

/**
 * A rule's `celPreconditions` (Kyverno: CEL match conditions on any rule type): `met`, `not met`
 * (the rule is skipped), or the error / "not evaluated" outcome.
 */
export function evaluateCelPreconditions(rule: any, resource: any, options: CelRuleOptions): CelEvaluation | 'met' {
  const conditions = Array.isArray(rule?.celPreconditions) ? rule.celPreconditions : [];
  if (conditions.length === 0) return 'met';
  const object = options.autogen !== undefined ? podTemplateView(resource) ?? resource : resource;
  const e = evaluateCelValidations({ matchConditions: conditions, validations: [] },
    { object, operation: options.operation, namespaceObject: options.namespaceObject, lookup: options.lookup });
  return e.status === 'pass' ? 'met' : e;
}
