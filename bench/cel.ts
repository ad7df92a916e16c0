/**
 * CEL policy evaluation against Kyverno ClusterPolicy pattern evaluation of the same checks: the
 * built-in production-readiness and GitOps hygiene rules exported both as ClusterPolicies
 * (pattern / deny / foreach, evaluated by the Kyverno engine here) and as ValidatingPolicies
 * (CEL, evaluated by the CEL evaluator), and the restricted Pod Security pack as a ClusterPolicy
 * `validate.podSecurity` rule against its CEL form. Cost per object per policy, ratio CEL / pattern,
 * at several sizes, medians of repetitions. Run by `npm run bench` (after the synthesis table), or:
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json bench/cel.ts [--json] [--sizes 100,1000,5000] [--reps 3]
 */
import { parseArgs } from 'util';
import { PolicyPacks } from '../src';
import { CelPolicyExport } from '../src/policy/cel/export';
import { evaluateCelPolicy, loadCelPolicy } from '../src/policy/cel/policies';
import { evaluatePolicy } from '../src/policy/kyverno/engine';
import { KyvernoExport } from '../src/policy/kyverno/export';
import { loadPolicy } from '../src/policy/kyverno/model';

/** A workload with its companions; every 5th service breaks a few rules so failures are measured too. */
function workload(i: number): any[] {
  const labels = { 'app.kubernetes.io/name': `svc-${i}` };
  const ns = `team-${i % 40}`;
  const bad = i % 5 === 0;
  return [
    {
      apiVersion: 'apps/v1',
      kind: i % 2 ? 'Deployment' : 'StatefulSet',
      metadata: { name: `svc-${i}`, namespace: ns, labels },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            ...(bad ? {} : { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }] }),
            containers: [{
              name: 'app',
              image: bad ? 'ghcr.io/acme/app:latest' : `ghcr.io/acme/svc-${i}:1.0.${i}`,
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              readinessProbe: { tcpSocket: { port: 8080 } },
              livenessProbe: { tcpSocket: { port: 8080 } },
              env: bad ? [{ name: 'DB_PASSWORD', value: 'x' }] : [{ name: 'MODE', value: 'fast' }],
              securityContext: { allowPrivilegeEscalation: bad, capabilities: { drop: ['ALL'] } },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: ns }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: `svc-${i}`, namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `svc-${i}`, namespace: ns }, data: { mode: 'fast' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `svc-${i}`, namespace: ns }, ...(bad ? { stringData: { token: 'x' } } : {}) },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** One comparison: the same checks as ClusterPolicies and as ValidatingPolicies. */
interface Suite {
  readonly name: string;
  readonly clusterPolicies: ReturnType<typeof loadPolicy>[];
  readonly celPolicies: ReturnType<typeof loadCelPolicy>[];
}

function suites(): Suite[] {
  const general = ['production-readiness', 'gitops-hygiene'].map((id) => PolicyPacks.byId(id));
  const pss = [PolicyPacks.byId('pod-security-restricted', { podSecurityVersion: '1.28' })];
  const suite = (name: string, packs: typeof general): Suite => {
    const kyverno = KyvernoExport.fromPacks(packs);
    const cel = CelPolicyExport.fromPacks(packs);
    // only the rules both exports carry
    const both = new Set(cel.exported.map((e) => e.ruleId).filter((id) => kyverno.exported.some((k) => k.ruleId === id)));
    return {
      name,
      clusterPolicies: kyverno.policies.filter((p) => String(p.metadata.annotations['policy.stateful.cdk8s.io/rules']).split(',').some((id) => both.has(id))).map((p) => loadPolicy(p)),
      celPolicies: cel.validatingPolicies.filter((p) => String(p.metadata.annotations['policy.stateful.cdk8s.io/rules']).split(',').some((id) => both.has(id))).map((p) => loadCelPolicy(p)),
    };
  };
  return [suite('production readiness + GitOps hygiene (pattern / deny / foreach)', general), suite('Pod Security restricted (podSecurity)', pss)];
}

export interface CelBenchRow {
  readonly suite: string;
  readonly objects: number;
  readonly policies: number;
  /** µs per object per policy. */
  readonly patternMicros: number;
  readonly celMicros: number;
  readonly ratio: number;
  readonly patternFailures: number;
  readonly celFailures: number;
}

/** Runs the comparison at each size (objects). */
export function celBench(sizes: number[], reps: number): CelBenchRow[] {
  const rows: CelBenchRow[] = [];
  for (const s of suites()) {
    for (const size of sizes) {
      const objects: any[] = [];
      for (let i = 0; objects.length < size; i++) objects.push(...workload(i));
      objects.length = size;
      let patternFailures = 0;
      let celFailures = 0;
      const patternMs = median(Array.from({ length: reps }, () => time(() => {
        patternFailures = 0;
        for (const o of objects) for (const p of s.clusterPolicies) patternFailures += evaluatePolicy(p, o).filter((r) => r.status === 'fail').length > 0 ? 1 : 0;
      })));
      const celMs = median(Array.from({ length: reps }, () => time(() => {
        celFailures = 0;
        for (const o of objects) for (const p of s.celPolicies) celFailures += evaluateCelPolicy(p, o).filter((r) => r.status === 'fail').length > 0 ? 1 : 0;
      })));
      rows.push({
        suite: s.name,
        objects: size,
        policies: s.celPolicies.length,
        patternMicros: (patternMs * 1000) / size / s.clusterPolicies.length,
        celMicros: (celMs * 1000) / size / s.celPolicies.length,
        ratio: (celMs / s.celPolicies.length) / (patternMs / s.clusterPolicies.length),
        patternFailures,
        celFailures,
      });
    }
  }
  return rows;
}

/** The table `npm run bench` prints. */
export function printCelBench(rows: CelBenchRow[], reps: number): void {
  console.log(`\nCEL (ValidatingPolicy) vs Kyverno ClusterPolicy evaluation of the same exported checks, µs per object per policy, medians of ${reps}:`);
  console.log('suite                                                             objects policies | pattern µs   CEL µs | CEL/pattern | failing (pattern, CEL)');
  for (const r of rows) {
    console.log(`${r.suite.padEnd(65)} ${String(r.objects).padStart(7)} ${String(r.policies).padStart(8)} | ${r.patternMicros.toFixed(2).padStart(10)} ${r.celMicros.toFixed(2).padStart(8)} `
      + `| ${r.ratio.toFixed(2).padStart(11)} | ${r.patternFailures}, ${r.celFailures}`);
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '100,1000,5000' },
      reps: { type: 'string', default: '3' },
    },
  });
  const sizes = values.sizes!.split(',').map(Number);
  const reps = Number(values.reps);
  const rows = celBench(sizes, reps);
  if (values.json) console.log(JSON.stringify(rows));
  else printCelBench(rows, reps);
}
