import * as fs from 'fs';
import * as path from 'path';
import { inspect } from 'util';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, ManifestRule, ManifestRuleContext, ModelRule, ModelRuleContext,
  PolicyPack, RuleViolation, Severity, Suppressions, Tier,
} from '../../src';
import { PolicyViolationError, ValidationError } from '../../src/errors';
import { evaluatePacks } from '../../src/policy/engine';
import { lineOf } from '../../src/policy/locate';
import { readTree, tmpdir } from '../util/tmp';

/** A manifest rule: ConfigMaps must carry an owner label. */
class OwnerLabelRule extends ManifestRule {
  constructor(opts: { unsuppressible?: boolean } = {}) {
    super({
      id: 'TEST-OwnerLabel',
      severity: Severity.ERROR,
      description: 'ConfigMaps carry an owner label',
      explanation: 'Owners are paged.',
      fix: 'Add metadata.labels.owner.',
      unsuppressible: opts.unsuppressible,
    });
  }
  evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    if (ctx.manifest.kind !== 'ConfigMap') return [];
    return ctx.manifest.metadata?.labels?.owner ? [] : [{ message: `ConfigMap "${ctx.manifest.metadata.name}" has no owner label`, jsonPointer: '/metadata/labels/owner' }];
  }
}

/** A test construct standing for a database, and a model rule over it (the data-protection plumbing). */
class FakeDatabase extends Construct {
  constructor(scope: Construct, id: string, public readonly backups: boolean) {
    super(scope, id);
    new ApiObject(this, 'Resource', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id.toLowerCase()}-db`, labels: { owner: 'dba' } } });
  }
}
class BackupRequiredRule extends ModelRule {
  constructor() {
    super({
      id: 'DATA-BackupRequired',
      severity: Severity.ERROR,
      description: 'Production databases are backed up',
      explanation: 'Data without backups is lost on the first bad migration.',
      fix: 'Configure backup.',
    });
  }
  evaluate(ctx: ModelRuleContext): RuleViolation[] {
    if (!(ctx.construct instanceof FakeDatabase) || ctx.environment?.tier !== Tier.PRODUCTION) return [];
    return ctx.construct.backups ? [] : [{ message: `database ${ctx.construct.node.id} has no backup in production` }];
  }
}

function pack(overrides: { unsuppressible?: boolean; severityOverrides?: any[] } = {}) {
  return new PolicyPack({
    id: 'test-pack',
    version: '1',
    manifestRules: [new OwnerLabelRule({ unsuppressible: overrides.unsuppressible })],
    modelRules: [new BackupRequiredRule()],
    severityOverrides: overrides.severityOverrides,
  });
}

function app(tier: Tier, dir = tmpdir()) {
  const a = new GitOpsApp({ outdir: dir });
  const chart = new EnvironmentChart(a, 'orders', { environment: new Environment({ name: tier === Tier.PRODUCTION ? 'prod' : 'dev', tier, namespace: 'orders' }) });
  return { app: a, chart, dir };
}

describe('policy engine', () => {
  test('a manifest rule finds the object, with file, line, construct path and resource', () => {
    const { app: a, chart } = app(Tier.PRODUCTION);
    new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } });
    Aspects.of(chart).add(pack(), { priority: AspectPriority.READONLY });
    const out = a.render();
    expect(out.findings).toEqual([{
      ruleId: 'TEST-OwnerLabel',
      packId: 'test-pack',
      severity: 'error',
      message: 'ConfigMap "cfg" has no owner label',
      resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'orders', name: 'cfg' },
      constructPath: 'orders/Cfg',
      file: 'rendered/prod/orders/ConfigMap.cfg.yaml',
      line: 4,
      jsonPointer: '/metadata/labels/owner',
      environment: 'prod',
      suppressed: false,
      suppressionReason: undefined,
    }]);
    // line 4 is the `labels:` key (the missing `owner` label's nearest parent)
    const text = out.files.find((f) => f.path === 'rendered/prod/orders/ConfigMap.cfg.yaml')!.content;
    expect(text.split('\n')[3]).toBe('  labels:');
  });

  test('gate: an unsuppressed error throws PolicyViolationError listing it and writes nothing', () => {
    const { app: a, chart, dir } = app(Tier.PRODUCTION);
    new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    new FakeDatabase(chart, 'Orders', false);
    Aspects.of(a).add(pack(), { priority: AspectPriority.READONLY });
    let error: unknown;
    try { a.synth(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as Error).message).toMatch(/2 unsuppressed error-level finding\(s\); nothing was written/);
    expect((error as Error).message).toMatch(/TEST-OwnerLabel ConfigMap orders\/cfg \(rendered\/prod\/orders\/ConfigMap.cfg.yaml:4, orders\/Cfg\)/);
    expect((error as Error).message).toMatch(/DATA-BackupRequired \(orders\/Orders\): database Orders has no backup in production/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('gate: one block per finding with its fix, and Node prints the message only (no dump of findings, no stack)', () => {
    const { app: a, chart } = app(Tier.PRODUCTION);
    new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    new FakeDatabase(chart, 'Orders', false);
    Aspects.of(a).add(pack(), { priority: AspectPriority.READONLY });
    let error: unknown;
    try { a.synth(); } catch (e) { error = e; }
    expect((error as Error).message).toMatch(/\n  TEST-OwnerLabel ConfigMap orders\/cfg \(.*\): .*\n    fix: Add metadata\.labels\.owner\.\n/);
    expect((error as Error).message).toMatch(/\n  DATA-BackupRequired \(orders\/Orders\): .*\n    fix: Configure backup\.\n/);
    expect((error as Error).message).toMatch(/\n  more: npx cdk8s-stateful explain <rule-id>$/);
    // what Node prints for it uncaught: the message and the app's line that called synth, no library frame, no findings dump
    const printed = inspect(error);
    expect(printed.startsWith(`PolicyViolationError: ${(error as Error).message}\n    at `)).toBe(true);
    expect(printed.split('\n').filter((l) => /^\s+at /.test(l))).toEqual([expect.stringContaining('engine.test.ts:')]);
    expect(printed).not.toMatch(/findings:|ruleId:/);
    expect((error as PolicyViolationError).findings.length).toBeGreaterThanOrEqual(2);
  });

  test('the previous output stays intact when the gate fails', () => {
    const dir = tmpdir();
    const first = app(Tier.PRODUCTION, dir);
    new ApiObject(first.chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { owner: 'me' } } });
    Aspects.of(first.app).add(pack(), { priority: AspectPriority.READONLY });
    first.app.synth();
    const before = readTree(dir);
    const second = app(Tier.PRODUCTION, dir);
    new ApiObject(second.chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Aspects.of(second.app).add(pack(), { priority: AspectPriority.READONLY });
    expect(() => second.app.synth()).toThrow(PolicyViolationError);
    expect(readTree(dir)).toEqual(before);
  });

  test('model rules run on constructs whatever they render, per tier', () => {
    const prod = app(Tier.PRODUCTION);
    new FakeDatabase(prod.chart, 'Orders', false);
    new FakeDatabase(prod.chart, 'Billing', true);
    Aspects.of(prod.app).add(pack(), { priority: AspectPriority.READONLY });
    expect(prod.app.render().findings.map((f) => `${f.ruleId}:${f.constructPath}`)).toEqual(['DATA-BackupRequired:orders/Orders']);
    const dev = app(Tier.DEVELOPMENT);
    new FakeDatabase(dev.chart, 'Orders', false);
    Aspects.of(dev.app).add(pack(), { priority: AspectPriority.READONLY });
    expect(dev.app.render().findings).toEqual([]);
  });

  test('severity is lowered or raised per tier', () => {
    const warnInDev = pack({ severityOverrides: [{ tier: Tier.DEVELOPMENT, maxSeverity: Severity.WARNING }] });
    const dev = app(Tier.DEVELOPMENT);
    new ApiObject(dev.chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Aspects.of(dev.app).add(warnInDev, { priority: AspectPriority.READONLY });
    const result = dev.app.synthesize();
    expect(result.findings.map((f) => f.severity)).toEqual(['warning']);

    const prod = app(Tier.PRODUCTION);
    new ApiObject(prod.chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Aspects.of(prod.app).add(warnInDev, { priority: AspectPriority.READONLY });
    expect(() => prod.app.synth()).toThrow(PolicyViolationError);

    const raised = pack({ severityOverrides: [{ ruleId: 'TEST-OwnerLabel', severity: Severity.INFO }, { tier: Tier.PRODUCTION, ruleId: 'TEST-OwnerLabel', severity: Severity.ERROR }] });
    const r = new OwnerLabelRule();
    expect(raised.severityOf(r, Tier.DEVELOPMENT)).toBe(Severity.INFO);
    expect(raised.severityOf(r, Tier.PRODUCTION)).toBe(Severity.ERROR);
  });

  test('a suppression with a reason suppresses, is recorded as an annotation and reported', () => {
    const { app: a, chart, dir } = app(Tier.PRODUCTION);
    const cfg = new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Suppressions.add(cfg, { ruleId: 'TEST-OwnerLabel', reason: 'shared config owned by the platform team' });
    Aspects.of(a).add(pack(), { priority: AspectPriority.READONLY });
    const result = a.synthesize();
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: 'TEST-OwnerLabel', suppressed: true, suppressionReason: 'shared config owned by the platform team' })]);
    const yaml = fs.readFileSync(path.join(dir, 'rendered/prod/orders/ConfigMap.cfg.yaml'), 'utf8');
    expect(yaml).toContain('policy.stateful.cdk8s.io/suppressions: \'[{"rule":"TEST-OwnerLabel","reason":"shared config owned by the platform team"}]\'');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, '.cdk8s-stateful/manifest.json'), 'utf8'));
    expect(manifest.environments[0].packs).toEqual(['test-pack@1']);
  });

  test('a suppression on a scope covers its children; one on another rule is reported unused', () => {
    const { app: a, chart } = app(Tier.PRODUCTION);
    const group = new Construct(chart, 'Group');
    new ApiObject(group, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Suppressions.add(group, { ruleId: 'TEST-OwnerLabel', reason: 'legacy configs, migrating in Q3' });
    Suppressions.add(group, { ruleId: 'PSS-RunAsNonRoot', reason: 'no pods here, kept by mistake' });
    Aspects.of(a).add(pack(), { priority: AspectPriority.READONLY });
    const out = a.render();
    expect(out.findings.map((f) => f.suppressed)).toEqual([true]);
    expect(out.unusedSuppressions).toEqual([{ ruleId: 'PSS-RunAsNonRoot', reason: 'no pods here, kept by mistake', constructPath: 'orders/Group', note: 'suppresses no finding' }]);
  });

  test('a suppression without children does not reach below its construct', () => {
    const { app: a, chart } = app(Tier.PRODUCTION);
    const group = new Construct(chart, 'Group');
    new ApiObject(group, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Suppressions.add(group, { ruleId: 'TEST-OwnerLabel', reason: 'only the group itself is waived', applyToChildren: false });
    Aspects.of(a).add(pack(), { priority: AspectPriority.READONLY });
    expect(a.render().findings.map((f) => f.suppressed)).toEqual([false]);
  });

  test('unsuppressible rules ignore suppressions, and the suppression is reported', () => {
    const { app: a, chart } = app(Tier.PRODUCTION);
    const cfg = new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Suppressions.add(cfg, { ruleId: 'TEST-OwnerLabel', reason: 'trying to waive a mandatory rule' });
    Aspects.of(a).add(pack({ unsuppressible: true }), { priority: AspectPriority.READONLY });
    const out = a.render();
    expect(out.findings.map((f) => f.suppressed)).toEqual([false]);
    expect(out.unusedSuppressions[0].note).toMatch(/unsuppressible/);
    expect(() => a.synth()).toThrow(PolicyViolationError);
  });

  test.each([
    [{ ruleId: 'TEST-OwnerLabel', reason: 'too short' }, /invalid reason "too short": a reason of at least 10 characters/],
    [{ ruleId: 'TEST-OwnerLabel', reason: '          x' }, /invalid reason/],
    [{ ruleId: 'owner-label', reason: 'a perfectly fine reason' }, /invalid ruleId "owner-label"/],
  ])('bad suppression %# is a ValidationError', (s, message) => {
    const { chart } = app(Tier.PRODUCTION);
    expect(() => Suppressions.add(chart, s)).toThrow(ValidationError);
    expect(() => Suppressions.add(chart, s)).toThrow(message);
  });

  test('a pack covers only the scope it was added to', () => {
    const a = new GitOpsApp({ outdir: tmpdir() });
    const one = new EnvironmentChart(a, 'one', { environment: new Environment({ name: 'one', tier: Tier.PRODUCTION }) });
    const two = new EnvironmentChart(a, 'two', { environment: new Environment({ name: 'two', tier: Tier.PRODUCTION }) });
    new ApiObject(one, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    new ApiObject(two, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    Aspects.of(one).add(pack(), { priority: AspectPriority.READONLY });
    const out = a.render();
    expect(out.findings.map((f) => f.environment)).toEqual(['one']);
    expect(out.packsByEnvironment).toEqual({ one: ['test-pack@1'], two: [] });
  });

  test('on plain YAML, model rules are reported as not evaluable, never as passed', () => {
    const result = evaluatePacks([pack()], [{ manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } }]);
    expect(result.findings.map((f) => f.ruleId)).toEqual(['TEST-OwnerLabel']);
    expect(result.notEvaluable).toEqual([{ ruleId: 'DATA-BackupRequired', packId: 'test-pack', reason: expect.stringMatching(/not evaluable on plain YAML/) }]);
  });

  test('rule and pack ids are checked', () => {
    class Bad extends ManifestRule {
      constructor() { super({ id: 'lowercase', severity: Severity.INFO, description: 'd', explanation: 'e', fix: 'f' }); }
      evaluate(): RuleViolation[] { return []; }
    }
    expect(() => new Bad()).toThrow(/<PACK>-<Name>/);
    expect(() => new PolicyPack({ id: 'Bad Id' })).toThrow(/pack id/);
    expect(() => new PolicyPack({ id: 'dup', manifestRules: [new OwnerLabelRule(), new OwnerLabelRule()] })).toThrow(/two rules with id TEST-OwnerLabel/);
  });

  test('lineOf finds nested fields and falls back to the nearest parent', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x\n    - name: b\n      image: y\n';
    expect(lineOf(text, '')).toBe(1);
    expect(lineOf(text, '/metadata/name')).toBe(4);
    expect(lineOf(text, '/spec/containers/1')).toBe(9);
    expect(lineOf(text, '/spec/containers/1/image')).toBe(10);
    expect(lineOf(text, '/spec/containers/1/securityContext/runAsNonRoot')).toBe(9);
  });
});

describe('policy reports at synthesis', () => {
  test('written outside the output, also when the gate fails, deterministic', () => {
    const reports = tmpdir();
    const withReports = (dir: string) => {
      const a = new GitOpsApp({ outdir: tmpdir(), reports: { directory: dir } });
      const chart = new EnvironmentChart(a, 'orders', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders' }) });
      new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
      Aspects.of(a).add(pack(), { priority: AspectPriority.READONLY });
      return a;
    };
    expect(() => withReports(reports).synth()).toThrow(PolicyViolationError);
    const first = readTree(reports);
    expect(Object.keys(first)).toEqual(['policy-report.json', 'policy-report.junit.xml', 'policy-report.md', 'policy-report.sarif', 'policy-report.txt']);
    expect(JSON.parse(first['policy-report.json']).findings[0]).toMatchObject({ ruleId: 'TEST-OwnerLabel', file: 'rendered/prod/orders/ConfigMap.cfg.yaml', line: 4 });
    expect(JSON.parse(first['policy-report.sarif']).runs[0].results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'rendered/prod/orders/ConfigMap.cfg.yaml' }, region: { startLine: 4 },
    });
    expect(() => withReports(reports).synth()).toThrow(PolicyViolationError);
    expect(readTree(reports)).toEqual(first);
  });

  test('a report directory inside the output is refused', () => {
    const out = tmpdir();
    expect(() => new GitOpsApp({ outdir: out, reports: { directory: path.join(out, 'reports') } })).toThrow(/reports.directory.*outside the GitOps output/);
  });
});
