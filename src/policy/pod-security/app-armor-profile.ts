import { asObject, containersOf, defineCheck, escapePointerToken, isSet, NormalizedPod, podSecurityContext, show } from './helpers';
import { PodSecurityViolation } from './types';

/** Prefix of the (deprecated) per-container AppArmor annotations. */
export const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const ALLOWED_PROFILE_TYPES = new Set(['RuntimeDefault', 'Localhost']);

/**
 * Baseline `appArmorProfile` (1.0+): the default AppArmor profile must not be disabled.
 *
 * Restricted fields: `metadata.annotations['container.apparmor.security.beta.kubernetes.io/*']` (allowed:
 * `runtime/default`, `localhost/*`, empty, undefined) and `spec.securityContext.appArmorProfile.type`,
 * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.appArmorProfile.type` (allowed:
 * `RuntimeDefault`, `Localhost`, undefined).
 *
 * The fields were added to the API in 1.30; upstream checks them in its single 1.0 behaviour, so a pinned
 * older version checks them too (an older API server would have dropped them).
 */
export const APP_ARMOR_PROFILE = defineCheck({
  id: 'PSS-AppArmorProfile',
  upstreamId: 'appArmorProfile',
  level: 'baseline',
  title: 'AppArmor',
  description: 'The AppArmor profile must not be Unconfined (appArmorProfile.type or the container.apparmor.security.beta annotations).',
  explanation: 'On AppArmor hosts the runtime/default profile confines containers; an unconfined container loses that mandatory '
    + 'access control layer.',
  fix: 'Set securityContext.appArmorProfile.type to RuntimeDefault or Localhost (or leave it unset), and remove '
    + 'container.apparmor.security.beta.kubernetes.io/* annotations that are not runtime/default or localhost/<profile>.',
  behaviours: [{ since: 0, check: appArmorProfile }],
});

function allowedAnnotationValue(value: unknown): boolean {
  return value === undefined || value === null || value === ''
    || value === 'runtime/default'
    || (typeof value === 'string' && value.startsWith('localhost/'));
}

function appArmorProfile(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];

  const podProfile = podSecurityContext(pod.spec).appArmorProfile;
  if (isSet(podProfile) && !ALLOWED_PROFILE_TYPES.has(asObject(podProfile).type)) {
    violations.push({
      message: `pod must not set securityContext.appArmorProfile.type to ${show(asObject(podProfile).type)}`,
      path: '/spec/securityContext/appArmorProfile/type',
    });
  }

  for (const c of containersOf(pod.spec)) {
    const profile = c.securityContext.appArmorProfile;
    if (isSet(profile) && !ALLOWED_PROFILE_TYPES.has(asObject(profile).type)) {
      violations.push({
        message: `${c.label} must not set securityContext.appArmorProfile.type to ${show(asObject(profile).type)}`,
        path: `${c.path}/securityContext/appArmorProfile/type`,
      });
    }
  }

  const annotations = asObject(pod.metadata.annotations);
  for (const key of Object.keys(annotations).sort()) {
    if (key.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAnnotationValue(annotations[key])) {
      const container = key.slice(APPARMOR_ANNOTATION_PREFIX.length);
      violations.push({
        message: `annotation ${key}=${show(annotations[key])} (container ${JSON.stringify(container)}) must be `
          + '"runtime/default", "localhost/<profile>" or empty',
        path: `/metadata/annotations/${escapePointerToken(key)}`,
      });
    }
  }
  return violations;
}
