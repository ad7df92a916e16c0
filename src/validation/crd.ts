/**
 * CustomResourceDefinition schemas: conversion of a structural `openAPIV3Schema` into a strict
 * JSON Schema for ajv, and the "walk" tree used for what JSON Schema cannot express
 * (CEL rules, ObjectMeta of the root and embedded resources, `x-kubernetes-list-type: map` keys).
 */
import { compileRule, CompiledRule } from './cel';
import { isKnownFormat } from './formats';

/** A rule found in a CRD schema (evaluable or not). */
export interface RuleRecord {
  readonly path: string;
  readonly rule: string;
  readonly compiled: CompiledRule;
}

/** A schema keyword that cannot be checked in JavaScript (Go RE2-only regex syntax). */
export interface UncheckedKeyword {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

/** A node of the walk tree: only nodes with something to check, or with such descendants. */
export interface WalkNode {
  /** The structural schema of the node (for CEL value conversion). */
  readonly schema: any;
  /** Schema path, e.g. `/spec/containers/*` (`*` for list items and map values). */
  readonly schemaPath: string;
  readonly rules: RuleRecord[];
  /** Validate the value as ObjectMeta (root `metadata`, embedded resources' `metadata`). */
  readonly objectMeta: boolean;
  /** Keys of an `x-kubernetes-list-type: map` list. */
  readonly listMapKeys?: string[];
  readonly properties?: Map<string, WalkNode>;
  readonly items?: WalkNode;
  readonly additional?: WalkNode;
}

const VALUE_KEYWORDS = ['minimum', 'maximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'uniqueItems', 'minProperties', 'maxProperties', 'required'] as const;

/** Go RE2 syntax that JavaScript lacks, translated where the meaning is the same. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Makes every ASCII letter outside character classes and escapes case-insensitive: `a` → `[aA]`. */
function caseInsensitive(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += /[a-z]/i.test(c) ? c.toLowerCase() + c.toUpperCase() : c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (/[a-z]/i.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    } else {
      out += c;
    }
  }
  return out;
}

/** Translates a Go (RE2) pattern to a JavaScript one, or undefined when it cannot. */
export function translatePattern(pattern: string): string | undefined {
  if (compiles(pattern)) return pattern;
  let p = pattern
    .replace(/\\z/g, '$')
    .replace(/\\A/g, '^')
    .replace(/\(\?P</g, '(?<')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => (POSIX_CLASSES[name] && !neg ? POSIX_CLASSES[name] : m));
  // Go flags at the start (`(?i)abc`, `^(?i)abc`): only case-insensitivity can be expressed.
  const flags = /^(\^?)\(\?([imsU]+)\)/.exec(p);
  if (flags) {
    if (/[msU]/.test(flags[2])) return undefined;
    p = flags[1] + caseInsensitive(p.slice(flags[0].length));
  }
  return compiles(p) ? p : undefined;
}

interface ConvertContext {
  readonly unchecked: UncheckedKeyword[];
}

/**
 * Converts a structural schema node to JSON Schema.
 *
 * @param s the structural schema
 * @param path schema path (for reports)
 * @param inCombinator inside allOf/anyOf/oneOf/not: value validation only, no pruning semantics
 * @param loose do not reject unknown fields at this node (ObjectMeta is checked separately)
 */
function convert(s: any, path: string, ctx: ConvertContext, inCombinator: boolean, loose = false): any {
  if (typeof s === 'boolean') return s;
  if (s === null || typeof s !== 'object') return {};
  const out: any = {};
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const nullable = s.nullable === true;

  let types: string[] | undefined;
  if (intOrString) types = ['integer', 'string'];
  else if (typeof s.type === 'string') types = [s.type];
  if (types) {
    if (nullable) types.push('null');
    out.type = types.length === 1 ? types[0] : types;
  }
  for (const k of VALUE_KEYWORDS) if (s[k] !== undefined) out[k] = s[k];
  // OpenAPI 3.0 exclusive bounds are booleans that modify minimum/maximum.
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (Array.isArray(s.enum)) out.enum = nullable && !s.enum.includes(null) ? [...s.enum, null] : s.enum;
  if (s.default !== undefined && !inCombinator) out.default = s.default;
  if (typeof s.pattern === 'string') {
    const p = translatePattern(s.pattern);
    if (p !== undefined) out.pattern = p;
    else ctx.unchecked.push({ path, rule: `pattern: ${s.pattern}`, reason: 'Go RE2 regular expression syntax that JavaScript cannot evaluate' });
  }
  if (typeof s.format === 'string' && isKnownFormat(s.format)) out.format = s.format;
  if (s['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;

  if (s.items !== undefined && !Array.isArray(s.items)) out.items = convert(s.items, `${path}/*`, ctx, inCombinator);
  const properties: Record<string, any> = {};
  let hasProperties = false;
  if (s.properties && typeof s.properties === 'object') {
    for (const [name, sub] of Object.entries(s.properties)) {
      if (sub === undefined) continue;
      // An embedded resource's metadata is ObjectMeta, checked by the walk (see buildWalk).
      properties[name] = convert(sub, `${path}/${name}`, ctx, inCombinator, embedded && name === 'metadata');
      hasProperties = true;
    }
  }
  if (embedded && !inCombinator) {
    // An embedded runtime.Object: apiVersion and kind are required, as the API server checks.
    properties.apiVersion = properties.apiVersion ?? { type: 'string', minLength: 1 };
    properties.kind = properties.kind ?? { type: 'string', minLength: 1 };
    properties.metadata = properties.metadata ?? { type: 'object' };
    out.required = [...new Set([...(out.required ?? []), 'apiVersion', 'kind'])];
    hasProperties = true;
  }
  if (hasProperties) out.properties = properties;
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === 'object'
      ? convert(s.additionalProperties, `${path}/*`, ctx, inCombinator)
      : s.additionalProperties;
  }
  const isObject = s.type === 'object' || (s.type === undefined && hasProperties);
  // The API server prunes unknown fields: reject them, except where unknown fields are preserved.
  if (isObject && !inCombinator && !preserve && !loose && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }

  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (!Array.isArray(s[k])) continue;
    // int-or-string is commonly spelled `anyOf: [{type: integer}, {type: string}]`: the type says it all.
    if (intOrString && k === 'anyOf' && s[k].every((b: any) => Object.keys(b).length === 1 && (b.type === 'integer' || b.type === 'string'))) continue;
    out[k] = s[k].map((b: any, i: number) => convert(b, `${path}/${k}/${i}`, ctx, true));
  }
  if (s.not && typeof s.not === 'object') out.not = convert(s.not, `${path}/not`, ctx, true);
  return out;
}

/** Converts a CRD version's root schema; apiVersion and kind must be exactly this version's. */
export function toJsonSchema(root: any, apiVersion: string, kind: string, unchecked: UncheckedKeyword[]): any {
  const ctx: ConvertContext = { unchecked };
  const s = root && typeof root === 'object' ? root : { type: 'object' };
  const props = s.properties ?? {};
  const converted = convert({ ...s, type: 'object', properties: { ...props, metadata: undefined } }, '', ctx, false);
  converted.properties = converted.properties ?? {};
  converted.properties.apiVersion = { const: apiVersion };
  converted.properties.kind = { const: kind };
  // The root metadata is ObjectMeta, checked by the walk; keep the CRD's own constraints on it.
  converted.properties.metadata = convert(props.metadata ?? { type: 'object' }, '/metadata', ctx, false, true);
  converted.required = [...new Set([...(converted.required ?? []), 'apiVersion', 'kind'])];
  return converted;
}

/**
 * Builds the walk tree of a CRD version: rule records (all of them, for reporting) and the
 * nodes the walk must visit.
 */
export function buildWalk(root: any, rules: RuleRecord[]): WalkNode {
  const node = build(root, '', rules, false) ?? emptyNode(root, '');
  // The root's metadata is always ObjectMeta.
  const properties = new Map(node.properties ?? []);
  const metaSchema = root?.properties?.metadata;
  const metaNode = properties.get('metadata');
  properties.set('metadata', { ...(metaNode ?? emptyNode(metaSchema, '/metadata')), objectMeta: true });
  return { ...node, properties };
}

function emptyNode(schema: any, schemaPath: string): WalkNode {
  return { schema, schemaPath, rules: [], objectMeta: false };
}

function build(s: any, schemaPath: string, all: RuleRecord[], objectMeta: boolean): WalkNode | undefined {
  if (s === null || typeof s !== 'object') return undefined;
  const rules: RuleRecord[] = [];
  if (Array.isArray(s['x-kubernetes-validations'])) {
    for (const raw of s['x-kubernetes-validations']) {
      const record = { path: schemaPath || '/', rule: String(raw?.rule ?? ''), compiled: compileRule(raw) };
      rules.push(record);
      all.push(record);
    }
  }
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  let properties: Map<string, WalkNode> | undefined;
  if (s.properties && typeof s.properties === 'object') {
    for (const [name, sub] of Object.entries(s.properties)) {
      const child = build(sub, `${schemaPath}/${name}`, all, embedded && name === 'metadata');
      if (child) (properties ??= new Map()).set(name, child);
    }
  }
  if (embedded && !properties?.has('metadata')) {
    (properties ??= new Map()).set('metadata', { ...emptyNode(s.properties?.metadata, `${schemaPath}/metadata`), objectMeta: true });
  }
  const items = s.items && typeof s.items === 'object' && !Array.isArray(s.items) ? build(s.items, `${schemaPath}/*`, all, false) : undefined;
  const additional = s.additionalProperties && typeof s.additionalProperties === 'object'
    ? build(s.additionalProperties, `${schemaPath}/*`, all, false) : undefined;
  const listMapKeys = s['x-kubernetes-list-type'] === 'map' && Array.isArray(s['x-kubernetes-list-map-keys']) && s['x-kubernetes-list-map-keys'].length > 0
    ? s['x-kubernetes-list-map-keys'].map(String) : undefined;
  if (rules.length === 0 && !objectMeta && !listMapKeys && !properties && !items && !additional) return undefined;
  return { schema: s, schemaPath: schemaPath || '/', rules, objectMeta, listMapKeys, properties, items, additional };
}

/** Keys whose values are schemas (where a repeated subschema may be shared). */
const SCHEMA_LIST_KEYS = ['allOf', 'anyOf', 'oneOf'] as const;

/** Calls `visit` for every direct subschema position of a converted schema node. */
function forEachSubschema(node: any, visit: (get: () => any, set: (v: any) => void) => void): void {
  if (node.properties) {
    for (const name of Object.keys(node.properties)) {
      visit(() => node.properties[name], (v) => { node.properties[name] = v; });
    }
  }
  if (node.items && typeof node.items === 'object') visit(() => node.items, (v) => { node.items = v; });
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    visit(() => node.additionalProperties, (v) => { node.additionalProperties = v; });
  }
  for (const k of SCHEMA_LIST_KEYS) {
    if (Array.isArray(node[k])) node[k].forEach((_: any, i: number) => visit(() => node[k][i], (v) => { node[k][i] = v; }));
  }
  if (node.not && typeof node.not === 'object') visit(() => node.not, (v) => { node.not = v; });
}

/**
 * Moves subschemas that occur more than once (large CRDs repeat PodSpec-like trees many times)
 * to `definitions` and references them, so ajv compiles each once (with `inlineRefs: false`).
 * Cuts the compile time of the largest CRDs several-fold.
 */
export function shareRepeatedSubschemas(root: any, minSize = 256): any {
  const text = new Map<any, string>();
  const counts = new Map<string, number>();
  const measure = (node: any): void => {
    forEachSubschema(node, (get) => {
      const sub = get();
      const t = JSON.stringify(sub);
      text.set(sub, t);
      if (t.length >= minSize) counts.set(t, (counts.get(t) ?? 0) + 1);
      measure(sub);
    });
  };
  measure(root);
  const definitions: Record<string, any> = {};
  const names = new Map<string, string>();
  const replace = (node: any): void => {
    forEachSubschema(node, (get, set) => {
      const sub = get();
      const t = text.get(sub)!;
      if ((counts.get(t) ?? 0) > 1) {
        let name = names.get(t);
        if (name === undefined) {
          name = `s${names.size}`;
          names.set(t, name);
          definitions[name] = sub;
          replace(sub);
        }
        set({ $ref: `#/definitions/${name}` });
      } else {
        replace(sub);
      }
    });
  };
  replace(root);
  if (names.size > 0) root.definitions = definitions;
  return root;
}
