import { asObject } from './helpers';
import { PodLike } from './types';
import { ObjectFact } from '../evaluation-scope';

/** A pod (template) found in a manifest. */
export interface PodTemplateRef {
  /** The pod: `metadata` and `spec` of the Pod or of the template. */
  readonly pod: PodLike;
  /**
   * JSON pointer of the pod (template) inside the manifest: `''` for a Pod, `/spec/template` for workload
   * controllers, `/spec/jobTemplate/spec/template` for a CronJob, `/template` for a PodTemplate.
   */
  readonly pointer: string;
}

interface TemplateKind {
  /** API groups the kind is accepted in (`''` = core). */
  readonly groups: readonly string[];
  /** Path of the template, as keys. */
  readonly path: readonly string[];
}

/** The kinds the PodSecurity admission plugin extracts a pod spec from. */
const TEMPLATE_KINDS: Record<string, TemplateKind> = {
  Pod: { groups: [''], path: [] },
  PodTemplate: { groups: [''], path: ['template'] },
  ReplicationController: { groups: [''], path: ['spec', 'template'] },
  ReplicaSet: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  Deployment: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  StatefulSet: { groups: ['apps'], path: ['spec', 'template'] },
  DaemonSet: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  Job: { groups: ['batch'], path: ['spec', 'template'] },
  CronJob: { groups: ['batch'], path: ['spec', 'jobTemplate', 'spec', 'template'] },
};

/** The JSON pointer of each kind's template (computed once: rules ask for every object). */
const POINTERS = new Map(Object.values(TEMPLATE_KINDS).map((k) => [k, k.path.map(p => '/' + p).join('')]));

/**
 * The pods a manifest runs: the Pod itself, or the pod template of a workload controller (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController, CronJob, PodTemplate). Other objects, and
 * controllers without a template, give none.
 */
export function podTemplates(manifest: any): PodTemplateRef[] {
  // most objects are no workload: answered before any lookup
  if (!mayRunPods(manifest)) return [];
  return POD_TEMPLATES.of(manifest);
}

/**
 * False for a manifest of which {@link podTemplates} finds no pod whatever it holds: not an object, or
 * of a kind that holds none (most objects). The test it starts with, for callers that can skip more.
 */
export function mayRunPods(manifest: any): boolean {
  return manifest !== null && typeof manifest === 'object' && typeof manifest.kind === 'string'
    && Object.prototype.hasOwnProperty.call(TEMPLATE_KINDS, manifest.kind);
}

/** Every rule over pods asks: computed once per object and evaluation. */
const POD_TEMPLATES = new ObjectFact<PodTemplateRef[]>(findPodTemplates);

function findPodTemplates(manifest: any): PodTemplateRef[] {
  const object = asObject(manifest);
  const kind = typeof object.kind === 'string' ? TEMPLATE_KINDS[object.kind] : undefined;
  if (!kind || !Object.prototype.hasOwnProperty.call(TEMPLATE_KINDS, object.kind)) {
    return [];
  }
  if (typeof object.apiVersion === 'string') {
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    if (!kind.groups.includes(group)) {
      return [];
    }
  }
  let node: unknown = object;
  for (const key of kind.path) {
    node = asObject(node)[key];
  }
  if (node === undefined || node === null || typeof node !== 'object' || Array.isArray(node)) {
    return [];
  }
  const template = node as Record<string, any>;
  return [{
    pod: { metadata: asObject(template.metadata), spec: asObject(template.spec) },
    pointer: POINTERS.get(kind)!,
  }];
}
