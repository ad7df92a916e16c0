import { stringify } from 'yaml';
import { Tier } from '../environment/tier';
import { PolicyPack } from '../policy/pack';
import { PolicyPacks } from '../policy/packs/policy-packs';
import { ManifestRule, ManifestRuleContext, Rule } from '../policy/rule';

/**
 * Examples of violations for `cdk8s-stateful explain`.
 *
 * Manifest rules get theirs generically: a compliant Pod and a compliant production Deployment
 * (with the PodDisruptionBudget and NetworkPolicy that cover it), and a list of small changes to
 * them. For each rule, the example is the change that the rule itself flags while breaking the
 * fewest other rules, so every example shown is checked by the rule it illustrates. Model rules
 * (the construct tree) get a code snippet.
 */

const POD: any = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app', namespace: 'shop', labels: { app: 'app' } },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'app',
      image: 'ghcr.io/acme/app:1.4.2',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    }],
  },
};

const DEPLOYMENT: any = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app', namespace: 'shop' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'app' } },
    template: {
      metadata: { labels: { app: 'app' } },
      spec: {
        ...POD.spec,
        containers: [{
          ...POD.spec.containers[0],
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, failureThreshold: 6 },
        }],
        topologySpreadConstraints: [{
          maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'app' } },
        }],
      },
    },
  },
};

const PDB = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'app', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'app' } } } };
const NETPOL = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'app', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'app' } }, policyTypes: ['Ingress'] },
};
const COMPANIONS = [PDB, NETPOL];

/** The environment the examples are evaluated in (for rules that read it). */
const ENVIRONMENT: any = { name: 'prod', tier: Tier.PRODUCTION, allowedRegistries: ['ghcr.io/acme'] };

interface Candidate {
  /** What the base is changed into: merged into the base (arrays by index, null removes a key), or a whole object. */
  readonly base: 'pod' | 'deployment' | 'object';
  readonly patch: any;
  /** Shown as a comment above the snippet. */
  readonly note?: string;
  /** Objects next to it (default: the PodDisruptionBudget and NetworkPolicy covering the Deployment). */
  readonly companions?: any[];
  readonly tier?: Tier;
  readonly file?: string;
}

const container = (fields: any) => ({ spec: { containers: [{ name: 'app', ...fields }] } });
const podSecurity = (fields: any) => ({ spec: { securityContext: fields } });
const template = (patch: any) => ({ spec: { template: patch } });

const CANDIDATES: readonly Candidate[] = [
  // Pod Security Standards, on a Pod
  { base: 'pod', patch: { spec: { hostNetwork: true } } },
  { base: 'pod', patch: container({ securityContext: { privileged: true } }) },
  { base: 'pod', patch: container({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }) },
  { base: 'pod', patch: container({ securityContext: { capabilities: { drop: null } } }) },
  { base: 'pod', patch: { spec: { volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }] } } },
  { base: 'pod', patch: { spec: { volumes: [{ name: 'share', nfs: { server: 'nfs.example.com', path: '/exports' } }] } } },
  { base: 'pod', patch: container({ ports: [{ containerPort: 8080, hostPort: 8080 }] }) },
  { base: 'pod', patch: podSecurity({ appArmorProfile: { type: 'Unconfined' } }) },
  { base: 'pod', patch: podSecurity({ seLinuxOptions: { type: 'spc_t' } }) },
  { base: 'pod', patch: container({ securityContext: { procMount: 'Unmasked' } }) },
  { base: 'pod', patch: podSecurity({ seccompProfile: { type: 'Unconfined' } }) },
  { base: 'pod', patch: podSecurity({ seccompProfile: null }) },
  { base: 'pod', patch: podSecurity({ sysctls: [{ name: 'kernel.msgmax', value: '65536' }] }) },
  { base: 'pod', patch: podSecurity({ windowsOptions: { hostProcess: true } }) },
  { base: 'pod', patch: container({ readinessProbe: { httpGet: { host: '10.0.0.1', path: '/ready', port: 8080 } } }) },
  { base: 'pod', patch: container({ securityContext: { allowPrivilegeEscalation: true } }) },
  { base: 'pod', patch: podSecurity({ runAsNonRoot: false }) },
  { base: 'pod', patch: podSecurity({ runAsUser: 0 }) },
  // production readiness, on a production Deployment
  { base: 'pod', patch: container({ resources: { requests: null } }) },
  { base: 'pod', patch: container({ resources: { limits: null } }) },
  { base: 'pod', patch: container({ image: 'ghcr.io/acme/app:latest' }) },
  { base: 'deployment', patch: template({ spec: { containers: [{ name: 'app', readinessProbe: null }] } }) },
  { base: 'deployment', patch: template({ spec: { containers: [{ name: 'app', livenessProbe: null }] } }) },
  { base: 'deployment', patch: { spec: { replicas: 3 } }, companions: [NETPOL], note: 'no PodDisruptionBudget in the namespace selects these pods' },
  {
    base: 'deployment',
    patch: { spec: { template: { metadata: { labels: { app: 'app' } } } } },
    companions: [PDB],
    note: 'no NetworkPolicy in the namespace selects these pods',
  },
  { base: 'deployment', patch: template({ spec: { topologySpreadConstraints: null } }) },
  { base: 'deployment', patch: { spec: { replicas: 1 } }, companions: [], note: 'in a production environment' },
  // GitOps hygiene
  {
    base: 'object',
    patch: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' }, rules: [] },
    file: 'rendered/prod/_cluster/ClusterRole.reader.yaml',
    note: 'in an application layer (rendered/prod/)',
  },
  { base: 'pod', patch: { metadata: { namespace: 'default' } } },
  { base: 'pod', patch: container({ image: 'docker.io/library/nginx:1.27' }), note: 'the environment allows only ghcr.io/acme' },
  { base: 'object', patch: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, data: { password: 'aHVudGVyMg==' } } },
  { base: 'pod', patch: container({ env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }) },
];

/** Deep merge: objects key by key, arrays element by element, `null` removes the key. */
function merge(base: any, patch: any): any {
  if (patch === undefined) return base;
  if (Array.isArray(patch)) {
    const out = Array.isArray(base) ? [...base] : [];
    patch.forEach((p, i) => { out[i] = merge(out[i], p); });
    return out;
  }
  if (patch !== null && typeof patch === 'object') {
    const out: any = base !== null && typeof base === 'object' && !Array.isArray(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = merge(out[k], v);
    }
    return out;
  }
  return patch;
}

function manifestOf(c: Candidate): any {
  switch (c.base) {
    case 'pod': return merge(POD, c.patch);
    case 'deployment': return merge(DEPLOYMENT, c.patch);
    default: return c.patch;
  }
}

function contextOf(c: Candidate): ManifestRuleContext {
  const manifest = manifestOf(c);
  return {
    manifest,
    environment: ENVIRONMENT,
    tier: c.tier ?? Tier.PRODUCTION,
    file: c.file ?? `rendered/prod/${manifest.metadata?.namespace ?? '_cluster'}/${manifest.kind}.${manifest.metadata?.name}.yaml`,
    related: [manifest, ...(c.base === 'deployment' ? c.companions ?? COMPANIONS : [])],
  };
}

/** The snippet shown: the change, on the kind it applies to. */
function snippetOf(c: Candidate): string {
  const shown = c.base === 'object' ? c.patch : { apiVersion: (c.base === 'pod' ? POD : DEPLOYMENT).apiVersion, kind: c.base === 'pod' ? 'Pod' : 'Deployment', ...c.patch };
  const yaml = stringify(shown, { lineWidth: 0 })
    .replace(/^(\s*)(- )?([^\s:#][^:]*): null$/gm, (_m, indent: string, dash: string | undefined, key: string) => `${indent}${dash ?? ''}# ${key}: not set`);
  return (c.note ? `# ${c.note}\n` : '') + yaml;
}

/** Every built-in pack once per Pod Security version worth trying (some checks exist only in some versions). */
let rulePool: Array<{ pack: PolicyPack; rule: ManifestRule }> | undefined;
function pool(): Array<{ pack: PolicyPack; rule: ManifestRule }> {
  if (!rulePool) {
    rulePool = [];
    for (const version of ['latest', '1.25', '1.18']) {
      for (const id of PolicyPacks.builtInIds()) {
        const pack = PolicyPacks.byId(id, { podSecurityVersion: version });
        for (const rule of pack.manifestRules) rulePool.push({ pack, rule });
      }
    }
  }
  return rulePool;
}

let violationsByCandidate: Array<Set<string>> | undefined;
function violated(): Array<Set<string>> {
  if (!violationsByCandidate) {
    violationsByCandidate = CANDIDATES.map((c) => {
      const ctx = contextOf(c);
      const ids = new Set<string>();
      for (const { rule } of pool()) if (!ids.has(rule.id) && rule.evaluate(ctx).length > 0) ids.add(rule.id);
      return ids;
    });
  }
  return violationsByCandidate;
}

export interface RuleExample {
  /** YAML (manifest rules) or TypeScript (model rules). */
  readonly language: 'yaml' | 'typescript';
  readonly snippet: string;
  /** What the rule reports on it (manifest rules). */
  readonly message?: string;
}

/** An example of a violation of `rule`, or undefined when none is known. */
export function exampleFor(rule: Rule): RuleExample | undefined {
  if (rule instanceof ManifestRule) {
    const instances = pool().filter((p) => p.rule.id === rule.id).map((p) => p.rule);
    if (instances.length === 0) instances.push(rule);
    const all = violated();
    let best: { candidate: Candidate; message: string; others: number } | undefined;
    CANDIDATES.forEach((c, i) => {
      for (const instance of instances) {
        const [v] = instance.evaluate(contextOf(c));
        if (!v) continue;
        const others = all[i].size - (all[i].has(rule.id) ? 1 : 0);
        if (!best || others < best.others) best = { candidate: c, message: v.message, others };
        break;
      }
    });
    return best ? { language: 'yaml', snippet: snippetOf(best.candidate), message: best.message } : undefined;
  }
  const snippet = MODEL_EXAMPLES[rule.id];
  return snippet ? { language: 'typescript', snippet } : undefined;
}

const PROD_ENV = (comment: string, storage: string) => `const prod = new Environment({
  name: 'prod',
  tier: Tier.PRODUCTION,
  namespace: 'orders',
  // ${comment}
  storageProfile: ${storage},
});
new EnvironmentChart(app, 'orders-prod', { environment: prod });
`;

/** Model rules: what a violating app looks like (the test builds each one and runs the rule on it). */
export const MODEL_EXAMPLES: Record<string, string> = {
  'DATA-EncryptedStorage': PROD_ENV('a class managed elsewhere, not declared encrypted', 'StorageProfile.existing(\'standard\')'),
  'DATA-RetainOnDelete': PROD_ENV('volumes deleted with their claims',
    'StorageProfile.existing(\'fast\', { encrypted: true, replicas: 2, reclaimPolicy: ReclaimPolicy.DELETE })'),
  'DATA-ReplicatedStorage': PROD_ENV('EBS keeps one copy per volume', 'StorageProfile.awsEbs({ name: \'gp3-encrypted\', encryption: true })'),
};
