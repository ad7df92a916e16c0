/**
 * Core kinds (Pod, StatefulSet, Service, ...) validated against the official Kubernetes OpenAPI
 * schema as shipped by `kubernetes-models` 4.x (a devDependency: its validators of the top-level
 * kinds are copied into schemas/core-validators.js by `npx projen core-validators`).
 *
 * kubernetes-models does not ship the raw OpenAPI definitions: it ships ajv "standalone" code,
 * one precompiled validate function per definition (`_schemas/IoK8s*.js`). Those functions check
 * types, required fields, enums, formats, IntOrString, Quantity, Time ... exactly as the schema
 * says, but like the schema they do not reject unknown fields (the definitions have no
 * `additionalProperties: false`).
 *
 * Unknown fields are found by observing the precompiled validator: the value is wrapped in
 * proxies that record which keys the validator reads. A generated validator reads every property
 * its schema declares (`void 0 === data.foo || ...`) and enumerates the keys of map-like objects
 * (`for (key in data)` for `additionalProperties`). So after validation, for each object:
 * - keys enumerated: a map, every key is known;
 * - some keys read: an object with declared properties; every own key that was not read is an
 *   unknown field (the API server would prune it);
 * - nothing read: a free-form object (`type: object` without properties, e.g. RawExtension),
 *   anything goes.
 * Empty objects that have meaning (`emptyDir: {}`, `podSelector: {}`) stay valid.
 */
import { createRequire } from 'module';
import * as path from 'path';
import { formatAjvErrors, joinPointer, RawIssue } from './messages';

/** A precompiled kubernetes-models validate function. */
export interface CoreValidateFn {
  (data: any): boolean;
  errors?: any[] | null;
}

interface CoreValidators {
  findValidator(apiVersion: string, kind: string): CoreValidateFn | undefined;
  objectMetaValidator(): CoreValidateFn;
}

// schemas/core-validators.js is generated (`npx projen core-validators`) from kubernetes-models'
// precompiled validators of the top-level kinds; it sits at the package root, two levels up from
// both src/validation and lib/validation.
const load = createRequire(__filename);
let validators: CoreValidators | undefined;
function coreValidators(): CoreValidators {
  if (validators === undefined) {
    validators = load(path.join(__dirname, '..', '..', 'schemas', 'core-validators.js')) as CoreValidators;
  }
  return validators;
}

/**
 * The validate function of a top-level kind (`apps/v1` + `StatefulSet`), or undefined when
 * kubernetes-models has no such kind.
 */
export function findCoreValidator(apiVersion: string, kind: string): CoreValidateFn | undefined {
  return coreValidators().findValidator(apiVersion, kind);
}

/** The ObjectMeta validator (for custom resources' metadata). */
export function objectMetaValidator(): CoreValidateFn {
  return coreValidators().objectMetaValidator();
}

/** What the validator did with one object or array of the value. */
class Observed {
  public readonly read = new Set<string>();
  public enumerated = false;
  public readonly children = new Map<string, Observed>();
  public readonly proxies = new Map<string, any>();
  public constructor(public readonly target: any, public readonly pointer: string) {}
}

function observe(value: any, pointer: string): { proxy: any; record: Observed } {
  // A proxy must return the real value for non-configurable read-only properties; a frozen or
  // sealed value is observed through a shallow copy instead.
  const target = Object.isFrozen(value) || !Object.isExtensible(value) ? (Array.isArray(value) ? [...value] : { ...value }) : value;
  const record = new Observed(target, pointer);
  const proxy = new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver);
      if (typeof key !== 'string') return v;
      record.read.add(key);
      if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(t, key)) return v;
      let child = record.proxies.get(key);
      if (child === undefined) {
        const sub = observe(v, joinPointer(pointer, key));
        record.children.set(key, sub.record);
        record.proxies.set(key, sub.proxy);
        child = sub.proxy;
      }
      return child;
    },
    has(t, key) {
      if (typeof key === 'string') record.read.add(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      record.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
  return { proxy, record };
}

function unknownFields(record: Observed, issues: RawIssue[]): void {
  const t = record.target;
  if (!Array.isArray(t) && !record.enumerated && record.read.size > 0) {
    for (const key of Object.keys(t)) {
      if (!record.read.has(key) && t[key] !== undefined) {
        issues.push({ path: record.pointer, message: `unknown field "${key}"`, kind: 'unknown-field' });
      }
    }
  }
  for (const child of record.children.values()) unknownFields(child, issues);
}

/**
 * Runs a precompiled validator on `value` and reports schema errors and unknown fields.
 *
 * @param validate the precompiled validator
 * @param value the value (not modified)
 * @param basePath JSON pointer of `value` in the manifest
 */
export function validateCore(validate: CoreValidateFn, value: any, basePath = ''): RawIssue[] {
  if (value === null || typeof value !== 'object') {
    validate(value);
    return formatAjvErrors(validate.errors ?? [], value, basePath);
  }
  const { proxy, record } = observe(value, basePath);
  const ok = validate(proxy);
  const issues = ok ? [] : formatAjvErrors(validate.errors ?? [], value, basePath);
  unknownFields(record, issues);
  return issues;
}
