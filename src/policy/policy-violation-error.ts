import * as path from 'path';
import { Finding } from './finding';

/**
 * Synthesis stopped because unsuppressed error-level findings remain. Nothing was written; the
 * previous output is intact. (TypeScript / JavaScript only: jsii cannot expose Error subclasses;
 * `GitOpsApp.synthesize()` callers in other languages see the message.)
 *
 * The message is what a person acts on: a summary line, then one block per blocking finding (rule,
 * object, file:line, construct path and message on its first line, the fix below). When the error
 * escapes the app (`cdk8s synth`, `ts-node main.ts`), Node prints the message only: no dump of the
 * findings array, no stack trace (`findings` stays available to code that catches it).
 */
export class PolicyViolationError extends Error {
  public readonly findings!: Finding[];

  /**
   * @param findings every finding of the synthesis (the blocking ones are listed)
   * @param fixes how to fix each rule, by rule id
   */
  public constructor(findings: Finding[], fixes: { readonly [ruleId: string]: string } = {}) {
    const blocking = findings.filter((f) => f.severity === 'error' && !f.suppressed);
    const blocks = blocking.map((f) => {
      const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : (f.constructPath ?? '');
      const obj = f.resource ? ` ${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}` : '';
      const head = `  ${f.ruleId}${obj} (${where}${f.constructPath && f.file ? `, ${f.constructPath}` : ''}): ${f.message}`;
      const fix = Object.prototype.hasOwnProperty.call(fixes, f.ruleId) ? fixes[f.ruleId] : undefined;
      return fix ? `${head}\n    fix: ${fix}` : head;
    });
    const rules = [...new Set(blocking.map((f) => f.ruleId))];
    const more = rules.length > 0 ? `\n  more: npx cdk8s-stateful explain ${rules.length === 1 ? rules[0] : '<rule-id>'}` : '';
    super(`policy violations: ${blocking.length} unsuppressed error-level finding(s); nothing was written\n${blocks.join('\n')}${more}`);
    Object.setPrototypeOf(this, PolicyViolationError.prototype);
    this.name = 'PolicyViolationError';
    // Node prints an uncaught error as its stack plus its enumerable own properties. The findings
    // array would follow as a 200-line dump, and the library's frames say nothing the blocks do
    // not: the stack keeps only the app's line that called synth.
    Object.defineProperty(this, 'findings', { value: findings, enumerable: false, writable: false });
    const caller = (this.stack ?? '').split('\n').find((l) => /^\s+at /.test(l) && !isLibraryFrame(l));
    this.stack = `${this.name}: ${this.message}${caller ? `\n${caller}` : ''}`;
  }
}

/** The library's own code (lib/ when installed, src/ in this repository) and Node's internals. */
const LIBRARY_DIRS = ['lib', 'src'].map((d) => path.join(path.resolve(__dirname, '..', '..'), d) + path.sep);
function isLibraryFrame(frame: string): boolean {
  return /\(node:|at node:/.test(frame) || LIBRARY_DIRS.some((d) => frame.includes(d));
}
