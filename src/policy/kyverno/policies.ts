import * as fs from 'fs';
import * as path from 'path';
import type { KyvernoRuleResult } from './engine';
import type { FailureAction, LoadedPolicy, LoadedRule } from './model';
import { isObject } from './values';
import { ValidationError } from '../../errors/validation-error';
import type { LoadedCelPolicy } from '../cel/policies';
import { PolicyPack } from '../pack';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../rule';
import { Severity } from '../severity';

// Loaded at first use: the policy engine (JMESPath, RE2, CEL) and the policy reader, only for an
// app that uses Kyverno policies (the built-in packs do not).
/* eslint-disable @typescript-eslint/no-require-imports */
let engineModule: typeof import('./engine') | undefined;
const engine = () => (engineModule ??= require('./engine') as typeof import('./engine'));
const model = (): typeof import('./model') => require('./model');
const celPack = (): typeof import('../cel/pack') => require('../cel/pack');
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * How Kyverno policies become a policy pack.
 */
export interface KyvernoPolicyOptions {
  /**
   * Id of the pack.
   *
   * @default - `kyverno-<policy name>` for one policy, else `kyverno-<file or directory name>` (`kyverno` for YAML text)
   */
  readonly packId?: string;

  /**
   * Severity of a failure of a rule in `Enforce` mode (`validate.failureAction`, else
   * `spec.validationFailureAction`).
   *
   * @default Severity.ERROR
   */
  readonly enforceSeverity?: Severity;

  /**
   * Severity of a failure of a rule in `Audit` mode (Kyverno's default).
   *
   * @default Severity.WARNING
   */
  readonly auditSeverity?: Severity;

  /**
   * Variables, by dotted name, as in the `globalValues` of a Kyverno CLI values file: e.g.
   * `{ 'request.operation': 'UPDATE' }`, or the value of a context entry that reads the cluster
   * (`apiCall`, `configMap`), which cannot be evaluated at synthesis otherwise.
   *
   * @default - none (`request.operation` is CREATE)
   */
  readonly variables?: { [name: string]: any };
}

function pascal(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const out = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return /^[A-Z]/.test(out) ? out : `R${out}`;
}

function packIdFrom(text: string): string {
  const id = `kyverno-${text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '')}`;
  return id.replace(/-$/, '') || 'kyverno';
}

/** Converts Kyverno's path (`/spec/containers/0/image/`) to a JSON pointer. */
function pointerOf(kyvernoPath: string | undefined): string | undefined {
  if (kyvernoPath === undefined || kyvernoPath === '' || kyvernoPath === '/') return undefined;
  if (kyvernoPath.startsWith('/') && !kyvernoPath.endsWith('/')) return kyvernoPath;
  return kyvernoPath.replace(/\/$/, '').split('/').map((t) => t.replace(/~/g, '~0')).join('/');
}

/** Results of one policy on one object, shared by the policy's rules. */
const resultCache = new WeakMap<object, Map<LoadedPolicy, KyvernoRuleResult[]>>();

function namespaceLabelsFrom(related: any[] | undefined): (ns: string) => Record<string, string> | undefined {
  return (ns) => {
    const obj = (related ?? []).find((o) => o?.kind === 'Namespace' && o?.metadata?.name === ns);
    return isObject(obj?.metadata?.labels) ? obj.metadata.labels : undefined;
  };
}

/**
 * One rule of a Kyverno policy (with the rules Kyverno generates from it for pod controllers) as a
 * manifest rule: a `fail` is a violation; `error` and `unsupported` results are violations too
 * ("not evaluated: …"), never a silent pass.
 */
class KyvernoRule extends ManifestRule {
  public constructor(id: string, severity: Severity, private readonly policy: LoadedPolicy, private readonly rule: LoadedRule,
    private readonly variables: Record<string, unknown> | undefined) {
    const v = isObject(rule.raw.validate) ? rule.raw.validate : {};
    const title = policy.annotations['policies.kyverno.io/title'];
    const ruleMessage = typeof v.message === 'string' ? v.message.trim().replace(/\s+/g, ' ') : '';
    super({
      id,
      severity,
      description: `Kyverno ${policy.kind} ${policy.name}, rule ${rule.name}${title ? `: ${title}` : ruleMessage ? `: ${ruleMessage}` : ''}`,
      explanation: (policy.annotations['policies.kyverno.io/description'] ?? `Kyverno ${policy.kind} ${policy.name}${policy.source ? ` (${policy.source})` : ''}.`).trim().replace(/\s+/g, ' ')
        + ` Failure action: ${rule.failureAction}${rule.actionOverrides.length > 0 ? ' (the strictest of the namespace overrides applies at synthesis)' : ''}.`,
      fix: ruleMessage || `Change the object so that it satisfies rule ${rule.name} of Kyverno policy ${policy.name}.`,
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const manifest = ctx.manifest;
    if (!isObject(manifest)) return [];
    let byPolicy = resultCache.get(manifest);
    if (!byPolicy) {
      byPolicy = new Map();
      resultCache.set(manifest, byPolicy);
    }
    let results = byPolicy.get(this.policy);
    if (!results) {
      results = engine().evaluatePolicy(this.policy, manifest, { variables: this.variables, namespaceLabels: namespaceLabelsFrom(ctx.related) });
      byPolicy.set(this.policy, results);
    }
    const out: RuleViolation[] = [];
    for (const r of results) {
      if (r.originalRule !== this.rule.name) continue;
      const where = r.rule !== this.rule.name ? ` (${r.rule})` : '';
      if (r.status === 'fail') out.push({ message: `${this.policy.name}/${this.rule.name}${where}: ${r.message}`, jsonPointer: pointerOf(r.path) });
      else if (r.status === 'error') out.push({ message: `${this.policy.name}/${this.rule.name}${where}: not evaluated: error: ${r.message}` });
      else if (r.status === 'unsupported') out.push({ message: `${this.policy.name}/${this.rule.name}${where}: ${r.message}` });
    }
    return out;
  }
}

/**
 * A policy pack made of Kyverno policies: one manifest rule per Kyverno rule.
 */
export class KyvernoPolicyPack extends PolicyPack {
  /** @internal */
  public static _create(id: string, policies: LoadedPolicy[], options: KyvernoPolicyOptions, celPolicies: LoadedCelPolicy[] = []): KyvernoPolicyPack {
    return new KyvernoPolicyPack(id, policies, options, celPolicies);
  }

  /** The policies (`name`, or `namespace/name` for a namespaced Policy). */
  public readonly policyNames: string[];
  /**
   * Features the policies use that cannot be evaluated at synthesis (`policy/rule: feature`); the
   * objects those rules match get a "not evaluated" finding.
   */
  public readonly unsupportedFeatures: string[];
  /** The policies as loaded (plain objects), for export. @internal */
  public readonly _sources: any[];
  /** The ValidatingPolicies / ValidatingAdmissionPolicies as loaded. @internal */
  public readonly _celSources: any[];

  private constructor(id: string, policies: LoadedPolicy[], options: KyvernoPolicyOptions, celPolicies: LoadedCelPolicy[]) {
    const enforce = options.enforceSeverity ?? Severity.ERROR;
    const audit = options.auditSeverity ?? Severity.WARNING;
    const ids = new Set<string>();
    const rules: ManifestRule[] = [];
    const unsupported: string[] = [];
    for (const policy of policies) {
      for (const rule of policy.rules) {
        if (rule.autogen) continue; // generated rules report under their rule
        let ruleId = `KYVERNO-${pascal(policy.name)}${pascal(rule.name)}`;
        for (let n = 2; ids.has(ruleId); n++) ruleId = `KYVERNO-${pascal(policy.name)}${pascal(rule.name)}${n}`;
        ids.add(ruleId);
        // the strictest action of the namespace overrides applies; rules that do not validate
        // (mutate, generate, verifyImages) cannot be violated, so their "not evaluated" is a warning-level note
        const actions: FailureAction[] = [rule.failureAction, ...rule.actionOverrides.map((o) => o.action)];
        const severity = rule.type === 'validate' && actions.includes('Enforce') ? enforce : audit;
        rules.push(new KyvernoRule(ruleId, severity, policy, rule, options.variables));
        unsupported.push(...rule.unsupported.map((f) => `${policy.name}/${rule.name}: ${f}`));
        for (const e of Array.isArray(rule.raw.context) ? rule.raw.context : []) {
          if (e?.variable === undefined && !(options.variables && Object.prototype.hasOwnProperty.call(options.variables, e?.name))) {
            unsupported.push(`${policy.name}/${rule.name}: context entry "${e?.name}" reads the cluster (give it in variables)`);
          }
        }
      }
    }
    // ValidatingPolicy / ValidatingAdmissionPolicy: one rule per policy; Deny is enforcing
    for (const policy of celPolicies) {
      const prefix = policy.kind === 'ValidatingAdmissionPolicy' ? 'VAP' : 'KYVERNO';
      let ruleId = `${prefix}-${pascal(policy.name)}`;
      for (let n = 2; ids.has(ruleId); n++) ruleId = `${prefix}-${pascal(policy.name)}${n}`;
      ids.add(ruleId);
      const actions = policy.kind === 'ValidatingAdmissionPolicy'
        ? policy.bindings.flatMap((b) => (Array.isArray(b?.spec?.validationActions) ? b.spec.validationActions : []))
        : policy.validationActions;
      rules.push(new (celPack().CelPolicyRule)(ruleId, actions.includes('Deny') ? enforce : audit, policy));
      if (policy.kind === 'ValidatingAdmissionPolicy' && policy.bindings.length === 0) {
        unsupported.push(`${policy.name}: no ValidatingAdmissionPolicyBinding given (the policy applies to nothing)`);
      }
    }
    super({ id, manifestRules: rules });
    this.policyNames = [...policies.map((p) => (p.namespace !== undefined ? `${p.namespace}/${p.name}` : p.name)), ...celPolicies.map((p) => p.name)];
    this.unsupportedFeatures = unsupported;
    this._sources = policies.map((p) => p.raw);
    this._celSources = celPolicies.map((p) => p.raw);
  }
}

/**
 * Loads Kyverno `ClusterPolicy` / `Policy` YAML (`kyverno.io/v1`) as a policy pack evaluated at
 * synthesis, with the results of the Kyverno CLI: `validate` rules (pattern, anyPattern, deny,
 * foreach, podSecurity, cel), match / exclude, preconditions, variables and the rules Kyverno generates
 * for pod controllers. Enforce rules are errors, Audit rules warnings (see `KyvernoPolicyOptions`).
 *
 * The CEL-era policies in the same YAML are evaluated too, on a CEL environment matching
 * Kubernetes' (optional types, the Kubernetes and Kyverno libraries): Kyverno `ValidatingPolicy`
 * (`policies.kyverno.io`, with autogen for pod controllers) and Kubernetes
 * `ValidatingAdmissionPolicy` with its `ValidatingAdmissionPolicyBinding`s (params from the
 * objects being checked). A `Deny` validation action is enforcing, `Audit` / `Warn` are not.
 *
 * Apply the pack like any other: `Aspects.of(app).add(pack, { priority: AspectPriority.READONLY })`.
 * A malformed policy is a ValidationError naming the policy, the rule and the field.
 */
export class KyvernoPolicies {
  /**
   * The policies of a YAML file (multi-document; documents that are not Kyverno policies are ignored).
   */
  public static fromFile(file: string, options: KyvernoPolicyOptions = {}): KyvernoPolicyPack {
    const { loadPolicy, parsePolicyDocuments } = model();
    const { celPoliciesOf, yamlDocuments } = celPack();
    const text = KyvernoPolicies.read(file);
    const policies = parsePolicyDocuments(text, file).map((d) => loadPolicy(d, file));
    const cel = celPoliciesOf(yamlDocuments(text, file), file);
    if (policies.length === 0 && cel.length === 0) {
      throw new ValidationError({ code: 'NO_KYVERNO_POLICY', path: file, property: 'file', allowed: 'a YAML file holding Kyverno ClusterPolicy or Policy documents' });
    }
    return KyvernoPolicies.pack(policies, options, path.basename(file).replace(/\.(ya?ml|json)$/i, ''), cel);
  }

  /**
   * The policies of every `.yaml` / `.yml` file under a directory (recursively; hidden folders such
   * as `.kyverno-test` and files without policies are skipped).
   */
  public static fromDirectory(dir: string, options: KyvernoPolicyOptions = {}): KyvernoPolicyPack {
    const { loadPolicy, parsePolicyDocuments } = model();
    const { celPoliciesOf, yamlDocuments } = celPack();
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch {
      throw new ValidationError({ code: 'KYVERNO_PATH_NOT_FOUND', path: dir, property: 'dir', value: JSON.stringify(dir), allowed: 'an existing directory' });
    }
    if (!stat.isDirectory()) throw new ValidationError({ code: 'KYVERNO_PATH_NOT_FOUND', path: dir, property: 'dir', value: JSON.stringify(dir), allowed: 'a directory' });
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (e.name.startsWith('.')) continue;
        const child = path.join(d, e.name);
        if (e.isDirectory()) walk(child);
        else if (/\.ya?ml$/i.test(e.name)) files.push(child);
      }
    };
    walk(dir);
    const texts = files.map((f) => ({ f, text: KyvernoPolicies.read(f) }));
    const policies = texts.flatMap(({ f, text }) => parsePolicyDocuments(text, f).map((d) => loadPolicy(d, f)));
    // bindings may live in other files than their ValidatingAdmissionPolicy
    const docs = texts.map(({ f, text }) => ({ f, docs: yamlDocuments(text, f) }));
    const bindings = docs.flatMap((d) => d.docs).filter((d: any) => d?.kind === 'ValidatingAdmissionPolicyBinding');
    const cel = docs.flatMap((d) => celPoliciesOf([...d.docs.filter((x: any) => x?.kind !== 'ValidatingAdmissionPolicyBinding'), ...bindings], d.f));
    if (policies.length === 0 && cel.length === 0) {
      throw new ValidationError({ code: 'NO_KYVERNO_POLICY', path: dir, property: 'dir', allowed: 'a directory holding Kyverno ClusterPolicy or Policy YAML' });
    }
    return KyvernoPolicies.pack(policies, options, path.basename(path.resolve(dir)), cel);
  }

  /**
   * The policies of YAML text.
   */
  public static fromYaml(text: string, options: KyvernoPolicyOptions = {}): KyvernoPolicyPack {
    const { loadPolicy, parsePolicyDocuments } = model();
    const { celPoliciesOf, yamlDocuments } = celPack();
    const policies = parsePolicyDocuments(text).map((d) => loadPolicy(d));
    const cel = celPoliciesOf(yamlDocuments(text));
    if (policies.length === 0 && cel.length === 0) {
      throw new ValidationError({ code: 'NO_KYVERNO_POLICY', path: '<yaml>', property: 'text', allowed: 'YAML holding Kyverno ClusterPolicy or Policy documents' });
    }
    return KyvernoPolicies.pack(policies, options, undefined, cel);
  }

  /**
   * Policies given as objects (e.g. parsed elsewhere).
   */
  public static fromObjects(policies: any[], options: KyvernoPolicyOptions = {}): KyvernoPolicyPack {
    const { loadPolicy } = model();
    const { celPoliciesOf } = celPack();
    if (!Array.isArray(policies) || policies.length === 0) {
      throw new ValidationError({ code: 'NO_KYVERNO_POLICY', path: '<objects>', property: 'policies', allowed: 'a non-empty list of Kyverno ClusterPolicy or Policy objects' });
    }
    const cel = celPoliciesOf(policies);
    return KyvernoPolicies.pack(policies.filter((p) => !cel.some((c) => c.raw === p) && p?.kind !== 'ValidatingAdmissionPolicyBinding').map((p) => loadPolicy(p)), options, undefined, cel);
  }

  private static read(file: string): string {
    try {
      // checked before opening: a FIFO blocks open() and read() forever, a device (/dev/zero) never ends
      if (!fs.statSync(file).isFile()) throw Object.assign(new Error('not a regular file (FIFOs, sockets and devices are never read)'), { code: 'not a regular file' });
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ValidationError({ code: 'KYVERNO_PATH_NOT_FOUND', path: file, property: 'file', value: JSON.stringify(file), allowed: `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    }
  }

  private static pack(policies: LoadedPolicy[], options: KyvernoPolicyOptions, name?: string, cel: LoadedCelPolicy[] = []): KyvernoPolicyPack {
    const all = [...policies.map((p) => p.name), ...cel.map((p) => p.name)];
    const id = options.packId ?? (all.length === 1 ? packIdFrom(all[0]) : name !== undefined ? packIdFrom(name) : 'kyverno');
    return KyvernoPolicyPack._create(id, policies, options, cel);
  }

  private constructor() {}
}
