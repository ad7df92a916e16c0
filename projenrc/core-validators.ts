/**
 * Generates schemas/core-validators.js: the official Kubernetes OpenAPI validators of the core
 * kinds (Pod, StatefulSet, Service, ...) in one CommonJS file, taken from `kubernetes-models`
 * (a devDependency).
 *
 * kubernetes-models ships no raw OpenAPI definitions, only ajv "standalone" code: one precompiled
 * validate function per definition, 1,700 files in all plus a class per kind and several
 * dependencies (4,500 files, 9 MB). The library needs only the validators of the top-level kinds
 * (not their `*List` kinds) and what they reference: those modules are copied byte for byte into
 * one file with a small module table, and the two runtime imports they have are replaced:
 * `@kubernetes-models/validate` by the formats they use (the same definitions, on the bundled
 * `ajv-formats`), and the apimachinery schemas by their copies.
 *
 * Run with `npx projen core-validators`; test/validation/core-validators.test.ts fails when the
 * committed file differs from a fresh generation.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
export const CORE_VALIDATORS_FILE = path.join(ROOT, 'schemas', 'core-validators.js');

/** The formats the precompiled validators read from `@kubernetes-models/validate`. */
const FORMATS_PRELUDE = `const ajvFormats = require("ajv-formats/dist/formats").fullFormats;
// @kubernetes-models/validate's definitions: byte and quantity are its own, the others ajv-formats'
const rBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const rQuantity = /^[+-]?(?:\\d+|\\d+\\.\\d+|\\d+\\.|\\.\\d+)(?:[KMGTPE]i|(?:[YZEPTGMkhdcmunpfazy]|da)|[eE][+-]?(?:\\d+|\\d+\\.\\d+|\\d+\\.|\\.\\d+))?$/;
const formats = {
  "int32": ajvFormats.int32,
  "int64": ajvFormats.int64,
  "double": ajvFormats.double,
  "date-time": ajvFormats["date-time"],
  "byte": { type: "string", validate: (value) => rBase64.test(value) },
  "quantity": { type: "string", validate: rQuantity },
};`;

/** Generates the file's content (deterministic). */
export function generateCoreValidators(): string {
  const modelsDir = path.dirname(require.resolve('kubernetes-models/package.json'));
  const machineryDir = path.dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));
  const version = JSON.parse(fs.readFileSync(path.join(modelsDir, 'package.json'), 'utf8')).version;
  const modules = new Map<string, string>();
  const usedFormats = new Set<string>();

  const idOf = (file: string): string => {
    if (file.startsWith(path.join(modelsDir, '_schemas') + path.sep)) return path.basename(file, '.js');
    if (file.startsWith(path.join(machineryDir, '_schemas') + path.sep)) return path.basename(file, '.js');
    throw new Error(`unexpected module ${file}`);
  };
  const visit = (file: string): string => {
    const id = idOf(file);
    if (modules.has(id)) return id;
    modules.set(id, '');
    const source = fs.readFileSync(file, 'utf8');
    const rewritten = source.replace(/require\("([^"]+)"\)/g, (_m, request: string) => {
      if (request === '@kubernetes-models/validate') return '__validate';
      let target: string;
      if (request.startsWith('.')) target = path.resolve(path.dirname(file), request);
      else if (request.startsWith('@kubernetes-models/apimachinery/_schemas/')) target = path.join(machineryDir, request.slice('@kubernetes-models/apimachinery/'.length));
      else throw new Error(`${file}: unexpected require("${request}")`);
      if (!target.endsWith('.js')) target += '.js';
      return `__require(${JSON.stringify(visit(target))})`;
    });
    for (const m of rewritten.matchAll(/_validate\.formats(?:\.([A-Za-z0-9_]+)|\["([^"]+)"\])/g)) usedFormats.add(m[1] ?? m[2]);
    modules.set(id, rewritten);
    return id;
  };

  // top-level kinds: every class with a static apiVersion and kind, found by walking the package
  const kinds: Array<[string, string]> = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('_') && entry.name !== 'node_modules') walk(full);
        continue;
      }
      if (!/^[A-Z][A-Za-z0-9]*\.js$/.test(entry.name) || entry.name.endsWith('List.js')) continue;
      const kind = entry.name.slice(0, -3);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(full);
      const cls = mod?.[kind];
      if (!cls || typeof cls.apiVersion !== 'string' || cls.kind !== kind) continue;
      const schemaName = Object.keys(mod).find((k) => k.startsWith('IoK8s') && mod[k] === cls);
      if (!schemaName) continue;
      kinds.push([`${cls.apiVersion}\u0000${kind}`, visit(path.join(modelsDir, '_schemas', `${schemaName}.js`))]);
    }
  };
  walk(modelsDir);
  const objectMeta = visit(path.join(machineryDir, '_schemas', 'IoK8sApimachineryPkgApisMetaV1ObjectMeta.js'));

  const known = ['int32', 'int64', 'double', 'date-time', 'byte', 'quantity'];
  const missing = [...usedFormats].filter((f) => !known.includes(f));
  if (missing.length > 0) throw new Error(`formats not provided: ${missing.join(', ')}`);

  const lines: string[] = [];
  lines.push(`// Generated by \`npx projen core-validators\` from kubernetes-models ${version}: do not edit.`);
  lines.push('// The official Kubernetes OpenAPI validators (ajv standalone code) of the core kinds; see projenrc/core-validators.ts.');
  lines.push('"use strict";');
  lines.push(FORMATS_PRELUDE);
  lines.push('const __validate = { formats };');
  lines.push('const __modules = {');
  for (const id of [...modules.keys()].sort()) {
    lines.push(`${JSON.stringify(id)}: function (exports, __require) {\n${modules.get(id)!.trim()}\n},`);
  }
  lines.push('};');
  lines.push('const __cache = {};');
  lines.push('function __require(id) {');
  lines.push('  let exports = __cache[id];');
  lines.push('  if (exports === undefined) { exports = __cache[id] = {}; __modules[id](exports, __require); }');
  lines.push('  return exports;');
  lines.push('}');
  lines.push('const kinds = {');
  for (const [key, id] of kinds.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    lines.push(`${JSON.stringify(key)}: ${JSON.stringify(id)},`);
  }
  lines.push('};');
  lines.push('/** The validate function of a top-level kind, or undefined. */');
  lines.push('exports.findValidator = function (apiVersion, kind) {');
  lines.push('  const id = Object.prototype.hasOwnProperty.call(kinds, apiVersion + "\\u0000" + kind) ? kinds[apiVersion + "\\u0000" + kind] : undefined;');
  lines.push('  return id === undefined ? undefined : __require(id).validate;');
  lines.push('};');
  lines.push(`exports.objectMetaValidator = function () { return __require(${JSON.stringify(objectMeta)}).validate; };`);
  lines.push(`exports.source = ${JSON.stringify(`kubernetes-models ${version}`)};`);
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  const content = generateCoreValidators();
  fs.mkdirSync(path.dirname(CORE_VALIDATORS_FILE), { recursive: true });
  fs.writeFileSync(CORE_VALIDATORS_FILE, content);
  console.log(`wrote ${path.relative(ROOT, CORE_VALIDATORS_FILE)} (${(content.length / 1024).toFixed(0)} KiB)`);
}
