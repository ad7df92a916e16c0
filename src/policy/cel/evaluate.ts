/**
 * The admission-time CEL validation model shared by Kubernetes ValidatingAdmissionPolicy,
 * Kyverno ValidatingPolicy and Kyverno `validate.cel`: match conditions, lazily evaluated
 * variables, validations with messages, audit annotations. Internal module.
 */
import { CelLookup, compileCel, fromCel, imageDataLibrary, resourceLibrary, runCel, toCel } from './environment';
import { podTemplates } from '../pod-security/templates';

export type CelStatus = 'pass' | 'fail' | 'skip' | 'error' | 'unsupported';

/** One failed validation. */
export interface CelFailure {
  /** Index of the validation in the policy (`validations[i]`). */
  readonly index: number;
  readonly expression: string;
  readonly message: string;
  /** The validation's `reason` (Invalid, Forbidden, …). */
  readonly reason?: string;
}

export interface CelEvaluation {
  readonly status: CelStatus;
  readonly message: string;
  readonly failures: readonly CelFailure[];
  /** Evaluated audit annotations (key → value), where the policy declares them. */
  readonly auditAnnotations?: Record<string, string>;
}

/** The CEL part of a policy. */
export interface CelValidationSpec {
  readonly matchConditions?: readonly any[];
  readonly variables?: readonly any[];
  readonly validations: readonly any[];
  readonly auditAnnotations?: readonly any[];
  /** `Fail` (default): an evaluation error is an error; `Ignore`: it is skipped. */
  readonly failurePolicy?: string;
}

/** What an admission request carries. */
export interface CelRequestInput {
  readonly object: any;
  readonly oldObject?: any;
  readonly operation: string;
  readonly namespaceObject?: any;
  readonly params?: any;
  readonly lookup?: CelLookup;
}

/** group, version, resource (plural) of an object. */
export function gvrOf(obj: any): { group: string; version: string; resource: string; kind: string } {
  const apiVersion = String(obj?.apiVersion ?? '');
  const slash = apiVersion.indexOf('/');
  const kind = String(obj?.kind ?? '');
  return { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), resource: pluralOf(kind), kind };
}

const IRREGULAR: Record<string, string> = { endpoints: 'endpoints', podsecuritypolicy: 'podsecuritypolicies' };

/** The lower-case plural resource name Kubernetes gives a kind. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (IRREGULAR[k]) return IRREGULAR[k];
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** The `request` variable of an admission request for `input`. */
export function requestOf(input: CelRequestInput): Record<string, unknown> {
  const obj = input.object ?? input.oldObject;
  const gvr = gvrOf(obj);
  return {
    uid: '',
    kind: { group: gvr.group, version: gvr.version, kind: gvr.kind },
    resource: { group: gvr.group, version: gvr.version, resource: gvr.resource },
    requestKind: { group: gvr.group, version: gvr.version, kind: gvr.kind },
    requestResource: { group: gvr.group, version: gvr.version, resource: gvr.resource },
    name: String(obj?.metadata?.name ?? ''),
    namespace: obj?.kind === 'Namespace' ? '' : String(obj?.metadata?.namespace ?? ''),
    operation: input.operation,
    userInfo: { username: '', groups: [] },
    dryRun: false,
    options: {},
  };
}

class EvalFailure extends Error {
  public constructor(public readonly status: 'error' | 'unsupported', message: string) {
    super(message);
    Object.setPrototypeOf(this, EvalFailure.prototype);
  }
}

function evalExpr(expression: unknown, activation: Record<string, unknown>, what: string): unknown {
  if (typeof expression !== 'string') throw new EvalFailure('error', `${what}: expression must be a string`);
  const out = runCel(compileCel(expression), activation);
  if (out.kind === 'offline') throw new EvalFailure('unsupported', `${what}: ${out.message}`);
  if (out.kind === 'error') throw new EvalFailure('error', `${what}: ${out.message}`);
  return out.value;
}

/**
 * The activation of an admission request. `variables` are evaluated lazily, each once, in the
 * order a policy may reference them (a variable may use the ones before it), as in Kubernetes.
 */
function activationOf(spec: CelValidationSpec, input: CelRequestInput): Record<string, unknown> {
  const cache = new WeakMap<object, unknown>();
  const variables: Record<string, unknown> = {};
  const activation: Record<string, unknown> = {
    object: toCel(input.object ?? null, cache),
    oldObject: toCel(input.oldObject ?? null, cache),
    request: toCel(requestOf(input), cache),
    namespaceObject: toCel(input.namespaceObject ?? null, cache),
    params: toCel(input.params ?? null, cache),
    variables,
    resource: resourceLibrary(input.lookup),
    image: imageDataLibrary(input.lookup),
    authorizer: null,
  };
  for (const v of spec.variables ?? []) {
    const name = String(v?.name ?? '');
    let state: { done: boolean; value?: unknown; error?: EvalFailure } = { done: false };
    Object.defineProperty(variables, name, {
      enumerable: true,
      configurable: true,
      get: () => {
        if (!state.done) {
          try {
            state = { done: true, value: evalExpr(v?.expression, activation, `variables.${name}`) };
          } catch (e) {
            state = { done: true, error: e as EvalFailure };
          }
        }
        if (state.error) throw state.error;
        return state.value;
      },
    });
  }
  return activation;
}

function asString(v: unknown): string {
  const j = fromCel(v);
  return typeof j === 'string' ? j : JSON.stringify(j);
}

/**
 * Evaluates match conditions, then validations. Match conditions false: `skip`. A validation
 * false: `fail` with its message (messageExpression, else message, else the expression). An
 * evaluation error: `error` (or `skip` under failurePolicy Ignore). A function that needs the
 * cluster or network: `unsupported` ("not evaluated").
 */
export function evaluateCelValidations(spec: CelValidationSpec, input: CelRequestInput): CelEvaluation {
  const activation = activationOf(spec, input);
  const ignore = String(spec.failurePolicy ?? 'Fail') === 'Ignore';
  const onError = (e: unknown): CelEvaluation => {
    if (e instanceof EvalFailure && e.status === 'unsupported') return { status: 'unsupported', message: `not evaluated: ${e.message}`, failures: [] };
    const message = e instanceof Error ? e.message : String(e);
    return ignore ? { status: 'skip', message: `ignored error (failurePolicy Ignore): ${message}`, failures: [] } : { status: 'error', message, failures: [] };
  };
  try {
    for (const [i, mc] of (spec.matchConditions ?? []).entries()) {
      const v = evalExpr(mc?.expression, activation, `matchConditions[${i}] ${mc?.name ?? ''}`.trim());
      if (v !== true && v !== false) throw new EvalFailure('error', `matchConditions[${i}]: expression must return a bool, got ${asString(v)}`);
      if (v === false) return { status: 'skip', message: `match condition ${JSON.stringify(mc?.name ?? i)} not met`, failures: [] };
    }
  } catch (e) {
    return onError(e);
  }
  const failures: CelFailure[] = [];
  const errors: string[] = [];
  let offline: string | undefined;
  for (const [i, val] of spec.validations.entries()) {
    let ok: unknown;
    try {
      ok = evalExpr(val?.expression, activation, `validations[${i}]`);
    } catch (e) {
      if (e instanceof EvalFailure && e.status === 'unsupported') offline ??= e.message;
      else errors.push(e instanceof Error ? e.message : String(e));
      continue;
    }
    if (ok === true) continue;
    if (ok !== false) {
      errors.push(`validations[${i}]: expression must return a bool, got ${asString(ok)}`);
      continue;
    }
    let message = typeof val?.message === 'string' && val.message.trim() !== '' ? val.message.trim() : `failed expression: ${String(val.expression).trim()}`;
    if (typeof val?.messageExpression === 'string') {
      try {
        const m = evalExpr(val.messageExpression, activation, `validations[${i}].messageExpression`);
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) message = m.trim();
      } catch {
        // Kubernetes falls back to the static message when the message expression fails
      }
    }
    failures.push({ index: i, expression: String(val.expression), message, ...(typeof val?.reason === 'string' ? { reason: val.reason } : {}) });
  }
  let auditAnnotations: Record<string, string> | undefined;
  for (const a of spec.auditAnnotations ?? []) {
    try {
      const v = evalExpr(a?.valueExpression, activation, `auditAnnotations.${a?.key}`);
      if (v !== null && v !== undefined) (auditAnnotations ??= {})[String(a.key)] = asString(v);
    } catch (e) {
      if (!(e instanceof EvalFailure && e.status === 'unsupported')) errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  const extra = auditAnnotations ? { auditAnnotations } : {};
  if (failures.length > 0) return { status: 'fail', message: failures.map((f) => f.message).join('; '), failures, ...extra };
  if (errors.length > 0) return { ...onError(new EvalFailure('error', errors.join('; '))), ...extra };
  if (offline) return { status: 'unsupported', message: `not evaluated: ${offline}`, failures: [], ...extra };
  return { status: 'pass', message: 'passed', failures: [], ...extra };
}

/**
 * The object a pod-controller rule generated by Kyverno's autogen sees: Kyverno rewrites
 * `object.spec` / `object.metadata` to the pod template's (`spec.template`, CronJob
 * `spec.jobTemplate.spec.template`); evaluating on this view is the same.
 */
export function podTemplateView(resource: any): any | undefined {
  if (resource?.kind === 'Pod') return undefined;
  const t = podTemplates(resource)[0];
  if (!t) return undefined;
  const template = resource?.kind === 'CronJob' ? resource?.spec?.jobTemplate?.spec?.template : resource?.spec?.template;
  return { ...resource, metadata: template?.metadata ?? {}, spec: t.pod.spec };
}
