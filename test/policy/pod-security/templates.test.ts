import { resolvePointer, restrictedSpec } from './pods';
import { evaluatePodSecurity, podTemplates } from '../../../src/policy/pod-security';

/** A restricted pod template with one violation per level: runAsNonRoot=false in the init container, an unconfined AppArmor annotation. */
function template(): any {
  const spec = restrictedSpec();
  spec.initContainers[0].securityContext.runAsNonRoot = false;
  return {
    metadata: { labels: { app: 'db' }, annotations: { 'container.apparmor.security.beta.kubernetes.io/api': 'unconfined' } },
    spec,
  };
}

const WORKLOADS: [string, any, string][] = [
  ['Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...template().metadata }, spec: template().spec }, ''],
  ['Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: template() } }, '/spec/template'],
  ['StatefulSet', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { serviceName: 's', template: template() } },
    '/spec/template'],
  ['DaemonSet', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { template: template() } }, '/spec/template'],
  ['ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { template: template() } }, '/spec/template'],
  ['ReplicationController', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { template: template() } },
    '/spec/template'],
  ['Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: template() } }, '/spec/template'],
  ['CronJob', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj' },
    spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template() } } },
  }, '/spec/jobTemplate/spec/template'],
  ['PodTemplate', { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'pt' }, template: template() }, '/template'],
];

describe('podTemplates', () => {
  test.each(WORKLOADS)('%s', (_kind, manifest, pointer) => {
    const templates = podTemplates(manifest);
    expect(templates).toHaveLength(1);
    expect(templates[0].pointer).toBe(pointer);
    expect(templates[0].pod.spec).toBe(resolvePointer(manifest, pointer).spec);
  });

  test.each([
    ['a Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { template: template() } }],
    ['a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }],
    ['a Deployment of another API group', { apiVersion: 'example.com/v1', kind: 'Deployment', spec: { template: template() } }],
    ['a Deployment without template', { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} }],
    ['a CronJob without jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '* * * * *' } }],
    ['an object named like an Object.prototype member', { kind: 'constructor' }],
    ['null', null],
    ['a string', 'kind: Pod'],
  ])('none for %s', (_what, manifest) => {
    expect(podTemplates(manifest)).toEqual([]);
  });

  test('a Pod without spec is evaluated as an empty pod', () => {
    expect(podTemplates({ apiVersion: 'v1', kind: 'Pod' })).toEqual([{ pod: { metadata: {}, spec: {} }, pointer: '' }]);
    expect(evaluatePodSecurity({ apiVersion: 'v1', kind: 'Pod' }, 'restricted', 'latest')).toEqual([]);
  });
});

describe('evaluatePodSecurity locates violations inside the manifest', () => {
  test.each(WORKLOADS)('%s', (_kind, manifest, pointer) => {
    const baseline = evaluatePodSecurity(manifest, 'baseline', 'v1.28');
    expect(baseline.map(r => [r.check.id, r.violation.pointer])).toEqual([
      ['PSS-AppArmorProfile', `${pointer}/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1api`],
    ]);
    expect(resolvePointer(manifest, baseline[0].violation.pointer)).toBe('unconfined');

    const restricted = evaluatePodSecurity(manifest, 'restricted', 'latest');
    expect(restricted.map(r => [r.check.id, r.violation.pointer])).toEqual([
      ['PSS-AppArmorProfile', `${pointer}/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1api`],
      ['PSS-RunAsNonRoot', `${pointer}/spec/initContainers/0/securityContext/runAsNonRoot`],
    ]);
    expect(restricted[1].violation.path).toBe('/spec/initContainers/0/securityContext/runAsNonRoot');
    expect(restricted[1].violation.message).toBe('init container "migrate" must not set securityContext.runAsNonRoot=false (must be true)');
    expect(resolvePointer(manifest, restricted[1].violation.pointer)).toBe(false);
  });

  test('privileged enforces nothing', () => {
    expect(evaluatePodSecurity(WORKLOADS[1][1], 'privileged', 'latest')).toEqual([]);
  });

  test('every violation of a badly configured CronJob points into its pod template', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                containers: [{ name: 'dump', image: 'postgres:16', securityContext: { privileged: true, runAsUser: 0 } }],
                ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }],
                volumes: [{ name: 'host', hostPath: { path: '/var/lib' } }],
              },
            },
          },
        },
      },
    };
    const results = evaluatePodSecurity(cronJob, 'restricted', 'v1.30');
    const base = '/spec/jobTemplate/spec/template/spec';
    expect(results.map(r => `${r.check.id} ${r.violation.pointer}`)).toEqual([
      `PSS-HostNamespaces ${base}/hostNetwork`,
      `PSS-Privileged ${base}/containers/0/securityContext/privileged`,
      `PSS-RestrictedVolumes ${base}/volumes/0/hostPath`,
      `PSS-AllowPrivilegeEscalation ${base}/containers/0/securityContext/allowPrivilegeEscalation`,
      `PSS-AllowPrivilegeEscalation ${base}/ephemeralContainers/0/securityContext/allowPrivilegeEscalation`,
      `PSS-RunAsNonRoot ${base}/containers/0/securityContext/runAsNonRoot`,
      `PSS-RunAsNonRoot ${base}/ephemeralContainers/0/securityContext/runAsNonRoot`,
      `PSS-RunAsUser ${base}/containers/0/securityContext/runAsUser`,
      `PSS-SeccompProfileRestricted ${base}/containers/0/securityContext/seccompProfile`,
      `PSS-SeccompProfileRestricted ${base}/ephemeralContainers/0/securityContext/seccompProfile`,
      `PSS-CapabilitiesRestricted ${base}/containers/0/securityContext/capabilities/drop`,
      `PSS-CapabilitiesRestricted ${base}/ephemeralContainers/0/securityContext/capabilities/drop`,
      `PSS-CapabilitiesRestricted ${base}/ephemeralContainers/0/securityContext/capabilities/add/0`,
    ]);
    for (const r of results) {
      expect(r.violation.pointer.startsWith('/spec/jobTemplate/spec/template/spec/')).toBe(true);
      // the container or volume it names exists; a field that is set resolves to its value
      const owner = /^.*\/(?:initContainers|containers|ephemeralContainers|volumes)\/\d+/.exec(r.violation.pointer)?.[0] ?? r.violation.pointer;
      expect(resolvePointer(cronJob, owner)).toBeDefined();
    }
  });
});
