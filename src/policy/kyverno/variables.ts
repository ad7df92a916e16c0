/**
 * Kyverno variables: the evaluation context (`request.object`, `element`, values, context
 * entries) and `{{ … }}` substitution. Internal module.
 */
import { jmesSearch, JmesNotFoundError, KyvernoUnsupportedError } from './jmespath';
import { isObject } from './values';

/** A variable could not be resolved (Kyverno: the rule errors). */
export class VariableError extends Error {
  public constructor(public readonly variable: string, cause: unknown) {
    super(`failed to resolve variable {{${variable}}}: ${cause instanceof Error ? cause.message : String(cause)}`);
    Object.setPrototypeOf(this, VariableError.prototype);
    this.name = 'VariableError';
  }
}

/** Sets `value` at a dotted path (`request.operation`) of `target`, copying the objects on the way. */
export function setDotted(target: Record<string, any>, dotted: string, value: unknown): Record<string, any> {
  const keys = dotted.split('.');
  const out: Record<string, any> = { ...target };
  let node = out;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = isObject(node[keys[i]]) ? { ...node[keys[i]] } : {};
    node[keys[i]] = next;
    node = next;
  }
  node[keys[keys.length - 1]] = value;
  return out;
}

/** The data variables are resolved against; immutable (additions return a new context). */
export class KyvernoContext {
  public constructor(public readonly data: Record<string, any>) {}

  /** A context with more variables (dotted names). */
  public with(entries: Record<string, unknown>): KyvernoContext {
    let data = this.data;
    for (const [name, value] of Object.entries(entries)) data = setDotted(data, name, value);
    return new KyvernoContext(data);
  }

  /** Whether a top-level or dotted variable is set. */
  public has(dotted: string): boolean {
    let node: any = this.data;
    for (const key of dotted.split('.')) {
      if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, key)) return false;
      node = node[key];
    }
    return true;
  }

  /** Evaluates a JMESPath expression against the context. */
  public query(expression: string): any {
    const e = expression.trim();
    if (e === '') throw new Error('invalid query (empty)');
    return jmesSearch(e, this.data);
  }
}

/**
 * How unresolvable variables are handled: `strict` (patterns, messages, lists: the rule errors)
 * or `conditions` (preconditions and deny conditions: an empty string, as Kyverno does).
 */
export type SubstitutionMode = 'strict' | 'conditions';

const VARIABLE_AT = /\{\{(?:\{[^{}]*\}|[^{}])*\}\}/y;

interface VariableMatch {
  readonly start: number;
  readonly end: number;
  /** The expression, without braces, trimmed. */
  readonly expression: string;
}

/** The `{{ … }}` variables of a string (not those escaped as `\{{`), in order. */
export function findVariables(s: string): VariableMatch[] {
  const out: VariableMatch[] = [];
  let i = s.indexOf('{{');
  while (i >= 0) {
    if (i > 0 && s[i - 1] === '\\') {
      i = s.indexOf('{{', i + 1);
      continue;
    }
    VARIABLE_AT.lastIndex = i;
    const m = VARIABLE_AT.exec(s);
    if (m) {
      out.push({ start: i, end: i + m[0].length, expression: m[0].slice(2, -2).trim() });
      i = s.indexOf('{{', i + m[0].length);
    } else {
      i = s.indexOf('{{', i + 1);
    }
  }
  return out;
}

/** Whether a string holds a `{{ … }}` variable. */
export function hasVariables(s: string): boolean {
  return findVariables(s).length > 0;
}

/** The variables of a string, without braces. */
export function variablesOf(s: string): string[] {
  return findVariables(s).map((v) => v.expression);
}

function quoteKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
}

/** The JMESPath of a path inside the resource (`{{@}}`). */
export function pathExpression(prefix: string, path: readonly (string | number)[]): string {
  return prefix + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${quoteKey(p)}`)).join('');
}

function resolve(ctx: KyvernoContext, expression: string, mode: SubstitutionMode): unknown {
  try {
    return ctx.query(expression);
  } catch (e) {
    if (e instanceof KyvernoUnsupportedError) throw e;
    if (mode === 'conditions') return '';
    throw new VariableError(expression, e);
  }
}

function substituteString(ctx: KyvernoContext, s: string, mode: SubstitutionMode, at?: readonly (string | number)[]): unknown {
  const vars = findVariables(s);
  if (vars.length === 0) return s.includes('\\{{') ? s.replace(/\\\{\{/g, '{{') : s;
  let out = '';
  let last = 0;
  for (const v of vars) {
    const expression = v.expression === '@' ? pathExpression('request.object', at ?? []) : v.expression;
    const value = resolve(ctx, expression, mode);
    if (vars.length === 1 && v.start === 0 && v.end === s.length) return value;
    out += s.slice(last, v.start) + (typeof value === 'string' ? value : JSON.stringify(value ?? null));
    last = v.end;
  }
  out += s.slice(last);
  return out.replace(/\\\{\{/g, '{{');
}

/**
 * Substitutes every `{{ … }}` variable of a document (strings, keys, nested objects and lists).
 * A string that is exactly one variable takes the variable's value (of any type); otherwise the
 * value is written into the string (JSON for non-strings).
 *
 * @param at path of `doc` inside the resource, for `{{@}}` (patterns)
 */
export function substituteAll(ctx: KyvernoContext, doc: unknown, mode: SubstitutionMode, at: readonly (string | number)[] = []): any {
  if (typeof doc === 'string') return substituteString(ctx, doc, mode, at);
  if (Array.isArray(doc)) return doc.map((x, i) => substituteAll(ctx, x, mode, [...at, i]));
  if (isObject(doc)) {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(doc)) {
      const key = k.includes('{{') ? String(substituteString(ctx, k, mode, at)) : k;
      out[key] = substituteAll(ctx, v, mode, [...at, stripAnchor(k)]);
    }
    return out;
  }
  return doc;
}

function stripAnchor(key: string): string {
  const m = /^([+<=X^])?\((.+)\)$/.exec(key.trim());
  return m ? m[2] : key;
}

export { JmesNotFoundError };
