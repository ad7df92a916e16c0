import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf } from '../workloads';

/** `--password=x`, `PGPASSWORD=x`, `token:x` in a command line (a variable or a file reference is fine). */
const CREDENTIAL_ARGUMENT = /(^|[-_.])(pass(word|wd)?|secret|token|api[-_]?key)[=:](?![$'"{(<]|\/|$)/i;
/** `PGPASSWORD=x` (an environment assignment, e.g. through `env`). */
const CREDENTIAL_ASSIGNMENT = /^[A-Z0-9_]*(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY)[A-Z0-9_]*=(?![$'"{(<]|\/|$)/;
const CREDENTIAL_NAME = /(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth)/i;

/** GITOPS-NoLiteralCredentials: no credential-like value is written literally into a manifest. */
export class NoLiteralCredentials extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-NoLiteralCredentials',
      severity: Severity.ERROR,
      unsuppressible: true,
      description: 'No credential-like environment variable or ConfigMap key has a literal value',
      explanation: 'A password in an env `value` or a ConfigMap is readable by everyone with access to the repository or the '
        + 'namespace, and ends up in logs and `kubectl describe` output.',
      fix: 'Read it from a Secret (env valueFrom.secretKeyRef) delivered by a SecretSource.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    const out: RuleViolation[] = [];
    for (const { container, pointer } of containersOf(m)) {
      for (const field of ['command', 'args']) {
        const argv = Array.isArray(container[field]) ? container[field] : [];
        argv.forEach((a: unknown, i: number) => {
          // the message never repeats the value
          if (typeof a === 'string' && (CREDENTIAL_ARGUMENT.test(a) || CREDENTIAL_ASSIGNMENT.test(a))) {
            out.push({ message: `container "${container.name}" passes a credential literally in ${field}[${i}]`, jsonPointer: `${pointer}/${field}/${i}` });
          }
        });
      }
      (Array.isArray(container.env) ? container.env : []).forEach((e: any, i: number) => {
        if (typeof e?.name === 'string' && CREDENTIAL_NAME.test(e.name) && typeof e.value === 'string' && e.value.length > 0) {
          out.push({ message: `container "${container.name}" sets ${e.name} to a literal value`, jsonPointer: `${pointer}/env/${i}/value` });
        }
      });
    }
    if (m.kind === 'ConfigMap') {
      for (const key of Object.keys(m.data ?? {}).sort()) {
        if (CREDENTIAL_NAME.test(key) && String(m.data[key]).length > 0) {
          out.push({ message: `ConfigMap "${m.metadata?.name}" holds credential-like key "${key}"`, jsonPointer: `/data/${key.replace(/~/g, '~0').replace(/\//g, '~1')}` });
        }
      }
    }
    return out;
  }
}
