import { asObject, containersOf, defineCheck, isSet, NormalizedPod, show } from './helpers';
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
  for (const c of containersOf(pod.spec)) {
    const handlers: [string, unknown][] = [
      ['livenessProbe', c.container.livenessProbe],
      ['readinessProbe', c.container.readinessProbe],
      ['startupProbe', c.container.startupProbe],
      ['lifecycle/postStart', asObject(c.container.lifecycle).postStart],
      ['lifecycle/preStop', asObject(c.container.lifecycle).preStop],
    ];
    for (const [where, handler] of handlers) {
      for (const action of ['httpGet', 'tcpSocket']) {
        const host = asObject(asObject(handler)[action]).host;
        if (isSet(host) && host !== '') {
          violations.push({
            message: `${c.label} must not set ${where.replace('/', '.')}.${action}.host (${show(host)})`,
            path: `${c.path}/${where}/${action}/host`,
          });
        }
      }
    }
  }
  return violations;
}
