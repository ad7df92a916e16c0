import { parse } from 'yaml';
import { cli, expectUsageError } from './helpers';
import { Environment, EnvironmentChart, GitOpsApp, ReclaimPolicy, StorageProfile, Tier } from '../../src';
import { exampleFor, MODEL_EXAMPLES } from '../../src/cli/rule-examples';
import { ruleCatalog } from '../../src/cli/rules';
import { closest } from '../../src/cli/suggest';
import { CHANGE_RULES } from '../../src/gitops/change-safety/rules';
import { PolicyPacks } from '../../src/policy/packs/policy-packs';
import { ManifestRule, ModelRule } from '../../src/policy/rule';

describe('cdk8s-stateful rules', () => {
  test('lists every rule of every built-in pack once, with its packs, severity and description', () => {
    const r = cli(['rules', '--format', 'json']);
    expect(r.code).toBe(0);
    const { rules } = JSON.parse(r.stdout);
    const expected = new Set([
      ...PolicyPacks.builtInIds().flatMap((id) => PolicyPacks.byId(id).rules.map((rule) => rule.id)),
      ...CHANGE_RULES.map((c) => c.id),
    ]);
    expect(rules.map((x: any) => x.id).sort()).toEqual([...expected].sort());
    expect(rules.find((x: any) => x.id === 'PSS-HostNamespaces')).toMatchObject({
      packs: ['pod-security-baseline', 'pod-security-restricted'], severity: 'error', kind: 'manifest',
    });
    expect(rules.find((x: any) => x.id === 'PSS-RunAsNonRoot').packs).toEqual(['pod-security-restricted']);
    expect(rules.find((x: any) => x.id === 'PROD-ReadinessProbe')).toMatchObject({ severityByTier: { development: 'warning' } });
    expect(rules.find((x: any) => x.id === 'GITOPS-NoSecretData')).toMatchObject({ unsuppressible: true });
    expect(rules.find((x: any) => x.id === 'DATA-EncryptedStorage')).toMatchObject({ kind: 'model', packs: ['data-protection'] });
    // every rule id a synthesis can emit, change safety included
    expect(rules.find((x: any) => x.id === 'CHANGE-DataObjectRenamed')).toMatchObject({
      kind: 'change', packs: ['change-safety'], severity: 'error', severityByTier: { development: 'warning', staging: 'warning' },
    });
    for (const rule of rules) {
      expect(rule.description).not.toBe('');
      expect(rule.explanation).not.toBe('');
    }
  });

  test('text (one row per rule, a summary), markdown (a README table) and --pack', () => {
    const text = cli(['rules']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^RULE +SEVERITY +DESCRIPTION$/m);
    expect(text.stdout).toMatch(/^PSS-RunAsNonRoot +error +The pod or every container must set/m);
    expect(text.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ rules in 6 packs \(\d+ model, \d+ manifest, 23 change safety\)\. Details: cdk8s-stateful explain <rule-id>$/);
    const md = cli(['rules', '--format', 'markdown', '--pack', 'gitops-hygiene']);
    expect(md.stdout.split('\n').slice(0, 3)).toEqual([
      '| rule | pack | severity | checks |',
      '|---|---|---|---|',
      expect.stringMatching(/^\| `GITOPS-NamespaceScoped` \| gitops-hygiene \| error \| .* \|$/),
    ]);
    expect(md.stdout).not.toMatch(/PSS-/);
    expect(cli(['rules', '--pack', 'change-safety']).stdout).toMatch(/^CHANGE-DataObjectRenamed +error +A data-bearing object was renamed .*\(change-safety rule\)$/m);
    expect(cli(['rules', '-q']).stdout).toMatch(/^\d+ rules in 6 packs \(\d+ model, \d+ manifest, 23 change safety\)\.\n$/);
  });

  test.each([
    [['rules', '--format', 'yaml'], /unknown --format "yaml": one of text, json, markdown/],
    [['rules', '--pack', 'pod-security'], /unknown --pack "pod-security": did you mean pod-security-baseline\?/],
    [['rules', 'extra'], /too many arguments/],
  ])('bad usage %j exits 2 with one line', (args, message) => {
    expectUsageError(cli(args as string[]), message);
  });
});

describe('cdk8s-stateful explain', () => {
  test('description, why, how to fix, pack, severity and an example violation', () => {
    const r = cli(['explain', 'PSS-RunAsNonRoot']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PSS-RunAsNonRoot: The pod or every container must set securityContext\.runAsNonRoot=true\./);
    expect(r.stdout).toMatch(/^ {2}pack: +pod-security-restricted$/m);
    expect(r.stdout).toMatch(/^ {2}severity: +error$/m);
    expect(r.stdout).toMatch(/^Why\n {2}A process running as root/m);
    expect(r.stdout).toMatch(/^How to fix\n {2}Set spec\.securityContext\.runAsNonRoot: true/m);
    expect(r.stdout).toMatch(/^Example violation\n {2}apiVersion: v1\n {2}kind: Pod\n {2}spec:\n {4}securityContext:\n {6}runAsNonRoot: false\n {2}=> PSS-RunAsNonRoot: /m);
    // case-insensitive, and the upstream Pod Security check id works too
    expect(cli(['explain', 'pss-runasnonroot']).stdout).toBe(r.stdout);
    expect(cli(['explain', 'runAsNonRoot']).stdout).toBe(r.stdout);
  });

  test('change-safety rules are explained (how to approve, how to fix)', () => {
    const r = cli(['explain', 'CHANGE-DataObjectRenamed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CHANGE-DataObjectRenamed: A data-bearing object was renamed/);
    expect(r.stdout).toMatch(/^ {2}severity: +error \(warning in development, warning in staging\)$/m);
    expect(r.stdout).toMatch(/^ {2}suppressible: +yes, approve the change in code: ChangeApprovals\.approve/m);
    expect(r.stdout).toMatch(/^How to fix\n {2}Keep the old name/m);
    expect(cli(['explain', 'change-storageshrink']).code).toBe(0);
  });

  test('per-tier severities, unsuppressible rules and model rules are explained', () => {
    expect(cli(['explain', 'PROD-PodDisruptionBudget']).stdout).toMatch(/severity: +error \(warning in development\)/);
    expect(cli(['explain', 'GITOPS-NoSecretData']).stdout).toMatch(/suppressible: +no/);
    const model = cli(['explain', 'DATA-RetainOnDelete']);
    expect(model.stdout).toMatch(/checks: +the construct model, at synthesis/);
    expect(model.stdout).toMatch(/Example violation \(app code\)\n {2}const prod = new Environment/);
    const j = JSON.parse(cli(['explain', 'PROD-ImagePinned', '--format', 'json']).stdout);
    expect(j).toMatchObject({ id: 'PROD-ImagePinned', packs: ['production-readiness'], kind: 'manifest', example: { language: 'yaml' } });
    expect(cli(['explain', 'PROD-ImagePinned', '-q']).stdout).toBe('PROD-ImagePinned (error (warning in development), production-readiness): '
      + 'Images are pinned by a version tag or a digest\n');
  });

  test('every manifest rule has an example that the rule itself flags', () => {
    for (const entry of ruleCatalog().filter((r) => r.kind === 'manifest')) {
      const example = exampleFor(entry.rule!);
      expect({ id: entry.id, example: example !== undefined }).toEqual({ id: entry.id, example: true });
      expect(example!.message).toBeDefined();
      // the snippet is YAML (comments included)
      expect(() => parse(example!.snippet)).not.toThrow();
      expect(entry.rule).toBeInstanceOf(ManifestRule);
    }
  });

  test('the model-rule examples violate their rule', () => {
    const build = (profile: StorageProfile) => {
      const app = new GitOpsApp({ outdir: '/nonexistent' });
      const prod = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', storageProfile: profile });
      return { chart: new EnvironmentChart(app, 'orders-prod', { environment: prod }), prod };
    };
    const apps: Record<string, StorageProfile> = {
      'DATA-EncryptedStorage': StorageProfile.existing('standard'),
      'DATA-RetainOnDelete': StorageProfile.existing('fast', { encrypted: true, replicas: 2, reclaimPolicy: ReclaimPolicy.DELETE }),
      'DATA-ReplicatedStorage': StorageProfile.awsEbs({ name: 'gp3-encrypted', encryption: true }),
    };
    for (const [id, profile] of Object.entries(apps)) {
      expect(MODEL_EXAMPLES[id]).toBeDefined();
      const rule = ruleCatalog().find((r) => r.id === id)!.rule as ModelRule;
      const { chart, prod } = build(profile);
      expect({ id, violations: rule.evaluate({ construct: chart, environment: prod }).length }).toEqual({ id, violations: 1 });
    }
  });

  test('unknown rule: exit 2 with a "did you mean" hint', () => {
    expectUsageError(cli(['explain', 'PSS-RunAsNonRot']), /unknown rule "PSS-RunAsNonRot": did you mean PSS-RunAsNonRoot\? \(cdk8s-stateful rules lists every rule\)$/m);
    expectUsageError(cli(['explain', 'ImagePinned']), /did you mean PROD-ImagePinned\?/);
    expectUsageError(cli(['explain', 'zzzzzzzzzzzz']), /unknown rule "zzzzzzzzzzzz" \(cdk8s-stateful rules lists every rule\)$/m);
    expectUsageError(cli(['explain']), /missing required argument 'rule-id'/);
    expectUsageError(cli(['explain', 'PROD-ImagePinned', '--format', 'html']), /unknown --format "html"/);
  });

  test('closest() prefers containment, then small edit distances', () => {
    const ids = ['PSS-RunAsNonRoot', 'PSS-RunAsUser', 'PROD-ImagePinned'];
    expect(closest('runasuser', ids)).toBe('PSS-RunAsUser');
    expect(closest('PSS-RunAsNonRoo', ids)).toBe('PSS-RunAsNonRoot');
    expect(closest('PROD-ImagePined', ids)).toBe('PROD-ImagePinned');
    expect(closest('completely-different', ids)).toBeUndefined();
  });
});
