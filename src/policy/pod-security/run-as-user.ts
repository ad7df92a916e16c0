import { containersOf, defineCheck, isUserNamespacePod, NormalizedPod, podSecurityContext } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Restricted `runAsUser` (1.23+, 1.35+): containers must not run as UID 0.
 *
 * Restricted fields: `spec.securityContext.runAsUser` and the containers' `securityContext.runAsUser`;
 * allowed: non-zero, undefined. From 1.35 user-namespace pods (`spec.hostUsers: false`) are exempt.
 */
export const RUN_AS_USER = defineCheck({
  id: 'PSS-RunAsUser',
  upstreamId: 'runAsUser',
  level: 'restricted',
  title: 'Running as Non-root user',
  description: 'The pod and containers must not set securityContext.runAsUser=0.',
  explanation: 'runAsUser: 0 runs the container as root, which runAsNonRoot cannot override.',
  fix: 'Remove runAsUser: 0, or set a non-zero UID.',
  behaviours: [
    { since: 23, check: runAsUser },
    { since: 35, check: pod => isUserNamespacePod(pod.spec) ? [] : runAsUser(pod) },
  ],
});

function runAsUser(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  if (podSecurityContext(pod.spec).runAsUser === 0) {
    violations.push({ message: 'pod must not set securityContext.runAsUser=0', path: '/spec/securityContext/runAsUser' });
  }
  for (const c of containersOf(pod.spec)) {
    if (c.securityContext.runAsUser === 0) {
      violations.push({ message: `${c.label} must not set securityContext.runAsUser=0`, path: `${c.path}/securityContext/runAsUser` });
    }
  }
  return violations;
}
