import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import {
  Environment, ManifestRule, ManifestRuleContext, PolicyPack, PolicyPacks, RelatedObjects, RuleViolation, Severity, Tier,
} from '../../src';
import { CheckedObject, evaluatePacks } from '../../src/policy/engine';
import { DisruptionBudget } from '../../src/policy/packs/production-readiness/disruption-budget';
import { NetworkPolicyCoverage } from '../../src/policy/packs/production-readiness/network-policy';
import { expressionsMatch, isLongRunning, podLabels, replicasOf, selectorMatches } from '../../src/policy/packs/workloads';
import { redactSecrets } from '../../src/private/credentials';

// ---------------------------------------------------------------------------------------------
// The reference: the rules as they were before indexing (every object scanned for every workload),
// and every rule called for every object whatever its kind, on its own copy of the object (nothing
// shared between rules).
// ---------------------------------------------------------------------------------------------

/** PROD-NetworkPolicy before indexing (kept verbatim as the reference). */
class NaiveNetworkPolicyCoverage extends ManifestRule {
  public constructor(real: ManifestRule) {
    super({ id: real.id, severity: real.severity, description: real.description, explanation: real.explanation, fix: real.fix });
  }
  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (!isLongRunning(m)) return [];
    const labels = podLabels(m);
    const ns = m.metadata?.namespace;
    const covered = (ctx.related ?? []).some((o) => o?.kind === 'NetworkPolicy' && o.metadata?.namespace === ns
      && selectorMatches(o.spec?.podSelector ?? {}, labels));
    return covered ? [] : [{ message: `${m.kind} "${m.metadata?.name}": no NetworkPolicy selects its pods`, jsonPointer: '/spec/template/metadata/labels' }];
  }
}

/** PROD-PodDisruptionBudget before indexing (kept verbatim as the reference). */
class NaiveDisruptionBudget extends ManifestRule {
  public constructor(real: ManifestRule) {
    super({ id: real.id, severity: real.severity, description: real.description, explanation: real.explanation, fix: real.fix });
  }
  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const m = ctx.manifest;
    if (m.kind === 'DaemonSet' || replicasOf(m) < 2) return [];
    const labels = podLabels(m);
    const ns = m.metadata?.namespace;
    const covered = (ctx.related ?? []).some((o) => o?.kind === 'PodDisruptionBudget'
      && o.metadata?.namespace === ns && selectorMatches(o.spec?.selector, labels));
    return covered ? [] : [{ message: `${m.kind} "${m.metadata?.name}" has ${replicasOf(m)} replicas and no PodDisruptionBudget selecting its pods`, jsonPointer: '/spec/replicas' }];
  }
}

/** Any other rule, called for every object (no declared kinds, no index). */
class EveryKind extends ManifestRule {
  public constructor(private readonly real: ManifestRule) {
    super({
      id: real.id,
      severity: real.severity,
      description: real.description,
      explanation: real.explanation,
      fix: real.fix,
      unsuppressible: real.unsuppressible,
    });
  }
  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    // on a copy of the object of its own: facts the engine shares between rules (pod templates,
    // containers, found once per object) are found again for this rule alone, as before sharing
    return this.real.evaluate({ ...ctx, manifest: structuredClone(ctx.manifest), relatedIndex: undefined });
  }
}

function reference(pack: PolicyPack): PolicyPack {
  return new PolicyPack({
    id: pack.id,
    version: pack.version,
    modelRules: pack.modelRules,
    manifestRules: pack.manifestRules.map((r) => r instanceof NetworkPolicyCoverage ? new NaiveNetworkPolicyCoverage(r)
      : r instanceof DisruptionBudget ? new NaiveDisruptionBudget(r) : new EveryKind(r)),
    // the pack's own per-tier overrides (warn in development)
    severityOverrides: (pack as any).overrides,
  });
}

function same(objects: CheckedObject[]): void {
  const packs = PolicyPacks.all();
  const expected = evaluatePacks(packs.map(reference), objects).findings;
  const actual = evaluatePacks(packs, objects).findings;
  expect(actual).toEqual(expected);
}

// ---------------------------------------------------------------------------------------------
// Random fleets: workloads of every kind, NetworkPolicies, PDBs, Services and other objects over a
// few namespaces (or none) and labels, selectors with matchLabels and matchExpressions.
// ---------------------------------------------------------------------------------------------

const KEYS = ['app', 'tier', 'team'];
const VALUES = ['a', 'b', 'c'];
const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });
const expressionArb = fc.record({
  key: fc.constantFrom(...KEYS),
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Bogus'),
  values: fc.array(fc.constantFrom(...VALUES), { maxLength: 2 }),
});
const selectorArb = fc.oneof(
  fc.record({ matchLabels: labelsArb }),
  fc.record({ matchLabels: labelsArb, matchExpressions: fc.array(expressionArb, { maxLength: 2 }) }),
  fc.constant({}),
  fc.constant(undefined),
);
const namespaceArb = fc.option(fc.constantFrom('ns-a', 'ns-b', 'ns-c'), { nil: undefined });
const WORKLOADS: Array<[string, string]> = [
  ['Deployment', 'apps/v1'], ['StatefulSet', 'apps/v1'], ['DaemonSet', 'apps/v1'], ['ReplicaSet', 'apps/v1'],
  ['ReplicationController', 'v1'], ['Job', 'batch/v1'], ['CronJob', 'batch/v1'], ['Pod', 'v1'],
];

const workloadArb = fc.record({
  kind: fc.constantFrom(...WORKLOADS),
  name: fc.constantFrom('w1', 'w2', 'w3'),
  namespace: namespaceArb,
  labels: labelsArb,
  replicas: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  image: fc.constantFrom('ghcr.io/acme/api:1.2.3', 'nginx', 'nginx:latest'),
  probes: fc.boolean(),
  resources: fc.boolean(),
}).map(({ kind: [kind, apiVersion], name, namespace, labels, replicas, image, probes, resources }) => {
  const container: any = { name: 'c', image };
  if (probes) Object.assign(container, { readinessProbe: { tcpSocket: { port: 80 } }, livenessProbe: { tcpSocket: { port: 80 } } });
  if (resources) container.resources = { requests: { cpu: '10m', memory: '10Mi' }, limits: { memory: '10Mi' } };
  const pod = { metadata: { labels }, spec: { containers: [container] } };
  const metadata = { name, ...(namespace === undefined ? {} : { namespace }) };
  if (kind === 'Pod') return { apiVersion, kind, metadata, spec: pod.spec };
  if (kind === 'CronJob') return { apiVersion, kind, metadata, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: pod } } } };
  return { apiVersion, kind, metadata, spec: { ...(replicas === undefined ? {} : { replicas }), template: pod } };
});
const networkPolicyArb = fc.record({ namespace: namespaceArb, selector: selectorArb }).map(({ namespace, selector }) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'np', ...(namespace === undefined ? {} : { namespace }) },
  spec: selector === undefined ? {} : { podSelector: selector },
}));
const pdbArb = fc.record({ namespace: namespaceArb, selector: selectorArb }).map(({ namespace, selector }) => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'pdb', ...(namespace === undefined ? {} : { namespace }) },
  spec: { maxUnavailable: 1, ...(selector === undefined ? {} : { selector }) },
}));
const otherArb = fc.record({ kind: fc.constantFrom('Service', 'ConfigMap', 'Secret'), namespace: namespaceArb, labels: labelsArb })
  .map(({ kind, namespace, labels }) => ({
    apiVersion: 'v1',
    kind,
    metadata: { name: 'o', ...(namespace === undefined ? {} : { namespace }) },
    ...(kind === 'Service' ? { spec: { selector: labels } } : { data: { k: 'v' } }),
  }));

// operator resources whose images GITOPS-AllowedRegistries checks (named or the operator's default)
const operatorArb = fc.constantFrom(
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db', namespace: 'ns-a' }, spec: { instances: 1 } },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db2' }, spec: { imageName: 'ghcr.io/acme/pg:16' } },
  { apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster', metadata: { name: 'mq' }, spec: { image: 'docker.io/library/rabbitmq:4' } },
  { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'Kafka', metadata: { name: 'k' }, spec: { kafka: {} } },
);

const ENVIRONMENTS = [
  new Environment({ name: 'dev', tier: Tier.DEVELOPMENT }),
  new Environment({ name: 'prod', tier: Tier.PRODUCTION }),
  new Environment({ name: 'prod-eu', tier: Tier.PRODUCTION, allowedRegistries: ['ghcr.io/acme'] }),
];
const tierArb = fc.option(fc.constantFrom(Tier.DEVELOPMENT, Tier.STAGING, Tier.PRODUCTION), { nil: undefined });
const fleetArb = fc.array(fc.record({
  manifest: fc.oneof(workloadArb, workloadArb, networkPolicyArb, pdbArb, otherArb, operatorArb),
  environment: fc.option(fc.constantFrom(...ENVIRONMENTS), { nil: undefined }),
}), { maxLength: 40 });

describe('indexed production-readiness rules and kind-indexed evaluation', () => {
  test('give exactly the findings of the unindexed rules on random fleets', () => {
    fc.assert(fc.property(fleetArb, (fleet) => {
      same(fleet.map(({ manifest, environment }) => ({ manifest, environment })));
    }), { numRuns: 300 });
  });

  test('give exactly the findings of the unindexed rules on the reference platform (dist/rendered), with and without its NetworkPolicies and PDBs', () => {
    const root = path.join(__dirname, '..', '..', 'dist', 'rendered');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p); else if (e.name.endsWith('.yaml')) files.push(p);
      }
    };
    walk(root);
    const TIERS: Record<string, Tier> = { dev: Tier.DEVELOPMENT, staging: Tier.STAGING, prod: Tier.PRODUCTION };
    const objects: CheckedObject[] = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(f, 'utf8'))
      .map((d) => d.toJS()).filter((m) => m && typeof m === 'object')
      .map((manifest) => ({ manifest, tier: TIERS[path.relative(root, f).split(path.sep)[0]], file: path.relative(root, f) })));
    expect(objects.filter((o) => isLongRunning(o.manifest)).length).toBeGreaterThanOrEqual(5);
    same(objects);
    // production's NetworkPolicies and PDBs removed (every workload there has several policies, the
    // namespace a default-deny one): findings to compare, not only none; the other namespaces keep theirs
    const thinned = objects.filter((o) => !(['NetworkPolicy', 'PodDisruptionBudget'].includes(o.manifest.kind) && o.tier === Tier.PRODUCTION));
    const findings = evaluatePacks(PolicyPacks.all(), thinned).findings;
    expect(findings.some((f) => f.ruleId === 'PROD-NetworkPolicy')).toBe(true);
    expect(findings.some((f) => f.ruleId === 'PROD-PodDisruptionBudget')).toBe(true);
    same(thinned);
  });

  test('the engine gives the findings of a straightforward loop (every pack, object and rule of its kinds, one by one) on random fleets', () => {
    // the engine's per-object step is a function of its own: the reference is the loop written out, every
    // rule called with a context of its own (no shared facts, no index), findings compared as a set
    const redact = (m: string) => redactSecrets(m);
    const straightforward = (packs: PolicyPack[], objects: CheckedObject[]): string[] => {
      const out: string[] = [];
      for (const pack of packs) {
        for (const o of objects) {
          for (const rule of pack.manifestRules) {
            if (rule.kinds !== undefined && !rule.kinds.includes(o.manifest?.kind)) continue;
            const envName = o.environment?.name;
            const tier = o.tier ?? o.environment?.tier;
            const related = objects.filter((x) => (x.environment?.name ?? '') === (envName ?? '')).map((x) => x.manifest);
            for (const v of rule.evaluate({ manifest: o.manifest, environment: o.environment, tier, related })) {
              out.push(JSON.stringify([pack.id, rule.id, pack.severityOf(rule, tier), redact(v.message), v.jsonPointer ?? null, envName ?? null,
                o.manifest?.kind, o.manifest?.metadata?.name]));
            }
          }
        }
      }
      return out.sort();
    };
    // besides the built-in packs, a rule of one kind that reports every object it sees
    class EveryDeployment extends ManifestRule {
      constructor() {
        super({ id: 'TEST-EveryDeployment', severity: Severity.WARNING, description: 'd', explanation: 'e', fix: 'f', kinds: ['Deployment', 'Job'] });
      }
      evaluate(ctx: ManifestRuleContext): RuleViolation[] {
        return [{ message: `saw ${ctx.manifest.kind} ${ctx.manifest.metadata?.name}`, jsonPointer: '/metadata/name' }];
      }
    }
    fc.assert(fc.property(fleetArb, fc.array(tierArb, { minLength: 40, maxLength: 40 }), (fleet, tiers) => {
      const objects: CheckedObject[] = fleet.map(({ manifest, environment }, i) => ({ manifest, environment, tier: tiers[i] }));
      const packs = [...PolicyPacks.all(), new PolicyPack({ id: 'test', manifestRules: [new EveryDeployment()] })];
      const findings = evaluatePacks(packs, objects).findings.map((f) => JSON.stringify([
        f.packId, f.ruleId, f.severity, f.message, f.jsonPointer ?? null, f.environment ?? null, f.resource?.kind, f.resource?.name,
      ])).sort();
      expect(findings).toEqual(straightforward(packs, objects));
    }), { numRuns: 150 });
  });

  test('a rule that declares kinds is never called for another kind', () => {
    const seen: string[] = [];
    class DeploymentsOnly extends ManifestRule {
      constructor() {
        super({ id: 'TEST-DeploymentsOnly', severity: Severity.ERROR, description: 'd', explanation: 'e', fix: 'f', kinds: ['Deployment'] });
      }
      evaluate(ctx: ManifestRuleContext): RuleViolation[] {
        seen.push(ctx.manifest.kind);
        return [{ message: `saw ${ctx.manifest.metadata.name}` }];
      }
    }
    const pack = new PolicyPack({ id: 'test', manifestRules: [new DeploymentsOnly()] });
    const result = evaluatePacks([pack], [
      { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } } },
      { manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } } },
      { manifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } },
      { manifest: { kind: 42, metadata: { name: 'odd' } } },
    ]);
    expect(seen).toEqual(['Deployment']);
    expect(result.findings.map((f) => f.message)).toEqual(['saw web']);
  });

  test('every built-in rule that declares kinds finds nothing on any other kind', () => {
    const declared = PolicyPacks.all().flatMap((p) => p.manifestRules).filter((r) => r.kinds !== undefined);
    expect(declared.map((r) => r.id)).toEqual(expect.arrayContaining(['PROD-NetworkPolicy', 'PROD-PodDisruptionBudget', 'PROD-ImagePinned']));
    fc.assert(fc.property(fleetArb, fc.constantFrom(...declared), fc.constantFrom(...ENVIRONMENTS), (fleet, rule, environment) => {
      const related = fleet.map((o) => o.manifest);
      for (const manifest of related) {
        if (rule.kinds!.includes(manifest.kind)) continue;
        expect(rule.evaluate({ manifest, environment, tier: environment.tier, related })).toEqual([]);
      }
    }), { numRuns: 100 });
  });

  test('the rules look related objects up in relatedIndex when the engine provides it', () => {
    const labels = { app: 'web' };
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'a' }, spec: { replicas: 3, template: { metadata: { labels }, spec: { containers: [] } } } };
    const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'a' }, spec: { podSelector: { matchLabels: labels } } };
    const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb', namespace: 'a' }, spec: { selector: { matchLabels: labels } } };
    const relatedIndex = new RelatedObjects([deployment, np, pdb]);
    expect(new NetworkPolicyCoverage().evaluate({ manifest: deployment, relatedIndex })).toEqual([]);
    expect(new DisruptionBudget().evaluate({ manifest: deployment, relatedIndex })).toEqual([]);
    // in another namespace they cover nothing
    const other = { ...deployment, metadata: { name: 'web', namespace: 'b' } };
    expect(new NetworkPolicyCoverage().evaluate({ manifest: other, relatedIndex })).toHaveLength(1);
    expect(new DisruptionBudget().evaluate({ manifest: other, relatedIndex })).toHaveLength(1);
  });

  test('RelatedObjects: by kind and strict namespace, input order, one index per array', () => {
    const a1 = { kind: 'NetworkPolicy', metadata: { name: '1', namespace: 'a' } };
    const none = { kind: 'NetworkPolicy', metadata: { name: '2' } };
    const a2 = { kind: 'NetworkPolicy', metadata: { name: '3', namespace: 'a' } };
    const nan = { kind: 'NetworkPolicy', metadata: { name: '4', namespace: NaN } };
    const list = [a1, null, none, { kind: 'Service', metadata: { namespace: 'a' } }, a2, nan];
    const index = RelatedObjects.of(list);
    expect(RelatedObjects.of(list)).toBe(index);
    expect(index.inNamespace('NetworkPolicy', 'a')).toEqual([a1, a2]);
    expect(index.inNamespace('NetworkPolicy')).toEqual([none]);
    expect(index.inNamespace('NetworkPolicy', NaN)).toEqual([]);
    expect(index.inNamespace('PodDisruptionBudget', 'a')).toEqual([]);
    expect(index.ofKind('NetworkPolicy')).toEqual([a1, none, a2, nan]);
  });

  test('every built-in manifest rule declares its kinds, but those that read any object (names, namespaces, every value)', () => {
    const everyKind = [...new Set(PolicyPacks.all().flatMap((p) => p.manifestRules).filter((r) => r.kinds === undefined).map((r) => r.id))].sort();
    expect(everyKind).toEqual(['GITOPS-NamespaceScoped', 'GITOPS-NoDefaultNamespace', 'GITOPS-NoLiteralCredentials']);
  });

  test('a rule rejects kinds that are not a list of names', () => {
    class Bad extends ManifestRule {
      constructor() {
        super({ id: 'TEST-Bad', severity: Severity.ERROR, description: 'd', explanation: 'e', fix: 'f', kinds: [''] });
      }
      evaluate(): RuleViolation[] { return []; }
    }
    expect(() => new Bad()).toThrow(/kinds must be a list of object kinds/);
  });

  test('selectorMatches without Object.entries copies answers as the Object.entries version did, whatever matchLabels holds', () => {
    // the reference, kept verbatim from before the loop
    const entriesVersion = (selector: any, labels: Record<string, string>): boolean => {
      if (!selector || typeof selector !== 'object') return false;
      for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
      return expressionsMatch(selector.matchExpressions, labels);
    };
    const key = fc.constantFrom('a', 'b', '0', '1', 'length');
    const value = fc.constantFrom<unknown>('x', 'y', '', 1, null, undefined);
    const matchLabels = fc.oneof(
      fc.dictionary(key, value, { maxKeys: 3 }),
      fc.array(value, { maxLength: 3 }),
      fc.constantFrom<unknown>('xy', 'a', '', 0, 5, true, null, undefined),
    );
    const selector = fc.oneof(
      fc.record({ matchLabels, matchExpressions: fc.constantFrom<unknown>(undefined, [], [{ key: 'a', operator: 'Exists' }]) }, { requiredKeys: [] }),
      fc.constantFrom<unknown>(null, undefined, 'a', 0, []),
    );
    const labels = fc.dictionary(key, fc.constantFrom('x', 'y', ''), { maxKeys: 4 });
    fc.assert(fc.property(selector, labels, (sel, l) => {
      expect(selectorMatches(sel, l)).toBe(entriesVersion(sel, l));
    }), { numRuns: 2000 });
    // a string's characters are entries of Object.entries: still read as labels "0", "1"...
    expect(selectorMatches({ matchLabels: 'xy' }, { 0: 'x', 1: 'y' })).toBe(true);
    expect(selectorMatches({ matchLabels: ['x'] }, { 0: 'y' })).toBe(false);
  });
});
