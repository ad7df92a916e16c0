import {
  argvCredentials, configFileCredentials, envCredential, holdsTextCredentials, isCredentialName, isReference, mayHoldCredentialText, textCredentials,
} from '../../../private/credentials';
import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { ContainerRef, containersOf } from '../workloads';

/** A JSON pointer token. */
function token(key: string | number): string {
  const s = String(key);
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/** The fields of a container that make its argument vector, in order. */
const ARGV_FIELDS = ['command', 'args'];

/**
 * Whether any string inside `v` may hold an embedded credential: when none does, the walk of
 * {@link NoLiteralCredentials} finds nothing and is skipped. This pass keeps no path and builds no
 * pointer; most strings are rejected by a few character tests. It may look at more strings than that
 * walk (`for...in` also lists inherited enumerable keys, an array's holes read as undefined), never at
 * fewer: a false "may" only costs the walk, which decides. `for...in` reads an object's values
 * without the array `Object.keys` allocates and through the engine's enumeration cache (every value of
 * every object passes here).
 */
function holdsTextCredential(v: unknown): boolean {
  if (typeof v === 'string') return mayHoldCredentialText(v) && holdsTextCredentials(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (holdsTextCredential(v[i])) return true;
    return false;
  }
  for (const k in v) if (holdsTextCredential((v as Record<string, unknown>)[k])) return true;
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
    // in small functions of their own (each optimized on its own after a few objects); the parts a
    // kind cannot have are not entered (most objects have no container and are no ConfigMap)
    const containers = containersOf(m);
    if (containers.length > 0) containerCredentials(containers, out);
    if (m.kind === 'ConfigMap' && m.data && typeof m.data === 'object') configMapCredentials(m, out);
    if (m.kind !== 'Secret' && holdsTextCredential(m)) embeddedCredentials(m, out);
    return out;
  }
}

/** The command lines and environment variables of the containers: their findings added to `out`. */
function containerCredentials(containers: ContainerRef[], out: RuleViolation[]): void {
  // plain loops (holes skipped, as forEach skips them): every container of every workload passes here
  for (let c = 0; c < containers.length; c++) {
    const { container, pointer } = containers[c];
    // command and args are one argument vector: `--password` may end one and its value start the other
    // (a container without either, as most are, needs no vector)
    if (Array.isArray(container.command) || Array.isArray(container.args)) {
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
          out.push({ message: `container "${container.name}" passes ${what} in ${field}[${i}]`, jsonPointer: `${pointer}/${field}/${i}` });
        }
      }
    }
    const env = container.env;
    if (!Array.isArray(env)) continue;
    for (let i = 0; i < env.length; i++) {
      if (!(i in env)) continue;
      const e = env[i];
      if (typeof e?.name !== 'string' || typeof e.value !== 'string') continue;
      const what = envCredential(e.name, e.value);
      if (what !== undefined) out.push({ message: `container "${container.name}" ${what}`, jsonPointer: `${pointer}/env/${i}/value` });
    }
  }
}

/** The keys and files of a ConfigMap's `data`: their findings added to `out`. */
function configMapCredentials(m: any, out: RuleViolation[]): void {
  for (const key of Object.keys(m.data).sort()) {
    const value = String(m.data[key] ?? '');
    const pointer = `/data/${token(key)}`;
    if (isCredentialName(key) && !value.includes('\n') && !isReference(value)) {
      out.push({ message: `ConfigMap "${m.metadata?.name}" holds credential-like key "${key}"`, jsonPointer: pointer });
      continue;
    }
    const found = configFileCredentials(key, value);
    if (found.length > 0) {
      out.push({ message: `ConfigMap "${m.metadata?.name}" file "${key}" holds ${found.map((f) => `${f.what} (line ${f.line})`).join(', ')}`, jsonPointer: pointer });
    }
  }
}

/**
 * Anywhere else (operator resources, annotations, broker configuration): embedded credentials, at
 * pointers not reported in `out` already. Only for an object {@link holdsTextCredential} lets pass:
 * the pointer is built only when it is needed (a finding, or a pointer already reported), not for
 * every value.
 */
function embeddedCredentials(m: any, out: RuleViolation[]): void {
  const reported = new Set<string>();
  for (let i = 0; i < out.length; i++) reported.add(out[i].jsonPointer!);
  const path: string[] = [];
  const pointerOf = () => (path.length === 0 ? '' : `/${path.map(token).join('/')}`);
  const visit = (v: unknown) => {
    if (reported.size > 0 && reported.has(pointerOf())) return;
    if (typeof v === 'string') {
      const found = textCredentials(v);
      if (found.length > 0) {
        const pointer = pointerOf();
        reported.add(pointer);
        out.push({ message: `${m.kind ?? 'object'} "${m.metadata?.name}" holds ${found.join(', ')} at ${pointer}`, jsonPointer: pointer });
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
  visit(m);
}
