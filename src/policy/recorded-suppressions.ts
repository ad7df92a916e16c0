import { Finding } from './finding';
import { PolicyPack } from './pack';
import { SUPPRESSIONS_ANNOTATION } from './suppressions';

/** A suppression as the synthesis records it on a rendered object. */
export interface RecordedSuppression {
  readonly rule: string;
  readonly reason: string;
}

/**
 * The suppressions recorded in an object's `policy.stateful.cdk8s.io/suppressions` annotation (a
 * JSON array of `{ rule, reason }`, written by GitOpsApp). Entries that are not well-formed (rule id
 * `<PACK>-<Name>`, reason of at least 10 characters) are ignored: they waive nothing.
 */
export function recordedSuppressions(manifest: any): RecordedSuppression[] {
  const raw = manifest?.metadata?.annotations?.[SUPPRESSIONS_ANNOTATION];
  if (typeof raw !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((s: any): s is RecordedSuppression => typeof s?.rule === 'string' && /^[A-Z][A-Z0-9]*-[A-Z][A-Za-z0-9]*$/.test(s.rule)
    && typeof s.reason === 'string' && s.reason.trim().length >= 10);
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
  const unsuppressible = new Set(packs.flatMap((p) => p.rules.filter((r) => r.unsuppressible).map((r) => r.id)));
  return findings.map((f) => {
    if (f.suppressed || unsuppressible.has(f.ruleId) || !f.resource) return f;
    const match = byObject.get(key(f.file, f.resource.kind, f.resource.namespace, f.resource.name))?.find((s) => s.rule === f.ruleId);
    return match ? { ...f, suppressed: true, suppressionReason: match.reason } : f;
  });
}
