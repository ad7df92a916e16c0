/**
 * CEL `x-kubernetes-validations` rules, evaluated with @bufbuild/cel.
 *
 * @bufbuild/cel implements the CEL standard library (operators, `has()`, `size()`, `in`,
 * `contains`/`startsWith`/`endsWith`/`matches`, the `all`/`exists`/`exists_one`/`map`/`filter`
 * macros, `int()`/`string()`/`duration()`/`timestamp()` ...) and the `strings` extension
 * (`lowerAscii`, `split`, `join`, `indexOf`, ...). It does not implement the Kubernetes CEL
 * libraries (`quantity()`, `isQuantity`, `url`, `ip`, `cidr`, `format.*`, `authorizer`, lists
 * `sum`/`min`/`max`/`isSorted`/`indexOf`, `sets.*`, `semver`, optionals `?.`). A rule is evaluated
 * only when every function and identifier it uses is known here; otherwise it is *unchecked*
 * (listed with a reason, never treated as passed). Transition rules (using `oldSelf`) are
 * unchecked too: there is no old object when rendering manifests (on create, the API server
 * skips them as well; with `optionalOldSelf` they would see `oldSelf` as none).
 */
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { CelEnv, CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

/** A compiled rule, or why it cannot be evaluated. */
export interface CompiledRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  /** Evaluates the rule on `self`; absent when the rule is unchecked. */
  readonly evaluate?: (self: unknown) => CelResult;
  /** Evaluates the message expression; absent when none or not evaluable. */
  readonly evaluateMessage?: (self: unknown) => CelResult;
  /** Why the rule cannot be evaluated (unchecked). */
  readonly uncheckedReason?: string;
}

let env: CelEnv | undefined;
let knownFunctions: Set<string> | undefined;

function celEnvironment(): CelEnv {
  if (!env) {
    env = celEnv({ funcs: strings });
    // Operators handled by the planner itself rather than by registered functions.
    knownFunctions = new Set(['_&&_', '_||_', '_?_:_', '!_', '@not_strictly_false', '@not_strictly_false_', '_[_]', '@in']);
    for (const f of env.funcs) knownFunctions.add(f.name);
  }
  return env;
}

/** Identifiers that are CEL type names (`type(self) == string`). */
const TYPE_IDENTS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** What a parsed expression uses that this environment lacks. */
interface Gaps {
  transition: boolean;
  readonly functions: Set<string>;
  readonly identifiers: Set<string>;
}

/** Collects the unknown functions and unbound identifiers of a parsed expression. */
function collectGaps(expr: any, bound: ReadonlySet<string>, gaps: Gaps): void {
  if (!expr || !expr.exprKind) return;
  const { case: kind, value } = expr.exprKind;
  switch (kind) {
    case 'identExpr':
      if (value.name === 'oldSelf') gaps.transition = true;
      else if (!bound.has(value.name) && !TYPE_IDENTS.has(value.name)) gaps.identifiers.add(value.name);
      return;
    case 'selectExpr':
      collectGaps(value.operand, bound, gaps);
      return;
    case 'callExpr': {
      if (!knownFunctions!.has(value.function)) {
        const target = value.target?.exprKind?.case === 'identExpr' ? value.target.exprKind.value.name : undefined;
        if (target && !bound.has(target) && target !== 'oldSelf') {
          // a namespaced function such as format.dns1123Label(): the namespace is not a value
          gaps.functions.add(`${target}.${value.function}`);
          for (const sub of value.args) collectGaps(sub, bound, gaps);
          return;
        }
        gaps.functions.add(value.function);
      }
      collectGaps(value.target, bound, gaps);
      for (const sub of value.args) collectGaps(sub, bound, gaps);
      return;
    }
    case 'listExpr':
      for (const sub of value.elements) collectGaps(sub, bound, gaps);
      return;
    case 'structExpr':
      if (value.messageName) gaps.identifiers.add(value.messageName);
      for (const entry of value.entries) {
        if (entry.keyKind?.case === 'mapKey') collectGaps(entry.keyKind.value, bound, gaps);
        collectGaps(entry.value, bound, gaps);
      }
      return;
    case 'comprehensionExpr': {
      const inner = new Set(bound);
      for (const name of [value.iterVar, value.iterVar2, value.accuVar]) if (name) inner.add(name);
      collectGaps(value.iterRange, bound, gaps);
      for (const sub of [value.accuInit, value.loopCondition, value.loopStep, value.result]) collectGaps(sub, inner, gaps);
      return;
    }
    default:
      return;
  }
}

/**
 * Why a parsed expression cannot be evaluated here (transition rule, Kubernetes-only functions
 * or identifiers), or undefined when everything it uses is known.
 */
function unsupported(expr: any): string | undefined {
  const gaps: Gaps = { transition: false, functions: new Set(), identifiers: new Set() };
  collectGaps(expr, new Set(['self']), gaps);
  if (gaps.transition) return 'transition rule (uses oldSelf): there is no old object to compare with';
  const parts: string[] = [];
  if (gaps.functions.size > 0) {
    parts.push(`uses ${[...gaps.functions].map((f) => `${f}()`).join(', ')} from the Kubernetes CEL libraries, which @bufbuild/cel does not provide`);
  }
  if (gaps.identifiers.size > 0) {
    parts.push(`uses ${[...gaps.identifiers].map((i) => `"${i}"`).join(', ')}, not available outside the Kubernetes CEL environment`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

const compiledCache = new Map<string, { evaluate?: (self: unknown) => CelResult; reason?: string }>();

function compileExpression(source: string): { evaluate?: (self: unknown) => CelResult; reason?: string } {
  const cached = compiledCache.get(source);
  if (cached) return cached;
  let result: { evaluate?: (self: unknown) => CelResult; reason?: string };
  try {
    const e = celEnvironment();
    const parsed = parse(source);
    const why = unsupported(parsed.expr);
    if (why) {
      result = { reason: why };
    } else {
      const program = plan(e, parsed) as (ctx: Record<string, unknown>) => CelResult;
      result = { evaluate: (self: unknown) => program({ self }) };
    }
  } catch (err) {
    result = { reason: `CEL syntax not supported by @bufbuild/cel: ${(err as Error).message}` };
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
  return /unbound function|unresolved attribute|no matching overload|no such overload|unsupported|not implemented|unknown type/i.test(message);
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
    return { status: 'unchecked', reason: `@bufbuild/cel failed: ${(err as Error).message}` };
  }
  if (result === true) return { status: 'pass' };
  if (isCelError(result)) {
    if (isEnvironmentError(result.message)) {
      return { status: 'unchecked', reason: `cannot be evaluated with @bufbuild/cel: ${result.message}` };
    }
    return { status: 'fail', message: `${ruleMessage(rule, self)} (rule "${rule.rule}" failed to evaluate: ${result.message})` };
  }
  if (result === false) return { status: 'fail', message: ruleMessage(rule, self) };
  return { status: 'unchecked', reason: 'the rule does not evaluate to a boolean' };
}

function ruleMessage(rule: CompiledRule, self: unknown): string {
  if (rule.evaluateMessage) {
    try {
      const m = rule.evaluateMessage(self);
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
