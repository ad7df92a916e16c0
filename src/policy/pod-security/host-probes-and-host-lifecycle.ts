import { asObject, ContainerRef, containersOf, defineCheck, isSet, NormalizedPod, show } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `hostProbesAndHostLifecycle` (1.34+): probes and lifecycle handlers must not target another host.
 *
 * Restricted fields, for every container, init container and ephemeral container:
 * `{livenessProbe,readinessProbe,startupProbe}.{httpGet,tcpSocket}.host` and
 * `lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host`; allowed: undefined, `""`.
 */
export const HOST_PROBES_AND_HOST_LIFECYCLE = defineCheck({
  id: 'PSS-HostProbesAndHostLifecycle',
  upstreamId: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  title: 'Probes and Lifecycle Hooks Host',
  description: 'Probes and lifecycle handlers must not set httpGet.host or tcpSocket.host.',
  explanation: 'The kubelet runs probes and lifecycle handlers from the node; a custom host turns them into a way to reach '
    + 'node-local or other internal endpoints from the node\'s network position.',
  fix: 'Remove the host field so the probe or handler targets the pod\'s own IP (use httpGet.httpHeaders for a Host header).',
  behaviours: [{ since: 34, check: hostProbesAndHostLifecycle }],
});

function hostProbesAndHostLifecycle(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const containers = containersOf(pod.spec);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    const lifecycle = asObject(c.container.lifecycle);
    checkHandler(violations, c, 'livenessProbe', c.container.livenessProbe);
    checkHandler(violations, c, 'readinessProbe', c.container.readinessProbe);
    checkHandler(violations, c, 'startupProbe', c.container.startupProbe);
    checkHandler(violations, c, 'lifecycle/postStart', lifecycle.postStart);
    checkHandler(violations, c, 'lifecycle/preStop', lifecycle.preStop);
  }
  return violations;
}

const ACTIONS = ['httpGet', 'tcpSocket'];

/** The httpGet / tcpSocket host of one probe or lifecycle handler (`where`: its path in the container). */
function checkHandler(violations: PodSecurityViolation[], c: ContainerRef, where: string, handler: unknown): void {
  const h = asObject(handler);
  for (let a = 0; a < ACTIONS.length; a++) {
    const action = ACTIONS[a];
    const host = asObject(h[action]).host;
    if (isSet(host) && host !== '') {
      violations.push({
        message: `${c.label} must not set ${where.replace('/', '.')}.${action}.host (${show(host)})`,
        path: `${c.path}/${where}/${action}/host`,
      });
    }
  }
}
