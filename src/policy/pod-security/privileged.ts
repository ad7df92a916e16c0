import { containersOf, defineCheck, NormalizedPod } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `privileged` (1.0+): privileged containers are forbidden.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.privileged`;
 * allowed: undefined, `false`.
 */
export const PRIVILEGED = defineCheck({
  id: 'PSS-Privileged',
  upstreamId: 'privileged',
  level: 'baseline',
  title: 'Privileged Containers',
  description: 'Containers must not run privileged (securityContext.privileged=true).',
  explanation: 'A privileged container has every capability and access to all host devices; it disables most security mechanisms '
    + 'and is effectively root on the node.',
  fix: 'Remove securityContext.privileged (or set it to false) on every container, init container and ephemeral container.',
  behaviours: [{ since: 0, check: privileged }],
});

function privileged(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const containers = containersOf(pod.spec);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    if (c.securityContext.privileged !== true) continue;
    violations.push({
      message: `${c.label} must not set securityContext.privileged=true`,
      path: `${c.path}/securityContext/privileged`,
    });
  }
  return violations;
}
