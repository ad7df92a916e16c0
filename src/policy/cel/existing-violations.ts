/**
 * Existing violations in exported CEL policies: an UPDATE of an object that already failed a
 * validation before the update is admitted, as Kyverno admits it for a ClusterPolicy
 * (`validate.allowExistingViolations`, default true since Kyverno 1.13: api/kyverno/v1
 * `Rule.HasValidateAllowExistingViolations`; pkg/engine/handlers/validation/validate_resource.go
 * `validateOldObject` re-matches the old object as a CREATE and skips the rule when it failed too).
 * ValidatingAdmissionPolicy and Kyverno's ValidatingPolicy have no such field: the validation
 * itself reads `oldObject`. Without it a ReplicaSet created before the policy can't be scaled down
 * by its Deployment, nor its Pods be relabelled. Internal module.
 */

// a string literal, or the identifier `variables.<name>` / `object` (not a field: `.object`, `.?object`)
const STRING_OR_REFERENCE = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|(?<!\w)(?<!\.\s*\??\s*)(?:variables\.([A-Za-z_]\w*)|object\b)/g;

/** The name of the variable that is `name` computed from `oldObject`. */
function oldName(name: string): string {
  return `old${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** `expression` on `oldObject`: `object` and the policy's variables replaced, string literals kept. */
function onOldObject(expression: string, variables: readonly string[]): string {
  return expression.replace(STRING_OR_REFERENCE, (match: string, variable: string | undefined) => {
    if (match.startsWith("'") || match.startsWith('"')) return match;
    if (variable === undefined) return 'oldObject';
    if (!variables.includes(variable)) throw new Error(`CEL export: variables.${variable} is not a variable of the policy`);
    return `variables.${oldName(variable)}`;
  });
}

/** The CEL part of an exported policy. */
export interface CelPolicyBody {
  readonly matchConditions: ReadonlyArray<{ name: string; expression: string }>;
  readonly variables: ReadonlyArray<{ name: string; expression: string }>;
  readonly validations: ReadonlyArray<{ expression: string; message: string }>;
}

/**
 * `body` with every validation also holding on an UPDATE whose old object met the match conditions
 * and failed that same validation (`request.operation == 'UPDATE' && <conditions on oldObject> &&
 * !<validation on oldObject>`), each variable repeated on `oldObject` (`variables.oldSpec` for
 * `variables.spec`; variables are evaluated lazily, so a CREATE never computes them). Per validation,
 * not per policy: an UPDATE that adds a violation of another Pod Security check is still refused; a
 * CREATE, and an UPDATE of a compliant (or previously unmatched) object, are judged as before.
 */
export function allowExistingViolations(body: CelPolicyBody): CelPolicyBody {
  const names = body.variables.map((v) => v.name);
  for (const n of names) {
    if (names.includes(oldName(n))) throw new Error(`CEL export: variable ${oldName(n)} would be shadowed`);
  }
  const oldVariables = body.variables.map((v) => ({ name: oldName(v.name), expression: onOldObject(v.expression, names) }));
  const oldConditions = body.matchConditions.map((c) => `(${onOldObject(c.expression, names)}) && `).join('');
  return {
    matchConditions: body.matchConditions,
    variables: [...body.variables, ...oldVariables],
    validations: body.validations.map((v) => ({
      ...v,
      expression: `(${v.expression}) || (request.operation == 'UPDATE' && ${oldConditions}!(${onOldObject(v.expression, names)}))`,
    })),
  };
}
