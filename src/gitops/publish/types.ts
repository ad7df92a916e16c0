/**
 * Synthesizes a GitOpsApp in-process into a directory (the alternative to an app command).
 */
export interface IOutputSynthesizer {
  /**
   * Synthesizes the app into `outdir` (e.g. `new GitOpsApp({ outdir, reports: { directory: reportsDirectory } })`,
   * define it, `synth()`). Throwing (e.g. a `PolicyViolationError`) refuses the publish.
   *
   * @param outdir the temporary output directory: holds the repository's current output, so the
   * change-safety gate compares with what is committed
   * @param reportsDirectory where the app may write its policy reports (`policy-report.json` is
   * read for the compliance summary)
   */
  synthesize(outdir: string, reportsDirectory: string): void;
}

/**
 * Properties of a GitOpsPublisher.
 */
export interface GitOpsPublisherProps {
  /**
   * The GitOps repository: a Git checkout (a working tree, not a bare repository).
   */
  readonly repository: string;

  /**
   * Shell command that synthesizes the app. It runs with `CDK8S_OUTDIR` (and `{outdir}` in the
   * command) set to a temporary directory, and `CDK8S_STATEFUL_REPORTS` (and `{reports}`) set to a
   * temporary reports directory.
   *
   * @default - `synthesizer` (exactly one of `command` and `synthesizer` is required)
   */
  readonly command?: string;

  /**
   * In-process synthesis, instead of `command`.
   *
   * @default - `command`
   */
  readonly synthesizer?: IOutputSynthesizer;

  /**
   * Directory of the output inside the repository (relative, posix or native separators).
   *
   * @default "." (the repository root)
   */
  readonly path?: string;

  /**
   * Branch to commit to. When the checkout is on another branch (or detached), the commit is made
   * without touching the checkout (a temporary tree); a branch missing locally continues the
   * remote's (`origin/<name>`, or that of `remote`), else starts from HEAD.
   *
   * @default - the checkout's current branch
   */
  readonly branch?: string;

  /**
   * One branch per environment (`<environmentBranchPrefix><env>`) holding only that environment's
   * hydrated manifests (`<path>/rendered/<env>/`, and `<path>/layers/<env>/` when the output has
   * layer kustomizations) and an owned-files manifest, for PR-based promotion. Written without
   * touching the checkout (a branch missing locally continues the remote's, else starts with no
   * parent). The platform layer and the
   * Flux / Argo CD wiring stay on the main line. Excludes `branch`.
   *
   * @default false
   */
  readonly environmentBranches?: boolean;

  /**
   * Prefix of the environment branches.
   *
   * @default "env/"
   */
  readonly environmentBranchPrefix?: string;

  /**
   * First line(s) of the commit message; the generated body follows.
   *
   * @default - a generated summary line
   */
  readonly message?: string;

  /**
   * Push the branch(es) with the system `git` (the user's credentials and configuration).
   *
   * @default false
   */
  readonly push?: boolean;

  /**
   * Remote to push to (a remote name or URL).
   *
   * @default - the branch's upstream remote, else "origin"
   */
  readonly remote?: string;

  /**
   * Compute and describe the commit(s), change nothing.
   *
   * @default false
   */
  readonly dryRun?: boolean;

  /**
   * Seconds the app command may run.
   *
   * @default 600
   */
  readonly timeoutSeconds?: number;

  /**
   * Working directory of the app command.
   *
   * @default - the current directory
   */
  readonly workingDirectory?: string;

  /**
   * Environment variables of the app command and of `git`.
   *
   * @default - process.env
   */
  readonly environmentVariables?: { [name: string]: string };

  /**
   * Copy the policy reports (SARIF, JSON, JUnit, Markdown, text) there, also when the publish is
   * refused. Must be outside the output directory.
   *
   * @default - no report files
   */
  readonly reportsDirectory?: string;
}

/**
 * How a file changes in a commit.
 */
export enum FileChangeKind {
  /** A new file. */
  ADDED = 'added',
  /** New content. */
  CHANGED = 'changed',
  /** Deleted. */
  REMOVED = 'removed',
}

/**
 * A file a publish adds, changes or removes.
 */
export interface PublishedFile {
  /** Path relative to the repository root (posix). */
  readonly path: string;
  /** What happens to it. */
  readonly change: FileChangeKind;
}

/**
 * What a publish did (or, in a dry run, would do) on one branch.
 */
export interface BranchPublication {
  /** Branch name. */
  readonly branch: string;
  /**
   * Environment of an environment branch.
   *
   * @default - the branch holds the whole output
   */
  readonly environment?: string;
  /** Whether the output differs from what the branch holds (a commit is, or would be, made). */
  readonly changed: boolean;
  /**
   * The new commit.
   *
   * @default - no commit (nothing changed, or a dry run)
   */
  readonly commit?: string;
  /**
   * The branch's commit before the publish.
   *
   * @default - the branch did not exist (or had no commit)
   */
  readonly previousCommit?: string;
  /** The commit message (made, or that would be made). */
  readonly message: string;
  /** Files added, changed and removed (sorted by path). */
  readonly files: PublishedFile[];
  /** Objects added, changed, removed or renamed. */
  readonly objectChanges: number;
  /** Whether the branch was pushed. */
  readonly pushed: boolean;
}

/**
 * The result of a publish.
 */
export interface PublishResult {
  /** Whether this was a dry run. */
  readonly dryRun: boolean;
  /** Whether at least one commit was made. */
  readonly committed: boolean;
  /** One entry per branch, sorted by branch name. */
  readonly branches: BranchPublication[];
  /**
   * Environments with an environment branch that the output no longer renders: left unchanged.
   */
  readonly staleEnvironmentBranches: string[];
  /**
   * Remote pushed to (credentials removed from a URL).
   *
   * @default - no push
   */
  readonly remote?: string;
  /** Where the compliance summary comes from: `app-report` (the app's policy-report.json) or `verify` (recorded packs re-run on the output). */
  readonly complianceSource: string;
  /** Warnings (files in the generated folders that cdk8s-stateful did not write...). */
  readonly warnings: string[];
  /** One line saying what happened. */
  readonly summary: string;
}

/**
 * Why a publish was refused or could not run.
 */
export enum PublishErrorCode {
  /** Bad options, not a Git checkout, unsafe path, bad branch name, corrupt manifest in the repository (exit 2). */
  INVALID_INPUT = 'INVALID_INPUT',
  /** The app's output is not a GitOpsApp output (no owned-files manifest, inconsistent), or the app wrote into the repository (exit 2). */
  INVALID_OUTPUT = 'INVALID_OUTPUT',
  /** The app failed: its policy or change-safety gate refused the output, or it crashed. */
  APP_FAILED = 'APP_FAILED',
  /** Unsuppressed error-level findings in the output (the recorded packs re-run on it). */
  POLICY_GATE = 'POLICY_GATE',
  /**
   * A risky change against the committed output (a production data-bearing object removed or
   * renamed, storage shrunk...) that no approval recorded in the new output covers.
   */
  CHANGE_SAFETY = 'CHANGE_SAFETY',
  /** Uncommitted changes (modified, staged or untracked) in the paths the output owns. */
  UNCOMMITTED_CHANGES = 'UNCOMMITTED_CHANGES',
  /** Owned files in the repository were edited or deleted by hand (the `verify` check). */
  HAND_EDITED = 'HAND_EDITED',
  /**
   * The output's Flux or Argo CD wiring reads folders of the repository that the commit would not
   * hold (its `repositoryPath` and `--path` disagree): Flux and Argo CD would fail to build them.
   */
  WIRING_MISMATCH = 'WIRING_MISMATCH',
  /**
   * Another cdk8s-stateful output of the repository applies an object of this output to the same cluster (the
   * same Flux Kustomization, Argo CD Application, StorageClass, Namespace or namespaced object): the two
   * Kustomizations or Applications would re-apply it in turn and prune it when either output drops it. Or one of
   * its databases writes its backups where a database of the other output does.
   */
  SHARED_OBJECTS = 'SHARED_OBJECTS',
  /** An interrupted write is pending in the repository's output directory. */
  INTERRUPTED_WRITE = 'INTERRUPTED_WRITE',
  /** The repository is busy or in the way: a merge in progress, a branch checked out elsewhere or moved meanwhile, a file the output would overwrite. */
  CONFLICT = 'CONFLICT',
  /** `git commit` (or another git step) failed; the working tree was restored. */
  GIT_FAILED = 'GIT_FAILED',
  /** `git push` failed; the commits are kept locally. */
  PUSH_FAILED = 'PUSH_FAILED',
}
