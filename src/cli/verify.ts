import { CliIo, oneLine, OutputOptions, Painter, plural, Progress } from './terminal';
import { FileState, verifyDirectory, VerifyDirectoryOptions, VerifyReport } from '../gitops/verify/verify-directory';
import { blockingFindings } from '../policy/engine';
import { Severity } from '../policy/severity';
import { UsageError } from '../private/usage-error';

export interface VerifyOptions extends OutputOptions, VerifyDirectoryOptions {
  readonly format?: string;
}

/**
 * `cdk8s-stateful verify <dir>`.
 *
 * @returns 0 clean, 1 drift or unsuppressed error findings (2: UsageError thrown)
 */
export function runVerify(dir: string, options: VerifyOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`verify: unknown --format ${JSON.stringify(format)}: one of text, json`);
  const report = verifyDirectory(dir, options, new Progress(io, options));
  const paint = new Painter(io);
  if (options.quiet) io.stdout(summaryLine(report, paint) + '\n');
  else if (format === 'json') io.stdout(JSON.stringify(toJson(report), null, 2) + '\n');
  else io.stdout(renderText(report, dir, paint));
  return report.ok ? 0 : 1;
}

// ------------------------------------------------------------------ output

const STATE_STYLE: Record<FileState, 'yellow' | 'red' | 'cyan'> = {
  modified: 'yellow', missing: 'red', stale: 'cyan', unknown: 'red', unreadable: 'red',
};

function counts(report: VerifyReport) {
  const by = (s: FileState) => report.files.filter((f) => f.state === s).length;
  const errors = report.findings.filter((f) => f.severity === Severity.ERROR).length;
  const unsuppressed = blockingFindings(report.findings).length;
  const warnings = report.findings.filter((f) => f.severity === Severity.WARNING && !f.suppressed).length;
  const suppressed = report.findings.filter((f) => f.suppressed).length;
  const objects = report.scopes.reduce((n, s) => n + s.objectsChecked, 0);
  return {
    modified: by('modified'),
    missing: by('missing'),
    stale: by('stale'),
    unknown: by('unknown'),
    unreadable: by('unreadable'),
    errors,
    unsuppressed,
    warnings,
    suppressed,
    objects,
  };
}

export function summaryLine(report: VerifyReport, paint: Painter): string {
  const c = counts(report);
  const driftParts = (['modified', 'missing', 'stale', 'unknown', 'unreadable'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`);
  const environments = report.scopes.filter((s) => s.environment !== undefined).length;
  const parts = [
    driftParts.length ? `${plural(report.files.length, 'file')} drifted (${driftParts.join(', ')})` : 'no file drift',
    ...(report.interrupted ? [report.recovery?.foreignJournal ? 'a journal not written here was not rolled forward' : 'an interrupted write is pending'] : []),
    `${plural(c.unsuppressed, 'unsuppressed error')} in ${plural(c.objects, 'object')} (${plural(environments, 'environment')})`,
    ...(c.warnings ? [plural(c.warnings, 'warning')] : []),
    ...(c.suppressed ? [`${c.suppressed} suppressed`] : []),
    ...(report.notEvaluable.length ? [`${plural(report.notEvaluable.length, 'model rule')} not evaluable`] : []),
  ];
  const status = report.ok ? paint.paint('green', 'OK') : paint.paint('red', 'FAILED');
  return `verify ${report.directory}: ${status}: ${parts.join(', ')}.`;
}

function renderText(report: VerifyReport, dir: string, paint: Painter): string {
  const lines: string[] = [];
  const environments = report.scopes.filter((s) => s.environment !== undefined).length;
  lines.push(paint.paint('bold', `Verifying ${dir}`) + ` (written by cdk8s-stateful ${report.libraryVersion}, ${plural(environments, 'environment')})`);
  const foreign = report.recovery?.foreignJournal;
  if (report.recovery && foreign) {
    lines.push(paint.paint('red', `${foreign.file}${foreign.txid ? ` (transaction ${foreign.txid})` : ''} is not a journal of an interrupted `
      + `write on this machine: ${oneLine(foreign.reason)}. It was not rolled forward and nothing was changed (a journal from Git could `
      + 'write or delete anything its paths reach).') + ' If a write on another machine was interrupted, restore the output from Git '
      + '(or run that machine\'s synthesis again); then delete .cdk8s-stateful/journal, journal.tmp, journal.rollback and staging/, '
      + 'which are transient and belong in .gitignore.');
  } else if (report.recovery) {
    const r = report.recovery;
    const what = r.action === 'rolled-forward'
      ? `rolled forward the committed transaction ${r.txid ?? ''}: the directory now holds the complete new output`
      : r.action === 'rolled-back'
        ? `rolled back the committed transaction ${r.txid ?? ''}, which could not be finished (${oneLine(r.reason ?? '')}): `
          + 'the directory holds the complete previous output'
        : `discarded ${plural(r.stagingRemoved.length, 'staged write')}${r.tornJournal ? ' and a torn journal' : ''}: `
          + 'the directory holds the complete output the manifest describes';
    lines.push(paint.paint('yellow', `Recovered an interrupted write: ${what.replace(/ +:/, ':')}.`) + ' Commit the result.');
  }
  if (report.interrupted && !foreign) {
    lines.push(paint.paint('red', 'An interrupted write is pending (journal or staging files): run verify without --no-recover, or synthesize again.'));
  }
  lines.push('');
  if (report.files.length === 0) {
    lines.push(`Files: every owned file is intact${report.ignoredFiles.length ? ` (${plural(report.ignoredFiles.length, 'other file')} not managed, ignored)` : ''}.`);
  } else {
    lines.push(`Files (${plural(report.files.length, 'drifted file', 'drifted files')}):`);
    const width = Math.min(60, Math.max(...report.files.map((f) => f.path.length)));
    for (const f of report.files) {
      lines.push(`  ${paint.paint(STATE_STYLE[f.state], f.state.padEnd(10))} ${f.path.padEnd(width)}  ${paint.paint('dim', f.detail)}`);
    }
    if (report.ignoredFiles.length) lines.push(`  (${plural(report.ignoredFiles.length, 'other file')} not managed by cdk8s-stateful, ignored)`);
    lines.push(paint.paint('dim', '  hint: synthesize again to restore generated files (hand edits belong in the app code); '
      + 'move or delete files cdk8s-stateful did not write.'));
  }
  lines.push('');
  lines.push('Policies (recorded packs re-run on the committed YAML):');
  const scopeWidth = Math.max(...report.scopes.map((s) => s.folder.length), 8);
  for (const s of report.scopes) {
    const status = s.unsuppressedErrors > 0 ? paint.paint('red', plural(s.unsuppressedErrors, 'error')) : paint.paint('green', 'passed');
    lines.push(`  ${s.folder.padEnd(scopeWidth)}  ${(s.tier ?? 'no tier').padEnd(11)}  ${plural(s.objectsChecked, 'object').padEnd(11)}  ${status}  `
      + paint.paint('dim', s.packs.join(', ') || '(no pack)'));
  }
  if (report.scopes.some((s) => s.podSecurityVersionSource)) {
    lines.push(paint.paint('dim', '  (Pod Security version of packs recorded without one: the enforce-version label of the environment\'s Namespace)'));
  }
  const shown = report.findings.filter((f) => !f.suppressed);
  const ruleWidth = Math.max(0, ...shown.map((f) => f.ruleId.length));
  if (shown.length) {
    lines.push('');
    for (const f of shown) {
      const sev = f.severity === Severity.ERROR ? paint.paint('red', 'error  ') : f.severity === Severity.WARNING ? paint.paint('yellow', 'warning') : 'info   ';
      const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '';
      const obj = f.resource ? `${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}: ` : '';
      lines.push(`  ${sev}  ${f.ruleId.padEnd(ruleWidth)}  ${where}  ${obj}${oneLine(f.message)}`);
    }
  }
  const suppressed = report.findings.filter((f) => f.suppressed);
  if (suppressed.length) {
    lines.push('', 'Suppressed (recorded in the object\'s annotation):');
    for (const f of suppressed) lines.push(paint.paint('dim', `  ${f.ruleId}  ${f.file ?? ''}${f.line ? `:${f.line}` : ''}  ${oneLine(f.suppressionReason ?? '')}`));
  }
  if (report.notEvaluable.length) {
    lines.push('', `Not evaluable on YAML (model rules need the construct tree; the synthesis ran them): ${report.notEvaluable.map((n) => n.ruleId).join(', ')}`);
  }
  if (report.unknownPacks.length) {
    lines.push('', `Not re-run (not built-in packs): ${report.unknownPacks.join(', ')}`);
  }
  lines.push('', summaryLine(report, paint));
  return lines.join('\n') + '\n';
}

function toJson(report: VerifyReport): unknown {
  const c = counts(report);
  return {
    directory: report.directory,
    ok: report.ok,
    libraryVersion: report.libraryVersion,
    recovery: report.recovery ?? null,
    interrupted: report.interrupted,
    files: report.files,
    ignoredFiles: report.ignoredFiles,
    scopes: report.scopes,
    findings: report.findings,
    notEvaluable: report.notEvaluable,
    unknownPacks: report.unknownPacks,
    summary: {
      driftedFiles: report.files.length,
      modified: c.modified,
      missing: c.missing,
      stale: c.stale,
      unknown: c.unknown,
      unreadable: c.unreadable,
      objectsChecked: c.objects,
      errors: c.errors,
      unsuppressedErrors: c.unsuppressed,
      warnings: c.warnings,
      suppressed: c.suppressed,
    },
  };
}
