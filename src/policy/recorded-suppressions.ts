import { Finding } from './finding';
import { PolicyPack } from './pack';
import { ReportUnusedSuppression } from './reports/types';
import { SUPPRESSIONS_ANNOTATION } from './suppressions';

/** A suppression as the synthesis records it on a rendered object. */
export interface RecordedSuppression {
  readonly rule: string;
  readonly reason: string;
}

/** An entry of the annotation that waives nothing: what it says, and why it is ignored. */
interface IgnoredEntry {
  readonly rule: string;
  readonly reason: string;
  readonly why: string;
}

const RULE_ID = /^[A-Z][A-Z0-9]*-[A-Z][A-Za-z0-9]*$/;
const FORMAT = 'a JSON array of {"rule": "<PACK>-<Name>", "reason": "<at least 10 characters>"}';

/** `value` on one line, at most 120 characters. */
function excerpt(value: unknown): string {
  const text = (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)).replace(/\s+/g, ' ').trim();
  return text.length > 120 ? `${text.slice(0, 119)}\u2026` : text;
}

/** The annotation's entries, the well-formed ones apart from the others (with why each is ignored). */
function readAnnotation(manifest: any): { valid: RecordedSuppression[]; ignored: IgnoredEntry[] } {
  const raw = manifest?.metadata?.annotations?.[SUPPRESSIONS_ANNOTATION];
  if (raw === undefined) return { valid: [], ignored: [] };
  const whole = (why: string) => ({ valid: [], ignored: [{ rule: '(none)', reason: excerpt(raw), why: `${why}: it must be ${FORMAT}` }] });
  if (typeof raw !== 'string') return whole('the annotation is not a string (Kubernetes annotations are strings: quote the JSON)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return whole(`the annotation is not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed)) return whole('the annotation is not a JSON array');
  const valid: RecordedSuppression[] = [];
  const ignored: IgnoredEntry[] = [];
  parsed.forEach((s: any, i: number) => {
    const entry = `entry ${i + 1}`;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      ignored.push({ rule: '(none)', reason: excerpt(s), why: `${entry} is not an object {"rule", "reason"}` });
      return;
    }
    const rule = typeof s.rule === 'string' ? s.rule : typeof s.ruleId === 'string' ? s.ruleId : '(none)';
    const reason = typeof s.reason === 'string' ? s.reason : excerpt(s);
    let why: string | undefined;
    if (s.rule === undefined) {
      // `ruleId` is the TypeScript API's field (Suppressions.add); the annotation, as GitOpsApp writes it, says `rule`
      why = s.ruleId !== undefined ? `${entry} has no "rule" (did you mean "rule" instead of "ruleId"?)` : `${entry} has no "rule"`;
    } else if (typeof s.rule !== 'string' || !RULE_ID.test(s.rule)) {
      why = `${entry}: "rule" ${excerpt(JSON.stringify(s.rule) ?? String(s.rule))} is not a rule id <PACK>-<Name>, e.g. PSS-RunAsNonRoot`;
    } else if (typeof s.reason !== 'string') {
      why = `${entry} has no "reason" (a string of at least 10 characters)`;
    } else if (s.reason.trim().length < 10) {
      why = `${entry}: "reason" is shorter than 10 characters`;
    }
    if (why === undefined) valid.push({ rule: s.rule, reason: s.reason });
    else ignored.push({ rule, reason, why });
  });
  return { valid, ignored };
}

/**
 * The suppressions recorded in an object's `policy.stateful.cdk8s.io/suppressions` annotation (a
 * JSON array of `{ rule, reason }`, written by GitOpsApp). Entries that are not well-formed (rule id
 * `<PACK>-<Name>`, reason of at least 10 characters) are ignored: they waive nothing
 * ({@link ignoredRecordedSuppressions} says which and why).
 */
export function recordedSuppressions(manifest: any): RecordedSuppression[] {
  return readAnnotation(manifest).valid;
}

function key(file: string | undefined, kind: string | undefined, namespace: string | undefined, name: string | undefined): string {
  return [file ?? '', kind ?? '', namespace ?? '', name ?? ''].join('\u0000');
}

/**
 * Marks as suppressed the findings on plain YAML that a recorded suppression covers (the waiver
 * the synthesis applied, visible in Git), except for unsuppressible rules. Returns new findings.
 */
export function applyRecordedSuppressions(
  findings: readonly Finding[],
  objects: readonly { readonly manifest: any; readonly file?: string }[],
  packs: readonly PolicyPack[],
): Finding[] {
  const byObject = new Map<string, RecordedSuppression[]>();
  for (const o of objects) {
    const recorded = recordedSuppressions(o.manifest);
    if (recorded.length > 0) byObject.set(key(o.file, o.manifest.kind, o.manifest.metadata?.namespace, o.manifest.metadata?.name), recorded);
  }
  if (byObject.size === 0) return [...findings];
  const unsuppressible = unsuppressibleRules(packs);
  return findings.map((f) => {
    if (f.suppressed || unsuppressible.has(f.ruleId) || !f.resource) return f;
    const match = byObject.get(key(f.file, f.resource.kind, f.resource.namespace, f.resource.name))?.find((s) => s.rule === f.ruleId);
    return match ? { ...f, suppressed: true, suppressionReason: match.reason } : f;
  });
}

function unsuppressibleRules(packs: readonly PolicyPack[]): Set<string> {
  return new Set(packs.flatMap((p) => p.rules.filter((r) => r.unsuppressible).map((r) => r.id)));
}

/**
 * The entries of the objects' suppressions annotations that waive nothing, each with its object and
 * why (`note`): malformed ones (a hand-written `ruleId`, a short reason, not JSON…) and those naming an
 * unsuppressible rule. Reported with the unused suppressions, so that a waiver that does not apply is
 * seen; it still suppresses nothing.
 */
export function ignoredRecordedSuppressions(
  objects: readonly { readonly manifest: any }[],
  packs: readonly PolicyPack[],
): ReportUnusedSuppression[] {
  const unsuppressible = unsuppressibleRules(packs);
  const out: ReportUnusedSuppression[] = [];
  for (const o of objects) {
    const { valid, ignored } = readAnnotation(o.manifest);
    const m = o.manifest;
    const resource = { apiVersion: m.apiVersion, kind: m.kind, namespace: m.metadata?.namespace, name: m.metadata?.name };
    for (const i of ignored) out.push({ ruleId: i.rule, resource, reason: i.reason, note: `ignored: ${i.why}` });
    for (const s of valid.filter((v) => unsuppressible.has(v.rule))) {
      out.push({ ruleId: s.rule, resource, reason: s.reason, note: `rule ${s.rule} is unsuppressible: the suppression was ignored` });
    }
  }
  return out;
}
