import {
  argvCredentials, configFileCredentials, envCredential, holdsTextCredentials, isCredentialName, isReference, mayHoldCredentialText, textCredentials,
} from '../../../private/credentials';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf } from '../workloads';

/** A JSON pointer token. */
function token(key: string | number): string {
  const s = String(key);
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/** The fields of a container that make its argument vector, in order. */
const ARGV_FIELDS = ['command', 'args'];

/**
 * Whether any string inside `v` (in the order and the places the walk below visits) holds an
 * embedded credential: when none does, that walk finds nothing and is skipped. This pass keeps no
 * path and builds no pointer; most strings are rejected by a few character tests.
 */
function holdsTextCredential(v: unknown): boolean {
  if (typeof v === 'string') return mayHoldCredentialText(v) && holdsTextCredentials(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (i in v && holdsTextCredential(v[i])) return true;
    return false;
  }
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) if (holdsTextCredential((v as Record<string, unknown>)[keys[i]])) return true;
  return false;
}

/**
 * GITOPS-NoLiteralCredentials: no credential is written literally into a manifest. Where they hide
 * (see `src/private/credentials.ts`): container command lines (`--password x`, `-pX`, `sh -c
 * "PGPASSWORD=x …"`, URLs with a password), environment variables (credential-like names, values
 * holding a URL password or a signed query string), ConfigMap files (`password: x`,
 * `spring.datasource.password=x`, JSON, scripts) and any other string of any object (a URL with a
 * password, a signature, a token). Messages never repeat the value.
 */
export class NoLiteralCredentials extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-NoLiteralCredentials',
      severity: Severity.ERROR,
      unsuppressible: true,
      description: 'No credential (a credential-like environment variable, ConfigMap key or setting, a password flag, a URL password, a signature) has a literal value',
      explanation: 'A password in an env `value`, a command line or a ConfigMap is readable by everyone with access to the repository or the '
        + 'namespace, and ends up in logs and `kubectl describe` output.',
      fix: 'Read it from a Secret (env valueFrom.secretKeyRef, a mounted file, `$(VAR)` in arguments) delivered by a SecretSource.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    const out: RuleViolation[] = [];
    const reported = new Set<string>();
    const report = (pointer: string, message: string) => {
      reported.add(pointer);
      out.push({ message, jsonPointer: pointer });
    };
    // plain loops (holes skipped, as forEach skips them): every container of every workload passes here
    const containers = containersOf(m);
    for (let c = 0; c < containers.length; c++) {
      const { container, pointer } = containers[c];
      // command and args are one argument vector: `--password` may end one and its value start the other
      const fields: Array<[string, number]> = [];
      const argv: string[] = [];
      for (let f = 0; f < ARGV_FIELDS.length; f++) {
        const field = ARGV_FIELDS[f];
        const list = container[field];
        if (!Array.isArray(list)) continue;
        for (let i = 0; i < list.length; i++) {
          if (!(i in list)) continue;
          const a: unknown = list[i];
          fields.push([field, i]);
          argv.push(typeof a === 'string' ? a : '');
        }
      }
      if (argv.length > 0) {
        for (const { index, what } of argvCredentials(argv)) {
          const [field, i] = fields[index];
          report(`${pointer}/${field}/${i}`, `container "${container.name}" passes ${what} in ${field}[${i}]`);
        }
      }
      const env = container.env;
      if (!Array.isArray(env)) continue;
      for (let i = 0; i < env.length; i++) {
        if (!(i in env)) continue;
        const e = env[i];
        if (typeof e?.name !== 'string' || typeof e.value !== 'string') continue;
        const what = envCredential(e.name, e.value);
        if (what !== undefined) report(`${pointer}/env/${i}/value`, `container "${container.name}" ${what}`);
      }
    }
    if (m.kind === 'ConfigMap' && m.data && typeof m.data === 'object') {
      for (const key of Object.keys(m.data).sort()) {
        const value = String(m.data[key] ?? '');
        const pointer = `/data/${token(key)}`;
        if (isCredentialName(key) && !value.includes('\n') && !isReference(value)) {
          report(pointer, `ConfigMap "${m.metadata?.name}" holds credential-like key "${key}"`);
          continue;
        }
        const found = configFileCredentials(key, value);
        if (found.length > 0) {
          report(pointer, `ConfigMap "${m.metadata?.name}" file "${key}" holds ${found.map((f) => `${f.what} (line ${f.line})`).join(', ')}`);
        }
      }
    }
    // anywhere else (operator resources, annotations, broker configuration): embedded credentials.
    // Every value of every object passes here: the pointer is built only when it is needed (a
    // finding, or a pointer already reported above), not for every value
    const path: string[] = [];
    const pointerOf = () => (path.length === 0 ? '' : `/${path.map(token).join('/')}`);
    const visit = (v: unknown) => {
      if (reported.size > 0 && reported.has(pointerOf())) return;
      if (typeof v === 'string') {
        const found = textCredentials(v);
        if (found.length > 0) {
          const pointer = pointerOf();
          report(pointer, `${m.kind ?? 'object'} "${m.metadata?.name}" holds ${found.join(', ')} at ${pointer}`);
        }
      } else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) continue; // a hole, as forEach skips it
          path.push(String(i));
          visit(v[i]);
          path.pop();
        }
      } else if (v !== null && typeof v === 'object') {
        for (const k of Object.keys(v)) {
          path.push(k);
          visit((v as Record<string, unknown>)[k]);
          path.pop();
        }
      }
    };
    if (m.kind !== 'Secret' && holdsTextCredential(m)) visit(m);
    return out;
  }
}
