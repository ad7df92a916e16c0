import { canonicalJson } from './canonical';
import {
  CreationField, DeclaredData, ImmutableEntry, LoginUsersField, KindFacts, NonDecreasingField, OperatorCreatedLabel, OperatorImage, TransitionRule,
  strictZoneSpread,
} from './kind-facts';
import { apiGroup } from './kinds';
import { compareQuantities, quantityOf } from './quantity';
import { DATABASE_ENGINE_FACTS } from '../database/engines';
import { QUEUE_ENGINE_FACTS } from '../queue/engines';
import { SECRET_FACTS } from '../secrets/facts';

const hasClaimTemplates = (m: any) => Array.isArray(m?.spec?.volumeClaimTemplates) && m.spec.volumeClaimTemplates.length > 0;

/**
 * How to grow a StatefulSet's volumes, when the only change of its claim templates is a larger
 * storage request: the API server refuses any change of `volumeClaimTemplates` (Kubernetes 1.32),
 * so the claims are resized one by one and the StatefulSet re-created around its running pods.
 */
function claimsGrown(m: any, previous: any, before: unknown, after: unknown): string | undefined {
  if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) return undefined;
  const sizeOf = (t: any) => t?.spec?.resources?.requests?.storage;
  const withoutSize = (t: any) => {
    const resources = t?.spec?.resources;
    return canonicalJson({ ...t, spec: { ...t?.spec, resources: { ...resources, requests: { ...resources?.requests, storage: null } } } });
  };
  const grown: { name: string; from: string; to: string }[] = [];
  for (let i = 0; i < after.length; i++) {
    if (withoutSize(before[i]) !== withoutSize(after[i])) return undefined;
    const [x, y] = [quantityOf(sizeOf(before[i])), quantityOf(sizeOf(after[i]))];
    if (x === undefined || y === undefined) return undefined;
    const cmp = compareQuantities(y, x);
    if (cmp < 0) return undefined;
    if (cmp > 0) grown.push({ name: String(after[i]?.metadata?.name), from: sizeOf(before[i]), to: sizeOf(after[i]) });
  }
  if (grown.length === 0) return undefined;
  const name = m.metadata.name;
  const ns = m.metadata.namespace ? ` -n ${m.metadata.namespace}` : '';
  // the claims there are: those of the replicas it had (claims of ordinals added in the same change are created at the new size)
  const replicas = typeof previous?.spec?.replicas === 'number' ? previous.spec.replicas : 1;
  const ordinals = replicas > 0 ? `ordinals 0 to ${replicas - 1}, and any kept from a scale-down` : 'those kept from earlier replicas, if any';
  const claims = grown.map((g) => `\`kubectl${ns} patch pvc ${g.name}-${name}-<ordinal> --type merge -p '{"spec":{"resources":{"requests":{"storage":"${g.to}"}}}}'\``);
  const growth = grown.map((g) => `the volumes of claim template "${g.name}" grow from ${g.from} to ${g.to}`).join(', ');
  return `${growth} (/spec/volumeClaimTemplates), which the API server refuses on a StatefulSet: the apply of the whole layer fails `
    + `until the StatefulSet is re-created. Once the change is committed, grow the volumes by hand: resize each claim (${ordinals}; `
    + `its StorageClass must allow expansion) with ${claims.join(' and ')}, then \`kubectl${ns} delete statefulset ${name} --cascade=orphan\` `
    + '(its pods and claims stay): the next apply re-creates it with the new template, and it adopts the running pods';
}

/**
 * What a new storage class in a StatefulSet's claim templates does, when the class (and at most a
 * larger size) is all that changed: the API server refuses it, and even a re-created StatefulSet
 * gives the class only to the claims it creates later.
 */
function claimsReclassed(before: unknown, after: unknown): string | undefined {
  if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) return undefined;
  const classOf = (t: any): string | undefined => t?.spec?.storageClassName;
  const named = (c?: string) => (c === undefined ? 'the default class' : JSON.stringify(c));
  const rest = (t: any) => {
    const resources = t?.spec?.resources;
    const requests = { ...resources?.requests, storage: null };
    return canonicalJson({ ...t, spec: { ...t?.spec, storageClassName: null, resources: { ...resources, requests } } });
  };
  const moved: string[] = [];
  for (let i = 0; i < after.length; i++) {
    if (rest(before[i]) !== rest(after[i])) return undefined;
    const [x, y] = [classOf(before[i]), classOf(after[i])];
    if (x !== y) moved.push(`the storage class of claim template "${after[i]?.metadata?.name}" changes from ${named(x)} to ${named(y)}`);
  }
  if (moved.length === 0) return undefined;
  return `${moved.join(', ')} (/spec/volumeClaimTemplates), which the API server refuses on a StatefulSet: the apply of the whole layer fails until `
    + 'the StatefulSet is re-created, and even then the volumes there keep their class (a claim\'s class never changes; only claims created later take '
    + 'the new one). Keep the class, or migrate the data to a new StatefulSet on the new class (a new database or queue), then remove the old one';
}

/**
 * The Kubernetes kinds the pipeline knows whichever engine renders them: claims and StatefulSets
 * with volume claim templates hold data; the fields Kubernetes refuses to change in place.
 */
const CORE_KIND_FACTS: readonly KindFacts[] = [
  {
    group: '',
    kind: 'PersistentVolumeClaim',
    // kstatus reads a claim's phase itself: no Flux expression
    dataBearing: true,
    onDelete: () => 'deletes the claim, and its volume with the data unless the PersistentVolume\'s reclaim policy is Retain',
    storage: (m) => [{
      pointer: '/spec/resources/requests/storage', size: m.spec?.resources?.requests?.storage, storageClass: m.spec?.storageClassName, classPointer: '/spec/storageClassName',
    }],
    immutableFields: ['/spec/storageClassName', '/spec/accessModes', '/spec/volumeName'],
  },
  {
    group: 'apps',
    kind: 'StatefulSet',
    dataBearing: hasClaimTemplates,
    // apps/v1 StatefulSetPersistentVolumeClaimRetentionPolicy: `Retain` (the default) leaves the claims of the
    // volumeClaimTemplates when the StatefulSet is deleted, `Delete` deletes them
    onDelete: (m) => (m.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete'
      ? 'deletes its volume claims (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete), and their volumes with the data unless a reclaim policy is Retain'
      : `leaves its volume claims with the data (persistentVolumeClaimRetentionPolicy.whenDeleted: ${m.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain, the default'}), `
        + 'unused until someone deletes them'),
    storage: (m) => (m.spec?.volumeClaimTemplates ?? []).map((t: any, i: number) => ({
      pointer: `/spec/volumeClaimTemplates/${i}/spec/resources/requests/storage`,
      size: t?.spec?.resources?.requests?.storage,
      storageClass: t?.spec?.storageClassName,
      classPointer: `/spec/volumeClaimTemplates/${i}/spec/storageClassName`,
    })),
    replicas: (m) => (hasClaimTemplates(m) && typeof m.spec?.replicas === 'number' ? { count: m.spec.replicas, pointer: '/spec/replicas', minimum: 3 } : undefined),
    immutableFields: ['/spec/volumeClaimTemplates', '/spec/selector', '/spec/serviceName', '/spec/podManagementPolicy'],
    immutableFieldAdvice: (m, previous, pointer, before, after) => (pointer === '/spec/volumeClaimTemplates'
      ? claimsGrown(m, previous, before, after) ?? claimsReclassed(before, after) : undefined),
    // the API server defaults fields of the claim templates (volumeMode, status)
    argoCdIgnoreDifferences: ['/spec/volumeClaimTemplates'],
    zoneSpread: (m) => (hasClaimTemplates(m) ? strictZoneSpread(m.spec?.template?.spec?.topologySpreadConstraints, '/spec/template/spec/topologySpreadConstraints') : undefined),
  },
  {
    group: 'storage.k8s.io',
    kind: 'StorageClass',
    immutableFields: ['/provisioner', '/parameters', '/reclaimPolicy', '/volumeBindingMode'],
    deletionPolicy: (m) => (typeof m.reclaimPolicy === 'string' ? { value: m.reclaimPolicy, pointer: '/reclaimPolicy' } : undefined),
  },
  // deleting a Namespace deletes every object in it, those whose own prune is disabled included: Flux and
  // Argo CD never prune one (an environment dropped from code leaves its namespace and its data in place)
  { group: '', kind: 'Namespace', neverPruned: true },
  { group: '', kind: 'Service', immutableFields: ['/spec/clusterIP'] },
  {
    group: 'batch',
    kind: 'Job',
    // hooks Argo CD recreates, and Jobs Flux is told to replace, are recreated by design
    immutableFields: (m) => {
      const a = m.metadata?.annotations ?? {};
      return a['argocd.argoproj.io/hook'] || a['kustomize.toolkit.fluxcd.io/force'] === 'enabled' ? [] : ['/spec/template'];
    },
  },
  { group: 'apps', kind: 'Deployment', immutableFields: ['/spec/selector'] },
  { group: 'apps', kind: 'DaemonSet', immutableFields: ['/spec/selector'] },
];

/**
 * Every kind the pipeline knows, engines first (a descriptor of an engine's own objects wins over
 * the core one), then the secret sources', then the core kinds.
 */
export const KIND_FACTS: readonly KindFacts[] = [...DATABASE_ENGINE_FACTS, ...QUEUE_ENGINE_FACTS, ...SECRET_FACTS, ...CORE_KIND_FACTS];

const BY_KEY = new Map<string, KindFacts[]>();
for (const f of KIND_FACTS) {
  const key = `${f.group}/${f.kind}`;
  BY_KEY.set(key, [...(BY_KEY.get(key) ?? []), f]);
}

/** The descriptors that apply to `manifest`, in registry order. */
function descriptorsOf(manifest: any): KindFacts[] {
  if (!manifest || typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') return [];
  return (BY_KEY.get(`${apiGroup(manifest.apiVersion)}/${manifest.kind}`) ?? []).filter((f) => !f.matches || f.matches(manifest));
}

/** A fact about `manifest`: from the first descriptor that applies to it and declares it. */
export function factOf<K extends keyof KindFacts>(manifest: any, key: K): KindFacts[K] | undefined {
  for (const f of descriptorsOf(manifest)) if (f[key] !== undefined) return f[key];
  return undefined;
}

/**
 * Whether an object holds data. Flux (`kustomize.toolkit.fluxcd.io/prune: disabled`), Argo CD
 * (`Prune=false`) and the change-safety gate all read this one predicate.
 */
export function isDataBearing(manifest: any): boolean {
  const d = factOf(manifest, 'dataBearing');
  return typeof d === 'function' ? d(manifest) === true : d === true;
}

/**
 * Whether Flux (`kustomize.toolkit.fluxcd.io/prune: disabled`) and Argo CD (`Prune=false`) must never
 * prune the object: it holds data, or deleting it deletes objects that do (`KindFacts.neverPruned`).
 */
export function isNeverPruned(manifest: any): boolean {
  return isDataBearing(manifest) || factOf(manifest, 'neverPruned') === true;
}

/** The descriptor of `manifest`'s kind that declares its Flux health expressions. */
export function fluxHealthFactsOf(manifest: any): KindFacts | undefined {
  return descriptorsOf(manifest).find((f) => f.fluxReady !== undefined);
}

/** The kind's own text for a change of an immutable field of `manifest` (`KindFacts.immutableFieldAdvice`), or undefined. */
export function immutableFieldAdviceOf(manifest: any, previous: any, pointer: string, before: unknown, after: unknown): string | undefined {
  return factOf(manifest, 'immutableFieldAdvice')?.(manifest, previous, pointer, before, after);
}

/** Fields whose change Kubernetes or the operator refuses (or turns into a recreate). */
export function immutableFieldsOf(manifest: any): string[] {
  const f = factOf(manifest, 'immutableFields');
  return typeof f === 'function' ? f(manifest) : [...(f ?? [])];
}

/** Fields `manifest`'s CRD keeps as first set with a transition rule (`KindFacts.transitionRules`). */
export function transitionRulesOf(manifest: any): readonly TransitionRule[] {
  return factOf(manifest, 'transitionRules') ?? [];
}

/** Fields `manifest`'s operator reads to create the data (`KindFacts.creationFields`). */
export function creationFieldsOf(manifest: any): readonly CreationField[] {
  return factOf(manifest, 'creationFields') ?? [];
}

/** Fields whose removal `manifest`'s operator does not undo (`KindFacts.removalKeptFields`). */
export function removalKeptFieldsOf(manifest: any): readonly CreationField[] {
  return factOf(manifest, 'removalKeptFields')?.(manifest) ?? [];
}

/** Where `manifest` keeps its pods strictly spread over the zones (`KindFacts.zoneSpread`), or undefined. */
export function zoneSpreadOf(manifest: any): string | undefined {
  return factOf(manifest, 'zoneSpread')?.(manifest);
}

/** The embedded declarations of `manifest` kept as first applied (`KindFacts.immutableEntries`). */
export function immutableEntriesOf(manifest: any): ImmutableEntry[] {
  return factOf(manifest, 'immutableEntries')?.(manifest) ?? [];
}

/** The data declared inside `manifest` (`KindFacts.declaredData`). */
export function declaredDataOf(manifest: any): DeclaredData[] {
  return factOf(manifest, 'declaredData')?.(manifest) ?? [];
}

/** The users `manifest` (a database or a broker) lets log in and keeps retired (`KindFacts.loginUsers`), or undefined. */
export function loginUsersOf(manifest: any): LoginUsersField | undefined {
  return factOf(manifest, 'loginUsers')?.(manifest);
}

/** What instances removed from `manifest` hold and how to move it first (`KindFacts.removedInstances`), or undefined. */
export function removedInstancesOf(manifest: any, from: number, to: number): string | undefined {
  return factOf(manifest, 'removedInstances')?.(manifest, from, to);
}

/** The numeric fields `manifest` (the new object) cannot raise (`KindFacts.nonIncreasingFields`). */
export function nonIncreasingFieldsOf(manifest: any): readonly NonDecreasingField[] {
  return factOf(manifest, 'nonIncreasingFields')?.(manifest) ?? [];
}

/** The numeric fields of `manifest`'s kind that can only grow (`KindFacts.nonDecreasingFields`). */
export function nonDecreasingFieldsOf(manifest: any): readonly NonDecreasingField[] {
  return factOf(manifest, 'nonDecreasingFields') ?? [];
}

/**
 * The Argo CD `ignoreDifferences` entries of the kinds among `manifests` (an Application's objects) that declare
 * some, in registry order: an Application whose objects include none of a kind carries none of its entries.
 */
export function argoCdIgnoreDifferences(manifests: readonly any[]): { group: string; kind: string; jsonPointers: string[] }[] {
  const present = new Set<KindFacts>();
  for (const m of manifests) for (const f of descriptorsOf(m)) if (f.argoCdIgnoreDifferences !== undefined) present.add(f);
  return KIND_FACTS.filter((f) => present.has(f) && f.argoCdIgnoreDifferences!.length > 0)
    .map((f) => ({ group: f.group, kind: f.kind, jsonPointers: [...f.argoCdIgnoreDifferences!] }));
}

/** The kinds the engines and the secret sources declare (what they may render in a namespace): API group and kind. */
export function engineKinds(): Array<{ readonly group: string; readonly kind: string }> {
  return [...DATABASE_ENGINE_FACTS, ...QUEUE_ENGINE_FACTS, ...SECRET_FACTS].map((f) => ({ group: f.group, kind: f.kind }));
}

/** The labels operators put on the objects they create, one entry per label (values merged), in registry order. */
export function operatorCreatedLabels(): OperatorCreatedLabel[] {
  const out = new Map<string, { label: string; values?: string[] }>();
  for (const f of KIND_FACTS) {
    for (const { label, values } of f.operatorCreatedLabels ?? []) {
      const seen = out.get(label);
      if (!seen) out.set(label, values ? { label, values: [...values] } : { label });
      else if (seen.values && values) seen.values.push(...values.filter((v) => !seen.values!.includes(v)));
      // a label any value marks wins over a list of values
      else if (seen.values) out.set(label, { label });
    }
  }
  return [...out.values()];
}

/** The kinds whose objects may name images an operator runs (the engines' descriptors with `images`): what a rule reading them applies to. */
export function operatorImageKinds(): string[] {
  return [...new Set(KIND_FACTS.filter((f) => f.images !== undefined).map((f) => f.kind))].sort();
}

/** The images an operator runs for `manifest` (empty for other objects). */
export function operatorImagesOf(manifest: any): OperatorImage[] {
  const images = factOf(manifest, 'images');
  return images ? images(manifest) : [];
}
