import { asObject, containersOf, defineCheck, isSet, NormalizedPod, podSecurityContext, show } from './helpers';
import { PodSecurityViolation } from './types';

/** SELinux types allowed from 1.0. */
export const SELINUX_TYPES_1_0: ReadonlySet<string> = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
/** SELinux types allowed from 1.31 (adds `container_engine_t`). */
export const SELINUX_TYPES_1_31: ReadonlySet<string> = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

/**
 * Baseline `seLinuxOptions` (1.0+, 1.31+): the SELinux type is restricted, and a custom user or role is forbidden.
 *
 * Restricted fields: `spec.securityContext.seLinuxOptions.{type,user,role}` and the same fields of every
 * container, init container and ephemeral container. Allowed types: undefined/empty, `container_t`,
 * `container_init_t`, `container_kvm_t`, and from 1.31 `container_engine_t`; user and role: undefined/empty.
 */
export const SE_LINUX_OPTIONS = defineCheck({
  id: 'PSS-SELinuxOptions',
  upstreamId: 'seLinuxOptions',
  level: 'baseline',
  title: 'SELinux',
  description: 'seLinuxOptions.type must be a container type, and seLinuxOptions.user and .role must not be set.',
  explanation: 'A custom SELinux type, user or role can give the container an unconfined or host-level label (e.g. spc_t) '
    + 'and so bypass SELinux confinement.',
  fix: 'Remove seLinuxOptions.user and seLinuxOptions.role, and leave seLinuxOptions.type unset or set it to container_t, '
    + 'container_init_t, container_kvm_t (or container_engine_t from 1.31).',
  behaviours: [
    { since: 0, check: pod => seLinuxOptions(pod, SELINUX_TYPES_1_0) },
    { since: 31, check: pod => seLinuxOptions(pod, SELINUX_TYPES_1_31) },
  ],
});

function seLinuxOptions(pod: NormalizedPod, allowedTypes: ReadonlySet<string>): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const checkOptions = (raw: unknown, who: string, base: string) => {
    if (!isSet(raw)) {
      return;
    }
    const options = asObject(raw);
    const type = options.type ?? '';
    if (!allowedTypes.has(type)) {
      violations.push({
        message: `${who} must not set securityContext.seLinuxOptions.type to ${show(type)} (allowed: ${[...allowedTypes].filter(t => t)
          .map(t => JSON.stringify(t)).join(', ')} or unset)`,
        path: `${base}/seLinuxOptions/type`,
      });
    }
    for (const field of ['user', 'role']) {
      if (isSet(options[field]) && options[field] !== '') {
        violations.push({
          message: `${who} must not set securityContext.seLinuxOptions.${field} (${show(options[field])})`,
          path: `${base}/seLinuxOptions/${field}`,
        });
      }
    }
  };
  checkOptions(podSecurityContext(pod.spec).seLinuxOptions, 'pod', '/spec/securityContext');
  for (const c of containersOf(pod.spec)) {
    checkOptions(c.securityContext.seLinuxOptions, c.label, `${c.path}/securityContext`);
  }
  return violations;
}
