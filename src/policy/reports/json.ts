import { Finding } from '../finding';
import { NormalizedInput, toPosixPath } from './common';

/**
 * One finding in the JSON report. Keys are always emitted in this order; `resource`, `constructPath`,
 * `file` and `line` are `null` when unknown, the other optional keys are left out when absent.
 */
export interface JsonFinding {
  readonly ruleId: string;
  readonly packId: string;
  readonly severity: string;
  readonly message: string;
  readonly resource: { apiVersion: string; kind: string; namespace: string | null; name: string } | null;
  readonly constructPath: string | null;
  readonly file: string | null;
  readonly line: number | null;
  readonly jsonPointer?: string;
  readonly environment?: string;
  readonly suppressed: boolean;
  readonly suppressionReason?: string;
}

export function jsonFinding(f: Finding): JsonFinding {
  return {
    ruleId: f.ruleId,
    packId: f.packId,
    severity: f.severity,
    message: f.message,
    resource: f.resource
      ? { apiVersion: f.resource.apiVersion, kind: f.resource.kind, namespace: f.resource.namespace ?? null, name: f.resource.name }
      : null,
    constructPath: f.constructPath ?? null,
    file: f.file !== undefined ? toPosixPath(f.file) : null,
    line: f.line ?? null,
    ...(f.jsonPointer !== undefined ? { jsonPointer: f.jsonPointer } : {}),
    ...(f.environment !== undefined ? { environment: f.environment } : {}),
    suppressed: f.suppressed,
    ...(f.suppressed && f.suppressionReason !== undefined ? { suppressionReason: f.suppressionReason } : {}),
  };
}

export function renderJson(n: NormalizedInput): string {
  const report = {
    findings: n.findings.map(jsonFinding),
    summary: {
      ...n.summary,
      notEvaluable: n.notEvaluable.map(r => ({ ruleId: r.ruleId, ...(r.packId !== undefined ? { packId: r.packId } : {}), reason: r.reason })),
      unusedSuppressions: n.unusedSuppressions.map(u => ({
        ruleId: u.ruleId,
        constructPath: u.constructPath ?? null,
        resource: u.resource
          ? { apiVersion: u.resource.apiVersion, kind: u.resource.kind, namespace: u.resource.namespace ?? null, name: u.resource.name }
          : null,
        reason: u.reason,
        ...(u.note !== undefined ? { note: u.note } : {}),
      })),
      packs: n.packs.map(p => ({ id: p.id, version: p.version ?? null })),
      toolVersion: n.toolVersion,
      ...(n.timestamp !== undefined ? { timestamp: n.timestamp } : {}),
    },
  };
  return JSON.stringify(report, null, 2) + '\n';
}
