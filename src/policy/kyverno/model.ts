/**
 * Loading Kyverno `ClusterPolicy` / `Policy` objects: structural validation (a malformed policy is
 * an error naming the policy, the rule and the field), unsupported features, and the rules Kyverno
 * generates for pod controllers (autogen). Internal module.
 */
import { canonicalOperator, CONDITION_OPERATORS } from './conditions';
import { compileJmes, KyvernoUnsupportedError } from './jmespath';
import { parseAnchor } from './pattern';
import { isObject } from './values';
import { findVariables } from './variables';
import { ValidationError } from '../../errors/validation-error';
import { yamlDocuments } from '../../private/yaml-read';

export type FailureAction = 'Audit' | 'Enforce';

/** A rule as Kyverno runs it (the policy's own rules, then the generated `autogen-` ones). */
export interface LoadedRule {
  /** The rule name Kyverno reports (`autogen-<name>`, `autogen-cronjob-<name>` for generated rules). */
  readonly name: string;
  /** The rule of the policy YAML it comes from. */
  readonly originalName: string;
  readonly autogen?: 'controllers' | 'cronjob';
  /** The rule (after the autogen rewrite for generated rules). */
  readonly raw: any;
  readonly type: 'validate' | 'mutate' | 'generate' | 'verifyImages' | 'none';
  /** validate.failureAction, else spec.validationFailureAction, else Audit. */
  readonly failureAction: FailureAction;
  /** Namespace-level failure action overrides. */
  readonly actionOverrides: ReadonlyArray<{ action: FailureAction; namespaces: string[] }>;
  /** Features of the rule this evaluator does not implement (the rule is reported as unsupported). */
  readonly unsupported: string[];
}

export interface LoadedPolicy {
  readonly kind: 'ClusterPolicy' | 'Policy';
  readonly apiVersion: string;
  readonly name: string;
  /** Namespace of a `Policy` (its rules apply to that namespace only). */
  readonly namespace?: string;
  readonly annotations: Record<string, string>;
  readonly source?: string;
  readonly raw: any;
  readonly applyRules: 'All' | 'One';
  /** Rules in evaluation order: the policy's, then the generated ones. */
  readonly rules: LoadedRule[];
  /** Pod controllers the rules were generated for (empty: none). */
  readonly autogenControllers: string[];
}

const POLICY_KINDS = ['ClusterPolicy', 'Policy'];
const API_VERSIONS = ['kyverno.io/v1', 'kyverno.io/v2beta1'];
export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';
const POD_CONTROLLERS = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob'];
const CONTROLLER_GVK: Record<string, string> = {
  DaemonSet: 'apps/v1/DaemonSet',
  Deployment: 'apps/v1/Deployment',
  Job: 'batch/v1/Job',
  StatefulSet: 'apps/v1/StatefulSet',
  ReplicaSet: 'apps/v1/ReplicaSet',
  ReplicationController: 'v1/ReplicationController',
  CronJob: 'batch/v1/CronJob',
  Pod: 'v1/Pod',
};
const VALIDATE_KINDS = ['pattern', 'anyPattern', 'deny', 'foreach', 'podSecurity', 'cel', 'assert', 'manifests'];
const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
const PSS_CONTROLS = [
  'HostProcess', 'Host Namespaces', 'Privileged Containers', 'Capabilities', 'HostPath Volumes', 'Host Ports', 'AppArmor', 'SELinux',
  '/proc Mount Type', 'Seccomp', 'Sysctls', 'Volume Types', 'Privilege Escalation', 'Running as Non-root', 'Running as Non-root user',
];

/** Where an error is: the policy (and rule) and the field. */
class Where {
  public constructor(
    private readonly source: string | undefined,
    private readonly kind: string,
    private readonly name: string,
    private readonly rule?: string,
  ) {}

  public forRule(rule: string): Where {
    return new Where(this.source, this.kind, this.name, rule);
  }

  public error(field: string, value: unknown, allowed: string): ValidationError {
    const where = `${this.source ? `${this.source}: ` : ''}${this.kind} ${this.name}${this.rule !== undefined ? `, rule ${JSON.stringify(this.rule)}` : ''}`;
    let shown: string | undefined;
    if (value !== undefined) {
      try {
        shown = JSON.stringify(value);
      } catch {
        shown = String(value);
      }
      if (shown !== undefined && shown.length > 120) shown = `${shown.slice(0, 117)}...`;
    }
    return new ValidationError({ code: 'INVALID_KYVERNO_POLICY', path: where, property: field, value: shown, allowed });
  }
}

/** Whether a document is a Kyverno policy (by apiVersion group and kind). */
export function isKyvernoPolicy(doc: unknown): boolean {
  return isObject(doc) && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('kyverno.io/') && POLICY_KINDS.includes(doc.kind);
}

/** Reads YAML text: every Kyverno policy of it (other documents are ignored). */
export function parsePolicyDocuments(text: string, source?: string): any[] {
  const out: any[] = [];
  for (const doc of yamlDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new ValidationError({
        code: 'INVALID_YAML', path: source ?? '<yaml>', property: 'text', allowed: `valid YAML (${doc.errors[0].message.split('\n')[0]})`,
      });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 }); // a YAML bomb (alias expansion) stops here
    } catch (e) {
      throw new ValidationError({
        code: 'INVALID_YAML', path: source ?? '<yaml>', property: 'text', allowed: `valid YAML (${((e as Error).message ?? String(e)).split('\n')[0]})`,
      });
    }
    if (isKyvernoPolicy(value)) out.push(value);
  }
  return out;
}

function checkStringList(where: Where, field: string, v: unknown, allowed?: string[]): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw where.error(field, v, 'a list of strings');
  if (allowed) {
    const bad = v.find((x) => !allowed.includes(x));
    if (bad !== undefined) throw where.error(field, bad, `one of ${allowed.join(', ')}`);
  }
}

function checkSelector(where: Where, field: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) throw where.error(field, v, 'a label selector (matchLabels, matchExpressions)');
  if (v.matchLabels !== undefined && (!isObject(v.matchLabels) || Object.values(v.matchLabels).some((x) => typeof x !== 'string'))) {
    throw where.error(`${field}.matchLabels`, v.matchLabels, 'a map of strings');
  }
  if (v.matchExpressions !== undefined) {
    if (!Array.isArray(v.matchExpressions)) throw where.error(`${field}.matchExpressions`, v.matchExpressions, 'a list');
    v.matchExpressions.forEach((e: any, i: number) => {
      if (!isObject(e) || typeof e.key !== 'string' || !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
        throw where.error(`${field}.matchExpressions[${i}]`, e, 'a requirement {key, operator: In|NotIn|Exists|DoesNotExist, values}');
      }
      checkStringList(where, `${field}.matchExpressions[${i}].values`, e.values);
    });
  }
}

function checkResourceDescription(where: Where, field: string, rd: unknown): void {
  if (!isObject(rd)) throw where.error(field, rd, 'a resource description (kinds, names, namespaces, selectors, operations)');
  checkStringList(where, `${field}.kinds`, rd.kinds);
  checkStringList(where, `${field}.names`, rd.names);
  checkStringList(where, `${field}.namespaces`, rd.namespaces);
  checkStringList(where, `${field}.operations`, rd.operations, OPERATIONS);
  if (rd.name !== undefined && typeof rd.name !== 'string') throw where.error(`${field}.name`, rd.name, 'a string');
  if (rd.annotations !== undefined && (!isObject(rd.annotations) || Object.values(rd.annotations).some((x) => typeof x !== 'string'))) {
    throw where.error(`${field}.annotations`, rd.annotations, 'a map of strings');
  }
  checkSelector(where, `${field}.selector`, rd.selector);
  checkSelector(where, `${field}.namespaceSelector`, rd.namespaceSelector);
}

function checkFilter(where: Where, field: string, f: unknown): void {
  if (!isObject(f)) throw where.error(field, f, 'a resource filter (resources, subjects, roles, clusterRoles)');
  if (f.resources !== undefined) checkResourceDescription(where, `${field}.resources`, f.resources);
}

function checkMatch(where: Where, field: string, m: unknown, required: boolean): void {
  if (m === undefined || m === null) {
    if (required) throw where.error(field, m, 'a match block (any, all or resources)');
    return;
  }
  if (!isObject(m)) throw where.error(field, m, 'an object with any, all or resources');
  if (m.any !== undefined && m.all !== undefined) throw where.error(field, Object.keys(m), 'either any or all, not both');
  for (const block of ['any', 'all']) {
    if (m[block] === undefined) continue;
    if (!Array.isArray(m[block])) throw where.error(`${field}.${block}`, m[block], 'a list of resource filters');
    m[block].forEach((f: unknown, i: number) => checkFilter(where, `${field}.${block}[${i}]`, f));
  }
  if (m.resources !== undefined) checkResourceDescription(where, `${field}.resources`, m.resources);
  if (required && m.any === undefined && m.all === undefined && m.resources === undefined) {
    throw where.error(field, m, 'a match block with any, all or resources');
  }
}

function checkJmes(where: Where, field: string, text: string): void {
  for (const v of findVariables(text)) {
    if (v.expression === '@') continue;
    try {
      compileJmes(v.expression);
    } catch (e) {
      if (e instanceof KyvernoUnsupportedError) continue;
      throw where.error(field, text, `valid JMESPath in {{ }} (${(e as Error).message.split('\n')[0]})`);
    }
  }
}

function walkStrings(v: unknown, field: string, visit: (s: string, field: string) => void): void {
  if (typeof v === 'string') visit(v, field);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, `${field}[${i}]`, visit));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) walkStrings(x, `${field}.${k}`, visit);
}

function checkConditions(where: Where, field: string, c: unknown): void {
  if (c === undefined || c === null) return;
  const checkList = (list: unknown, f: string) => {
    if (!Array.isArray(list)) throw where.error(f, list, 'a list of conditions {key, operator, value}');
    list.forEach((cond: any, i: number) => {
      const cf = `${f}[${i}]`;
      if (!isObject(cond)) throw where.error(cf, cond, 'a condition {key, operator, value}');
      if (canonicalOperator(cond.operator) === undefined) throw where.error(`${cf}.operator`, cond.operator, `one of ${CONDITION_OPERATORS.join(', ')}`);
      walkStrings(cond.key, `${cf}.key`, (s, sf) => checkJmes(where, sf, s));
      walkStrings(cond.value, `${cf}.value`, (s, sf) => checkJmes(where, sf, s));
    });
  };
  if (Array.isArray(c)) return checkList(c, field);
  if (!isObject(c)) throw where.error(field, c, 'any / all lists of conditions, or a list of conditions');
  const extra = Object.keys(c).filter((k) => k !== 'any' && k !== 'all');
  if (extra.length > 0) throw where.error(`${field}.${extra[0]}`, c[extra[0]], 'only any and all');
  if (c.any !== undefined) checkList(c.any, `${field}.any`);
  if (c.all !== undefined) checkList(c.all, `${field}.all`);
}

function checkPatternKeys(where: Where, field: string, pattern: unknown): void {
  if (Array.isArray(pattern)) {pattern.forEach((x, i) => checkPatternKeys(where, `${field}[${i}]`, x));} else if (isObject(pattern)) {
    for (const [k, v] of Object.entries(pattern)) {
      const trimmed = k.trim();
      if (/^[+<=X^]?\(/.test(trimmed) && !parseAnchor(k)) throw where.error(`${field}.${k}`, k, 'a well-formed anchor: (key), =(key), X(key), ^(key), <(key) or +(key)');
      const a = parseAnchor(k);
      if (a?.kind === 'existence' && !Array.isArray(v)) throw where.error(`${field}.${k}`, v, 'a list of patterns (existence anchors apply to lists)');
      checkPatternKeys(where, `${field}.${k}`, v);
    }
  } else if (typeof pattern === 'string') {checkJmes(where, field, pattern);}
}

function checkContext(where: Where, field: string, ctx: unknown): void {
  if (ctx === undefined) return;
  if (!Array.isArray(ctx)) throw where.error(field, ctx, 'a list of context entries');
  ctx.forEach((e: any, i: number) => {
    const f = `${field}[${i}]`;
    if (!isObject(e) || typeof e.name !== 'string' || e.name === '') throw where.error(`${f}.name`, e?.name, 'a non-empty name');
    const kinds = ['variable', 'configMap', 'apiCall', 'imageRegistry', 'globalReference'].filter((k) => e[k] !== undefined);
    if (kinds.length !== 1) throw where.error(f, Object.keys(e), 'exactly one of variable, configMap, apiCall, imageRegistry, globalReference');
    if (e.variable !== undefined) {
      if (!isObject(e.variable)) throw where.error(`${f}.variable`, e.variable, 'an object with value, jmesPath or default');
      if (e.variable.jmesPath !== undefined && typeof e.variable.jmesPath !== 'string') throw where.error(`${f}.variable.jmesPath`, e.variable.jmesPath, 'a string');
    }
  });
}

function checkForeach(where: Where, field: string, list: unknown): void {
  if (!Array.isArray(list) || list.length === 0) throw where.error(field, list, 'a non-empty list of foreach declarations');
  list.forEach((fe: any, i: number) => {
    const f = `${field}[${i}]`;
    if (!isObject(fe)) throw where.error(f, fe, 'a foreach declaration {list, pattern | anyPattern | deny | foreach}');
    if (typeof fe.list !== 'string' || fe.list.trim() === '') throw where.error(`${f}.list`, fe.list, 'a JMESPath expression (e.g. request.object.spec.containers)');
    checkJmes(where, `${f}.list`, `{{${fe.list}}}`);
    const kinds = ['pattern', 'anyPattern', 'deny', 'foreach'].filter((k) => fe[k] !== undefined);
    if (kinds.length !== 1) throw where.error(f, Object.keys(fe), 'exactly one of pattern, anyPattern, deny, foreach');
    if (fe.elementScope !== undefined && typeof fe.elementScope !== 'boolean') throw where.error(`${f}.elementScope`, fe.elementScope, 'a boolean');
    checkConditions(where, `${f}.preconditions`, fe.preconditions);
    checkContext(where, `${f}.context`, fe.context);
    if (fe.pattern !== undefined) checkPatternKeys(where, `${f}.pattern`, fe.pattern);
    if (fe.anyPattern !== undefined) {
      if (!Array.isArray(fe.anyPattern) || fe.anyPattern.length === 0) throw where.error(`${f}.anyPattern`, fe.anyPattern, 'a non-empty list of patterns');
      checkPatternKeys(where, `${f}.anyPattern`, fe.anyPattern);
    }
    if (fe.deny !== undefined) {
      if (!isObject(fe.deny)) throw where.error(`${f}.deny`, fe.deny, 'an object with conditions');
      checkConditions(where, `${f}.deny.conditions`, fe.deny.conditions);
    }
    if (fe.foreach !== undefined) checkForeach(where, `${f}.foreach`, fe.foreach);
  });
}

function checkAction(where: Where, field: string, v: unknown): FailureAction | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !['audit', 'enforce'].includes(v.toLowerCase())) throw where.error(field, v, 'Audit or Enforce');
  return v.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
}

function checkOverrides(where: Where, field: string, v: unknown): Array<{ action: FailureAction; namespaces: string[] }> {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw where.error(field, v, 'a list of {action, namespaces, namespaceSelector}');
  return v.map((o: any, i: number) => {
    if (!isObject(o)) throw where.error(`${field}[${i}]`, o, 'an object {action, namespaces}');
    const action = checkAction(where, `${field}[${i}].action`, o.action) ?? 'Audit';
    checkStringList(where, `${field}[${i}].namespaces`, o.namespaces);
    return { action, namespaces: o.namespaces ?? [] };
  });
}

/** Features of a validate rule this evaluator does not implement. */
function unsupportedFeatures(rule: any): string[] {
  const out: string[] = [];
  if (rule.imageExtractors !== undefined) out.push('imageExtractors');
  const v = rule.validate;
  if (isObject(v)) {
    if (v.assert !== undefined) out.push('validate.assert');
    if (v.manifests !== undefined) out.push('validate.manifests (signed manifests)');
    const ps = v.podSecurity;
    const fieldLevel = (e: any) => isObject(e) && (e.restrictedField !== undefined || e.values !== undefined);
    if (isObject(ps) && Array.isArray(ps.exclude) && ps.exclude.some(fieldLevel)) {
      out.push('validate.podSecurity.exclude with restrictedField / values');
    }
    const refs: string[] = [];
    walkStrings([v.pattern, v.anyPattern, v.foreach], 'validate', (s) => {
      if (/(^|[^\\])\$\(/.test(s)) refs.push(s);
    });
    if (refs.length > 0) out.push('$(...) references in patterns');
  }
  return out;
}

function ruleType(rule: any): LoadedRule['type'] {
  if (rule.validate !== undefined) return 'validate';
  if (rule.mutate !== undefined) return 'mutate';
  if (rule.generate !== undefined) return 'generate';
  if (rule.verifyImages !== undefined) return 'verifyImages';
  return 'none';
}

function checkRule(where: Where, index: number, rule: any, specAction: FailureAction | undefined): void {
  const field = `spec.rules[${index}]`;
  checkMatch(where, `${field}.match`, rule.match, true);
  checkMatch(where, `${field}.exclude`, rule.exclude, false);
  checkConditions(where, `${field}.preconditions`, rule.preconditions);
  checkContext(where, `${field}.context`, rule.context);
  const types = ['validate', 'mutate', 'generate', 'verifyImages'].filter((k) => rule[k] !== undefined);
  if (types.length !== 1) throw where.error(field, Object.keys(rule), 'exactly one of validate, mutate, generate, verifyImages');
  const v = rule.validate;
  if (v === undefined) return;
  if (!isObject(v)) throw where.error(`${field}.validate`, v, 'an object');
  const kinds = VALIDATE_KINDS.filter((k) => v[k] !== undefined);
  if (kinds.length !== 1) throw where.error(`${field}.validate`, Object.keys(v), `exactly one of ${VALIDATE_KINDS.join(', ')}`);
  if (v.message !== undefined && typeof v.message !== 'string') throw where.error(`${field}.validate.message`, v.message, 'a string');
  if (typeof v.message === 'string') checkJmes(where, `${field}.validate.message`, v.message);
  checkAction(where, `${field}.validate.failureAction`, v.failureAction ?? v.validationFailureAction);
  checkOverrides(where, `${field}.validate.failureActionOverrides`, v.failureActionOverrides);
  void specAction;
  if (v.pattern !== undefined) {
    if (!isObject(v.pattern) && !Array.isArray(v.pattern)) throw where.error(`${field}.validate.pattern`, v.pattern, 'an object (the shape the resource must have)');
    checkPatternKeys(where, `${field}.validate.pattern`, v.pattern);
  }
  if (v.anyPattern !== undefined) {
    if (!Array.isArray(v.anyPattern) || v.anyPattern.length === 0) throw where.error(`${field}.validate.anyPattern`, v.anyPattern, 'a non-empty list of patterns');
    checkPatternKeys(where, `${field}.validate.anyPattern`, v.anyPattern);
  }
  if (v.deny !== undefined) {
    if (!isObject(v.deny)) throw where.error(`${field}.validate.deny`, v.deny, 'an object with conditions');
    checkConditions(where, `${field}.validate.deny.conditions`, v.deny.conditions);
  }
  if (v.foreach !== undefined) checkForeach(where, `${field}.validate.foreach`, v.foreach);
  if (v.podSecurity !== undefined) {
    const ps = v.podSecurity;
    const f = `${field}.validate.podSecurity`;
    if (!isObject(ps)) throw where.error(f, ps, 'an object {level, version, exclude}');
    if (!['privileged', 'baseline', 'restricted'].includes(ps.level)) throw where.error(`${f}.level`, ps.level, 'privileged, baseline or restricted');
    if (ps.version !== undefined && (typeof ps.version !== 'string' || !/^(v1\.\d+|latest)$/.test(ps.version))) {
      throw where.error(`${f}.version`, ps.version, 'v1.N or latest');
    }
    if (ps.exclude !== undefined) {
      if (!Array.isArray(ps.exclude)) throw where.error(`${f}.exclude`, ps.exclude, 'a list of {controlName, images}');
      ps.exclude.forEach((e: any, i: number) => {
        if (!isObject(e) || !PSS_CONTROLS.includes(e.controlName)) throw where.error(`${f}.exclude[${i}].controlName`, e?.controlName, `one of ${PSS_CONTROLS.join(', ')}`);
        checkStringList(where, `${f}.exclude[${i}].images`, e.images);
      });
    }
  }
}

// ------------------------------------------------------------------------------------------
// autogen (pkg/autogen/v1)

/** `group/version/Kind` (or `Kind/subresource`…) to its Kind (Kyverno `GetKindFromGVK` + `SplitSubresource`). */
export function kindOfSelector(selector: string): string {
  const parts = selector.split('/');
  const version = /^(v\d+((alpha|beta)\d+)?|\*)$/;
  let kind: string;
  switch (parts.length) {
    case 1: kind = selector.replace('.', '/'); break;
    case 2: kind = version.test(parts[0]) ? parts[1].replace('.', '/') : `${parts[0]}/${parts[1]}`; break;
    case 3: kind = version.test(parts[0]) ? `${parts[1]}/${parts[2]}` : parts[2].replace('.', '/'); break;
    case 4: kind = `${parts[2]}/${parts[3]}`; break;
    default: return '';
  }
  return kind.split('/')[0];
}

const containsKind = (kinds: unknown, kind: string) => Array.isArray(kinds) && kinds.some((k) => typeof k === 'string' && kindOfSelector(k) === kind);

function descriptions(block: any): any[] {
  if (!isObject(block)) return [];
  const out: any[] = [];
  if (isObject(block.resources)) out.push(block.resources);
  for (const f of [...(block.any ?? []), ...(block.all ?? [])]) if (isObject(f?.resources)) out.push(f.resources);
  return out;
}

function kindsOf(block: any): string[] {
  return descriptions(block).flatMap((d) => (Array.isArray(d.kinds) ? d.kinds : []));
}

/** Kyverno `CanAutoGen`: whether the policy's rules can be generated for pod controllers. */
function canAutogen(rules: any[]): boolean {
  let needed = false;
  for (const rule of rules) {
    if (rule.generate !== undefined) return false;
    if (isObject(rule.mutate) && (rule.mutate.patchesJson6902 || (rule.mutate.foreach ?? []).some((f: any) => f?.patchesJson6902))) return false;
    for (const rd of [...descriptions(rule.match), ...descriptions(rule.exclude)]) {
      const kinds: string[] = Array.isArray(rd.kinds) ? rd.kinds : [];
      if (rd.name || (Array.isArray(rd.names) && rd.names.length > 0) || rd.selector || rd.annotations || (kinds.length > 1 && containsKind(kinds, 'Pod'))) return false;
      if (kinds.some((k) => ['Pod', ...POD_CONTROLLERS].includes(k))) needed = true;
    }
  }
  return needed;
}

function replaceKinds(filters: any[], kinds: string[], onlyWithPod: boolean): any[] {
  return filters.map((f) => {
    if (!isObject(f) || !isObject(f.resources)) return f;
    if (onlyWithPod && !containsKind(f.resources.kinds, 'Pod')) return f;
    return { ...f, resources: { ...f.resources, kinds: kinds.map((k) => CONTROLLER_GVK[k] ?? k) } };
  });
}

function rewriteBlock(block: any, kinds: string[], onlyWithPod: boolean, isExclude: boolean): any {
  if (!isObject(block)) return block;
  if (Array.isArray(block.any) && block.any.length > 0) return { ...block, any: replaceKinds(block.any, kinds, onlyWithPod) };
  if (Array.isArray(block.all) && block.all.length > 0) return { ...block, all: replaceKinds(block.all, kinds, onlyWithPod) };
  if (isExclude && !(isObject(block.resources) && Array.isArray(block.resources.kinds) && block.resources.kinds.length > 0)) return block;
  return { ...block, resources: { ...(block.resources ?? {}), kinds: kinds.map((k) => CONTROLLER_GVK[k] ?? k) } };
}

function generateRule(name: string, rule: any, templateKey: string, kinds: string[], onlyWithPod: boolean): any {
  const out: any = { ...JSON.parse(JSON.stringify(rule)), name };
  out.match = rewriteBlock(out.match, kinds, onlyWithPod, false);
  if (out.exclude !== undefined) out.exclude = rewriteBlock(out.exclude, kinds, onlyWithPod, true);
  const v = out.validate;
  if (isObject(v)) {
    const keep = Object.fromEntries(['message', 'failureAction', 'validationFailureAction', 'failureActionOverrides', 'allowExistingViolations']
      .filter((k) => v[k] !== undefined).map((k) => [k, v[k]]));
    if (v.pattern !== undefined) out.validate = { ...keep, pattern: { spec: { [templateKey]: v.pattern } } };
    else if (v.deny !== undefined) out.validate = { ...keep, deny: v.deny };
    else if (v.podSecurity !== undefined) out.validate = { ...keep, podSecurity: v.podSecurity };
    else if (v.anyPattern !== undefined) out.validate = { ...keep, anyPattern: v.anyPattern.map((p: any) => ({ spec: { [templateKey]: p } })) };
    else if (v.foreach !== undefined) out.validate = { ...keep, foreach: v.foreach };
    else if (v.assert !== undefined) out.validate = v;
    else if (v.cel !== undefined) out.validate = v;
    else return undefined;
    return out;
  }
  if (out.verifyImages !== undefined) return out;
  if (isObject(out.mutate)) return out;
  return undefined;
}

function autogenName(prefix: string, name: string): string {
  const n = `${prefix}-${name}`;
  return n.length > 63 ? n.slice(0, 63) : n;
}

const POD_REPLACEMENTS: Array<[string, string]> = [
  ['request.object.spec', 'request.object.spec.template.spec'],
  ['request.oldObject.spec', 'request.oldObject.spec.template.spec'],
  ['request.object.metadata', 'request.object.spec.template.metadata'],
  ['request.oldObject.metadata', 'request.oldObject.spec.template.metadata'],
];
const CRONJOB_REPLACEMENTS: Array<[string, string]> = [
  ['request.object.spec', 'request.object.spec.jobTemplate.spec.template.spec'],
  ['request.oldObject.spec', 'request.oldObject.spec.jobTemplate.spec.template.spec'],
  ['request.object.metadata', 'request.object.spec.jobTemplate.spec.template.metadata'],
  ['request.oldObject.metadata', 'request.oldObject.spec.jobTemplate.spec.template.metadata'],
];

function rewriteReferences(rule: any, replacements: Array<[string, string]>): any {
  let json = JSON.stringify(rule);
  for (const [from, to] of replacements) json = json.split(from).join(to);
  return JSON.parse(json);
}

/** The rules Kyverno generates for pod controllers, and the controllers. */
function autogenRules(rules: any[], annotation: string | undefined): { generated: any[]; controllers: string[] } {
  if (!canAutogen(rules)) return { generated: [], controllers: [] };
  const requested = annotation === undefined ? POD_CONTROLLERS : annotation.split(',').map((s) => s.trim());
  if (requested.includes('none')) return { generated: [], controllers: [] };
  const controllersCsv = requested.join(',');
  const nonCronJob = requested.filter((c) => c !== 'CronJob');
  const generated: any[] = [];
  const controllers = new Set<string>();
  for (const rule of rules) {
    if (typeof rule.name === 'string' && rule.name.startsWith('autogen-')) continue;
    const forControllers = (controllersList: string[]) => {
      const matchKinds = kindsOf(rule.match);
      const excludeKinds = kindsOf(rule.exclude);
      if (!containsKind(matchKinds, 'Pod') || (excludeKinds.length > 0 && !containsKind(excludeKinds, 'Pod'))) return undefined;
      const validated = controllersList.includes('all')
        ? ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController']
        : controllersList.filter((c) => POD_CONTROLLERS.includes(c) && c !== 'CronJob');
      const kinds = (validated.length > 0 ? validated : controllersList).slice().sort();
      return { rule: generateRule(autogenName('autogen', rule.name), rule, 'template', kinds, true), kinds };
    };
    if (nonCronJob.length > 0) {
      const g = forControllers(nonCronJob);
      if (g?.rule) {
        generated.push({ rule: rewriteReferences(g.rule, POD_REPLACEMENTS), original: rule.name, autogen: 'controllers' });
        g.kinds.forEach((k) => controllers.add(k));
      }
    }
    if (controllersCsv.includes('CronJob') || controllersCsv.includes('all')) {
      const g = forControllers(requested);
      if (g?.rule) {
        const cron = generateRule(autogenName('autogen-cronjob', rule.name), g.rule, 'jobTemplate', ['CronJob'], false);
        if (cron) {
          generated.push({ rule: rewriteReferences(cron, CRONJOB_REPLACEMENTS), original: rule.name, autogen: 'cronjob' });
          controllers.add('CronJob');
        }
      }
    }
  }
  return { generated, controllers: [...controllers].sort() };
}

/**
 * Loads one Kyverno policy object.
 *
 * @throws ValidationError naming the policy, the rule and the field when it is malformed
 */
export function loadPolicy(doc: unknown, source?: string): LoadedPolicy {
  if (!isObject(doc)) throw new ValidationError({ code: 'INVALID_KYVERNO_POLICY', path: source ?? '<policy>', property: 'document', value: JSON.stringify(doc), allowed: 'a Kyverno ClusterPolicy or Policy object' });
  const kind = doc.kind;
  const name = doc.metadata?.name;
  const where = new Where(source, typeof kind === 'string' ? kind : '?', typeof name === 'string' ? name : '?');
  if (!POLICY_KINDS.includes(kind)) throw where.error('kind', kind, 'ClusterPolicy or Policy');
  if (!API_VERSIONS.includes(doc.apiVersion)) throw where.error('apiVersion', doc.apiVersion, API_VERSIONS.join(' or '));
  if (typeof name !== 'string' || name === '') throw where.error('metadata.name', name, 'a non-empty name');
  const annotations = isObject(doc.metadata?.annotations) ? doc.metadata.annotations as Record<string, string> : {};
  const spec = doc.spec;
  if (!isObject(spec)) throw where.error('spec', spec, 'an object with rules');
  if (!Array.isArray(spec.rules) || spec.rules.length === 0) throw where.error('spec.rules', spec.rules, 'a non-empty list of rules');
  const specAction = checkAction(where, 'spec.validationFailureAction', spec.validationFailureAction);
  const specOverrides = checkOverrides(where, 'spec.validationFailureActionOverrides', spec.validationFailureActionOverrides);
  if (spec.applyRules !== undefined && !['All', 'One'].includes(spec.applyRules)) throw where.error('spec.applyRules', spec.applyRules, 'All or One');
  const names = new Set<string>();
  spec.rules.forEach((rule: any, i: number) => {
    if (!isObject(rule)) throw where.error(`spec.rules[${i}]`, rule, 'a rule object');
    if (typeof rule.name !== 'string' || rule.name === '' || rule.name.length > 63) throw where.error(`spec.rules[${i}].name`, rule.name, 'a name of 1 to 63 characters');
    if (names.has(rule.name)) throw where.error(`spec.rules[${i}].name`, rule.name, 'a name unique within the policy');
    names.add(rule.name);
    checkRule(where.forRule(rule.name), i, rule, specAction);
  });

  const toLoaded = (raw: any, originalName: string, autogen?: 'controllers' | 'cronjob'): LoadedRule => {
    const v = isObject(raw.validate) ? raw.validate : {};
    const action = checkAction(where, 'validate.failureAction', v.failureAction ?? v.validationFailureAction) ?? specAction ?? 'Audit';
    const overrides = [...checkOverrides(where, 'validate.failureActionOverrides', v.failureActionOverrides), ...specOverrides];
    const type = ruleType(raw);
    const unsupported = type === 'validate' ? unsupportedFeatures(raw) : [`${type} rules`];
    return {
      name: raw.name, originalName, ...(autogen ? { autogen } : {}), raw, type, failureAction: action, actionOverrides: overrides, unsupported,
    };
  };
  const own = spec.rules.map((r: any) => toLoaded(r, r.name));
  const { generated, controllers } = autogenRules(spec.rules, annotations[AUTOGEN_ANNOTATION]);
  const rules = [
    ...own.filter((r: LoadedRule) => !(generated.length > 0 && r.name.startsWith('autogen-'))),
    ...generated.map((g) => toLoaded(g.rule, g.original, g.autogen)),
  ];
  return {
    kind,
    apiVersion: doc.apiVersion,
    name,
    // a namespaced Policy applies to its namespace (without one, like the Kyverno CLI, to every namespace)
    ...(kind === 'Policy' && typeof doc.metadata?.namespace === 'string' && doc.metadata.namespace !== '' ? { namespace: doc.metadata.namespace } : {}),
    annotations,
    ...(source !== undefined ? { source } : {}),
    raw: doc,
    applyRules: spec.applyRules === 'One' ? 'One' : 'All',
    rules,
    autogenControllers: controllers,
  };
}
