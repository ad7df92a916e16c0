import { exampleFor } from './rule-examples';
import { closest } from './suggest';
import { CliIo, OutputOptions, Painter, plural } from './terminal';
import { ALL_TIERS, Tier } from '../environment/tier';
import { CHANGE_RULES } from '../gitops/change-safety/rules';
import { PolicyPacks } from '../policy/packs/policy-packs';
import { findPodSecurityCheck } from '../policy/pod-security/registry';
import { ModelRule, Rule } from '../policy/rule';
import { Severity } from '../policy/severity';
import { UsageError } from '../private/usage-error';

/** One rule of the built-in packs, as `rules` and `explain` show it. */
export interface CatalogRule {
  readonly id: string;
  /** Built-in packs holding the rule (the restricted Pod Security pack holds every baseline check too). */
  readonly packs: string[];
  /** Default severity. */
  readonly severity: Severity;
  /** Effective severity per tier where it differs from the default (per-tier overrides of the pack). */
  readonly severityByTier: Partial<Record<Tier, Severity>>;
  /**
   * `manifest`: rendered objects (also on plain YAML); `model`: the construct tree (synthesis only);
   * `change`: change safety, the new output against the previous one (synthesis and publish).
   */
  readonly kind: 'manifest' | 'model' | 'change';
  readonly unsuppressible: boolean;
  readonly description: string;
  readonly explanation: string;
  readonly fix: string;
  readonly helpUri?: string;
  /** The policy rule (change-safety rules have none: they are not in a pack). */
  readonly rule?: Rule;
}

/** Pack name under which change-safety rules are listed (and their findings reported). */
const CHANGE_SAFETY = 'change-safety';

/** Every rule of every built-in pack, in pack order then rule order. */
export function ruleCatalog(): CatalogRule[] {
  const byId = new Map<string, CatalogRule>();
  for (const packId of PolicyPacks.builtInIds()) {
    const pack = PolicyPacks.byId(packId);
    for (const rule of pack.rules) {
      const known = byId.get(rule.id);
      if (known) {
        known.packs.push(packId);
        continue;
      }
      const severityByTier: Partial<Record<Tier, Severity>> = {};
      for (const tier of ALL_TIERS) {
        const s = pack.severityOf(rule, tier);
        if (s !== rule.severity) severityByTier[tier] = s;
      }
      byId.set(rule.id, {
        id: rule.id,
        packs: [packId],
        severity: rule.severity,
        severityByTier,
        kind: rule instanceof ModelRule ? 'model' : 'manifest',
        unsuppressible: rule.unsuppressible,
        description: rule.description,
        explanation: rule.explanation,
        fix: rule.fix,
        helpUri: rule.helpUri,
        rule,
      });
    }
  }
  // change safety: error in production, warning elsewhere (see evaluateChangeSafety)
  for (const rule of CHANGE_RULES) {
    byId.set(rule.id, {
      id: rule.id,
      packs: [CHANGE_SAFETY],
      severity: Severity.ERROR,
      severityByTier: { [Tier.DEVELOPMENT]: Severity.WARNING, [Tier.STAGING]: Severity.WARNING },
      kind: 'change',
      unsuppressible: false,
      description: rule.description,
      explanation: rule.explanation,
      fix: rule.fix,
    });
  }
  return [...byId.values()];
}

function severityText(r: CatalogRule): string {
  const tiers = Object.entries(r.severityByTier).map(([tier, s]) => `${s} in ${tier}`);
  return tiers.length ? `${r.severity} (${tiers.join(', ')})` : r.severity;
}

export interface RulesOptions extends OutputOptions {
  readonly format?: string;
  readonly pack?: string;
}

/** `cdk8s-stateful rules`: every rule of every built-in pack. */
export function runRules(options: RulesOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (!['text', 'json', 'markdown'].includes(format)) throw new UsageError(`rules: unknown --format ${JSON.stringify(format)}: one of text, json, markdown`);
  let rules = ruleCatalog();
  if (options.pack !== undefined) {
    const ids = options.pack.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const known = [...PolicyPacks.builtInIds(), CHANGE_SAFETY];
    for (const id of ids) {
      if (!known.includes(id)) {
        const guess = closest(id, known);
        throw new UsageError(`rules: unknown --pack ${JSON.stringify(id)}${guess ? `: did you mean ${guess}?` : ''} (one of ${known.join(', ')})`);
      }
    }
    rules = rules.filter((r) => r.packs.some((p) => ids.includes(p)));
  }
  const summary = `${plural(rules.length, 'rule')} in ${plural(new Set(rules.flatMap((r) => r.packs)).size, 'pack')}`
    + ` (${rules.filter((r) => r.kind === 'model').length} model, ${rules.filter((r) => r.kind === 'manifest').length} manifest`
    + `, ${rules.filter((r) => r.kind === 'change').length} change safety)`;
  if (options.quiet) {
    io.stdout(`${summary}.\n`);
    return 0;
  }
  if (format === 'json') {
    io.stdout(JSON.stringify({
      rules: rules.map(({ rule: _rule, ...r }) => r),
    }, null, 2) + '\n');
    return 0;
  }
  if (format === 'markdown') {
    const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const lines = ['| rule | pack | severity | checks |', '|---|---|---|---|'];
    for (const r of rules) {
      lines.push(`| \`${r.id}\` | ${r.packs.join(', ')} | ${esc(severityText(r))}${r.unsuppressible ? ', unsuppressible' : ''} | `
        + `${esc(r.description)}${r.kind === 'model' ? ' (model)' : r.kind === 'change' ? ' (change)' : ''} |`);
    }
    io.stdout(lines.join('\n') + '\n');
    return 0;
  }
  const paint = new Painter(io);
  const idWidth = Math.max(...rules.map((r) => r.id.length), 4);
  const lines = [paint.paint('bold', `${'RULE'.padEnd(idWidth)}  SEVERITY  DESCRIPTION`)];
  for (const r of rules) {
    const sev = r.severity.padEnd(8);
    const colored = r.severity === Severity.ERROR ? paint.paint('red', sev) : r.severity === Severity.WARNING ? paint.paint('yellow', sev) : sev;
    lines.push(`${r.id.padEnd(idWidth)}  ${colored}  ${r.description}${r.kind === 'model' ? ' (model rule)' : r.kind === 'change' ? ' (change-safety rule)' : ''}`);
    const notes = [r.packs.join(', '), ...Object.entries(r.severityByTier).map(([tier, s]) => `${s} in ${tier}`), ...(r.unsuppressible ? ['unsuppressible'] : [])];
    lines.push(`${' '.repeat(idWidth + 12)}${paint.paint('dim', notes.join('; '))}`);
  }
  lines.push('', `${summary}. Details: cdk8s-stateful explain <rule-id>`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}

/** Finds a rule by id (case-insensitive), or by the upstream Pod Security check id (`runAsNonRoot`). */
export function findRule(id: string): CatalogRule | undefined {
  const catalog = ruleCatalog();
  const wanted = id.trim().toLowerCase();
  const direct = catalog.find((r) => r.id.toLowerCase() === wanted);
  if (direct) return direct;
  const pss = findPodSecurityCheck(id.trim());
  return pss ? catalog.find((r) => r.id === pss.id) : undefined;
}

export interface ExplainOptions extends OutputOptions {
  readonly format?: string;
}

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(indent + line);
  return out;
}

/** `cdk8s-stateful explain <rule-id>`. */
export function runExplain(id: string, options: ExplainOptions, io: CliIo): number {
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`explain: unknown --format ${JSON.stringify(format)}: one of text, json`);
  const r = findRule(id);
  if (!r) {
    const guess = closest(id, ruleCatalog().map((c) => c.id));
    throw new UsageError(`explain: unknown rule ${JSON.stringify(id)}${guess ? `: did you mean ${guess}?` : ''} (cdk8s-stateful rules lists every rule)`);
  }
  const example = r.rule ? exampleFor(r.rule) : undefined;
  if (options.quiet) {
    io.stdout(`${r.id} (${severityText(r)}, ${r.packs.join(', ')}): ${r.description}\n`);
    return 0;
  }
  if (format === 'json') {
    const { rule: _rule, ...fields } = r;
    io.stdout(JSON.stringify({ ...fields, example: example ?? null }, null, 2) + '\n');
    return 0;
  }
  const paint = new Painter(io);
  const lines = [
    `${paint.paint('bold', r.id)}: ${r.description}`,
    '',
    `  pack:          ${r.packs.join(', ')}`,
    `  severity:      ${severityText(r)}`,
    `  checks:        ${r.kind === 'model'
      ? 'the construct model, at synthesis (not evaluable on plain YAML: check, verify and the cdk8s plugin list it as not evaluable)'
      : r.kind === 'change'
        ? 'the new output against the previous one in the output directory, at GitOpsApp synthesis and publish'
        : 'rendered objects (at synthesis, and on any YAML with check, verify and the cdk8s plugin)'}`,
    `  suppressible:  ${r.kind === 'change'
      ? 'yes, approve the change in code: ChangeApprovals.approve(scope, { ruleId, kind, name, reason })'
      : r.unsuppressible ? 'no (findings cannot be waived)' : 'yes, with Suppressions.add(construct, { ruleId, reason })'}`,
    '',
    paint.paint('bold', 'Why'),
    ...wrap(r.explanation, 96, '  '),
    '',
    paint.paint('bold', 'How to fix'),
    ...wrap(r.fix, 96, '  '),
  ];
  if (example) {
    lines.push('', paint.paint('bold', example.language === 'yaml' ? 'Example violation' : 'Example violation (app code)'));
    lines.push(...example.snippet.trimEnd().split('\n').map((l) => `  ${l}`));
    if (example.message) lines.push(`  ${paint.paint('dim', `=> ${r.id}: ${example.message}`)}`);
  }
  if (r.helpUri) lines.push('', `More: ${r.helpUri}`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}
