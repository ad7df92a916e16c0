import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LineCounter } from 'yaml';
import { diffJson, FieldChange, jsonEqual } from './structural-diff';
import { CliIo, oneLine, OutputOptions, Painter, plural } from './terminal';
import { judgeChanges, readPreviousOutput } from '../gitops/change-safety';
import { readOwnedManifest } from '../gitops/writer';
import { Severity } from '../policy/severity';
import { OUTDIR_PLACEHOLDER, runAppCommand, stderrTail, treeFingerprint } from '../private/app-command';
import { isCredentialName, isReference, redactSecrets } from '../private/credentials';
import { apiGroup } from '../private/kinds';
import { UsageError } from '../private/usage-error';
import { parseYamlDocuments } from '../private/yaml-read';

export interface DiffOptions extends OutputOptions {
  readonly app?: string;
  readonly format?: string;
  /** Seconds the app may run (default 600). */
  readonly timeout?: string;
}

/** A Kubernetes object (or other YAML document) read from a directory. */
interface DiffObject {
  readonly file: string;
  /** `group/Kind/namespace/name`, or `file#index` for documents that are not Kubernetes objects. */
  readonly identity: string;
  readonly label: string;
  readonly value: unknown;
}

interface Tree {
  readonly objects: DiffObject[];
  /** Files that are not YAML (README.md...), by path: their bytes. */
  readonly others: Map<string, Buffer>;
}

export interface ObjectChange {
  readonly object: string;
  readonly file: string;
  /** The file it was in before, when it moved. */
  readonly previousFile?: string;
  readonly changes: FieldChange[];
}

export interface DiffResult {
  readonly added: { object: string; file: string }[];
  readonly removed: { object: string; file: string }[];
  readonly changed: ObjectChange[];
  readonly unchanged: number;
  readonly files: { path: string; state: 'added' | 'removed' | 'changed'; detail?: string }[];
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * `cdk8s-stateful diff --app "<command>" <dir>`: runs the app into a temporary directory and prints
 * what differs from `<dir>`, object by object.
 *
 * Protocol: the command runs through the shell in the current directory with `CDK8S_OUTDIR` set to
 * a fresh temporary directory (what cdk8s' App uses when given no outdir); `{outdir}` in the
 * command is replaced by the same path, quoted, for apps that take it as an argument. The app must
 * write there; if it writes into `<dir>` instead, diff fails rather than compare `<dir>` with itself.
 *
 * @returns 0 identical, 1 different (2: UsageError thrown: bad usage, failing app)
 */
export function runDiff(dir: string, options: DiffOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`diff: unknown --format ${JSON.stringify(format)}: one of text, json`);
  const command = options.app?.trim();
  if (!command) throw new UsageError('diff: --app "<command>" is required: the command that synthesizes the app (e.g. --app "npx ts-node main.ts {outdir}")');
  const timeout = options.timeout === undefined ? 600 : Number(options.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`diff: invalid --timeout ${JSON.stringify(options.timeout)}: a number of seconds`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`diff: ${dir}: ${code === 'ENOENT' ? 'no such directory (the committed output to compare with)' : code}`);
  }
  if (!stat.isDirectory()) throw new UsageError(`diff: ${dir}: not a directory`);

  // a GitOpsApp output: its owned files only (the manifest lists them), as `verify` reads it; what else the
  // folder holds is not the app's (Flux's bootstrap files under clusters/<cluster>/flux-system, your own)
  const before = readTree(dir, dir, ownedFiles(dir));
  const fingerprint = treeFingerprint(dir);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-diff-'));
  try {
    const outdir = path.join(tmp, 'out');
    runApp(command, outdir, timeout, io);
    if (treeFingerprint(dir) !== fingerprint) {
      throw new UsageError(`diff: the app wrote into ${dir} instead of the temporary directory: make it honour CDK8S_OUTDIR `
        + `(new App() / new GitOpsApp({ outdir: process.env.CDK8S_OUTDIR })) or put ${OUTDIR_PLACEHOLDER} in the command`);
    }
    if (!fs.existsSync(outdir)) {
      throw new UsageError(`diff: the app wrote nothing into $CDK8S_OUTDIR: make it honour CDK8S_OUTDIR or put ${OUTDIR_PLACEHOLDER} in the command`);
    }
    const after = readTree(outdir, 'app output');
    const result = compareTrees(before, after);
    const different = result.added.length + result.removed.length + result.changed.length + result.files.length > 0;
    const risks = classifyRisks(dir, outdir);
    const paint = new Painter(io);
    if (format === 'json' && !options.quiet) io.stdout(JSON.stringify({ identical: !different, ...result, risks }, null, 2) + '\n');
    else if (options.quiet) io.stdout(summaryLine(dir, result, paint) + '\n');
    else io.stdout(renderText(dir, result, paint) + renderRisks(risks, paint));
    return different ? 1 : 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function runApp(command: string, outdir: string, timeoutSeconds: number, io: CliIo): void {
  const failure = runAppCommand(command, { [OUTDIR_PLACEHOLDER]: outdir }, {
    cwd: process.cwd(), env: { ...(io.env ?? process.env), CDK8S_OUTDIR: outdir }, timeoutSeconds,
  });
  if (failure?.kind === 'timeout') throw new UsageError(`diff: the app command timed out after ${timeoutSeconds}s (raise --timeout)`);
  if (failure?.kind === 'spawn') throw new UsageError(`diff: cannot run the app command: ${oneLine(failure.why)}`);
  if (failure) {
    const tail = stderrTail(failure.stderr);
    throw new UsageError(`diff: the app command failed (${failure.why})${tail ? `: ${tail}` : ''}`);
  }
}

/** A risky change as `diff` shows it (the change-safety classification of GitOpsApp). */
export interface DiffRisk {
  readonly ruleId: string;
  readonly message: string;
  readonly file: string;
  readonly environment?: string;
  /** `error`: in production (or an environment that was), refused unless approved; `warning`: allowed, shown. */
  readonly severity: 'error' | 'warning';
  /** The reason of the approval recorded in the new output that allows it (publish honours exactly these). */
  readonly approval?: string;
  /** Whether publish (and the app's own gate) refuse it: an unapproved error. */
  readonly blocking: boolean;
}

/**
 * Classifies the changes between two GitOpsApp outputs (both with an owned-files manifest) with the
 * change-safety rules, as publish judges them: at the tiers of both outputs, with the approvals
 * recorded in the new output (`changeApprovals` of its manifest); plain cdk8s output (no manifest)
 * has no classification.
 */
export function classifyRisks(previousDir: string, nextDir: string): DiffRisk[] {
  const previous = readPreviousOutput(previousDir);
  const next = readPreviousOutput(nextDir);
  let manifest;
  try {
    manifest = readOwnedManifest(nextDir);
  } catch {
    manifest = undefined;
  }
  if (!previous || !next || !manifest) return [];
  // an environment's objects are on the cluster each output recorded for it (an environment renamed on its cluster keeps its objects)
  const clusterOf = (o: { environment?: string; cluster?: string }) => o.cluster ?? (o.environment !== undefined ? next.clusters.get(o.environment) : undefined) ?? '';
  // the gate of publish (publisher.ts changeSafetyGate): the new output's environments and recorded approvals
  const environments = manifest.environments.map((e) => ({ name: e.name, tier: e.tier, cluster: e.cluster }));
  const approvals = (manifest.changeApprovals ?? []).map((a) => ({ ...a }));
  const judged = judgeChanges(previous, next.objects.map((o) => ({ ...o, cluster: clusterOf(o) })), environments, approvals, next.operators ?? []);
  return judged.findings.map((f) => {
    const severity = f.severity === Severity.ERROR ? 'error' : 'warning';
    return {
      ruleId: f.ruleId,
      message: f.message,
      file: f.file ?? '',
      ...(f.environment !== undefined ? { environment: f.environment } : {}),
      severity,
      ...(f.suppressed ? { approval: f.suppressionReason ?? '' } : {}),
      blocking: severity === 'error' && !f.suppressed,
    };
  });
}

function renderRisks(risks: DiffRisk[], paint: Painter): string {
  if (risks.length === 0) return '';
  const line = (r: DiffRisk) => `  ${r.ruleId}${r.environment ? ` [${r.environment}]` : ''}: ${r.message} (${r.file})`;
  const lines: string[] = [];
  const group = (title: string, list: DiffRisk[], extra?: (r: DiffRisk) => string) => {
    if (list.length === 0) return;
    lines.push('', title);
    for (const r of list) lines.push(line(r) + (extra ? extra(r) : ''));
  };
  group(`${paint.paint('red', 'Risky changes')} (refused in production unless approved with ChangeApprovals):`, risks.filter((r) => r.blocking));
  group(`${paint.paint('yellow', 'Risky changes approved')} (ChangeApprovals recorded in the new output; publish lets them through):`,
    risks.filter((r) => r.approval !== undefined), (r) => `\n      approved: ${r.approval}`);
  group(`${paint.paint('yellow', 'Risky changes outside production')} (allowed):`, risks.filter((r) => !r.blocking && r.approval === undefined));
  return lines.join('\n') + '\n';
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = rel ? path.join(root, ...rel.split('/')) : root;
    for (const entry of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue; // .cdk8s-stateful (writer state), .git
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out;
}

/** The files an output's owned-files manifest lists; undefined without one (plain cdk8s output: every file). */
function ownedFiles(root: string): ReadonlySet<string> | undefined {
  let manifest;
  try {
    manifest = readOwnedManifest(root);
  } catch (e) {
    throw new UsageError(`diff: ${root}: ${oneLine((e as Error).message)}`);
  }
  return manifest ? new Set(manifest.files.map((f) => f.path)) : undefined;
}

function readTree(root: string, side: string, only?: ReadonlySet<string>): Tree {
  const objects: DiffObject[] = [];
  const others = new Map<string, Buffer>();
  for (const file of listFiles(root)) {
    if (only !== undefined && !only.has(file)) continue;
    const abs = path.join(root, ...file.split('/'));
    if (fs.statSync(abs).size > MAX_FILE_BYTES) throw new UsageError(`diff: ${side}: ${file}: too large (more than ${MAX_FILE_BYTES} bytes)`);
    const data = fs.readFileSync(abs);
    if (!/\.ya?ml$/.test(file) || data.includes(0)) {
      others.set(file, data);
      continue;
    }
    const text = data.toString('utf8');
    const counter = new LineCounter();
    parseYamlDocuments(text, { lineCounter: counter }).forEach((doc, index) => {
      if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const line = e.linePos?.[0]?.line ?? (e.pos?.[0] !== undefined ? counter.linePos(e.pos[0]).line : undefined);
        throw new UsageError(`diff: ${side}: ${file}${line ? `:${line}` : ''}: invalid YAML: ${oneLine(e.message)}`);
      }
      let value: any;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        throw new UsageError(`diff: ${side}: ${file}: invalid YAML: ${oneLine((e as Error).message)}`);
      }
      if (value === null || value === undefined) return;
      const k8s = typeof value === 'object' && !Array.isArray(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string'
        && typeof value.metadata?.name === 'string';
      if (k8s) {
        const ns = typeof value.metadata.namespace === 'string' ? value.metadata.namespace : '';
        objects.push({
          file,
          identity: [apiGroup(value.apiVersion), value.kind, ns, value.metadata.name].join('/'),
          label: `${value.kind} ${ns ? `${ns}/` : ''}${value.metadata.name}`,
          value,
        });
      } else {
        objects.push({ file, identity: `${file}#${index}`, label: `${file} document ${index + 1}`, value });
      }
    });
  }
  return { objects, others };
}

/**
 * Matches objects by file and identity first (the GitOps layout names files after objects), then
 * by identity alone (an object that moved to another file), and compares them field by field.
 */
export function compareTrees(before: Tree, after: Tree): DiffResult {
  const key = (o: DiffObject) => `${o.file}\0${o.identity}`;
  const remainingBefore = new Map<string, DiffObject>();
  for (const o of before.objects) remainingBefore.set(key(o), o);
  const pairs: Array<[DiffObject, DiffObject]> = [];
  const unmatchedAfter: DiffObject[] = [];
  for (const o of after.objects) {
    const match = remainingBefore.get(key(o));
    if (match) {
      remainingBefore.delete(key(o));
      pairs.push([match, o]);
    } else {
      unmatchedAfter.push(o);
    }
  }
  const count = (list: DiffObject[], id: string) => list.filter((o) => o.identity === id).length;
  const leftBefore = [...remainingBefore.values()];
  const added: DiffResult['added'] = [];
  for (const o of unmatchedAfter) {
    const candidates = leftBefore.filter((b) => b.identity === o.identity);
    if (candidates.length === 1 && count(unmatchedAfter, o.identity) === 1) {
      leftBefore.splice(leftBefore.indexOf(candidates[0]), 1);
      pairs.push([candidates[0], o]);
    } else {
      added.push({ object: o.label, file: o.file });
    }
  }
  const removed = leftBefore.map((o) => ({ object: o.label, file: o.file }));
  const changed: ObjectChange[] = [];
  let unchanged = 0;
  for (const [a, b] of pairs) {
    if (jsonEqual(a.value, b.value) && a.file === b.file) {
      unchanged++;
      continue;
    }
    changed.push({ object: b.label, file: b.file, ...(a.file !== b.file ? { previousFile: a.file } : {}), changes: diffJson(a.value, b.value) });
  }
  const files: DiffResult['files'] = [];
  for (const [p, data] of before.others) {
    const other = after.others.get(p);
    if (!other) files.push({ path: p, state: 'removed' });
    else if (!data.equals(other)) files.push({ path: p, state: 'changed', detail: textChange(data, other) });
  }
  for (const p of after.others.keys()) if (!before.others.has(p)) files.push({ path: p, state: 'added' });
  const byFile = (x: { file: string }, y: { file: string }) => (x.file < y.file ? -1 : x.file > y.file ? 1 : 0);
  files.sort((x, y) => (x.path < y.path ? -1 : 1));
  return { added: added.sort(byFile), removed: removed.sort(byFile), changed: changed.sort(byFile), unchanged, files };
}

function textChange(a: Buffer, b: Buffer): string {
  if (a.includes(0) || b.includes(0)) return 'binary content changed';
  const la = a.toString('utf8').split('\n');
  const lb = b.toString('utf8').split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  return `${plural(la.length, 'line')} -> ${plural(lb.length, 'line')}, first difference at line ${i + 1}`;
}

/**
 * A value for one line: compact JSON, multi-line strings summarized, credentials masked (before the
 * cut: a cut URL would no longer look like one), cut at 100 characters.
 */
export function showValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  const text = redactSecrets(typeof v === 'string' && v.includes('\n') ? `${JSON.stringify(v.split('\n')[0])}... (${v.split('\n').length} lines)` : JSON.stringify(v));
  return text.length > 100 ? `${text.slice(0, 99)}\u2026` : text;
}

/** A changed field for one line; the value of a credential-like key (`/data/password`) is never shown. */
export function showChange(c: FieldChange): string {
  const key = (c.pointer.split('/').pop() ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
  if (isCredentialName(key)) {
    const masked = (v: unknown) => (typeof v === 'string' && !isReference(v) ? '"***"' : showValue(v));
    return `${c.pointer}: ${masked(c.old)} -> ${masked(c.new)}`;
  }
  if (typeof c.old === 'string' && typeof c.new === 'string' && (c.old.includes('\n') || c.new.includes('\n'))) {
    const la = c.old.split('\n');
    const lb = c.new.split('\n');
    let i = 0;
    while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
    return `${c.pointer || '/'}: text changed at line ${i + 1}: ${showValue(la[i])} -> ${showValue(lb[i])}`;
  }
  return `${c.pointer || '/'}: ${showValue(c.old)} -> ${showValue(c.new)}`;
}

export function summaryLine(dir: string, r: DiffResult, paint: Painter): string {
  const objects = r.added.length + r.removed.length + r.changed.length;
  if (objects + r.files.length === 0) return `diff ${dir}: ${paint.paint('green', 'identical')}: ${plural(r.unchanged, 'object')}, no change.`;
  const verb = (n: number) => (n === 1 ? 'differs' : 'differ');
  const parts = [`${plural(objects, 'object')} ${verb(objects)} (${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed)`];
  if (r.files.length) parts.push(`${plural(r.files.length, 'other file')} ${verb(r.files.length)}`);
  parts.push(`${r.unchanged} unchanged`);
  return `diff ${dir}: ${paint.paint('yellow', 'different')}: ${parts.join(', ')}.`;
}

function renderText(dir: string, r: DiffResult, paint: Painter): string {
  if (r.added.length + r.removed.length + r.changed.length + r.files.length === 0) return summaryLine(dir, r, paint) + '\n';
  const lines: string[] = [];
  lines.push(paint.paint('bold', `--- ${dir} (committed)`), paint.paint('bold', '+++ app output'));
  type Entry = { file: string; line: () => string[] };
  const entries: Entry[] = [
    ...r.added.map((a) => ({ file: a.file, line: () => [paint.paint('green', `+ ${a.object}`) + paint.paint('dim', `  ${a.file}`)] })),
    ...r.removed.map((a) => ({ file: a.file, line: () => [paint.paint('red', `- ${a.object}`) + paint.paint('dim', `  ${a.file}`)] })),
    ...r.changed.map((c) => ({
      file: c.file,
      line: () => [
        paint.paint('yellow', `~ ${c.object}`) + paint.paint('dim', `  ${c.previousFile ? `${c.previousFile} -> ` : ''}${c.file}`),
        ...c.changes.map((f) => {
          const mark = f.op === 'add' ? paint.paint('green', '+') : f.op === 'remove' ? paint.paint('red', '-') : paint.paint('yellow', '~');
          return `    ${mark} ${showChange(f)}`;
        }),
      ],
    })),
    ...r.files.map((f) => ({
      file: f.path,
      line: () => [`${f.state === 'added' ? paint.paint('green', '+') : f.state === 'removed' ? paint.paint('red', '-') : paint.paint('yellow', '~')} `
        + `${f.path} (file ${f.state}${f.detail ? `: ${f.detail}` : ''})`],
    })),
  ];
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const e of entries) lines.push(...e.line());
  lines.push('', summaryLine(dir, r, paint));
  return lines.join('\n') + '\n';
}
