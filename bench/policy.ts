/**
 * Policy evaluation benchmark: every built-in pack over ~10k generated objects, against the cost of
 * rendering the same objects to YAML (measured in the same run).
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json bench/policy.ts [--json] [--objects 10000] [--reps 3]
 */
import { parseArgs } from 'util';
import { Environment, PolicyPacks, Tier } from '../src';
import { CheckedObject, evaluatePacks } from '../src/policy/engine';
import { toYaml } from '../src/private/canonical';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    objects: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '3' },
  },
});
const target = Number(values.objects);
const reps = Number(values.reps);

function workload(i: number): any[] {
  const labels = { 'app.kubernetes.io/name': `svc-${i}` };
  const ns = `team-${i % 40}`;
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
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
            containers: [{
              name: 'app',
              image: `ghcr.io/acme/svc-${i}:1.0.${i}`,
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              readinessProbe: { tcpSocket: { port: 8080 } },
              livenessProbe: { tcpSocket: { port: 8080 } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: ns }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: `svc-${i}`, namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `svc-${i}`, namespace: ns }, spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `svc-${i}`, namespace: ns }, data: { mode: 'fast' } },
  ];
}

const manifests: any[] = [];
for (let i = 0; manifests.length < target; i++) manifests.push(...workload(i));
manifests.length = target;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

// environments of 40 teams, as a GitOpsApp would have them (rules relating objects look within one)
const envs = Array.from({ length: 40 }, (_, t) => new Environment({ name: `team-${t}`, tier: Tier.PRODUCTION, namespace: `team-${t}`, allowedRegistries: ['ghcr.io/acme'] }));
const texts: string[] = [];
const renderMs = median(Array.from({ length: reps }, () => time(() => { texts.length = 0; for (const m of manifests) texts.push(toYaml(m)); })));
const objects: CheckedObject[] = manifests.map((manifest, i) => {
  const env = envs[Number(manifest.metadata.namespace.slice(5))];
  return { manifest, text: texts[i], file: `rendered/${env.name}/${manifest.kind}.${manifest.metadata.name}.yaml`, environment: env, tier: env.tier };
});
let findings = -1;
const policyMs = median(Array.from({ length: reps }, () => time(() => { findings = evaluatePacks(PolicyPacks.all(), objects).findings.length; })));

const result = {
  objects: manifests.length,
  reps,
  findings,
  renderYamlMs: renderMs,
  policyMs,
  policyMicrosecondsPerObject: (policyMs * 1000) / manifests.length,
  policyToRenderRatio: policyMs / renderMs,
};
if (values.json) {console.log(JSON.stringify(result));} else {
  console.log(`${result.objects} objects, every built-in pack (${findings} findings), median of ${reps}:`);
  console.log(`  render to YAML: ${renderMs.toFixed(0)} ms; policy evaluation: ${policyMs.toFixed(0)} ms`);
  console.log(`  policy: ${result.policyMicrosecondsPerObject.toFixed(1)} µs/object; policy / render = ${result.policyToRenderRatio.toFixed(2)}`);
}
