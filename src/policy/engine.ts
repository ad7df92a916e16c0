import * as crypto from 'crypto';
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { withObjectFacts } from './evaluation-scope';
import { Finding, ResourceRef, UnusedSuppression } from './finding';
import { builtInRuleKey, FindingsMemo, MemoViolation } from './findings-memo';
import { PolicyPack } from './pack';
import { RelatedObjects } from './related';
import { ReportRule } from './reports/types';
import { ManifestRule, Rule, RuleViolation } from './rule';
import { Severity } from './severity';
import { AppliedSuppression, Suppressions } from './suppressions';
import { Aspects } from '../aspects/aspects';
import { Environment } from '../environment/environment';
import { Tier } from '../environment/tier';
import { renderValue, ValidationError } from '../errors/validation-error';
import { redactSecrets } from '../private/credentials';

/** The line of a finding in its YAML text (locate.ts parses it with `yaml`): loaded with the first finding that has a text. */
function lineOf(yamlText: string, jsonPointer?: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./locate') as typeof import('./locate')).lineOf(yamlText, jsonPointer);
}

/** One object to check. */
export interface CheckedObject {
  readonly manifest: any;
  /** The YAML text the object is written as (for line numbers). */
  readonly text?: string;
  /** Lines before `text` in its file (multi-document files). */
  readonly lineOffset?: number;
  /** JSON pointer of the object inside `text` (an item of a List); the whole text when absent. */
  readonly textPointer?: string;
  readonly file?: string;
  readonly construct?: ApiObject;
  readonly environment?: Environment;
  readonly tier?: Tier;
}


export interface EvaluationResult {
  readonly findings: Finding[];
  readonly unusedSuppressions: UnusedSuppression[];
  /** Model rules that could not run (plain YAML): reported, never counted as passed. */
  readonly notEvaluable: { ruleId: string; packId: string; reason: string }[];
  readonly objectsChecked: number;
}

/** Every PolicyPack applied as an aspect anywhere in the tree. */
export function findPacks(root: IConstruct): PolicyPack[] {
  const packs: PolicyPack[] = [];
  for (const node of root.node.findAll()) {
    for (const aspect of Aspects.of(node).all) {
      if (aspect instanceof PolicyPack && !packs.includes(aspect)) packs.push(aspect);
    }
  }
  return packs;
}

/** apiVersion / kind / metadata of an ApiObject construct that was not rendered into the checked set. */
function apiObjectIdentity(construct: IConstruct | undefined): any {
  if (!construct || !ApiObject.isApiObject(construct)) return undefined;
  return { apiVersion: construct.apiVersion, kind: construct.kind, metadata: { name: construct.name, namespace: construct.metadata.namespace } };
}

function resourceOf(manifest: any): ResourceRef | undefined {
  if (!manifest || typeof manifest !== 'object' || typeof manifest.kind !== 'string') return undefined;
  return { apiVersion: manifest.apiVersion, kind: manifest.kind, namespace: manifest.metadata?.namespace, name: manifest.metadata?.name };
}

/** The evaluation ran past its deadline (`check --timeout`). */
export class EvaluationDeadlineError extends Error {
  public constructor(public readonly packId: string) {
    super(`evaluation deadline passed while evaluating pack ${packId}`);
    Object.setPrototypeOf(this, EvaluationDeadlineError.prototype);
    this.name = 'EvaluationDeadlineError';
  }
}

export interface EvaluateOptions {
  /** The construct tree (synthesis): model rules are evaluated. */
  readonly root?: IConstruct;
  /** Epoch milliseconds after which the evaluation stops with EvaluationDeadlineError (checked between objects). */
  readonly deadline?: number;
  /**
   * Reuse (and record) the violations of the built-in manifest rules per pack and environment (see
   * FindingsMemo). Only for objects whose `text` is the YAML the manifest is written as (synthesis).
   */
  readonly memo?: FindingsMemo;
}

/**
 * Evaluates packs: model rules on the constructs each pack covers, manifest rules on the rendered
 * objects whose constructs it covers (or on every object when `constructs` is false: plain YAML,
 * where model rules are reported as not evaluable). Suppressions apply, and unused ones are reported.
 */
export function evaluatePacks(packs: PolicyPack[], objects: CheckedObject[], options: EvaluateOptions = {}): EvaluationResult {
  // the pod templates and containers of each object are found once and shared by the rules that read them
  return withObjectFacts(() => evaluate(packs, objects, options));
}

function evaluate(packs: PolicyPack[], objects: CheckedObject[], options: EvaluateOptions): EvaluationResult {
  const findings: Finding[] = [];
  const used = new Set<AppliedSuppression>();
  const notEvaluable: EvaluationResult['notEvaluable'] = [];
  const ignoredUnsuppressible = new Set<AppliedSuppression>();
  const byConstruct = new Map<IConstruct, CheckedObject>();
  for (const o of objects) if (o.construct) byConstruct.set(o.construct, o);

  const record = (
    pack: PolicyPack, rule: Rule, v: RuleViolation, tier: Tier | undefined,
    construct: IConstruct | undefined, obj: CheckedObject | undefined, env?: Environment,
  ) => {
    const suppression = construct ? Suppressions.covering(construct).find((s) => s.ruleId === rule.id) : undefined;
    if (suppression && rule.unsuppressible) ignoredUnsuppressible.add(suppression);
    const active = suppression && !rule.unsuppressible ? suppression : undefined;
    if (active) used.add(active);
    const file = obj?.file;
    findings.push({
      ruleId: rule.id,
      packId: pack.id,
      severity: pack.severityOf(rule, tier),
      message: redactSecrets(v.message),
      resource: resourceOf(obj?.manifest ?? apiObjectIdentity(construct)),
      constructPath: construct?.node.path,
      file,
      line: obj?.text !== undefined ? lineOf(obj.text, (obj.textPointer ?? '') + (v.jsonPointer ?? '')) + (obj.lineOffset ?? 0) : undefined,
      jsonPointer: v.jsonPointer,
      environment: (obj?.environment ?? env)?.name,
      suppressed: active !== undefined,
      suppressionReason: active?.reason === undefined ? undefined : redactSecrets(active.reason),
    });
  };

  // objects of one environment (or of the whole input), for rules that relate objects
  const related = new Map<string, any[]>();
  for (const o of objects) {
    const key = o.environment?.name ?? '';
    if (!related.has(key)) related.set(key, []);
    related.get(key)!.push(o.manifest);
  }
  // indexed by kind and namespace once per environment, for the rules' related-object lookups
  // (built on first use: with every rule memoized, never)
  const relatedIndex = new Map<string, RelatedObjects>();
  const relatedIndexOf = (key: string): RelatedObjects | undefined => {
    let index = relatedIndex.get(key);
    if (index === undefined) {
      const list = related.get(key);
      if (list === undefined) return undefined;
      relatedIndex.set(key, index = RelatedObjects.of(list));
    }
    return index;
  };

  // the environment of each construct, looked up once (every model rule of every pack asks)
  const environments = new Map<IConstruct, Environment | undefined>();
  const environmentOf = (construct: IConstruct) => {
    if (!environments.has(construct)) environments.set(construct, Environment.tryOf(construct));
    return environments.get(construct);
  };

  // one object against the manifest rules of one pack: its own (small) function, so that the engine optimizes it
  // after a few calls instead of compiling the whole of `evaluate` on the stack while the first objects run slowly
  const evaluateObject = (
    pack: PolicyPack, rulesFor: (kind: unknown) => ManifestRule[], memoized: Map<string, MemoGroup> | undefined, obj: CheckedObject,
  ) => {
    if (options.deadline !== undefined && Date.now() > options.deadline) throw new EvaluationDeadlineError(pack.id);
    const tier = obj.tier ?? obj.environment?.tier;
    let rules = rulesFor(obj.manifest?.kind);
    if (rules.length === 0) return;
    const envKey = obj.environment?.name ?? '';
    const group = memoized?.get(envKey);
    if (group?.hit) rules = rules.filter((r) => !group.builtIn.has(r));
    if (rules.length === 0) return;
    const context = {
      manifest: obj.manifest,
      environment: obj.environment,
      tier,
      file: obj.file,
      related: related.get(envKey),
      relatedIndex: relatedIndexOf(envKey),
    };
    for (const rule of rules) {
      let violations: RuleViolation[];
      try {
        const result = rule.evaluate(context);
        // most calls find nothing: an empty list needs no copy
        if (Array.isArray(result) && result.length === 0) continue;
        violations = [...result];
      } catch (e) {
        // plain YAML can hold anything where a rule expects a list or an object (`env: {}`): that is bad
        // input naming the object, never a crash and never a pass
        const r = resourceOf(obj.manifest);
        const line = obj.text !== undefined ? `:${lineOf(obj.text, obj.textPointer ?? '') + (obj.lineOffset ?? 0)}` : '';
        throw new ValidationError({
          code: 'MALFORMED_OBJECT',
          path: obj.file !== undefined ? `${obj.file}${line}` : obj.construct?.node.path ?? '/',
          property: `${r?.kind ?? 'object'} "${r?.name ?? '?'}" (rule ${rule.id})`,
          value: renderValue((e as Error)?.message ?? String(e)),
          allowed: 'a well-formed Kubernetes object (fields of the types the Kubernetes API defines)',
        });
      }
      for (const v of violations) {
        record(pack, rule, v, tier, obj.construct, obj);
      }
      if (group?.learnt && group.builtIn.has(rule)) {
        const at = group.position.get(obj)!;
        for (const v of violations) {
          // kept redacted, as findings show it (no credential in the cache); replayed, it is redacted again,
          // which must change nothing: else the group is not memoized
          const message = redactSecrets(v.message);
          if (redactSecrets(message) !== message) group.unsafe = true;
          group.learnt.push([at, rule.id, message, v.jsonPointer ?? null]);
        }
      }
    }
  };

  for (const pack of packs) {
    const modelMode = options.root !== undefined;
    // model rules (the covered constructs, their environments and contexts found once per pack, not per rule;
    // rules never change the context they are given)
    const covered = modelMode && pack.modelRules.length > 0
      ? pack._covered().map((construct) => ({ construct, environment: environmentOf(construct) }))
      : [];
    for (const rule of pack.modelRules) {
      if (!modelMode) {
        notEvaluable.push({ ruleId: rule.id, packId: pack.id, reason: 'model rule: needs the construct tree (synthesis), not evaluable on plain YAML' });
        continue;
      }
      for (const context of covered) {
        const violations = rule.evaluate(context);
        // most calls find an empty array: nothing to iterate (any other iterable is read as before)
        if (Array.isArray(violations) && violations.length === 0) continue;
        for (const v of violations) {
          record(pack, rule, v, context.environment?.tier, context.construct, byConstruct.get(context.construct), context.environment);
        }
      }
    }
    // manifest rules
    const targets = modelMode ? pack._coveredObjects().map((c) => byConstruct.get(c)).filter((o): o is CheckedObject => o !== undefined) : objects;
    // a rule only sees the kinds it declares (in the pack's rule order): most objects meet few rules
    const rulesByKind = new Map<unknown, ManifestRule[]>();
    const rulesFor = (kind: unknown): ManifestRule[] => {
      const key = typeof kind === 'string' ? kind : undefined;
      let rules = rulesByKind.get(key);
      if (!rules) {
        rules = pack.manifestRules.filter((r) => r.kinds === undefined || (key !== undefined && r.kinds.includes(key)));
        rulesByKind.set(key, rules);
      }
      return rules;
    };
    if (pack.manifestRules.length === 0) {
      // nothing to call for any object (a pack of model rules): only the deadline is checked
      if (targets.length > 0 && options.deadline !== undefined && Date.now() > options.deadline) throw new EvaluationDeadlineError(pack.id);
      continue;
    }
    // the built-in rules' violations per environment, memoized across runs (replayed through `record`:
    // severities and suppressions as today)
    const memoized = options.memo ? memoGroups(options.memo, pack, targets, objects) : undefined;
    if (memoized) {
      for (const group of memoized.values()) {
        if (!group.hit) continue;
        for (const [at, ruleId, message, pointer] of group.hit) {
          const obj = group.targets[at];
          const rule = memoizedRule(pack, ruleId);
          const v: RuleViolation = pointer === null ? { message } : { message, jsonPointer: pointer };
          record(pack, rule, v, obj.tier ?? obj.environment?.tier, obj.construct, obj);
        }
      }
    }
    // every manifest rule of the pack memoized for every environment: nothing left to call
    const allMemoized = memoized !== undefined
      && [...memoized.values()].every((g) => g.hit !== undefined && g.builtIn.size === pack.manifestRules.length);
    if (!allMemoized) for (let i = 0; i < targets.length; i++) evaluateObject(pack, rulesFor, memoized, targets[i]);
    if (memoized) for (const group of memoized.values()) if (group.learnt && !group.unsafe) options.memo!.set(group.key, group.learnt);
  }

  const unusedSuppressions: UnusedSuppression[] = [];
  if (options.root) {
    for (const node of options.root.node.findAll()) {
      for (const s of Suppressions.of(node)) {
        if (used.has(s)) continue;
        unusedSuppressions.push({
          ruleId: s.ruleId,
          reason: s.reason,
          constructPath: s.constructPath,
          note: ignoredUnsuppressible.has(s) ? `rule ${s.ruleId} is unsuppressible: the suppression was ignored` : 'suppresses no finding',
        });
      }
    }
  }

  findings.sort(compareFindings);
  return { findings, unusedSuppressions, notEvaluable, objectsChecked: objects.length };
}

/** The targets of one pack in one environment, and what the memo holds for them. */
interface MemoGroup {
  readonly key: string;
  readonly targets: CheckedObject[];
  readonly position: Map<CheckedObject, number>;
  /** The pack's built-in manifest rules (memoized; the others are always evaluated). */
  readonly builtIn: Set<ManifestRule>;
  /** The memoized violations (replayed, the built-in rules not called), or */
  readonly hit?: readonly MemoViolation[];
  /** the violations found this run, to memoize. */
  readonly learnt?: MemoViolation[];
  /** A message that redaction does not leave as it is: not memoized. */
  unsafe?: boolean;
}

// digests of one evaluation: every object of an environment (the rules relate objects within it), and environments
const environmentDigests = new WeakMap<CheckedObject[], Map<string, { digest: string; index: Map<CheckedObject, number> } | undefined>>();
const configDigests = new WeakMap<Environment, string | undefined>();

/**
 * The memo groups of `pack` (one per environment of its targets), or undefined when the pack has no
 * built-in manifest rule or an input cannot be digested (then everything is evaluated).
 */
function memoGroups(memo: FindingsMemo, pack: PolicyPack, targets: CheckedObject[], objects: CheckedObject[]): Map<string, MemoGroup> | undefined {
  const builtIn = new Set<ManifestRule>();
  const ruleKeys: string[] = [];
  for (const r of pack.manifestRules) {
    const k = builtInRuleKey(r);
    if (k === undefined) continue;
    builtIn.add(r);
    ruleKeys.push(k);
  }
  if (builtIn.size === 0) return undefined;
  const ids = new Set<string>();
  for (const r of builtIn) {
    if (ids.has(r.id)) return undefined;
    ids.add(r.id);
  }
  let perEnv = environmentDigests.get(objects);
  if (!perEnv) environmentDigests.set(objects, perEnv = digestEnvironments(objects));
  const packKey = JSON.stringify([pack.id, pack.version ?? null, ruleKeys]);
  const byEnv = new Map<string, CheckedObject[]>();
  for (const o of targets) {
    const k = o.environment?.name ?? '';
    let list = byEnv.get(k);
    if (!list) byEnv.set(k, list = []);
    list.push(o);
  }
  const groups = new Map<string, MemoGroup>();
  for (const [envKey, list] of byEnv) {
    const env = perEnv.get(envKey);
    if (env === undefined) return undefined;
    const parts: string[] = [memo.code, packKey, env.digest];
    const position = new Map<CheckedObject, number>();
    for (const o of list) {
      const at = env.index.get(o);
      const config = o.environment ? environmentConfig(o.environment) : '';
      if (at === undefined || config === undefined) return undefined;
      position.set(o, position.size);
      parts.push(String(at), o.tier ?? o.environment?.tier ?? '', config);
    }
    const key = crypto.createHash('sha256').update(parts.join('\0')).digest('hex');
    const hit = memo.get(key);
    const valid = hit !== undefined && hit.every(([at, ruleId]) => at < list.length && ids.has(ruleId));
    groups.set(envKey, valid ? { key, targets: list, position, builtIn, hit } : { key, targets: list, position, builtIn, learnt: [] });
  }
  return groups;
}

/** Per environment: a digest of its objects (file and YAML text, in order) and each object's position; undefined without text. */
function digestEnvironments(objects: CheckedObject[]): Map<string, { digest: string; index: Map<CheckedObject, number> } | undefined> {
  const hashes = new Map<string, { hash: crypto.Hash; index: Map<CheckedObject, number> } | undefined>();
  for (const o of objects) {
    const k = o.environment?.name ?? '';
    let h = hashes.get(k);
    if (h === undefined) {
      if (hashes.has(k)) continue;
      h = { hash: crypto.createHash('sha256'), index: new Map() };
      hashes.set(k, h);
    }
    if (typeof o.text !== 'string' || typeof o.file !== 'string' || h.index.has(o)) {
      hashes.set(k, undefined);
      continue;
    }
    h.index.set(o, h.index.size);
    h.hash.update(`${o.file}\0${o.text.length}\0`).update(o.text);
  }
  const out = new Map<string, { digest: string; index: Map<CheckedObject, number> } | undefined>();
  for (const [k, h] of hashes) out.set(k, h && { digest: h.hash.digest('hex'), index: h.index });
  return out;
}

/**
 * A digest of everything an environment holds (its fields and those of the objects it holds, with
 * their class names; functions by their source), or undefined when it holds a cycle or a shared
 * object (then the memo is not used).
 */
function environmentConfig(env: Environment): string | undefined {
  if (!configDigests.has(env)) {
    let text: string | undefined;
    try {
      const seen = new Set<object>();
      text = JSON.stringify(env, function (this: any, _key: string, value: unknown) {
        // code (a secret backend's methods): its source; the built-in manifest rules read data fields only
        if (typeof value === 'function') return `<function ${value.toString()}>`;
        if (typeof value === 'symbol' || typeof value === 'bigint') return `<${typeof value} ${String(value)}>`;
        if (value !== null && typeof value === 'object') {
          if (seen.has(value)) throw new Error('shared or cyclic');
          seen.add(value);
          const proto = Object.getPrototypeOf(value);
          if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
            // a class instance (the environment, its storage profile): its own fields, under its class name
            return { [`<${proto.constructor?.name}>`]: { ...(value as object) } };
          }
        }
        return value;
      });
    } catch {
      text = undefined;
    }
    configDigests.set(env, text === undefined ? undefined : crypto.createHash('sha256').update(text).digest('hex'));
  }
  return configDigests.get(env);
}

function memoizedRule(pack: PolicyPack, ruleId: string): ManifestRule {
  return pack.manifestRules.find((r) => r.id === ruleId)!;
}

function compareFindings(a: Finding, b: Finding): number {
  const key = (f: Finding) => [f.file ?? '', String(f.line ?? 0).padStart(8, '0'), f.ruleId, f.constructPath ?? '', f.jsonPointer ?? '', f.message].join('\u0000');
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Unsuppressed error-level findings. */
export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === Severity.ERROR && !f.suppressed);
}

/** The rules of `packs` as reports describe them. */
export function describeRules(packs: PolicyPack[]): ReportRule[] {
  return packs.flatMap((p) => p.rules.map((rule) => ({
    id: rule.id,
    packId: p.id,
    severity: rule.severity,
    description: rule.description,
    explanation: rule.explanation,
    fix: rule.fix,
    helpUri: rule.helpUri,
  })));
}
