/**
 * A V8 code cache for this library's own modules. Node 20 has no compile cache of its own
 * (`module.enableCompileCache` came with Node 22.1): every process parses and compiles each module
 * it loads, ~120 of them (600 KB) for a synthesis with every pack, a third of its start-up beyond
 * cdk8s. The entry point (`lib/index.js`, see projenrc/lazy-index.ts) installs this first thing.
 *
 * - **Scope:** the files under the library's own folder (`lib/`), and the Kubernetes L1 classes the
 *   library's engines import (`cdk8s-plus-28/lib/imports/k8s.js`, see `DEPENDENCY_FILES`: 2.7 MB,
 *   ~25 ms of V8 pre-parsing per process, as much as all of the library's own modules together);
 *   every other module is compiled by Node as always.
 * - **What is cached:** for each module, V8's code cache (`vm.Script#createCachedData`, taken when
 *   the process exits, so it holds the functions the run compiled) under the sha256 of the module's
 *   source. A module whose source differs from what was cached is compiled from its source (V8 itself
 *   only checks the source's length); data V8 rejects (another Node version or V8 flags) is compiled
 *   from source too.
 * - **Where:** one file per library folder and Node version, flags and architecture, in the cross-run
 *   cache folder (`<state dir>/cache/`, see `cache-store.ts`), sealed with the per-user key as the
 *   other caches: a file that is missing, not this user's, altered or foreign is not read.
 * - **When it is written:** at exit, only when a module was compiled from source. The first run of
 *   a library folder writes only an empty mark, the second the cache proper: a CI job whose state
 *   folder does not survive it pays one small file, not the cache.
 * - **Inert** (Node compiles as always) when `$CDK8S_STATEFUL_CACHE` is `off`, under coverage
 *   (`NODE_V8_COVERAGE`), with source maps (`--enable-source-maps`), a policy or permission model,
 *   or when something else has already replaced Node's `Module.prototype._compile` (an
 *   instrumenter; or another copy of this library): never two hooks on one module.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { cacheEnabled } from './cache-switch';

/** What the code cache did in this process (tests, benchmarks). */
export interface CodeCacheStats {
  /** The folder whose modules go through the cache; undefined when it is not installed. */
  readonly dir?: string;
  /** Why it is not installed. */
  readonly inert?: string;
  /** Modules compiled with cached data V8 accepted. */
  readonly hits: number;
  /** Modules compiled from their source: none cached, or of another source. */
  readonly misses: number;
  /** Modules whose cached data V8 rejected (compiled from source). */
  readonly rejected: number;
  /** Relative requires of a module already loaded answered without Node's resolution (see `requireOf`). */
  readonly shortcuts: number;
  /** First loads whose resolution was recorded in Node's resolution cache beforehand (see `primePathCache`). */
  readonly primed: number;
}

interface Entry {
  readonly hash: Buffer;
  readonly data: Buffer;
}

interface State {
  readonly dir: string;
  readonly kind: string;
  readonly entries: Map<string, Entry>;
  /** A cache file (an empty mark included) was read. */
  readonly found: boolean;
  readonly compiled: Map<string, { readonly script: vm.Script; readonly hash: Buffer }>;
  /** Folders of the library listed by `primePathCache`: name → a regular file. */
  readonly listings: Map<string, Map<string, boolean>>;
  /** Node's own `Module._load` and `Module.prototype.require` when neither was replaced: the require shortcut's condition. */
  readonly nodeLoader?: { readonly load: unknown; readonly require: unknown };
  hits: number;
  misses: number;
  rejected: number;
  shortcuts: number;
  primed: number;
}

const INSTALLED = Symbol.for('cdk8s-stateful.code-cache');

/**
 * Files of the library's dependencies that go through the cache too, wherever the package is
 * installed (a `node_modules` folder's `<package>/<file>`): the Kubernetes L1 classes, which the
 * StatefulSet engines, the backups and the queues import (`import * as k8s from
 * 'cdk8s-plus-28/lib/imports/k8s'`), as do apps written with them. One module of 2.7 MB, loaded by
 * nearly every synthesis: compiling it took 54-74 ms of CPU in a fresh process, 32-52 ms with its
 * cached data (a busy 2-core machine, 12 runs each). Its entry is keyed by the file's real path.
 */
const DEPENDENCY_FILES: readonly string[] = [['cdk8s-plus-28', 'lib', 'imports', 'k8s.js']]
  .map((parts) => `${path.sep}node_modules${path.sep}${parts.join(path.sep)}`);

/* eslint-disable @typescript-eslint/no-require-imports */
/** Node's CommonJS loader, the class itself (its `prototype._compile`, `wrap`, `_resolveFilename`: not in the typings). */
const cjsLoader = (): any => require('module');
/** The sealed cache files, loaded only when the code cache is on (`require('cdk8s-stateful')` otherwise loads this module alone). */
const cacheStore = (): typeof import('../gitops/writer/cache-store') => require('../gitops/writer/cache-store');
/* eslint-enable @typescript-eslint/no-require-imports */
let state: State | undefined;
let inert: string | undefined;

/** The statistics of this process (zeros when not installed). */
export function codeCacheStats(): CodeCacheStats {
  return state
    ? { dir: state.dir, hits: state.hits, misses: state.misses, rejected: state.rejected, shortcuts: state.shortcuts, primed: state.primed }
    : { inert: inert ?? 'not installed', hits: 0, misses: 0, rejected: 0, shortcuts: 0, primed: 0 };
}

/** Installs the code cache for the modules under `dir` (the library's `lib/`). Never throws. */
export function installCodeCache(dir: string): void {
  if (state || inert) return;
  try {
    inert = whyInert();
    if (inert) return;
    const Module = cjsLoader();
    const proto = Module.prototype;
    const original = proto._compile;
    const root = path.resolve(dir);
    // one file per Node version, architecture and set of options (V8 rejects data made under other
    // flags): options only, not the code of `-e` / `-p`
    const options = process.execArgv.filter((a) => a.startsWith('--') && !/^--(eval|print)\b/.test(a));
    const kind = `code-${crypto.createHash('sha256')
      .update(`${process.version}\0${process.arch}\0${options.join('\0')}\0${process.env.NODE_OPTIONS ?? ''}`)
      .digest('hex').slice(0, 16)}`;
    const bytes = cacheStore().readCacheBytes(kind, root);
    const entries = decode(bytes);
    const found = bytes !== undefined;
    const node = nodeLoader(Module);
    const s: State = {
      dir: root,
      kind,
      entries,
      found,
      compiled: new Map(),
      listings: new Map(),
      nodeLoader: node,
      hits: 0,
      misses: 0,
      rejected: 0,
      shortcuts: 0,
      primed: 0,
    };
    const prefix = root + path.sep;
    proto._compile = function compile(this: any, content: unknown, filename: unknown, ...rest: unknown[]) {
      if (typeof content !== 'string' || typeof filename !== 'string' || content.startsWith('#!')) {
        return original.call(this, content, filename, ...rest);
      }
      if (filename.startsWith(prefix)) return compileCached(Module, s, this, content, filename, filename.slice(prefix.length));
      if (DEPENDENCY_FILES.some((f) => filename.endsWith(f))) return compileCached(Module, s, this, content, filename, filename);
      return original.call(this, content, filename, ...rest);
    };
    (globalThis as any)[INSTALLED] = root;
    state = s;
    process.once('exit', () => save(s));
  } catch {
    // only ever saves work
  }
}

/** Why the cache must stay out of Node's way in this process, if it must. */
function whyInert(): string | undefined {
  if (!cacheEnabled(undefined)) return 'CDK8S_STATEFUL_CACHE is off';
  if ((globalThis as any)[INSTALLED] !== undefined) return 'another copy of the library installed it';
  if (process.env.NODE_V8_COVERAGE) return 'coverage (NODE_V8_COVERAGE)';
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if ((process as any).sourceMapsEnabled === true || /--enable-source-maps\b/.test(flags)) return 'source maps';
  if (/--(experimental-policy|policy-integrity|experimental-permission|permission)\b/.test(flags)) return 'a policy or permission model';
  const loader = cjsLoader();
  const compile = loader.prototype?._compile;
  // Node's own `_compile` compiles through `wrapSafe`; anything else is someone's hook
  if (typeof compile !== 'function' || !/\bwrapSafe\b/.test(Function.prototype.toString.call(compile))) return 'Module.prototype._compile is hooked';
  if (typeof loader.wrap !== 'function' || typeof loader._resolveFilename !== 'function') return 'a CommonJS loader without Module.wrap';
  if (typeof (vm.Script.prototype as any).createCachedData !== 'function') return 'no vm.Script#createCachedData';
  return undefined;
}

/** Node's own loader functions, when nothing has replaced them (their source is Node's: see `requireOf`). */
function nodeLoader(Module: any): State['nodeLoader'] {
  const load = Module._load;
  const req = Module.prototype.require;
  const source = (f: unknown) => (typeof f === 'function' ? Function.prototype.toString.call(f) : '');
  return /\brelResolveCacheIdentifier\b/.test(source(load)) && /\bModule\._load\(/.test(source(req)) ? { load, require: req } : undefined;
}

/**
 * What Node's `_compile` does for a CommonJS module, its script compiled with the cached data of
 * `rel`: the path relative to the library's folder, or the absolute path of a dependency's file.
 */
function compileCached(Module: any, s: State, mod: any, content: string, filename: string, rel: string): unknown {
  const hash = crypto.createHash('sha256').update(content).digest();
  const entry = s.entries.get(rel);
  const cachedData = entry !== undefined && entry.hash.equals(hash) ? entry.data : undefined;
  const script = new vm.Script(Module.wrap(content), { filename, cachedData });
  if (cachedData === undefined) s.misses++;
  else if (script.cachedDataRejected) s.rejected++;
  else s.hits++;
  s.compiled.set(rel, { script, hash });
  const fn = script.runInThisContext({ displayErrors: true });
  return fn.call(mod.exports, mod.exports, requireOf(Module, mod, filename, s), mod, filename, path.dirname(filename));
}

/**
 * The `require` a module is given (as Node's makeRequireFunction makes it), with one shortcut: a
 * relative request without extension (`./x`, `../y/z`: what tsc emits between the library's own
 * modules) whose `<folder>/<request>.js` is a module already loaded returns its exports without
 * Node's resolution. Node would resolve it to that same file (`Module._findPath`: the name as
 * given is tried first, then with `.js`; the library ships no file without an extension) and
 * return the cached module (`Module._load`: `updateChildren`, then its exports). Of the ~330
 * relative requires of a synthesis with every pack, ~210 are of modules already loaded, at
 * 30-45 µs each through Node's resolution (two `stat`s and a `realpath` where its caches miss).
 * A module still loading (a circular require) goes through Node as always, and so does every
 * request once `Module._load` or `Module.prototype.require` is not Node's own (a mocking tool, an
 * instrumenter: replaced before the library loaded, or since).
 */
function requireOf(Module: any, mod: any, filename: string, s: State): NodeJS.Require {
  const dir = path.dirname(filename);
  const node = s.nodeLoader;
  const req = function require(id: string) {
    if (node !== undefined && typeof id === 'string' && id.charCodeAt(0) === 46 /* . */ && (id.startsWith('./') || id.startsWith('../'))
      && Module._load === node.load && Module.prototype.require === node.require && !/\.(c?js|json|node)$/.test(id)) {
      const base = path.resolve(dir, id);
      const cached = Module._cache[base + '.js'];
      if (cached !== undefined && cached.loaded === true) {
        if (Array.isArray(mod.children) && !mod.children.includes(cached)) mod.children.push(cached);
        s.shortcuts++;
        return cached.exports;
      }
      if (cached === undefined) primePathCache(Module, s, id, dir, base);
    }
    return mod.require(id);
  } as NodeJS.Require;
  const resolve = ((request: string, options?: { paths?: string[] }) =>
    Module._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => Module._resolveLookupPaths(request, mod);
  req.resolve = resolve;
  req.main = process.mainModule;
  req.extensions = Module._extensions;
  req.cache = Module._cache;
  return req;
}

/**
 * Before Node loads a library module for the first time through a relative request: records in
 * Node's own resolution cache (`Module._pathCache`, keyed `<request>\0<folder>` for a relative
 * request, `Module._findPath`) the answer Node would compute, `<base>.js`, when a listing of its
 * folder (one `readdir` per folder and process) shows `<base>.js` as a regular file and nothing
 * named `<base>` (which Node would try first). Node then skips its `stat`s and `realpath` for it:
 * the folder is a real path already (that of a module Node loaded), and the file no link. Only
 * folders under the library's own; anything else is left to Node.
 */
function primePathCache(Module: any, s: State, id: string, dir: string, base: string): void {
  const pathCache = Module._pathCache;
  if (typeof pathCache !== 'object' || pathCache === null) return;
  const folder = path.dirname(base);
  if (folder !== s.dir && !folder.startsWith(s.dir + path.sep)) return;
  let entries = s.listings.get(folder);
  if (entries === undefined) {
    entries = new Map();
    try {
      for (const e of fs.readdirSync(folder, { withFileTypes: true })) entries.set(e.name, e.isFile());
    } catch {
      // unreadable: Node resolves
    }
    s.listings.set(folder, entries);
  }
  const name = path.basename(base);
  if (entries.get(`${name}.js`) === true && !entries.has(name)) {
    pathCache[`${id}\0${dir}`] = `${base}.js`;
    s.primed++;
  }
}

/** At exit: the cache (or, the first time, the empty mark) when a module was compiled from its source. */
function save(s: State): void {
  try {
    if (s.misses === 0 && s.rejected === 0) return;
    if (!s.found) {
      cacheStore().writeCacheBytes(s.kind, s.dir, encode(new Map()));
      return;
    }
    const out = new Map<string, Entry>();
    // entries of modules this run did not load are kept while their file is there
    for (const [rel, e] of s.entries) if (!s.compiled.has(rel) && fs.existsSync(path.resolve(s.dir, rel))) out.set(rel, e);
    for (const [rel, { script, hash }] of s.compiled) out.set(rel, { hash, data: script.createCachedData() });
    cacheStore().writeCacheBytes(s.kind, s.dir, encode(out));
  } catch {
    // only ever saves work
  }
}

/** count (u32), then per module: path length (u32), path (UTF-8), sha256 (32 bytes), data length (u32), data. */
function encode(entries: Map<string, Entry>): Buffer {
  const parts: Buffer[] = [u32(entries.size)];
  for (const [rel, e] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = Buffer.from(rel, 'utf8');
    parts.push(u32(name.length), name, e.hash, u32(e.data.length), e.data);
  }
  return Buffer.concat(parts);
}

/** The entries of a cache file's bytes; none when absent or malformed. */
function decode(bytes: Buffer | undefined): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  if (bytes === undefined) return entries;
  try {
    let at = 0;
    const take = (n: number) => {
      if (n < 0 || at + n > bytes.length) throw new Error('truncated');
      const b = bytes.subarray(at, at + n);
      at += n;
      return b;
    };
    const count = take(4).readUInt32LE(0);
    for (let i = 0; i < count; i++) {
      const rel = take(take(4).readUInt32LE(0)).toString('utf8');
      const hash = take(32);
      const data = take(take(4).readUInt32LE(0));
      entries.set(rel, { hash, data });
    }
    if (at !== bytes.length) throw new Error('trailing bytes');
    return entries;
  } catch {
    return new Map();
  }
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}
