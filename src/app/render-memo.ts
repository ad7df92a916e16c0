import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  ApiObject, ApiObjectMetadataDefinition, App, ImplicitTokenResolver, JsonPatch, Lazy, LazyResolver, NumberStringUnionResolver,
} from 'cdk8s';
import { readCache, writeCacheParts } from '../gitops/writer/cache-store';
import { codeDigest, hashFileTree } from '../policy/findings-memo';
import { isPureLazy } from '../private/lazy';

/**
 * The rendering memo: what `ApiObject.toJson()` gave for each object of the last synthesis into the
 * same output folder, with a fingerprint of everything that rendering read, so that a re-synthesis
 * renders again only the objects whose inputs changed. Stored through the cross-run cache (sealed,
 * per output folder, per user; see `cache-store.ts`).
 *
 * Rendering an object is a pure function of what cdk8s' `ApiObject.toJson()` reads: the object's
 * props and metadata (name, namespace, labels, annotations, finalizers, owner references and
 * other attributes), its JSON patches, the app's resolvers, `$CDK8S_DISABLE_SORT`, and the code
 * (cdk8s' and, for a generated class such as `KubeDeployment`, its `toJson` and conversion
 * functions). The fingerprint is that input walked the way cdk8s resolves it, so an object is
 * memoized only when nothing in it runs code at synthesis other than this library's pure producers
 * (`lazyValue`, whose value is fingerprinted in place of the `Lazy`): any other `Lazy`, a value
 * with a `resolve()` method (a token), a function, a class instance that is not a number-or-string union
 * (`IntOrString`, `Quantity`...), a non-finite number or `-0`, or a class whose code cannot be
 * identified makes the object rendered as always. With default resolvers only, and only for
 * objects whose class is `ApiObject` itself or a generated class (nothing but a constructor and
 * `toJson` of its own, directly under `ApiObject`).
 *
 * What is memoized is the manifest as the synthesis finished it (canonical: suppressions annotated,
 * Argo CD and Flux annotations added) and its YAML, keyed by the fingerprint and by a text of all
 * that finishing reads besides the rendering (`after`); it is handed out as parsed from the cache (a
 * fresh object; JSON is exact for a canonical manifest: no null, undefined, non-finite number or `-0`).
 */

const KIND = 'render';
/** Depth past which an object is not memoized (cdk8s itself recurses without limit). */
const MAX_DEPTH = 200;

/**
 * One memoized rendering: the fingerprint digest, what the synthesis does to the rendering after it
 * (`RenderMemo.reuse`'s `after`), the final manifest (as parsed from the cache: a fresh object,
 * handed out once), its YAML and what the synthesis read of the rendering before finishing it (`tag`).
 */
type Entry = [string, string, any, string, string];

/** What the memo did in one synthesis (for tests and the benchmark). */
export interface RenderMemoStats {
  /** Objects whose memoized rendering was used. */
  readonly hits: number;
  /** Objects rendered and memoized. */
  readonly misses: number;
  /** Objects rendered that cannot be memoized (see `RenderMemo`). */
  readonly uncacheable: number;
}

/** A memoized rendering, as the synthesis had made it last time. */
export interface ReusedRendering {
  /** The manifest, after everything the synthesis does to a rendering (a fresh copy). */
  readonly manifest: any;
  /** Its YAML (`toYaml(manifest)`). */
  readonly yaml: string;
  /**
   * What the synthesis read of the rendering before finishing it, as given to `learn` (the deployment layer:
   * finishing removes the annotations of a GitOps tool the app is not wired for, one of which places the object).
   */
  readonly tag: string;
}

export class RenderMemo {
  /** The memo of the last synthesis into `outdir` (empty when there is none, or it cannot be trusted). */
  public static load(outdir: string, app: App): RenderMemo {
    const code = renderCodeKey();
    const usable = code !== undefined && defaultResolvers(app) && !prototypesHook();
    const entries = new Map<string, Entry>();
    if (usable) {
      const data = readCache(KIND, outdir);
      if (data && typeof data === 'object' && data.code === code && Array.isArray(data.entries)) {
        for (const e of data.entries) {
          if (!Array.isArray(e) || e.length !== 6 || typeof e[0] !== 'string' || typeof e[1] !== 'string' || typeof e[2] !== 'string'
            || e[3] === null || typeof e[3] !== 'object' || Array.isArray(e[3]) || typeof e[4] !== 'string' || typeof e[5] !== 'string') {
            entries.clear();
            break;
          }
          entries.set(e[0], [e[1], e[2], e[3], e[4], e[5]]);
        }
      }
    }
    return new RenderMemo(outdir, usable ? code : undefined, entries);
  }

  /** The entries of this synthesis: reused as they were, or learnt (serialized by `save`). */
  private readonly used = new Map<string, Entry | Learnt>();
  /** The objects `reuse` did not find, for `learn`: their fingerprint digest when it was computed. */
  private readonly pending = new Map<ApiObject, { constructPath: string; after: string; digest?: string }>();
  private hits = 0;
  private misses = 0;
  private uncacheable = 0;
  private readonly sortKeys = process.env.CDK8S_DISABLE_SORT ? 'unsorted' : 'sorted';

  private constructor(private readonly outdir: string, private readonly code: string | undefined, private readonly entries: Map<string, Entry>) {}

  /**
   * The final manifest and YAML of `obj` (at `constructPath`) from the last synthesis, when nothing its rendering reads
   * changed and `after` (everything the synthesis does to the rendering, as text) is the same;
   * else undefined: the caller renders (`obj.toJson()`) and gives the result to `learn`.
   */
  public reuse(obj: ApiObject, constructPath: string, after: string): ReusedRendering | undefined {
    if (this.code === undefined) {
      this.uncacheable++;
      return undefined;
    }
    const known = this.entries.get(constructPath);
    if (known === undefined || known[1] !== after || this.used.has(constructPath)) {
      // nothing to compare with: the fingerprint is taken when the memo is saved
      this.pending.set(obj, { constructPath, after });
      return undefined;
    }
    const digest = this.digestOf(obj);
    if (digest === undefined) {
      this.uncacheable++;
      return undefined;
    }
    if (known[0] === digest) {
      this.used.set(constructPath, known);
      this.hits++;
      return { manifest: known[2], yaml: known[3], tag: known[4] };
    }
    this.pending.set(obj, { constructPath, after, digest });
    return undefined;
  }

  /**
   * Memoizes the final manifest of `obj`, its YAML and `tag` (see `ReusedRendering.tag`), rendered by this
   * synthesis (after `reuse` found none). Manifests are serialized when the memo is saved: like the files
   * written, they must not be changed once finished (policy rules are given them to read).
   */
  public learn(obj: ApiObject, manifest: any, yaml: string, tag: string = ''): void {
    const p = this.pending.get(obj);
    if (p === undefined) return;
    this.pending.delete(obj);
    this.used.set(p.constructPath, { obj, after: p.after, digest: p.digest, manifest, yaml, tag });
    this.misses++;
  }

  public get stats(): RenderMemoStats {
    return { hits: this.hits, misses: this.misses, uncacheable: this.uncacheable };
  }

  /** The digest of `obj`'s fingerprint, or undefined when it cannot be memoized. */
  private digestOf(obj: ApiObject): string | undefined {
    let fingerprint: string | undefined;
    try {
      fingerprint = fingerprintOf(obj, this.sortKeys);
    } catch {
      // a producer that throws: rendering throws the same, with cdk8s' message
      return undefined;
    }
    return fingerprint === undefined ? undefined : crypto.createHash('sha256').update(fingerprint).digest('base64');
  }

  /** `{ code, entries: [[path, digest, after, manifest, yaml, tag], ...] }` as JSON, an entry at a time. */
  private *parts(code: string): Iterable<string> {
    yield `{"code":${JSON.stringify(code)},"entries":[`;
    let first = true;
    for (const [constructPath, e] of this.used) {
      let entry: Entry;
      if (Array.isArray(e)) {
        entry = e;
      } else {
        const digest = e.digest ?? this.digestOf(e.obj);
        if (digest === undefined) {
          this.misses--;
          this.uncacheable++;
          continue;
        }
        entry = [digest, e.after, e.manifest, e.yaml, e.tag];
      }
      yield `${first ? '' : ','}${JSON.stringify([constructPath, ...entry])}`;
      first = false;
    }
    yield ']}';
  }

  /** Keeps the renderings of this synthesis for the next one (silent on any failure). */
  public save(): void {
    try {
      if (this.code === undefined) return;
      if (this.misses === 0 && this.used.size === this.entries.size) return;
      writeCacheParts(KIND, this.outdir, this.parts(this.code));
    } catch {
      // the memo only saves work
    }
  }
}

/** A rendering of this synthesis, to memoize. */
interface Learnt {
  readonly obj: ApiObject;
  readonly after: string;
  readonly digest?: string;
  readonly manifest: any;
  readonly yaml: string;
  readonly tag: string;
}

/** Whether the app resolves with cdk8s' default resolvers only (anything else may read anything). */
function defaultResolvers(app: App): boolean {
  const r = app.resolvers;
  return r.length === 3 && r[0]?.constructor === LazyResolver && r[1]?.constructor === ImplicitTokenResolver
    && r[2]?.constructor === NumberStringUnionResolver && r.every((x) => !Object.prototype.hasOwnProperty.call(x, 'resolve'));
}

/** Whether a primitive's prototype was given a `resolve` or `value` (cdk8s' resolvers would read them). */
function prototypesHook(): boolean {
  return [String.prototype, Number.prototype, Boolean.prototype, Array.prototype, Object.prototype]
    .some((p) => 'resolve' in p || 'value' in p);
}

let codeKey: string | null | undefined;

/**
 * What identifies the rendering code: this library's code digest, cdk8s' files (path, size, mtime
 * and inode of every file of its `lib/` and of the `fast-json-patch` it applies patches with), and
 * the source of the functions rendering runs (a function replaced at run time changes it).
 * Undefined when they cannot be found.
 */
function renderCodeKey(): string | undefined {
  if (codeKey === undefined) {
    try {
      const hash = crypto.createHash('sha256').update(`${codeDigest()}\0`);
      const lib = path.dirname(require.resolve('cdk8s'));
      const patch = path.dirname(require.resolve('fast-json-patch/package.json', { paths: [lib] }));
      for (const dir of [lib, patch]) {
        hash.update(`${dir}\0`);
        hashFileTree(hash, dir);
      }
      for (const f of [ApiObject.prototype.toJson, ApiObjectMetadataDefinition.prototype.toJson, JsonPatch.apply, App.of]) hash.update(`${String(f)}\0`);
      codeKey = hash.digest('hex');
    } catch {
      codeKey = null;
    }
  }
  return codeKey ?? undefined;
}

const classKeys = new WeakMap<object, string | null>();

/**
 * What identifies the rendering code of `proto`'s class: `ApiObject` itself, or a class generated by
 * `cdk8s import` (its own properties are a constructor and the generated `toJson`, directly under
 * `ApiObject`) identified by its jsii type (package and version) or by the file that defines it
 * (which holds the generated conversion functions). Null otherwise.
 */
function classKeyOf(proto: object): string | null {
  if (proto === ApiObject.prototype) return 'ApiObject';
  let key = classKeys.get(proto);
  if (key === undefined) {
    key = identifyClass(proto);
    classKeys.set(proto, key);
  }
  return key;
}

/** `toJson` as `cdk8s import` generates it, white space removed. */
const GENERATED_TO_JSON = /^toJson\(\)\{constresolved=super\.toJson\(\);return\{\.\.\.([A-Za-z_$][\w$]*)\.GVK,\.\.\.toJson_[\w$]+\(resolved\),?\};?\}$/;

function identifyClass(proto: any): string | null {
  if (Object.getPrototypeOf(proto) !== ApiObject.prototype) return null;
  const own = Object.getOwnPropertyNames(proto).sort();
  if (own.length !== 2 || own[0] !== 'constructor' || own[1] !== 'toJson' || typeof proto.toJson !== 'function') return null;
  const cls = proto.constructor;
  if (typeof cls !== 'function' || cls.prototype !== proto) return null;
  // the very `toJson` cdk8s import generates: the GVK and the generated conversion of the rendering
  const generated = GENERATED_TO_JSON.exec(String(proto.toJson).replace(/\s+/g, ''));
  if (!generated || generated[1] !== cls.name) return null;
  const code = `${cls.name}\0${String(proto.toJson)}\0${JSON.stringify(cls.GVK ?? null)}`;
  const rtti = cls[Symbol.for('jsii.rtti')];
  if (rtti && typeof rtti.fqn === 'string' && typeof rtti.version === 'string') return `jsii\0${rtti.fqn}\0${rtti.version}\0${code}`;
  const file = definingFile(cls);
  if (file === undefined) return null;
  try {
    const st = fs.statSync(file, { bigint: true });
    return `file\0${file}\0${st.size}\0${st.mtimeNs}\0${st.ino}\0${code}`;
  } catch {
    return null;
  }
}

/** The file of the loaded module that exports `cls` (undefined when none, or more than one, does). */
function definingFile(cls: unknown): string | undefined {
  let found: string | undefined;
  for (const [file, mod] of Object.entries(require.cache)) {
    const exported = mod?.exports;
    if (exported === null || typeof exported !== 'object') continue;
    for (const k of Object.keys(exported)) {
      if (exported[k] !== cls) continue;
      if (found !== undefined && found !== file) return undefined;
      found = file;
    }
  }
  return found;
}

/**
 * The fingerprint of everything `obj.toJson()` reads, or undefined when it cannot be memoized.
 * Mirrors cdk8s' `resolve`: `{ ...props, metadata }`, each value given first to the resolvers
 * (a `Lazy` or a `resolve()` method runs code: not memoized; an instance of a class other than
 * Object with a string or number `value` becomes `{ value }`), then arrays and plain objects walked.
 */
function fingerprintOf(obj: ApiObject, sortKeys: string): string | undefined {
  const proto = Object.getPrototypeOf(obj);
  if (Object.prototype.hasOwnProperty.call(obj, 'toJson')) return undefined;
  const cls = classKeyOf(proto);
  if (cls === null) return undefined;
  const anyObj = obj as any;
  const metadata = anyObj.metadata;
  if (Object.getPrototypeOf(metadata) !== ApiObjectMetadataDefinition.prototype || Object.prototype.hasOwnProperty.call(metadata, 'toJson')) return undefined;
  if (!knownMetadataShape(metadata)) return undefined;
  const meta = encode({
    ...metadata._additionalAttributes,
    name: metadata.name,
    namespace: metadata.namespace,
    annotations: metadata.annotations,
    finalizers: metadata.finalizers,
    ownerReferences: metadata.ownerReferences,
    labels: metadata.labels,
  }, 0);
  if (meta === undefined) return undefined;
  const props = anyObj.props;
  if (props === null || typeof props !== 'object') return undefined;
  // `{ ...props, metadata }`: the key order of the object cdk8s resolves
  const data: Record<string, unknown> = { ...props, metadata: undefined };
  let body = '{';
  for (const k of Object.keys(data)) {
    const v = k === 'metadata' ? meta : encode(data[k], 1);
    if (v === undefined) return undefined;
    body += `${k.length}:${k}${v}`;
  }
  const patches = anyObj.patches;
  if (!Array.isArray(patches)) return undefined;
  let ops = '';
  if (patches.length > 0) {
    // JsonPatch.apply deep-clones the operations through JSON
    if (!patches.every((p) => Object.getPrototypeOf(p) === JsonPatch.prototype && !Object.prototype.hasOwnProperty.call(p, '_toJson'))) return undefined;
    ops = JSON.stringify(patches.map((p) => p._toJson()));
  }
  return `${cls}\0${sortKeys}\0${body}}\0${ops.length}:${ops}`;
}

const METADATA_FIELDS = ['_additionalAttributes', 'annotations', 'apiObject', 'finalizers', 'labels', 'name', 'namespace', 'ownerReferences'];

/** Whether the metadata has exactly the fields its `toJson` reads (cdk8s' shape this library knows). */
function knownMetadataShape(metadata: any): boolean {
  const keys = Object.keys(metadata);
  if (keys.length !== METADATA_FIELDS.length) return false;
  keys.sort();
  for (let i = 0; i < keys.length; i++) if (keys[i] !== METADATA_FIELDS[i]) return false;
  return true;
}

/**
 * `value` as cdk8s' resolve sees it, as text (type-tagged, length-prefixed: two different values
 * never give the same text), or undefined when resolving it could run code or give something JSON
 * cannot carry.
 */
function encode(value: any, depth: number): string | undefined {
  if (value === undefined) return 'u';
  if (value === null) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? `d${value};` : undefined;
    case 'boolean':
      return value ? 't' : 'f';
    case 'object':
      break;
    default:
      return undefined; // function, symbol, bigint
  }
  if (depth > MAX_DEPTH) return undefined;
  // LazyResolver: the produced value in place of the Lazy (pure producers only: see `lazyValue`)
  if (value instanceof Lazy) return isPureLazy(value) ? encode(value.produce(), depth + 1) : undefined;
  // ImplicitTokenResolver would run code
  if (typeof value.resolve === 'function') return undefined;
  if (value.constructor !== Object) {
    // NumberStringUnionResolver: `{ value }` in place of the instance
    const inner = value.value;
    if (typeof inner === 'number' || typeof inner === 'string') {
      const v = encode(inner, depth + 1);
      return v === undefined ? undefined : `{5:value${v}}`;
    }
    if (!Array.isArray(value)) return undefined; // rendering fails (not a plain object): as always
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return undefined;
      const v = encode(value[i], depth + 1);
      if (v === undefined) return undefined;
      out += v;
    }
    return `${out}]`;
  }
  let out = '{';
  for (const k of Object.keys(value)) {
    const v = encode(value[k], depth + 1);
    if (v === undefined) return undefined;
    out += `${k.length}:${k}${v}`;
  }
  return `${out}}`;
}
