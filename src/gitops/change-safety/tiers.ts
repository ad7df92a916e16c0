import { RiskyChange } from './analyze';
import { PreviousObject, PreviousOutput } from './previous-output';
import { Tier } from '../../environment/tier';
import { argoCdSyncOptions } from '../../private/sync-waves';
import { FLUX_PRUNE_ANNOTATION, FLUX_PRUNE_DISABLED, isDataBearing } from '../data-objects';

/** What the tier checks need to know of an environment of the new output. */
interface TieredEnvironment {
  readonly name: string;
  readonly tier: string;
  readonly cluster: string;
}

const RANK: Record<string, number> = { [Tier.DEVELOPMENT]: 0, [Tier.STAGING]: 1, [Tier.PRODUCTION]: 2 };

/** How critical a tier is; a tier this version does not know (a hand-edited manifest) counts as production. */
export function tierRank(tier: string | undefined): number {
  if (tier === undefined) return -1;
  return RANK[tier] ?? RANK[Tier.PRODUCTION];
}

/** The more critical of two tiers (undefined when both are). */
export function moreCritical(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return tierRank(b) > tierRank(a) ? b : a;
}

/**
 * The tier change safety applies to an environment: the more critical of the tier it has now and
 * the tier the previous output recorded. Demoting `prod` to staging in the same change as a
 * rename must not turn the rename's error into a warning: the objects at stake were deployed as
 * production.
 */
export function effectiveTier(envName: string, environments: readonly TieredEnvironment[], previous: PreviousOutput): string | undefined {
  return moreCritical(environments.find((e) => e.name === envName)?.tier, previous.tiers.get(envName));
}

/** The tier of a cluster's platform layer: the most critical of the environments on it, now or in the previous output. */
export function clusterTier(cluster: string | undefined, environments: readonly TieredEnvironment[], previous: PreviousOutput): string | undefined {
  let tier: string | undefined;
  for (const e of environments) if (e.cluster === cluster) tier = moreCritical(tier, e.tier);
  for (const [name, recorded] of previous.tiers) if (previous.clusters.get(name) === cluster) tier = moreCritical(tier, recorded);
  return tier;
}

/** The data-bearing objects of an environment in the previous output (by file), and how a message names them. */
function dataOf(envName: string, previous: PreviousOutput): { data: PreviousObject[]; names: string } {
  const data = previous.objects
    .filter((o) => o.environment === envName && isDataBearing(o.manifest))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const names = data.slice(0, 3).map((o) => `${o.manifest.kind} "${o.manifest.metadata.name}"`).join(', ') + (data.length > 3 ? ` and ${data.length - 3} more` : '');
  return { data, names };
}

/**
 * `CHANGE-TierDowngrade`: an environment whose previous output holds data-bearing objects is now of
 * a less critical tier. One risk per environment, located on its first data-bearing object.
 */
export function tierDowngrades(environments: readonly TieredEnvironment[], previous: PreviousOutput): RiskyChange[] {
  const risks: RiskyChange[] = [];
  for (const env of environments) {
    const recorded = previous.tiers.get(env.name);
    if (recorded === undefined || tierRank(env.tier) >= tierRank(recorded)) continue;
    const { data, names } = dataOf(env.name, previous);
    if (data.length === 0) continue;
    risks.push({
      ruleId: 'CHANGE-TierDowngrade',
      message: `environment "${env.name}" goes from ${recorded} to ${env.tier} while it holds data (${names}): `
        + 'its policies and change-safety findings would no longer block',
      manifest: data[0].manifest,
      file: data[0].file,
      environment: env.name,
      cluster: env.cluster,
    });
  }
  return risks;
}

/** Whether a previous object was written with its prune disabled (Flux `prune: disabled`, Argo CD `Prune=false`). */
function neverPruned(o: PreviousObject): boolean {
  const annotations = o.manifest?.metadata?.annotations ?? {};
  return annotations[FLUX_PRUNE_ANNOTATION] === FLUX_PRUNE_DISABLED || argoCdSyncOptions(annotations).includes('Prune=false');
}

/**
 * `CHANGE-EnvironmentMoved`: an environment whose previous output holds data-bearing objects now
 * deploys to another cluster. The manifests move, the data does not: the new cluster starts without
 * it, and in the old one the objects are left behind. Wired for Flux or Argo CD, the output disables
 * the prune of the data objects and of the environment's Namespace: they stay there, running and
 * unmanaged, until someone deletes them (an Argo CD Application whose destination moves no longer
 * looks at the old cluster; Flux garbage-collects the rest of the old layers, never what it must not
 * prune). A Namespace written without that (no wiring: a tool pointed at `platform/` prunes it) is
 * deleted with everything in it once the old platform layer no longer holds it. One risk per
 * environment, located on its first data-bearing object; the message depends on the environment and
 * the previous output only (a shard judges it as the whole run does). Reads the previous objects only
 * when a cluster changed.
 */
export function environmentMoves(environments: readonly TieredEnvironment[], previous: PreviousOutput): RiskyChange[] {
  const risks: RiskyChange[] = [];
  for (const env of environments) {
    const recorded = previous.clusters.get(env.name);
    if (recorded === undefined || recorded === env.cluster) continue;
    const { data, names } = dataOf(env.name, previous);
    if (data.length === 0) continue;
    const namespaces = [...new Set(data.map((o) => o.manifest.metadata?.namespace).filter((n): n is string => typeof n === 'string'))].sort();
    const quoted = namespaces.map((n) => `"${n}"`).join(', ');
    // the output disables the prune of the data objects and of the Namespaces under one condition (a Flux or Argo CD
    // wiring: GitOpsApp's finishing, `isNeverPruned`): read from the data objects, which a shard sees too (the old
    // cluster's platform layer may be another shard's)
    const kept = namespaces.length > 0 && data.every(neverPruned);
    const fate = kept
      ? `left behind with their Namespace ${quoted} (never pruned), running but no longer managed from Git until someone deletes them there `
        + '(a database left running keeps writing to its backup location)'
      : `left behind, deleted${namespaces.length > 0 ? ` with their Namespace ${quoted}` : ''} when the platform layer there no longer holds it`;
    risks.push({
      ruleId: 'CHANGE-EnvironmentMoved',
      message: `environment "${env.name}" moves from cluster "${recorded}" to "${env.cluster}" while it holds data (${names}): `
        + `the data does not move with it: cluster "${env.cluster}" starts without it, and in cluster "${recorded}" its objects are ${fate}`,
      manifest: data[0].manifest,
      file: data[0].file,
      environment: env.name,
      cluster: env.cluster,
    });
  }
  return risks;
}
