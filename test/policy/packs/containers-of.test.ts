import * as fc from 'fast-check';
import { withObjectFacts } from '../../../src/policy/evaluation-scope';
import { containersOf } from '../../../src/policy/packs/workloads';
import { podTemplates } from '../../../src/policy/pod-security/templates';

/**
 * containersOf and podTemplates answer an object of a kind that runs no pod without their table of
 * facts. The reference is written out from the Kubernetes definitions (where each kind holds its pod,
 * in which API groups): both must list the same containers (the same objects, at the same pointers)
 * on any object, inside an evaluation and outside one.
 */
const TEMPLATES: Record<string, { groups: string[]; path: string[] }> = {
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

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The pod (template) of `m` and its pointer, as the definitions place it; undefined for none. */
function referencePod(m: unknown): { pod: Record<string, any>; pointer: string } | undefined {
  if (!isObject(m) || typeof m.kind !== 'string' || !Object.keys(TEMPLATES).includes(m.kind)) return undefined;
  const kind = TEMPLATES[m.kind];
  if (typeof m.apiVersion === 'string' && !kind.groups.includes(m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '')) return undefined;
  let node: unknown = m;
  for (const key of kind.path) node = isObject(node) ? node[key] : undefined;
  return isObject(node) ? { pod: node, pointer: kind.path.map((p) => `/${p}`).join('') } : undefined;
}

/** The pointers of the pods of `m`. */
function referencePods(m: unknown): string[] {
  const found = referencePod(m);
  return found ? [found.pointer] : [];
}

function referenceContainers(m: unknown, withInit: boolean): Array<{ container: unknown; pointer: string }> {
  const found = referencePod(m);
  if (!found) return [];
  const spec = isObject(found.pod.spec) ? found.pod.spec : {};
  const out: Array<{ container: unknown; pointer: string }> = [];
  for (const field of withInit ? ['containers', 'initContainers'] : ['containers']) {
    const list = Array.isArray(spec[field]) ? spec[field] : [];
    list.forEach((c: unknown, i: number) => {
      if (isObject(c)) out.push({ container: c, pointer: `${found.pointer}/spec/${field}/${i}` });
    });
  }
  return out;
}

const container = fc.oneof(fc.record({ name: fc.constantFrom('a', 'b') }), fc.constantFrom<unknown>(null, 'x', [], 3));
const pod = fc.record({
  metadata: fc.constantFrom<unknown>({ labels: { app: 'a' } }, undefined, 'x'),
  spec: fc.oneof(
    fc.record({ containers: fc.array(container, { maxLength: 3 }), initContainers: fc.array(container, { maxLength: 2 }) }, { requiredKeys: [] }),
    fc.constantFrom<unknown>(null, [], 'x'),
  ),
}, { requiredKeys: [] });
const manifest = fc.record({
  // the kinds that run pods, others, names of Object.prototype's members, not a string
  kind: fc.constantFrom<unknown>(
    ...Object.keys(TEMPLATES), 'Service', 'ConfigMap', 'Cluster', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 3, undefined,
  ),
  apiVersion: fc.constantFrom<unknown>('v1', 'apps/v1', 'extensions/v1beta1', 'batch/v1', 'postgresql.cnpg.io/v1', undefined, 7),
  spec: fc.oneof(
    fc.record({ template: pod, jobTemplate: fc.record({ spec: fc.record({ template: pod }) }) }, { requiredKeys: [] }),
    pod.map((p) => p.spec),
    fc.constantFrom<unknown>(null, 'x'),
  ),
  template: pod,
}, { requiredKeys: [] }).chain((m) => fc.constantFrom<unknown>(m, { ...m, ...(isObject(m.spec) ? m.spec : {}) }, null, 'Deployment', []));

describe('containersOf and podTemplates without the table of facts for kinds that run no pod', () => {
  test('list the containers the reference lists, for any object, inside an evaluation and outside one', () => {
    fc.assert(fc.property(manifest, (m) => {
      const lists = () => [containersOf(m), containersOf(m, { init: false })]
        .map((l) => l.map(({ container: c, pointer }) => ({ container: c, pointer })));
      const expected = [referenceContainers(m, true), referenceContainers(m, false)];
      expect(lists()).toEqual(expected);
      expect(podTemplates(m).map((t) => t.pointer)).toEqual(referencePods(m));
      withObjectFacts(() => {
        expect(lists()).toEqual(expected);
        // the same objects as the manifest holds (no copies), asked twice
        expect(lists()[0].every((c, i) => c.container === expected[0][i].container)).toBe(true);
        expect(podTemplates(m).map((t) => t.pointer)).toEqual(referencePods(m));
      });
    }), { numRuns: 2000 });
  });
});
