import { ALLOW_PRIVILEGE_ESCALATION } from './allow-privilege-escalation';
import { APP_ARMOR_PROFILE } from './app-armor-profile';
import { CAPABILITIES_BASELINE } from './capabilities-baseline';
import { CAPABILITIES_RESTRICTED } from './capabilities-restricted';
import { HOST_NAMESPACES } from './host-namespaces';
import { HOST_PATH_VOLUMES } from './host-path-volumes';
import { HOST_PORTS } from './host-ports';
import { HOST_PROBES_AND_HOST_LIFECYCLE } from './host-probes-and-host-lifecycle';
import { PRIVILEGED } from './privileged';
import { PROC_MOUNT } from './proc-mount';
import { PROC_MOUNT_RESTRICTED } from './proc-mount-restricted';
import { RESTRICTED_VOLUMES } from './restricted-volumes';
import { RUN_AS_NON_ROOT } from './run-as-non-root';
import { RUN_AS_USER } from './run-as-user';
import { SE_LINUX_OPTIONS } from './se-linux-options';
import { SECCOMP_PROFILE_BASELINE } from './seccomp-profile-baseline';
import { SECCOMP_PROFILE_RESTRICTED } from './seccomp-profile-restricted';
import { SYSCTLS } from './sysctls';
import { PodSecurityCheck, PssLevel, PssVersion } from './types';
import { formatPssVersion, toPssVersion } from './version';
import { WINDOWS_HOST_PROCESS } from './windows-host-process';

/** Every check of the standard: the baseline checks, then the restricted ones. */
export const POD_SECURITY_CHECKS: readonly PodSecurityCheck[] = Object.freeze([
  // baseline
  HOST_NAMESPACES,
  PRIVILEGED,
  CAPABILITIES_BASELINE,
  HOST_PATH_VOLUMES,
  HOST_PORTS,
  APP_ARMOR_PROFILE,
  SE_LINUX_OPTIONS,
  PROC_MOUNT,
  SECCOMP_PROFILE_BASELINE,
  SYSCTLS,
  WINDOWS_HOST_PROCESS,
  HOST_PROBES_AND_HOST_LIFECYCLE,
  // restricted
  RESTRICTED_VOLUMES,
  ALLOW_PRIVILEGE_ESCALATION,
  RUN_AS_NON_ROOT,
  RUN_AS_USER,
  SECCOMP_PROFILE_RESTRICTED,
  CAPABILITIES_RESTRICTED,
  PROC_MOUNT_RESTRICTED,
]);

/** checksInForce by level and version: the set of checks is fixed, so the answer never changes. */
const IN_FORCE = new Map<string, readonly PodSecurityCheck[]>();

/**
 * The checks of a level, whatever the version: baseline = the baseline checks; restricted = the baseline checks
 * plus the restricted checks. Use {@link checksInForce} for the exact set upstream evaluates at a version
 * (checks that do not exist yet left out, baseline checks replaced by a restricted one left out).
 */
export function checksFor(level: PssLevel): PodSecurityCheck[] {
  switch (level) {
    case 'baseline':
      return POD_SECURITY_CHECKS.filter(c => c.level === 'baseline');
    case 'restricted':
      return [...POD_SECURITY_CHECKS];
    default:
      throw new Error(`unknown Pod Security Standards level ${JSON.stringify(level)}: expected "baseline" or "restricted"`);
  }
}

/**
 * The checks upstream evaluates at `level` and `version`: the checks of the level that exist in that version,
 * minus (at the restricted level) the baseline checks that a restricted check overrides in that version
 * (`capabilities_baseline` by `capabilities_restricted` from 1.22, `seccompProfile_baseline` by
 * `seccompProfile_restricted` from 1.19, `hostPathVolumes` by `restrictedVolumes`, `procMount` by
 * `procMount_restricted` from 1.35).
 */
export function checksInForce(level: PssLevel, version: PssVersion | string): PodSecurityCheck[] {
  return [...inForce(level, toPssVersion(version))];
}

/** Whether `check` is one of {@link checksInForce} (cached: rules ask it for every object). */
export function isCheckInForce(check: PodSecurityCheck, level: PssLevel, version: PssVersion | string): boolean {
  return inForce(level, toPssVersion(version)).includes(check);
}

function inForce(level: PssLevel, v: PssVersion): readonly PodSecurityCheck[] {
  const key = `${level}|${formatPssVersion(v)}`;
  let cached = IN_FORCE.get(key);
  if (!cached) {
    cached = computeChecksInForce(level, v);
    IN_FORCE.set(key, cached);
  }
  return cached;
}

function computeChecksInForce(level: PssLevel, v: PssVersion): PodSecurityCheck[] {
  const existing = checksFor(level).filter(c => c.existsIn(v));
  const overridden = new Set<string>();
  if (level === 'restricted') {
    for (const c of existing) {
      c.overridesAt(v).forEach(id => overridden.add(id));
    }
  }
  return existing.filter(c => c.level === 'restricted' || !overridden.has(c.upstreamId));
}

/**
 * The check that replaces `check` at `level` and `version` (upstream `OverrideCheckIDs`), if any.
 */
export function overridingCheck(check: PodSecurityCheck, level: PssLevel, version: PssVersion | string): PodSecurityCheck | undefined {
  if (level !== 'restricted' || check.level !== 'baseline') {
    return undefined;
  }
  const v = toPssVersion(version);
  return POD_SECURITY_CHECKS.find(c => c.level === 'restricted' && c.overridesAt(v).includes(check.upstreamId));
}

/** The check with that rule id (`PSS-RunAsNonRoot`) or upstream id (`runAsNonRoot`, case-insensitive). */
export function findPodSecurityCheck(id: string): PodSecurityCheck | undefined {
  const wanted = id.toLowerCase();
  return POD_SECURITY_CHECKS.find(c => c.id.toLowerCase() === wanted || c.upstreamId.toLowerCase() === wanted);
}
