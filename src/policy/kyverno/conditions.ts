/**
 * Kyverno conditions (`preconditions`, `validate.deny.conditions`): the operators of
 * pkg/engine/variables/operator and the `any` / `all` blocks. Internal module.
 */
import { operatorOf, valueMatchesPattern, goParseFloat, goParseInt } from './pattern';
import { compareQuantities, deepEqual, goSprint, isObject, parseGoDuration, parseQuantity, wildcardMatch } from './values';

/** Every operator Kyverno accepts (case-insensitive). */
export const CONDITION_OPERATORS = [
  'Equals', 'Equal', 'NotEquals', 'NotEqual', 'In', 'AnyIn', 'AllIn', 'NotIn', 'AnyNotIn', 'AllNotIn',
  'GreaterThanOrEquals', 'GreaterThan', 'LessThanOrEquals', 'LessThan',
  'DurationGreaterThanOrEquals', 'DurationGreaterThan', 'DurationLessThanOrEquals', 'DurationLessThan',
];

/** The canonical operator name for `op` (case-insensitive); undefined when unknown. */
export function canonicalOperator(op: unknown): string | undefined {
  if (typeof op !== 'string') return undefined;
  return CONDITION_OPERATORS.find((o) => o.toLowerCase() === op.toLowerCase());
}

/** Go `time.ParseDuration` where the other side may be a number of seconds (Kyverno `parseDuration`). */
function parseDurations(key: unknown, value: unknown): [number, number] | undefined {
  let k = typeof key === 'string' && key !== '0' ? parseGoDuration(key) : undefined;
  let v = typeof value === 'string' && value !== '0' ? parseGoDuration(value) : undefined;
  if (k === undefined && v === undefined) return undefined;
  if (k === undefined) {
    if (typeof key !== 'number') return undefined;
    k = Math.trunc(key);
  }
  if (v === undefined) {
    if (typeof value !== 'number') return undefined;
    v = Math.trunc(value);
  }
  return [k, v];
}

function equalsNumber(key: number, value: unknown): boolean {
  if (Number.isInteger(key)) {
    if (typeof value === 'number') return Number.isInteger(value) && value === key;
    if (typeof value === 'string') return goParseInt(value) === key;
    return false;
  }
  if (typeof value === 'number') return value === key;
  if (typeof value === 'string') return goParseFloat(value) === key;
  return false;
}

/** Kyverno `Equals`. */
export function equalsOp(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return typeof value === 'boolean' && key === value;
  if (typeof key === 'number') return equalsNumber(key, value);
  if (typeof key === 'string') {
    const d = parseDurations(key, value);
    if (d) return d[0] === d[1];
    const kq = parseQuantity(key);
    if (kq && typeof value === 'string') {
      const vq = parseQuantity(value);
      return vq !== undefined && compareQuantities(kq, vq) === 0;
    }
    return typeof value === 'string' && wildcardMatch(value, key);
  }
  if (isObject(key)) return isObject(value) && deepEqual(key, value);
  if (Array.isArray(key)) return Array.isArray(value) && deepEqual(key, value);
  return false;
}

/** Kyverno `NotEquals` (its own handler: a value of another type is "not equal"). */
export function notEqualsOp(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return typeof value !== 'boolean' || key !== value;
  if (typeof key === 'number') {
    if (Number.isInteger(key)) {
      if (typeof value === 'number') return Number.isInteger(value) ? value !== key : false;
      if (typeof value === 'string') {
        const n = goParseInt(value);
        return n === undefined || n !== key;
      }
      return true;
    }
    if (typeof value === 'number') return value !== key;
    if (typeof value === 'string') {
      const n = goParseFloat(value);
      return n === undefined || n !== key;
    }
    return true;
  }
  if (typeof key === 'string') {
    const d = parseDurations(key, value);
    if (d) return d[0] !== d[1];
    const kq = parseQuantity(key);
    if (kq && typeof value === 'string') {
      const vq = parseQuantity(value);
      return vq === undefined ? false : compareQuantities(kq, vq) !== 0;
    }
    return typeof value === 'string' ? !wildcardMatch(value, key) : true;
  }
  if (isObject(key)) return !isObject(value) || !deepEqual(key, value);
  if (Array.isArray(key)) return !Array.isArray(value) || !deepEqual(key, value);
  return false;
}

function inRange(key: string, range: string): boolean {
  return valueMatchesPattern(key, range);
}

/** `value` as a list of strings (a list, a JSON list in a string, or one string); undefined for other types. */
function valueList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(goSprint);
  if (typeof value === 'number' || typeof value === 'boolean') return [goSprint(value)];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[') || trimmed.startsWith('"') || trimmed.startsWith('{') || /^(-?\d|true$|false$|null$)/.test(trimmed)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return [value];
      }
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
      return undefined;
    }
    return [value];
  }
  return undefined;
}

const matchesEither = (a: string, b: string) => wildcardMatch(a, b) || wildcardMatch(b, a);

/** One key in the values: undefined when `value` has a type the operator rejects. */
function keyIn(key: string, value: unknown): boolean | undefined {
  if (Array.isArray(value)) return value.some((v) => matchesEither(goSprint(v), key));
  if (typeof value === 'string') {
    if (wildcardMatch(value, key)) return true;
    if (operatorOf(value) === '-') return inRange(key, value);
    const list = valueList(value);
    return list === undefined ? undefined : list.includes(key);
  }
  return undefined;
}

type SetMode = 'anyIn' | 'allIn' | 'anyNotIn' | 'allNotIn';

function setIn(keys: string[], value: unknown, mode: SetMode): boolean | undefined {
  let values: string[] | undefined;
  if (typeof value === 'string') {
    if (keys.length === 1 && keys[0] === value) return mode === 'anyIn' || mode === 'allIn';
    if (operatorOf(value) === '-') {
      const inside = keys.map((k) => inRange(k, value));
      switch (mode) {
        case 'anyIn': return inside.some((x) => x);
        case 'allIn': return inside.every((x) => x);
        case 'anyNotIn': return inside.some((x) => !x);
        case 'allNotIn': return inside.every((x) => !x);
      }
    }
  }
  values = valueList(value);
  if (values === undefined) return undefined;
  const found = keys.map((k) => values!.some((v) => matchesEither(k, v)));
  switch (mode) {
    case 'anyIn': return found.some((x) => x);
    case 'allIn': return found.every((x) => x);
    case 'anyNotIn': return found.some((x) => !x);
    case 'allNotIn': return found.every((x) => !x);
  }
}

function keyAsStrings(key: unknown): string | string[] | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean') return goSprint(key);
  if (Array.isArray(key)) return key.map(goSprint);
  return undefined;
}

function membership(key: unknown, value: unknown, mode: SetMode): boolean {
  const k = keyAsStrings(key);
  if (k === undefined) return false;
  if (typeof k === 'string') {
    const found = keyIn(k, value);
    if (found === undefined) return false;
    return mode === 'anyIn' || mode === 'allIn' ? found : !found;
  }
  return setIn(k, value, mode) ?? false;
}

/** The deprecated `In` / `NotIn`: exact (no wildcard) membership; a list key must be wholly in the values. */
function legacyIn(key: unknown, value: unknown, negate: boolean): boolean {
  const k = keyAsStrings(key);
  if (k === undefined || (typeof value !== 'string' && !Array.isArray(value))) return false;
  const list = valueList(value);
  if (list === undefined) return false;
  if (typeof k === 'string') {
    const found = (typeof value === 'string' && wildcardMatch(value, k)) || (Array.isArray(value) ? value.some((v) => wildcardMatch(k, goSprint(v))) : list.includes(k));
    return negate ? !found : found;
  }
  const all = k.every((x) => list.includes(x));
  return negate ? !all : all;
}

function compareNumbers(c: number, op: string): boolean {
  switch (op) {
    case 'GreaterThanOrEquals': return c >= 0;
    case 'GreaterThan': return c > 0;
    case 'LessThanOrEquals': return c <= 0;
    case 'LessThan': return c < 0;
    default: return false;
  }
}

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

function numericWithNumberKey(key: number, value: unknown, op: string): boolean {
  if (typeof value === 'number') return compareNumbers(sign(key - value), op);
  if (typeof value === 'string') {
    const d = parseDurations(key, value);
    if (d) return compareNumbers(sign(d[0] - d[1]), op);
    const f = goParseFloat(value);
    if (f !== undefined) return compareNumbers(sign(key - f), op);
    return false;
  }
  return false;
}

interface SemVer { major: number; minor: number; patch: number; pre: string }
function semver(s: string): SemVer | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s);
  return m ? { major: +m[1], minor: +m[2], patch: +m[3], pre: m[4] ?? '' } : undefined;
}
function compareSemver(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return sign(a[k] - b[k]);
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  return a.pre < b.pre ? -1 : 1;
}

/** Kyverno's numeric operators (`GreaterThan`…): numbers, durations, quantities and semantic versions. */
export function numericOp(key: unknown, value: unknown, op: string): boolean {
  if (typeof key === 'number') return numericWithNumberKey(key, value, op);
  if (typeof key !== 'string') return false;
  const d = parseDurations(key, value);
  if (d) return compareNumbers(sign(d[0] - d[1]), op);
  const kq = parseQuantity(key);
  if (kq && typeof value === 'string') {
    const vq = parseQuantity(value);
    if (vq) return compareNumbers(compareQuantities(kq, vq), op);
  }
  const f = goParseFloat(key);
  if (f !== undefined) return numericWithNumberKey(f, value, op);
  const v = semver(key);
  if (v) {
    if (typeof value !== 'string') return false;
    const w = semver(value);
    return w ? compareNumbers(compareSemver(v, w), op) : false;
  }
  return false;
}

/** The deprecated `Duration*` operators. */
export function durationOp(key: unknown, value: unknown, op: string): boolean {
  const seconds = (x: unknown, numbersAllowed: boolean): number | undefined => {
    if (typeof x === 'number') return numbersAllowed ? Math.trunc(x) : undefined;
    if (typeof x === 'string') return parseGoDuration(x);
    return undefined;
  };
  const k = seconds(key, true);
  const v = seconds(value, true);
  if (k === undefined || v === undefined) return false;
  return compareNumbers(sign(k - v), op.replace(/^Duration/, ''));
}

/** Evaluates one condition operator on substituted key and value. */
export function evaluateOperator(operator: string, key: unknown, value: unknown): boolean {
  const op = canonicalOperator(operator);
  switch (op) {
    case 'Equals': case 'Equal': return equalsOp(key, value);
    case 'NotEquals': case 'NotEqual': return notEqualsOp(key, value);
    case 'AnyIn': return membership(key, value, 'anyIn');
    case 'AllIn': return membership(key, value, 'allIn');
    case 'AnyNotIn': return membership(key, value, 'anyNotIn');
    case 'AllNotIn': return membership(key, value, 'allNotIn');
    case 'In': return legacyIn(key, value, false);
    case 'NotIn': return legacyIn(key, value, true);
    case 'GreaterThanOrEquals': case 'GreaterThan': case 'LessThanOrEquals': case 'LessThan': return numericOp(key, value, op);
    case 'DurationGreaterThanOrEquals': case 'DurationGreaterThan': case 'DurationLessThanOrEquals': case 'DurationLessThan':
      return durationOp(key, value, op);
    default:
      throw new Error(`unknown condition operator ${JSON.stringify(operator)}`);
  }
}
