import { ObjectFact } from '../evaluation-scope';
import { mayRunPods, podTemplates } from '../pod-security/templates';

/** A container of a pod (template) and where it is in the manifest. */
export interface ContainerRef {
  readonly container: any;
  /** JSON pointer of the container in the manifest. */
  readonly pointer: string;
  readonly initContainer: boolean;
}

/** Controllers that keep pods running (probes, PDBs and spread matter for them; not for Jobs). */
export const LONG_RUNNING_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'];
const LONG_RUNNING = new Set(LONG_RUNNING_KINDS);

/** The kinds `podTemplates` reads a pod (template) from: rules over containers apply to no other kind. */
export const POD_TEMPLATE_KINDS = ['Pod', 'PodTemplate', 'ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

export function isLongRunning(manifest: any): boolean {
  return LONG_RUNNING.has(manifest?.kind);
}

/** Every container of every pod (template) of a manifest. */
export function containersOf(manifest: any, options: { init?: boolean } = {}): ContainerRef[] {
  // an object of a kind that runs no pod has none: answered without the table of facts (every object
  // meets the rules that read any kind)
  if (!mayRunPods(manifest)) return [];
  return options.init === false ? APP_CONTAINERS.of(manifest) : ALL_CONTAINERS.of(manifest);
}

/** Many rules read the containers: listed once per object and evaluation. */
const ALL_CONTAINERS = new ObjectFact<ContainerRef[]>((manifest) => listContainers(manifest, true));
const APP_CONTAINERS = new ObjectFact<ContainerRef[]>((manifest) => listContainers(manifest, false));

function listContainers(manifest: any, withInit: boolean): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const { pod, pointer } of podTemplates(manifest)) {
    const lists: Array<[string, boolean]> = [['containers', false]];
    if (withInit) lists.push(['initContainers', true]);
    for (const [field, init] of lists) {
      const items = Array.isArray(pod.spec?.[field]) ? pod.spec[field] : [];
      items.forEach((container: any, i: number) => {
        // plain YAML may hold anything here (`- null`, a string): not a container the rules can read
        if (container !== null && typeof container === 'object' && !Array.isArray(container)) {
          out.push({ container, pointer: `${pointer}/spec/${field}/${i}`, initContainer: init });
        }
      });
    }
  }
  return out;
}

/** The pod template labels of a workload. */
export function podLabels(manifest: any): Record<string, string> {
  const [template] = podTemplates(manifest);
  return template?.pod.metadata?.labels ?? {};
}

/** Whether a Kubernetes label selector (matchLabels + matchExpressions) selects `labels`. */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const matchLabels = selector.matchLabels ?? {};
  // the entries of Object.entries (for any value: a string's characters too), without the copy
  // (every workload meets the selectors of its namespace)
  const keys = Object.keys(matchLabels);
  for (let i = 0; i < keys.length; i++) if (labels[keys[i]] !== matchLabels[keys[i]]) return false;
  return expressionsMatch(selector.matchExpressions, labels);
}

/** Where an object's label selector is: a PodDisruptionBudget's `spec.selector`, a NetworkPolicy's `spec.podSelector` (absent: every pod). */
export type SelectorField = 'selector' | 'podSelector';

function selectorOf(o: any, field: SelectorField): unknown {
  return field === 'selector' ? o?.spec?.selector : o?.spec?.podSelector ?? {};
}

/** Candidates of a list of selecting objects, by one `matchLabels` entry each (see {@link anySelects}). */
interface SelectorIndex {
  /** label key → value → objects indexed by that entry. */
  readonly byLabel: Map<string, Map<string, any[]>>;
  /** Objects without a string `matchLabels` entry: always candidates. */
  readonly unindexed: any[];
}

const SELECTOR_INDEXES: Record<SelectorField, WeakMap<any[], SelectorIndex>> = { selector: new WeakMap(), podSelector: new WeakMap() };

function selectorIndex(objects: any[], field: SelectorField): SelectorIndex {
  let index = SELECTOR_INDEXES[field].get(objects);
  if (index) return index;
  // each object under the entry of its matchLabels the fewest objects share (a selector selects a
  // pod only if the pod has every entry, that one included)
  const entries = objects.map((o) => {
    const selector = selectorOf(o, field) as any;
    const labels = selector !== null && typeof selector === 'object' ? selector.matchLabels : undefined;
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return [];
    return Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string');
  });
  const shared = new Map<string, number>();
  for (const list of entries) for (const [k, v] of list) shared.set(`${k}\u0000${v}`, (shared.get(`${k}\u0000${v}`) ?? 0) + 1);
  index = { byLabel: new Map(), unindexed: [] };
  objects.forEach((o, i) => {
    let best: [string, string] | undefined;
    let fewest = Infinity;
    for (const [k, v] of entries[i]) {
      const n = shared.get(`${k}\u0000${v}`)!;
      if (n < fewest) {
        best = [k, v];
        fewest = n;
      }
    }
    if (!best) {
      index!.unindexed.push(o);
      return;
    }
    let byValue = index!.byLabel.get(best[0]);
    if (!byValue) {
      byValue = new Map();
      index!.byLabel.set(best[0], byValue);
    }
    const list = byValue.get(best[1]);
    if (list) list.push(o); else byValue.set(best[1], [o]);
  });
  SELECTOR_INDEXES[field].set(objects, index);
  return index;
}

/**
 * Whether the selector (`field`) of any of `objects` selects `labels`: the answer of
 * `objects.some((o) => selectorMatches(selector of o, labels))`, but only the objects whose indexed
 * `matchLabels` entry the labels have are tested (the index is built once per list: the rules ask
 * it for every workload of a namespace, with one PodDisruptionBudget per workload).
 */
export function anySelects(objects: any[], field: SelectorField, labels: Record<string, string>): boolean {
  if (objects.length === 0) return false;
  const index = selectorIndex(objects, field);
  for (const [key, byValue] of index.byLabel) {
    const value = labels[key];
    if (typeof value !== 'string') continue;
    const candidates = byValue.get(value);
    if (candidates && someSelects(candidates, field, labels)) return true;
  }
  return someSelects(index.unindexed, field, labels);
}

/** `objects.some((o) => selectorMatches(selectorOf(o, field), labels))` as a plain loop. */
function someSelects(objects: any[], field: SelectorField, labels: Record<string, string>): boolean {
  for (let i = 0; i < objects.length; i++) {
    if (!(i in objects)) continue; // a hole, as some skips it
    if (selectorMatches(selectorOf(objects[i], field), labels)) return true;
  }
  return false;
}

/** Whether every `matchExpressions` requirement (In, NotIn, Exists, DoesNotExist) holds for `labels`; an unknown operator never does. */
export function expressionsMatch(expressions: any, labels: Record<string, string>): boolean {
  for (const e of Array.isArray(expressions) ? expressions : []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e?.key);
    const values: unknown[] = Array.isArray(e?.values) ? e.values : [];
    switch (e?.operator) {
      case 'In': if (!has || !values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** Replicas a workload asks for (DaemonSets: one per node, counted as many). */
export function replicasOf(manifest: any): number {
  if (manifest?.kind === 'DaemonSet') return Number.POSITIVE_INFINITY;
  if (!isLongRunning(manifest)) return 0;
  return typeof manifest.spec?.replicas === 'number' ? manifest.spec.replicas : 1;
}

/** A parsed image reference. */
export interface ImageRef {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Parses an image reference as the container runtime does: a first component with a `.` or `:`
 * (or `localhost`) is a registry, otherwise Docker Hub (`docker.io`, `library/` for single names).
 */
export function parseImage(image: string): ImageRef {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
  }
  let repository = parts.join('/');
  if (registry === 'docker.io' && parts.length === 1) repository = `library/${repository}`;
  return { registry, repository, tag, digest };
}
