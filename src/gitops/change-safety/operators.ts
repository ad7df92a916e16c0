import type { NextObject, RiskyChange } from './analyze';
import { PreviousObject, PreviousOutput } from './previous-output';
import type { OperatorUpgrade } from '../../private/kind-facts';
import { isDataBearing, KIND_FACTS } from '../../private/kind-registry';
import { apiGroup } from '../../private/kinds';

/** The operators whose upgrades are reported, with the API group of the kinds they manage (the engines' kind facts). */
function operatorFacts(): Array<OperatorUpgrade & { readonly group: string }> {
  return KIND_FACTS.flatMap((f) => (f.operatorUpgrade ? [{ ...f.operatorUpgrade, group: f.group }] : []));
}

/** Whether an Argo CD Application's source installs the operator (its chart, or its Git repository). */
function installs(upgrade: OperatorUpgrade, source: any): boolean {
  if (typeof source?.chart === 'string' && upgrade.charts.includes(source.chart)) return true;
  const url = typeof source?.repoURL === 'string' ? source.repoURL.replace(/(\.git)?\/?$/, '') : undefined;
  return url !== undefined && (upgrade.repositories ?? []).some((r) => url.endsWith(r));
}

/** `MAJOR.MINOR.PATCH` of a pinned chart version or tag (`v` optional). */
function versionOf(text: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** The cluster of an operator's Application (`<name>-operator-<operator>-<cluster>`): the longest known cluster its name ends with. */
function clusterOf(application: string, clusters: readonly string[]): string | undefined {
  return clusters.filter((c) => application.endsWith(`-${c}`)).sort((a, b) => b.length - a.length)[0];
}

/**
 * `CHANGE-OperatorUpgraded`: the version an operator's Argo CD Application pins (`spec.source.targetRevision`) changed
 * between the previous output and the new one, for an operator whose upgrade acts on the data services it manages
 * (`KindFacts.operatorUpgrade` of the engines), on a cluster where the new output holds data-bearing objects of its kinds. One Application per
 * cluster, one version for all of them: the change reaches every cluster in the same sync. One risk per Application,
 * on the cluster's platform layer (its tier is its most critical environment's).
 */
export function operatorUpgrades(previous: PreviousOutput, nextOperators: readonly PreviousObject[], next: readonly NextObject[],
  environments: readonly { readonly name: string; readonly cluster: string }[]): RiskyChange[] {
  const before = new Map((previous.operators ?? []).map((o) => [o.manifest.metadata.name, o]));
  if (before.size === 0) return [];
  const clusters = [...new Set([...environments.map((e) => e.cluster), ...previous.clusters.values(), ...next.map((o) => o.cluster)])];
  const risks: RiskyChange[] = [];
  for (const after of nextOperators) {
    const name = after.manifest.metadata.name;
    const was = before.get(name);
    if (was === undefined) continue;
    const from = was.manifest.spec.source.targetRevision;
    const to = after.manifest.spec.source.targetRevision;
    if (from === to) continue;
    const facts = operatorFacts().find((f) => installs(f, after.manifest.spec.source));
    const cluster = clusterOf(name, clusters);
    if (facts === undefined || cluster === undefined) continue;
    // the environments of the cluster whose objects the operator manages (data-bearing kinds of its API groups)
    const managed = next.filter((o) => o.cluster === cluster && o.environment !== undefined
      && apiGroup(o.manifest.apiVersion) === facts.group && isDataBearing(o.manifest));
    if (managed.length === 0) continue;
    const byEnvironment = new Map<string, string[]>();
    for (const o of managed) byEnvironment.set(o.environment!, [...byEnvironment.get(o.environment!) ?? [], `${o.manifest.kind} "${o.manifest.metadata.name}"`]);
    const affected = [...byEnvironment.keys()].sort().map((env) => {
      const objects = byEnvironment.get(env)!.sort();
      return `"${env}" (${objects.slice(0, 3).join(', ')}${objects.length > 3 ? ` and ${objects.length - 3} more` : ''})`;
    }).join(', ');
    const [x, y] = [versionOf(from), versionOf(to)];
    const down = x !== undefined && y !== undefined && compareVersions(y, x) < 0;
    const what = down
      ? `${facts.title} is downgraded from ${from} to ${to} on cluster "${cluster}": an older operator takes over the objects (and custom `
        + `resource definitions) the newer one wrote (${facts.downgrade}): restore the version, or check in the release notes that the older `
        + 'version supports them. Whatever it changes in the Pods it renders rolls them like an upgrade: '
      : `${facts.title} is upgraded from ${from} to ${to} on cluster "${cluster}": `;
    risks.push({
      ruleId: 'CHANGE-OperatorUpgraded',
      message: `${what}${facts.onUpgrade}. Affected environment(s): ${affected}; every cluster gets the new version in the same sync, `
        + `production and the others alike. ${facts.safely}. Then approve the change (ChangeApprovals.approve(scope, { ruleId: 'CHANGE-OperatorUpgraded', `
        + `kind: 'Application', name: '${name}', reason }))`,
      manifest: after.manifest,
      file: after.file,
      cluster,
    });
  }
  return risks;
}
