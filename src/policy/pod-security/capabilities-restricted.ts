import { asArray, containersOf, defineCheck, isSet, isWindowsPod, NormalizedPod, show } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Restricted `capabilities_restricted` (1.22+, 1.25+): containers must drop ALL capabilities and may only add
 * NET_BIND_SERVICE. Replaces `capabilities_baseline` at the restricted level.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.drop`
 * (must include `ALL`) and `.add` (undefined/empty or `NET_BIND_SERVICE`). From 1.25 Windows pods
 * (`spec.os.name: windows`) are exempt.
 */
export const CAPABILITIES_RESTRICTED = defineCheck({
  id: 'PSS-CapabilitiesRestricted',
  upstreamId: 'capabilities_restricted',
  level: 'restricted',
  title: 'Capabilities',
  description: 'Containers must drop ALL capabilities and may only add NET_BIND_SERVICE.',
  explanation: 'Even the runtime\'s default capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW on some runtimes...) widen what a '
    + 'compromised process can do; a hardened container starts from none.',
  fix: 'Set securityContext.capabilities.drop: ["ALL"] on every container and add back at most NET_BIND_SERVICE.',
  behaviours: [
    { since: 22, overrides: ['capabilities_baseline'], check: capabilitiesRestricted },
    { since: 25, overrides: ['capabilities_baseline'], check: pod => isWindowsPod(pod.spec) ? [] : capabilitiesRestricted(pod) },
  ],
});

function capabilitiesRestricted(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  for (const c of containersOf(pod.spec)) {
    const capabilities = c.securityContext.capabilities;
    const drop = asArray(capabilities?.drop);
    if (!drop.includes('ALL')) {
      violations.push({
        message: `${c.label} must set securityContext.capabilities.drop=["ALL"]`
          + (isSet(capabilities?.drop) ? ` (drops ${show(drop)})` : ''),
        path: `${c.path}/securityContext/capabilities/drop`,
      });
    }
    asArray(capabilities?.add).forEach((capability, index) => {
      if (capability !== 'NET_BIND_SERVICE') {
        violations.push({
          message: `${c.label} must not include ${show(capability)} in securityContext.capabilities.add (only "NET_BIND_SERVICE" is allowed)`,
          path: `${c.path}/securityContext/capabilities/add/${index}`,
        });
      }
    });
  }
  return violations;
}
