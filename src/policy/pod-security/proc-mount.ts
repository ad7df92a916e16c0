import { containersOf, defineCheck, isSet, isUserNamespacePod, NormalizedPod, show } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `procMount` (1.0+, 1.35+): the default /proc masks are required.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount`;
 * allowed: undefined, `Default`. From 1.35 any value is allowed in a user-namespace pod (`spec.hostUsers: false`);
 * the restricted level keeps the unconditional rule through `procMount_restricted`.
 */
export const PROC_MOUNT = defineCheck({
  id: 'PSS-ProcMount',
  upstreamId: 'procMount',
  level: 'baseline',
  title: '/proc Mount Type',
  description: 'Containers must use the default /proc mount (securityContext.procMount unset or Default).',
  explanation: 'The default /proc masks hide kernel and host information from the container; an Unmasked /proc exposes it '
    + '(outside a user namespace).',
  fix: 'Remove securityContext.procMount or set it to Default (baseline from 1.35 also allows it for pods with spec.hostUsers: false).',
  behaviours: [
    { since: 0, check: procMountUnconditional },
    { since: 35, check: pod => isUserNamespacePod(pod.spec) ? [] : procMountUnconditional(pod) },
  ],
});

/** The unconditional rule (upstream `procMount_1_0`), shared with `procMount_restricted`. */
export function procMountUnconditional(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const containers = containersOf(pod.spec);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    const procMount = c.securityContext.procMount;
    if (!isSet(procMount) || procMount === 'Default') continue;
    violations.push({
      message: `${c.label} must not set securityContext.procMount to ${show(procMount)}`,
      path: `${c.path}/securityContext/procMount`,
    });
  }
  return violations;
}
