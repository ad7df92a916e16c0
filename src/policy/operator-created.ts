import { operatorCreatedLabels } from '../private/kind-registry';

/**
 * Objects the operators create at run time from this library's custom resources, by the labels each
 * engine declares for its operator's kinds (`operatorCreatedLabels` in `<engine>/facts.ts`; see
 * test/policy/kyverno/fixtures/operator-created/). What they render was checked at synthesis through
 * the custom resource (instances, resources, images): the admission rules translated from manifest
 * rules leave them to it (a Strimzi entity operator runs one replica by design; its env names Secrets).
 * Pod Security still applies to them (the namespaces enforce it too). Every export (Kyverno
 * ClusterPolicy, ValidatingPolicy, ValidatingAdmissionPolicy) derives its exclusion from this one list.
 */
export const OPERATOR_CREATED: ReadonlyArray<{ readonly label: string; readonly values?: string[] }> = operatorCreatedLabels()
  .map(({ label, values }) => (values ? { label, values: [...values] } : { label }));

/**
 * Kyverno precondition: the object was not created by one of the operators above. A precondition, not
 * an `exclude` selector: a selector would stop Kyverno generating the rules for pod controllers
 * (autogen), and the operators label their controllers' pod templates too.
 */
export const KYVERNO_NOT_OPERATOR_CREATED = {
  key: `{{ ${OPERATOR_CREATED.map(({ label, values }) => {
    return values
      ? `contains(\`${JSON.stringify(values)}\`, request.object.metadata.labels."${label}" || '')`
      : `contains(keys(request.object.metadata.labels || \`{}\`), '${label}')`;
  }).join(' || ')} }}`,
  operator: 'Equals',
  value: false,
};

/**
 * Label selector (`objectSelector` of a ValidatingPolicy's or ValidatingAdmissionPolicy's
 * `matchConstraints`) of the objects not created by one of the operators above: every requirement
 * holds for an object without the label (`DoesNotExist`, `NotIn`). Kyverno would not generate
 * ValidatingPolicy rules for pod controllers from a policy with an object or namespace selector
 * (kyverno/kyverno pkg/cel/autogen/support.go `CanAutoGen`), the same concern as for ClusterPolicy;
 * the CEL exports do not rely on autogen (`autogen.podControllers.controllers: []`): their resource
 * rules name the controllers and their expressions read the pod templates, so the selector applies
 * to the object admitted, whose own labels the operators set on Pods, controllers and Secrets alike.
 */
export function notOperatorCreatedSelector(): any {
  return {
    matchExpressions: OPERATOR_CREATED.map(({ label, values }) => (values
      ? { key: label, operator: 'NotIn', values: [...values] }
      : { key: label, operator: 'DoesNotExist' })),
  };
}
