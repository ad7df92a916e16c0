import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildJs, childEnv } from '../robustness/build-js';
import { tmpdir } from '../util/tmp';

/**
 * The library's V8 code cache (src/private/code-cache.ts), in real node processes (jest compiles
 * modules its own way, never through `Module.prototype._compile`): the library's folder is the
 * transpiled src/ plus fixture modules; each run is a fresh process with its own state folder.
 */
let build: string;
let lib: string;

beforeAll(() => {
  build = buildJs([]);
  lib = path.join(build, 'src');
}, 120_000);

/** A fixture module under the library's folder: the features of a CommonJS module, observable. */
const FIXTURE = [
  "'use strict';",
  "const helper = require('./helper');",
  'exports.value = () => VALUE;',
  'exports.report = () => ({',
  '  helper: helper.twice(21),',
  '  thisIsExports: THIS_IS_EXPORTS,',
  '  dirname: __dirname,',
  '  filename: __filename,',
  "  resolved: require.resolve('./helper'),",
  "  paths: Array.isArray(require.resolve.paths('x')),",
  '  main: require.main === process.mainModule,',
  '  cache: require.cache === require("module")._cache,',
  '  moduleId: module.id === __filename,',
  '});',
  'const THIS_IS_EXPORTS = this === exports;',
  'const VALUE = 1;',
  '',
].join('\n');

interface RunResult {
  readonly value?: number;
  readonly report?: any;
  readonly stats: { dir?: string; inert?: string; hits: number; misses: number; rejected: number; shortcuts: number; primed: number };
  readonly error?: string;
  readonly outside?: number;
  readonly extra?: any;
}

/** One process: installs the cache for the library's folder, loads the fixture and a module outside it. */
interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: string[];
  /** Code run before the cache is installed, and between its installation and the fixture's require. */
  readonly before?: string;
  readonly between?: string;
  readonly fixture?: string;
  /** An expression whose value the run returns as `extra`. */
  readonly extra?: string;
}

function run(state: string, options: RunOptions = {}): RunResult {
  const script = [
    options.before ?? '',
    `const cc = require(${JSON.stringify(path.join(lib, 'private', 'code-cache'))});`,
    `cc.installCodeCache(${JSON.stringify(lib)});`,
    options.between ?? '',
    'const out = {};',
    `try { const m = require(${JSON.stringify(path.join(lib, 'fixture', options.fixture ?? 'a'))}); out.value = m.value(); out.report = m.report(); }`,
    'catch (e) { out.error = String(e && e.stack); }',
    `out.outside = require(${JSON.stringify(path.join(build, 'outside.js'))}).n;`,
    'out.stats = cc.codeCacheStats();',
    options.extra ? `out.extra = (${options.extra});` : '',
    'process.stdout.write(JSON.stringify(out));',
  ].join('\n');
  const child = spawnSync(process.execPath, [...(options.args ?? []), '-e', script], {
    encoding: 'utf8',
    env: { ...childEnv(), CDK8S_STATEFUL_CACHE: '', NODE_V8_COVERAGE: '', NODE_OPTIONS: '', ...options.env, CDK8S_STATEFUL_STATE_DIR: state },
  });
  if (child.status !== 0) throw new Error(`exit ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

/** The code cache files of a state folder. */
function cacheFiles(state: string): string[] {
  const dir = path.join(state, 'cache');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('code-') && f.endsWith('.bin')).map((f) => path.join(dir, f)) : [];
}

function writeFixtures(value = 1): void {
  fs.mkdirSync(path.join(lib, 'fixture'), { recursive: true });
  fs.writeFileSync(path.join(lib, 'fixture', 'a.js'), FIXTURE.replace('const VALUE = 1;', `const VALUE = ${value};`));
  fs.writeFileSync(path.join(lib, 'fixture', 'helper.js'), "'use strict';\nexports.twice = (n) => n * 2;\n");
  fs.writeFileSync(path.join(lib, 'fixture', 'throws.js'), "'use strict';\nrequire('./helper');\nthrow new Error('thrown while loading');\n");
  fs.writeFileSync(path.join(build, 'outside.js'), 'exports.n = 7;\n');
  // relative requires of modules already loaded, from another folder, with an extension, in a cycle
  fs.mkdirSync(path.join(lib, 'fixture', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(lib, 'fixture', 'shared.js'), [
    "'use strict';",
    "const helper = require('./helper');",
    "const user = require('./sub/user');",
    "const circular = require('./circ-a');",
    'exports.value = () => 1;',
    'exports.report = () => ({',
    '  same: user.helper === helper && user.again === helper,',
    '  children: user.children,',
    "  sharedChildren: module.children.map((c) => require('path').relative(__dirname, c.id)),",
    '  circular: circular.seen,',
    "  withExtension: require('./helper.js') === helper,",
    "  loaded: require('./sub/user') === user,",
    "  both: require('./both').which,",
    "  folder: require('./folder').which,",
    '});',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(lib, 'fixture', 'sub', 'user.js'), [
    "'use strict';",
    "exports.helper = require('../helper');",
    "exports.again = require('../../fixture/helper');",
    "exports.children = module.children.map((c) => require('path').relative(__dirname, c.id));",
    '',
  ].join('\n'));
  // Node tries the name as given before adding `.js`, and a folder's index.js when there is no `.js`
  fs.writeFileSync(path.join(lib, 'fixture', 'both'), "exports.which = 'the file without extension';\n");
  fs.writeFileSync(path.join(lib, 'fixture', 'both.js'), "exports.which = 'both.js';\n");
  fs.mkdirSync(path.join(lib, 'fixture', 'folder'), { recursive: true });
  fs.writeFileSync(path.join(lib, 'fixture', 'folder', 'index.js'), "exports.which = 'folder/index.js';\n");
  fs.writeFileSync(path.join(lib, 'fixture', 'circ-a.js'), "'use strict';\nexports.early = 'a, still loading';\nexports.seen = require('./circ-b').sawA;\n");
  fs.writeFileSync(path.join(lib, 'fixture', 'circ-b.js'), "'use strict';\nexports.sawA = require('./circ-a').early;\n");
}

describe('code cache of the library\'s modules', () => {
  beforeEach(() => writeFixtures());

  test('the first run writes a mark, the second the cache, the third compiles from it: same modules, same results', () => {
    const state = tmpdir('code-cache-state-');
    const first = run(state);
    expect(first.stats).toMatchObject({ dir: lib, hits: 0, rejected: 0 });
    expect(first.stats.misses).toBeGreaterThanOrEqual(2); // the fixture and its helper (and the cache's own imports)
    const [file] = cacheFiles(state);
    expect(fs.statSync(file).size).toBeLessThan(1024); // a mark only
    const second = run(state);
    expect(second.stats).toMatchObject({ hits: 0, misses: first.stats.misses });
    expect(fs.statSync(file).size).toBeGreaterThan(1024);
    const third = run(state);
    expect(third.stats).toMatchObject({ hits: first.stats.misses, misses: 0, rejected: 0 });
    for (const r of [first, second, third]) {
      expect(r.error).toBeUndefined();
      expect(r.value).toBe(1);
      expect(r.outside).toBe(7);
      expect(r.report).toEqual({
        helper: 42,
        thisIsExports: true,
        dirname: path.join(lib, 'fixture'),
        filename: path.join(lib, 'fixture', 'a.js'),
        resolved: path.join(lib, 'fixture', 'helper.js'),
        paths: true,
        main: true,
        cache: true,
        moduleId: true,
      });
    }
    // a run that compiled everything from the cache writes nothing
    const mtime = fs.statSync(file).mtimeMs;
    run(state);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(cacheFiles(state)).toEqual([file]);
  });

  test('a module whose source changed (same length) is compiled from its new source, the others from the cache', () => {
    const state = tmpdir('code-cache-state-');
    run(state);
    run(state);
    writeFixtures(2); // `VALUE = 2`: the same length, which is all V8 itself checks
    const changed = run(state);
    expect(changed.value).toBe(2);
    expect(changed.stats.misses).toBe(1);
    expect(changed.stats.hits).toBeGreaterThan(0);
    const again = run(state);
    expect(again.value).toBe(2);
    expect(again.stats).toMatchObject({ misses: 0, rejected: 0 });
  });

  test('an altered or truncated cache file is not read', () => {
    const state = tmpdir('code-cache-state-');
    run(state);
    run(state);
    const [file] = cacheFiles(state);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 100] = 255 - bytes[bytes.length - 100]; // inside the compiled code of a module
    fs.writeFileSync(file, bytes);
    const altered = run(state);
    expect(altered.stats.hits).toBe(0);
    expect(altered.value).toBe(1);
    expect(altered.report.helper).toBe(42);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    const truncated = run(state);
    expect(truncated.stats.hits).toBe(0);
    expect(truncated.value).toBe(1);
  });

  test('an error thrown while a module loads reaches its requirer as without the cache', () => {
    const state = tmpdir('code-cache-state-');
    for (let i = 0; i < 3; i++) {
      const r = run(state, { fixture: 'throws' });
      expect(r.error).toContain('thrown while loading');
      expect(r.error).toContain(path.join(lib, 'fixture', 'throws.js'));
    }
  });

  test.each([
    ['CDK8S_STATEFUL_CACHE=off', { env: { CDK8S_STATEFUL_CACHE: 'off' } }, /off/],
    ['coverage', { env: { NODE_V8_COVERAGE: '' } as NodeJS.ProcessEnv, coverage: true }, /coverage/],
    ['source maps', { args: ['--enable-source-maps'] }, /source maps/],
    ['a hook on Module.prototype._compile', {
      before: "const M = require('module'); const c = M.prototype._compile; M.prototype._compile = function (...a) { return c.apply(this, a); };",
    }, /hooked/],
  ])('inert with %s: Node compiles, nothing is written', (_name, options: any, reason) => {
    const state = tmpdir('code-cache-state-');
    const env = options.coverage ? { NODE_V8_COVERAGE: tmpdir('code-cache-coverage-') } : options.env;
    for (let i = 0; i < 2; i++) {
      const r = run(state, { ...options, env });
      expect(r.stats.inert).toMatch(reason);
      expect(r.stats.hits + r.stats.misses).toBe(0);
      expect(r.value).toBe(1);
    }
    expect(cacheFiles(state)).toEqual([]);
  });

  test('a relative require of a module already loaded: its exports, recorded as a child, as Node gives them', () => {
    const expected = {
      same: true,
      children: ['../helper.js'],
      sharedChildren: ['helper.js', 'sub/user.js', 'circ-a.js'],
      circular: 'a, still loading',
      withExtension: true,
      loaded: true,
      both: 'the file without extension',
      folder: 'folder/index.js',
    };
    // Node alone (the cache off) gives the same
    expect(run(tmpdir('code-cache-state-'), { fixture: 'shared', env: { CDK8S_STATEFUL_CACHE: 'off' } }).report).toEqual(expected);
    const state = tmpdir('code-cache-state-');
    for (let i = 0; i < 3; i++) {
      const r = run(state, { fixture: 'shared' });
      expect(r.error).toBeUndefined();
      expect(r.report).toEqual(expected);
      // sub/user's '../../fixture/helper' and shared's './sub/user' (a circular require and a
      // request with its extension go through Node)
      expect(r.stats.shortcuts).toBeGreaterThanOrEqual(2);
      // first loads resolved ahead for Node: './helper', './sub/user', './circ-a', './circ-b' (not
      // './both', './folder': Node's answer is not <request>.js)
      expect(r.stats.primed).toBeGreaterThanOrEqual(4);
    }
  });

  test.each([
    ['Module._load', "const M = require('module'); const l = M._load; M._load = function (r, ...a) { globalThis.loads.push(r); return l.call(this, r, ...a); };"],
    ['Module.prototype.require', "const M = require('module'); const q = M.prototype.require; M.prototype.require = function (r) { globalThis.loads.push(r); return q.call(this, r); };"],
  ])('a hook on %s, installed before the library or after it, sees every require: no shortcut', (_name, hook) => {
    const state = tmpdir('code-cache-state-');
    const extra = 'globalThis.loads.filter((x) => x.endsWith("helper")).length';
    for (let i = 0; i < 3; i++) {
      for (const r of [
        run(state, { fixture: 'shared', before: `globalThis.loads = []; ${hook}`, extra }),
        run(state, { fixture: 'shared', before: 'globalThis.loads = [];', between: hook, extra }),
      ]) {
        expect(r.stats.shortcuts).toBe(0);
        expect(r.extra).toBe(3); // shared's './helper', sub/user's two
        expect(r.report.same).toBe(true);
      }
    }
    // without the hook, the same requires take the shortcut
    expect(run(state, { fixture: 'shared', before: 'globalThis.loads = [];', extra }).extra).toBe(0);
  });

  test('the Kubernetes L1 classes of cdk8s-plus-28, wherever installed, go through the cache; other packages\' files do not', () => {
    // fixtures in the places Node finds packages: the L1 classes' file (its name is all that is
    // matched), another file of the same package, a file of another package
    const modules = path.join(build, 'node_modules');
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(modules, rel)), { recursive: true });
      fs.writeFileSync(path.join(modules, rel), text);
    };
    write('cdk8s-plus-28/lib/imports/k8s.js', "'use strict';\nexports.KubeThing = class KubeThing { static kind() { return 'Thing'; } };\n");
    write('cdk8s-plus-28/lib/index.js', "'use strict';\nexports.n = 1;\n");
    write('other/lib/imports/k8s.js', "'use strict';\nexports.n = 2;\n");
    const between = 'globalThis.dep = ' + [
      `require(${JSON.stringify(path.join(modules, 'cdk8s-plus-28/lib/imports/k8s.js'))}).KubeThing.kind()`,
      `require(${JSON.stringify(path.join(modules, 'cdk8s-plus-28/lib/index.js'))}).n`,
      `require(${JSON.stringify(path.join(modules, 'other/lib/imports/k8s.js'))}).n`,
    ].join(' + ') + ';';
    const options = { between, extra: 'globalThis.dep' };
    const state = tmpdir('code-cache-state-');
    const library = run(state).stats.misses; // the library's modules alone
    const first = run(state, options);
    expect(first.extra).toBe('Thing12');
    expect(first.stats.hits).toBe(0); // the mark only so far
    expect(first.stats.misses).toBe(library + 1);
    const second = run(state, options);
    expect(second.stats).toMatchObject({ hits: library + 1, misses: 0, rejected: 0 });
    expect(second.extra).toBe('Thing12');
    // the file changed: compiled from its new source
    write('cdk8s-plus-28/lib/imports/k8s.js', "'use strict';\nexports.KubeThing = class KubeThing { static kind() { return 'Other'; } };\n");
    const changed = run(state, options);
    expect(changed.extra).toBe('Other12');
    expect(changed.stats).toMatchObject({ hits: library, misses: 1 });
  });

  test('a state folder other users can write is not used', () => {
    const state = tmpdir('code-cache-state-');
    fs.chmodSync(state, 0o777);
    for (let i = 0; i < 3; i++) {
      const r = run(state);
      expect(r.stats.hits).toBe(0);
      expect(r.value).toBe(1);
    }
    expect(cacheFiles(state)).toEqual([]);
  });
});
