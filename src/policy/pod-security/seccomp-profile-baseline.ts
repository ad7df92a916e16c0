import { asObject, containersOf, defineCheck, escapePointerToken, isSet, NormalizedPod, podSecurityContext, show } from './helpers';
import { PodSecurityViolation } from './types';

/** Pod-level seccomp annotation (before 1.19). */
export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
/** Per-container seccomp annotation prefix (before 1.19). */
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/** Whether a `seccompProfile.type` is RuntimeDefault or Localhost. */
export function validSeccompType(type: unknown): boolean {
  return type === 'RuntimeDefault' || type === 'Localhost';
}

function validSeccompAnnotation(value: unknown): boolean {
  return value === 'runtime/default' || value === 'docker/default' || (typeof value === 'string' && value.startsWith('localhost/'));
}

/**
 * Baseline `seccompProfile_baseline` (1.0+, 1.19+): a seccomp profile, when set, must not be Unconfined.
 *
 * 1.0 - 1.18: annotations `seccomp.security.alpha.kubernetes.io/pod` and
 * `container.seccomp.security.alpha.kubernetes.io/<container>`; allowed: `runtime/default`, `docker/default`,
 * `localhost/*`, undefined.
 * 1.19+: `spec.securityContext.seccompProfile.type` and the containers' `securityContext.seccompProfile.type`;
 * allowed: `RuntimeDefault`, `Localhost`, undefined. At the restricted level it is replaced by
 * `seccompProfile_restricted` from 1.19.
 */
export const SECCOMP_PROFILE_BASELINE = defineCheck({
  id: 'PSS-SeccompProfileBaseline',
  upstreamId: 'seccompProfile_baseline',
  level: 'baseline',
  title: 'Seccomp',
  description: 'A seccomp profile, when set, must be RuntimeDefault or Localhost (never Unconfined).',
  explanation: 'Seccomp filters the system calls a container can make; Unconfined removes the filter and exposes the whole kernel '
    + 'attack surface.',
  fix: 'Set securityContext.seccompProfile.type to RuntimeDefault or Localhost (or leave it unset) at pod and container level.',
  behaviours: [
    { since: 0, check: seccompAnnotations },
    { since: 19, check: seccompFields },
  ],
});

function seccompAnnotations(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const annotations = asObject(pod.metadata.annotations);
  if (SECCOMP_POD_ANNOTATION in annotations && !validSeccompAnnotation(annotations[SECCOMP_POD_ANNOTATION])) {
    violations.push({
      message: `pod annotation ${SECCOMP_POD_ANNOTATION}=${show(annotations[SECCOMP_POD_ANNOTATION])} is forbidden `
        + '(allowed: "runtime/default", "docker/default", "localhost/<profile>")',
      path: `/metadata/annotations/${escapePointerToken(SECCOMP_POD_ANNOTATION)}`,
    });
  }
  const seen = new Set<string>();
  for (const c of containersOf(pod.spec)) {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + (c.container.name ?? '');
    if (seen.has(key) || !(key in annotations)) {
      continue;
    }
    seen.add(key);
    if (!validSeccompAnnotation(annotations[key])) {
      violations.push({
        message: `${c.label} annotation ${key}=${show(annotations[key])} is forbidden `
          + '(allowed: "runtime/default", "docker/default", "localhost/<profile>")',
        path: `/metadata/annotations/${escapePointerToken(key)}`,
      });
    }
  }
  return violations;
}

function seccompFields(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const podProfile = podSecurityContext(pod.spec).seccompProfile;
  if (isSet(podProfile) && !validSeccompType(asObject(podProfile).type)) {
    violations.push({
      message: `pod must not set securityContext.seccompProfile.type to ${show(asObject(podProfile).type)}`,
      path: '/spec/securityContext/seccompProfile/type',
    });
  }
  for (const c of containersOf(pod.spec)) {
    const profile = c.securityContext.seccompProfile;
    if (isSet(profile) && !validSeccompType(asObject(profile).type)) {
      violations.push({
        message: `${c.label} must not set securityContext.seccompProfile.type to ${show(asObject(profile).type)}`,
        path: `${c.path}/securityContext/seccompProfile/type`,
      });
    }
  }
  return violations;
}
