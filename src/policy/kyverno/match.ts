/**
 * Kyverno `match` / `exclude` (pkg/engine/utils/match.go): kinds (with group/version and
 * wildcards), names, namespaces, annotations, label and namespace selectors, operations. Internal module.
 */
import { isObject, wildcardMatch } from './values';
import { expressionsMatch } from '../packs/workloads';

/** What a resource is matched with. */
export interface MatchTarget {
  readonly resource: any;
  /** Labels of the resource's namespace (namespaceSelector). */
  readonly namespaceLabels: Record<string, string>;
  /** The admission operation (CREATE by default). */
  readonly operation: string;
}

const VERSION = /^(v\d+((alpha|beta)\d+)?|\*)$/;

/** Kyverno `ParseKindSelector`: group, version, kind, subresource (`*` where unspecified). */
export function parseKindSelector(input: string): [string, string, string, string] {
  let parts = input.split('/');
  parts = [...parts.slice(0, -1), ...parts[parts.length - 1].split('.')];
  switch (parts.length) {
    case 1: return ['*', '*', parts[0], ''];
    case 2:
      if (parts[0] === '*' && parts[1] === '*') return ['*', '*', '*', '*'];
      if (parts[0] === '*' && parts[1].toLowerCase() === parts[1]) return ['*', '*', '*', parts[1]];
      if (VERSION.test(parts[0])) return ['*', parts[0], parts[1], ''];
      return ['*', '*', parts[0], parts[1]];
    case 3:
      if (VERSION.test(parts[0])) return ['*', parts[0], parts[1], parts[2]];
      return [parts[0], parts[1], parts[2], ''];
    case 4: return [parts[0], parts[1], parts[2], parts[3]];
    default: return ['', '', '', ''];
  }
}

/** group, version, kind of a resource. */
export function gvkOf(resource: any): [string, string, string] {
  const apiVersion = typeof resource?.apiVersion === 'string' ? resource.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  return [slash < 0 ? '' : apiVersion.slice(0, slash), slash < 0 ? apiVersion : apiVersion.slice(slash + 1), String(resource?.kind ?? '')];
}

/** Whether one of the kind selectors matches the resource (subresources never match a whole object). */
export function kindMatches(kinds: readonly string[], resource: any): boolean {
  const [group, version, kind] = gvkOf(resource);
  return kinds.some((k) => {
    const [g, v, kd, sub] = parseKindSelector(k);
    if (!(wildcardMatch(g, group) && wildcardMatch(v, version) && wildcardMatch(kd, kind))) return false;
    // Kyverno matches Pod/ephemeralcontainers on Pods too (backward compatibility)
    return wildcardMatch(sub, '') || (sub === 'ephemeralcontainers' && kd === 'Pod' && kind === 'Pod' && group === '' && version === 'v1');
  });
}

/** A Kubernetes label selector with Kyverno's wildcards in matchLabels. */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (!isObject(selector)) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (k.includes('*') || k.includes('?') || String(v).includes('*') || String(v).includes('?')) {
      if (!Object.entries(labels).some(([lk, lv]) => wildcardMatch(k, lk) && wildcardMatch(String(v), lv))) return false;
    } else if (labels[k] !== v) {return false;}
  }
  return expressionsMatch(selector.matchExpressions, labels);
}

function labelsOf(resource: any): Record<string, string> {
  return isObject(resource?.metadata?.labels) ? resource.metadata.labels : {};
}

/** Kyverno `doesResourceMatchConditionBlock`: every attribute set must match (user info is ignored: no admission user). */
function descriptionMatches(rd: any, target: MatchTarget): boolean {
  const r = target.resource;
  if (Array.isArray(rd.kinds) && rd.kinds.length > 0 && !kindMatches(rd.kinds, r)) return false;
  const name = String(r?.metadata?.name ?? r?.metadata?.generateName ?? '');
  if (typeof rd.name === 'string' && rd.name !== '' && !wildcardMatch(rd.name, name)) return false;
  if (Array.isArray(rd.names) && rd.names.length > 0 && !rd.names.some((n: string) => wildcardMatch(n, name))) return false;
  if (Array.isArray(rd.namespaces) && rd.namespaces.length > 0) {
    const ns = r?.kind === 'Namespace' ? String(r?.metadata?.name ?? '') : String(r?.metadata?.namespace ?? '');
    if (!rd.namespaces.some((n: string) => wildcardMatch(n, ns))) return false;
  }
  if (isObject(rd.annotations) && Object.keys(rd.annotations).length > 0) {
    const annotations: Record<string, string> = isObject(r?.metadata?.annotations) ? r.metadata.annotations : {};
    for (const [k, v] of Object.entries(rd.annotations)) {
      if (!Object.entries(annotations).some(([ak, av]) => wildcardMatch(k, ak) && wildcardMatch(String(v), String(av)))) return false;
    }
  }
  if (rd.selector !== undefined && rd.selector !== null && !selectorMatches(rd.selector, labelsOf(r))) return false;
  if (rd.namespaceSelector !== undefined && rd.namespaceSelector !== null && r?.kind !== 'Namespace'
    && !selectorMatches(rd.namespaceSelector, target.namespaceLabels)) return false;
  if (Array.isArray(rd.operations) && rd.operations.length > 0 && !rd.operations.includes(target.operation)) return false;
  return true;
}

function isEmptyDescription(rd: any): boolean {
  return !isObject(rd) || Object.keys(rd).filter((k) => rd[k] !== undefined && rd[k] !== null).length === 0;
}

function filterMatches(filter: any, target: MatchTarget): boolean {
  // an empty match filter matches nothing ("match cannot be empty"); user info alone never matches at synthesis
  if (isEmptyDescription(filter?.resources)) return false;
  return descriptionMatches(filter.resources, target);
}

function filterExcludes(filter: any, target: MatchTarget): boolean {
  if (isEmptyDescription(filter?.resources)) return false;
  if (filter.subjects !== undefined || filter.roles !== undefined || filter.clusterRoles !== undefined) return false;
  return descriptionMatches(filter.resources, target);
}

/** The filter of a block written without any / all (`resources`, `subjects`, `roles`, `clusterRoles`). */
function legacyFilter(block: any): any {
  return { resources: block.resources, subjects: block.subjects, roles: block.roles, clusterRoles: block.clusterRoles };
}

/** Whether a rule's `match` selects the resource and its `exclude` does not. */
export function ruleMatches(match: any, exclude: any, target: MatchTarget): boolean {
  if (!isObject(match)) return false;
  let matched: boolean;
  if (Array.isArray(match.any) && match.any.length > 0) matched = match.any.some((f: any) => filterMatches(f, target));
  else if (Array.isArray(match.all) && match.all.length > 0) matched = match.all.every((f: any) => filterMatches(f, target));
  else matched = filterMatches(legacyFilter(match), target);
  if (!matched) return false;
  if (!isObject(exclude)) return true;
  if (Array.isArray(exclude.any) && exclude.any.length > 0) return !exclude.any.some((f: any) => filterExcludes(f, target));
  if (Array.isArray(exclude.all) && exclude.all.length > 0) return !exclude.all.every((f: any) => filterExcludes(f, target));
  return !filterExcludes(legacyFilter(exclude), target);
}
