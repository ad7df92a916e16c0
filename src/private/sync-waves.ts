/**
 * Argo CD sync waves of an environment's objects (`argocd.argoproj.io/sync-wave`). In a sync with
 * waves Argo CD applies a wave only once every object of the waves before it reports healthy; in the
 * last wave it does not wait. Data objects: 0 (the default); migrations: 1; applications: 2.
 */
export const APPS_SYNC_WAVE = '2';

/**
 * After the data objects, before the applications: what needs the data objects ready or their Secrets
 * written before it is applied (schema migrations, grants, a RabbitMQ `User` whose Secret the topology
 * operator's webhook must find). Flux applies the data objects of this wave in the `<env>-migrate` layer.
 */
export const AFTER_DATA_SYNC_WAVE = '1';

/**
 * After the applications, the last wave: objects whose health says how their last scheduled run went
 * rather than whether they are in place (mariadb-operator's `Backup` reports Progressing until its
 * CronJob's first run succeeds), so that no sync waits on them.
 */
export const AFTER_APPS_SYNC_WAVE = '3';

/** Argo CD's per-object sync options annotation. */
export const ARGO_CD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/**
 * The sync options an object's annotations give Argo CD: the annotation's comma-separated values, trimmed,
 * empty ones dropped (gitops-engine pkg/sync/resource/annotations.go `GetAnnotationCSVs`); none without it.
 */
export function argoCdSyncOptions(annotations: unknown): string[] {
  const value = annotations !== null && typeof annotations === 'object' ? (annotations as Record<string, unknown>)[ARGO_CD_SYNC_OPTIONS] : undefined;
  return typeof value === 'string' ? value.split(',').map((o) => o.trim()).filter((o) => o !== '') : [];
}
