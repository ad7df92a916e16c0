import * as fs from 'fs';
import * as path from 'path';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { RuleRecord, UncheckedKeyword, WalkNode } from './crd';
import { formatAjvErrors, joinPointer, RawIssue } from './messages';
import { ValidationError } from '../errors/validation-error';

// Loaded at first use, not with the library (an app that validates nothing does not pay for them
// at start): core kinds, metadata checks, CRD conversion, CEL rules (the CEL environment,
// JMESPath, RE2), formats, the YAML reader.
/* eslint-disable @typescript-eslint/no-require-imports */
let celModule: typeof import('./cel') | undefined;
let coreModule: typeof import('./core') | undefined;
const cel = () => (celModule ??= require('./cel') as typeof import('./cel'));
const core = () => (coreModule ??= require('./core') as typeof import('./core'));
const crdConversion = (): typeof import('./crd') => require('./crd');
const formats = (): typeof import('./formats') => require('./formats');
const metadata = (): typeof import('./metadata') => require('./metadata');
const yamlRead = (): typeof import('../private/yaml-read') => require('../private/yaml-read');
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Options for a `SchemaValidator`.
 */
export interface SchemaValidatorOptions {
  /**
   * Accept objects whose apiVersion and kind have no schema (neither a loaded CRD nor a core
   * kind). When false, such an object gets an issue of kind `no-schema`.
   *
   * @default false
   */
  readonly allowUnknownKinds?: boolean;

  /**
   * Validate core Kubernetes kinds (Pod, StatefulSet, Service, ...) against the official
   * OpenAPI schema shipped by `kubernetes-models`. When false, core kinds are unknown kinds.
   *
   * @default true
   */
  readonly coreKinds?: boolean;
}

/**
 * One problem found in a manifest.
 */
export interface SchemaIssue {
  /**
   * JSON pointer of the offending value, e.g. `/spec/replicas`; for an unknown field, the
   * object holding it (the message names the field). Empty for the whole object.
   */
  readonly path: string;

  /**
   * What is wrong, e.g. `unknown field "replcas"`, `must be integer (got string)`.
   */
  readonly message: string;

  /**
   * The category: `schema` (type, required, enum, pattern, format ...), `unknown-field` (the
   * API server would silently prune it), `cel` (an `x-kubernetes-validations` rule failed) or
   * `no-schema` (no schema for the object's apiVersion and kind).
   */
  readonly kind: string;
}

/**
 * A schema rule that could not be checked (never reported as passed).
 */
export interface UncheckedRule {
  /** apiVersion of the custom resource, e.g. `postgresql.cnpg.io/v1`. */
  readonly apiVersion: string;
  /** Kind of the custom resource, e.g. `Cluster`. */
  readonly kind: string;
  /** Schema path of the rule, e.g. `/spec/storage` (`*` stands for list items and map values). */
  readonly path: string;
  /** The rule text (a CEL expression, or `pattern: <regex>`). */
  readonly rule: string;
  /** Why it was not checked. */
  readonly reason: string;
}

/**
 * A CEL `x-kubernetes-validations` rule of a loaded CRD.
 */
export interface CelRuleInfo {
  /** apiVersion of the custom resource. */
  readonly apiVersion: string;
  /** Kind of the custom resource. */
  readonly kind: string;
  /** Schema path of the rule (`*` stands for list items and map values). */
  readonly path: string;
  /** The CEL expression. */
  readonly rule: string;
  /** Whether the rule is evaluated by this validator. */
  readonly evaluable: boolean;
  /**
   * Why the rule is not evaluated.
   *
   * @default - the rule is evaluable
   */
  readonly reason?: string;
}

interface CrdEntry {
  readonly apiVersion: string;
  readonly kind: string;
  readonly jsonSchema: any;
  readonly walk: WalkNode;
  readonly rules: RuleRecord[];
  readonly uncheckedKeywords: UncheckedKeyword[];
  validate?: ValidateFunction;
}

interface WalkContext {
  readonly entry: CrdEntry;
  readonly issues: RawIssue[];
  readonly typeErrorPaths: string[];
  readonly celValues: WeakMap<object, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Converts a rule's `fieldPath` (`.spec.foo`, `.items['a.b']`, `.list[0]`) to a JSON pointer suffix. */
function fieldPathPointer(fieldPath: string | undefined): string {
  if (!fieldPath) return '';
  let out = '';
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(fieldPath)) !== null) {
    if (m.index !== consumed) return '';
    consumed = re.lastIndex;
    out = joinPointer(out, m[1] ?? m[2] ?? m[3]);
  }
  return consumed === fieldPath.length ? out : '';
}

/**
 * Strict schema validation of Kubernetes manifests, before they reach a cluster.
 *
 * - Custom resources are validated against their CRD's `openAPIV3Schema` (every served
 *   version), with unknown fields rejected where the API server would silently prune them,
 *   ObjectMeta checked, and CEL `x-kubernetes-validations` rules evaluated (or listed in
 *   `uncheckedRules` when they cannot be).
 * - Core kinds are validated against the official Kubernetes OpenAPI schema shipped by
 *   `kubernetes-models`, with unknown fields rejected too.
 *
 * Each CRD schema is compiled once, on first use, and cached.
 */
export class SchemaValidator {
  /**
   * Loads CustomResourceDefinitions from YAML/JSON files or directories (searched
   * recursively for `.yaml`, `.yml` and `.json` files; multi-document files are supported;
   * documents that are not CRDs are ignored).
   *
   * @param paths files or directories
   * @param options validator options
   */
  public static fromCrdPaths(paths: string[], options?: SchemaValidatorOptions): SchemaValidator {
    const validator = new SchemaValidator(options);
    for (const p of paths) validator.addCrdPath(p);
    return validator;
  }

  /**
   * Renders an issue for humans: `<apiVersion>/<kind> <namespace>/<name>: <path>: <message>`.
   *
   * @param manifest the object the issue was found in
   * @param issue the issue
   */
  public static formatIssue(manifest: any, issue: SchemaIssue): string {
    const m = isPlainObject(manifest) ? manifest : {};
    const meta = isPlainObject(m.metadata) ? m.metadata : {};
    const name = meta.namespace ? `${meta.namespace}/${meta.name ?? '?'}` : String(meta.name ?? '?');
    return `${m.apiVersion ?? '?'}/${m.kind ?? '?'} ${name}: ${issue.path || '/'}: ${issue.message}`;
  }

  private readonly allowUnknownKinds: boolean;
  private readonly coreKinds: boolean;
  private readonly crds = new Map<string, CrdEntry>();
  private readonly runtimeUnchecked = new Map<string, UncheckedRule>();
  private ajvInstance?: Ajv;

  /**
   * @param options validator options
   */
  public constructor(options?: SchemaValidatorOptions) {
    this.allowUnknownKinds = options?.allowUnknownKinds ?? false;
    this.coreKinds = options?.coreKinds ?? true;
  }

  /**
   * Loads the CustomResourceDefinitions of a YAML/JSON file, or of every `.yaml`, `.yml` and
   * `.json` file under a directory (recursively).
   *
   * @param crdPath a file or directory
   */
  public addCrdPath(crdPath: string): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(crdPath);
    } catch {
      throw new ValidationError({ code: 'CRD_PATH_NOT_FOUND', path: crdPath, property: 'paths', value: JSON.stringify(crdPath), allowed: 'an existing CRD file or directory' });
    }
    if (stat.isDirectory()) {
      const entries = fs.readdirSync(crdPath, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const full = path.join(crdPath, e.name);
        if (e.isDirectory()) this.addCrdPath(full);
        else if (/\.(ya?ml|json)$/i.test(e.name)) this.addCrdFile(full);
      }
    } else {
      this.addCrdFile(crdPath);
    }
  }

  /**
   * Adds one CustomResourceDefinition (`apiextensions.k8s.io/v1`, or `v1beta1`): every served
   * version's schema, keyed by `group/version` and kind. A CRD for a kind already loaded
   * replaces it.
   *
   * @param crd the CRD object
   */
  public addCrd(crd: any): void {
    const spec = isPlainObject(crd) ? crd.spec : undefined;
    const group = spec?.group;
    const kind = spec?.names?.kind;
    if (!isPlainObject(crd) || crd.kind !== 'CustomResourceDefinition' || typeof group !== 'string' || typeof kind !== 'string') {
      throw new ValidationError({
        code: 'INVALID_CRD',
        path: String(crd?.metadata?.name ?? '<crd>'),
        property: 'crd',
        value: JSON.stringify(isPlainObject(crd) ? { apiVersion: crd.apiVersion, kind: crd.kind } : crd),
        allowed: 'a CustomResourceDefinition with spec.group, spec.names.kind and spec.versions',
      });
    }
    const versions: any[] = Array.isArray(spec.versions) && spec.versions.length > 0
      ? spec.versions
      : (typeof spec.version === 'string' ? [{ name: spec.version, served: true }] : []);
    for (const v of versions) {
      if (!isPlainObject(v) || typeof v.name !== 'string' || v.served === false) continue;
      const schema = v.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema ?? { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true };
      const apiVersion = `${group}/${v.name}`;
      const uncheckedKeywords: UncheckedKeyword[] = [];
      const rules: RuleRecord[] = [];
      const { buildWalk, shareRepeatedSubschemas, toJsonSchema } = crdConversion();
      const jsonSchema = shareRepeatedSubschemas(toJsonSchema(schema, apiVersion, kind, uncheckedKeywords));
      const walk = buildWalk(schema, rules);
      this.crds.set(this.key(apiVersion, kind), { apiVersion, kind, jsonSchema, walk, rules, uncheckedKeywords });
    }
  }

  /**
   * Whether objects of this apiVersion and kind can be validated (a loaded CRD, or a core kind
   * when core kinds are enabled).
   *
   * @param apiVersion e.g. `apps/v1`
   * @param kind e.g. `StatefulSet`
   */
  public hasSchema(apiVersion: string, kind: string): boolean {
    if (this.crds.has(this.key(apiVersion, kind))) return true;
    return this.coreKinds && core().findCoreValidator(apiVersion, kind) !== undefined;
  }

  /**
   * The custom resource kinds loaded, as `group/version Kind`, sorted.
   */
  public get customResourceKinds(): string[] {
    return [...this.crds.values()].map((e) => `${e.apiVersion} ${e.kind}`).sort();
  }

  /**
   * Every CEL rule of the loaded CRDs, with whether it is evaluated.
   */
  public get celRules(): CelRuleInfo[] {
    const out: CelRuleInfo[] = [];
    for (const e of this.crds.values()) {
      for (const r of e.rules) {
        const reason = r.compiled.uncheckedReason;
        const info: CelRuleInfo = { apiVersion: e.apiVersion, kind: e.kind, path: r.path, rule: r.rule, evaluable: reason === undefined };
        out.push(reason === undefined ? info : { ...info, reason });
      }
    }
    return out;
  }

  /**
   * Rules that could not be checked: CEL rules that use functions or variables outside the
   * Kubernetes CEL environment, transition rules (`oldSelf`), rules whose evaluation hit a gap of this environment
   * during `validate`, and patterns in Go-only regex syntax. Deduplicated per apiVersion, kind,
   * path and rule; sorted.
   */
  public get uncheckedRules(): UncheckedRule[] {
    const all = new Map<string, UncheckedRule>();
    for (const e of this.crds.values()) {
      for (const r of e.rules) {
        if (r.compiled.uncheckedReason !== undefined) {
          const u = { apiVersion: e.apiVersion, kind: e.kind, path: r.path, rule: r.rule, reason: r.compiled.uncheckedReason };
          all.set(this.ruleKey(u), u);
        }
      }
      for (const k of e.uncheckedKeywords) {
        const u = { apiVersion: e.apiVersion, kind: e.kind, path: k.path || '/', rule: k.rule, reason: k.reason };
        all.set(this.ruleKey(u), u);
      }
    }
    for (const [key, u] of this.runtimeUnchecked) if (!all.has(key)) all.set(key, u);
    return [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, u]) => u);
  }

  /**
   * Compiles every loaded CRD schema now (otherwise each is compiled on first use).
   *
   * @throws ValidationError when a schema cannot be compiled
   */
  public compileAll(): void {
    for (const e of this.crds.values()) this.compiled(e);
  }

  /**
   * Validates one manifest.
   *
   * @param manifest a Kubernetes object (plain JSON)
   * @returns the issues found; empty when the object is valid
   */
  public validate(manifest: any): SchemaIssue[] {
    if (!isPlainObject(manifest)) {
      return [{ path: '', message: 'must be a Kubernetes object (a JSON object with apiVersion and kind)', kind: 'schema' }];
    }
    const { apiVersion, kind } = manifest;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
      const missing = [typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : undefined, typeof kind !== 'string' || kind === '' ? 'kind' : undefined]
        .filter((x) => x !== undefined).map((x) => `"${x}"`).join(' and ');
      return [{ path: '', message: `missing required field ${missing}`, kind: 'schema' }];
    }
    const entry = this.crds.get(this.key(apiVersion, kind));
    if (entry) return [...this.validateCustomResource(entry, manifest), ...metadataIssues(manifest)];
    const coreValidator = this.coreKinds ? core().findCoreValidator(apiVersion, kind) : undefined;
    if (coreValidator) return [...core().validateCore(coreValidator, manifest).map(toIssue), ...metadataIssues(manifest)];
    if (this.allowUnknownKinds) return [];
    return [{
      path: '',
      message: `no schema for apiVersion "${apiVersion}" kind "${kind}": load its CustomResourceDefinition (or allow unknown kinds)`,
      kind: 'no-schema',
    }];
  }

  private validateCustomResource(entry: CrdEntry, manifest: any): SchemaIssue[] {
    const validate = this.compiled(entry);
    // The API server validates after defaulting: validate a defaulted copy (ajv useDefaults).
    const copy = JSON.parse(JSON.stringify(manifest));
    const issues: RawIssue[] = [];
    const typeErrorPaths: string[] = [];
    if (!validate(copy)) {
      const errors = validate.errors ?? [];
      issues.push(...formatAjvErrors(errors, copy));
      for (const e of errors) if (e.keyword === 'type') typeErrorPaths.push(e.instancePath);
    }
    this.walk(entry.walk, copy, '', { entry, issues, typeErrorPaths, celValues: new WeakMap() });
    const seen = new Set<string>();
    return issues.filter((i) => {
      const k = `${i.path}\u0000${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }).map(toIssue);
  }

  private walk(node: WalkNode, value: any, pointer: string, ctx: WalkContext): void {
    if (value === undefined || value === null) return;
    if (node.objectMeta && isPlainObject(value)) {
      ctx.issues.push(...core().validateCore(core().objectMetaValidator(), value, pointer));
    }
    // Like the API server, rules are not evaluated on values with type errors (their CEL types
    // would be wrong); the type errors are reported already.
    if (node.rules.length > 0 && !ctx.typeErrorPaths.some((p) => p === pointer || p.startsWith(`${pointer}/`))) {
      for (const r of node.rules) {
        if (!r.compiled.evaluate) continue; // listed in uncheckedRules already
        const { evaluateRule, toCel } = cel();
        const outcome = evaluateRule(r.compiled, toCel(value, node.schema, ctx.celValues));
        if (outcome.status === 'fail') {
          ctx.issues.push({ path: pointer + fieldPathPointer(r.compiled.fieldPath), message: outcome.message, kind: 'cel' });
        } else if (outcome.status === 'unchecked') {
          const u = { apiVersion: ctx.entry.apiVersion, kind: ctx.entry.kind, path: r.path, rule: r.rule, reason: outcome.reason };
          const key = this.ruleKey(u);
          if (!this.runtimeUnchecked.has(key)) this.runtimeUnchecked.set(key, u);
        }
      }
    }
    if (node.listMapKeys && Array.isArray(value)) {
      const seen = new Map<string, number>();
      value.forEach((item, i) => {
        if (!isPlainObject(item)) return;
        const key = JSON.stringify(node.listMapKeys!.map((k) => item[k] ?? null));
        const first = seen.get(key);
        if (first !== undefined) {
          const shown = node.listMapKeys!.map((k) => `${k}=${JSON.stringify(item[k] ?? null)}`).join(', ');
          ctx.issues.push({ path: joinPointer(pointer, i), message: `duplicate entry with ${shown} (same key as item ${first})`, kind: 'schema' });
        } else {
          seen.set(key, i);
        }
      });
    }
    if (node.properties && isPlainObject(value)) {
      for (const [name, child] of node.properties) this.walk(child, value[name], joinPointer(pointer, name), ctx);
    }
    if (node.items && Array.isArray(value)) {
      value.forEach((item, i) => this.walk(node.items!, item, joinPointer(pointer, i), ctx));
    }
    if (node.additional && isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) this.walk(node.additional, v, joinPointer(pointer, k), ctx);
    }
  }

  private compiled(entry: CrdEntry): ValidateFunction {
    if (!entry.validate) {
      try {
        entry.validate = this.ajv().compile(entry.jsonSchema);
      } catch (err) {
        throw new ValidationError({
          code: 'CRD_SCHEMA_UNSUPPORTED',
          path: `${entry.apiVersion} ${entry.kind}`,
          property: 'openAPIV3Schema',
          allowed: `a schema ajv can compile (${(err as Error).message})`,
        });
      }
    }
    return entry.validate;
  }

  private ajv(): Ajv {
    if (!this.ajvInstance) {
      // strict: false — the converted schemas keep OpenAPI-only annotations out, but CRD value
      // validations may still combine keywords in ways ajv's strict mode warns about.
      // loaded on first use: an app without schema validation does not pay for ajv at start
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const AjvClass = (require('ajv') as typeof import('ajv')).default;
      this.ajvInstance = new AjvClass({
        allErrors: true,
        strict: false,
        allowUnionTypes: true,
        messages: false,
        verbose: true,
        useDefaults: true,
        validateSchema: false,
        addUsedSchema: false,
        inlineRefs: false,
      });
      formats().addKubernetesFormats(this.ajvInstance);
    }
    return this.ajvInstance;
  }

  private addCrdFile(file: string): void {
    const text = fs.readFileSync(file, 'utf8');
    for (const doc of yamlRead().yamlDocuments(text)) {
      if (doc.errors.length > 0) {
        throw new ValidationError({ code: 'INVALID_CRD_FILE', path: file, property: 'yaml', allowed: `valid YAML (${doc.errors[0].message})` });
      }
      const value = doc.toJS({ maxAliasCount: -1 });
      if (isPlainObject(value) && value.kind === 'CustomResourceDefinition') this.addCrd(value);
    }
  }

  private key(apiVersion: string, kind: string): string {
    return `${apiVersion}\u0000${kind}`;
  }

  private ruleKey(u: UncheckedRule): string {
    return `${u.apiVersion}\u0000${u.kind}\u0000${u.path}\u0000${u.rule}`;
  }
}

/** The API server's checks of metadata values (name required, formats of names and labels). */
function metadataIssues(manifest: Record<string, any>): SchemaIssue[] {
  if (manifest.metadata === undefined) return [{ path: '', message: 'missing required field "metadata"', kind: 'schema' }];
  if (!isPlainObject(manifest.metadata)) return []; // a type error, reported by the schema
  return metadata().validateMetadataValues(manifest.metadata, manifest.apiVersion, manifest.kind).map(toIssue);
}

function toIssue(i: RawIssue): SchemaIssue {
  return { path: i.path, message: i.message, kind: i.kind };
}
