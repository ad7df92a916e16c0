import { compare } from 'fast-json-patch';
import { FLUX_PRUNE_ANNOTATION, FLUX_PRUNE_DISABLED } from '../data-objects';
import { PreviousObject } from './previous-output';
import { RenameIndex } from './rename-index';
import { canonicalJson } from '../../private/canonical';
import { CONFIG_HASH_ANNOTATION, backupArchiveOf, backupLocationOf, backupOf, backupRetentionOf } from '../../private/engine-facts';
import { LogArchiveField, RetentionField } from '../../private/kind-facts';
import {
  creationFieldsOf, declaredDataOf, factOf, immutableEntriesOf, immutableFieldAdviceOf, immutableFieldsOf, isDataBearing, loginUsersOf,
  nonDecreasingFieldsOf, nonIncreasingFieldsOf, removedInstancesOf, transitionRulesOf,
} from '../../private/kind-registry';
import { apiGroup, isClusterScoped } from '../../private/kinds';
import { compareQuantities, quantityOf } from '../../private/quantity';
import { argoCdSyncOptions } from '../../private/sync-waves';

/** An object of the new output, as change analysis sees it. */
export interface NextObject {
  readonly file: string;
  readonly manifest: any;
  readonly environment?: string;
  readonly cluster: string;
  readonly constructPath?: string;
}

/** One risky change. */
export interface RiskyChange {
  readonly ruleId: string;
  readonly message: string;
  /** The object (the new one, or the old one when removed). */
  readonly manifest: any;
  readonly file: string;
  readonly environment?: string;
  readonly cluster?: string;
  readonly jsonPointer?: string;
  readonly constructPath?: string;
}

/** What changed, per object. */
export interface ChangeSet {
  readonly added: NextObject[];
  readonly removed: PreviousObject[];
  readonly changed: { before: PreviousObject; after: NextObject; fields: string[] }[];
  readonly renamed: { before: PreviousObject; after: NextObject }[];
  readonly risks: RiskyChange[];
}

export function scopeOf(o: { environment?: string; cluster?: string }): string {
  return o.environment !== undefined ? `env:${o.environment}` : `platform:${o.cluster}`;
}

export function identity(o: { environment?: string; cluster?: string; manifest: any }): string {
  const m = o.manifest;
  const ns = isClusterScoped(m.kind) ? '' : (m.metadata.namespace ?? '');
  // what `[scope, group, kind, ns, name].join('|')` gives (null and undefined as ''), without the array
  return `${scopeOf(o)}|${apiGroup(m.apiVersion)}|${m.kind ?? ''}|${ns}|${m.metadata.name ?? ''}`;
}

/** Storage requests of a data-bearing object: pointer → { size, class, class pointer } (what its engine declares). */
function storageOf(m: any): Map<string, { size: unknown; storageClass?: string; classPointer?: string }> {
  const storage = factOf(m, 'storage');
  return new Map((storage ? storage(m) : []).map((r) => [r.pointer, { size: r.size, storageClass: r.storageClass, classPointer: r.classPointer }]));
}

/** What a changed storage class does where the kind says nothing: no claim's class ever changes. */
const CLASS_KEPT = 'the volumes there keep their class (a claim\'s class never changes). Keep the class, or migrate the data to new volumes on the new one';

/** Version of the database / broker an object runs (what its engine declares), with the pointer it lives at. */
function logArchiveOf(m: any): LogArchiveField | undefined {
  return factOf(m, 'logArchive')?.(m);
}

function versionOf(m: any): { version: number[]; pointer: string; text: string; majorParts: number } | undefined {
  const field = factOf(m, 'version')?.(m);
  if (!field || typeof field.text !== 'string') return undefined;
  const v = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(field.text);
  if (!v) return undefined;
  const version = [Number(v[1]), Number(v[2] ?? 0), Number(v[3] ?? 0)];
  return { version, pointer: field.pointer, text: field.text, majorParts: field.majorParts ?? 1 };
}

function replicasOf(m: any): { count: number; pointer: string; minimum: number } | undefined {
  return factOf(m, 'replicas')?.(m);
}

/** The limits on kept data its kind declares on an object (a topic's retention, a queue's TTL...). */
function limitsOf(m: any): RetentionField[] {
  return factOf(m, 'retention')?.(m) ?? [];
}

/** What deleting the object does to its data: what its kind declares, else the common operator convention `spec.deletionPolicy`. */
function deletionPolicyOf(m: any): { value: string; pointer: string } | undefined {
  const declared = factOf(m, 'deletionPolicy')?.(m);
  if (declared && typeof declared.value === 'string') return { value: declared.value.toLowerCase(), pointer: declared.pointer };
  if (typeof m.spec?.deletionPolicy === 'string') return { value: m.spec.deletionPolicy.toLowerCase(), pointer: '/spec/deletionPolicy' };
  return undefined;
}

function at(obj: any, pointer: string): any {
  let v = obj;
  for (const seg of pointer.split('/').slice(1)) {
    if (v === undefined || v === null) return undefined;
    v = v[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/** The object's content with its own name replaced, for rename detection. */
export function renamedContent(m: any, name: string): string {
  const { metadata, ...rest } = m;
  const labels = metadata?.labels ?? {};
  // the configuration digest of a pod template hashes other objects (compared in their own right) that name the object
  const templateAnnotations = rest.spec?.template?.metadata?.annotations;
  if (templateAnnotations?.[CONFIG_HASH_ANNOTATION] !== undefined) {
    const { [CONFIG_HASH_ANNOTATION]: _digest, ...others } = templateAnnotations;
    rest.spec = { ...rest.spec, template: { ...rest.spec.template, metadata: { ...rest.spec.template.metadata, annotations: others } } };
  }
  return canonicalJson({ ...rest, labels }).split(JSON.stringify(name).slice(1, -1)).join('\u0000');
}

/** What a renamed object shares with its old self: scope, kind, API group and content with the own name abstracted. */
function renameKey(o: { environment?: string; cluster?: string; manifest: any }): string {
  const m = o.manifest;
  // a JSON array ends where it ends: no separator that the content could contain
  return JSON.stringify([scopeOf(o), m.kind, apiGroup(m.apiVersion)]) + renamedContent(m, m.metadata.name);
}

/** ` from X to Y` when both values are single values (a number, a string, none), else nothing: a whole declaration is not quoted. */
function fromTo(before: unknown, after: unknown): string {
  const single = (v: unknown) => v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
  const text = (v: unknown) => (v === null || v === undefined ? 'none' : JSON.stringify(v));
  return single(before) && single(after) ? ` from ${text(before)} to ${text(after)}` : '';
}

/** An object a finding is reported on (new, or previous when removed). */
type Located = { manifest: any; file: string; environment?: string; cluster?: string; constructPath?: string };

const describe = (m: any) => `${m.kind} "${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}"`;

/**
 * Compares the previous owned output with the new one, object by object, and classifies the risky
 * changes (removals, renames, immutable fields, storage, versions, scale, retention, backups,
 * deletion policies). Renames are matched through a lookup table of the added objects
 * (`RenameIndex`). `allNext`: every object of the new output when `next` is only part of it (the
 * unchanged files left out, see unchanged-files.ts): StorageClasses are looked up there, and the
 * limits on kept data of the unchanged objects, which apply with those of the others.
 */
export function analyzeChanges(previous: PreviousObject[], next: NextObject[], allNext: readonly NextObject[] = next): ChangeSet {
  const before = new Map(previous.map((o) => [identity(o), o]));
  const after = new Map(next.map((o) => [identity(o), o]));
  const added = next.filter((o) => !before.has(identity(o)));
  const removedAll = previous.filter((o) => !after.has(identity(o)));
  const changed: ChangeSet['changed'] = [];
  const renamed: ChangeSet['renamed'] = [];
  const risks: RiskyChange[] = [];
  const storageClasses = new Map<string, any>();
  for (const o of allNext) if (o.manifest.kind === 'StorageClass') storageClasses.set(o.manifest.metadata.name, o.manifest);
  // the fields whose change is reported as refused, per object: no other finding for what does not happen
  const refused = new Map<Located, string[]>();
  const isRefused = (o: Located, pointer: string) => (refused.get(o) ?? []).some((p) => pointer === p || pointer.startsWith(`${p}/`));
  const risk = (ruleId: string, message: string, obj: Located, jsonPointer?: string) => {
    if (ruleId === 'CHANGE-ImmutableField' && jsonPointer !== undefined) refused.set(obj, [...refused.get(obj) ?? [], jsonPointer]);
    report(ruleId, message, obj, jsonPointer);
  };
  const report = (ruleId: string, message: string, obj: Located, jsonPointer?: string) => risks.push({
    ruleId,
    message,
    jsonPointer,
    manifest: obj.manifest,
    file: obj.file,
    environment: obj.environment,
    cluster: obj.cluster,
    constructPath: obj.constructPath,
  });

  // removals, recognising renames: same scope and kind, same content once the name is abstracted
  const unmatchedAdded = new Set(added);
  const removed: PreviousObject[] = [];
  const twins = removedAll.length > 0 && added.length > 0 ? new RenameIndex(added, renameKey) : undefined;
  for (const r of removedAll) {
    const twin = twins?.take(renameKey(r));
    if (twin) {
      unmatchedAdded.delete(twin);
      renamed.push({ before: r, after: twin });
      if (isDataBearing(r.manifest)) {
        const oldName = r.manifest.metadata.name;
        risk('CHANGE-DataObjectRenamed', `${describe(r.manifest)} was renamed to "${twin.manifest.metadata.name}": the old one and its data would be pruned; `
          + `keep the name (set name: '${oldName}' on the construct), or approve the rename after migrating the data `
          + `(ChangeApprovals.approve(scope, { ruleId: 'CHANGE-DataObjectRenamed', kind: '${r.manifest.kind}', name: '${oldName}', reason }))`, r);
      } else if (backupOf(r.manifest) !== undefined) {
        risk('CHANGE-BackupRemoved', `${describe(r.manifest)} was renamed to "${twin.manifest.metadata.name}"`, r);
      }
      continue;
    }
    removed.push(r);
    if (isDataBearing(r.manifest)) risk('CHANGE-DataObjectRemoved', `${describe(r.manifest)} was removed: ${removalConsequence(r.manifest)}`, r);
    else if (backupOf(r.manifest) !== undefined) risk('CHANGE-BackupRemoved', `${describe(r.manifest)} was removed`, r);
  }

  for (const [id, a] of after) {
    const b = before.get(id);
    if (!b) continue;
    if (canonicalJson(a.manifest) === canonicalJson(b.manifest)) continue;
    const fields = compare(b.manifest, a.manifest).map((op) => op.path);
    changed.push({ before: b, after: a, fields });
    const m = a.manifest;
    const o = b.manifest;
    for (const pointer of immutableFieldsOf(o)) {
      const x = at(o, pointer);
      const y = at(m, pointer);
      if (x !== undefined && canonicalJson(x) !== canonicalJson(y)) {
        const advice = immutableFieldAdviceOf(m, o, pointer, x, y);
        risk('CHANGE-ImmutableField', advice ? `${describe(m)}: ${advice}`
          : `${describe(m)}: ${pointer} changed, which ${m.kind === 'Job' ? 'a Job does not allow' : 'Kubernetes or the operator does not allow in place'}`, a, pointer);
      }
    }
    // a transition rule is evaluated only when the field is there before and after: setting or removing it passes
    for (const { pointer, message } of transitionRulesOf(o)) {
      const x = at(o, pointer);
      const y = at(m, pointer);
      if (x !== undefined && y !== undefined && canonicalJson(x) !== canonicalJson(y)) {
        risk('CHANGE-ImmutableField', `${describe(m)}: ${pointer} changed${fromTo(x, y)}, which the API server refuses (the CRD's rule: "${message}"): `
          + 'the layer\'s apply fails until the change is undone or the object re-created', a, pointer);
      }
    }
    // set on an object that exists: the operator acts on the data it holds instead of creating it (or ignores it)
    for (const { pointer, consequence } of creationFieldsOf(m)) {
      if (at(o, pointer) === undefined && at(m, pointer) !== undefined) {
        risk('CHANGE-ImmutableField', `${describe(m)}: ${pointer} is set on an existing ${m.kind}: ${consequence}`, a, pointer);
      }
    }
    const entries = new Map(immutableEntriesOf(o).map((e) => [e.key, e]));
    for (const now of immutableEntriesOf(m)) {
      const then = entries.get(now.key);
      if (then !== undefined && canonicalJson(then.value) !== canonicalJson(now.value)) {
        risk('CHANGE-ImmutableField', `${describe(m)}: ${now.key} changed${fromTo(then.value, now.value)} (${now.pointer}), which ${now.consequence}`, a, now.pointer);
      }
    }
    // a declaration the software keeps when it is removed (reported with what it belongs to, when that is gone too)
    const declaredNow = new Set(immutableEntriesOf(m).map((e) => e.key));
    for (const then of entries.values()) {
      if (then.removed !== undefined && !declaredNow.has(then.key) && (then.within === undefined || declaredNow.has(then.within))) {
        risk('CHANGE-ImmutableField', `${describe(m)}: ${then.key} is no longer declared (${then.pointer}), which ${then.removed}`, a, then.pointer);
      }
    }
    // data declared inside the object whose declaration is gone (a queue of a definitions file the import never deletes)
    const declared = new Set(declaredDataOf(m).map((d) => d.key));
    for (const then of declaredDataOf(o)) {
      if (!declared.has(then.key)) risk('CHANGE-DataObjectRemoved', `${describe(m)}: ${then.key} is no longer declared (${then.pointer}): ${then.removed}`, a, then.pointer);
    }
    // a decrease the operator refuses is not also a scale-down below quorum: it does not happen
    const refusedDecrease = new Set<string>();
    for (const { pointer, consequence, exempt } of nonDecreasingFieldsOf(o)) {
      const x = at(o, pointer);
      const y = at(m, pointer);
      if (typeof x === 'number' && typeof y === 'number' && y < x && y !== exempt) {
        refusedDecrease.add(pointer);
        risk('CHANGE-ImmutableField', `${describe(m)}: ${pointer} went down from ${x} to ${y}; the operator can only raise it: ${consequence}`, a, pointer);
      }
    }
    for (const { pointer, consequence } of nonIncreasingFieldsOf(m)) {
      const x = at(o, pointer);
      const y = at(m, pointer);
      if (typeof x === 'number' && typeof y === 'number' && y > x) {
        risk('CHANGE-ImmutableField', `${describe(m)}: ${pointer} went up from ${x} to ${y}, which the operator cannot do here: ${consequence}`, a, pointer);
      }
    }
    const oldStorage = storageOf(o);
    for (const [pointer, now] of storageOf(m)) {
      const then = oldStorage.get(pointer);
      // the default class (none named) is a class too: naming one, or no longer, changes it
      const reclassed = then !== undefined && (then.storageClass ?? null) !== (now.storageClass ?? null);
      if (reclassed && now.classPointer !== undefined && !isRefused(a, now.classPointer)) {
        const name = (c?: string) => (c === undefined ? 'the default class' : JSON.stringify(c));
        risk('CHANGE-ImmutableField', `${describe(m)}: the storage class of ${pointer} changes from ${name(then.storageClass)} to ${name(now.storageClass)} `
          + `(${now.classPointer}), but ${factOf(m, 'storageClassChange')?.(m) ?? CLASS_KEPT}`, a, now.classPointer);
      }
      const x = quantityOf(then?.size);
      if (x === undefined) continue;
      const y = quantityOf(now.size);
      if (y === undefined) {
        // what the API server cannot compare must not pass as "not smaller"
        const what = now.size === undefined ? 'is removed (the default may be smaller)'
          : `changes to ${JSON.stringify(now.size)}, which is not a Kubernetes quantity`;
        risk('CHANGE-StorageShrink', `${describe(m)}: storage ${pointer} was ${then!.size} and ${what}`, a, pointer);
        continue;
      }
      const cmp = compareQuantities(y, x);
      if (cmp < 0) risk('CHANGE-StorageShrink', `${describe(m)}: storage ${pointer} shrinks from ${then!.size} to ${now.size}`, a, pointer);
      const expandable = now.storageClass === undefined || !storageClasses.has(now.storageClass)
        || storageClasses.get(now.storageClass)?.allowVolumeExpansion === true;
      if (cmp > 0 && !expandable) {
        risk('CHANGE-StorageGrowthWithoutExpansion', `${describe(m)}: storage grows to ${now.size} on StorageClass "${now.storageClass}", which does not allow expansion`, a, pointer);
      }
    }
    const vo = versionOf(o);
    const vn = versionOf(m);
    if (vo && vn) {
      const cmp = vn.version[0] - vo.version[0] || vn.version[1] - vo.version[1] || vn.version[2] - vo.version[2];
      // the major release: the first number, or the first two where the kind says so (MariaDB's 10.6 → 10.11)
      const parts = Math.max(vo.majorParts, vn.majorParts);
      const major = (v: number[]) => v.slice(0, parts).join('.');
      // a path the software does not upgrade along, whatever the major (RabbitMQ 3.12 → 3.13 → 4.0, one series at a time)
      const path = cmp > 0 ? factOf(m, 'upgradePath')?.(vo.version, vn.version) : undefined;
      if (path) risk('CHANGE-UnsupportedUpgradePath', `${describe(m)}: version ${vo.text} → ${vn.text}: ${path}`, a, vn.pointer);
      if (cmp > 0 && major(vn.version) !== major(vo.version)) {
        risk('CHANGE-MajorVersionUpgrade', `${describe(m)}: major version ${vo.text} → ${vn.text}`, a, vn.pointer);
        const ao = logArchiveOf(o);
        const an = logArchiveOf(m);
        if (ao && an && ao.store === an.store && ao.serverName === an.serverName) {
          const old = `${an.majorSuffix}${major(vo.version)}`;
          const suggested = `${an.serverName.endsWith(old) ? an.serverName.slice(0, -old.length) : an.serverName}${an.majorSuffix}${major(vn.version)}`;
          risk('CHANGE-MajorUpgradeSharedArchive', `${describe(m)}: major version ${vo.text} → ${vn.text} while its log archive keeps server name `
            + `"${an.serverName}" (${an.pointer}): the upgrade starts timeline 1 again under a new system identifier, so the new major's log `
            + 'would overwrite the old one\'s timeline-1 segments and its backups mix with the old ones. In the same change, set a new server name, '
            + `e.g. backup.serverName "${suggested}" (the plugin parameter serverName), and keep "${an.serverName}" for a point-in-time recovery of the `
            + `data before the upgrade (recovery.serverName "${an.serverName}"); take a backup as soon as the upgrade completes`, a, an.pointer);
        }
      } else if (cmp < 0) {
        risk('CHANGE-VersionDowngrade', `${describe(m)}: version goes down ${vo.text} → ${vn.text}`, a, vn.pointer);
      }
    }
    const ro = replicasOf(o);
    const rn = replicasOf(m);
    if (ro && rn && rn.count < ro.count && !refusedDecrease.has(rn.pointer)) {
      // brokers each hold their own share: removing any is a risk, said once (below the minimum as that)
      const held = removedInstancesOf(m, ro.count, rn.count);
      if (rn.count < rn.minimum) {
        risk('CHANGE-ScaleBelowQuorum', `${describe(m)}: ${rn.pointer} goes from ${ro.count} to ${rn.count}, below the ${rn.minimum} the data needs${held ? `; ${held}` : ''}`,
          a, rn.pointer);
      } else if (held) {
        risk('CHANGE-BrokersRemoved', `${describe(m)}: ${rn.pointer} goes from ${ro.count} to ${rn.count}; ${held}`, a, rn.pointer);
      }
    }
    const to = backupRetentionOf(o);
    const tn = backupRetentionOf(m);
    if (to && tn && tn.days < to.days) risk('CHANGE-RetentionShortened', `${describe(m)}: retention shortened (${to.text} → ${tn.text})`, a, tn.pointer);
    const archive = backupArchiveOf(o);
    if (archive !== undefined && backupArchiveOf(m) === undefined) risk('CHANGE-BackupRemoved', `${describe(m)}: continuous archiving of its log to the backups removed`, a, archive);
    const ln = backupLocationOf(m);
    if (ln) {
      // output rendered before the location annotations: the field the new output names, compared as it was written
      const lo = backupLocationOf(o);
      const was = lo ? lo.text : at(o, ln.pointer);
      const moved = lo ? lo.text !== ln.text : was !== undefined && canonicalJson(was) !== canonicalJson(at(m, ln.pointer));
      if (moved) {
        const from = lo ? lo.text : `${JSON.stringify(was)} (${ln.pointer})`;
        risk('CHANGE-BackupDestinationChanged', `${describe(m)}: backups move from ${from} to ${ln.text}: the new location holds no backup until the next `
          + 'one completes, and the old one is no longer pruned nor read by a restore; take a backup right after the change', a, ln.pointer);
      }
    }
    const uo = loginUsersOf(o);
    const un = loginUsersOf(m);
    if (uo && un) {
      const kept = new Set([...un.login, ...un.retired]);
      const gone = uo.login.filter((u) => !kept.has(u));
      if (gone.length > 0) {
        const one = gone.length === 1;
        risk('CHANGE-UserRemoved', `${describe(m)}: ${one ? 'user' : 'users'} ${gone.map((u) => `"${u}"`).join(', ')} removed, `
          + `but the ${un.construct === 'MessageQueue' ? 'broker' : 'database'} keeps ${one ? 'it' : 'them'} with ${one ? 'its' : 'their'} login and password; `
          + `retire ${one ? 'it' : 'them'} (${gone.map((u) => `retireUser('${u}')`).join(', ')} on the ${un.construct}) so that ${one ? 'it' : 'they'} can no longer log in`,
        a, un.pointer);
      }
    }
    const dpo = deletionPolicyOf(o);
    const dpn = deletionPolicyOf(m);
    if (dpo && dpo.value === 'retain' && (!dpn || dpn.value !== 'retain')) {
      risk('CHANGE-DeletionPolicyWeakened', `${describe(m)}: ${dpo.pointer} weakened from retain to ${dpn?.value ?? 'the default (delete)'}`, a, dpo.pointer);
    }
  }
  shortenedLimits(previous, next, allNext, isRefused, risk);
  return { added: [...unmatchedAdded], removed, changed, renamed, risks };
}

/**
 * The limits on kept data that went down: each key (a queue's TTL, a topic's retention.bytes...) over
 * every object of its scope, the lowest limit in force, before and after. Only a key the previous
 * output had counts (a new queue brings its limits), a limit newly set where the kinds list none as
 * unlimited counts, and a limit on a field whose change is refused (a queue's arguments) does not.
 * The objects of unchanged files (in `allNext`, not in `next`) are the same before and after.
 */
function shortenedLimits(previous: readonly PreviousObject[], next: readonly NextObject[], allNext: readonly NextObject[],
  isRefused: (o: Located, pointer: string) => boolean, risk: (ruleId: string, message: string, obj: Located, pointer: string) => void): void {
  type Held = { value: number; text: string };
  // a tie kept by its text: the same whichever order the objects come in
  const lowest = <T extends Held>(into: Map<string, T>, key: string, held: T) => {
    const seen = into.get(key);
    if (seen === undefined || held.value < seen.value || (held.value === seen.value && held.text < seen.text)) into.set(key, held);
  };
  const before = new Map<string, Held>();
  const after = new Map<string, Held & { entry: RetentionField; holder: NextObject }>();
  for (const o of previous) for (const e of limitsOf(o.manifest)) lowest(before, `${scopeOf(o)}|${e.key}`, e);
  const changed = allNext === next ? undefined : new Set(next);
  for (const o of allNext) {
    const limits = limitsOf(o.manifest);
    if (limits.length === 0) continue;
    const unchanged = changed !== undefined && !changed.has(o);
    for (const e of limits) {
      const key = `${scopeOf(o)}|${e.key}`;
      if (unchanged) lowest(before, key, e);
      lowest(after, key, { value: e.value, text: e.text, entry: e, holder: o });
    }
  }
  for (const [key, now] of after) {
    const then = before.get(key);
    if (then === undefined || now.value >= then.value || isRefused(now.holder, now.entry.pointer)) continue;
    risk('CHANGE-RetentionShortened', `${describe(now.holder.manifest)}: ${now.entry.what} shortened from ${then.text} to ${now.text} (${now.entry.pointer}): `
      + now.entry.consequence, now.holder, now.entry.pointer);
  }
}

/**
 * What removing a data-bearing object from the output does: the library renders them with their prune disabled
 * (Flux `kustomize.toolkit.fluxcd.io/prune: disabled`, Argo CD `Prune=false`), so they stay in the cluster, no
 * longer managed; an object without that (written by hand, or by an older version) is pruned. Either way, what
 * deleting it does to the data is what its kind says (`KindFacts.onDelete`: a Queue with `deletionPolicy: retain`
 * keeps its messages in the broker), else what its deletion policy says.
 */
function removalConsequence(manifest: any): string {
  const annotations = manifest?.metadata?.annotations ?? {};
  const argoPruneOff = argoCdSyncOptions(annotations).includes('Prune=false');
  const onDelete = deletionConsequence(manifest);
  if (annotations[FLUX_PRUNE_ANNOTATION] === FLUX_PRUNE_DISABLED || argoPruneOff) {
    return 'its prune is disabled, so it stays in the cluster with its data but is no longer managed from Git (no updates, '
      + `no health checks) until someone deletes it, which ${onDelete}`;
  }
  return `pruning it ${onDelete}`;
}

/** What deleting the object does to its data (the clause after "deleting it"). */
function deletionConsequence(manifest: any): string {
  const declared = factOf(manifest, 'onDelete')?.(manifest);
  if (declared) return declared;
  const policy = deletionPolicyOf(manifest);
  return policy?.value === 'retain' ? `leaves its data in place (${policy.pointer}: retain)` : 'deletes its data';
}
