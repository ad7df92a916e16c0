/**
 * The oracle of the property tests: a random case either renders objects that are schema-valid
 * (strict: unknown fields rejected) and clean under `pod-security-restricted`, or it throws our
 * `ValidationError` naming the construct path (or the value object) and the property. Anything
 * else (a TypeError, a cdk8s error, an invalid manifest, a Pod Security finding) fails the case,
 * and fast-check shrinks it to a minimal counterexample.
 */
import * as path from 'path';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { GitOpsApp, GitOpsAppProps, PolicyPacks, RenderedOutput } from '../../src';
import { ValidationError } from '../../src/errors';
import { evaluatePacks } from '../../src/policy/engine';
import { Severity } from '../../src/policy/severity';
import { sharedValidator } from '../util/crds';

/** Random cases per property (CI runs the default; `ROBUSTNESS_RUNS` scales it locally). */
export const RUNS = Number(process.env.ROBUSTNESS_RUNS ?? 1000);

/** fast-check parameters: `ROBUSTNESS_SEED` replays a failure reported by a CI run. */
export function params<T>(extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  const seed = process.env.ROBUSTNESS_SEED;
  return { numRuns: RUNS, ...(seed !== undefined ? { seed: Number(seed) } : {}), ...extra };
}

/** An output directory that is never written (cases only render). */
export const NO_OUTDIR = path.join(__dirname, '.never-written');

/**
 * Value objects whose ValidationErrors name a description instead of a construct path (they are
 * not constructs): `Environment "prod"`, `StorageProfile "fast"`, `SecretSource.externalSecret`...
 */
const VALUE_OBJECT = /^(Environment|StorageProfile|SecretSource|SecretBackend|DatabaseEngine|QueueEngine|DatabaseClient|PlatformOperator)\b/;

export type Outcome = { readonly kind: 'rendered'; readonly objects: number } | { readonly kind: 'rejected'; readonly code: string; readonly property?: string };

/** Counts outcomes, so that a generator that only ever produces rejections (a test that cannot fail) is noticed. */
export class Tally {
  public readonly counts = new Map<string, number>();
  public add(o: Outcome): void {
    const key = o.kind === 'rendered' ? 'rendered' : `rejected:${o.code}${process.env.ROBUSTNESS_VERBOSE === '2' ? `:${o.property}` : ''}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  public get rendered(): number {
    return this.counts.get('rendered') ?? 0;
  }
  public get rejected(): number {
    return [...this.counts.entries()].filter(([k]) => k.startsWith('rejected:')).reduce((n, [, v]) => n + v, 0);
  }
  /** Both outcomes must be common: at least `min` of the runs each. */
  public expectMix(min = 0.03): void {
    const total = this.rendered + this.rejected;
    if (this.rendered < total * min || this.rejected < total * min) {
      throw new Error(`generator imbalance: ${JSON.stringify(Object.fromEntries(this.counts))}`);
    }
  }
  public toString(): string {
    return JSON.stringify(Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))));
  }
}

/**
 * Throws unless `e` is our ValidationError whose message names a path (a construct of `app`, its
 * parent-to-be, the app root, or a value object) and the property.
 */
export function expectValidationError(e: unknown, app?: GitOpsApp): ValidationError {
  if (!(e instanceof ValidationError)) {
    const err = e as Error;
    throw new Error(`expected a ValidationError, got ${err?.constructor?.name ?? typeof e}: ${err?.message ?? String(e)}\n${err?.stack ?? ''}`);
  }
  if (!e.property || !e.path) throw new Error(`ValidationError without path or property: ${e.message}`);
  if (!e.message.includes(e.path) || !e.message.includes(e.property)) {
    throw new Error(`ValidationError message does not name its path and property: ${e.message}`);
  }
  if (e.path !== '/' && !VALUE_OBJECT.test(e.path)) {
    const known = new Set(app ? app.node.findAll().map((c) => c.node.path) : []);
    const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '';
    if (app && !known.has(e.path) && !known.has(parent) && parent !== '') {
      throw new Error(`ValidationError path ${JSON.stringify(e.path)} is neither a construct path nor a value object: ${e.message}`);
    }
  }
  if (e.path === '/' && e.code === 'CONSTRUCT_VALIDATION' && !/\[[^\]]+\] /.test(e.message)) {
    throw new Error(`a tree validation error must name the construct of each problem: ${e.message}`);
  }
  return e;
}

const PSS = PolicyPacks.podSecurityRestricted();

/** Schema issues of every object (and of every YAML wiring file) of a rendered output. */
export function problemsOf(output: RenderedOutput, options: { files?: boolean } = {}): string[] {
  const validator = sharedValidator();
  const problems: string[] = [];
  for (const o of output.objects) {
    for (const issue of validator.validate(o.manifest)) problems.push(`${o.file}: ${issue.path || '/'}: ${issue.message}`);
  }
  if (options.files) {
    const objectFiles = new Set(output.objects.map((o) => o.file));
    for (const f of output.files) {
      if (objectFiles.has(f.path) || !/\.ya?ml$/.test(f.path)) continue;
      for (const doc of parseAllDocuments(f.content)) {
        if (doc.errors.length > 0) {
          problems.push(`${f.path}: invalid YAML: ${doc.errors[0].message}`);
          continue;
        }
        const manifest = doc.toJS();
        // kustomize's own files are not Kubernetes objects and have no schema
        if (!manifest || manifest.apiVersion?.startsWith('kustomize.config.k8s.io/')) continue;
        for (const issue of validator.validate(manifest)) problems.push(`${f.path}: ${issue.path || '/'}: ${issue.message}`);
      }
    }
  }
  const findings = evaluatePacks([PSS], output.objects.map((o) => ({ manifest: o.manifest, file: o.file })))
    .findings.filter((f) => f.severity === Severity.ERROR && !f.suppressed);
  for (const f of findings) problems.push(`${f.file}: ${f.ruleId}: ${f.message}`);
  return problems;
}

/**
 * Builds a case into a fresh GitOpsApp and renders it: returns the outcome, or throws with what
 * is wrong (for fast-check to shrink).
 */
export function checkCase(
  build: (app: GitOpsApp) => void,
  options: { app?: GitOpsAppProps | (() => GitOpsAppProps); files?: boolean; inspect?: (output: RenderedOutput) => void } = {},
): Outcome {
  let app: GitOpsApp | undefined;
  let output: RenderedOutput;
  try {
    // app props built here: value objects in them (PlatformOperator) may throw too
    app = new GitOpsApp({ outdir: NO_OUTDIR, changeSafety: false, ...(typeof options.app === 'function' ? options.app() : options.app) });
    build(app);
    output = app.render();
  } catch (e) {
    const error = expectValidationError(e, app);
    return { kind: 'rejected', code: error.code, property: error.property.replace(/"[^"]*"/g, '"…"') };
  }
  const problems = problemsOf(output, { files: options.files });
  if (problems.length > 0) {
    throw new Error(`rendered invalid output (${problems.length} problem(s)):\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
  options.inspect?.(output);
  return { kind: 'rendered', objects: output.objects.length };
}

/** Runs a property over `arb` with the oracle, tallies outcomes and checks both are common. */
export function runProperty<T>(arb: fc.Arbitrary<T>, run: (value: T) => Outcome, options: { minMix?: number; numRuns?: number } = {}): Tally {
  const tally = new Tally();
  fc.assert(fc.property(arb, (value) => {
    tally.add(run(value));
  }), params({ numRuns: options.numRuns ?? RUNS }));
  // eslint-disable-next-line no-console
  if (process.env.ROBUSTNESS_VERBOSE) console.log(tally.toString());
  tally.expectMix(options.minMix);
  return tally;
}
