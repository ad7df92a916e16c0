import { containersOf, defineCheck, isWindowsPod, NormalizedPod, show } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Restricted `allowPrivilegeEscalation` (1.8+, 1.25+): privilege escalation must be disabled explicitly.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation`;
 * allowed: `false`. From 1.25 Windows pods (`spec.os.name: windows`) are exempt.
 */
export const ALLOW_PRIVILEGE_ESCALATION = defineCheck({
  id: 'PSS-AllowPrivilegeEscalation',
  upstreamId: 'allowPrivilegeEscalation',
  level: 'restricted',
  title: 'Privilege Escalation',
  description: 'Containers must set securityContext.allowPrivilegeEscalation=false.',
  explanation: 'Unless disabled, a process can gain more privileges than its parent (setuid/setgid binaries, file capabilities); '
    + 'the default is to allow it, so it must be turned off explicitly.',
  fix: 'Set securityContext.allowPrivilegeEscalation: false on every container, init container and ephemeral container.',
  behaviours: [
    { since: 8, check: allowPrivilegeEscalation },
    { since: 25, check: pod => isWindowsPod(pod.spec) ? [] : allowPrivilegeEscalation(pod) },
  ],
});

function allowPrivilegeEscalation(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const containers = containersOf(pod.spec);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    const value = c.securityContext.allowPrivilegeEscalation;
    if (value === false) continue;
    violations.push({
      message: `${c.label} must set securityContext.allowPrivilegeEscalation=false`
        + (value === undefined || value === null ? ' (unset defaults to true)' : ` (is ${show(value)})`),
      path: `${c.path}/securityContext/allowPrivilegeEscalation`,
    });
  }
  return violations;
}
