import { asObject, containersOf, defineCheck, NormalizedPod, podSecurityContext } from './helpers';
import { PodSecurityViolation } from './types';

/**
 * Baseline `windowsHostProcess` (1.0+): Windows HostProcess containers are forbidden.
 *
 * Restricted fields: `spec.securityContext.windowsOptions.hostProcess` and the containers'
 * `securityContext.windowsOptions.hostProcess`; allowed: undefined, `false`.
 */
export const WINDOWS_HOST_PROCESS = defineCheck({
  id: 'PSS-WindowsHostProcess',
  upstreamId: 'windowsHostProcess',
  level: 'baseline',
  title: 'HostProcess',
  description: 'Windows pods must not run HostProcess containers (windowsOptions.hostProcess=true).',
  explanation: 'A Windows HostProcess container runs directly on the host with privileged access to it.',
  fix: 'Remove securityContext.windowsOptions.hostProcess (or set it to false) at pod and container level.',
  behaviours: [{ since: 0, check: windowsHostProcess }],
});

function windowsHostProcess(pod: NormalizedPod): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  if (asObject(podSecurityContext(pod.spec).windowsOptions).hostProcess === true) {
    violations.push({
      message: 'pod must not set securityContext.windowsOptions.hostProcess=true',
      path: '/spec/securityContext/windowsOptions/hostProcess',
    });
  }
  for (const c of containersOf(pod.spec)) {
    if (asObject(c.securityContext.windowsOptions).hostProcess === true) {
      violations.push({
        message: `${c.label} must not set securityContext.windowsOptions.hostProcess=true`,
        path: `${c.path}/securityContext/windowsOptions/hostProcess`,
      });
    }
  }
  return violations;
}
