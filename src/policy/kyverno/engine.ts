/**
 * Evaluates Kyverno validate rules on one resource, with the results the Kyverno CLI gives:
 * pass, fail, skip, error — and `unsupported` where a feature cannot be evaluated at synthesis
 * (never a silent pass). Internal module.
 */
import { evaluateOperator } from './conditions';
import { imageInfo, jmesSearch, KyvernoUnsupportedError } from './jmespath';
import { ruleMatches } from './match';
import { FailureAction, LoadedPolicy, LoadedRule } from './model';
import { matchPattern } from './pattern';
import { isObject, wildcardMatch } from './values';
import { KyvernoContext, substituteAll, VariableError } from './variables';
import { CelLookup } from '../cel/environment';
import { evaluateCelPreconditions, evaluateValidateCel } from '../cel/kyverno-cel-rule';
import { namespaceObjectFor } from '../cel/policies';
import { evaluatePodSecurity } from '../pod-security/evaluate';
import { podTemplates } from '../pod-security/templates';

/** The result of one rule on one resource. */
export type KyvernoStatus = 'pass' | 'fail' | 'skip' | 'error' | 'unsupported';

export interface KyvernoRuleResult {
  /** Policy name (`namespace/name` for a namespaced Policy). */
  readonly policy: string;
  /** The rule name as Kyverno reports it (`autogen-…` for generated rules). */
  readonly rule: string;
  /** The rule of the policy YAML. */
  readonly originalRule: string;
  readonly status: KyvernoStatus;
  readonly message: string;
  /** Where the resource does not match the pattern (Kyverno's path, e.g. `/spec/containers/0/image/`). */
  readonly path?: string;
  /** The failure action in force for the resource (after namespace overrides). */
  readonly action: FailureAction;
}

/** How a resource is evaluated. */
export interface KyvernoEvaluationOptions {
  /** `request.operation`. @default CREATE */
  readonly operation?: string;
  /** Variables (dotted names, e.g. `request.operation`), as a values file's `globalValues`. */
  readonly variables?: Record<string, unknown>;
  /** Variables of one rule (values file `policies[].rules[].values`). */
  readonly ruleVariables?: (policy: string, rule: string) => Record<string, unknown> | undefined;
  /** Labels of a namespace (for namespaceSelector); undefined when unknown. */
  readonly namespaceLabels?: (namespace: string) => Record<string, string> | undefined;
  /** Objects `validate.cel` params and resource lookups read (instead of a cluster). */
  readonly lookup?: CelLookup;
  /** The Namespace object of a namespace (`namespaceObject` of CEL rules), when given. */
  readonly namespaceObject?: (namespace: string) => any;
}

interface Outcome {
  readonly status: KyvernoStatus;
  readonly message: string;
  readonly path?: string;
}

class RuleError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, RuleError.prototype);
  }
}

const PSS_CONTROLS: Record<string, string[]> = {
  'HostProcess': ['windowsHostProcess'],
  'Host Namespaces': ['hostNamespaces'],
  'Privileged Containers': ['privileged'],
  'Capabilities': ['capabilities_baseline', 'capabilities_restricted'],
  'HostPath Volumes': ['hostPathVolumes'],
  'Host Ports': ['hostPorts'],
  'AppArmor': ['appArmorProfile'],
  'SELinux': ['seLinuxOptions'],
  '/proc Mount Type': ['procMount', 'procMount_restricted'],
  'Seccomp': ['seccompProfile_baseline', 'seccompProfile_restricted'],
  'Sysctls': ['sysctls'],
  'Volume Types': ['restrictedVolumes'],
  'Privilege Escalation': ['allowPrivilegeEscalation'],
  'Running as Non-root': ['runAsNonRoot'],
  'Running as Non-root user': ['runAsUser'],
};

/** The `images` variable: parsed images of the containers of the resource's pod (template). */
function imagesOf(resource: any): Record<string, any> | undefined {
  const out: Record<string, any> = {};
  for (const { pod } of podTemplates(resource)) {
    for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
      const containers = Array.isArray(pod.spec?.[list]) ? pod.spec[list] : [];
      for (const c of containers) {
        if (!isObject(c) || typeof c.image !== 'string' || typeof c.name !== 'string') continue;
        out[list] = { ...(out[list] ?? {}), [c.name]: imageInfo(c.image) };
      }
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The context Kyverno builds for an admission request on `resource`. */
export function baseContext(resource: any, operation: string): KyvernoContext {
  const apiVersion = String(resource?.apiVersion ?? '');
  const slash = apiVersion.indexOf('/');
  const request: Record<string, any> = {
    operation,
    object: resource,
    oldObject: null,
    name: resource?.metadata?.name ?? '',
    namespace: resource?.kind === 'Namespace' ? '' : resource?.metadata?.namespace ?? '',
    kind: { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind: resource?.kind ?? '' },
  };
  const images = imagesOf(resource);
  return new KyvernoContext({ request, ...(images ? { images } : {}) });
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Loads `context` entries: `variable` entries are evaluated; others must be given as values (the CLI's mocks). */
function loadContext(entries: unknown, ctx: KyvernoContext): KyvernoContext {
  if (!Array.isArray(entries)) return ctx;
  let out = ctx;
  for (const e of entries) {
    if (out.has(e.name)) continue; // given as a value (Kyverno CLI values override context entries)
    if (!isObject(e.variable)) {
      const type = ['configMap', 'apiCall', 'imageRegistry', 'globalReference'].find((k) => e[k] !== undefined) ?? 'unknown';
      throw new KyvernoUnsupportedError(`context entry "${e.name}" (${type}: reads the cluster or a registry; give its value in a values file)`);
    }
    const v = e.variable;
    const jmesPath = v.jmesPath !== undefined ? String(substituteAll(out, v.jmesPath, 'strict')) : '';
    const fallback = v.default !== undefined && v.default !== null ? substituteAll(out, v.default, 'strict') : undefined;
    let output: unknown = fallback;
    if (v.value !== undefined) {
      const value = substituteAll(out, v.value, 'strict');
      if (jmesPath !== '') {
        try {
          output = jmesSearch(jmesPath, value);
        } catch (err) {
          if (err instanceof KyvernoUnsupportedError || fallback === undefined) throw err;
        }
      } else {
        output = value;
      }
    } else if (jmesPath !== '') {
      try {
        const r = out.query(jmesPath);
        if (r !== null && r !== undefined) output = r;
      } catch (err) {
        if (err instanceof KyvernoUnsupportedError || fallback === undefined) throw err;
      }
    }
    if (output === undefined || output === null) throw new RuleError(`failed to load context: unable to add context entry for variable ${e.name} since it evaluated to nil`);
    out = out.with({ [e.name]: output });
  }
  return out;
}

/** Kyverno any / all conditions (or a plain list: all); unresolvable variables are empty strings. */
export function evaluateConditions(ctx: KyvernoContext, conditions: unknown): boolean {
  const one = (c: any): boolean => {
    const key = substituteAll(ctx, c.key, 'conditions');
    const value = substituteAll(ctx, c.value, 'conditions');
    return evaluateOperator(c.operator, key, value);
  };
  if (conditions === undefined || conditions === null) return true;
  if (Array.isArray(conditions)) return conditions.every(one);
  const anyOk = conditions && Array.isArray((conditions as any).any) ? (conditions as any).any.some(one) : true;
  const allOk = conditions && Array.isArray((conditions as any).all) ? (conditions as any).all.every(one) : true;
  return anyOk && allOk;
}

function substitutedMessage(ctx: KyvernoContext, raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') return '';
  try {
    const m = substituteAll(ctx, raw, 'strict');
    return typeof m === 'string' ? m : JSON.stringify(m);
  } catch (e) {
    if (e instanceof KyvernoUnsupportedError) throw e;
    return raw;
  }
}

interface Validation {
  readonly context?: unknown;
  readonly preconditions?: unknown;
  readonly pattern?: unknown;
  readonly anyPattern?: unknown;
  readonly deny?: any;
  readonly foreach?: any[];
  readonly elementScope?: boolean;
}

function patternFailure(ruleName: string, msg: string, path: string): string {
  if (msg === '') return `validation error: rule ${ruleName} failed at path ${path}`;
  return `validation error: ${msg.endsWith('.') ? msg : `${msg}.`} rule ${ruleName} failed at path ${path}`;
}

function validatePatterns(rule: LoadedRule, v: Validation, ctx: KyvernoContext, target: any): Outcome {
  const msg = substitutedMessage(ctx, rule.raw.validate?.message);
  if (v.pattern !== undefined) {
    let pattern: unknown;
    try {
      pattern = substituteAll(ctx, v.pattern, 'strict');
    } catch (e) {
      if (e instanceof KyvernoUnsupportedError) throw e;
      return { status: 'error', message: `variable substitution failed: ${describeError(e)}` };
    }
    const r = matchPattern(target, pattern);
    switch (r.status) {
      case 'pass': return { status: 'pass', message: `validation rule '${rule.name}' passed.` };
      case 'skip': return { status: 'skip', message: r.message ?? 'rule skipped' };
      case 'error': return { status: 'error', message: `validation error: ${msg === '' ? '' : `${msg} `}rule ${rule.name} execution error: ${r.message}` };
      default: return { status: 'fail', message: patternFailure(rule.name, msg, r.path!), path: r.path };
    }
  }
  let patterns: unknown;
  try {
    patterns = substituteAll(ctx, v.anyPattern, 'strict');
  } catch (e) {
    if (e instanceof KyvernoUnsupportedError) throw e;
    return { status: 'error', message: `variable substitution failed: ${describeError(e)}` };
  }
  if (!Array.isArray(patterns)) return { status: 'error', message: 'failed to deserialize anyPattern, expected type array' };
  const failed: string[] = [];
  const skipped: string[] = [];
  let firstPath: string | undefined;
  for (let i = 0; i < patterns.length; i++) {
    const r = matchPattern(target, patterns[i]);
    if (r.status === 'pass') return { status: 'pass', message: `validation rule '${rule.name}' anyPattern[${i}] passed.` };
    if (r.status === 'skip') {skipped.push(`rule ${rule.name}[${i}] skipped: ${r.message}`);} else if (r.status === 'error') {failed.push(`rule ${rule.name}[${i}] failed: ${r.message}`);} else {
      firstPath ??= r.path;
      failed.push(`rule ${rule.name}[${i}] failed at path ${r.path}`);
    }
  }
  if (failed.length === 0 && skipped.length > 0) return { status: 'skip', message: skipped.join(' ') };
  if (failed.length > 0) {
    const text = msg === '' ? `validation error: ${failed.join(' ')}` : `validation error: ${msg.endsWith('.') ? msg : `${msg}.`} ${failed.join(' ')}`;
    return { status: 'fail', message: text, ...(firstPath ? { path: firstPath } : {}) };
  }
  return { status: 'pass', message: msg };
}

function validateOne(rule: LoadedRule, v: Validation, ctxIn: KyvernoContext, element: any, resource: any, nesting: number): Outcome | undefined {
  let ctx: KyvernoContext;
  try {
    ctx = loadContext(v.context, ctxIn);
  } catch (e) {
    if (e instanceof KyvernoUnsupportedError) throw e;
    return { status: 'error', message: `failed to load context: ${describeError(e)}` };
  }
  let ok: boolean;
  try {
    ok = evaluateConditions(ctx, v.preconditions);
  } catch (e) {
    if (e instanceof KyvernoUnsupportedError) throw e;
    return { status: 'error', message: `failed to evaluate preconditions: ${describeError(e)}` };
  }
  if (!ok) return { status: 'skip', message: 'preconditions not met' };
  if (v.deny !== undefined) {
    let denied: boolean;
    try {
      denied = isObject(v.deny) && v.deny.conditions !== undefined ? evaluateConditions(ctx, v.deny.conditions) : true;
    } catch (e) {
      if (e instanceof KyvernoUnsupportedError) throw e;
      return { status: 'error', message: `failed to check deny conditions: ${describeError(e)}` };
    }
    if (!denied) return { status: 'pass', message: `validation rule '${rule.name}' passed.` };
    const msg = substitutedMessage(ctx, rule.raw.validate?.message);
    return { status: 'fail', message: msg === '' ? `validation error: rule ${rule.name} failed` : msg };
  }
  if (v.pattern !== undefined || v.anyPattern !== undefined) return validatePatterns(rule, v, ctx, element ?? resource);
  if (Array.isArray(v.foreach)) return validateForeach(rule, v.foreach, ctx, resource, nesting);
  return undefined;
}

function validateForeach(rule: LoadedRule, list: any[], ctx: KyvernoContext, resource: any, nesting: number): Outcome {
  let applied = 0;
  for (const fe of list) {
    let elements: unknown;
    try {
      const r = ctx.query(fe.list);
      elements = Array.isArray(r) ? r : [r];
    } catch (e) {
      if (e instanceof KyvernoUnsupportedError) throw e;
      continue; // Kyverno: a list that cannot be evaluated is skipped
    }
    const items = elements as unknown[];
    for (let index = 0; index < items.length; index++) {
      const element = items[index];
      if (element === null || element === undefined) continue;
      const elementCtx = ctx.with({ element, elementIndex: index, [`element${nesting}`]: element, [`elementIndex${nesting}`]: index });
      let scoped = isObject(element);
      if (fe.elementScope !== undefined) {
        if (fe.elementScope === true && !isObject(element)) {
          return { status: 'error', message: `failed to process foreach: cannot use elementScope=true foreach rules for elements that are not maps, expected type=map got type=${typeof element}` };
        }
        scoped = fe.elementScope;
      }
      const r = validateOne(rule, fe, elementCtx, scoped ? element : undefined, resource, nesting + 1);
      if (r === undefined || r.status === 'skip') continue;
      if (r.status !== 'pass') {
        if (r.status === 'error' && index < items.length - 1) continue; // Kyverno only reports an error on the last element
        // a pattern path here is relative to the element (Kyverno reports it so): not a path in the resource
        return { status: r.status, message: `validation failure: ${r.message}` };
      }
      applied++;
    }
  }
  return applied === 0 ? { status: 'skip', message: 'rule skipped' } : { status: 'pass', message: 'rule passed' };
}

function validatePodSecurity(rule: LoadedRule, ps: any, ctx: KyvernoContext, resource: any): Outcome {
  const templates = podTemplates(resource);
  if (templates.length === 0) return { status: 'error', message: `failed to apply podSecurity: ${resource?.kind} carries no pod spec` };
  const level: string = ps.level;
  const version: string = ps.version ?? 'latest';
  if (level === 'privileged') return { status: 'pass', message: `validation rule '${rule.name}' passed.` };
  const pod = templates[0].pod;
  const excluded = (checkId: string, path: string): boolean => (Array.isArray(ps.exclude) ? ps.exclude : []).some((e: any) => {
    if (!(PSS_CONTROLS[e.controlName] ?? []).includes(checkId)) return false;
    const m = /^\/spec\/(initContainers|containers|ephemeralContainers)\/(\d+)(\/|$)/.exec(path);
    const images: string[] = Array.isArray(e.images) ? e.images : [];
    if (!m) return images.length === 0;
    const image = pod.spec?.[m[1]]?.[Number(m[2])]?.image;
    return images.length > 0 && typeof image === 'string' && images.some((i) => wildcardMatch(i, image));
  });
  const violations = evaluatePodSecurity(resource, level as 'baseline' | 'restricted', version)
    .filter((r) => !excluded(r.check.upstreamId, r.violation.path));
  if (violations.length === 0) return { status: 'pass', message: `validation rule '${rule.name}' passed.` };
  const details = violations.map((r) => `${r.check.title}: ${r.violation.message}`).join('; ');
  const msg = substitutedMessage(ctx, rule.raw.validate?.message);
  return {
    status: 'fail',
    message: `${msg === '' ? '' : `${msg} `}Validation rule '${rule.name}' failed. It violates PodSecurity "${level}:${version}": (${details})`,
    path: violations[0].violation.pointer,
  };
}

function actionFor(rule: LoadedRule, resource: any): FailureAction {
  const ns = String(resource?.metadata?.namespace ?? '');
  const o = rule.actionOverrides.find((x) => x.namespaces.some((n) => wildcardMatch(n, ns)));
  return o ? o.action : rule.failureAction;
}

function evaluateRule(policy: LoadedPolicy, rule: LoadedRule, resource: any, base: KyvernoContext, options: KyvernoEvaluationOptions): Outcome {
  if (rule.unsupported.length > 0) return { status: 'unsupported', message: `not evaluated: ${rule.unsupported.join(', ')} (not supported at synthesis)` };
  const ruleValues = options.ruleVariables?.(policyName(policy), rule.originalName) ?? options.ruleVariables?.(policyName(policy), rule.name);
  const ctx = ruleValues ? base.with(ruleValues) : base;
  try {
    const v = rule.raw.validate;
    const celOptions = {
      operation: String(ctx.query('request.operation') ?? 'CREATE'),
      autogen: rule.autogen,
      lookup: options.lookup,
      namespaceObject: namespaceObjectFor(resource, { namespaceLabels: options.namespaceLabels, namespaceObject: options.namespaceObject }),
    };
    if (isObject(v.cel)) {
      const e = evaluateValidateCel(rule.raw, resource, celOptions);
      if (e.status === 'fail') return { status: 'fail', message: e.message };
      if (e.status === 'pass') return { status: 'pass', message: `validation rule '${rule.name}' passed.` };
      // validate.cel runs as a ValidatingAdmissionPolicy: with failurePolicy Fail (the default) an evaluation error denies
      if (e.status === 'error' && (rule.raw.validate?.failurePolicy ?? policy.raw?.spec?.failurePolicy ?? 'Fail') !== 'Ignore') {
        return { status: 'fail', message: `validation error: ${e.message}` };
      }
      return { status: e.status, message: e.message };
    }
    const pre = evaluateCelPreconditions(rule.raw, resource, celOptions);
    if (pre !== 'met') return { status: pre.status, message: pre.status === 'skip' ? `celPreconditions not met: ${pre.message}` : pre.message };
    if (isObject(v.podSecurity)) {
      let c: KyvernoContext;
      try {
        c = loadContext(rule.raw.context, ctx);
        if (!evaluateConditions(c, rule.raw.preconditions)) return { status: 'skip', message: 'preconditions not met' };
      } catch (e) {
        if (e instanceof KyvernoUnsupportedError) throw e;
        return { status: 'error', message: describeError(e) };
      }
      return validatePodSecurity(rule, v.podSecurity, c, resource);
    }
    const r = validateOne(rule, {
      context: rule.raw.context,
      preconditions: rule.raw.preconditions,
      pattern: v.pattern,
      anyPattern: v.anyPattern,
      deny: v.deny,
      foreach: v.foreach,
    }, ctx, undefined, resource, 0);
    return r ?? { status: 'error', message: 'invalid validation rule: podSecurity, patterns, deny or foreach expected' };
  } catch (e) {
    if (e instanceof KyvernoUnsupportedError) return { status: 'unsupported', message: `not evaluated: ${e.message}` };
    if (e instanceof RuleError || e instanceof VariableError) return { status: 'error', message: e.message };
    return { status: 'error', message: `evaluation failed: ${describeError(e)}` };
  }
}

/** `namespace/name` for a Policy, `name` for a ClusterPolicy (as `kyverno test` names them). */
export function policyName(policy: LoadedPolicy): string {
  return policy.namespace !== undefined ? `${policy.namespace}/${policy.name}` : policy.name;
}

/**
 * Evaluates every rule of a policy (its own and the generated ones) that matches `resource`.
 * Rules that do not match give no result (as in Kyverno).
 */
export function evaluatePolicy(policy: LoadedPolicy, resource: any, options: KyvernoEvaluationOptions = {}): KyvernoRuleResult[] {
  if (policy.namespace !== undefined && String(resource?.metadata?.namespace ?? '') !== policy.namespace) return [];
  const operation = String(options.variables?.['request.operation'] ?? options.operation ?? 'CREATE');
  const namespace = resource?.kind === 'Namespace' ? String(resource?.metadata?.name ?? '') : String(resource?.metadata?.namespace ?? '');
  const target = { resource, operation, namespaceLabels: options.namespaceLabels?.(namespace) ?? {} };
  let base = baseContext(resource, operation);
  if (options.variables) base = base.with(options.variables);
  const results: KyvernoRuleResult[] = [];
  for (const rule of policy.rules) {
    if (!ruleMatches(rule.raw.match, rule.raw.exclude, target)) continue;
    const o = evaluateRule(policy, rule, resource, base, options);
    results.push({
      policy: policyName(policy),
      rule: rule.name,
      originalRule: rule.originalName,
      status: o.status,
      message: o.message,
      ...(o.path !== undefined ? { path: o.path } : {}),
      action: actionFor(rule, resource),
    });
    if (policy.applyRules === 'One' && (o.status === 'pass' || o.status === 'fail')) break;
  }
  return results;
}
