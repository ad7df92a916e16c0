/**
 * Runs Kyverno CLI test declarations (`kyverno-test.yaml`, `cli.kyverno.io/v1alpha1` `Test`) through
 * this evaluator, like `kyverno test`: one row per expected result and resource. Internal module
 * (the CLI's `kyverno-test` command).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CLUSTER_SCOPED_KINDS } from './cluster-scoped';
import { evaluatePolicy, KyvernoRuleResult, policyName } from './engine';
import { isKyvernoPolicy, LoadedPolicy, loadPolicy } from './model';
import { isObject } from './values';
import { yamlDocuments } from '../../private/yaml-read';
import { evaluateCelPolicy, isAdmissionPolicy, isAdmissionPolicyBinding, isValidatingPolicy, LoadedCelPolicy, loadCelPolicy } from '../cel/policies';

/** Bad test input (unreadable file, path outside the test root, malformed test or policy): exit code 2. */
export class KyvernoTestInputError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, KyvernoTestInputError.prototype);
    this.name = 'KyvernoTestInputError';
  }
}

/** One expected result for one resource. */
export interface KyvernoTestRow {
  /** The test file, relative to the directory given. */
  readonly file: string;
  readonly policy: string;
  readonly rule: string;
  readonly kind: string;
  readonly resource: string;
  readonly expected: string;
  /** The result of this evaluator: pass, fail, skip, error, `unsupported` or `not found` (the rule does not apply). */
  readonly got: string;
  readonly ok: boolean;
  readonly message?: string;
}

export interface KyvernoTestRun {
  readonly testFiles: string[];
  readonly rows: KyvernoTestRow[];
  readonly passed: number;
  readonly failed: number;
}

const TEST_FILE = 'kyverno-test.yaml';
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const MAX_FILE_BYTES = 64 * 1024 * 1024;

function realDir(dir: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    throw new KyvernoTestInputError(`${dir}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (!stat.isDirectory()) throw new KyvernoTestInputError(`${dir}: not a directory (give the directory holding ${TEST_FILE} files)`);
  return fs.realpathSync(dir);
}

/** Every `kyverno-test.yaml` under `root` (hidden folders such as `.kyverno-test` included), sorted. */
export function findTestFiles(root: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new KyvernoTestInputError(`${dir}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = path.join(dir, e.name);
      if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) walk(child);
      else if (e.isFile() && e.name === TEST_FILE) out.push(child);
    }
  };
  walk(root);
  return out;
}

/** Resolves a path of a test (relative to its file), refusing anything outside the root. */
function resolveInside(root: string, baseDir: string, p: unknown, what: string, file: string): string {
  if (typeof p !== 'string' || p === '') throw new KyvernoTestInputError(`${file}: ${what} must be a path, got ${JSON.stringify(p)}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) throw new KyvernoTestInputError(`${file}: ${what} ${JSON.stringify(p)}: a URL; remote files are not fetched, use a path inside ${root}`);
  const resolved = path.resolve(baseDir, p);
  let real: string;
  try {
    real = fs.realpathSync(resolved);
  } catch (e) {
    throw new KyvernoTestInputError(`${file}: ${what} ${JSON.stringify(p)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (real !== root && !real.startsWith(root + path.sep)) {
    throw new KyvernoTestInputError(`${file}: ${what} ${JSON.stringify(p)} is outside the test directory ${root}: refused`);
  }
  return real;
}

function readYamlDocs(file: string, display: string): any[] {
  const stat = fs.statSync(file);
  // checked before opening: a FIFO blocks open() and read() forever, a device (/dev/zero) never ends
  if (!stat.isFile()) throw new KyvernoTestInputError(`${display}: not a regular file (FIFOs, sockets and devices are never read)`);
  if (stat.size > MAX_FILE_BYTES) throw new KyvernoTestInputError(`${display}: too large (${stat.size} bytes)`);
  const text = fs.readFileSync(file, 'utf8');
  const out: any[] = [];
  for (const doc of yamlDocuments(text)) {
    if (doc.errors.length > 0) throw new KyvernoTestInputError(`${display}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: 100 }); // a YAML bomb (alias expansion) stops here
    } catch (e) {
      throw new KyvernoTestInputError(`${display}: invalid YAML: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function filesOf(p: string): string[] {
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs.readdirSync(p, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? filesOf(path.join(p, e.name)) : /\.(ya?ml|json)$/.test(e.name) ? [path.join(p, e.name)] : []));
}

interface Values {
  readonly global: Record<string, unknown>;
  readonly rule: Map<string, Record<string, unknown>>;
  readonly resource: Map<string, Record<string, unknown>>;
  readonly namespaces: Map<string, Record<string, string>>;
  readonly namespaceObjects: Map<string, any>;
  readonly unsupported: string[];
}

function parseValues(doc: any, display: string): Values {
  const values: Values = { global: {}, rule: new Map(), resource: new Map(), namespaces: new Map(), namespaceObjects: new Map(), unsupported: [] };
  if (doc === undefined || doc === null) return values;
  if (!isObject(doc)) throw new KyvernoTestInputError(`${display}: values must be an object`);
  if (isObject(doc.globalValues)) Object.assign(values.global, doc.globalValues);
  for (const p of Array.isArray(doc.policies) ? doc.policies : []) {
    for (const r of Array.isArray(p?.rules) ? p.rules : []) {
      if (isObject(r?.values)) values.rule.set(`${p.name}\u0000${r.name}`, r.values);
      if (r?.foreachValues !== undefined) values.unsupported.push('foreachValues in values files');
    }
    for (const r of Array.isArray(p?.resources) ? p.resources : []) {
      if (isObject(r?.values)) values.resource.set(`${p.name}\u0000${r.name}`, r.values);
    }
  }
  // CEL-era values files give whole Namespace objects (namespaceObject, namespaceSelector)
  for (const n of Array.isArray(doc.namespaces) ? doc.namespaces : []) {
    if (typeof n?.metadata?.name === 'string') {
      values.namespaceObjects.set(n.metadata.name, { ...n, apiVersion: 'v1', kind: 'Namespace' });
      if (isObject(n.metadata.labels)) values.namespaces.set(n.metadata.name, n.metadata.labels);
    }
  }
  for (const n of Array.isArray(doc.namespaceSelector) ? doc.namespaceSelector : []) {
    if (typeof n?.name === 'string' && isObject(n.labels)) values.namespaces.set(n.name, n.labels);
  }
  if (doc.subresources !== undefined) values.unsupported.push('subresources in values files');
  return values;
}

/** Like the Kyverno CLI, a namespaced resource without a namespace is in `default`. */
function inDefaultNamespace(doc: any): any {
  if (!isObject(doc) || !isObject(doc.metadata) || doc.metadata.namespace !== undefined) return doc;
  if (CLUSTER_SCOPED_KINDS.includes(String(doc.kind))) return doc;
  return { ...doc, metadata: { ...doc.metadata, namespace: 'default' } };
}

function shownPath(root: string, file: string): string {
  const rel = path.relative(root, file);
  return (rel === '' ? path.basename(file) : rel).split(path.sep).join('/');
}

function runTestFile(root: string, file: string): KyvernoTestRow[] {
  const shown = shownPath(root, file);
  const docs = readYamlDocs(file, shown);
  if (docs.length !== 1 || !isObject(docs[0])) throw new KyvernoTestInputError(`${shown}: expected one Test document`);
  const test = docs[0];
  if (test.apiVersion !== undefined && !(test.apiVersion === 'cli.kyverno.io/v1alpha1' && test.kind === 'Test')) {
    throw new KyvernoTestInputError(`${shown}: expected apiVersion cli.kyverno.io/v1alpha1, kind Test (got ${test.apiVersion} ${test.kind})`);
  }
  const base = path.dirname(file);
  for (const field of ['policies', 'resources', 'results']) {
    if (!Array.isArray(test[field]) || test[field].length === 0) throw new KyvernoTestInputError(`${shown}: ${field} must be a non-empty list`);
  }
  const unsupported: string[] = [];
  if (test.userinfo !== undefined) unsupported.push('userinfo (admission user)');
  if (test.exceptions !== undefined && (!Array.isArray(test.exceptions) || test.exceptions.length > 0)) unsupported.push('policy exceptions');
  if (test.checks !== undefined) unsupported.push('checks');

  const policies: LoadedPolicy[] = [];
  const celDocs: Array<{ doc: any; source: string }> = [];
  const bindings: any[] = [];
  for (const p of test.policies) {
    const real = resolveInside(root, base, p, 'policy', shown);
    for (const f of filesOf(real)) {
      const fshown = shownPath(root, f);
      for (const doc of readYamlDocs(f, fshown)) {
        if (isValidatingPolicy(doc) || isAdmissionPolicy(doc)) celDocs.push({ doc, source: fshown });
        if (isAdmissionPolicyBinding(doc)) bindings.push(doc);
        if (!isKyvernoPolicy(doc)) continue;
        try {
          policies.push(loadPolicy(doc, fshown));
        } catch (e) {
          throw new KyvernoTestInputError((e as Error).message);
        }
      }
    }
  }
  const celPolicies: LoadedCelPolicy[] = [];
  for (const { doc, source } of celDocs) {
    // like the Kyverno CLI, a ValidatingAdmissionPolicy without a binding applies as if bound to everything it matches
    const bound = bindings.some((b) => b?.spec?.policyName === doc?.metadata?.name) ? bindings
      : [{ metadata: { name: '' }, spec: { policyName: doc?.metadata?.name, validationActions: ['Deny'] } }];
    try {
      celPolicies.push(loadCelPolicy(doc, source, bound));
    } catch (e) {
      throw new KyvernoTestInputError((e as Error).message);
    }
  }
  const resources: any[] = [];
  for (const r of test.resources) {
    const real = resolveInside(root, base, r, 'resource', shown);
    for (const f of filesOf(real)) {
      for (const doc of readYamlDocs(f, shownPath(root, f))) {
        if (isObject(doc) && typeof doc.kind === 'string') {
          if (doc.kind === 'List' && Array.isArray(doc.items)) resources.push(...doc.items.map(inDefaultNamespace));
          else resources.push(inDefaultNamespace(doc));
        }
      }
    }
  }
  let valuesDoc: any;
  if (test.variables !== undefined) {
    const real = resolveInside(root, base, test.variables, 'variables file', shown);
    valuesDoc = readYamlDocs(real, shownPath(root, real))[0];
  } else if (test.values !== undefined) {
    valuesDoc = test.values;
  }
  const values = parseValues(valuesDoc, shown);
  unsupported.push(...values.unsupported);
  // a context file (cli.kyverno.io/v1alpha1 Context) gives the objects CEL resource lookups read
  const contextObjects: any[] = [];
  let contextImages: any[] | undefined;
  if (test.context !== undefined) {
    const real = resolveInside(root, base, test.context, 'context file', shown);
    for (const doc of readYamlDocs(real, shownPath(root, real))) {
      if (!isObject(doc) || doc.kind !== 'Context') throw new KyvernoTestInputError(`${shown}: context file ${test.context}: expected a cli.kyverno.io/v1alpha1 Context`);
      contextObjects.push(...(Array.isArray(doc.spec?.resources) ? doc.spec.resources : []));
      if (Array.isArray(doc.spec?.images)) contextImages = [...(contextImages ?? []), ...doc.spec.images];
    }
  }
  const lookup = { objects: [...resources, ...contextObjects], ...(contextImages ? { images: contextImages } : {}) };
  const namespaceObject = (ns: string): any => values.namespaceObjects.get(ns) ?? resources.find((r) => r?.kind === 'Namespace' && r?.metadata?.name === ns);
  const namespaceLabels = (ns: string): Record<string, string> | undefined => {
    const fromValues = values.namespaces.get(ns);
    if (fromValues) return fromValues;
    const obj = resources.find((r) => r?.kind === 'Namespace' && r?.metadata?.name === ns);
    return isObject(obj?.metadata?.labels) ? obj.metadata.labels : undefined;
  };

  // every resource through every policy (Kyverno's engine responses)
  const responses: Array<{ resource: any; results: KyvernoRuleResult[] }> = [];
  for (const policy of policies) {
    for (const resource of resources) {
      const name = policyName(policy);
      const resourceValues = values.resource.get(`${policy.name}\u0000${resource?.metadata?.name}`)
        ?? values.resource.get(`${name}\u0000${resource?.metadata?.name}`);
      const results = evaluatePolicy(policy, resource, {
        variables: { ...values.global, ...(resourceValues ?? {}) },
        ruleVariables: (p, r) => values.rule.get(`${p}\u0000${r}`) ?? values.rule.get(`${policy.name}\u0000${r}`),
        namespaceLabels,
        lookup,
        namespaceObject,
      });
      responses.push({ resource, results });
    }
  }
  for (const policy of celPolicies) {
    for (const resource of resources) {
      const results: KyvernoRuleResult[] = evaluateCelPolicy(policy, resource, {
        operation: String(values.global['request.operation'] ?? 'CREATE'),
        namespaceLabels,
        lookup,
        namespaceObject,
      }).map((r) => ({
        policy: r.policy,
        rule: r.rule,
        originalRule: r.policy, // a ValidatingPolicy's results carry the policy name as their rule
        status: r.status,
        message: r.failures.length > 0 ? r.failures.map((f) => `validations[${f.index}]: ${f.message}`).join('; ') : r.message,
        action: r.actions.includes('Deny') ? 'Enforce' : 'Audit',
      }));
      responses.push({ resource, results });
    }
  }

  const rows: KyvernoTestRow[] = [];
  for (const [i, row] of (test.results as any[]).entries()) {
    if (!isObject(row)) throw new KyvernoTestInputError(`${shown}: results[${i}] must be an object`);
    const expected = row.result ?? row.status;
    // rows of a ValidatingPolicy / ValidatingAdmissionPolicy name no rule (the Kyverno CLI's isValidatingPolicy rows)
    if (typeof row.policy !== 'string' || (row.rule !== undefined && typeof row.rule !== 'string') || typeof row.kind !== 'string' || typeof expected !== 'string') {
      throw new KyvernoTestInputError(`${shown}: results[${i}] needs policy, kind and result (and rule for a ClusterPolicy / Policy)`);
    }
    const expectedResult = expected.trim();
    const names: string[] = Array.isArray(row.resources) ? row.resources.map(String) : typeof row.resource === 'string' ? [row.resource] : [];
    if (names.length === 0) throw new KyvernoTestInputError(`${shown}: results[${i}] names no resources`);
    const rowUnsupported = [...unsupported];
    for (const f of ['patchedResource', 'patchedResources', 'generatedResource', 'cloneSourceResource']) {
      if (row[f] !== undefined) rowUnsupported.push(`${f} (mutate / generate rules)`);
    }
    for (const name of names) {
      const base0 = { file: shown, policy: row.policy, rule: row.rule ?? '', kind: row.kind, resource: name, expected: expectedResult };
      if (rowUnsupported.length > 0) {
        rows.push({ ...base0, got: 'unsupported', ok: false, message: `not evaluated: ${rowUnsupported.join(', ')}` });
        continue;
      }
      const matching = responses.filter(({ resource }) => resource?.kind === row.kind
        && (resource?.metadata?.name === name || `${resource?.metadata?.namespace ?? ''}/${resource?.metadata?.name}` === name)
        && (row.namespace === undefined || resource?.metadata?.namespace === row.namespace));
      const ruleResults = matching.flatMap(({ results }) => results.filter((r) => r.policy === row.policy
        && (row.rule === undefined || r.rule === row.rule || r.rule === `autogen-${row.rule}` || r.rule === `autogen-cronjob-${row.rule}`
          || (r.originalRule === r.policy && row.rule === r.policy))));
      if (ruleResults.length === 0) {
        rows.push({ ...base0, got: 'not found', ok: false, message: 'no result: the policy, rule or resource is not in the test, or the rule does not apply to the resource' });
        continue;
      }
      for (const r of ruleResults) rows.push({ ...base0, got: r.status, ok: r.status === expectedResult, message: r.message });
    }
  }
  return rows;
}

/**
 * Runs every `kyverno-test.yaml` under `dir`.
 *
 * @throws KyvernoTestInputError on unreadable or malformed input, or a path leaving `dir`
 */
export function runKyvernoTests(dir: string): KyvernoTestRun {
  const root = realDir(dir);
  const files = findTestFiles(root);
  if (files.length === 0) throw new KyvernoTestInputError(`${dir}: no ${TEST_FILE} found`);
  const rows = files.flatMap((f) => runTestFile(root, f));
  const passed = rows.filter((r) => r.ok).length;
  return { testFiles: files.map((f) => shownPath(root, f)), rows, passed, failed: rows.length - passed };
}
