import { createHash } from 'crypto';
import { Finding, ResourceRef } from '../finding';
import { Severity } from '../severity';
import { describeUnused, NormalizedInput, toPosixPath } from './common';
import { ReportRule } from './types';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_NAME = 'cdk8s-stateful';
export const TOOL_INFORMATION_URI = 'https://github.com/maintainers/cdk8s-stateful';
/** Key of the stable fingerprint in `result.partialFingerprints` (bump the suffix if the recipe changes). */
export const FINGERPRINT_KEY = 'cdk8sStatefulFinding/v1';

type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(severity: Severity): SarifLevel {
  switch (severity) {
    case Severity.ERROR: return 'error';
    case Severity.WARNING: return 'warning';
    default: return 'note';
  }
}

/** A relative (or absolute) path as a URI reference: forward slashes, each segment percent-encoded. */
export function fileUri(file: string): string {
  return toPosixPath(file).split('/').map(encodeURIComponent).join('/');
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** `PSS-RunAsNonRoot` -> `RunAsNonRoot`. */
function ruleName(id: string): string {
  const dash = id.indexOf('-');
  return dash > 0 && dash < id.length - 1 ? id.slice(dash + 1) : id;
}

function ruleDescriptor(r: ReportRule): Record<string, unknown> {
  const description = r.description || r.id;
  const explanation = r.explanation || description;
  const helpText = [description, '', explanation, ...(r.fix ? ['', `How to fix: ${r.fix}`] : []), ...(r.helpUri ? ['', `More: ${r.helpUri}`] : [])]
    .join('\n');
  const helpMarkdown = [`**${description}**`, '', explanation, ...(r.fix ? ['', `**How to fix:** ${r.fix}`] : []),
    ...(r.helpUri ? ['', `[Documentation](${r.helpUri})`] : [])].join('\n');
  return {
    id: r.id,
    name: ruleName(r.id),
    shortDescription: { text: description },
    fullDescription: { text: explanation },
    ...(r.helpUri && ABSOLUTE_URI.test(r.helpUri) ? { helpUri: r.helpUri } : {}),
    help: { text: helpText, markdown: helpMarkdown },
    defaultConfiguration: { level: sarifLevel(r.severity) },
    properties: { packId: r.packId, tags: [r.packId] },
  };
}

function resourceName(r: ResourceRef): string {
  return `${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

function logicalLocations(constructPath: string | undefined, resource: ResourceRef | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (constructPath) {
    const segments = constructPath.split('/');
    out.push({ name: segments[segments.length - 1], fullyQualifiedName: constructPath, kind: 'module' });
  }
  if (resource) {
    out.push({ name: resource.name, fullyQualifiedName: resourceName(resource), kind: 'resource' });
  }
  return out;
}

function locations(f: Finding): Record<string, unknown>[] {
  const logical = logicalLocations(f.constructPath, f.resource);
  const hasFile = f.file !== undefined && f.file !== '';
  if (!hasFile && logical.length === 0) return [];
  return [{
    ...(hasFile ? {
      physicalLocation: {
        artifactLocation: { uri: fileUri(f.file!) },
        ...(f.line !== undefined && Number.isInteger(f.line) && f.line >= 1 ? { region: { startLine: f.line } } : {}),
      },
    } : {}),
    ...(logical.length ? { logicalLocations: logical } : {}),
  }];
}

/** Independent of file, line and message, so a finding keeps its identity when the output moves around. */
function fingerprintKey(f: Finding): string {
  const r = f.resource;
  return [f.ruleId, r?.apiVersion, r?.kind, r?.namespace, r?.name, f.constructPath, f.jsonPointer, f.environment]
    .map(v => v ?? '').join('\u0000');
}

export function renderSarif(n: NormalizedInput): string {
  const ruleIndex = new Map(n.rules.map((r, i) => [r.id, i]));
  const ruleRef = (id: string) => (ruleIndex.has(id) ? { id, index: ruleIndex.get(id)! } : { id });
  const occurrences = new Map<string, number>();

  const results = n.findings.map(f => {
    const key = fingerprintKey(f);
    const occurrence = (occurrences.get(key) ?? 0) + 1;
    occurrences.set(key, occurrence);
    const locs = locations(f);
    const properties = {
      packId: f.packId,
      ...(f.environment !== undefined ? { environment: f.environment } : {}),
      ...(f.jsonPointer !== undefined ? { jsonPointer: f.jsonPointer } : {}),
    };
    return {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId)!,
      level: sarifLevel(f.severity),
      message: { text: f.message || f.ruleId },
      ...(locs.length ? { locations: locs } : {}),
      partialFingerprints: {
        [FINGERPRINT_KEY]: createHash('sha256').update(`${key}\u0000${occurrence}`).digest('hex'),
      },
      ...(f.suppressed ? {
        suppressions: [{ kind: 'inSource', status: 'accepted', ...(f.suppressionReason ? { justification: f.suppressionReason } : {}) }],
      } : {}),
      properties,
    };
  });

  const executionNotifications = n.notEvaluable.map(r => ({
    level: 'note',
    message: { text: `${r.ruleId} was not evaluated (neither passed nor failed): ${r.reason}` },
    descriptor: { id: 'not-evaluable' },
    associatedRule: ruleRef(r.ruleId),
  }));
  const configurationNotifications = n.unusedSuppressions.map(u => {
    const logical = logicalLocations(u.constructPath, u.resource);
    return {
      level: 'warning',
      message: { text: `Unused suppression of ${describeUnused(u)}` },
      descriptor: { id: 'unused-suppression' },
      associatedRule: ruleRef(u.ruleId),
      ...(logical.length ? { locations: [{ logicalLocations: logical }] } : {}),
    };
  });

  const validTimestamp = n.timestamp !== undefined && DATE_TIME.test(n.timestamp);
  const invocation = {
    executionSuccessful: true,
    ...(validTimestamp ? { startTimeUtc: n.timestamp } : {}),
    ...(executionNotifications.length ? { toolExecutionNotifications: executionNotifications } : {}),
    ...(configurationNotifications.length ? { toolConfigurationNotifications: configurationNotifications } : {}),
  };

  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: TOOL_NAME,
          version: n.toolVersion,
          informationUri: TOOL_INFORMATION_URI,
          rules: n.rules.map(ruleDescriptor),
        },
        ...(n.packs.length ? {
          extensions: n.packs.map(p => ({ name: p.id, ...(p.version !== undefined ? { version: p.version } : {}) })),
        } : {}),
      },
      invocations: [invocation],
      results,
      properties: {
        ...n.summary,
        ...(n.timestamp !== undefined && !validTimestamp ? { timestamp: n.timestamp } : {}),
      },
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
