import { IConstruct } from 'constructs';
import type { ChangeSet, NextObject } from './analyze';
import { AppliedChangeApproval, ChangeApprovals } from './approvals';
import { operatorApplicationsOf, PreviousObject, PreviousOutput, readPreviousOutput } from './previous-output';
import { Environment } from '../../environment/environment';
import { Tier } from '../../environment/tier';
import { Finding, UnusedSuppression } from '../../policy/finding';
import { Severity } from '../../policy/severity';
import { OutputSnapshot } from '../writer/snapshot';

// The comparison with a previous output (fast-json-patch, the rename index, the tier rules),
// loaded when there is one: a first synthesis has none.
/* eslint-disable @typescript-eslint/no-require-imports */
const analyze = (): typeof import('./analyze') => require('./analyze');
const tiers = (): typeof import('./tiers') => require('./tiers');
const unchangedFiles = (): typeof import('./unchanged-files') => require('./unchanged-files');
const operators = (): typeof import('./operators') => require('./operators');
/* eslint-enable @typescript-eslint/no-require-imports */

export * from './approvals';
export { CHANGE_RULES } from './rules';
export type { ChangeSet, NextObject, RiskyChange } from './analyze';
export { gitBlobId, operatorApplicationsOf, previousOutputDigest, readCommittedOutput, readCommittedOutputOf, readOutputFolder, readPreviousOutput, unchangedFilesOf } from './previous-output';
export type { NextContents, PreviousObject, PreviousOutput, UnchangedFiles } from './previous-output';

/** The risky changes of going from `previous` to `next` (see analyze.ts); `previousClusters`: the cluster of each previous environment. */
export function analyzeChanges(previous: PreviousObject[], next: NextObject[], allNext: readonly NextObject[] = next,
  previousClusters?: ReadonlyMap<string, string>): ChangeSet {
  return analyze().analyzeChanges(previous, next, allNext, previousClusters);
}

/** {@link analyzeChanges} of a previous output, without the files whose bytes did not change (see unchanged-files.ts). */
export function analyzeSkippingUnchanged(previous: PreviousOutput, next: NextObject[]): ChangeSet {
  return unchangedFiles().analyzeSkippingUnchanged(previous, next);
}

/** Pack id under which change-safety findings are reported. */
export const CHANGE_SAFETY_PACK = 'change-safety';

/** At most this many risky changes are listed one by one (`synth()`, `publish`); the policy reports hold them all. */
export const RISKY_LISTED_MAX = 20;

/** How many callers (publish's in-process synthesis) list the risky changes themselves; process-wide, across copies of the library. */
const LISTED_ELSEWHERE = Symbol.for('cdk8s-stateful.risky-changes-listed-elsewhere');

/**
 * Runs `fn` with `GitOpsApp.synth()` silent about risky changes: the caller lists them itself
 * (publish, with an in-process synthesizer, would otherwise show each one twice).
 */
export function listingRiskyChangesElsewhere<T>(fn: () => T): T {
  const g = globalThis as any;
  g[LISTED_ELSEWHERE] = (g[LISTED_ELSEWHERE] ?? 0) + 1;
  try {
    return fn();
  } finally {
    g[LISTED_ELSEWHERE] -= 1;
  }
}

/** Whether a caller lists the risky changes itself (see `listingRiskyChangesElsewhere`). */
export function riskyChangesListedElsewhere(): boolean {
  return ((globalThis as any)[LISTED_ELSEWHERE] ?? 0) > 0;
}

/**
 * The risky changes that pass as warnings (outside production), one line each, for a person at the
 * terminal: without it, `cdk8s synth` and `publish` would show only how many there are, and the
 * message saying what the change does once applied, and how to avoid it, only in the reports.
 */
export function describeRiskyChanges(findings: readonly Finding[]): string {
  const lines = [`cdk8s-stateful: ${findings.length} risky change(s) pass as warning(s) here (refused in production):`];
  for (const f of findings.slice(0, RISKY_LISTED_MAX)) {
    const r = f.resource;
    const object = r ? ` ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}` : '';
    lines.push(`  warning ${f.ruleId}${object}${f.file ? ` (${f.file})` : ''}: ${f.message.split('\n')[0]}`);
  }
  if (findings.length > RISKY_LISTED_MAX) lines.push(`  … and ${findings.length - RISKY_LISTED_MAX} more (the policy reports list them all)`);
  return lines.join('\n') + '\n';
}

export interface ChangeSafetyResult {
  readonly changes?: ChangeSet;
  readonly findings: Finding[];
  readonly unusedApprovals: UnusedSuppression[];
  /**
   * The approvals (`approvalKey`) that let a risky change through now, or did in the previous output and stay: those
   * `publish` records as used.
   */
  readonly usedApprovals?: string[];
}

/** What change safety needs to know about an environment of the new output. */
export interface EnvironmentTier {
  readonly name: string;
  readonly tier: string;
  readonly cluster: string;
}

/** What identifies an approval across outputs: its rule, reason and scope (not the construct holding it). */
export function approvalKey(a: { ruleId: string; reason: string; kind?: string; name?: string; environment?: string }): string {
  return JSON.stringify([a.ruleId, a.reason, a.kind ?? null, a.name ?? null, a.environment ?? null]);
}

/** Every change approval attached to a construct of the tree, its environment resolved. */
export function collectApprovals(root: IConstruct): AppliedChangeApproval[] {
  const approvals: AppliedChangeApproval[] = [];
  for (const node of root.node.findAll()) {
    for (const a of ChangeApprovals.of(node)) {
      approvals.push({ ...a, environment: a.environment ?? Environment.tryOf(node)?.name });
    }
  }
  return approvals;
}

/**
 * Compares the new output with the previous one in `outdir` (or, when the folder holds no output,
 * the one committed in the Git repository holding it) and turns every risky change into a
 * finding: error in production, warning elsewhere; an approval in code (ChangeApprovals) marks it
 * approved (suppressed, with its reason). Approvals that match nothing are reported.
 * `files`: the new output's files (at least those of `next`, with the bytes they are written as):
 * the files whose previous bytes are the same are then neither parsed nor compared.
 * `snapshot`: the synthesis' view of `outdir` (see OutputSnapshot), shared with the writer.
 * `approvals`: those of `root` when already collected.
 * `operatorFiles`: the new output's Argo CD wiring (`argocd/`), whose operator Applications are compared
 * with the previous ones (`CHANGE-OperatorUpgraded`).
 */
export function evaluateChangeSafety(
  outdir: string,
  next: NextObject[],
  environments: EnvironmentTier[],
  root: IConstruct,
  files?: readonly { readonly path: string; readonly content: string }[],
  snapshot?: OutputSnapshot,
  approvals?: AppliedChangeApproval[],
  operatorFiles?: readonly { readonly path: string; readonly content: string }[],
): ChangeSafetyResult {
  let contents: Map<string, string> | undefined;
  if (files) {
    contents = new Map();
    for (const f of files) contents.set(f.path, f.content);
  }
  const previous = readPreviousOutput(outdir, contents, snapshot);
  // the new operator Applications, parsed only when the previous output has some to compare with
  const nextOperators = previous?.operators !== undefined && operatorFiles !== undefined
    ? operatorApplicationsOf(operatorFiles.map((f) => [f.path, f.content] as const)) : undefined;
  return judgeChanges(previous, next, environments, approvals ?? collectApprovals(root), nextOperators);
}

/**
 * The change-safety findings of going from `previous` to `next`, given the new output's
 * environments and the approvals that may allow them (the gate of `publish` passes only the
 * approvals recorded in the new output). `nextOperators`: the operator Applications of the new output
 * (`operatorApplicationsOf`), compared with the previous output's (`CHANGE-OperatorUpgraded`); none compared without them.
 */
export function judgeChanges(
  previous: PreviousOutput | undefined,
  next: NextObject[],
  environments: EnvironmentTier[],
  approvals: AppliedChangeApproval[],
  nextOperators?: readonly PreviousObject[],
): ChangeSafetyResult {
  const used = new Set<AppliedChangeApproval>();
  // an approval that let a change of the previous output through (recorded `used` by publish) approves no other. Left in
  // the code, it would otherwise approve the next change of the same rule and object (a 50 → 40Gi shrink approved, then a
  // 40 → 30Gi one) with the reason written for the first: each change needs its own approval. One declared ahead of
  // its change (recorded, not used) still counts
  const spent = new Set((previous?.approvals ?? []).filter((a) => a.used === true).map(approvalKey));
  const isSpent = (a: AppliedChangeApproval) => spent.has(approvalKey(a));
  const findings: Finding[] = [];
  let changes: ChangeSet | undefined;
  if (previous) {
    // the same as analyzeChanges(previous.objects, next), without the files whose bytes did not change
    const analyzed = analyzeSkippingUnchanged(previous, next);
    const { clusterTier, effectiveTier, environmentMoves, tierDowngrades, tierRank } = tiers();
    // an operator's Application is cluster-scoped: its findings take the tier of the cluster's platform layer
    const upgrades = nextOperators !== undefined && previous.operators !== undefined
      ? operators().operatorUpgrades(previous, nextOperators, next, environments) : [];
    changes = {
      ...analyzed,
      risks: [...tierDowngrades(environments, previous), ...environmentMoves(environments, previous), ...upgrades, ...analyzed.risks],
    };
    // keyed on what the previous output recorded as well as on the code: a demotion cannot soften
    // the findings of the change that demotes (the platform layer of a cluster is as critical as
    // its most critical environment)
    const tierOf = (envName: string | undefined, cluster: string | undefined): string | undefined =>
      (envName !== undefined ? effectiveTier(envName, environments, previous) : clusterTier(cluster, environments, previous));
    // an object of a renamed environment was deployed at the old name's tier: renaming cannot soften its findings either
    const riskTier = (r: { environment?: string; cluster?: string; formerEnvironment?: string }): string | undefined => {
      const now = tierOf(r.environment, r.cluster);
      const then = r.formerEnvironment !== undefined ? tierOf(r.formerEnvironment, r.cluster) : undefined;
      return tierRank(then) > tierRank(now) ? then : now;
    };
    for (const r of changes.risks) {
      const m = r.manifest;
      const matches = (a: AppliedChangeApproval) => a.ruleId === r.ruleId && (a.kind === undefined || a.kind === m.kind)
        && (a.name === undefined || a.name === m.metadata.name) && (a.environment === undefined || a.environment === r.environment);
      const approval = approvals.find((a) => !isSpent(a) && matches(a));
      const stale = approval === undefined ? approvals.find((a) => isSpent(a) && matches(a)) : undefined;
      if (approval) used.add(approval);
      findings.push({
        ruleId: r.ruleId,
        packId: CHANGE_SAFETY_PACK,
        severity: tierRank(riskTier(r)) >= tierRank(Tier.PRODUCTION) ? Severity.ERROR : Severity.WARNING,
        message: stale === undefined ? r.message : `${r.message}. The approval at ${stale.constructPath} ("${stale.reason}") let a change of the `
          + 'previous output through and approves no other: approve this change with a reason of its own',
        resource: { apiVersion: m.apiVersion, kind: m.kind, namespace: m.metadata.namespace, name: m.metadata.name },
        constructPath: r.constructPath ?? approval?.constructPath,
        file: r.file,
        jsonPointer: r.jsonPointer,
        environment: r.environment,
        suppressed: approval !== undefined,
        suppressionReason: approval?.reason,
      });
    }
  }
  const unusedApprovals = approvals.filter((a) => !used.has(a)).map((a) => ({
    ruleId: a.ruleId,
    reason: a.reason,
    constructPath: a.constructPath,
    note: isSpent(a) ? 'approval used for a change the previous output holds: it approves no other; remove it'
      : 'approval matched no change',
    identity: JSON.stringify([a.kind ?? null, a.name ?? null, a.environment ?? null]),
  }));
  return { changes, findings, unusedApprovals, usedApprovals: approvals.filter((a) => used.has(a) || isSpent(a)).map(approvalKey) };
}
