/**
 * Types of the Pod Security Standards checks (internal module, not part of the jsii API).
 *
 * The checks follow the upstream `k8s.io/pod-security-admission` policy package: one check per
 * upstream check id, each with one or more behaviours keyed by the minimum Kubernetes minor
 * version they apply from.
 */

/** The two enforcing levels of the standard (`privileged` enforces nothing). */
export type PssLevel = 'baseline' | 'restricted';

/**
 * A version of the standard, as in the `pod-security.kubernetes.io/enforce-version` label:
 * a Kubernetes minor `1.N`, or `latest` (the newest behaviour of every check).
 */
export type PssVersion = { readonly major: 1; readonly minor: number } | 'latest';

/** A pod (or pod template): what the checks look at. */
export interface PodLike {
  /** Pod (template) metadata; the annotations matter (AppArmor, seccomp before 1.19). */
  readonly metadata: any;
  /** The PodSpec. */
  readonly spec: any;
}

/** One offending field. */
export interface PodSecurityViolation {
  /** What is wrong, naming the container and the bad value. */
  readonly message: string;
  /**
   * JSON pointer relative to the pod root object, e.g. `/spec/containers/0/securityContext/runAsNonRoot`
   * or `/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app`.
   */
  readonly path: string;
}

/** One check of the standard. */
export interface PodSecurityCheck {
  /** Rule id `PSS-<PascalCase>`, e.g. `PSS-RunAsNonRoot`. */
  readonly id: string;
  /** Upstream check id, e.g. `runAsNonRoot`, `capabilities_restricted`. */
  readonly upstreamId: string;
  /** Level the check belongs to (restricted also runs every baseline check it does not override). */
  readonly level: PssLevel;
  /** Short name of the control. */
  readonly title: string;
  /** One line: what the check requires. */
  readonly description: string;
  /** Why the check exists. */
  readonly explanation: string;
  /** How to fix a violation. */
  readonly fix: string;
  /** Documentation of the standard. */
  readonly helpUri: string;
  /** Minor versions (`1.N`) at which the behaviour of the check starts or changes, oldest first. */
  readonly versions: readonly string[];
  /** Whether the check exists in `version` (e.g. `runAsUser` only from 1.23). */
  existsIn(version: PssVersion): boolean;
  /**
   * Upstream ids of the baseline checks this (restricted) check replaces at the restricted level in
   * `version` (upstream `OverrideCheckIDs`): empty when none, or when the check does not apply.
   */
  overridesAt(version: PssVersion): readonly string[];
  /** Violations of the check; `undefined` when the check does not exist in `version`. */
  evaluate(pod: PodLike, version: PssVersion): PodSecurityViolation[] | undefined;
}
