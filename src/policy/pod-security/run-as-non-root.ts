import { containersOf, defineCheck, isSet, isUserNamespacePod, NormalizedPod, podSecurityContext, show } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Restricted `runAsNonRoot` (1.0+, 1.35+): containers must run as non-root.
 *
 * Restricted fields: `spec.securityContext.runAsNonRoot` and the containers' `securityContext.runAsNonRoot`;
 * allowed: `true`, or undefined at container level when the pod level is `true`. From 1.35 user-namespace pods
 * (`spec.hostUsers: false`) are exempt.
 */
export const RUN_AS_NON_ROOT = defineCheck({
  id: 'PSS-RunAsNonRoot',
  upstreamId: 'runAsNonRoot',
  level: 'restricted',
  title: 'Running as Non-root',
  description: 'The pod or every container must set securityContext.runAsNonRoot=true.',
  explanation: 'A process running as root in the container is root on the node as soon as it escapes; runAsNonRoot makes the '
    + 'kubelet refuse to start a container whose image would run as UID 0.',
  fix: 'Set spec.securityContext.runAsNonRoot: true (or securityContext.runAsNonRoot: true on every container) and run the image '
    + 'as a non-zero UID (USER in the Dockerfile or securityContext.runAsUser).',
  behaviours: [
    { since: 0, check: runAsNonRoot },
    { since: 35, check: pod => isUserNamespacePod(pod.spec) ? [] : runAsNonRoot(pod) },
  ],
});

function runAsNonRoot(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const podValue = podSecurityContext(pod.spec).runAsNonRoot;
  const podSet = isSet(podValue);
  if (podSet && podValue !== true) {
    violations.push({
      message: `pod must not set securityContext.runAsNonRoot=${show(podValue)} (must be true)`,
      path: '/spec/securityContext/runAsNonRoot',
    });
  }
  for (const c of containersOf(pod.spec)) {
    const value = c.securityContext.runAsNonRoot;
    if (isSet(value)) {
      if (value !== true) {
        violations.push({
          message: `${c.label} must not set securityContext.runAsNonRoot=${show(value)} (must be true)`,
          path: `${c.path}/securityContext/runAsNonRoot`,
        });
      }
    } else if (!podSet) {
      // Inherits nothing: report it (when the pod level is set to a bad value, fixing that fixes the container too).
      violations.push({
        message: `${c.label} must set securityContext.runAsNonRoot=true (or the pod must set spec.securityContext.runAsNonRoot=true)`,
        path: `${c.path}/securityContext/runAsNonRoot`,
      });
    }
  }
  return violations;
}
