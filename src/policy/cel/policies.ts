/**
 * Kyverno `ValidatingPolicy` (policies.kyverno.io v1alpha1 / v1beta1 / v1) and Kubernetes
 * `ValidatingAdmissionPolicy` + `ValidatingAdmissionPolicyBinding`: loading, matching
 * (matchConstraints / matchResources) and evaluation with their CEL validations. Internal module.
 */
import { CelLookup } from './environment';
import { CelEvaluation, CelFailure, CelStatus, CelValidationSpec, evaluateCelValidations, gvrOf, podTemplateView } from './evaluate';
import { ValidationError } from '../../errors/validation-error';
import { CLUSTER_SCOPED_KINDS } from '../kyverno/cluster-scoped';
import { selectorMatches } from '../kyverno/match';
import { isObject } from '../kyverno/values';

const VPOL_VERSIONS = ['policies.kyverno.io/v1alpha1', 'policies.kyverno.io/v1beta1', 'policies.kyverno.io/v1'];
const VAP_VERSIONS = ['admissionregistration.k8s.io/v1', 'admissionregistration.k8s.io/v1beta1', 'admissionregistration.k8s.io/v1alpha1'];

/** Pod controllers Kyverno generates ValidatingPolicy rules for (pkg/cel/autogen), as resources. */
const AUTOGEN_CONTROLLERS: Record<string, { group: string; kind: string }> = {
  daemonsets: { group: 'apps', kind: 'DaemonSet' },
  deployments: { group: 'apps', kind: 'Deployment' },
  replicasets: { group: 'apps', kind: 'ReplicaSet' },
  statefulsets: { group: 'apps', kind: 'StatefulSet' },
  jobs: { group: 'batch', kind: 'Job' },
  cronjobs: { group: 'batch', kind: 'CronJob' },
};

/** A loaded CEL policy: a Kyverno ValidatingPolicy, or a ValidatingAdmissionPolicy with its bindings. */
export interface LoadedCelPolicy {
  readonly kind: 'ValidatingPolicy' | 'NamespacedValidatingPolicy' | 'ValidatingAdmissionPolicy';
  readonly name: string;
  readonly namespace?: string;
  readonly source?: string;
  readonly raw: any;
  /** Bindings of a ValidatingAdmissionPolicy. */
  readonly bindings: any[];
  /** Pod controller kinds the policy also applies to (autogen), empty when none. */
  readonly autogenKinds: string[];
  /** validationActions (Deny, Warn, Audit) of a ValidatingPolicy. */
  readonly validationActions: string[];
}

/** Whether a document is a Kyverno ValidatingPolicy. */
export function isValidatingPolicy(doc: unknown): boolean {
  return isObject(doc) && VPOL_VERSIONS.includes(doc.apiVersion) && (doc.kind === 'ValidatingPolicy' || doc.kind === 'NamespacedValidatingPolicy');
}

/** Whether a document is a Kubernetes ValidatingAdmissionPolicy. */
export function isAdmissionPolicy(doc: unknown): boolean {
  return isObject(doc) && VAP_VERSIONS.includes(doc.apiVersion) && doc.kind === 'ValidatingAdmissionPolicy';
}

/** Whether a document is a ValidatingAdmissionPolicyBinding. */
export function isAdmissionPolicyBinding(doc: unknown): boolean {
  return isObject(doc) && VAP_VERSIONS.includes(doc.apiVersion) && doc.kind === 'ValidatingAdmissionPolicyBinding';
}

function invalid(source: string | undefined, kind: string, name: string, field: string, value: unknown, allowed: string): ValidationError {
  let shown: string | undefined;
  try {
    shown = JSON.stringify(value);
  } catch {
    shown = String(value);
  }
  if (shown !== undefined && shown.length > 120) shown = `${shown.slice(0, 117)}...`;
  return new ValidationError({ code: 'INVALID_CEL_POLICY', path: `${source ? `${source}: ` : ''}${kind} ${name}`, property: field, value: shown, allowed });
}

function checkExpressions(list: unknown, field: string, fail: (f: string, v: unknown, a: string) => ValidationError, named: boolean): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw fail(field, list, 'a list');
  list.forEach((e: any, i: number) => {
    if (!isObject(e) || typeof e.expression !== 'string' || e.expression.trim() === '') throw fail(`${field}[${i}].expression`, e?.expression, 'a CEL expression');
    if (named && (typeof e.name !== 'string' || e.name === '')) throw fail(`${field}[${i}].name`, e?.name, 'a non-empty name');
  });
}

function autogenKindsOf(spec: any): string[] {
  const rules: any[] = Array.isArray(spec?.matchConstraints?.resourceRules) ? spec.matchConstraints.resourceRules : [];
  const podsOnly = rules.length > 0 && rules.every((r) => Array.isArray(r?.resources) && r.resources.length > 0
    && r.resources.every((x: string) => x === 'pods') && (r.apiGroups ?? ['']).every((g: string) => g === '' || g === '*'));
  if (!podsOnly) return [];
  const ag = spec?.autogen?.podControllers;
  const controllers: string[] = Array.isArray(ag?.controllers)
    ? ag.controllers.map((c: string) => c.toLowerCase())
    : Object.keys(AUTOGEN_CONTROLLERS);
  return controllers.filter((c) => AUTOGEN_CONTROLLERS[c]).map((c) => AUTOGEN_CONTROLLERS[c].kind).sort();
}

/**
 * Loads one ValidatingPolicy or ValidatingAdmissionPolicy (with the bindings given for a VAP).
 *
 * @throws ValidationError naming the policy and the field when it is malformed
 */
export function loadCelPolicy(doc: any, source?: string, bindings: any[] = []): LoadedCelPolicy {
  const kind = String(doc?.kind ?? '');
  const name = String(doc?.metadata?.name ?? '');
  const fail = (f: string, v: unknown, a: string) => invalid(source, kind, name, f, v, a);
  if (name === '') throw fail('metadata.name', doc?.metadata?.name, 'a non-empty name');
  const spec = doc?.spec;
  if (!isObject(spec)) throw fail('spec', spec, 'an object');
  checkExpressions(spec.matchConditions, 'spec.matchConditions', fail, true);
  checkExpressions(spec.variables, 'spec.variables', fail, true);
  checkExpressions(spec.validations, 'spec.validations', fail, false);
  if (!Array.isArray(spec.validations) || spec.validations.length === 0) throw fail('spec.validations', spec.validations, 'a non-empty list of validations');
  const actions: string[] = Array.isArray(spec.validationActions) ? spec.validationActions : ['Deny'];
  const bad = actions.find((a) => !['Deny', 'Warn', 'Audit'].includes(a));
  if (bad !== undefined) throw fail('spec.validationActions', bad, 'Deny, Warn or Audit');
  if (isAdmissionPolicy(doc)) {
    return { kind: 'ValidatingAdmissionPolicy', name, source, raw: doc, bindings: bindings.filter((b) => b?.spec?.policyName === name), autogenKinds: [], validationActions: [] };
  }
  const controllers = spec.autogen?.podControllers?.controllers;
  const enabled = controllers === undefined || (Array.isArray(controllers) && controllers.length > 0);
  return {
    kind: kind === 'NamespacedValidatingPolicy' ? 'NamespacedValidatingPolicy' : 'ValidatingPolicy',
    name,
    ...(kind === 'NamespacedValidatingPolicy' ? { namespace: String(doc.metadata?.namespace ?? '') } : {}),
    source,
    raw: doc,
    bindings: [],
    autogenKinds: enabled ? autogenKindsOf(spec) : [],
    validationActions: actions,
  };
}

/** What an object is matched and evaluated with. */
export interface CelPolicyInput {
  /** `CREATE` unless given. */
  readonly operation?: string;
  /** The object before an UPDATE (`oldObject`); null unless given. */
  readonly oldObject?: any;
  /** Labels of a namespace; undefined when unknown (then treated as no labels). */
  readonly namespaceLabels?: (namespace: string) => Record<string, string> | undefined;
  /** The Namespace object of a namespace, when given. */
  readonly namespaceObject?: (namespace: string) => any;
  /** Objects for params (paramKind / paramRef) and Kyverno resource lookups. */
  readonly lookup?: CelLookup;
}

/** The Namespace object `namespaceObject` is bound to for an object (cluster-scoped objects: none). */
export function namespaceObjectFor(obj: any, input: CelPolicyInput): any {
  return namespaceObjectOf(obj, input);
}

/** The result of one policy on one object. */
export interface CelPolicyResult {
  readonly policy: string;
  /** `autogen-…` for the rule Kyverno generates for pod controllers, else empty. */
  readonly rule: string;
  /** The binding of a ValidatingAdmissionPolicy. */
  readonly binding?: string;
  readonly status: CelStatus;
  readonly message: string;
  readonly failures: readonly CelFailure[];
  readonly actions: readonly string[];
  readonly auditAnnotations?: Record<string, string>;
}

function listMatches(list: unknown, value: string): boolean {
  return !Array.isArray(list) || list.length === 0 ? false : list.some((x) => x === '*' || x === value);
}

/** A NamedRuleWithOperations (resourceRules / excludeResourceRules) against an object. */
function ruleMatches(rule: any, obj: any, operation: string, gvr = gvrOf(obj)): boolean {
  if (!listMatches(rule?.operations, operation)) return false;
  if (!listMatches(rule?.apiGroups, gvr.group) || !listMatches(rule?.apiVersions, gvr.version)) return false;
  const resources: string[] = Array.isArray(rule?.resources) ? rule.resources : [];
  if (!resources.some((r) => r === '*' || r === gvr.resource || r === '*/*')) return false;
  if (Array.isArray(rule?.resourceNames) && rule.resourceNames.length > 0 && !rule.resourceNames.includes(obj?.metadata?.name)) return false;
  const namespaced = !CLUSTER_SCOPED_KINDS.includes(String(obj?.kind ?? ''));
  if (rule?.scope === 'Namespaced' && !namespaced) return false;
  if (rule?.scope === 'Cluster' && namespaced) return false;
  return true;
}

/**
 * matchConstraints / matchResources: resource rules, exclusions, namespace and object selectors.
 * The object selector matches when it selects the new object or the old one (`old`, an UPDATE's
 * object before it: the API server's `Matcher.MatchObjectSelector`, apiserver
 * pkg/admission/plugin/webhook/predicates/object/matcher.go, `matchObject(attr.GetObject()) ||
 * matchObject(attr.GetOldObject())`), so an update that adds or removes a selected label is matched.
 */
export function matchResources(m: any, obj: any, operation: string, input: CelPolicyInput, gvr = gvrOf(obj), old: any = input.oldObject): boolean {
  if (!isObject(m)) return true;
  const rules: any[] = Array.isArray(m.resourceRules) ? m.resourceRules : [];
  if (rules.length > 0 && !rules.some((r) => ruleMatches(r, obj, operation, gvr))) return false;
  const excluded: any[] = Array.isArray(m.excludeResourceRules) ? m.excludeResourceRules : [];
  if (excluded.some((r) => ruleMatches(r, obj, operation, gvr))) return false;
  if (isObject(m.objectSelector)) {
    const selects = (o: any) => isObject(o) && selectorMatches(m.objectSelector, isObject(o.metadata?.labels) ? o.metadata.labels : {});
    if (!selects(obj) && !selects(old)) return false;
  }
  if (isObject(m.namespaceSelector)) {
    // Kubernetes matches a Namespace object by its own labels; cluster-scoped objects always match
    if (obj?.kind === 'Namespace') {
      if (!selectorMatches(m.namespaceSelector, { ...(obj?.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': String(obj?.metadata?.name ?? '') })) return false;
    } else if (obj?.metadata?.namespace !== undefined) {
      const ns = String(obj.metadata.namespace);
      // the API server labels every namespace with its name (kubernetes.io/metadata.name)
      if (!selectorMatches(m.namespaceSelector, { ...(input.namespaceLabels?.(ns) ?? {}), 'kubernetes.io/metadata.name': ns })) return false;
    }
  }
  return true;
}

function namespaceObjectOf(obj: any, input: CelPolicyInput): any {
  if (obj?.kind === 'Namespace' || CLUSTER_SCOPED_KINDS.includes(String(obj?.kind ?? ''))) return undefined;
  // a namespaced object without a namespace is created in "default" (as the Kyverno CLI assumes)
  const ns = obj?.metadata?.namespace ?? 'default';
  const given = input.namespaceObject?.(String(ns));
  if (given) return given;
  const labels = input.namespaceLabels?.(String(ns));
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, ...(labels ? { labels } : {}) } };
}

function toResult(policy: LoadedCelPolicy, rule: string, e: CelEvaluation, actions: readonly string[], binding?: string): CelPolicyResult {
  return {
    policy: policy.namespace !== undefined ? `${policy.namespace}/${policy.name}` : policy.name,
    rule,
    ...(binding ? { binding } : {}),
    status: e.status,
    message: e.message,
    failures: e.failures,
    actions,
    ...(e.auditAnnotations ? { auditAnnotations: e.auditAnnotations } : {}),
  };
}

function celSpecOf(spec: any): CelValidationSpec {
  return {
    matchConditions: spec.matchConditions,
    variables: spec.variables,
    validations: spec.validations,
    auditAnnotations: spec.auditAnnotations,
    failurePolicy: spec.failurePolicy,
  };
}

function evaluateVpol(policy: LoadedCelPolicy, obj: any, input: CelPolicyInput): CelPolicyResult[] {
  const spec = policy.raw.spec;
  const operation = input.operation ?? 'CREATE';
  if (policy.namespace !== undefined && String(obj?.metadata?.namespace ?? '') !== policy.namespace) return [];
  const celSpec = celSpecOf(spec);
  const base = { operation, namespaceObject: namespaceObjectOf(obj, input), lookup: input.lookup };
  if (matchResources(spec.matchConstraints, obj, operation, input)) {
    return [toResult(policy, '', evaluateCelValidations(celSpec, { ...base, object: obj, oldObject: input.oldObject }), policy.validationActions)];
  }
  if (!policy.autogenKinds.includes(String(obj?.kind ?? ''))) return [];
  const view = podTemplateView(obj);
  if (!view) return [];
  // the generated rule matches the controller; selectors and conditions still read the pod template
  const asPod = { group: '', version: 'v1', resource: 'pods', kind: 'Pod' };
  const oldView = input.oldObject === undefined ? undefined : podTemplateView(input.oldObject);
  if (!matchResources(spec.matchConstraints, view, operation, input, asPod, oldView)) return [];
  const rule = obj.kind === 'CronJob' ? `autogen-cronjobs-${policy.name}` : `autogen-${policy.name}`;
  return [toResult(policy, rule, evaluateCelValidations(celSpec, { ...base, object: view, oldObject: oldView }), policy.validationActions)];
}

function paramsFor(policy: LoadedCelPolicy, binding: any, obj: any, input: CelPolicyInput): { params: any[]; missing?: string } {
  const paramKind = policy.raw.spec?.paramKind;
  if (!isObject(paramKind)) return { params: [null] };
  const ref = binding?.spec?.paramRef;
  if (!isObject(ref)) return { params: [], missing: `binding ${binding?.metadata?.name} has no paramRef for paramKind ${paramKind.kind}` };
  const candidates = (input.lookup?.objects ?? []).filter((o) => o?.apiVersion === paramKind.apiVersion && o?.kind === paramKind.kind);
  const ns = typeof ref.namespace === 'string' ? ref.namespace : obj?.metadata?.namespace;
  const inNs = candidates.filter((o) => o?.metadata?.namespace === undefined || ns === undefined || o.metadata.namespace === ns);
  let found: any[];
  if (typeof ref.name === 'string') found = inNs.filter((o) => o?.metadata?.name === ref.name);
  else found = inNs.filter((o) => selectorMatches(ref.selector ?? {}, o?.metadata?.labels ?? {}));
  if (found.length > 0) return { params: found };
  return { params: [], missing: `no params found for binding ${binding?.metadata?.name}: ${paramKind.kind} ${ref.name ?? JSON.stringify(ref.selector ?? {})}` };
}

function evaluateVap(policy: LoadedCelPolicy, obj: any, input: CelPolicyInput): CelPolicyResult[] {
  const spec = policy.raw.spec;
  const operation = input.operation ?? 'CREATE';
  if (!matchResources(spec.matchConstraints, obj, operation, input)) return [];
  const out: CelPolicyResult[] = [];
  const celSpec = celSpecOf(spec);
  for (const binding of policy.bindings) {
    const b = binding?.spec ?? {};
    if (!matchResources(b.matchResources, obj, operation, input)) continue;
    const actions: string[] = Array.isArray(b.validationActions) ? b.validationActions : [];
    const { params, missing } = paramsFor(policy, binding, obj, input);
    const bname = String(binding?.metadata?.name ?? '');
    if (missing !== undefined) {
      const deny = (b.paramRef?.parameterNotFoundAction ?? 'Deny') === 'Deny';
      const status: CelStatus = deny ? (String(spec.failurePolicy ?? 'Fail') === 'Ignore' ? 'skip' : 'error') : 'pass';
      out.push({ policy: policy.name, rule: '', binding: bname, status, message: missing, failures: [], actions });
      continue;
    }
    for (const p of params) {
      const namespaceObject = namespaceObjectOf(obj, input);
      const e = evaluateCelValidations(celSpec, {
        object: obj, oldObject: input.oldObject, operation, namespaceObject, params: p, lookup: input.lookup,
      });
      out.push(toResult(policy, '', e, actions, bname));
    }
  }
  return out;
}

/** Evaluates a CEL policy on one object; an object the policy does not match gives no result. */
export function evaluateCelPolicy(policy: LoadedCelPolicy, obj: any, input: CelPolicyInput = {}): CelPolicyResult[] {
  return policy.kind === 'ValidatingAdmissionPolicy' ? evaluateVap(policy, obj, input) : evaluateVpol(policy, obj, input);
}
