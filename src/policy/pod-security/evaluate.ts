import { checksInForce } from './registry';
import { podTemplates } from './templates';
import { PodSecurityCheck, PodSecurityViolation, PssVersion } from './types';
import { toPssVersion } from './version';

/** A violation located in the manifest. */
export interface LocatedPodSecurityViolation extends PodSecurityViolation {
  /** JSON pointer of the offending field inside the manifest (template pointer + `path`). */
  readonly pointer: string;
}

/** One finding of {@link evaluatePodSecurity}. */
export interface PodSecurityResult {
  /** The violated check. */
  readonly check: PodSecurityCheck;
  /** The offending field. */
  readonly violation: LocatedPodSecurityViolation;
}

/**
 * Evaluates the pods of a manifest (see {@link podTemplates}) against the Pod Security Standards at `level` and
 * `version`, like the PodSecurity admission plugin: the checks of {@link checksInForce}. `privileged` enforces
 * nothing. Objects that run no pod give no result.
 */
export function evaluatePodSecurity(
  manifest: any,
  level: 'privileged' | 'baseline' | 'restricted',
  version: PssVersion | string,
): PodSecurityResult[] {
  const v = toPssVersion(version);
  if (level === 'privileged') {
    return [];
  }
  const checks = checksInForce(level, v);
  const results: PodSecurityResult[] = [];
  for (const { pod, pointer } of podTemplates(manifest)) {
    for (const check of checks) {
      for (const violation of check.evaluate(pod, v) ?? []) {
        results.push({ check, violation: { ...violation, pointer: pointer + violation.path } });
      }
    }
  }
  return results;
}
