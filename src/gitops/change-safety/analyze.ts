import { compare } from 'fast-json-patch';
import { FLUX_PRUNE_ANNOTATION, FLUX_PRUNE_DISABLED } from '../data-objects';
import { PreviousObject } from './previous-output';
import { RenameIndex } from './rename-index';
import { canonicalJson } from '../../private/canonical';
import { CONFIG_HASH_ANNOTATION, backupArchiveOf, backupLocationOf, backupOf, backupRetentionOf } from '../../private/engine-facts';
import { LogArchiveField, RetentionField } from '../../private/kind-facts';
import {
  creationFieldsOf, declaredDataOf, factOf, immutableEntriesOf, immutableFieldAdviceOf, immutableFieldsOf, isDataBearing, loginUsersOf,
  nonDecreasingFieldsOf, nonIncreasingFieldsOf, removalKeptFieldsOf, removedInstancesOf, transitionRulesOf, zoneSpreadOf,
} from '../../private/kind-registry';
import { apiGroup, isClusterScoped } from '../../private/kinds';
import { secretReferences } from '../../private/provided-secrets';
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
  /** The environment the object was deployed as, when that environment was renamed (its recorded tier applies too). */
  readonly formerEnvironment?: string;
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
export function analyzeChanges(previous: PreviousObject[], next: NextObject[], allNext: readonly NextObject[] = next,
  previousClusters?: ReadonlyMap<string, string>): ChangeSet {
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
  // the objects of a renamed environment: the environment they were deployed as (its recorded tier applies too)
  const formerEnvironments = new Map<Located, string>();
  const report = (ruleId: string, message: string, obj: Located, jsonPointer?: string) => risks.push({
    ruleId,
    message,
    jsonPointer,
    manifest: obj.manifest,
    file: obj.file,
    environment: obj.environment,
    cluster: obj.cluster,
    constructPath: obj.constructPath,
    ...(formerEnvironments.has(obj) ? { formerEnvironment: formerEnvironments.get(obj) } : {}),
  });

  // an environment renamed on the same cluster: its objects are the same Kubernetes objects, taken over by the new environment
  const takenOver = movedObjects(removedAll, added, previousClusters);
  const movedBefore = new Set(takenOver.map((p) => p.before));
  const movedAfter = new Set<NextObject>(takenOver.map((p) => p.after));
  for (const { before: b, after: a } of takenOver) formerEnvironments.set(a, b.environment!);
  risks.push(...environmentRenames(takenOver));

  // removals, recognising renames: same scope and kind, same content once the name is abstracted
  const unmatchedAdded = new Set(added.filter((a) => !movedAfter.has(a)));
  const removed: PreviousObject[] = [];
  const twins = removedAll.length > movedBefore.size && unmatchedAdded.size > 0 ? new RenameIndex([...unmatchedAdded], renameKey) : undefined;
  for (const r of removedAll) {
    if (movedBefore.has(r)) continue;
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

  risks.push(...secretDeliveryChanges(removed, [...unmatchedAdded], previous, next, allNext));

  // the same object before and after: same identity, or moved to a renamed environment (judged as a change of it)
  const pairs: [PreviousObject, NextObject][] = [];
  for (const [id, a] of after) {
    const b = before.get(id);
    if (b) pairs.push([b, a]);
  }
  for (const { before: b, after: a } of takenOver) pairs.push([b, a]);
  for (const [b, a] of pairs) {
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
    // removed from an object that exists: the operator keeps what the field did (it writes no undo)
    for (const { pointer, consequence } of removalKeptFieldsOf(o)) {
      if (at(o, pointer) !== undefined && at(m, pointer) === undefined) {
        risk('CHANGE-ImmutableField', `${describe(m)}: ${pointer} is removed from an existing ${m.kind}, but ${consequence}`, a, pointer);
      }
    }
    // a strict zone spread added to instances whose volumes exist: it does not know the zones their volumes bind them to
    // (one instance alone always satisfies it)
    const spread = isDataBearing(m) && zoneSpreadOf(o) === undefined && (replicasOf(m)?.count ?? 2) > 1 ? zoneSpreadOf(m) : undefined;
    if (spread !== undefined) {
      risk('CHANGE-ZoneSpreadAdded', `${describe(m)}: its instances must now be spread evenly over the zones (${spread}, DoNotSchedule), which `
        + 'counts pods, not the zones of their volumes: an instance whose volume is in a zone with more instances than another stays Pending when the '
        + 'change re-creates it, and the rolling update stops there. Check the zones of its volumes first (kubectl get pv -L topology.kubernetes.io/zone); '
        + 'if they are not balanced, re-create the volumes of the replicas in the fuller zones one at a time before applying it', a, spread);
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
    // what the kind knows of its versions going down (Strimzi and Kafka's metadata version)
    const downgrades = factOf(m, 'downgrades')?.(m, o) ?? [];
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
      } else if (cmp < 0 && !downgrades.some((d) => d.pointer === vn.pointer)) {
        risk('CHANGE-VersionDowngrade', `${describe(m)}: version goes down ${vo.text} → ${vn.text}`, a, vn.pointer);
      }
    }
    for (const d of downgrades) risk('CHANGE-VersionDowngrade', `${describe(m)}: ${d.text}`, a, d.pointer);
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
    // a moved object's keys are listed with its environment's rename
    if (!formerEnvironments.has(a)) {
      for (const k of secretKeyChanges(o, m)) {
        risk('CHANGE-SecretKeyChanged', `${describe(m)}: ${k.text}; ${secretKeyConsequence(m)}`, a, k.pointer);
      }
    }
    const dpo = deletionPolicyOf(o);
    const dpn = deletionPolicyOf(m);
    if (dpo && dpo.value === 'retain' && (!dpn || dpn.value !== 'retain')) {
      risk('CHANGE-DeletionPolicyWeakened', `${describe(m)}: ${dpo.pointer} weakened from retain to ${dpn?.value ?? 'the default (delete)'}`, a, dpo.pointer);
    }
  }
  shortenedLimits(previous, next, allNext, isRefused, risk, new Map(takenOver.map((p) => [p.before, p.after])));
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
  isRefused: (o: Located, pointer: string) => boolean, risk: (ruleId: string, message: string, obj: Located, pointer: string) => void,
  movedTo: ReadonlyMap<PreviousObject, NextObject>): void {
  type Held = { value: number; text: string };
  // a tie kept by its text: the same whichever order the objects come in
  const lowest = <T extends Held>(into: Map<string, T>, key: string, held: T) => {
    const seen = into.get(key);
    if (seen === undefined || held.value < seen.value || (held.value === seen.value && held.text < seen.text)) into.set(key, held);
  };
  const before = new Map<string, Held>();
  const after = new Map<string, Held & { entry: RetentionField; holder: NextObject }>();
  // an object of a renamed environment kept its limits in the new one
  for (const o of previous) for (const e of limitsOf(o.manifest)) lowest(before, `${scopeOf(movedTo.get(o) ?? o)}|${e.key}`, e);
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

/** Where an object lives in its cluster: API group, kind, namespace and name (what an environment's rename keeps). */
function placeOf(cluster: string, m: any): string {
  const ns = isClusterScoped(m.kind) ? '' : (m.metadata?.namespace ?? '');
  return JSON.stringify([cluster, apiGroup(m.apiVersion), m.kind ?? '', ns, m.metadata?.name ?? '']);
}

/**
 * The removed objects of an environment that are, under another environment's name, on the same cluster with the
 * same API group, kind, namespace and name: the same Kubernetes objects, which the new environment's layers apply
 * (Flux's server-side apply and Argo CD's sync take over an object of that name). The previous cluster is the
 * object's own, else the one the previous output recorded for its environment; unknown, no object moves.
 */
function movedObjects(removed: readonly PreviousObject[], added: readonly NextObject[], previousClusters?: ReadonlyMap<string, string>):
{ before: PreviousObject; after: NextObject }[] {
  const moved: { before: PreviousObject; after: NextObject }[] = [];
  if (removed.length === 0 || added.length === 0) return moved;
  const places = new Map<string, NextObject>();
  for (const a of added) {
    const place = placeOf(a.cluster, a.manifest);
    if (a.environment !== undefined && !places.has(place)) places.set(place, a);
  }
  for (const r of removed) {
    if (r.environment === undefined) continue;
    const cluster = r.cluster ?? previousClusters?.get(r.environment);
    if (cluster === undefined) continue;
    const place = placeOf(cluster, r.manifest);
    const a = places.get(place);
    if (a === undefined || a.environment === r.environment) continue;
    places.delete(place);
    moved.push({ before: r, after: a });
  }
  return moved;
}

const isExternalSecret = (m: any) => m?.kind === 'ExternalSecret' && apiGroup(m.apiVersion) === 'external-secrets.io';

/** The secret-store keys an ExternalSecret reads (`spec.data[].remoteRef.key`, `spec.dataFrom[].extract.key`), with their store. */
function secretKeysOf(m: any): { pointer: string; key: string; store: string }[] {
  if (!isExternalSecret(m)) return [];
  const ref = m.spec?.secretStoreRef ?? {};
  const store = `${ref.kind ?? 'SecretStore'} "${ref.name ?? ''}"`;
  const keys: { pointer: string; key: string; store: string }[] = [];
  (Array.isArray(m.spec?.data) ? m.spec.data : []).forEach((d: any, i: number) => {
    if (typeof d?.remoteRef?.key === 'string') keys.push({ pointer: `/spec/data/${i}/remoteRef/key`, key: d.remoteRef.key, store });
  });
  (Array.isArray(m.spec?.dataFrom) ? m.spec.dataFrom : []).forEach((d: any, i: number) => {
    if (typeof d?.extract?.key === 'string') keys.push({ pointer: `/spec/dataFrom/${i}/extract/key`, key: d.extract.key, store });
  });
  return keys;
}

/** The keys an ExternalSecret reads now and did not read before, each with the one it replaces (at the same field) if any. */
function secretKeyChanges(o: any, m: any): { pointer: string; text: string }[] {
  const then = secretKeysOf(o);
  const now = secretKeysOf(m);
  const id = (k: { key: string; store: string }) => `${k.store}|${k.key}`;
  const read = new Set(then.map(id));
  const reads = new Set(now.map(id));
  const changes: { pointer: string; text: string }[] = [];
  for (const k of now) {
    if (read.has(id(k))) continue;
    const was = then.find((t) => t.pointer === k.pointer && !reads.has(id(t)));
    const key = (x: { key: string; store: string }) => `"${x.key}"${was && was.store !== k.store ? ` of ${x.store}` : ''}`;
    changes.push({
      pointer: k.pointer,
      text: was ? `reads the secret-store key ${key(k)} instead of ${key(was)} (${k.pointer})` : `now reads the secret-store key "${k.key}" (${k.pointer})`,
    });
  }
  return changes;
}

/**
 * What the External Secrets Operator does with a key it cannot read: a missing key fails the sync
 * (externalsecret_controller_secret.go GetProviderSecretData returns the NoSecretErr when
 * target.deletionPolicy is Retain, ESO's default; with Delete the missing data deletes the Secret,
 * externalsecret_controller.go Reconcile "if no data was found").
 */
function secretKeyConsequence(m: any): string {
  const policy = m.spec?.target?.deletionPolicy ?? 'Retain';
  const secret = policy === 'Retain' ? 'its Secret keeps the values it had but is no longer refreshed'
    : policy === 'Delete' ? 'its Secret is deleted (target.deletionPolicy: Delete)' : `its Secret follows target.deletionPolicy "${policy}"`;
  return 'the External Secrets Operator reads the new key at its next sync: if the key is missing from the store, the ExternalSecret fails '
    + `(not Ready, so the layer's health check fails) and ${secret}; if it holds other values, the Secret takes them (a password the database or `
    + 'broker does not have). Copy the values to the new key in the store before the change';
}

/** The Secret an ExternalSecret writes (`spec.target.name`, else its own name). */
const targetOf = (m: any): string => m.spec?.target?.name ?? m.metadata?.name;

/** The names of the Secrets an object reads (`secretReferences`). An ExternalSecret writes its Secret: it reads none. */
function secretsReadBy(m: any): Set<string> {
  return new Set(isExternalSecret(m) ? [] : secretReferences(m.spec).map((r) => r.name));
}

/**
 * `CHANGE-SecretSourceChanged`: the mechanism that delivers a Secret still in use changes (an environment moved from the
 * External Secrets backend to Sealed Secrets or existing Secrets, or back; one credential given another `SecretSource`).
 *
 * - An ExternalSecret removed while objects of its namespace still read its Secret: with `creationPolicy: Owner` the
 *   External Secrets Operator made itself the Secret's controller (externalsecret_controller.go applyOwnership,
 *   SetControllerReference), so once Flux / Argo CD prune it, Kubernetes' garbage collector deletes the Secret. A
 *   SealedSecret of that name applied before is refused while the Secret exists ("already exists and is not managed
 *   by SealedSecret", sealed-secrets controller.go unseal, given up after its retries) and is not told when it is
 *   deleted (watchSecrets' DeleteFunc only requeues the SealedSecret controlling it, or one annotated
 *   `sealedsecrets.bitnami.com/managed`): the Secret stays gone until the SealedSecret changes or the controller restarts.
 * - An ExternalSecret added for a Secret the previous output read and no ExternalSecret wrote: the Secret exists
 *   (unsealed, or created by hand). The operator overwrites an unowned one with the store's values; it cannot become the
 *   controller of one a SealedSecret controls (applyOwnership fails), so the ExternalSecret is never Ready.
 */
function secretDeliveryChanges(removed: readonly PreviousObject[], added: readonly NextObject[], previous: readonly PreviousObject[],
  next: readonly NextObject[], allNext: readonly NextObject[]): RiskyChange[] {
  const risks: RiskyChange[] = [];
  const place = (o: { environment?: string; cluster?: string; manifest: any }, name: string) => `${scopeOf(o)}|${o.manifest.metadata?.namespace ?? ''}|${name}`;
  const readers = (objects: readonly { environment?: string; cluster?: string; manifest: any }[]) => {
    const byPlace = new Map<string, string[]>();
    for (const o of objects) {
      for (const name of secretsReadBy(o.manifest)) {
        const key = place(o, name);
        byPlace.set(key, [...byPlace.get(key) ?? [], `${o.manifest.kind} "${o.manifest.metadata?.name}"`]);
      }
    }
    return byPlace;
  };
  const list = (who: string[]) => [...new Set(who)].sort().slice(0, 3).join(', ') + (new Set(who).size > 3 ? ` and ${new Set(who).size - 3} more` : '');
  const removedSecrets = removed.filter((r) => isExternalSecret(r.manifest) && (r.manifest.spec?.target?.creationPolicy ?? 'Owner') === 'Owner');
  if (removedSecrets.length > 0) {
    const readNow = readers(allNext);
    const writtenNow = new Set(allNext.filter((o) => isExternalSecret(o.manifest)).map((o) => place(o, targetOf(o.manifest))));
    for (const r of removedSecrets) {
      const secret = targetOf(r.manifest);
      const who = readNow.get(place(r, secret));
      if (who === undefined || writtenNow.has(place(r, secret))) continue;
      risks.push({
        ruleId: 'CHANGE-SecretSourceChanged',
        message: `${describe(r.manifest)} was removed while ${list(who)} still read its Secret "${secret}": the ExternalSecret owns it `
          + '(creationPolicy: Owner), so when Flux / Argo CD prune the ExternalSecret, Kubernetes deletes the Secret with it. What delivers '
          + 'the Secret now must write it again after that: the Sealed Secrets controller refuses a SealedSecret whose Secret exists and is '
          + 'not its own, and is not told when that Secret is deleted, so a SealedSecret applied before the prune leaves the Secret missing '
          + '(pods that start fail, the operator cannot read the password). Before applying the change, annotate the Secret '
          + `(kubectl annotate secret ${secret} sealedsecrets.bitnami.com/managed=true) and then apply its SealedSecret: the controller takes it `
          + 'over and the prune leaves it; for a Secret of your own, create it again once the ExternalSecret is pruned. Then approve the change',
        manifest: r.manifest,
        file: r.file,
        environment: r.environment,
        cluster: r.cluster,
      });
    }
  }
  const addedSecrets = added.filter((a) => isExternalSecret(a.manifest));
  if (addedSecrets.length > 0) {
    // the previous output: its objects of the changed files, and those of the files left out as unchanged (in allNext only)
    const compared = new Set(next.map((o) => identity(o)));
    const before = [...previous, ...allNext.filter((o) => !compared.has(identity(o)))];
    const readBefore = readers(before);
    const writtenBefore = new Set(before.filter((o) => isExternalSecret(o.manifest)).map((o) => place(o, targetOf(o.manifest))));
    for (const a of addedSecrets) {
      const secret = targetOf(a.manifest);
      const who = readBefore.get(place(a, secret));
      if (who === undefined || writtenBefore.has(place(a, secret))) continue;
      risks.push({
        ruleId: 'CHANGE-SecretSourceChanged',
        message: `${describe(a.manifest)} now writes Secret "${secret}", which ${list(who)} already read, delivered by something else `
          + '(a SealedSecret, or a Secret created by hand): the External Secrets Operator cannot take over a Secret a SealedSecret controls '
          + '(the ExternalSecret is never Ready, and the layer with it), and overwrites any other with the store\'s values (a password the '
          + 'database or broker does not have, if they differ). Put the current values in the store under the key it reads first; delete the '
          + 'SealedSecret (its Secret goes with it and the operator writes it again) as the change is applied. Then approve the change',
        manifest: a.manifest,
        file: a.file,
        environment: a.environment,
        cluster: a.cluster,
        constructPath: a.constructPath,
      });
    }
  }
  return risks;
}

/**
 * `CHANGE-EnvironmentRenamed`: objects of a data-bearing environment taken over, on the same cluster, by an environment
 * of another name (see movedObjects). The objects stay (no removal is reported), but the secret-store keys the
 * External Secrets backend derives from the environment's name change, and the old environment's GitOps objects are
 * deleted: a Flux Kustomization's finalizer prunes (prune: true) the objects of its inventory that still carry its
 * labels, prune-disabled ones excepted, unless the ServiceAccount it impersonates is gone (kustomize-controller
 * kustomization_controller.go finalize / deleteObjects, fluxcd/pkg ssa/manager_delete.go Delete: the Inclusions
 * selector); an Argo CD Application without the resources finalizer is deleted without its objects (argo-cd
 * controller/appcontroller.go finalizeApplicationDeletion, Application.CascadedDeletion). One risk per rename, located
 * on the first data-bearing object (by file), else the first ExternalSecret.
 */
function environmentRenames(moved: readonly { before: PreviousObject; after: NextObject }[]): RiskyChange[] {
  const groups = new Map<string, { before: PreviousObject; after: NextObject }[]>();
  for (const p of moved) {
    const key = JSON.stringify([p.before.environment, p.after.environment, p.after.cluster]);
    groups.set(key, [...groups.get(key) ?? [], p]);
  }
  const risks: RiskyChange[] = [];
  const byFile = (a: { after: NextObject }, b: { after: NextObject }) => (a.after.file < b.after.file ? -1 : a.after.file > b.after.file ? 1 : 0);
  for (const pairs of groups.values()) {
    const data = pairs.filter((p) => isDataBearing(p.before.manifest) || backupOf(p.before.manifest) !== undefined).sort(byFile);
    const secrets = pairs.filter((p) => isExternalSecret(p.before.manifest)).sort(byFile);
    const located = data[0] ?? secrets[0];
    if (located === undefined) continue;
    const from = located.before.environment!;
    const to = located.after.environment!;
    const held = [...data, ...secrets].slice(0, 3).map((p) => `${p.after.manifest.kind} "${p.after.manifest.metadata.name}"`).join(', ')
      + (data.length + secrets.length > 3 ? ` and ${data.length + secrets.length - 3} more` : '');
    const keys = [...new Set(secrets.flatMap((p) => secretKeyChanges(p.before.manifest, p.after.manifest)
      .map((k) => `${describe(p.after.manifest)} ${k.text}`)))];
    const namespaces = [...new Set(pairs.map((p) => p.after.manifest.metadata?.namespace).filter((n): n is string => typeof n === 'string'))].sort();
    risks.push({
      ruleId: 'CHANGE-EnvironmentRenamed',
      message: `environment "${from}" is renamed to "${to}" on cluster "${located.after.cluster}"`
        + `${namespaces.length > 0 ? ` (namespace ${namespaces.map((n) => `"${n}"`).join(', ')})` : ''}: its objects stay where they are and `
        + `environment "${to}" takes them over (${held}), but `
        + (keys.length > 0 ? `the secret-store keys its ExternalSecrets read change with the name: ${keys.join('; ')}. Copy each value to its new key `
          + 'in the store before the change: the External Secrets Operator cannot read a missing key (the ExternalSecret fails, the layer never turns '
          + 'Ready), and a Secret deleted with its old ExternalSecret is not created again. Meanwhile, ' : '')
        + `the GitOps objects of "${from}" are deleted: Flux deletes its Kustomizations, whose finalizer prunes what the new ones have not taken over `
        + 'yet (every object but the prune-disabled data objects, ExternalSecrets included, and with them their Secrets, which they own) '
        + `unless the deployer ServiceAccount of "${from}", renamed too, is already gone (the objects are then left unmanaged until taken over); `
        + `Argo CD deletes its Application without its objects (no resources finalizer) and the Application of "${to}" takes them over. `
        + 'Keep the environment\'s name, or copy the keys first and approve the rename '
        + '(ChangeApprovals.approve(scope, { ruleId: \'CHANGE-EnvironmentRenamed\', reason }))',
      manifest: located.after.manifest,
      file: located.after.file,
      environment: to,
      cluster: located.after.cluster,
      constructPath: located.after.constructPath,
      formerEnvironment: from,
    });
  }
  return risks;
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
    const unmanaged = factOf(manifest, 'whileUnmanaged')?.(manifest);
    return 'its prune is disabled, so it stays in the cluster with its data but is no longer managed from Git (no updates, '
      + `no health checks) until someone deletes it, which ${onDelete}${unmanaged ? `. ${unmanaged}` : ''}`;
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
