import { ObjectFact } from '../evaluation-scope';
import { podTemplates } from '../pod-security/templates';

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
  return options.init === false ? APP_CONTAINERS.of(manifest) : ALL_CONTAINERS.of(manifest);
}

/** Many rules read the containers: listed once per object and evaluation. */
const ALL_CONTAINERS = new ObjectFact<ContainerRef[]>((manifest) => listContainers(manifest, true));
const APP_CONTAINERS = new ObjectFact<ContainerRef[]>((manifest) => listContainers(manifest, false));

function listContainers(manifest: any, init: boolean): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const { pod, pointer } of podTemplates(manifest)) {
    const lists: Array<[string, boolean]> = [['containers', false]];
    if (init) lists.push(['initContainers', true]);
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
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  return expressionsMatch(selector.matchExpressions, labels);
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
