import { asArray, asObject, containersOf, defineCheck, isSet, NormalizedPod } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `hostPorts` (1.0+): host ports are forbidden.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].ports[*].hostPort`;
 * allowed: undefined, `0`.
 */
export const HOST_PORTS = defineCheck({
  id: 'PSS-HostPorts',
  upstreamId: 'hostPorts',
  level: 'baseline',
  title: 'Host Ports',
  description: 'Containers must not bind host ports (ports[*].hostPort).',
  explanation: 'A host port exposes the pod on the node\'s network, bypasses network policies and Services, and lets the pod '
    + 'squat a port other node components rely on.',
  fix: 'Remove ports[*].hostPort (or set it to 0) and expose the pod through a Service instead.',
  behaviours: [{ since: 0, check: hostPorts }],
});

function hostPorts(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const containers = containersOf(pod.spec);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    const ports = asArray(c.container.ports);
    for (let index = 0; index < ports.length; index++) {
      if (!(index in ports)) continue; // a hole, as forEach skips it
      const hostPort = asObject(ports[index]).hostPort;
      if (isSet(hostPort) && Number(hostPort) !== 0) {
        violations.push({
          message: `${c.label} must not set hostPort ${JSON.stringify(hostPort)} (ports[${index}].hostPort)`,
          path: `${c.path}/ports/${index}/hostPort`,
        });
      }
    }
  }
  return violations;
}
