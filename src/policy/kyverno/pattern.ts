/**
 * Kyverno `validate.pattern` semantics (pkg/engine/validate, pkg/engine/anchor, pkg/engine/pattern):
 * wildcards, operators and ranges in values, anchors on keys, arrays of maps. Internal module.
 */
import {
  compareQuantities, goFormatFixed, goFormatFloatE, goSprint, hasWildcard, isObject, parseQuantity, Quantity, wildcardMatch,
} from './values';

/** Anchor kinds: `(k)` condition, `<(k)` global, `X(k)` negation, `+(k)` add-if-not-present, `=(k)` equality, `^(k)` existence. */
export type AnchorKind = 'condition' | 'global' | 'negation' | 'addIfNotPresent' | 'equality' | 'existence';

const ANCHOR = /^([+<=X^])?\((.+)\)$/s;
const MODIFIERS: Record<string, AnchorKind> = { '': 'condition', '<': 'global', 'X': 'negation', '+': 'addIfNotPresent', '=': 'equality', '^': 'existence' };

/** Parses an anchored key; undefined for a plain key. */
export function parseAnchor(key: string): { kind: AnchorKind; key: string } | undefined {
  const m = ANCHOR.exec(key.trim());
  if (!m) return undefined;
  return { kind: MODIFIERS[m[1] ?? ''], key: m[2] };
}

/** The kind of failure of a pattern: `skip` makes the rule not apply (conditional / global anchors). */
type ErrorKind = 'fail' | 'conditional' | 'global' | 'negation';

interface PatternFailure {
  readonly kind: ErrorKind;
  /** Kyverno's path (`/spec/containers/0/image/`); empty when Kyverno reports no path. */
  readonly path: string;
  readonly message: string;
}

/** Result of matching a resource against a pattern. */
export interface PatternResult {
  readonly status: 'pass' | 'fail' | 'skip' | 'error';
  /** Where the resource does not match (Kyverno's path, `/spec/containers/0/`). */
  readonly path?: string;
  readonly message?: string;
}

const isSkip = (e: PatternFailure) => e.kind === 'conditional' || e.kind === 'global';

/** Tracks whether the keys of condition, existence and negation anchors exist in the resource. */
class AnchorMap {
  private readonly seen = new Map<string, boolean>();

  public check(pattern: Record<string, any>, resource: unknown): void {
    for (const key of Object.keys(pattern)) {
      const a = parseAnchor(key);
      if (!a || (a.kind !== 'condition' && a.kind !== 'existence' && a.kind !== 'negation')) continue;
      if (this.seen.get(key) === true) continue;
      this.seen.set(key, hasValueForKey(resource, a.key));
    }
  }

  public keysAreMissing(): boolean {
    return [...this.seen.values()].some((v) => !v);
  }
}

function hasValueForKey(resource: unknown, key: string): boolean {
  if (isObject(resource)) return Object.prototype.hasOwnProperty.call(resource, key);
  if (Array.isArray(resource)) return resource.some((r) => hasValueForKey(r, key));
  return false;
}

function show(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : typeof v === 'string' ? v : goSprint(v);
}

/**
 * Matches a resource against a pattern: `pass`, `fail` (with the path), `skip` (a conditional or
 * global anchor does not hold) or `error` (Kyverno reports a failure without a path as a rule error).
 */
export function matchPattern(resource: unknown, pattern: unknown): PatternResult {
  const ac = new AnchorMap();
  const err = validateElement(resource, pattern, '/', ac);
  if (!err) return { status: 'pass' };
  if (isSkip(err)) return { status: 'skip', message: err.message };
  if (err.kind === 'negation') return { status: 'fail', path: err.path, message: err.message };
  if (ac.keysAreMissing()) return { status: 'error', message: err.message };
  if (err.path === '') return { status: 'error', message: err.message };
  return { status: 'fail', path: err.path, message: err.message };
}

function failure(kind: ErrorKind, path: string, message: string): PatternFailure {
  return { kind, path, message };
}

function validateElement(resource: unknown, pattern: unknown, path: string, ac: AnchorMap): PatternFailure | undefined {
  const res = resource === undefined ? null : resource;
  if (isObject(pattern)) {
    if (!isObject(res)) {
      return failure('fail', path, `pattern and resource have different structures. Path: ${path}. Expected map, found ${res === null ? 'nil' : Array.isArray(res) ? 'array' : typeof res}`);
    }
    ac.check(pattern, res);
    return validateMap(res, pattern, path, ac);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(res)) return failure('fail', path, `validation rule failed at path ${path}, resource does not satisfy the expected overlay pattern`);
    return validateArray(res, pattern, path, ac);
  }
  if (Array.isArray(res)) {
    for (const item of res) {
      if (!valueMatchesPattern(item, pattern)) return failure('fail', path, `resource value '${show(res)}' does not match '${show(pattern)}' at path ${path}`);
    }
    return undefined;
  }
  if (!valueMatchesPattern(res, pattern)) return failure('fail', path, `resource value '${show(res)}' does not match '${show(pattern)}' at path ${path}`);
  return undefined;
}

const ANCHOR_ORDER: AnchorKind[] = ['condition', 'existence', 'equality', 'negation'];

function validateMap(resource: Record<string, any>, rawPattern: Record<string, any>, path: string, ac: AnchorMap): PatternFailure | undefined {
  const pattern = expandInMetadata(rawPattern, resource);
  const anchors: Array<[string, { kind: AnchorKind; key: string }, unknown]> = [];
  const plain: string[] = [];
  for (const key of Object.keys(pattern)) {
    const a = parseAnchor(key);
    if (a && ANCHOR_ORDER.includes(a.kind)) anchors.push([key, a, pattern[key]]);
    else plain.push(key);
  }
  // Kyverno evaluates anchors before the other keys (in map order); conditions first here, so a
  // condition that does not hold always skips the element
  anchors.sort((x, y) => ANCHOR_ORDER.indexOf(x[1].kind) - ANCHOR_ORDER.indexOf(y[1].kind) || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  for (const [, anchor, value] of anchors) {
    const err = handleAnchor(anchor, value, resource, path, ac);
    if (err) return err;
  }
  // keys sorted, those holding anchors (and global anchors) first, in reverse order (Kyverno's PushFront)
  const front: string[] = [];
  const back: string[] = [];
  for (const key of plain.sort()) {
    const a = parseAnchor(key);
    if ((a && a.kind === 'global') || hasNestedAnchors(pattern[key])) front.unshift(key);
    else back.push(key);
  }
  for (const key of [...front, ...back]) {
    const a = parseAnchor(key);
    const err = a && a.kind === 'global'
      ? handleAnchor(a, pattern[key], resource, path, ac)
      : handleDefault(key, pattern[key], resource, path, ac);
    if (err) return err;
  }
  return undefined;
}

function hasNestedAnchors(pattern: unknown): boolean {
  if (isObject(pattern)) {
    for (const key of Object.keys(pattern)) {
      const a = parseAnchor(key);
      if (a && a.kind !== 'addIfNotPresent') return true;
    }
    return Object.values(pattern).some(hasNestedAnchors);
  }
  if (Array.isArray(pattern)) return pattern.some(hasNestedAnchors);
  return false;
}

function handleDefault(key: string, pattern: unknown, resource: Record<string, any>, path: string, ac: AnchorMap): PatternFailure | undefined {
  const value = resource[key];
  if (pattern === '*') {
    return value !== undefined && value !== null ? undefined : failure('fail', path, `${path}/${key} not found`);
  }
  return validateElement(value, pattern, `${path}${key}/`, ac);
}

function handleAnchor(
  anchor: { kind: AnchorKind; key: string }, pattern: unknown, resource: Record<string, any>, path: string, ac: AnchorMap,
): PatternFailure | undefined {
  const current = `${path}${anchor.key}/`;
  const present = Object.prototype.hasOwnProperty.call(resource, anchor.key);
  const value = resource[anchor.key];
  switch (anchor.kind) {
    case 'negation':
      return present ? failure('negation', current, `negation anchor matched in resource: ${current} is not allowed`) : undefined;
    case 'equality':
      return present ? validateElement(value, pattern, current, ac) : undefined;
    case 'condition': {
      if (!present) return failure('conditional', current, 'conditional anchor mismatch: conditional anchor key doesn\'t exist in the resource');
      const err = validateElement(value, pattern, current, ac);
      return err ? failure('conditional', err.path, `conditional anchor mismatch: ${err.message}`) : undefined;
    }
    case 'global': {
      if (!present) return undefined;
      const err = validateElement(value, pattern, current, ac);
      return err ? failure('global', err.path, `global anchor mismatch: ${err.message}`) : undefined;
    }
    case 'existence': {
      if (!present) return undefined;
      if (!Array.isArray(value)) return failure('fail', current, 'invalid resource type: Existence ^ () anchor can be used only on list/array type resource');
      if (!Array.isArray(pattern)) return failure('fail', current, 'invalid pattern type: Pattern has to be of list to compare against resource');
      for (const patternMap of pattern) {
        if (!isObject(patternMap)) return failure('fail', current, 'invalid pattern type: Pattern has to be of type map to compare against items in resource');
        if (!value.some((item, i) => validateElement(item, patternMap, `${current}${i}/`, ac) === undefined)) {
          return failure('fail', current, `existence anchor validation failed at path ${current}`);
        }
      }
      return undefined;
    }
    default:
      return handleDefault(`+(${anchor.key})`, pattern, resource, path, ac);
  }
}

function validateArray(resource: unknown[], pattern: unknown[], path: string, ac: AnchorMap): PatternFailure | undefined {
  if (pattern.length === 0) return failure('fail', path, 'pattern Array empty');
  const first = pattern[0];
  if (isObject(first)) return validateArrayOfMaps(resource, first, path, ac);
  if (first === null || typeof first !== 'object') return validateElement(resource, first, path, ac);
  if (resource.length < pattern.length) {
    return failure('fail', '', `validate Array failed, array length mismatch, resource Array len is ${resource.length} and pattern Array len is ${pattern.length}`);
  }
  return validateElements(pattern.length, (i) => validateElement(resource[i], pattern[i], `${path}${i}/`, ac), path);
}

function validateArrayOfMaps(resource: unknown[], pattern: Record<string, any>, path: string, ac: AnchorMap): PatternFailure | undefined {
  return validateElements(resource.length, (i) => validateElement(resource[i], pattern, `${path}${i}/`, ac), path);
}

/**
 * Validates `count` elements in order: the first real failure is the result; elements skipped by a
 * conditional anchor do not count, and if every element was skipped the array is skipped too.
 */
function validateElements(count: number, validate: (i: number) => PatternFailure | undefined, path: string): PatternFailure | undefined {
  let applied = 0;
  const skipped: PatternFailure[] = [];
  for (let i = 0; i < count; i++) {
    const err = validate(i);
    if (err) {
      if (isSkip(err)) {
        skipped.push(err);
        continue;
      }
      return err;
    }
    applied++;
  }
  return applied === 0 && skipped.length > 0 ? failure('conditional', path, skipped.map((e) => e.message).join('; ')) : undefined;
}

/** Wildcard keys of `metadata.labels` / `metadata.annotations` in a pattern take the matching resource key. */
function expandInMetadata(pattern: Record<string, any>, resource: Record<string, any>): Record<string, any> {
  const metaKey = Object.keys(pattern).find((k) => k === 'metadata' || parseAnchor(k)?.key === 'metadata');
  if (metaKey === undefined || !isObject(pattern[metaKey]) || !isObject(resource.metadata)) return pattern;
  const meta = { ...pattern[metaKey] };
  let changed = false;
  for (const tag of ['labels', 'annotations']) {
    const tagKey = Object.keys(meta).find((k) => k === tag || parseAnchor(k)?.key === tag);
    if (tagKey === undefined || !isObject(meta[tagKey]) || !isObject(resource.metadata[tag])) continue;
    const values = meta[tagKey] as Record<string, any>;
    if (!Object.values(values).every((v) => typeof v === 'string')) continue;
    const resourceKeys = Object.keys(resource.metadata[tag]).sort();
    const expanded: Record<string, any> = {};
    for (const [k, v] of Object.entries(values)) {
      if (!hasWildcard(k)) {
        expanded[k] = v;
        continue;
      }
      const a = parseAnchor(k);
      const bare = a ? a.key : k;
      const match = resourceKeys.find((rk) => wildcardMatch(bare, rk));
      const key = match === undefined ? bare : match;
      expanded[a ? `${a.kind === 'condition' ? '' : k.trim()[0]}(${key})` : key] = v;
    }
    meta[tagKey] = expanded;
    changed = true;
  }
  return changed ? { ...pattern, [metaKey]: meta } : pattern;
}

// ---------------------------------------------------------------------------------------------
// values

type Operator = '' | '>=' | '<=' | '!' | '>' | '<' | '-' | '!-';

const IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;
const NOT_IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)!-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;

/** The operator a string pattern starts with (Kyverno `GetOperatorFromStringPattern`). */
export function operatorOf(pattern: string): Operator {
  if (pattern.length < 2) return '';
  for (const op of ['>=', '<=', '>', '<', '!'] as const) if (pattern.startsWith(op)) return op;
  if (NOT_IN_RANGE.test(pattern)) return '!-';
  if (IN_RANGE.test(pattern)) return '-';
  return '';
}

/** Kyverno `ValidateValueWithPattern`: one resource value against one pattern value. */
export function valueMatchesPattern(value: unknown, pattern: unknown): boolean {
  const v = value === undefined ? null : value;
  if (typeof pattern === 'boolean') return typeof v === 'boolean' && v === pattern;
  if (typeof pattern === 'number') return Number.isInteger(pattern) ? matchesInt(v, pattern) : matchesFloat(v, pattern);
  if (typeof pattern === 'string') return matchesStringPatterns(v, pattern);
  if (pattern === null || pattern === undefined) {
    if (typeof v === 'number') return v === 0;
    if (typeof v === 'string') return v === '';
    if (typeof v === 'boolean') return !v;
    return v === null;
  }
  if (isObject(pattern)) return isObject(v);
  return false;
}

function matchesInt(value: unknown, pattern: number): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value === pattern;
  if (typeof value === 'string') {
    const n = goParseInt(value);
    return n !== undefined && n === pattern;
  }
  return false;
}

function matchesFloat(value: unknown, pattern: number): boolean {
  if (typeof value === 'number') return Number.isInteger(value) ? Number.isInteger(pattern) && pattern === value : value === pattern;
  if (typeof value === 'string') {
    const n = goParseFloat(value);
    return n !== undefined && n === pattern;
  }
  return false;
}

/** Go `strconv.ParseInt(s, 10, 64)`. */
export function goParseInt(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** Go `strconv.ParseFloat(s, 64)` (decimal forms, `inf`, `nan`). */
export function goParseFloat(s: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return undefined;
}

function matchesStringPatterns(value: unknown, pattern: string): boolean {
  return pattern.split('|').some((alternative) => alternative.trim().split('&').every((c) => matchesStringPattern(value, c.trim())));
}

function matchesStringPattern(value: unknown, rawPattern: string): boolean {
  let pattern = rawPattern;
  let op = operatorOf(pattern);
  if (op === '-') {
    const [, left, right] = IN_RANGE.exec(pattern)!;
    if (!matchesStringPattern(value, `>=${left}`)) return false;
    pattern = `<=${right}`;
    op = '<=';
  } else if (op === '!-') {
    const [, left, right] = NOT_IN_RANGE.exec(pattern)!;
    if (matchesStringPattern(value, `<${left}`)) return true;
    pattern = `>${right}`;
    op = '>';
  }
  pattern = pattern.slice(op.length).trim();
  const m = /^(\d*(\.\d+)?)(.*)$/s.exec(pattern)!;
  if (m[1] === '') return validateString(value, m[3], op);
  return validateNumberWithString(value, pattern, op);
}

function validateString(value: unknown, pattern: string, op: Operator): boolean {
  if (op !== '' && op !== '!') return false;
  let s: string;
  if (typeof value === 'number') s = Number.isInteger(value) ? String(value) : goFormatFloatE(value);
  else if (typeof value === 'string') s = value;
  else if (typeof value === 'boolean') s = String(value);
  else return false;
  const matched = wildcardMatch(pattern, s);
  return op === '!' ? !matched : matched;
}

function numberAsString(value: unknown): string | undefined {
  if (value === null || value === undefined) return '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFormatFixed(value);
  return undefined;
}

function validateNumberWithString(value: unknown, pattern: string, op: Operator): boolean {
  const text = numberAsString(value);
  if (text === undefined) return false;
  const patternQuantity = parseQuantity(pattern);
  if (patternQuantity) {
    const valueQuantity = parseQuantity(text);
    if (!valueQuantity) return false;
    return compareWithOperator(valueQuantity, patternQuantity, op);
  }
  return wildcardMatch(pattern, text);
}

function compareWithOperator(value: Quantity, pattern: Quantity, op: Operator): boolean {
  const c = compareQuantities(value, pattern);
  switch (op) {
    case '': return c === 0;
    case '!': return c !== 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '>=': return c >= 0;
    case '<=': return c <= 0;
    default: return false;
  }
}
