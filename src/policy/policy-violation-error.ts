import { Finding } from './finding';

/**
 * Synthesis stopped because unsuppressed error-level findings remain. Nothing was written; the
 * previous output is intact. (TypeScript / JavaScript only: jsii cannot expose Error subclasses;
 * `GitOpsApp.synthesize()` callers in other languages see the message.)
 */
export class PolicyViolationError extends Error {
  public readonly findings: Finding[];

  public constructor(findings: Finding[]) {
    const blocking = findings.filter((f) => f.severity === 'error' && !f.suppressed);
    const lines = blocking.map((f) => {
      const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : (f.constructPath ?? '');
      const obj = f.resource ? ` ${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}` : '';
      return `  ${f.ruleId}${obj} (${where}${f.constructPath && f.file ? `, ${f.constructPath}` : ''}): ${f.message}`;
    });
    super(`policy violations: ${blocking.length} unsuppressed error-level finding(s); nothing was written\n${lines.join('\n')}`);
    Object.setPrototypeOf(this, PolicyViolationError.prototype);
    this.name = 'PolicyViolationError';
    this.findings = findings;
  }
}
