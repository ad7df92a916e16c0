import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Compliance, ComplianceFinding } from './compliance';
import { PublishError } from './errors';
import type { Git } from './git';
import type { PublishLocks } from './locks';
import {
  BranchPublication, FileChangeKind, GitOpsPublisherProps, PublishedFile, PublishErrorCode, PublishResult,
} from './types';
import { Severity } from '../../policy/severity';
import { AppliedChangeApproval, approvalKey, judgeChanges, PreviousObject, PreviousOutput, readCommittedOutput, readOutputFolder, RISKY_LISTED_MAX } from '../change-safety';
import {
  EnvironmentRecord, MANIFEST_PATH, META_DIR, OwnedManifest, readOwnedManifest, recoverOutput, verifyOwnedFiles, WriterError, writeOutput,
} from '../writer';
import { buildManifest, readManifestText, serializeManifest } from '../writer/manifest';
import { ApprovalRecord } from '../writer/types';

// Loaded at the first publish, not with the library: the app runner, the compliance gate (reports,
// directory verification), Git, locks and commit messages.
/* eslint-disable @typescript-eslint/no-require-imports */
const appModule = (): typeof import('./app') => require('./app');
const complianceModule = (): typeof import('./compliance') => require('./compliance');
const gitModule = (): typeof import('./git') => require('./git');
const locksModule = (): typeof import('./locks') => require('./locks');
const messageModule = (): typeof import('./message') => require('./message');
const generatedFilesModule = (): typeof import('../verify/generated-files') => require('../verify/generated-files');
const wiringModule = (): typeof import('./wiring-paths') => require('./wiring-paths');
const sharedModule = (): typeof import('./shared-objects') => require('./shared-objects');
/* eslint-enable @typescript-eslint/no-require-imports */

/** `libraryVersion` of the manifest publish seeds the temporary directory with: tells whether the app wrote there at all. */
const SEED_VERSION = 'cdk8s-stateful-publish-seed';
const DEFAULT_ENV_PREFIX = 'env/';
/**
 * Folders of one environment that an environment branch holds: its hydrated manifests, and the
 * per-environment layer kustomizations over them when the output has them (self-contained: they
 * only reference `rendered/<env>/`).
 */
const ENVIRONMENT_FOLDERS = ['rendered', 'layers'];

/** Whether an output path belongs to environment `env` on an environment branch. */
export function inEnvironmentFolder(p: string, env: string): boolean {
  return ENVIRONMENT_FOLDERS.some((folder) => p.startsWith(`${folder}/${env}/`));
}

/**
 * Commits a GitOpsApp's output to a Git repository, gated:
 *
 * 1. checks the target: no uncommitted change in the paths the output owns, no owned file edited
 *    by hand (the `verify` check), no interrupted write, no merge in progress;
 * 2. synthesizes the app into a temporary directory holding the repository's current output (so
 *    the app's change-safety gate compares with what is committed); a failing app (its policy or
 *    change-safety gate) refuses the publish;
 * 3. re-runs the recorded packs on the new output (the policy gate) and reads the compliance
 *    summary (the app's JSON report, else that re-run);
 * 4. only then updates the working tree with the crash-safe writer (owned files only) and makes
 *    one commit with a generated message, or none when nothing changed;
 * 5. optionally pushes with the system `git`.
 *
 * A refusal throws a `PublishError` and leaves the repository as it was.
 */
export class GitOpsPublisher {
  /**
   * The `PublishErrorCode` of an error a publish threw (a refusal or bad input).
   *
   * @returns the code, or undefined if `x` is not a publish error
   */
  public static errorCode(x: any): string | undefined {
    const isPublishError = x instanceof PublishError
      || (x !== null && typeof x === 'object' && x.name === 'PublishError' && Object.values(PublishErrorCode).includes(x.code));
    return isPublishError ? x.code : undefined;
  }

  private readonly props: GitOpsPublisherProps;

  public constructor(props: GitOpsPublisherProps) {
    this.props = props;
  }

  /**
   * Publishes (or, with `dryRun`, describes what would be published).
   */
  public publish(): PublishResult {
    return new PublishRun(this.props).run();
  }
}

/** A branch the publish writes: the checkout itself, or a temporary tree of the branch. */
interface Target {
  readonly branch: string;
  readonly environment?: string;
  readonly mode: 'checkout' | 'scratch';
  /** Work tree root. */
  readonly tree: string;
  /** The output directory in it. */
  readonly outdir: string;
  /** The branch's commit (undefined: new branch, or unborn). */
  readonly tip?: string;
  /** Parent of the first commit of a new local branch: the remote's branch (origin/<branch>), else HEAD for --branch. */
  readonly startPoint?: string;
  /** Temporary index of a scratch tree. */
  readonly index?: string;
  readonly manifest?: OwnedManifest;
  readonly manifestText?: string;
  readonly previous: PreviousObject[];
}

interface Plan {
  readonly target: Target;
  readonly files: { path: string; content: string }[];
  readonly environments: EnvironmentRecord[];
  /** Change approvals recorded in the branch's manifest. */
  readonly approvals: ApprovalRecord[];
  readonly changes: PublishedFile[];
  readonly changed: boolean;
  readonly objectChanges: number;
  readonly message: string;
  /** Version recorded in the manifest (the app's). */
  readonly libraryVersion: string;
}

/** What a publish records (in the Git directory) before it writes into the checkout; removed once committed or restored. */
interface PendingPublish {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly head: string | null;
  /** Output directory relative to the top level. */
  readonly path: string;
  /** Every owned path it changes (relative to the output directory), with its committed and new sha256 (null: absent). */
  readonly files: { path: string; before: string | null; after: string | null }[];
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const posix = (p: string) => p.split(path.sep).join('/');
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function invalid(message: string): never {
  throw new PublishError(PublishErrorCode.INVALID_INPUT, message);
}

function listFirst(paths: readonly string[], max = 3): string {
  return paths.slice(0, max).join(', ') + (paths.length > max ? ` (+${paths.length - max} more)` : '');
}

class PublishRun {
  private readonly env: NodeJS.ProcessEnv;
  private readonly prefix: string;
  private tmp = '';
  private git!: Git;
  private top = '';
  private gitDir = '';
  /** The repository's common Git directory (shared by its worktrees). */
  private commonDir = '';
  private locks!: PublishLocks;
  /** Output directory relative to the top level ('' for the root). */
  private rel = '';
  private currentBranch?: string;
  private head?: string;
  private scratchCount = 0;
  private readonly warnings: string[] = [];
  /** Per branch, the approvals (`approvalKey`) its change-safety gate used, now or in its committed output (`changeSafetyGate`). */
  private readonly usedApprovals = new Map<string, Set<string>>();
  /** The remote's branches (`git ls-remote --heads`), read once; null when the remote cannot be read (the push reports it). */
  private remoteHeads?: Map<string, string> | null;

  public constructor(private readonly props: GitOpsPublisherProps) {
    this.env = props.environmentVariables ? { ...props.environmentVariables } : process.env;
    this.prefix = props.environmentBranchPrefix ?? DEFAULT_ENV_PREFIX;
  }

  public run(): PublishResult {
    this.validateProps();
    this.openRepository();
    // locked before anything is read: a concurrent publish either finished (this one compares
    // with its commit) or is refused
    this.locks = new (locksModule().PublishLocks)(this.gitDir, this.commonDir, this.top);
    try {
      this.locks.lockCheckout();
      this.currentBranch = this.git.try(['symbolic-ref', '-q', '--short', 'HEAD']);
      this.head = this.git.try(['rev-parse', '-q', '--verify', 'HEAD^{commit}']);
      const tmp = locksModule().createPublishTemp();
      this.tmp = tmp;
      try {
        return this.runIn(tmp);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    } finally {
      this.locks.release();
    }
  }

  // ------------------------------------------------------------------ input

  private validateProps(): void {
    const p = this.props;
    if (typeof p.repository !== 'string' || p.repository.trim() === '') invalid('--repo <path> is required: the GitOps repository checkout');
    const command = p.command?.trim();
    if (command && p.synthesizer) invalid('give either an app command or a synthesizer, not both');
    if (!command && !p.synthesizer) invalid('--app "<command>" is required: the command that synthesizes the app (e.g. --app "npx ts-node main.ts {outdir}")');
    if (p.branch !== undefined && p.environmentBranches) invalid('--branch and --env-branches exclude each other (--env-branches writes one branch per environment)');
    if (p.branch !== undefined && p.branch.trim() === '') invalid('--branch needs a branch name');
    if (p.environmentBranchPrefix !== undefined && p.environmentBranchPrefix.trim() === '') invalid('the environment branch prefix must not be empty');
    const t = p.timeoutSeconds ?? 600;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) invalid(`invalid timeout ${JSON.stringify(p.timeoutSeconds)}: a number of seconds`);
    if (p.remote !== undefined && p.remote.trim() === '') invalid('the remote must not be empty');
    if (p.path !== undefined && (path.isAbsolute(p.path) || path.posix.isAbsolute(p.path) || /^[A-Za-z]:/.test(p.path))) {
      invalid(`--path ${JSON.stringify(p.path)} must be relative to the repository`);
    }
  }

  private openRepository(): void {
    const repo = path.resolve(this.props.repository);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(repo);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return invalid(`${this.props.repository}: ${code === 'ENOENT' ? 'no such directory (the GitOps repository checkout)' : code}`);
    }
    if (!stat.isDirectory()) invalid(`${this.props.repository}: not a directory (give the GitOps repository checkout)`);
    const git = new (gitModule().Git)(repo, this.env);
    let probe;
    try {
      probe = git.run(['rev-parse', '--is-bare-repository']);
    } catch (e) {
      return invalid((e as Error).message);
    }
    if (probe.status !== 0) invalid(`${this.props.repository}: not a Git repository (${gitModule().gitReason(probe.stderr)})`);
    if (probe.stdout.trim() === 'true') invalid(`${this.props.repository}: a bare repository: give a checkout (git clone it first)`);
    const where = git.run(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir']);
    const [top, gitDir, commonDir] = where.stdout.split('\n');
    if (where.status !== 0 || !top || !gitDir || !commonDir) invalid(`${this.props.repository}: not a Git work tree (${gitModule().gitReason(where.stderr)})`);
    this.top = fs.realpathSync(top);
    this.gitDir = gitDir;
    this.commonDir = path.resolve(repo, commonDir);
    this.git = new (gitModule().Git)(this.top, this.env);

    // the output directory: inside the work tree, not inside .git
    const sub = this.props.path ?? '.';
    const outdir = path.resolve(fs.realpathSync(repo), sub);
    const rel = path.relative(this.top, outdir);
    if (rel.startsWith('..') || path.isAbsolute(rel)) invalid(`--path ${JSON.stringify(sub)} leaves the repository`);
    const segments = rel === '' ? [] : rel.split(path.sep);
    if (segments.some((s) => s.toLowerCase() === '.git')) invalid(`--path ${JSON.stringify(sub)} is inside .git`);
    if (segments.includes(META_DIR)) invalid(`--path ${JSON.stringify(sub)} is inside ${META_DIR}/ (the writer's own state)`);
    if (fs.existsSync(outdir)) {
      if (!fs.statSync(outdir).isDirectory()) invalid(`--path ${JSON.stringify(sub)}: not a directory`);
      const real = path.relative(this.top, fs.realpathSync(outdir));
      if (real.startsWith('..') || path.isAbsolute(real)) invalid(`--path ${JSON.stringify(sub)} leaves the repository (through a symbolic link)`);
    }
    this.rel = posix(rel);

    if (this.props.reportsDirectory !== undefined) {
      const reports = path.resolve(this.props.reportsDirectory);
      if (reports === outdir || reports.startsWith(outdir + path.sep)) {
        invalid(`the reports directory ${this.props.reportsDirectory} is inside the output directory: Flux / Argo CD would read the reports as manifests`);
      }
    }
    if (this.props.branch !== undefined) this.checkBranchName(this.props.branch, '--branch');
    if (this.props.environmentBranches) this.checkBranchName(`${this.prefix}dev`, 'the environment branch prefix');
    if (!this.props.dryRun) {
      for (const v of ['GIT_AUTHOR_IDENT', 'GIT_COMMITTER_IDENT']) {
        const r = this.git.run(['var', v]);
        if (r.status !== 0) {
          invalid(`git has no ${v === 'GIT_AUTHOR_IDENT' ? 'author' : 'committer'} identity (${gitModule().gitReason(r.stderr)}): `
            + 'set user.name and user.email (git config) or GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL / GIT_COMMITTER_NAME / GIT_COMMITTER_EMAIL');
        }
      }
    }
  }

  private checkBranchName(name: string, what: string): void {
    if (this.git.run(['check-ref-format', '--branch', name]).status !== 0 || name.startsWith('-')) {
      invalid(`${what} ${JSON.stringify(name)}: not a valid branch name`);
    }
  }

  private repoPath(p: string): string {
    return this.rel ? `${this.rel}/${p}` : p;
  }

  // ------------------------------------------------------------------ the run

  private runIn(tmp: string): PublishResult {
    const remote = this.props.push ? this.resolveRemote() : undefined;
    const envMode = this.props.environmentBranches === true;

    // 0. a publish into this checkout that was killed before its commit: undo its write
    this.recoverInterruptedPublish();

    // 1. the branches as they are, checked before anything runs
    const existing: Target[] = envMode ? this.existingEnvironmentTargets() : [this.mainTarget()];
    for (const t of existing) this.checkTarget(t);
    if (remote) for (const t of existing) this.checkRemoteBase(remote, t);

    // 2. seed a temporary directory with the committed output, run the app there
    const outdir = path.join(tmp, 'out');
    const reportsDir = path.join(tmp, 'reports');
    fs.mkdirSync(reportsDir, { recursive: true });
    this.seed(outdir, existing, envMode);
    const checkout = existing.find((t) => t.mode === 'checkout');
    const before = checkout ? appModule().treeFingerprint(checkout.outdir) : undefined;
    try {
      if (this.props.synthesizer) {
        appModule().runSynthesizer(this.props.synthesizer, outdir, reportsDir);
      } else {
        appModule().runApp(this.props.command!.trim(), outdir, reportsDir, {
          cwd: path.resolve(this.props.workingDirectory ?? process.cwd()),
          env: this.env,
          timeoutSeconds: this.props.timeoutSeconds ?? 600,
        });
      }
    } catch (e) {
      this.copyAppReports(reportsDir);
      if (e instanceof PublishError) {
        let details: string[] = [];
        try {
          details = complianceModule().blocking(complianceModule().readAppReport(reportsDir)?.findings ?? []).map(complianceModule().describeFinding);
        } catch {
          // a broken report adds nothing to the app's own reason
        }
        throw new PublishError(e.code, e.message, details);
      }
      throw e;
    }
    if (checkout && appModule().treeFingerprint(checkout.outdir) !== before) {
      throw new PublishError(PublishErrorCode.INVALID_OUTPUT, `the app wrote into ${checkout.outdir} instead of the temporary directory: `
        + 'make it honour CDK8S_OUTDIR (new GitOpsApp() / new GitOpsApp({ outdir: process.env.CDK8S_OUTDIR })) or put {outdir} in the command');
    }

    // 3. the new output and its gates
    const output = this.readOutput(outdir);
    const compliance = this.gate(outdir, reportsDir);
    this.writeReports(compliance);

    // 4. one plan per branch
    const targets = envMode ? this.environmentTargets(existing, output.manifest) : existing;
    if (remote) for (const t of targets) if (!existing.includes(t)) this.checkRemoteBase(remote, t);
    const stale = envMode
      ? existing.filter((t) => !output.manifest.environments.some((e) => e.name === t.environment)).map((t) => t.branch).sort(cmp)
      : [];
    const nextOutput = readOutputFolder(outdir);
    const nextObjects = nextOutput?.objects ?? [];
    // the change-safety gate of publish itself: the committed output against the new one, whatever
    // the app did with its output folder (`cdk8s synth` deletes it, so the app's own gate may have
    // seen nothing); only the approvals recorded in the new output count
    const safety = this.changeSafetyGate(targets, output.manifest, nextObjects, nextOutput?.operators ?? []);
    const gated = { ...compliance, findings: mergeFindings(compliance.findings, safety) };
    const plans = targets.map((t) => this.plan(t, output, nextObjects, gated));
    for (const plan of plans) if (plan.target.mode === 'checkout') this.checkUncommitted(plan.target, plan.files.map((f) => f.path));
    this.checkWiring(plans, output.files, envMode);
    if (!envMode) for (const plan of plans) this.checkSharedObjects(plan, output);

    // 5. write and commit, or describe
    const publications: BranchPublication[] = [];
    if (this.props.dryRun) {
      for (const plan of plans) publications.push(this.describe(plan, undefined, false));
    } else {
      const committed = this.commit(plans);
      for (const plan of plans) publications.push(this.describe(plan, committed.get(plan.target.branch), false));
    }

    // 6. push
    let pushed = publications;
    if (remote && !this.props.dryRun) pushed = this.push(remote, publications);

    pushed.sort((a, b) => cmp(a.branch, b.branch));
    const result = {
      dryRun: this.props.dryRun === true,
      committed: pushed.some((b) => b.commit !== undefined),
      branches: pushed,
      staleEnvironmentBranches: stale,
      remote: remote === undefined ? undefined : gitModule().redactCredentials(remote),
      complianceSource: compliance.source,
      warnings: [...this.warnings],
    };
    return { ...result, summary: summaryLine(result) };
  }

  // ------------------------------------------------------------------ targets

  private mainTarget(): Target {
    const branch = this.props.branch ?? this.currentBranch;
    if (branch === undefined) invalid('HEAD is detached: pass --branch <name> (the branch to commit to)');
    this.locks.lockBranch(branch);
    if (branch === this.currentBranch) {
      return this.loadTarget({ branch, mode: 'checkout', tree: this.top, tip: this.head });
    }
    this.checkNotCheckedOut(branch);
    const tip = this.branchTip(branch);
    return this.scratchTarget(branch, tip, tip === undefined ? this.remoteTip(branch) ?? this.head : undefined);
  }

  /**
   * Environment branches that exist locally or on the remote (its remote-tracking branches: a CI
   * clone has no local environment branches); a branch only on the remote continues from there.
   */
  private existingEnvironmentTargets(): Target[] {
    const names = new Set<string>();
    const remote = this.trackingRemote();
    for (const ref of this.git.ok(['for-each-ref', '--format=%(refname)', 'refs/heads/', ...(remote ? [`refs/remotes/${remote}/`] : [])]).split('\n')) {
      const name = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : remote ? ref.slice(`refs/remotes/${remote}/`.length) : '';
      if (name.startsWith(this.prefix) && name.length > this.prefix.length && name !== 'HEAD') names.add(name);
    }
    return [...names].sort(cmp).map((branch) => {
      const environment = branch.slice(this.prefix.length);
      this.locks.lockBranch(branch);
      this.checkNotCurrent(branch);
      this.checkNotCheckedOut(branch);
      const tip = this.branchTip(branch);
      return { ...this.scratchTarget(branch, tip, tip === undefined ? this.remoteTip(branch) : undefined), environment };
    });
  }

  /** The remote whose remote-tracking branches new local branches start from: `--push <name>`, else origin. */
  private trackingRemote(): string | undefined {
    const candidate = this.props.remote?.trim() || 'origin';
    if (/[/:\\]/.test(candidate)) return this.git.run(['remote', 'get-url', 'origin']).status === 0 ? 'origin' : undefined;
    return this.git.run(['remote', 'get-url', candidate]).status === 0 ? candidate : undefined;
  }

  private remoteTip(branch: string): string | undefined {
    const remote = this.trackingRemote();
    return remote ? this.git.try(['rev-parse', '-q', '--verify', `refs/remotes/${remote}/${branch}^{commit}`]) : undefined;
  }

  private environmentTargets(existing: Target[], manifest: OwnedManifest): Target[] {
    return manifest.environments.map((env) => {
      const known = existing.find((t) => t.environment === env.name);
      if (known) return known;
      const branch = `${this.prefix}${env.name}`;
      this.checkBranchName(branch, 'environment branch');
      this.locks.lockBranch(branch);
      this.checkNotCurrent(branch);
      this.checkNotCheckedOut(branch);
      if (this.branchTip(branch) !== undefined) throw new PublishError(PublishErrorCode.CONFLICT, `branch ${branch} appeared while publishing`);
      return { ...this.scratchTarget(branch, undefined, undefined), environment: env.name };
    });
  }

  private checkNotCurrent(branch: string): void {
    if (branch === this.currentBranch) {
      throw new PublishError(PublishErrorCode.CONFLICT, `the checkout is on ${branch}: switch it to another branch `
        + '(environment branches are written without a checkout)');
    }
  }

  /** A branch checked out in another worktree must not move under it. */
  private checkNotCheckedOut(branch: string): void {
    const list = this.git.try(['worktree', 'list', '--porcelain']) ?? '';
    const blocks = list.split('\n\n');
    for (const block of blocks) {
      if (block.split('\n').includes(`branch refs/heads/${branch}`)) {
        const where = /^worktree (.*)$/m.exec(block)?.[1] ?? 'another worktree';
        throw new PublishError(PublishErrorCode.CONFLICT, `branch ${branch} is checked out in ${where}: publish from there (or pick another --branch)`);
      }
    }
  }

  private branchTip(branch: string): string | undefined {
    return this.git.try(['rev-parse', '-q', '--verify', `refs/heads/${branch}^{commit}`]);
  }

  /** A temporary tree holding `start`'s files (or nothing), with its own index: the checkout is not touched. */
  private scratchTarget(branch: string, tip: string | undefined, startPoint: string | undefined): Target {
    const n = this.scratchCount++;
    const tree = path.join(this.tmp, `tree-${n}`);
    const index = path.join(this.tmp, `index-${n}`);
    fs.mkdirSync(tree, { recursive: true });
    const env = { GIT_INDEX_FILE: index };
    const from = tip ?? startPoint;
    if (from) {
      this.git.ok(['read-tree', from], { env });
      this.git.ok(['checkout-index', '-a', '-f', `--prefix=${tree}${path.sep}`], { env });
    } else {
      this.git.ok(['read-tree', '--empty'], { env });
    }
    return this.loadTarget({ branch, mode: 'scratch', tree, tip, startPoint: tip ? undefined : startPoint, index });
  }

  private loadTarget(t: Omit<Target, 'outdir' | 'manifest' | 'manifestText' | 'previous'>): Target {
    const outdir = this.rel ? path.join(t.tree, ...this.rel.split('/')) : t.tree;
    let manifest: OwnedManifest | undefined;
    let manifestText: string | undefined;
    try {
      manifestText = readManifestText(outdir);
      manifest = readOwnedManifest(outdir);
    } catch (e) {
      invalid(`${t.branch}: ${this.repoPath(MANIFEST_PATH)}: ${(e as Error).message.split('\n')[0]}`);
    }
    return { ...t, outdir, manifest, manifestText, previous: manifest ? readOutputFolder(outdir, manifest)?.objects ?? [] : [] };
  }

  /** Refusals on the branch as it is: merge in progress, interrupted write, uncommitted or hand-edited owned files. */
  private checkTarget(t: Target): void {
    if (t.mode === 'checkout') {
      for (const marker of ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply']) {
        const p = this.git.try(['rev-parse', '--git-path', marker]);
        if (p && fs.existsSync(path.resolve(this.top, p))) {
          throw new PublishError(PublishErrorCode.CONFLICT, `a ${marker.replace(/_HEAD$/, '').toLowerCase().replace(/[-_]/g, ' ')} is in progress in ${this.top}: finish or abort it first`);
        }
      }
      this.checkIndexLock();
      this.checkUncommitted(t, []);
    }
    const owned = verifyOwnedFiles(t.outdir);
    if (owned.interrupted) {
      throw new PublishError(PublishErrorCode.INTERRUPTED_WRITE, `${t.branch}: an interrupted write is pending in ${this.repoPath(META_DIR)}/: `
        + `run cdk8s-stateful verify ${t.mode === 'checkout' ? t.outdir : this.repoPath('.')} to finish or roll it back, commit, then publish`);
    }
    const edited = [...owned.modified, ...owned.missing].sort(cmp);
    if (edited.length) {
      throw new PublishError(PublishErrorCode.HAND_EDITED, `${t.branch}: ${edited.length} generated file(s) edited or deleted by hand: `
        + `${listFirst(edited.map((p) => this.repoPath(p)))}: put the change in the app code (or revert the file), then publish`,
      [...owned.modified.map((p) => `modified ${this.repoPath(p)}`), ...owned.missing.map((p) => `missing ${this.repoPath(p)}`)]);
    }
    const unknown = owned.unknown.filter(generatedFilesModule().isForeignGeneratedFile);
    if (unknown.length) {
      this.warnings.push(`${t.branch}: ${unknown.length} file(s) in the generated folders were not written by cdk8s-stateful (Flux / Argo CD apply them unchecked; `
        + `publish leaves them alone): ${listFirst(unknown.map((p) => this.repoPath(p)))}`);
    }
  }

  /**
   * `index.lock` in the Git directory: another git process is running in the checkout, or one was killed (git
   * leaves the file then; `lockfile.c` never takes over a stale one). `git add` and `git commit` would fail after
   * the write, so the checkout is refused before anything runs.
   */
  private checkIndexLock(): void {
    const lock = this.git.try(['rev-parse', '--git-path', 'index.lock']);
    if (lock && fs.existsSync(path.resolve(this.top, lock))) {
      throw new PublishError(PublishErrorCode.CONFLICT, `another git process is running in ${this.top} (${path.resolve(this.top, lock)} exists): `
        + 'wait for it to finish; if none is running (a git process killed earlier left the file), delete it, then publish');
    }
  }

  /** Uncommitted changes (staged, modified, untracked) in the paths the output owns, in the checkout. */
  private checkUncommitted(t: Target, newPaths: readonly string[]): void {
    const owned = new Set([...(t.manifest?.files.map((f) => f.path) ?? []), ...newPaths, MANIFEST_PATH].map((p) => this.repoPath(p)));
    const meta = this.repoPath(`${META_DIR}/`);
    const args = ['--literal-pathspecs', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', this.rel || '.'];
    const entries = this.git.ok(args).split('\0').filter((e) => e.length > 3);
    const dirty = entries.map((e) => e.slice(3)).filter((p) => owned.has(p) || p.startsWith(meta)).sort(cmp);
    if (dirty.length) {
      throw new PublishError(PublishErrorCode.UNCOMMITTED_CHANGES, `${dirty.length} owned path(s) have uncommitted changes in ${this.top}: `
        + `${listFirst(dirty)}: commit or discard them (git -C ${this.top} restore --source=HEAD --staged --worktree -- <path>; `
        + 'delete untracked ones), then publish', dirty);
    }
  }

  private resolveRemote(): string {
    const branch = this.props.environmentBranches ? undefined : this.props.branch ?? this.currentBranch;
    const remote = this.props.remote?.trim() ?? (branch ? this.git.try(['config', '--get', `branch.${branch}.remote`]) : undefined) ?? 'origin';
    const looksLikeUrl = /[/:\\]/.test(remote);
    if (!looksLikeUrl && this.git.run(['remote', 'get-url', remote]).status !== 0) {
      invalid(`--push: no remote named ${JSON.stringify(remote)} (git remote -v lists them; a URL works too)`);
    }
    if (remote.startsWith('-')) invalid(`--push: invalid remote ${JSON.stringify(remote)}`);
    return remote;
  }

  /**
   * A branch the push would move must be built on the remote's tip (or on a local commit after it): else the
   * gates judged the change against an output that is not the one deployed, and the push is rejected after
   * the commit. That is the case in a clone that has not fetched the branch (`git clone --depth 1` and
   * actions/checkout fetch one branch only, so an environment branch would start from nothing and its
   * change safety compare with no output at all) or when another publish pushed meanwhile.
   */
  private checkRemoteBase(remote: string, t: Target): void {
    if (this.remoteHeads === undefined) {
      const r = this.git.run(['ls-remote', '--heads', '--', remote]);
      this.remoteHeads = r.status !== 0 ? null : new Map(r.stdout.split('\n').filter((l) => l.includes('\trefs/heads/'))
        .map((l): [string, string] => [l.slice(l.indexOf('\t') + 1 + 'refs/heads/'.length), l.slice(0, l.indexOf('\t'))]));
    }
    const theirs = this.remoteHeads?.get(t.branch);
    if (theirs === undefined) return;
    const base = t.mode === 'checkout' ? this.head : t.tip ?? t.startPoint;
    if (base === theirs) return;
    const known = this.git.run(['cat-file', '-e', `${theirs}^{commit}`]).status === 0;
    // local commits after the remote's tip (an earlier publish whose push failed): the push fast-forwards
    if (known && base !== undefined && this.git.run(['merge-base', '--is-ancestor', theirs, base]).status === 0) return;
    const where = gitModule().redactCredentials(remote);
    throw new PublishError(PublishErrorCode.CONFLICT, `${t.branch} on ${where} is at ${theirs.slice(0, 12)}, `
      + (known
        ? `which the local ${t.branch} (${base?.slice(0, 12) ?? 'absent'}) does not build on (another publish pushed meanwhile?)`
        : 'which this clone has not fetched (a shallow or single-branch clone: git clone --depth 1 and actions/checkout fetch one branch; or another publish pushed meanwhile)')
      + ': the gates would judge the change against another output than the one deployed, and the push would be rejected. '
      + `Fetch it (git -C ${this.top} fetch ${where} '+refs/heads/${t.branch}:refs/remotes/${this.trackingRemote() ?? 'origin'}/${t.branch}'), `
      + `${t.mode === 'checkout' ? `reset ${t.branch} onto it` : `delete or reset the local ${t.branch} if there is one`} `
      + '(a commit of an earlier publish that was never pushed is made again), then publish again; nothing was written');
  }

  // ------------------------------------------------------------------ the app's output

  /**
   * The temporary directory starts with the committed output (owned files and manifest, its
   * version replaced by a marker): the app's change-safety gate compares with it, and its writer
   * prunes what is no longer produced. Environment branches are merged into one such output.
   */
  private seed(outdir: string, targets: Target[], envMode: boolean): void {
    const files: { path: string; content: string }[] = [];
    const environments: EnvironmentRecord[] = [];
    for (const t of targets) {
      if (!t.manifest) continue;
      const keep = (p: string) => !envMode || inEnvironmentFolder(p, t.environment!);
      for (const f of t.manifest.files) {
        if (keep(f.path)) files.push({ path: f.path, content: fs.readFileSync(path.join(t.outdir, ...f.path.split('/')), 'utf8') });
      }
      environments.push(...t.manifest.environments.filter((e) => !envMode || e.name === t.environment));
    }
    if (files.length === 0 && environments.length === 0) {
      fs.mkdirSync(outdir, { recursive: true });
      return;
    }
    writeOutput({ outdir, files, environments, libraryVersion: SEED_VERSION });
  }

  private readOutput(outdir: string): { manifest: OwnedManifest; files: Map<string, { content: string; sha256: string }> } {
    const bad = (why: string): never => {
      throw new PublishError(PublishErrorCode.INVALID_OUTPUT, `the app's output: ${why}`);
    };
    let manifest: OwnedManifest | undefined;
    try {
      manifest = readOwnedManifest(outdir);
    } catch (e) {
      bad((e as Error).message.split('\n')[0]);
    }
    if (!manifest) {
      bad(`no ${MANIFEST_PATH}: not a GitOpsApp output; make the app write to $CDK8S_OUTDIR (or {outdir}) with a GitOpsApp`);
    }
    if (manifest!.libraryVersion === SEED_VERSION) {
      bad('the app wrote nothing into $CDK8S_OUTDIR: make it honour CDK8S_OUTDIR (new GitOpsApp()) or put {outdir} in the command');
    }
    const state = verifyOwnedFiles(outdir);
    if (state.interrupted || state.modified.length || state.missing.length) {
      bad(`it does not match its own manifest (${state.interrupted ? 'an interrupted write' : listFirst([...state.modified, ...state.missing])})`);
    }
    const files = new Map<string, { content: string; sha256: string }>();
    for (const f of manifest!.files) files.set(f.path, { content: fs.readFileSync(path.join(outdir, ...f.path.split('/')), 'utf8'), sha256: f.sha256 });
    return { manifest: manifest!, files };
  }

  /** The policy gate on the new output, and its compliance summary. */
  private gate(outdir: string, reportsDir: string): Compliance {
    let app: Compliance | undefined;
    try {
      app = complianceModule().readAppReport(reportsDir);
    } catch (e) {
      throw new PublishError(PublishErrorCode.INVALID_OUTPUT, (e as Error).message);
    }
    let verified: Compliance;
    try {
      verified = complianceModule().verifyCompliance(outdir).compliance;
    } catch (e) {
      throw new PublishError(PublishErrorCode.INVALID_OUTPUT, `the app's output cannot be checked: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const c of [app, verified]) {
      const blockers = complianceModule().blocking(c?.findings ?? []);
      if (blockers.length) {
        this.writeReports(c!);
        throw new PublishError(PublishErrorCode.POLICY_GATE, `policy gate: ${blockers.length} unsuppressed error-level finding(s) in the output `
          + `(${c!.source === 'app-report' ? 'the app\'s report' : 'recorded packs re-run'}); first: ${complianceModule().describeFinding(blockers[0])}`, blockers.map(complianceModule().describeFinding));
      }
    }
    return app ?? verified;
  }

  /**
   * Compares each branch's committed output (the commit it is built on) with the new output: a
   * risky change in production that the new output's recorded approvals do not cover refuses the
   * publish. Returns the change-safety findings (approved ones included, for the commit message).
   */
  private changeSafetyGate(
    targets: Target[], manifest: OwnedManifest, next: PreviousObject[], nextOperators: readonly PreviousObject[],
  ): ComplianceFinding[] {
    const environments = manifest.environments.map((e) => ({ name: e.name, tier: e.tier, cluster: e.cluster }));
    const clusterOf = new Map(environments.map((e) => [e.name, e.cluster]));
    const approvals: AppliedChangeApproval[] = (manifest.changeApprovals ?? []).map((a) => ({ ...a }));
    const findings: ComplianceFinding[] = [];
    const blockers: string[] = [];
    const bases: string[] = [];
    const risky: string[] = [];
    for (const t of targets) {
      const rev = t.mode === 'checkout' ? this.head : t.tip ?? t.startPoint;
      if (!rev) continue;
      let previous: PreviousOutput | undefined;
      try {
        previous = readCommittedOutput(this.top, rev, this.rel, this.env);
      } catch (e) {
        return invalid(`${t.branch}: the committed ${this.repoPath(MANIFEST_PATH)}: ${(e as Error).message.split('\n')[0]}`);
      }
      if (!previous) continue;
      const inTarget = (p: string) => t.environment === undefined || inEnvironmentFolder(p, t.environment);
      const scoped = { ...previous, objects: previous.objects.filter((o) => inTarget(o.file)) };
      const nextObjects = next.filter((o) => inTarget(o.file))
        .map((o) => ({ file: o.file, manifest: o.manifest, environment: o.environment, cluster: o.cluster ?? clusterOf.get(o.environment ?? '') ?? '' }));
      // the operators' Applications (argocd/) are on the branch of the whole output
      const result = judgeChanges(scoped, nextObjects, environments, approvals, t.environment === undefined ? nextOperators : []);
      this.usedApprovals.set(t.branch, new Set(result.usedApprovals ?? []));
      for (const f of result.findings) {
        const r = f.resource;
        const finding: ComplianceFinding = {
          ruleId: f.ruleId,
          packId: f.packId,
          severity: f.severity,
          message: f.message,
          object: r ? `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}` : undefined,
          file: f.file ? this.repoPath(f.file) : undefined,
          environment: f.environment,
          suppressed: f.suppressed,
          reason: f.suppressionReason,
        };
        findings.push(finding);
        if (f.severity === Severity.ERROR && !f.suppressed) {
          blockers.push(`${t.environment === undefined ? '' : `${t.branch}: `}${complianceModule().describeFinding(finding)}`);
          bases.push(`${t.branch} ${rev.slice(0, 12)}`);
        } else if (f.severity === Severity.WARNING && !f.suppressed) {
          // what the change does once applied, and how to avoid it: the commit message only counts them
          risky.push(`${t.environment === undefined ? '' : `${t.branch}: `}risky change, refused in production: ${complianceModule().describeFinding(finding)}`);
        }
      }
    }
    this.warnings.push(...risky.slice(0, RISKY_LISTED_MAX));
    // an approval that approved nothing on any branch the gate compared: a typo in its scope, or a change that is not there
    if (this.usedApprovals.size > 0) {
      const usedAnywhere = new Set([...this.usedApprovals.values()].flatMap((u) => [...u]));
      for (const a of approvals) {
        if (usedAnywhere.has(approvalKey(a))) continue;
        this.warnings.push(`approval of ${a.ruleId}${a.kind || a.name ? ` for ${[a.kind, a.name].filter(Boolean).join(' ')}` : ''}`
          + `${a.environment ? ` in ${a.environment}` : ''} at ${a.constructPath || 'the app'} ("${a.reason}") matched no change: check its kind, name and environment, `
          + 'or remove it');
      }
    }
    if (risky.length > RISKY_LISTED_MAX) this.warnings.push(`… and ${risky.length - RISKY_LISTED_MAX} more risky change(s) (the reports list them all)`);
    if (blockers.length) {
      throw new PublishError(PublishErrorCode.CHANGE_SAFETY, `change-safety gate: ${blockers.length} unapproved risky change(s) against the committed output `
        + `(${[...new Set(bases)].join(', ')}); first: ${blockers[0]}; approve the change in code (ChangeApprovals.approve) if it is intended`, blockers);
    }
    return findings;
  }

  private copyAppReports(reportsDir: string): void {
    if (this.props.reportsDirectory === undefined || !fs.existsSync(reportsDir)) return;
    const reports = new Map<string, string>();
    for (const name of fs.readdirSync(reportsDir).sort()) {
      const p = path.join(reportsDir, name);
      if (fs.statSync(p).isFile()) reports.set(name, fs.readFileSync(p, 'utf8'));
    }
    if (reports.size) this.writeReports({ source: 'app-report', findings: [], reports });
  }

  private writeReports(c: Compliance): void {
    const dir = this.props.reportsDirectory;
    if (dir === undefined) return;
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, content] of c.reports) fs.writeFileSync(path.join(dir, name), content);
    } catch (e) {
      invalid(`cannot write the reports to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ plan, commit, push

  private plan(
    t: Target,
    output: { manifest: OwnedManifest; files: Map<string, { content: string; sha256: string }> },
    nextObjects: PreviousObject[],
    compliance: Compliance,
  ): Plan {
    const env = t.environment;
    const inTarget = (p: string) => env === undefined || inEnvironmentFolder(p, env);
    const files = [...output.files].filter(([p]) => inTarget(p)).map(([p, f]) => ({ path: p, content: f.content, sha256: f.sha256 }));
    const environments = output.manifest.environments.filter((e) => env === undefined || e.name === env);
    const before = new Map((t.manifest?.files ?? []).map((f) => [f.path, f.sha256]));
    const changes: PublishedFile[] = [];
    for (const f of files) {
      const old = before.get(f.path);
      if (old === undefined) changes.push({ path: f.path, change: FileChangeKind.ADDED });
      else if (old !== f.sha256) changes.push({ path: f.path, change: FileChangeKind.CHANGED });
    }
    const produced = new Set(files.map((f) => f.path));
    for (const p of before.keys()) if (!produced.has(p)) changes.push({ path: p, change: FileChangeKind.REMOVED });
    changes.sort((a, b) => cmp(a.path, b.path));
    // each recorded `used` when it let a change of this branch through (now, or before and still declared): it
    // approves no later change (change-safety judgeChanges)
    const used = this.usedApprovals.get(t.branch);
    const approvals = (output.manifest.changeApprovals ?? [])
      .filter((a) => env === undefined || a.environment === undefined || a.environment === env)
      .map((a) => ({ ...a, ...(used?.has(approvalKey(a)) ? { used: true } : {}) }));
    const manifestText = serializeManifest(buildManifest(output.manifest.libraryVersion, environments, files, approvals));
    const changed = changes.length > 0 || manifestText !== t.manifestText;

    const next = nextObjects.filter((o) => inTarget(o.file));
    const objects = messageModule().objectChanges(t.previous, next);
    const count = [...objects.values()].reduce((n, s) => n + s.added.length + s.removed.length + s.changed.length + s.renamed.length, 0);
    const message = messageModule().commitMessage({
      subject: this.props.message,
      environments,
      removedEnvironments: env === undefined ? (t.manifest?.environments ?? []) : [],
      platformClusters: env === undefined
        ? [...new Set([...files.map((f) => f.path), ...before.keys()].map((p) => /^platform\/([^/]+)\//.exec(p)?.[1]).filter((c): c is string => !!c))]
        : [],
      changes: objects,
      otherFiles: changes.filter((c) => !/^(rendered|platform)\//.test(c.path)),
      fileCount: changes.length,
      compliance,
      libraryVersion: output.manifest.libraryVersion,
      environmentBranch: env,
    });
    return {
      target: t,
      files: files.map((f) => ({ path: f.path, content: f.content })),
      environments,
      approvals,
      changes: changes.map((c) => ({ path: this.repoPath(c.path), change: c.change })),
      changed,
      objectChanges: count,
      message,
      libraryVersion: output.manifest.libraryVersion,
    };
  }

  /**
   * The folders the output's own Flux and Argo CD wiring reads must be in the commit: a `repositoryPath`
   * written for another place than `--path` would otherwise fail in the cluster, after the commit. On
   * environment branches, the reads of each branch against that branch's files (the main branch, which
   * holds the wiring, is not written then).
   */
  private checkWiring(plans: Plan[], files: ReadonlyMap<string, { readonly content: string }>, envMode: boolean): void {
    const wiring = wiringModule();
    const reads = wiring.wiringReads(files);
    if (reads.length === 0) return;
    const unresolved = plans.flatMap((plan) => wiring.unresolvedReads(
      envMode ? reads.filter((r) => r.revision === plan.target.branch) : reads, this.rel, plan.files.map((f) => f.path)));
    if (unresolved.length === 0) return;
    throw new PublishError(PublishErrorCode.WIRING_MISMATCH,
      `${unresolved.length} folder(s) the GitOps wiring reads would not be in the commit: ${wiring.wiringFix(unresolved, this.rel)}`,
      unresolved.map((u) => `${u.read.file}: ${u.read.tool} reads ${u.read.path}${u.read.revision !== undefined ? ` on ${u.read.revision}` : ''}: ${u.reason}`));
  }

  /**
   * Other cdk8s-stateful outputs of the branch (other teams' apps, published with another `--path`) must not
   * apply an object of this output to the same cluster: they are read from the branch as committed, and this
   * output as it is about to be committed.
   */
  private checkSharedObjects(plan: Plan, output: { manifest: OwnedManifest; files: Map<string, { content: string }> }): void {
    const t = plan.target;
    if (t.tip === undefined) return;
    const manifestSuffix = `/${MANIFEST_PATH}`;
    const others = this.git.ok(['ls-tree', '-r', '-z', '--name-only', t.tip]).split('\0')
      .filter((f) => f === MANIFEST_PATH || f.endsWith(manifestSuffix))
      .map((f) => f.slice(0, f.length - MANIFEST_PATH.length).replace(/\/$/, ''))
      // every other output, also one at the root of the repository around this one: each manifest lists its own files
      .filter((p) => p !== this.rel)
      .sort(cmp);
    if (others.length === 0) return;
    const shared = sharedModule();
    const clusters = (m: OwnedManifest) => new Map(m.environments.map((e) => [e.name, e.cluster]));
    const mine = shared.appliedObjects([...output.files].map(([p, f]): [string, string] => [p, f.content]), clusters(output.manifest));
    const found = others.flatMap((other) => {
      const dir = path.join(t.tree, ...other.split('/'));
      let manifest: OwnedManifest | undefined;
      try {
        manifest = readOwnedManifest(dir);
      } catch {
        return []; // `verify` of that output reports it; its objects are unknown here
      }
      if (manifest === undefined) return [];
      const files = manifest.files.flatMap((f): Array<[string, string]> => {
        try {
          return [[f.path, fs.readFileSync(path.join(dir, ...f.path.split('/')), 'utf8')]];
        } catch {
          return [];
        }
      });
      const theirs = shared.appliedObjects(files, clusters(manifest));
      return [...shared.sharedObjects(mine, this.rel, theirs, other), ...shared.sharedBackupLocations(mine, this.rel, theirs, other)]
        .map((o) => ({ ...o, other }));
    });
    if (found.length === 0) return;
    const outputs = [...new Set(found.map((f) => (f.other === '' ? 'the repository\'s root' : `${f.other}/`)))];
    throw new PublishError(PublishErrorCode.SHARED_OBJECTS,
      `${t.branch}: ${found.length} object(s) of this output are applied to the same cluster, or write backups to the same place, as the cdk8s-stateful `
      + `output at ${outputs.join(', ')}: the two outputs' Flux Kustomizations or Argo CD Applications would re-apply them in turn and prune them `
      + 'when either output drops them, and two databases\' backups would overwrite each other; '
      + [...new Set(found.map((f) => f.fix))].join('; '),
      found.map((f) => `${f.label}: ${f.file} and ${f.otherFile}`));
  }

  private describe(plan: Plan, commit: string | undefined, pushed: boolean): BranchPublication {
    return {
      branch: plan.target.branch,
      ...(plan.target.environment !== undefined ? { environment: plan.target.environment } : {}),
      changed: plan.changed,
      ...(commit ? { commit } : {}),
      ...(plan.target.tip ? { previousCommit: plan.target.tip } : {}),
      message: plan.message,
      files: plan.changes,
      objectChanges: plan.objectChanges,
      pushed,
    };
  }

  /** Writes and commits every changed plan; returns branch → new commit. */
  private commit(plans: Plan[]): Map<string, string> {
    const commits = new Map<string, string>();
    const updates: { branch: string; commit: string; old?: string }[] = [];
    for (const plan of plans.filter((p) => p.changed)) {
      if (plan.target.mode === 'checkout') {
        const sha = this.commitCheckout(plan);
        if (sha) commits.set(plan.target.branch, sha);
      } else {
        const sha = this.commitScratch(plan);
        if (sha) updates.push({ branch: plan.target.branch, commit: sha, old: plan.target.tip });
      }
    }
    if (updates.length) {
      // every branch moves in one transaction, each only from the commit it was built on
      const lines = ['start', ...updates.map((u) => (u.old ? `update refs/heads/${u.branch} ${u.commit} ${u.old}` : `create refs/heads/${u.branch} ${u.commit}`)), 'prepare', 'commit', ''];
      const r = this.git.run(['update-ref', '-m', 'cdk8s-stateful publish', '--stdin'], { input: lines.join('\n') });
      if (r.status !== 0) {
        throw new PublishError(PublishErrorCode.CONFLICT, `cannot update ${updates.map((u) => u.branch).join(', ')}: ${gitModule().gitReason(r.stderr)} `
          + '(a branch moved while publishing? publish again)');
      }
      for (const u of updates) commits.set(u.branch, u.commit);
    }
    return commits;
  }

  private writeWith(plan: Plan) {
    try {
      return writeOutput({
        outdir: plan.target.outdir,
        files: plan.files,
        environments: plan.environments,
        changeApprovals: plan.approvals,
        libraryVersion: plan.libraryVersion,
      });
    } catch (e) {
      if (e instanceof WriterError) {
        const code = e.code === 'INVALID_OUTPUT' || e.code === 'CORRUPT_STATE' ? PublishErrorCode.INVALID_OUTPUT : PublishErrorCode.CONFLICT;
        throw new PublishError(code, `${plan.target.branch}: ${e.message.split('\n')[0]}${e.code === 'CONFLICT' ? ` ${e.message.split('\n').slice(1, 4).map((l) => l.trim()).join(' ')}` : ''}`);
      }
      throw e;
    }
  }

  private commitCheckout(plan: Plan): string | undefined {
    // the gate compared with this.head: a commit made meanwhile (by hand: publishes are locked out) would be overwritten unchecked
    const head = this.git.try(['rev-parse', '-q', '--verify', 'HEAD^{commit}']);
    const branch = this.git.try(['symbolic-ref', '-q', '--short', 'HEAD']);
    if (head !== this.head || branch !== this.currentBranch) {
      throw new PublishError(PublishErrorCode.CONFLICT, `the checkout moved while publishing (HEAD ${this.head?.slice(0, 12) ?? 'unborn'} on ${this.currentBranch} `
        + `is now ${head?.slice(0, 12) ?? 'unborn'} on ${branch ?? 'a detached HEAD'}): nothing was written; publish again`);
    }
    // recorded before the first byte is written: if this process dies before its commit, the next
    // publish knows exactly which files to put back (and that they hold only what this one wrote)
    this.writePendingRecord(plan);
    let result;
    try {
      result = this.writeWith(plan);
    } catch (e) {
      // a refusal of the writer wrote nothing (or was rolled back by it)
      if (e instanceof PublishError) this.removePendingRecord();
      throw e;
    }
    const touched = [...result.written, ...result.deleted, ...(result.manifestWritten ? [MANIFEST_PATH] : [])].map((p) => this.repoPath(p)).sort(cmp);
    if (touched.length === 0) {
      this.removePendingRecord();
      return undefined;
    }
    const messageFile = path.join(this.tmp, 'message');
    fs.writeFileSync(messageFile, plan.message);
    const pathspecs = touched.join('\0') + '\0';
    try {
      this.git.ok(['--literal-pathspecs', 'add', '-A', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'], { input: pathspecs });
      this.git.ok(['--literal-pathspecs', 'commit', '--quiet', '--only', '--cleanup=whitespace', '-F', messageFile,
        '--pathspec-from-file=-', '--pathspec-file-nul'], { input: pathspecs });
    } catch (e) {
      const why = e instanceof (gitModule().GitCommandError) ? e.message : (e as Error).message;
      const notRestored = this.restoreCheckout(touched);
      if (notRestored) {
        // the pending record stays: the next publish undoes exactly this write once git runs again
        throw new PublishError(PublishErrorCode.GIT_FAILED, `${why}; nothing was committed, and the working tree could not be restored `
          + `(${notRestored}): the next publish undoes the write once git works in ${this.top} again`);
      }
      this.removePendingRecord();
      throw new PublishError(PublishErrorCode.GIT_FAILED, `${why}; the working tree was restored, nothing was committed`);
    }
    this.removePendingRecord();
    return this.git.ok(['rev-parse', 'HEAD']).trim();
  }

  private pendingRecordPath(): string {
    return path.join(this.gitDir, locksModule().PUBLISH_STATE_DIR, 'publish-pending.json');
  }

  /** What a write into the checkout is about to change: each owned path's committed and new sha256 (null: absent). */
  private writePendingRecord(plan: Plan): void {
    const t = plan.target;
    const files = new Map<string, { before: string | null; after: string | null }>();
    for (const f of t.manifest?.files ?? []) files.set(f.path, { before: f.sha256, after: null });
    for (const f of plan.files) files.set(f.path, { before: files.get(f.path)?.before ?? null, after: sha256(f.content) });
    const owned = plan.files.map((f) => ({ path: f.path, sha256: sha256(f.content) }));
    const manifestText = serializeManifest(buildManifest(plan.libraryVersion, plan.environments, owned, plan.approvals));
    files.set(MANIFEST_PATH, { before: t.manifestText === undefined ? null : sha256(t.manifestText), after: sha256(manifestText) });
    const record: PendingPublish = {
      pid: process.pid,
      hostname: os.hostname(),
      startedAt: new Date().toISOString(),
      head: this.head ?? null,
      path: this.rel,
      files: [...files].sort(([a], [b]) => cmp(a, b)).map(([p, v]) => ({ path: p, ...v })),
    };
    const file = this.pendingRecordPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(record) + '\n');
    fs.renameSync(`${file}.tmp`, file);
  }

  private removePendingRecord(): void {
    fs.rmSync(this.pendingRecordPath(), { force: true });
  }

  /**
   * A publish into this checkout that died between its write and its commit (killed, power loss)
   * left owned files changed and staged, perhaps a half-applied write: `git stash` would not undo
   * that (the writer's journal and new files are untracked). Its record lists every file it was
   * changing with the committed and the new content: when each holds one of the two, the write
   * is finished or undone by the writer's recovery, then every listed file is put back to the
   * commit. A file that holds anything else (edited since) stops the publish, naming it.
   */
  private recoverInterruptedPublish(): void {
    const file = this.pendingRecordPath();
    let record: PendingPublish;
    try {
      record = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.removePendingRecord(); // torn: written before the first byte of output, so nothing was written
      return;
    }
    // publishes into this checkout are locked out: the one that wrote the record is gone
    const who = `an interrupted publish (pid ${record.pid}, started ${record.startedAt})`;
    if (record.path !== this.rel) return; // another output directory: its own publish recovers it
    if (record.head !== (this.head ?? null) || !Array.isArray(record.files)) {
      // committed or reset by hand since: nothing of it is left to undo here
      this.removePendingRecord();
      return;
    }
    const outdir = this.rel ? path.join(this.top, ...this.rel.split('/')) : this.top;
    try {
      recoverOutput(outdir);
    } catch (e) {
      throw new PublishError(PublishErrorCode.INTERRUPTED_WRITE, `${who} left a write in ${this.repoPath(META_DIR)}/ that cannot be recovered: `
        + `${(e as Error).message.split('\n')[0]}`);
    }
    const current = (p: string): string | null => {
      try {
        return sha256(fs.readFileSync(path.join(outdir, ...p.split('/')), 'utf8'));
      } catch {
        return null;
      }
    };
    const foreign = record.files.filter((f) => {
      const now = current(f.path);
      return now !== f.before && now !== f.after;
    }).map((f) => this.repoPath(f.path));
    if (foreign.length) {
      throw new PublishError(PublishErrorCode.INTERRUPTED_WRITE, `${who} left its output uncommitted in ${this.top}, and ${foreign.length} of its file(s) `
        + `were changed since: ${listFirst(foreign)}: keep what you need, then put the output back to the last commit `
        + `(git -C ${this.top} restore --source=HEAD --staged --worktree -- <file>, and delete files not in HEAD) and delete ${file}; then publish`, foreign);
    }
    const notRestored = this.restoreCheckout(record.files.map((f) => this.repoPath(f.path)));
    if (notRestored) {
      throw new PublishError(PublishErrorCode.INTERRUPTED_WRITE, `${who} left its output uncommitted in ${this.top}, and it cannot be undone: `
        + `${notRestored}; fix that, then publish again`);
    }
    this.removePendingRecord();
    this.warnings.push(`${who} left its output uncommitted in ${this.top}: its write was undone (${record.files.length} file(s) back to ${this.head?.slice(0, 12) ?? 'the empty tree'})`);
  }

  /**
   * After a failed commit: the owned paths back to HEAD (they were clean before the write).
   *
   * @returns why git could not restore them (e.g. `index.lock` exists), or undefined when restored
   */
  private restoreCheckout(paths: string[]): string | undefined {
    const failures: string[] = [];
    const run = (args: string[], input: string) => {
      const r = this.git.run(args, { input });
      if (r.status !== 0) failures.push(`git ${args[1]} failed: ${gitModule().gitReason(r.stderr || r.stdout)}`);
    };
    const inHead = new Set(this.head
      ? this.git.ok(['--literal-pathspecs', 'ls-tree', '-r', '-z', '--name-only', '--full-tree', 'HEAD', '--', ...(this.rel ? [this.rel] : [])]).split('\0')
      : []);
    const tracked = paths.filter((p) => inHead.has(p));
    const added = paths.filter((p) => !inHead.has(p));
    if (added.length) {
      run(['--literal-pathspecs', 'rm', '--cached', '-q', '--ignore-unmatch', '--pathspec-from-file=-', '--pathspec-file-nul'], added.join('\0') + '\0');
      for (const p of added) fs.rmSync(path.join(this.top, ...p.split('/')), { force: true });
    }
    if (tracked.length) {
      run(['--literal-pathspecs', 'checkout', 'HEAD', '--pathspec-from-file=-', '--pathspec-file-nul'], tracked.join('\0') + '\0');
    }
    return failures.length ? failures.join('; ') : undefined;
  }

  private commitScratch(plan: Plan): string | undefined {
    const t = plan.target;
    this.writeWith(plan);
    const env = { GIT_INDEX_FILE: t.index! };
    const opts = { env, cwd: t.tree };
    this.git.ok(['--git-dir', this.gitDir, '--work-tree', t.tree, 'add', '-A', '-f', '.'], opts);
    const tree = this.git.ok(['--git-dir', this.gitDir, 'write-tree'], opts).trim();
    const parent = t.tip ?? t.startPoint;
    if (parent && this.git.ok(['rev-parse', `${parent}^{tree}`]).trim() === tree) return undefined;
    const messageFile = path.join(this.tmp, `message-${t.branch.replace(/[^A-Za-z0-9]/g, '_')}`);
    fs.writeFileSync(messageFile, plan.message);
    try {
      return this.git.ok(['commit-tree', ...this.signing(), tree, ...(parent ? ['-p', parent] : []), '-F', messageFile]).trim();
    } catch (e) {
      throw new PublishError(PublishErrorCode.GIT_FAILED, `${t.branch}: ${(e as Error).message}; nothing was committed`);
    }
  }

  /**
   * `git commit-tree` does not read `commit.gpgsign` (only `git commit` does): with it set, branch
   * commits are signed like the checkout's, with `user.signingkey` and `gpg.format` (which
   * commit-tree honours) — never silently unsigned.
   */
  private signing(): string[] {
    const sign = this.git.try(['config', '--bool', 'commit.gpgsign']);
    return sign === 'true' ? ['-S'] : [];
  }

  private push(remote: string, publications: BranchPublication[]): BranchPublication[] {
    const branches = publications.filter((p) => p.commit !== undefined || p.previousCommit !== undefined || this.branchTip(p.branch) !== undefined);
    if (branches.length === 0) return publications;
    const refspecs = branches.map((p) => `refs/heads/${p.branch}:refs/heads/${p.branch}`);
    const r = this.git.run(['push', '--porcelain', '--', remote, ...refspecs]);
    if (r.status !== 0) {
      const kept = publications.filter((p) => p.commit).map((p) => `${p.branch} ${p.commit!.slice(0, 12)}`);
      // --porcelain: one line per ref on stdout, `!` for a rejected one: `!<TAB>src:dst<TAB>[rejected] (fetch first)`
      const rejected = r.stdout.split('\n').filter((l) => l.startsWith('!')).map((l) => {
        const [, refs = '', summary = ''] = l.split('\t');
        return `${(refs.split(':')[1] ?? refs).replace(/^refs\/heads\//, '')} ${summary.replace(/[[\]]/g, '')}`.trim();
      });
      // what the remote's hooks printed (`remote: ...` on stderr): the reason a server refused, which the porcelain
      // summary only calls "pre-receive hook declined"
      const said = r.stderr.split('\n').filter((l) => l.startsWith('remote: ')).map((l) => l.slice('remote: '.length).trim()).filter((l) => l !== '');
      const remoteSaid = said.length === 0 ? '' : ` (the remote said: ${said.slice(0, 10).join(' / ')}${said.length > 10 ? ` / … ${said.length - 10} more line(s)` : ''})`;
      const why = (rejected.length ? rejected.join(', ') : gitModule().gitReason(r.stderr || r.stdout)) + (rejected.length ? remoteSaid : '');
      throw new PublishError(PublishErrorCode.PUSH_FAILED, `git push to ${gitModule().redactCredentials(remote)} failed: ${gitModule().redactCredentials(why)}`
        + `${kept.length ? `; the commit(s) are kept locally (${kept.join(', ')}): fix the remote and publish again, or, when the remote moved on, `
          + 'fetch, reset the branch onto the remote\'s and publish again (a pull would join two outputs that no gate judged together)' : ''}`);
    }
    const pushed = new Set(branches.map((b) => b.branch));
    return publications.map((p) => ({ ...p, pushed: pushed.has(p.branch) }));
  }
}

/** The compliance findings and publish's own change-safety findings, without repeating what the app reported. */
function mergeFindings(app: readonly ComplianceFinding[], safety: readonly ComplianceFinding[]): ComplianceFinding[] {
  const key = (f: ComplianceFinding) => [f.ruleId, f.object ?? '', f.environment ?? ''].join('|');
  const known = new Set(app.map(key));
  return [...app, ...safety.filter((f) => !known.has(key(f)))];
}

function summaryLine(r: Omit<PublishResult, 'summary'>): string {
  const parts: string[] = [];
  for (const b of r.branches) {
    if (r.dryRun) {
      parts.push(b.changed ? `would commit on ${b.branch} (${b.files.length} file(s), ${b.objectChanges} object(s))` : `${b.branch} up to date`);
    } else if (b.commit) {
      parts.push(`committed ${b.commit.slice(0, 12)} on ${b.branch} (${b.files.length} file(s), ${b.objectChanges} object(s))`);
    } else {
      parts.push(`${b.branch} up to date, no commit`);
    }
  }
  if (r.remote && !r.dryRun) parts.push(r.branches.some((b) => b.pushed) ? `pushed to ${r.remote}` : 'nothing to push');
  if (r.staleEnvironmentBranches.length) parts.push(`left unchanged (environment no longer rendered): ${r.staleEnvironmentBranches.join(', ')}`);
  return `${r.dryRun ? 'dry run: ' : ''}${parts.join('; ')}.`;
}
