import { BACKUP_LOCATION_ANNOTATION } from '../../private/engine-facts';
import { apiGroup, isClusterScoped } from '../../private/kinds';
import { parseYaml } from '../../private/yaml-read';

/**
 * The objects of one cdk8s-stateful output that a cluster applies, by identity: the Flux wiring of
 * `clusters/<cluster>/` and the platform objects of `platform/<cluster>/` on that cluster, an environment's
 * `rendered/<env>/` objects on the environment's cluster, the Argo CD wiring of `argocd/` on the cluster
 * running Argo CD. (`base/`, `overlays/` and `layers/` build the same objects as `rendered/`.)
 */
export interface AppliedObject {
  /** The file of the output holding it. */
  readonly file: string;
  /** `Kind namespace/name on cluster "c"`, for messages. */
  readonly label: string;
  /** What the two apps would do about it, for messages. */
  readonly fix: string;
  /** Where it writes a database's backups (`stateful.cdk8s.io/backup-location`: `s3://bucket/path/[ at endpoint]`), if it does. */
  readonly backupLocation?: string;
}

/** The cluster `argocd/` is applied to: the one running Argo CD, whatever clusters the environments name. */
const ARGO_CD_CLUSTER = '\0argocd';

function fixOf(root: string, kind: string, clusterScoped: boolean): string {
  if (root === 'clusters') {
    return kind === 'GitRepository'
      ? 'give each app its own flux.sourceName (or omit flux.repositoryUrl and read the bootstrap source: sourceName "flux-system")'
      : 'give each app its own flux.name (its Kustomizations and deployer ServiceAccounts in flux-system are prefixed with it)';
  }
  if (root === 'argocd') return 'give each app its own argoCd.name (its AppProjects and Applications are named after it)';
  if (kind === 'StorageClass') {
    return 'render the StorageClass in one app only: StorageProfile.existing(name, { encrypted, reclaimPolicy, allowVolumeExpansion, replicas }) '
      + 'in the others, saying what it provides (the data-protection rules read it)';
  }
  if (clusterScoped) return 'render it in one app only';
  return 'give each app its own environment namespaces';
}

/**
 * The objects an output applies, keyed by cluster and identity (group, kind, namespace, name). `files` are the
 * output's files (paths relative to it), `clusterOf` the cluster of each environment the output records.
 */
export function appliedObjects(
  files: Iterable<readonly [string, string]>, clusterOf: ReadonlyMap<string, string>,
): Map<string, AppliedObject> {
  const out = new Map<string, AppliedObject>();
  for (const [file, content] of files) {
    if (!file.endsWith('.yaml')) continue;
    const [root, folder] = file.split('/');
    const cluster = root === 'clusters' || root === 'platform' ? folder
      : root === 'rendered' ? clusterOf.get(folder)
        : root === 'argocd' ? ARGO_CD_CLUSTER : undefined;
    if (cluster === undefined || (root !== 'argocd' && file.split('/').length < 3)) continue;
    let object: any;
    try {
      object = parseYaml(content);
    } catch {
      continue; // verify reports unreadable files; nothing applies them as objects
    }
    const apiVersion = object?.apiVersion;
    const kind = object?.kind;
    const name = object?.metadata?.name;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string') continue;
    const clusterScoped = isClusterScoped(kind);
    const namespace = clusterScoped || typeof object.metadata.namespace !== 'string' ? '' : object.metadata.namespace;
    const key = [cluster, apiGroup(apiVersion), kind, namespace, name].join('\0');
    const where = cluster === ARGO_CD_CLUSTER ? 'in Argo CD' : `on cluster "${cluster}"`;
    const location = root === 'rendered' ? object.metadata.annotations?.[BACKUP_LOCATION_ANNOTATION] : undefined;
    out.set(key, {
      file,
      label: `${kind} ${namespace === '' ? '' : `${namespace}/`}${name} ${where}`,
      fix: fixOf(root, kind, clusterScoped),
      ...(typeof location === 'string' && location !== '' ? { backupLocation: location } : {}),
    });
  }
  return out;
}

/** One object two outputs of the repository apply to the same cluster. */
export interface SharedObject {
  readonly label: string;
  /** This output's file and the other output's, as repository paths. */
  readonly file: string;
  readonly otherFile: string;
  readonly fix: string;
}

/**
 * The objects both outputs apply to one cluster. Each tool then holds one object for two owners: Flux's
 * Kustomizations re-apply it in turn (the last one's `spec` and owner labels win) and the one that owns it
 * prunes it when its output drops it (fluxcd/kustomize-controller `deleteObjects`: the objects labelled with its
 * name and namespace), while the other still renders it; Argo CD reports it in two Applications
 * (SharedResourceWarning) and rewrites its tracking annotation at each sync.
 */
export function sharedObjects(
  mine: ReadonlyMap<string, AppliedObject>, minePrefix: string, other: ReadonlyMap<string, AppliedObject>, otherPrefix: string,
): SharedObject[] {
  const at = (prefix: string, file: string) => (prefix === '' ? file : `${prefix}/${file}`);
  const shared: SharedObject[] = [];
  for (const [key, o] of mine) {
    const theirs = other.get(key);
    if (theirs !== undefined) shared.push({ label: o.label, file: at(minePrefix, o.file), otherFile: at(otherPrefix, theirs.file), fix: o.fix });
  }
  return shared.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** `s3://bucket/path/` and the endpoint of a backup location's text (`<url>[ at <endpoint>]`). */
function parseLocation(text: string): { url: string; endpoint: string } {
  const at = text.indexOf(' at ');
  const url = at < 0 ? text : text.slice(0, at);
  return { url: url.endsWith('/') ? url : `${url}/`, endpoint: at < 0 ? '' : text.slice(at + 4) };
}

/**
 * The backups of two different databases written to one place of one object store by two outputs: the same
 * folder, or one inside the other (object stores are shared by every cluster: the clusters need not be the same).
 * Each would overwrite the other's log archive and delete its backups by its own retention, as within one app
 * (`ReplicatedDatabase` refuses that at synthesis; another app's databases are known only here). An object both
 * outputs apply is reported by `sharedObjects` already.
 */
export function sharedBackupLocations(
  mine: ReadonlyMap<string, AppliedObject>, minePrefix: string, other: ReadonlyMap<string, AppliedObject>, otherPrefix: string,
): SharedObject[] {
  const at = (prefix: string, file: string) => (prefix === '' ? file : `${prefix}/${file}`);
  const theirs = [...other].filter(([, o]) => o.backupLocation !== undefined)
    .map(([key, o]) => ({ key, o, where: parseLocation(o.backupLocation!) }));
  const shared: SharedObject[] = [];
  for (const [key, o] of mine) {
    if (o.backupLocation === undefined) continue;
    const where = parseLocation(o.backupLocation);
    for (const t of theirs) {
      if (t.key === key || t.where.endpoint !== where.endpoint) continue;
      if (!t.where.url.startsWith(where.url) && !where.url.startsWith(t.where.url)) continue;
      shared.push({
        label: `backups of ${o.label} (${o.backupLocation}) and of ${t.o.label} (${t.o.backupLocation})`,
        file: at(minePrefix, o.file),
        otherFile: at(otherPrefix, t.o.file),
        fix: 'give each database its own backup location (backup.destination.destinationPath, or backup.serverName): two databases writing one '
          + 'place overwrite each other\'s log archive and delete each other\'s backups by their own retention',
      });
    }
  }
  return shared.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
