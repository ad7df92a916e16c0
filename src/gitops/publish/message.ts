import { Compliance, ComplianceFinding, complianceLines } from './compliance';
import { FileChangeKind, PublishedFile } from './types';
import { analyzeChanges, PreviousObject } from '../change-safety';
import { EnvironmentRecord } from '../writer';

/** The objects of one scope (an environment, or a cluster's platform layer) that change. */
export interface ScopeChanges {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: { readonly object: string; readonly fields: string[] }[];
  readonly renamed: { readonly from: string; readonly to: string }[];
}

export const envScope = (name: string) => `env:${name}`;
export const platformScope = (cluster: string) => `platform:${cluster}`;

function label(m: any): string {
  const ns = typeof m?.metadata?.namespace === 'string' && m.metadata.namespace ? `${m.metadata.namespace}/` : '';
  return `${m?.kind} ${ns}${m?.metadata?.name}`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Objects added, removed, changed (with the JSON pointers that changed) and renamed, per scope. */
export function objectChanges(previous: readonly PreviousObject[], next: readonly PreviousObject[]): Map<string, ScopeChanges> {
  const set = analyzeChanges([...previous], next.map((o) => ({ ...o, cluster: o.cluster ?? '' })));
  type Mutable = { added: string[]; removed: string[]; changed: { object: string; fields: string[] }[]; renamed: { from: string; to: string }[] };
  const scopes = new Map<string, Mutable>();
  const scopeOf = (o: { environment?: string; cluster?: string }) => (o.environment !== undefined ? envScope(o.environment) : platformScope(o.cluster ?? ''));
  const get = (key: string) => {
    let s = scopes.get(key);
    if (!s) {
      s = { added: [], removed: [], changed: [], renamed: [] };
      scopes.set(key, s);
    }
    return s;
  };
  for (const o of set.added) get(scopeOf(o)).added.push(label(o.manifest));
  for (const o of set.removed) get(scopeOf(o)).removed.push(label(o.manifest));
  for (const c of set.changed) get(scopeOf(c.after)).changed.push({ object: label(c.after.manifest), fields: [...new Set(c.fields)].sort(cmp) });
  for (const r of set.renamed) get(scopeOf(r.after)).renamed.push({ from: label(r.before.manifest), to: r.after.manifest.metadata.name });
  for (const s of scopes.values()) {
    s.added.sort(cmp);
    s.removed.sort(cmp);
    s.changed.sort((a, b) => cmp(a.object, b.object));
    s.renamed.sort((a, b) => cmp(a.from, b.from));
  }
  return scopes;
}

/** Number of objects that change in a scope. */
export function changeCount(s: ScopeChanges | undefined): number {
  return s ? s.added.length + s.removed.length + s.changed.length + s.renamed.length : 0;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function countsText(s: { added: number; changed: number; removed: number; renamed: number }): string {
  const parts: string[] = [];
  if (s.added) parts.push(`${s.added} added`);
  if (s.changed) parts.push(`${s.changed} changed`);
  if (s.removed) parts.push(`${s.removed} removed`);
  if (s.renamed) parts.push(`${s.renamed} renamed`);
  return parts.join(', ');
}

const MAX_OBJECT_LINES = 200;

function objectLines(s: ScopeChanges | undefined): string[] {
  if (!s) return [];
  const sorted = (list: string[]) => [...list].sort(cmp);
  const lines = [
    ...sorted(s.added).map((o) => `  + ${o}`),
    ...[...s.changed].sort((a, b) => cmp(a.object, b.object)).map((c) => `  ~ ${c.object}${c.fields.length ? `: ${c.fields.slice(0, 3).join(', ')}${c.fields.length > 3 ? ` (+${c.fields.length - 3} more)` : ''}` : ''}`),
    ...sorted(s.removed).map((o) => `  - ${o}`),
    ...[...s.renamed].sort((a, b) => cmp(a.from, b.from)).map((r) => `  > ${r.from} renamed to ${r.to}`),
  ];
  return lines.length > MAX_OBJECT_LINES ? [...lines.slice(0, MAX_OBJECT_LINES), `  ... and ${lines.length - MAX_OBJECT_LINES} more objects`] : lines;
}

/** Which section of the message a finding belongs to. */
export function findingScope(f: ComplianceFinding, environments: ReadonlySet<string>): string {
  if (f.environment !== undefined && environments.has(f.environment)) return envScope(f.environment);
  const platform = /^platform\/([^/]+)$/.exec(f.environment ?? '') ?? /^platform\/([^/]+)\//.exec(f.file ?? '');
  if (platform) return platformScope(platform[1]);
  const rendered = /^rendered\/([^/]+)\//.exec(f.file ?? '');
  if (rendered && environments.has(rendered[1])) return envScope(rendered[1]);
  return 'other';
}

export interface MessageInput {
  /** `--message`: replaces the generated summary line. */
  readonly subject?: string;
  /** Environments the branch holds. */
  readonly environments: readonly EnvironmentRecord[];
  /** Environments the branch held before and the output no longer renders. */
  readonly removedEnvironments?: readonly EnvironmentRecord[];
  /** Clusters whose platform layer the branch holds (none on an environment branch). */
  readonly platformClusters: readonly string[];
  readonly changes: ReadonlyMap<string, ScopeChanges>;
  /** Files outside rendered/ and platform/ that change (paths relative to the output directory). */
  readonly otherFiles: readonly PublishedFile[];
  /** Every file change (for the summary line when no object changes). */
  readonly fileCount: number;
  readonly compliance: Compliance;
  readonly libraryVersion: string;
  /** Environment of an environment branch. */
  readonly environmentBranch?: string;
}

/**
 * The commit message: a one-line summary; then per environment the objects added / changed /
 * removed / renamed and its compliance summary (packs, findings by severity, suppressions and change
 * approvals with their reasons); the platform layer per cluster; other files. Deterministic.
 */
export function commitMessage(input: MessageInput): string {
  const envNames = new Set(input.environments.map((e) => e.name));
  const scopes = [...input.changes.values()];
  const totals = {
    added: scopes.reduce((n, s) => n + s.added.length, 0),
    changed: scopes.reduce((n, s) => n + s.changed.length, 0),
    removed: scopes.reduce((n, s) => n + s.removed.length, 0),
    renamed: scopes.reduce((n, s) => n + s.renamed.length, 0),
  };
  const removedEnvs = [...(input.removedEnvironments ?? [])].filter((e) => !envNames.has(e.name)).sort((a, b) => cmp(a.name, b.name));
  const touchedEnvs = [...input.environments, ...removedEnvs].sort((a, b) => cmp(a.name, b.name))
    .filter((e) => changeCount(input.changes.get(envScope(e.name))) > 0).map((e) => e.name);
  const platformTouched = input.platformClusters.some((c) => changeCount(input.changes.get(platformScope(c))) > 0);
  const touched = [...touchedEnvs, ...(platformTouched ? ['platform'] : [])];
  const counts = countsText(totals) || (input.fileCount ? `${plural(input.fileCount, 'file')} changed` : 'owned-files manifest updated');
  // the platform layer is not an environment: "3 environments and platform", never "4 environments"
  const where = touched.length === 0 ? (input.environmentBranch ?? 'output')
    : touched.length > 3 ? `${plural(touchedEnvs.length, 'environment')}${platformTouched ? ' and platform' : ''}` : touched.join(', ');
  const subject = input.subject?.trim() || `cdk8s-stateful: publish ${where} (${counts})`;

  const findings = input.compliance.findings;
  const inScope = (key: string) => findings.filter((f) => findingScope(f, envNames) === key);
  const lines: string[] = [subject, ''];
  for (const env of [...input.environments].sort((a, b) => cmp(a.name, b.name))) {
    const s = input.changes.get(envScope(env.name));
    const n = changeCount(s);
    lines.push(`Environment ${env.name} (${env.tier}; cluster ${env.cluster}, namespace ${env.namespace}): ${n ? countsText({
      added: s!.added.length, changed: s!.changed.length, removed: s!.removed.length, renamed: s!.renamed.length,
    }) : 'no object changed'}`);
    lines.push(...objectLines(s));
    lines.push(...complianceLines(env.packs, inScope(envScope(env.name))));
    lines.push('');
  }
  for (const env of removedEnvs) {
    const s = input.changes.get(envScope(env.name));
    lines.push(`Environment ${env.name} (${env.tier}; cluster ${env.cluster}, namespace ${env.namespace}): no longer rendered${changeCount(s) ? `, ${countsText({
      added: s!.added.length, changed: s!.changed.length, removed: s!.removed.length, renamed: s!.renamed.length,
    })}` : ''}`);
    lines.push(...objectLines(s));
    lines.push('');
  }
  for (const cluster of [...input.platformClusters].sort(cmp)) {
    const s = input.changes.get(platformScope(cluster));
    const n = changeCount(s);
    lines.push(`Platform ${cluster} (cluster-scoped prerequisites): ${n ? countsText({
      added: s!.added.length, changed: s!.changed.length, removed: s!.removed.length, renamed: s!.renamed.length,
    }) : 'no object changed'}`);
    lines.push(...objectLines(s));
    const packs = [...new Set(input.environments.filter((e) => e.cluster === cluster).flatMap((e) => e.packs))];
    lines.push(...complianceLines(packs, inScope(platformScope(cluster))));
    lines.push('');
  }
  if (!input.environmentBranch) {
    const other = inScope('other');
    if (other.length) {
      lines.push('Findings outside any environment:');
      lines.push(...complianceLines([], other).slice(1));
      lines.push('');
    }
  }
  if (input.otherFiles.length) {
    const sign = { [FileChangeKind.ADDED]: '+', [FileChangeKind.CHANGED]: '~', [FileChangeKind.REMOVED]: '-' };
    lines.push(`Other files: ${plural(input.otherFiles.length, 'file')}`);
    for (const f of input.otherFiles.slice(0, MAX_OBJECT_LINES)) lines.push(`  ${sign[f.change]} ${f.path}`);
    if (input.otherFiles.length > MAX_OBJECT_LINES) lines.push(`  ... and ${input.otherFiles.length - MAX_OBJECT_LINES} more files`);
    lines.push('');
  }
  const source = input.compliance.source === 'app-report'
    ? 'the app\'s policy report'
    : 'the recorded packs re-run on the output; model rules and change approvals are in the app\'s report only';
  lines.push(`Policy gate passed: no unsuppressed error-level finding (compliance: ${source}).`);
  lines.push(`Published by cdk8s-stateful ${input.libraryVersion}.`);
  return lines.join('\n') + '\n';
}
