import { asArray, containersOf, defineCheck, NormalizedPod, show } from './helpers';
import { PodSecurityViolation } from './types';

/** Capabilities a baseline pod may add (the container runtime defaults). */
export const BASELINE_ALLOWED_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/**
 * Baseline `capabilities_baseline` (1.0+): adding capabilities beyond the default set is forbidden.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add`;
 * allowed: undefined/empty and the 13 default capabilities. At the restricted level it is replaced by
 * `capabilities_restricted` from 1.22.
 */
export const CAPABILITIES_BASELINE = defineCheck({
  id: 'PSS-CapabilitiesBaseline',
  upstreamId: 'capabilities_baseline',
  level: 'baseline',
  title: 'Capabilities',
  description: 'Containers must not add capabilities beyond the default set (securityContext.capabilities.add).',
  explanation: 'Capabilities such as SYS_ADMIN, NET_ADMIN, NET_RAW or SYS_PTRACE grant parts of root\'s power over the node '
    + 'and are common container escape paths; only the container runtime\'s default set may be added.',
  fix: 'Remove the capability from securityContext.capabilities.add; only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, '
    + 'MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT may be added.',
  behaviours: [{ since: 0, check: capabilitiesBaseline }],
});

function capabilitiesBaseline(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  for (const c of containersOf(pod.spec)) {
    const capabilities = c.securityContext.capabilities;
    asArray(capabilities?.add).forEach((capability, index) => {
      if (!BASELINE_ALLOWED_CAPABILITIES.has(capability)) {
        violations.push({
          message: `${c.label} must not include ${show(capability)} in securityContext.capabilities.add`,
          path: `${c.path}/securityContext/capabilities/add/${index}`,
        });
      }
    });
  }
  return violations;
}
