import { asArray, asObject, defineCheck, NormalizedPod, podSecurityContext, show } from './helpers';
import { PodSecurityViolation } from './types';

/** Safe sysctls from 1.0. */
export const SYSCTLS_1_0: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
]);
/** Safe sysctls from 1.27 (adds `net.ipv4.ip_local_reserved_ports`). */
export const SYSCTLS_1_27: ReadonlySet<string> = new Set([...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports']);
/** Safe sysctls from 1.29 (adds the TCP keepalive and FIN timeout sysctls). */
export const SYSCTLS_1_29: ReadonlySet<string> = new Set([
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
/** Safe sysctls from 1.32 (adds the TCP buffer sysctls). */
export const SYSCTLS_1_32: ReadonlySet<string> = new Set([...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']);
/**
 * Safe sysctls from 1.37 (kubernetes/kubernetes#138389 adds `net.ipv4.tcp_slow_start_after_idle` and
 * `net.ipv4.tcp_notsent_lowat`).
 */
export const SYSCTLS_1_37: ReadonlySet<string> = new Set([
  ...SYSCTLS_1_32,
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
]);

/**
 * Baseline `sysctls` (1.0+, 1.27+, 1.29+, 1.32+, 1.37+): only the namespaced, isolated ("safe") sysctls are allowed.
 *
 * Restricted field: `spec.securityContext.sysctls[*].name`; allowed: the safe list of the version.
 */
export const SYSCTLS = defineCheck({
  id: 'PSS-Sysctls',
  upstreamId: 'sysctls',
  level: 'baseline',
  title: 'Sysctls',
  description: 'Pods may only set safe sysctls (spec.securityContext.sysctls[*].name).',
  explanation: 'A sysctl that is not namespaced, or not isolated from other pods, can disable security mechanisms or affect '
    + 'every container on the node.',
  fix: 'Remove the sysctl from spec.securityContext.sysctls, or tune it on the node instead.',
  behaviours: [
    { since: 0, check: pod => sysctls(pod, SYSCTLS_1_0) },
    { since: 27, check: pod => sysctls(pod, SYSCTLS_1_27) },
    { since: 29, check: pod => sysctls(pod, SYSCTLS_1_29) },
    { since: 32, check: pod => sysctls(pod, SYSCTLS_1_32) },
    { since: 37, check: pod => sysctls(pod, SYSCTLS_1_37) },
  ],
});

function sysctls(pod: NormalizedPod, allowed: ReadonlySet<string>): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  asArray(podSecurityContext(pod.spec).sysctls).forEach((raw, index) => {
    const name = asObject(raw).name;
    if (!allowed.has(name)) {
      violations.push({
        message: `pod must not set sysctl ${show(name)} (not a safe sysctl in this version of the standard)`,
        path: `/spec/securityContext/sysctls/${index}/name`,
      });
    }
  });
  return violations;
}
