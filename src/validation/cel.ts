/**
 * CEL `x-kubernetes-validations` rules, evaluated on the Kubernetes CEL environment of
 * ../policy/cel/environment (@marcbachmann/cel-js: the standard library, optional types, the
 * strings extension and the Kubernetes libraries — lists, regex, URLs, quantity, IP / CIDR,
 * format, semver, sets). A rule is evaluated only when it type-checks with `self` as its only
 * variable; otherwise it is *unchecked* (listed with a reason, never treated as passed).
 * Transition rules (using `oldSelf`) are unchecked: there is no old object when rendering
 * manifests (on create, the API server skips them as well; with `optionalOldSelf` they would see
 * `oldSelf` as none).
 */
import { compileCrdRule, fromCel } from '../policy/cel/environment';

/** The value of an evaluation, or the error it raised. */
export type CelResult = unknown;

/** A compiled rule, or why it cannot be evaluated. */
export interface CompiledRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  /** Evaluates the rule on `self` (throws on an evaluation error); absent when the rule is unchecked. */
  readonly evaluate?: (self: unknown) => CelResult;
  /** Evaluates the message expression; absent when none or not evaluable. */
  readonly evaluateMessage?: (self: unknown) => CelResult;
  /** Why the rule cannot be evaluated (unchecked). */
  readonly uncheckedReason?: string;
}

const compiledCache = new Map<string, { evaluate?: (self: unknown) => CelResult; reason?: string }>();

function compileExpression(source: string): { evaluate?: (self: unknown) => CelResult; reason?: string } {
  const cached = compiledCache.get(source);
  if (cached) return cached;
  let result: { evaluate?: (self: unknown) => CelResult; reason?: string };
  const p = compileCrdRule(source);
  if (!p.run) {
    result = { reason: `CEL syntax not supported: ${p.error}` };
  } else if (p.checkError !== undefined && /\boldSelf\b/.test(p.checkError)) {
    result = { reason: 'transition rule (uses oldSelf): there is no old object to compare with' };
  } else if (p.checkError !== undefined) {
    result = { reason: `not available in the Kubernetes CEL environment here: ${p.checkError}` };
  } else {
    const run = p.run;
    result = { evaluate: (self: unknown) => run({ self }) };
  }
  compiledCache.set(source, result);
  return result;
}

/** Compiles one `x-kubernetes-validations` entry. */
export function compileRule(raw: any): CompiledRule {
  const rule = String(raw?.rule ?? '');
  const base = {
    rule,
    message: typeof raw?.message === 'string' ? raw.message : undefined,
    messageExpression: typeof raw?.messageExpression === 'string' ? raw.messageExpression : undefined,
    fieldPath: typeof raw?.fieldPath === 'string' ? raw.fieldPath : undefined,
  };
  const compiled = compileExpression(rule);
  if (!compiled.evaluate) return { ...base, uncheckedReason: compiled.reason };
  const evaluateMessage = base.messageExpression ? compileExpression(base.messageExpression).evaluate : undefined;
  return { ...base, evaluate: compiled.evaluate, evaluateMessage };
}

/** Outcome of evaluating a rule on a value. */
export type RuleOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly message: string }
  | { readonly status: 'unchecked'; readonly reason: string };

/**
 * Whether a runtime error means "this environment cannot evaluate the rule" (a library or
 * type-mapping gap) rather than "the value is invalid". The API server type-checks rules when
 * the CRD is created, so an overload or binding error at run time comes from our side.
 */
function isEnvironmentError(message: string): boolean {
  return /unbound function|unresolved attribute|no matching overload|no such overload|unsupported|not implemented|unknown type|Unknown variable/i.test(message);
}

/**
 * Evaluates a compiled rule on `self`.
 *
 * Runtime errors that concern the value (for example `no such key` when the rule reads an
 * absent field without `has()`, division by zero, index out of range) are failures, as in
 * Kubernetes: the API server rejects the object with the evaluation error.
 */
export function evaluateRule(rule: CompiledRule, self: unknown): RuleOutcome {
  if (!rule.evaluate) return { status: 'unchecked', reason: rule.uncheckedReason ?? 'not evaluable' };
  let result: CelResult;
  try {
    result = rule.evaluate(self);
  } catch (err) {
    const message = ((err as Error)?.message ?? String(err)).split('\n')[0];
    if (isEnvironmentError(message)) return { status: 'unchecked', reason: `cannot be evaluated here: ${message}` };
    return { status: 'fail', message: `${ruleMessage(rule, self)} (rule "${rule.rule}" failed to evaluate: ${message})` };
  }
  if (result === true) return { status: 'pass' };
  if (result === false) return { status: 'fail', message: ruleMessage(rule, self) };
  return { status: 'unchecked', reason: 'the rule does not evaluate to a boolean' };
}

function ruleMessage(rule: CompiledRule, self: unknown): string {
  if (rule.evaluateMessage) {
    try {
      const m = fromCel(rule.evaluateMessage(self));
      if (typeof m === 'string' && m.trim() !== '') return m;
    } catch {
      // fall through to the static message, as the API server does
    }
  }
  if (rule.message) return rule.message;
  if (rule.messageExpression) return `${rule.messageExpression} (message expression not evaluated)`;
  return `failed rule: ${rule.rule}`;
}

const RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/**
 * How Kubernetes exposes a schema property name to CEL: reserved words become `__word__`, and
 * `_`, `.`, `-`, `/` in names are escaped (`foo-bar` is `self.foo__dash__bar`).
 */
export function escapePropertyName(name: string): string {
  if (RESERVED.has(name)) return `__${name}__`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !name.includes('__')) return name;
  return name.replace(/__/g, '__underscores__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__');
}

/**
 * Converts a JSON value to a CEL value following its structural schema: `integer` (and
 * int-or-string integers) become CEL `int` (bigint), `number` becomes `double`, objects become
 * maps (declared properties under their escaped CEL names), arrays become lists. Values under
 * no schema (preserve-unknown-fields) are converted by their JSON type.
 */
export function toCel(value: unknown, schema: any, cache: WeakMap<object, unknown>): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    const integral = Number.isInteger(value) && schema?.type !== 'number';
    return integral && Number.isSafeInteger(value) ? BigInt(value) : value;
  }
  if (typeof value !== 'object') return value;
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item) => toCel(item, schema?.items, cache));
  } else {
    const props = schema?.properties;
    const map = new Map<string, unknown>();
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (props && Object.prototype.hasOwnProperty.call(props, key)) {
        map.set(escapePropertyName(key), toCel(v, props[key], cache));
      } else {
        const sub = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
        map.set(key, toCel(v, sub, cache));
      }
    }
    out = map;
  }
  cache.set(value, out);
  return out;
}
