/** One file of the complete output set, as produced by the pipeline. */
export interface OutputFile {
  /** Posix path relative to the outdir, e.g. `rendered/dev/db/Cluster.main.yaml`. */
  readonly path: string;
  /** Full text: LF line endings, trailing newline. */
  readonly content: string;
}

/** What the manifest records about each environment the output was rendered for. */
export interface EnvironmentRecord {
  readonly name: string;
  readonly tier: string;
  readonly cluster: string;
  readonly namespace: string;
  /** Policy packs applied in this environment (recorded sorted). */
  readonly packs: readonly string[];
}

/**
 * A change approval (`ChangeApprovals.approve`) as recorded in the manifest: `publish` honours
 * only the approvals recorded in the output it publishes.
 */
export interface ApprovalRecord {
  readonly ruleId: string;
  readonly reason: string;
  readonly kind?: string;
  readonly name?: string;
  readonly environment?: string;
  /** Path of the construct the approval is attached to. */
  readonly constructPath: string;
  /**
   * `publish` let a risky change through with it, in this commit or an earlier one it stayed in since: it approves no
   * other change (`judgeChanges`). Absent otherwise (an app's own output records what it declares).
   */
  readonly used?: boolean;
}

/** A named point of the write protocol, reported to `faultHook` (see `FAULT_STEPS`). */
export type FaultStep =
  | 'lock-acquired'
  | 'recovered'
  | 'planned'
  | 'staging-created'
  | 'staged-file'
  | 'staged-all'
  | 'journal-tmp-written'
  | 'journal-committed'
  | 'deleted-file'
  | 'renamed-file'
  | 'manifest-renamed'
  | 'applied'
  | 'journal-removed'
  | 'staging-removed';

/**
 * Test-only fault injection. Called at every named step; `detail` names the file for per-file
 * steps. An exception thrown by the hook stands for the process dying at that point: the writer
 * propagates it without any clean-up, exactly as if it had been SIGKILLed.
 */
export type FaultHook = (step: FaultStep, detail?: string) => void;

export interface WriteRequest {
  /** The output directory; created if missing. */
  readonly outdir: string;
  /** The complete new output set (files not listed and owned by the library are pruned). */
  readonly files: readonly OutputFile[];
  readonly libraryVersion: string;
  readonly environments: readonly EnvironmentRecord[];
  /**
   * Change approvals declared by the app, recorded in the manifest.
   *
   * @default - none (the manifest has no `changeApprovals` field)
   */
  readonly changeApprovals?: readonly ApprovalRecord[];
  /**
   * Overwrite owned files that were edited by hand since the last write (their hash no longer
   * matches the manifest). Without it such a file is a conflict and nothing is written.
   *
   * @default false
   */
  readonly overwriteModified?: boolean;
  /** Test-only fault injection. */
  readonly faultHook?: FaultHook;
}

export interface WriteResult {
  /** Files created or changed (sorted). */
  readonly written: string[];
  /** Files produced with the same bytes as on disk: not rewritten, mtime kept (sorted). */
  readonly unchanged: string[];
  /** Owned files no longer produced, removed (sorted). */
  readonly deleted: string[];
  /**
   * Owned files no longer produced but edited by hand since the last write: left in place and
   * dropped from the manifest, so they are the user's from now on (sorted).
   */
  readonly released: string[];
  /** Whether `.cdk8s-stateful/manifest.json` was (re)written. */
  readonly manifestWritten: boolean;
  /** Set when an interrupted earlier write was finished or rolled back first. */
  readonly recovered?: RecoveryResult;
}

export interface RecoveryResult {
  /**
   * `rolled-forward`: a committed journal was found and finished: the output is the new set.
   * `rolled-back`: a committed journal could not be finished (`reason`: e.g. permission denied)
   * and was undone: the output is the complete previous set.
   * `discarded-staging`: no committed journal (none, or a torn one): staged files removed. The
   * output is the set the manifest describes: the previous one if the write never committed, the
   * new one if it had finished and only its clean-up was interrupted.
   * `foreign-journal-kept`: a journal not sealed by an interrupted write of this user on this
   * machine for this directory (e.g. committed to Git): not acted on, nothing changed.
   * `foreign-journal-discarded`: such a journal and the staging removed unread, by a synthesis
   * that then writes a complete set itself.
   */
  readonly action: 'rolled-forward' | 'rolled-back' | 'discarded-staging' | 'foreign-journal-kept' | 'foreign-journal-discarded';
  /** Transaction id of the journal that was rolled forward or back. */
  readonly txid?: string;
  /** True when a journal file existed but failed its checksum (a torn write). */
  readonly tornJournal: boolean;
  /** Names of the staging directories removed. */
  readonly stagingRemoved: string[];
  /** Why a committed journal was rolled back instead of forward. */
  readonly reason?: string;
  /** The journal that was not trusted, and why. */
  readonly foreignJournal?: { readonly file: string; readonly reason: string; readonly txid?: string };
}

export interface RecoverOptions {
  /** Test-only fault injection inside the roll-forward. */
  readonly faultHook?: FaultHook;
  /**
   * A journal that was not sealed here (see RecoveryResult `foreign-journal-kept`): `report`
   * leaves it (and everything else) as it is, `discard` removes it and the staging unread.
   *
   * @default 'report'
   */
  readonly foreignJournal?: 'report' | 'discard';
}
