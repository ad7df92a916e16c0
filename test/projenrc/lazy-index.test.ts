import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { LAZY_INDEX_MARKER, lazyIndex } from '../../projenrc/lazy-index';
import { readTree, tmpdir } from '../util/tmp';

/**
 * projenrc/lazy-index.ts on a tree compiled the way jsii compiles src/ (CommonJS, `export *` chains
 * of index files): classes, functions, constants, an enum, a namespace, a class extending one of
 * another module, a module of types only, and modules whose loading is observable.
 */
const SOURCES: Record<string, string> = {
  'index.ts': [
    "export * from './a';",
    "export * from './b';",
    "export { Ns } from './ns';",
    "export * from './types-only';",
  ].join('\n'),
  'a/index.ts': "export * from './a1';\nexport * from './a2';\n",
  'a/a1.ts': [
    "(globalThis as any).loaded = [...((globalThis as any).loaded ?? []), 'a1'];",
    'export class A1 { public readonly x = 1; }',
    'export function f1(): number { return 1; }',
    'export const C1 = { x: 1 };',
  ].join('\n'),
  'a/a2.ts': [
    "import { A1 } from './a1';",
    "(globalThis as any).loaded = [...((globalThis as any).loaded ?? []), 'a2'];",
    "export enum E2 { X = 'x', Y = 'y' }",
    'export class A2 extends A1 {}',
  ].join('\n'),
  'b.ts': [
    "(globalThis as any).loaded = [...((globalThis as any).loaded ?? []), 'b'];",
    'export class B { public static make(): B { return new B(); } }',
  ].join('\n'),
  'ns.ts': 'export namespace Ns { export const v = 1; export function w(): number { return 2; } }\n',
  'types-only.ts': 'export interface T { readonly a: string }\nexport type U = string;\n',
};

/** Writes `sources` compiled to CommonJS JavaScript into a fresh folder. */
function compiled(sources: Record<string, string>): string {
  const dir = tmpdir('lazy-index-');
  for (const [file, text] of Object.entries(sources)) {
    const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 };
    const js = ts.transpileModule(text, { compilerOptions, fileName: file }).outputText;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), js);
  }
  return dir;
}

/** Runs a CommonJS (or ESM) script in a fresh node process; its stdout as JSON. */
function run(script: string, esm = false): any {
  const child = spawnSync(process.execPath, [...(esm ? ['--input-type=module'] : []), '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout);
}

describe('lazy index (projenrc/lazy-index.ts)', () => {
  const dir = compiled(SOURCES);
  const eagerText = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
  fs.writeFileSync(path.join(dir, 'eager.js'), eagerText);
  const eagerNames: string[] = run(`process.stdout.write(JSON.stringify(Object.keys(require(${JSON.stringify(path.join(dir, 'eager.js'))}))))`);
  const result = lazyIndex(dir);
  const index = JSON.stringify(path.join(dir, 'index.js'));

  test('defines the names of the eager index, in its order, and maps each to the module declaring it', () => {
    expect([...eagerNames].sort()).toEqual(['A1', 'A2', 'B', 'C1', 'E2', 'Ns', 'f1']);
    expect(result).toEqual({ names: eagerNames, modules: ['ns', 'a/a1', 'a/a2', 'b'], unchanged: false });
    const text = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
    expect(text.startsWith(LAZY_INDEX_MARKER)).toBe(true);
    expect(text).toContain('lazy("A2", () => require("./a/a2"));');
    expect(text).not.toContain('__exportStar');
    // no temporary file left beside it
    expect(fs.readdirSync(dir).sort()).toEqual(['a', 'b.js', 'eager.js', 'index.js', 'ns.js', 'types-only.js']);
  });

  test('loads nothing until a name is read, then only the module declaring it (and what that module needs)', () => {
    const out = run(`
      const index = require(${index});
      const steps = [[...(globalThis.loaded ?? [])]];
      Object.keys(index); steps.push([...(globalThis.loaded ?? [])]);
      index.B.make(); steps.push([...globalThis.loaded]);
      index.A2; steps.push([...globalThis.loaded]);
      process.stdout.write(JSON.stringify(steps));`);
    expect(out).toEqual([[], [], ['b'], ['b', 'a1', 'a2']]);
  });

  test('gives the values the eager index and the modules themselves give (classes, instanceof, enum, namespace)', () => {
    const out = run(`
      const lazy = require(${index});
      const eager = require(${JSON.stringify(path.join(dir, 'eager.js'))});
      const a1 = require(${JSON.stringify(path.join(dir, 'a', 'a1.js'))});
      const same = Object.keys(eager).filter((n) => lazy[n] === eager[n]);
      const d = Object.getOwnPropertyDescriptor(lazy, 'A1');
      process.stdout.write(JSON.stringify({
        same, keys: Object.keys(lazy), instance: new lazy.A2() instanceof a1.A1, e: lazy.E2.Y, ns: lazy.Ns.w(),
        afterRead: { value: typeof d.value, enumerable: d.enumerable, writable: d.writable },
        esModule: lazy.__esModule, types: 'T' in lazy,
      }));`);
    expect(out).toEqual({
      same: eagerNames,
      keys: eagerNames,
      instance: true,
      e: 'y',
      ns: 2,
      afterRead: { value: 'function', enumerable: true, writable: false },
      esModule: true,
      types: false,
    });
  });

  test('gives the names to an ESM import (cjs-module-lexer) and to a CommonJS re-export', () => {
    const url = JSON.stringify(`file://${path.join(dir, 'index.js')}`);
    expect(run(`import { A1, E2, Ns, B } from ${url}; process.stdout.write(JSON.stringify([new A1().x, E2.X, Ns.v, typeof B.make]));`, true))
      .toEqual([1, 'x', 1, 'function']);
    const reexport = path.join(dir, 'reexport.js');
    fs.writeFileSync(reexport, ts.transpileModule('export * from \'./index\';', { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText);
    expect(run(`const r = require(${JSON.stringify(reexport)}); process.stdout.write(JSON.stringify([Object.keys(r), typeof r.A2, (globalThis.loaded ?? []).length]));`))
      .toEqual([eagerNames, 'function', 2]);
  });

  test('a tree with the code cache installs it first thing, for its own folder; one without has no such line', () => {
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).not.toContain('code-cache');
    const withCache = compiled({
      ...SOURCES,
      'private/code-cache.ts': 'export function installCodeCache(dir: string): void { (globalThis as any).installed = [dir, [...((globalThis as any).loaded ?? [])]]; }\n',
    });
    expect(lazyIndex(withCache).modules).toEqual(result.modules);
    const text = fs.readFileSync(path.join(withCache, 'index.js'), 'utf8');
    expect(text.indexOf('require("./private/code-cache").installCodeCache(__dirname);')).toBeLessThan(text.indexOf('lazy("'));
    const out = run(`const index = require(${JSON.stringify(path.join(withCache, 'index.js'))}); const before = globalThis.installed; index.B;
      process.stdout.write(JSON.stringify({ before, loaded: globalThis.loaded }));`);
    expect(out).toEqual({ before: [withCache, []], loaded: ['b'] });
    expect(lazyIndex(withCache)).toMatchObject({ unchanged: true, modules: result.modules });
  });

  test('a second run leaves the lazy index as it is', () => {
    const before = readTree(dir);
    expect(lazyIndex(dir)).toEqual({ ...result, unchanged: true });
    expect(readTree(dir)).toEqual(before);
  });

  test('a name no module declares (a renamed re-export) fails the build and leaves the eager index', () => {
    const bad = compiled({ ...SOURCES, 'index.ts': `${SOURCES['index.ts']}\nexport { B as Renamed } from './b';\n` });
    const before = readTree(bad);
    expect(() => lazyIndex(bad)).toThrow(/cannot map every name to the module declaring it:\n {2}Renamed: no module declares it/);
    expect(readTree(bad)).toEqual(before);
  });

  test('a name declared in the index itself fails the build', () => {
    const bad = compiled({ ...SOURCES, 'index.ts': `${SOURCES['index.ts']}\nexport const own = 1;\n` });
    expect(() => lazyIndex(bad)).toThrow(/own: no module declares it \(is it declared in the index itself\?\)/);
  });
});
