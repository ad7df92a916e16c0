import { asObject, containersOf, defineCheck, isSet, isWindowsPod, NormalizedPod, podSecurityContext, show } from './helpers';
import { validSeccompType } from './seccomp-profile-baseline';
import { PodSecurityViolation } from './types';

/**
 * Restricted `seccompProfile_restricted` (1.19+, 1.25+): a seccomp profile must be set, to RuntimeDefault or Localhost.
 * Replaces `seccompProfile_baseline` at the restricted level.
 *
 * Restricted fields: `spec.securityContext.seccompProfile.type` and the containers'
 * `securityContext.seccompProfile.type`; allowed: `RuntimeDefault`, `Localhost` (a container may leave it unset when
 * the pod level sets an allowed value). From 1.25 Windows pods (`spec.os.name: windows`) are exempt.
 */
export const SECCOMP_PROFILE_RESTRICTED = defineCheck({
  id: 'PSS-SeccompProfileRestricted',
  upstreamId: 'seccompProfile_restricted',
  level: 'restricted',
  title: 'Seccomp',
  description: 'The pod or every container must set securityContext.seccompProfile.type to RuntimeDefault or Localhost.',
  explanation: 'Without a seccomp profile a container can make any system call, exposing the whole kernel attack surface; '
    + 'RuntimeDefault blocks the dangerous ones at negligible cost.',
  fix: 'Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost with a localhostProfile), and do not '
    + 'override it with Unconfined in a container.',
  behaviours: [
    { since: 19, overrides: ['seccompProfile_baseline'], check: seccompRestricted },
    { since: 25, overrides: ['seccompProfile_baseline'], check: pod => isWindowsPod(pod.spec) ? [] : seccompRestricted(pod) },
  ],
});

function seccompRestricted(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const podProfile = podSecurityContext(pod.spec).seccompProfile;
  const podSet = isSet(podProfile);
  if (podSet && !validSeccompType(asObject(podProfile).type)) {
    violations.push({
      message: `pod must not set securityContext.seccompProfile.type to ${show(asObject(podProfile).type)} `
        + '(must be "RuntimeDefault" or "Localhost")',
      path: '/spec/securityContext/seccompProfile/type',
    });
  }
  for (const c of containersOf(pod.spec)) {
    const profile = c.securityContext.seccompProfile;
    if (isSet(profile)) {
      if (!validSeccompType(asObject(profile).type)) {
        violations.push({
          message: `${c.label} must not set securityContext.seccompProfile.type to ${show(asObject(profile).type)} `
            + '(must be "RuntimeDefault" or "Localhost")',
          path: `${c.path}/securityContext/seccompProfile/type`,
        });
      }
    } else if (!podSet) {
      violations.push({
        message: `${c.label} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" `
          + '(or the pod must set spec.securityContext.seccompProfile)',
        path: `${c.path}/securityContext/seccompProfile`,
      });
    }
  }
  return violations;
}
