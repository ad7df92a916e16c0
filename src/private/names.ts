import { IConstruct } from 'constructs';
import { redactSecrets } from './credentials';
import { ValidationError, renderValue } from '../errors/validation-error';

/** Where bad input was found: a construct, or a description for value objects (e.g. `Environment "prod"`). */
export type Where = IConstruct | string;

/** Builds a ValidationError for a construct or a value object. */
export function invalid(where: Where, code: string, property: string, value: unknown, allowed: string): ValidationError {
  const path = typeof where === 'string' ? where : (where.node.path || '/');
  return new ValidationError({ code, path, property, value: renderValue(value), allowed });
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True if `value` is an RFC 1123 DNS label (Namespace, Service names): at most 63 characters. */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && DNS1123_LABEL.test(value);
}

/** True if `value` is an RFC 1123 DNS subdomain (most object names): at most 253 characters. */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** True if a URL carries a password in its user info (`https://user:token@host`): a credential written into Git. */
export { hasUrlPassword } from './credentials';

/** The URL with the password of its user info masked, for error messages. */
export function maskUrlPassword(url: unknown): unknown {
  return typeof url === 'string' ? redactSecrets(url) : url;
}

export function requireDnsLabel(where: Where, property: string, value: unknown): string {
  if (!isDnsLabel(value)) {
    throw invalid(where, 'INVALID_NAME', property, value,
      'a DNS-1123 label: at most 63 characters, lower-case letters, digits and "-", starting and ending with a letter or digit');
  }
  return value;
}

export function requireDnsSubdomain(where: Where, property: string, value: unknown): string {
  if (!isDnsSubdomain(value)) {
    throw invalid(where, 'INVALID_NAME', property, value,
      'a DNS-1123 subdomain: at most 253 characters, lower-case letters, digits, "-" and ".", starting and ending with a letter or digit');
  }
  return value;
}

/**
 * Whether `value` names a folder of a repository relative to its root (`dist`, `./dist/`, `.`): not absolute and
 * no `..` segment. Argo CD refuses an absolute `source.path` or one that leaves the checkout (argo-cd
 * `util/app/path/path.go` `Path`: "app path is absolute", "app path outside root"); Flux joins a Kustomization's
 * `spec.path` to the artifact with `securejoin.SecureJoin` (kustomize-controller `kustomization_controller.go`),
 * which reads `/x` as `x` and stops `..` at the root, so it would read another folder than the one named.
 */
export function isRepositoryFolder(value: string): boolean {
  return !value.startsWith('/') && !value.split('/').includes('..');
}

/**
 * True for the object keys cdk8s cannot render, though Kubernetes accepts them. `ApiObject.toJson()`
 * passes every object through cdk8s' `sanitizeValue`, which reads `obj.constructor.name`: a key
 * "constructor" shadows it and rendering fails with a plain Error. It also copies each key by
 * assignment, so a key "__proto__" is silently lost.
 */
export function isUnrenderableKey(key: unknown): boolean {
  return key === 'constructor' || key === '__proto__';
}

/** Rejects a map key that cdk8s cannot render (see `isUnrenderableKey`), naming what to do instead. */
export function requireRenderableKey(where: Where, code: string, property: string, key: string, what: string): void {
  if (isUnrenderableKey(key)) {
    throw invalid(where, code, property, key,
      `${what} other than "constructor" and "__proto__": cdk8s cannot render an object key with either name (Kubernetes would accept it); rename the key`);
  }
}

/** Validates a label key as Kubernetes does: optional DNS-subdomain prefix, then a name of at most 63 characters. */
export function isLabelKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0) return false;
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

export function requireLabels(where: Where, property: string, labels: unknown): Record<string, string> {
  if (labels === undefined) return {};
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    throw invalid(where, 'INVALID_LABELS', property, labels, 'a map of label keys to label values');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    if (!isLabelKey(key)) {
      throw invalid(where, 'INVALID_LABELS', `${property} key`, key,
        'a label key: an optional DNS subdomain prefix and "/", then at most 63 characters of [A-Za-z0-9-_.] starting and ending with an alphanumeric');
    }
    requireRenderableKey(where, 'INVALID_LABELS', `${property} key`, key, 'a label key');
    if (!isLabelValue(value)) {
      throw invalid(where, 'INVALID_LABELS', `${property}["${key}"]`, value,
        'a label value: at most 63 characters of [A-Za-z0-9-_.], empty or starting and ending with an alphanumeric');
    }
    out[key] = value;
  }
  return out;
}

export function requireNonEmptyString(where: Where, property: string, value: unknown, allowed = 'a non-empty string'): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalid(where, 'INVALID_VALUE', property, value, allowed);
  }
  return value;
}

/** Booleans from untyped (JavaScript) callers: `"false"` or 0 must not reach a manifest or a truthiness test. */
export function requireBoolean(where: Where, property: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(where, 'INVALID_VALUE', property, value, 'true or false');
  return value;
}

export function requireInteger(where: Where, property: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(where, 'INVALID_VALUE', property, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

export function requireOneOf<T extends string>(where: Where, property: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(where, 'INVALID_VALUE', property, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * What to do when the environment's backend delivers no Kubernetes Secret for a credential a construct of this
 * library needs one for (`prop`: where to name another source).
 */
export function noSecretFromBackend(
  environment: { readonly name: string; readonly secretBackend: { readonly description: string } }, prop: string,
): string {
  return `; the secret backend of environment "${environment.name}" (${environment.secretBackend.description}) delivers none (the Vault agent `
    + `writes files into annotated pods only): give it a source that does (${prop}), or use SecretBackend.externalSecrets with a store of the `
    + 'Vault provider';
}
