import { getValueByPointer } from 'fast-json-patch';
import type { LoginUsersField } from './kind-facts';
import { lazyValue } from './lazy';

/**
 * Facts an engine declares on the objects it renders, read by the rest of the pipeline without
 * naming an operator's kinds.
 */

/**
 * Pod template annotation: a digest of the configuration (ConfigMaps, Secrets) the pods read, so a
 * configuration change rolls them. It is derived from objects compared in their own right, so
 * change safety leaves it out when it recognises a rename.
 */
export const CONFIG_HASH_ANNOTATION = 'stateful.cdk8s.io/config-hash';

/**
 * The users of a database or broker whose engine keeps users it is no longer told about (the
 * StatefulSet engines), on the object that runs it: `stateful.cdk8s.io/login-users` (comma-separated, sorted)
 * and, when there are any, `stateful.cdk8s.io/retired-users`. Change safety reads them through the
 * engine's kind facts (`CHANGE-UserRemoved`).
 */
export const LOGIN_USERS_ANNOTATION = 'stateful.cdk8s.io/login-users';
export const RETIRED_USERS_ANNOTATION = 'stateful.cdk8s.io/retired-users';

/**
 * The StatefulSet annotations listing a database's (or broker's) login users and retired users
 * (above; the models list both sorted by name), computed at synthesis (users may be added or retired
 * until then); the retired one only when there are any.
 */
export function loginUsersAnnotations(db: { users(): { name: string }[]; retiredUsers(): string[] }): { [key: string]: string } {
  return {
    [LOGIN_USERS_ANNOTATION]: lazyValue(() => db.users().map((u) => u.name).join(',')),
    [RETIRED_USERS_ANNOTATION]: lazyValue(() => db.retiredUsers().join(',') || undefined),
  };
}

/**
 * The reader of the login and retired users of a StatefulSet engine's StatefulSet, for the objects
 * of `construct`'s engines (`ReplicatedDatabase`, `MessageQueue`): its annotations, or, in output
 * rendered before they existed, the users whose password its pods mount (the projected volume
 * `users`, item paths `<user>` or `<user>/password`; no retired user then).
 */
export function loginUsersOfStatefulSet(construct: string): (manifest: any) => LoginUsersField | undefined {
  return (manifest) => {
    const annotations = manifest?.metadata?.annotations;
    const login = annotations?.[LOGIN_USERS_ANNOTATION];
    if (typeof login !== 'string') return mountedUsers(manifest, construct);
    const retired = annotations[RETIRED_USERS_ANNOTATION];
    const names = (v: unknown) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : []);
    return { login: names(login), retired: names(retired), pointer: `/metadata/annotations/${LOGIN_USERS_ANNOTATION.replace(/\//g, '~1')}`, construct };
  };
}

/** The users whose password Secret the pods of a StatefulSet mount (volume `users`), or undefined for an object without a pod template. */
function mountedUsers(manifest: any, construct: string): LoginUsersField | undefined {
  const volumes = manifest?.spec?.template?.spec?.volumes;
  if (!Array.isArray(volumes)) return undefined;
  const at = volumes.findIndex((v: any) => v?.name === 'users');
  const sources = at < 0 ? [] : volumes[at]?.projected?.sources;
  const login = new Set<string>();
  for (const source of Array.isArray(sources) ? sources : []) {
    for (const item of Array.isArray(source?.secret?.items) ? source.secret.items : []) {
      if (typeof item?.path === 'string' && item.path !== '') login.add(item.path.split('/')[0]);
    }
  }
  return { login: [...login].sort(), retired: [], pointer: at < 0 ? '/spec/template/spec/volumes' : `/spec/template/spec/volumes/${at}`, construct };
}

/**
 * The backup facts an engine declares on the objects it renders, so that change safety (and any
 * other reader) knows which objects are a database's backups and how long they are kept without
 * naming an operator's kinds. Annotations owned by this library:
 *
 * - `stateful.cdk8s.io/backup-of: <database>` on every object whose removal stops the backups of
 *   `<database>` (CloudNativePG's `ScheduledBackup` and Barman Cloud `ObjectStore`, the StatefulSet
 *   engine's backup `CronJob`);
 * - `stateful.cdk8s.io/backup-retention: <n>d` on the object that applies the retention;
 * - `stateful.cdk8s.io/backup-retention-field: <JSON pointer>` where that object's own field holding
 *   the retention lives (what a finding points at);
 * - `stateful.cdk8s.io/backup-archive: <JSON pointer>` on a data-bearing object that archives its
 *   log continuously to the backups (CloudNativePG's WAL archiving), at the field that configures it;
 * - `stateful.cdk8s.io/backup-location: <URL>[ at <endpoint URL>]` on the object that writes the
 *   backups (or the log archive) to an object store: the folder it writes them to, with the endpoint of
 *   a store other than AWS S3; `stateful.cdk8s.io/backup-location-field: <JSON pointer>` where that
 *   object configures it (what a finding points at).
 */
export const BACKUP_OF_ANNOTATION = 'stateful.cdk8s.io/backup-of';
export const BACKUP_RETENTION_ANNOTATION = 'stateful.cdk8s.io/backup-retention';
export const BACKUP_RETENTION_FIELD_ANNOTATION = 'stateful.cdk8s.io/backup-retention-field';
export const BACKUP_ARCHIVE_ANNOTATION = 'stateful.cdk8s.io/backup-archive';
export const BACKUP_LOCATION_ANNOTATION = 'stateful.cdk8s.io/backup-location';
export const BACKUP_LOCATION_FIELD_ANNOTATION = 'stateful.cdk8s.io/backup-location-field';

/** Where an object writes a database's backups: the folder, the endpoint of a store other than AWS S3, the field. */
export interface BackupLocation {
  /** `s3://bucket/path/` (with a final `/`): the folder the object writes to. */
  readonly url: string;
  readonly endpointUrl?: string;
  /** The JSON pointer of the field that configures it. */
  readonly field: string;
}

/**
 * The annotations that mark an object as a backup of `database`, with its retention when it applies
 * one and the location it writes to when it writes to an object store.
 */
export function backupAnnotations(database: string, retention?: { days: number; field: string }, location?: BackupLocation): Record<string, string> {
  return {
    [BACKUP_OF_ANNOTATION]: database,
    ...(retention ? { [BACKUP_RETENTION_ANNOTATION]: `${retention.days}d`, [BACKUP_RETENTION_FIELD_ANNOTATION]: retention.field } : {}),
    ...(location ? backupLocationAnnotations(location) : {}),
  };
}

/** The folder `<destinationPath>/<segments…>/` of an object store (a final `/` on the destination path or not). */
export function objectStoreFolder(destinationPath: string, ...segments: string[]): string {
  return `${[destinationPath.replace(/\/+$/, ''), ...segments].join('/')}/`;
}

/** The annotations that say where an object writes backups (or its log archive) to. */
function backupLocationAnnotations(location: BackupLocation): Record<string, string> {
  // the endpoint as a store: `http://minio:9000/` and `http://minio:9000` are the same one
  const endpoint = location.endpointUrl?.replace(/\/+$/, '');
  const text = endpoint === undefined ? location.url : `${location.url} at ${endpoint}`;
  return { [BACKUP_LOCATION_ANNOTATION]: text, [BACKUP_LOCATION_FIELD_ANNOTATION]: location.field };
}

/** Where an object writes backups to (as its engine declares it), with the field that configures it. */
export function backupLocationOf(manifest: any): { text: string; pointer: string } | undefined {
  const annotations = manifest?.metadata?.annotations;
  const text = annotations?.[BACKUP_LOCATION_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  const field = annotations[BACKUP_LOCATION_FIELD_ANNOTATION];
  const pointer = typeof field === 'string' && field.startsWith('/')
    ? field : `/metadata/annotations/${BACKUP_LOCATION_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return { text, pointer };
}

/** The database an object is a backup of, or undefined when it is none. */
export function backupOf(manifest: any): string | undefined {
  const v = manifest?.metadata?.annotations?.[BACKUP_OF_ANNOTATION];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The backup retention an object declares (in days), with the pointer of the field that holds it.
 * The value is read from that field when it holds one (`30d`, or a number of days), so an edit of the
 * field itself counts; the annotation is the fallback.
 */
export function backupRetentionOf(manifest: any): { days: number; text: string; pointer: string } | undefined {
  const annotations = manifest?.metadata?.annotations ?? {};
  const declared = annotations[BACKUP_RETENTION_ANNOTATION];
  if (typeof declared !== 'string') return undefined;
  const field = annotations[BACKUP_RETENTION_FIELD_ANNOTATION];
  const pointer = typeof field === 'string' && field.startsWith('/')
    ? field : `/metadata/annotations/${BACKUP_RETENTION_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  const atField = typeof field === 'string' && field.startsWith('/') ? valueAt(manifest, field) : undefined;
  const text = typeof atField === 'number' || (typeof atField === 'string' && RETENTION.test(atField)) ? String(atField) : declared;
  const r = RETENTION.exec(text);
  if (!r) return undefined;
  return { days: Number(r[1]) * ({ 'd': 1, 'w': 7, 'm': 30, '': 1 } as Record<string, number>)[r[2]], text: r[2] === '' ? `${r[1]}d` : text, pointer };
}

/** A retention: a number of days, weeks or months (`30d`, `4w`, `3m`), or a bare number of days. */
const RETENTION = /^(\d+)([dwm]?)$/;

/** The value at a JSON pointer (RFC 6901), or undefined where there is none. */
function valueAt(doc: any, pointer: string): unknown {
  try {
    return getValueByPointer(doc, pointer);
  } catch {
    return undefined;
  }
}

/** Where an object configures the continuous archiving of its log to the backups, or undefined when it does not. */
export function backupArchiveOf(manifest: any): string | undefined {
  const v = manifest?.metadata?.annotations?.[BACKUP_ARCHIVE_ANNOTATION];
  return typeof v === 'string' && v.startsWith('/') ? v : undefined;
}
