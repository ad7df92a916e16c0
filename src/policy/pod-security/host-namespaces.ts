import { defineCheck, NormalizedPod } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `hostNamespaces` (1.0+): sharing the host network, PID or IPC namespace is forbidden.
 *
 * Restricted fields: `spec.hostNetwork`, `spec.hostPID`, `spec.hostIPC`; allowed: undefined, `false`.
 */
export const HOST_NAMESPACES = defineCheck({
  id: 'PSS-HostNamespaces',
  upstreamId: 'hostNamespaces',
  level: 'baseline',
  title: 'Host Namespaces',
  description: 'Pods must not share the host network, PID or IPC namespace (spec.hostNetwork, spec.hostPID, spec.hostIPC).',
  explanation: 'A pod in a host namespace sees and can interfere with the node\'s network interfaces, processes or shared memory, '
    + 'which defeats container isolation.',
  fix: 'Remove spec.hostNetwork, spec.hostPID and spec.hostIPC (or set them to false).',
  behaviours: [{ since: 0, check: hostNamespaces }],
});

function hostNamespaces(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (pod.spec[field] === true) {
      violations.push({ message: `pod must not set spec.${field}=true`, path: `/spec/${field}` });
    }
  }
  return violations;
}
