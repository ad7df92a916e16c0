/* eslint-disable @stylistic/max-len */ // rule texts and citations read better on one line
/**
 * First deployment: reads a rendered GitOps tree from disk (the reference platform and small apps,
 * synthesized into a temporary repository) and replays the order Flux and Argo CD apply it in on an
 * empty cluster, checking that nothing waits for something that comes later:
 * every namespaced object's Namespace, every data object's health gate and every Job's database (and
 * the Secret it reads) come strictly earlier. Each rule cites the documentation it comes from.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as YAML from 'yaml';
import { buildPlatform } from '../../examples/platform/app';
import {
  CelPolicyExport, CelPolicyForm, DatabaseEngine, Environment, EnvironmentChart, GitOpsApp, KyvernoExport, MessageQueue, PolicyPacks, QueueAccess, QueueEngine, ReplicatedDatabase,
  SecretBackend, StorageProfile, Tier,
} from '../../src';
import { tmpdir } from '../util/tmp';

const REPO_URL = 'https://git.example.com/acme/gitops.git';
const OUT = 'dist';
const CLUSTER_SCOPED = new Set(['Namespace', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'ClusterPolicy', 'ValidatingPolicy',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/** A Kubernetes object and the file it came from. */
interface Doc { readonly file: string; readonly obj: any }

/** Objects holding data, known to this test independently of the library. */
function isData(o: any): boolean {
  const gk = `${groupOf(o.apiVersion)}/${o.kind}`;
  if (gk === 'apps/StatefulSet') return (o.spec?.volumeClaimTemplates ?? []).length > 0;
  return ['postgresql.cnpg.io/Cluster', 'rabbitmq.com/RabbitmqCluster', 'rabbitmq.com/Queue', 'kafka.strimzi.io/Kafka', 'kafka.strimzi.io/KafkaNodePool',
    'kafka.strimzi.io/KafkaTopic', '/PersistentVolumeClaim', 'k8s.mariadb.com/MariaDB'].includes(gk);
}

/**
 * Kinds whose readiness kstatus reads by itself (Flux: "Kubernetes built-in kinds: Deployment, DaemonSet,
 * StatefulSet, PersistentVolumeClaim, Pod, PodDisruptionBudget, Job, CronJob, Service, Secret, ConfigMap",
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#health-checks). Other kinds need a
 * `healthCheckExprs` entry (same page, #health-check-exprs), or they count as healthy once applied.
 */
const KSTATUS_KINDS = new Set(['apps/Deployment', 'apps/DaemonSet', 'apps/StatefulSet', '/PersistentVolumeClaim', '/Pod', 'policy/PodDisruptionBudget', 'batch/Job', 'batch/CronJob', '/Service', '/Secret', '/ConfigMap']);

/**
 * Kinds Argo CD assesses the health of: built into Argo CD (StatefulSet, PVC, Deployment, Job...) or shipped
 * in argo-cd `resource_customizations/<group>/<kind>/health.lua` (CloudNativePG Cluster, RabbitmqCluster and
 * the topology kinds, Strimzi Kafka / KafkaTopic / KafkaUser, ExternalSecret, mariadb-operator MariaDB / Database / User /
 * Grant / Backup: `resource_customizations/k8s.mariadb.com/<kind>/health.lua`).
 * https://argo-cd.readthedocs.io/en/stable/operator-manual/health/
 */
const ARGO_HEALTH = new Set(['apps/StatefulSet', 'apps/Deployment', '/PersistentVolumeClaim', 'batch/Job', 'postgresql.cnpg.io/Cluster', 'rabbitmq.com/RabbitmqCluster',
  'rabbitmq.com/Queue', 'kafka.strimzi.io/Kafka', 'kafka.strimzi.io/KafkaTopic', 'kafka.strimzi.io/KafkaUser', 'external-secrets.io/ExternalSecret',
  'k8s.mariadb.com/MariaDB', 'k8s.mariadb.com/Database', 'k8s.mariadb.com/User', 'k8s.mariadb.com/Grant', 'k8s.mariadb.com/Backup']);

const RESOURCES: { [kind: string]: string } = Object.fromEntries([
  'ConfigMap=configmaps', 'Service=services', 'ServiceAccount=serviceaccounts', 'Secret=secrets', 'PersistentVolumeClaim=persistentvolumeclaims',
  'StatefulSet=statefulsets', 'Deployment=deployments', 'Job=jobs', 'CronJob=cronjobs', 'NetworkPolicy=networkpolicies',
  'PodDisruptionBudget=poddisruptionbudgets', 'Role=roles', 'RoleBinding=rolebindings', 'ExternalSecret=externalsecrets',
  'PodMonitor=podmonitors', 'PrometheusRule=prometheusrules', 'Cluster=clusters', 'ScheduledBackup=scheduledbackups', 'Pooler=poolers',
  'Database=databases', 'ObjectStore=objectstores', 'RabbitmqCluster=rabbitmqclusters', 'Vhost=vhosts', 'Queue=queues', 'Exchange=exchanges',
  'Binding=bindings', 'User=users', 'Permission=permissions', 'Policy=policies', 'Kafka=kafkas', 'KafkaNodePool=kafkanodepools',
  'KafkaTopic=kafkatopics', 'KafkaUser=kafkausers', 'MariaDB=mariadbs', 'Grant=grants', 'Backup=backups', 'PhysicalBackup=physicalbackups',
  'PointInTimeRecovery=pointintimerecoveries',
].map((pair) => pair.split('=')));

/** Every YAML document under `dir` (relative to the repository root), recursively. */
function readDocs(root: string, dir: string): Doc[] {
  const out: Doc[] = [];
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return out;
  for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) {
      out.push(...readDocs(root, rel));
    } else if (/\.ya?ml$/.test(e.name) && e.name !== 'kustomization.yaml') {
      for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(root, rel), 'utf8'))) {
        const obj = d.toJSON();
        if (obj && typeof obj.kind === 'string') out.push({ file: rel, obj });
      }
    }
  }
  return out;
}

/** What `kustomize build` of a directory yields: its kustomization's resources, else every YAML file in it (Flux generates one). */
function build(root: string, dir: string): Doc[] {
  const k = path.join(root, dir, 'kustomization.yaml');
  if (!fs.existsSync(k)) return readDocs(root, dir);
  const out: Doc[] = [];
  for (const r of YAML.parse(fs.readFileSync(k, 'utf8')).resources ?? []) {
    const rel = path.posix.normalize(path.posix.join(dir, r));
    if (fs.statSync(path.join(root, rel)).isDirectory()) out.push(...build(root, rel));
    else for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(root, rel), 'utf8'))) out.push({ file: rel, obj: d.toJSON() });
  }
  return out;
}

const nsOf = (o: any): string | undefined => (CLUSTER_SCOPED.has(o.kind) ? undefined : o.metadata.namespace);
const id = (o: any) => `${o.kind} ${nsOf(o) ? nsOf(o) + '/' : ''}${o.metadata.name}`;

/** Names of the Secrets a pod template reads. */
function secretsRead(o: any): string[] {
  const spec = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
  if (!spec) return [];
  const names: string[] = [];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.push(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.push(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) if (v.secret?.secretName) names.push(v.secret.secretName);
  return names;
}

/** The objects that make Secret `name` exist: an ExternalSecret (its target), a SealedSecret, or the operator's own `<cluster>-app`. */
function secretProducers(all: Array<{ obj: any }>, ns: string, name: string): any[] {
  return all.map((x) => x.obj).filter((o) => nsOf(o) === ns && (
    (o.kind === 'ExternalSecret' && (o.spec?.target?.name ?? o.metadata.name) === name)
    || (o.kind === 'SealedSecret' && o.metadata.name === name)
    || (o.kind === 'Secret' && o.metadata.name === name)
    || (o.kind === 'Cluster' && groupOf(o.apiVersion) === 'postgresql.cnpg.io' && `${o.metadata.name}-app` === name)));
}

/**
 * Secrets an admission webhook reads when the object is applied, and the labels it requires on them: the messaging
 * topology operator refuses a `User` whose `importCredentialsSecret` does not exist ("secret ... not found") or lacks
 * `rabbitmq.com/topology-operator: "true"` (`validateSecretLabel`, internal/webhook/v1beta1/label_validation.go of v1.20).
 */
function secretsAdmissionReads(o: any): Array<{ name: string; labels: Record<string, string> }> {
  if (groupOf(o.apiVersion) === 'rabbitmq.com' && o.kind === 'User' && o.spec?.importCredentialsSecret?.name) {
    return [{ name: o.spec.importCredentialsSecret.name, labels: { 'rabbitmq.com/topology-operator': 'true' } }];
  }
  return [];
}

/** The labels of the Secret an object makes. */
function labelsWritten(producer: any): Record<string, string> {
  if (producer.kind === 'ExternalSecret') return producer.spec?.target?.template?.metadata?.labels ?? {};
  if (producer.kind === 'SealedSecret') return producer.spec?.template?.metadata?.labels ?? {};
  return producer.metadata?.labels ?? {};
}

/** What is wrong with the labels of the Secret `producer` makes, as the webhook needs them. */
function missingLabels(producer: any, secret: string, labels: Record<string, string>): string[] {
  const written = labelsWritten(producer);
  return Object.entries(labels).filter(([k, v]) => written[k] !== v).map(([k, v]) => `${id(producer)} writes Secret ${secret} without label ${k}: "${v}"`);
}

/** The database a migration Job talks to (its PGHOST: `<name>-rw.<namespace>.svc` or `<name>.<namespace>.svc`). */
function databaseOf(job: any, all: Array<{ obj: any }>): any[] {
  const env = (job.spec?.template?.spec?.containers ?? []).flatMap((c: any) => c.env ?? []);
  const host: string | undefined = env.find((e: any) => e.name === 'PGHOST')?.value;
  if (!host) return [];
  const [service, ns] = host.split('.');
  const name = service.replace(/-(rw|ro|r)$/, '');
  return all.map((x) => x.obj).filter((o) => nsOf(o) === (ns ?? nsOf(job)) && o.metadata.name === name && isData(o));
}

// ---------------------------------------------------------------------------------------------
// Flux
// ---------------------------------------------------------------------------------------------

interface FluxUnit { readonly ks: any; readonly objects: any[]; readonly ancestors: Set<string> }

/**
 * Replays `flux bootstrap --path=<out>/clusters/<cluster>` on an empty cluster under the multi-tenancy
 * lockdown and returns every ordering problem.
 */
function fluxProblems(root: string, cluster: string): string[] {
  const problems: string[] = [];
  // bootstrap installs Flux into flux-system and reconciles the path as kustomize-controller (cluster-admin)
  // https://fluxcd.io/flux/installation/bootstrap/ ; the lockdown adds --no-cross-namespace-refs and
  // --default-service-account https://fluxcd.io/flux/installation/configuration/multitenancy/
  const atBootstrap = new Set(['flux-system']);
  const bootstrapAccounts = new Set(['flux-system/kustomize-controller']);
  const batch = readDocs(root, `${OUT}/clusters/${cluster}`).map((d) => d.obj);
  if (batch.length === 0) return [`clusters/${cluster}: nothing to bootstrap`];
  // one batch: kustomize-controller applies CustomResourceDefinitions and Namespaces first, then the rest
  // (fluxcd/pkg ssa ResourceManager.ApplyAllStaged, called by kustomize-controller's apply)
  const batchNamespaces = new Set(batch.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  for (const o of batch) {
    const ns = nsOf(o);
    if (ns && !atBootstrap.has(ns) && !batchNamespaces.has(ns)) problems.push(`bootstrap: ${id(o)} is in namespace ${ns}, which does not exist when bootstrap applies clusters/${cluster}/ (a child Kustomization creates it)`);
  }
  const kss = batch.filter((o) => o.kind === 'Kustomization');
  const key = (k: any) => `${k.metadata.namespace}/${k.metadata.name}`;
  const byKey = new Map(kss.map((k) => [key(k), k]));
  const sources = new Set([...batch.filter((o) => /^(GitRepository|OCIRepository|Bucket)$/.test(o.kind)).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`), 'GitRepository/flux-system/flux-system']);
  for (const k of kss) {
    // --no-cross-namespace-refs: "Deny cross-namespace access to Flux custom resources" (multitenancy page)
    const srcNs = k.spec.sourceRef.namespace ?? k.metadata.namespace;
    if (srcNs !== k.metadata.namespace) problems.push(`${key(k)}: sourceRef ${k.spec.sourceRef.kind} ${srcNs}/${k.spec.sourceRef.name} crosses namespaces (refused under --no-cross-namespace-refs)`);
    if (!sources.has(`${k.spec.sourceRef.kind}/${srcNs}/${k.spec.sourceRef.name}`)) problems.push(`${key(k)}: source ${k.spec.sourceRef.kind} ${srcNs}/${k.spec.sourceRef.name} is not rendered`);
    // --default-service-account: "Kustomizations ... which don't have spec.serviceAccountName specified, will use the default account"
    if (!k.spec.serviceAccountName) problems.push(`${key(k)}: no serviceAccountName (under the lockdown it runs as ${k.metadata.namespace}/default, which has no permissions)`);
    for (const d of k.spec.dependsOn ?? []) {
      if (!byKey.has(`${d.namespace ?? k.metadata.namespace}/${d.name}`)) problems.push(`${key(k)}: depends on ${d.namespace ?? k.metadata.namespace}/${d.name}, which is not rendered`);
    }
  }
  // dependsOn: "the Kustomization is only applied after the referred Kustomizations are ready" (#dependencies)
  const ancestors = (k: any, seen = new Set<string>()): Set<string> => {
    for (const d of k.spec.dependsOn ?? []) {
      const dk = `${d.namespace ?? k.metadata.namespace}/${d.name}`;
      if (seen.has(dk)) continue;
      seen.add(dk);
      if (byKey.has(dk)) ancestors(byKey.get(dk), seen);
    }
    return seen;
  };
  const units: FluxUnit[] = kss.map((k) => {
    const target = k.spec.targetNamespace;
    const objects = build(root, path.posix.normalize(k.spec.path.replace(/^\.\//, ''))).map((d) => {
      const o = JSON.parse(JSON.stringify(d.obj));
      if (target && !CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = target;
      return o;
    });
    return { ks: k, objects, ancestors: ancestors(k) };
  });
  for (const u of units) if (u.ancestors.has(key(u.ks))) problems.push(`${key(u.ks)}: circular dependsOn`);
  const unitOf = new Map<any, FluxUnit>();
  for (const u of units) for (const o of u.objects) unitOf.set(o, u);
  const all = units.flatMap((u) => u.objects.map((obj) => ({ obj })));
  const earlier = (a: FluxUnit, b: FluxUnit) => b.ancestors.has(key(a.ks));
  for (const u of units) {
    const k = u.ks;
    const before = units.filter((x) => earlier(x, u));
    const childNamespaces = new Set(units.flatMap((x) => x.objects).filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
    if (childNamespaces.has(k.metadata.namespace)) problems.push(`${key(k)}: lives in namespace ${k.metadata.namespace}, which a child Kustomization creates`);
    const created = new Set([...atBootstrap, ...batchNamespaces, ...[u, ...before].flatMap((x) => x.objects).filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)]);
    // targetNamespace: "the Kubernetes namespace being pointed to must exist prior to the Kustomization being applied or be defined by a manifest included in the Kustomization" (#target-namespace)
    for (const o of u.objects) {
      const ns = nsOf(o);
      if (ns && !created.has(ns)) problems.push(`${key(k)}: ${id(o)} needs namespace ${ns}, which no earlier step creates`);
    }
    // impersonation: the account is in the Kustomization's namespace; "The Kustomizations that are running under that
    // service account should depend on the one that contains the account" (#role-based-access-control)
    const sa = k.spec.serviceAccountName;
    if (sa && !bootstrapAccounts.has(`${k.metadata.namespace}/${sa}`)) {
      const visible = [...batch, ...before.flatMap((x) => x.objects)];
      if (!visible.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === sa && o.metadata.namespace === k.metadata.namespace)) {
        problems.push(`${key(k)}: impersonates ${k.metadata.namespace}/${sa}, which no earlier step creates`);
      }
      const grants = (ns: string | undefined, group: string, resource: string | undefined, verbs: string[]) => ns !== undefined && resource !== undefined
        && visible.some((b) => b.kind === 'RoleBinding' && b.metadata.namespace === ns
          && (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === k.metadata.namespace)
          && visible.some((r) => r.kind === 'Role' && r.metadata.namespace === ns && r.metadata.name === b.roleRef.name
            && (r.rules ?? []).some((rule: any) => rule.apiGroups.includes(group) && (rule.resources.includes(resource) || rule.resources.includes('*'))
              && verbs.every((v) => rule.verbs.includes(v) || rule.verbs.includes('*')))));
      for (const o of u.objects) {
        const ns = nsOf(o);
        if (!grants(ns, groupOf(o.apiVersion), RESOURCES[o.kind], ['get', 'list', 'watch', 'create', 'patch', 'delete'])) problems.push(`${key(k)}: ${k.metadata.namespace}/${sa} may not apply ${id(o)}`);
        // wait reads what workloads generate: kstatus' Deployment reader lists ReplicaSets and their Pods, the
        // StatefulSet reader Pods (fluxcd/cli-utils pkg/kstatus/polling/statusreaders); a refused list never turns Ready
        const generated = k.spec.wait !== true ? [] : o.kind === 'Deployment' ? [['apps', 'replicasets'], ['', 'pods']] : o.kind === 'StatefulSet' ? [['', 'pods']] : [];
        for (const [g, res] of generated) if (!grants(ns, g, res, ['list', 'watch'])) problems.push(`${key(k)}: ${k.metadata.namespace}/${sa} may not list the ${res} of ${id(o)} (health check)`);
      }
    }
    for (const o of u.objects) {
      const gk = `${groupOf(o.apiVersion)}/${o.kind}`;
      if (isData(o)) {
        // "kustomize.toolkit.fluxcd.io/prune: disabled ... to protect sensitive resources ... from accidental deletion" (#prune)
        if (o.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'] !== 'disabled') problems.push(`${key(k)}: data object ${id(o)} may be pruned (no kustomize.toolkit.fluxcd.io/prune: disabled)`);
        // wait: "perform health checks for all reconciled resources" (#wait); a custom kind needs healthCheckExprs
        if (k.spec.wait !== true) problems.push(`${key(k)}: holds data object ${id(o)} but does not wait for health`);
        if (!KSTATUS_KINDS.has(gk) && !(k.spec.healthCheckExprs ?? []).some((e: any) => groupOf(e.apiVersion) === groupOf(o.apiVersion) && (e.kind === undefined || e.kind === o.kind) && e.current)) {
          problems.push(`${key(k)}: no healthCheckExprs for ${gk}: ${id(o)} counts as ready once applied`);
        }
      }
    }
    for (const o of u.objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      // every data object of the namespace is ready before a workload or a Job starts
      for (const d of all.map((x) => x.obj).filter((x) => isData(x) && nsOf(x) === nsOf(o))) {
        const du = unitOf.get(d)!;
        if (!earlier(du, u)) problems.push(`${key(k)}: ${id(o)} may start before data object ${id(d)} (${key(du.ks)}) is ready`);
      }
      if (o.kind === 'Job') {
        const dbs = databaseOf(o, all);
        if (dbs.length === 0 && o.metadata.labels?.['app.kubernetes.io/component'] === 'schema-migration') problems.push(`${key(k)}: migration ${id(o)}: its database is not rendered`);
        for (const db of dbs) if (!earlier(unitOf.get(db)!, u)) problems.push(`${key(k)}: ${id(o)} runs before its database ${id(db)} is ready`);
      }
      // a Job's pod that starts without its Secret fails and spends its retries; a Deployment's pod waits for it
      // (the kubelet retries a missing Secret: CreateContainerConfigError, then starts) within the same layer
      for (const secret of o.kind === 'Job' ? secretsRead(o) : []) {
        const producers = secretProducers(all, nsOf(o)!, secret);
        if (producers.length === 0) continue; // a Secret managed outside the GitOps repository
        for (const p of producers) {
          const pu = unitOf.get(p)!;
          const gated = earlier(pu, u) && pu.ks.spec.wait === true
            && (KSTATUS_KINDS.has(`${groupOf(p.apiVersion)}/${p.kind}`) || (pu.ks.spec.healthCheckExprs ?? []).some((e: any) => groupOf(e.apiVersion) === groupOf(p.apiVersion) && e.kind === p.kind));
          if (!gated) problems.push(`${key(k)}: ${id(o)} reads Secret ${secret}, which ${id(p)} (${key(pu.ks)}) may not have written yet`);
        }
      }
    }
    // a webhook refusing an object fails the whole Kustomization: kustomize-controller dry-runs every object before it
    // applies any (fluxcd/pkg ssa ResourceManager.ApplyAll), so a Secret written by an object of the same layer never comes
    for (const o of u.objects) {
      for (const { name: secret, labels } of secretsAdmissionReads(o)) {
        for (const p of secretProducers(all, nsOf(o)!, secret)) {
          const pu = unitOf.get(p)!;
          const gated = earlier(pu, u) && pu.ks.spec.wait === true
            && (KSTATUS_KINDS.has(`${groupOf(p.apiVersion)}/${p.kind}`) || (pu.ks.spec.healthCheckExprs ?? []).some((e: any) => groupOf(e.apiVersion) === groupOf(p.apiVersion) && e.kind === p.kind));
          if (!gated) problems.push(`${key(k)}: the admission of ${id(o)} reads Secret ${secret}, which ${id(p)} (${key(pu.ks)}) may not have written yet: the dry-run of the layer fails`);
          problems.push(...missingLabels(p, secret, labels).map((m) => `${key(k)}: ${id(o)} is refused: ${m}`));
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Argo CD
// ---------------------------------------------------------------------------------------------

/**
 * Where an object lands in the sync: the wave of its Application (the app of apps syncs its children wave by
 * wave and, with the Application health check Argo CD documents for app of apps, waits for each to be healthy:
 * https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/1.7-1.8/#health-assessment-of-argoprojioapplication-crd-has-been-removed),
 * then within the Application the phase (PreSync, Sync, PostSync: https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/)
 * and the sync wave; "Argo CD ... waits for the resources of a wave to be healthy before moving on to the next"
 * (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/). Within one wave, kinds are ordered
 * (Namespaces first) but nothing waits for health.
 */
interface ArgoPlace { readonly app: string; readonly appWave: number; readonly phase: number; readonly wave: number; readonly obj: any }

const PHASES: { [hook: string]: number } = { PreSync: 0, Sync: 1, PostSync: 2 };

function argoPlaces(root: string): { places: ArgoPlace[]; apps: any[] } {
  const apps = readDocs(root, `${OUT}/argocd`).map((d) => d.obj).filter((o) => o.kind === 'Application');
  const places: ArgoPlace[] = [];
  for (const app of apps) {
    const source = app.spec.source;
    if (source.chart) continue; // an operator's Helm chart: its CRDs and controller
    // an overlay builds exactly rendered/<env>/ (proved with the real kubectl kustomize in test/gitops/kustomize.test.ts)
    const dir = source.path.replace(/(^|\/)overlays\//, '$1rendered/');
    const appWave = Number(app.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    for (const d of readDocs(root, dir)) {
      const obj = JSON.parse(JSON.stringify(d.obj));
      if (!CLUSTER_SCOPED.has(obj.kind) && !obj.metadata.namespace) obj.metadata.namespace = app.spec.destination.namespace;
      const hook = obj.metadata.annotations?.['argocd.argoproj.io/hook'];
      places.push({ app: app.metadata.name, appWave, phase: hook ? PHASES[hook] ?? 1 : 1, wave: Number(obj.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0), obj });
    }
  }
  return { places, apps };
}

/** Whether `a` is applied and healthy before `b` starts. */
function strictlyBefore(a: ArgoPlace, b: ArgoPlace): boolean {
  if (a.app !== b.app) return a.appWave < b.appWave;
  return a.phase < b.phase || (a.phase === b.phase && a.wave < b.wave);
}

/** The kinds whose CRDs each operator's chart or release folder installs (group/kind, `*` any kind of the group). */
const CRDS_OF_OPERATOR: Record<string, string[]> = {
  'cloudnative-pg': ['postgresql.cnpg.io/*'],
  'plugin-barman-cloud': ['barmancloud.cnpg.io/*'],
  'strimzi-kafka-operator': ['kafka.strimzi.io/*'],
  'mariadb-operator-crds': ['k8s.mariadb.com/*'],
  'external-secrets': ['external-secrets.io/*'],
  'prometheus-operator-crds': ['monitoring.coreos.com/*'],
  'cert-manager': ['cert-manager.io/*'],
  'https://github.com/rabbitmq/cluster-operator': ['rabbitmq.com/RabbitmqCluster'],
  'https://github.com/rabbitmq/messaging-topology-operator': ['rabbitmq.com/*'],
  'rabbitmq-cluster-operator': ['rabbitmq.com/*'],
};
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'scheduling.k8s.io']);

/**
 * What an Application's AppProject refuses, as Argo CD decides it: the Application's destination must match a
 * destination of the project (util/argo/argo.go `ValidatePermissions`); each object's group and kind must be
 * permitted (cluster-scoped: in `clusterResourceWhitelist`; namespaced: in `namespaceResourceWhitelist`, any when it
 * is absent, and not in `namespaceResourceBlacklist`) and a namespaced object's namespace must match a destination
 * (controller/sync.go `validateSyncPermissions`; pkg/apis/application/v1alpha1/app_project_types.go
 * `IsGroupKindNamePermitted`, `IsDestinationPermitted`). Patterns: `*`, or the value itself (an absent namespace
 * is the empty pattern, which matches only the empty namespace: gobwas/glob).
 */
const globMatch = (pattern: string | undefined, value: string | undefined) => pattern === '*' || (pattern ?? '') === (value ?? '');
const inList = (list: any[] | undefined, group: string, kind: string) => (list ?? []).some((e) => globMatch(e.group, group) && globMatch(e.kind, kind));
const destinationPermitted = (project: any, server: string, namespace: string | undefined) =>
  (project.spec.destinations ?? []).some((d: any) => globMatch(d.server, server) && globMatch(d.namespace, namespace));
function projectRefuses(project: any, app: any, obj: any): string | undefined {
  const group = groupOf(obj.apiVersion);
  const name = project.metadata.name;
  if (CLUSTER_SCOPED.has(obj.kind)) return inList(project.spec.clusterResourceWhitelist, group, obj.kind) ? undefined : `resource ${group}:${obj.kind} is not permitted in project ${name}`;
  const whitelist = project.spec.namespaceResourceWhitelist;
  if ((whitelist !== undefined && !inList(whitelist, group, obj.kind)) || inList(project.spec.namespaceResourceBlacklist, group, obj.kind)) return `resource ${group}:${obj.kind} is not permitted in project ${name}`;
  return destinationPermitted(project, app.spec.destination.server, obj.metadata.namespace) ? undefined : `namespace ${obj.metadata.namespace} is not permitted in project '${name}'`;
}

function argoProblems(root: string): string[] {
  const problems: string[] = [];
  const { places, apps } = argoPlaces(root);
  if (apps.length === 0) return ['argocd/: no Applications'];
  const projects = new Map(readDocs(root, `${OUT}/argocd`).map((d) => d.obj).filter((o) => o.kind === 'AppProject').map((o) => [o.metadata.name, o]));
  for (const app of apps) {
    const project = projects.get(app.spec.project);
    const wave = (o: any) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    if (!project) {
      problems.push(`${app.metadata.name}: its project ${app.spec.project} is not in argocd/`);
    } else if (wave(project) >= wave(app)) {
      // the app of apps applies the project no earlier than the Application, whose health is Unknown until its project exists
      // and permits it (controller/appcontroller.go refreshAppConditions): the wave waits on it forever
      problems.push(`${app.metadata.name}: its project ${app.spec.project} syncs in wave ${wave(project)}, not before the Application's wave ${wave(app)}: the app of apps waits forever on its health (Unknown)`);
    } else if (!destinationPermitted(project, app.spec.destination.server, app.spec.destination.namespace)) {
      problems.push(`${app.metadata.name}: application destination server '${app.spec.destination.server}' and namespace '${app.spec.destination.namespace ?? ''}' do not match any of the allowed destinations in project '${project.metadata.name}'`);
    }
  }
  for (const p of places) {
    const app = apps.find((a) => a.metadata.name === p.app);
    const project = projects.get(app.spec.project);
    const refused = project && projectRefuses(project, app, p.obj);
    if (refused) problems.push(`${p.app}: ${id(p.obj)}: ${refused}`);
  }
  // with operators in the wiring, every custom resource's CRD comes from one of them, in an earlier wave: Argo CD
  // cannot dry-run a kind whose CRD is neither in the cluster nor in the sync (and the Applications do not skip it)
  const operators = apps.filter((a) => a.spec.source.chart !== undefined || !String(a.spec.source.repoURL).startsWith(REPO_URL.replace(/\.git$/, '')))
    .map((a) => ({ wave: Number(a.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0), kinds: CRDS_OF_OPERATOR[a.spec.source.chart ?? a.spec.source.repoURL] ?? [] }));
  if (operators.length > 0) {
    for (const p of places) {
      const group = groupOf(p.obj.apiVersion);
      if (BUILT_IN_GROUPS.has(group)) continue;
      const installed = operators.some((o) => o.wave < p.appWave && o.kinds.some((k) => k === `${group}/${p.obj.kind}` || k === `${group}/*`));
      if (!installed) problems.push(`${p.app}: ${id(p.obj)}: no operator Application installs the CRD of ${group}/${p.obj.kind} before it`);
    }
  }
  const all = places.map((p) => ({ obj: p.obj }));
  const placeOf = new Map(places.map((p) => [p.obj, p]));
  for (const p of places) {
    const ns = nsOf(p.obj);
    const app = apps.find((a) => a.metadata.name === p.app);
    const where = `${p.app}: ${id(p.obj)}`;
    if (ns) {
      // CreateNamespace=true creates the destination namespace (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#create-namespace)
      const createsDestination = (app.spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true') && app.spec.destination.namespace === ns;
      const namespace = places.find((q) => q.obj.kind === 'Namespace' && q.obj.metadata.name === ns
        && (strictlyBefore(q, p) || (q.app === p.app && q.phase === p.phase && q.wave === p.wave)));
      if (!createsDestination && !namespace) problems.push(`${where}: namespace ${ns} is not created earlier`);
    }
    const gk = `${groupOf(p.obj.apiVersion)}/${p.obj.kind}`;
    if (isData(p.obj)) {
      // Prune=false: "Argo CD ... will not prune the resource" (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#no-prune-resources)
      if (!(p.obj.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').includes('Prune=false')) problems.push(`${where}: data object may be pruned (no Prune=false)`);
      // Delete=false: a cascading deletion of its Application (`argocd app delete`'s default) skips it; Prune=false does not
      // (controller/appcontroller.go shouldBeDeleted)
      if (!(p.obj.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').includes('Delete=false')) problems.push(`${where}: data object deleted with its Application (no Delete=false)`);
      // a node pool has no health of its own in Argo CD: its Kafka (Ready only with every pool's brokers) gates it
      const gate = gk === 'kafka.strimzi.io/KafkaNodePool'
        ? places.find((q) => q.obj.kind === 'Kafka' && nsOf(q.obj) === ns && q.obj.metadata.name === p.obj.metadata.labels?.['strimzi.io/cluster'] && q.app === p.app && q.phase === p.phase && q.wave === p.wave)
        : ARGO_HEALTH.has(gk) ? p : undefined;
      if (!gate) problems.push(`${where}: Argo CD has no health check for ${gk}: the next wave does not wait for it`);
    }
    if (p.obj.kind === 'Deployment' || p.obj.kind === 'Job') {
      for (const d of places.filter((q) => isData(q.obj) && nsOf(q.obj) === ns)) {
        if (!strictlyBefore(d, p)) problems.push(`${where} may start before data object ${id(d.obj)} (${d.app}, phase ${d.phase}, wave ${d.wave}) is healthy`);
      }
      if (p.obj.kind === 'Job') {
        for (const db of databaseOf(p.obj, all)) if (!strictlyBefore(placeOf.get(db)!, p)) problems.push(`${where} runs before its database ${id(db)} is healthy`);
      }
      for (const secret of p.obj.kind === 'Job' ? secretsRead(p.obj) : []) {
        for (const producer of secretProducers(all, ns!, secret)) {
          const q = placeOf.get(producer)!;
          if (!strictlyBefore(q, p) || !ARGO_HEALTH.has(`${groupOf(producer.apiVersion)}/${producer.kind}`)) problems.push(`${where} reads Secret ${secret}, which ${id(producer)} may not have written yet`);
        }
      }
    }
    // an object applied in the wave of the ExternalSecret writing the Secret its webhook reads is refused: the wave's
    // apply fails and the sync with it (gitops-engine sync_context: "one or more objects failed to apply"), retried
    // at most `retry.limit` times
    for (const { name: secret, labels } of secretsAdmissionReads(p.obj)) {
      for (const producer of secretProducers(all, ns!, secret)) {
        const q = placeOf.get(producer)!;
        if (!strictlyBefore(q, p) || !ARGO_HEALTH.has(`${groupOf(producer.apiVersion)}/${producer.kind}`)) problems.push(`${where}: its admission reads Secret ${secret}, which ${id(producer)} may not have written yet`);
        problems.push(...missingLabels(producer, secret, labels).map((m) => `${where} is refused: ${m}`));
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The trees
// ---------------------------------------------------------------------------------------------

/** A repository root whose `dist/` holds the app's output. */
function synthesize(make: (outdir: string) => GitOpsApp): string {
  const root = tmpdir();
  make(path.join(root, OUT)).synth();
  return root;
}

const wiring = (outdir: string, clusters: string[]) => ({
  outdir,
  flux: { repositoryUrl: REPO_URL, repositoryPath: `./${OUT}` },
  argoCd: { repositoryUrl: REPO_URL, repositoryPath: OUT, destinations: Object.fromEntries(clusters.map((c) => [c, `https://${c}.k8s.example.com:6443`])) },
});

/** A small app: one environment with the given stateful services and an API Deployment reading the database Secret. */
function smallApp(tier: Tier, define: (chart: EnvironmentChart) => void): string {
  return synthesize((outdir) => {
    const app = new GitOpsApp(wiring(outdir, ['c1']));
    const env = new Environment({
      name: 'shop',
      tier,
      namespace: 'shop',
      cluster: 'c1',
      storageProfile: StorageProfile.existing('standard'),
      secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'shop' }),
    });
    define(new EnvironmentChart(app, 'shop', { environment: env }));
    return app;
  });
}

function api(chart: EnvironmentChart, secret: string): void {
  new ApiObject(chart, 'Api', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api' },
    spec: {
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: [{ name: 'api', image: 'ghcr.io/acme/api:1.0.0', env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secret, key: 'uri' } } }] }] },
      },
    },
  });
}

const migration = { image: 'ghcr.io/acme/migrations:1.0.0', command: ['migrate', 'up'] };

describe('first deployment: the order Flux and Argo CD apply the output in', () => {
  const trees: Array<[string, () => string, string[]]> = [
    ['the reference platform (examples/platform)', () => synthesize((outdir) => buildPlatform({ outdir })), ['nonprod', 'prod-eu-west']],
    ['the reference platform following environment branches, with a Git secret', () => synthesize((outdir) => buildPlatform({
      outdir,
      flux: { repositoryUrl: REPO_URL, repositoryPath: `./${OUT}`, secretRef: 'flux-system', environmentBranches: true },
      argoCd: { ...wiring(outdir, ['nonprod', 'prod-eu-west']).argoCd, environmentBranches: true },
    })), ['nonprod', 'prod-eu-west']],
    ['CloudNativePG with a migration (production)', () => smallApp(Tier.PRODUCTION, (chart) => {
      const db = new ReplicatedDatabase(chart, 'Db', { name: 'db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), migration });
      api(chart, db.connection.secretName);
    }), ['c1']],
    ['the PostgreSQL StatefulSet with a migration (development)', () => smallApp(Tier.DEVELOPMENT, (chart) => {
      const db = new ReplicatedDatabase(chart, 'Db', { name: 'db', engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }), migration });
      api(chart, db.connection.secretName);
    }), ['c1']],
    ['CloudNativePG with the admission policies exported to the platform layer (ClusterPolicies, ValidatingPolicies)', () => smallApp(Tier.PRODUCTION, (chart) => {
      const db = new ReplicatedDatabase(chart, 'Db', { name: 'db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }) });
      api(chart, db.connection.secretName);
      KyvernoExport.addToPlatform(chart.node.root, 'c1', [PolicyPacks.productionReadiness()]);
      CelPolicyExport.addToPlatform(chart.node.root, 'c1', [PolicyPacks.gitopsHygiene()], { form: CelPolicyForm.VALIDATING_POLICY });
    }), ['c1']],
    ['RabbitMQ operator and Strimzi Kafka (production)', () => smallApp(Tier.PRODUCTION, (chart) => {
      new MessageQueue(chart, 'Mq', {
        name: 'mq',
        engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
        queues: [{ name: 'orders' }],
        users: [{ name: 'worker', permissions: [{ name: 'orders', access: QueueAccess.CONSUME }] }],
      });
      new MessageQueue(chart, 'Kafka', { name: 'events', engine: QueueEngine.strimziKafka({ version: '4.3.1' }), topics: [{ name: 'orders', partitions: 3 }] });
      api(chart, 'api-credentials');
    }), ['c1']],
  ];

  describe.each(trees)('%s', (_name, make, clusters) => {
    let root: string;
    beforeAll(() => { root = make(); });

    test.each(clusters)('Flux: `flux bootstrap --path=dist/clusters/%s` applies in one pass under the lockdown', (cluster) => {
      expect(fluxProblems(root, cluster)).toEqual([]);
    });

    test('Argo CD: the Applications in argocd/ sync in order', () => {
      expect(argoProblems(root)).toEqual([]);
    });
  });

  describe('the checks can fail (the layouts of before are refused)', () => {
    let root: string;
    beforeAll(() => {
      root = smallApp(Tier.PRODUCTION, (chart) => {
        const db = new ReplicatedDatabase(chart, 'Db', { name: 'db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), migration });
        api(chart, db.connection.secretName);
      });
    });
    const edit = (file: string, f: (o: any) => void) => {
      const abs = path.join(root, OUT, file);
      const o = YAML.parse(fs.readFileSync(abs, 'utf8'));
      f(o);
      fs.writeFileSync(abs, YAML.stringify(o));
    };

    test('a Kustomization in the environment namespace, with a cross-namespace source, and the migration in the data layer', () => {
      edit('clusters/c1/Kustomization.shop-data.yaml', (o) => { o.metadata.namespace = 'shop'; o.spec.sourceRef.namespace = 'flux-system'; delete o.spec.healthCheckExprs; });
      edit('layers/shop/data/kustomization.yaml', (o) => { o.resources.push('../../../rendered/shop/shop/Job.db-migrate.yaml'); });
      fs.rmSync(path.join(root, OUT, 'layers/shop/migrate'), { recursive: true });
      edit('clusters/c1/Kustomization.shop-migrate.yaml', (o) => { o.spec.path = './dist/layers/shop/data'; });
      const problems = fluxProblems(root, 'c1').join('\n');
      expect(problems).toMatch(/bootstrap: Kustomization shop\/shop-data is in namespace shop, which does not exist when bootstrap applies/);
      expect(problems).toMatch(/sourceRef GitRepository flux-system\/gitops crosses namespaces/);
      expect(problems).toMatch(/no healthCheckExprs for postgresql.cnpg.io\/Cluster/);
      expect(problems).toMatch(/Job shop\/db-migrate runs before its database Cluster shop\/db is ready/);
    });

    test('an AppProject that does not permit what its Applications sync', () => {
      edit('argocd/AppProject.cdk8s-stateful-platform.yaml', (o) => {
        o.spec.destinations = o.spec.destinations.filter((d: any) => d.namespace !== 'shop');
        o.spec.clusterResourceWhitelist = o.spec.clusterResourceWhitelist.filter((k: any) => k.kind !== 'Namespace');
      });
      edit('argocd/AppProject.cdk8s-stateful.yaml', (o) => { o.spec.destinations = []; });
      const problems = argoProblems(root).join('\n');
      expect(problems).toMatch(/cdk8s-stateful-platform-c1: Role shop\/gitops-deployer: namespace shop is not permitted in project 'cdk8s-stateful-platform'/);
      expect(problems).toMatch(/cdk8s-stateful-platform-c1: Namespace shop: resource :Namespace is not permitted in project cdk8s-stateful-platform/);
      expect(problems).toMatch(/cdk8s-stateful-shop: application destination server '.*' and namespace 'shop' do not match any of the allowed destinations in project 'cdk8s-stateful'/);
    });

    test('an AppProject in wave 0, after the Applications it permits (the layout of before)', () => {
      edit('argocd/AppProject.cdk8s-stateful-platform.yaml', (o) => { delete o.metadata.annotations; });
      expect(argoProblems(root).join('\n')).toMatch(/cdk8s-stateful-platform-c1: its project cdk8s-stateful-platform syncs in wave 0, not before the Application's wave -1/);
    });

    test('a PreSync migration hook in the Application that creates its database, unprotected data', () => {
      edit('rendered/shop/shop/Job.db-migrate.yaml', (o) => { o.metadata.annotations['argocd.argoproj.io/hook'] = 'PreSync'; });
      edit('rendered/shop/shop/Cluster.db.yaml', (o) => { delete o.metadata.annotations; });
      edit('rendered/shop/shop/Deployment.api.yaml', (o) => { delete o.metadata.annotations; });
      const problems = argoProblems(root).join('\n');
      expect(problems).toMatch(/Job shop\/db-migrate runs before its database Cluster shop\/db is healthy/);
      expect(problems).toMatch(/Cluster shop\/db: data object may be pruned/);
      expect(problems).toMatch(/Cluster shop\/db: data object deleted with its Application \(no Delete=false\)/);
      expect(problems).toMatch(/Deployment shop\/api may start before data object Cluster shop\/db/);
      expect(fluxProblems(root, 'c1').join('\n')).toMatch(/data object Cluster shop\/db may be pruned/);
    });
  });

  test('the checks can fail: a RabbitMQ User in the layer and wave of the ExternalSecret writing its Secret, the Secret unlabelled', () => {
    const root = smallApp(Tier.PRODUCTION, (chart) => {
      new MessageQueue(chart, 'Mq', {
        name: 'mq',
        engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
        queues: [{ name: 'orders' }],
        users: [{ name: 'worker', permissions: [{ name: 'orders', access: QueueAccess.CONSUME }] }],
      });
    });
    const edit = (file: string, f: (o: any) => void) => {
      const abs = path.join(root, OUT, file);
      const o = YAML.parse(fs.readFileSync(abs, 'utf8'));
      f(o);
      fs.writeFileSync(abs, YAML.stringify(o));
    };
    // the layout of before: User and Permission in the data layer and its wave, the Secret without the label
    const moved = YAML.parse(fs.readFileSync(path.join(root, OUT, 'layers/shop/migrate/kustomization.yaml'), 'utf8')).resources;
    expect(moved.map((r: string) => path.posix.basename(r)).sort()).toEqual(['Permission.mq-user-worker-permissions.yaml', 'User.mq-user-worker.yaml']);
    edit('layers/shop/data/kustomization.yaml', (o) => { o.resources.push(...moved); });
    edit('layers/shop/migrate/kustomization.yaml', (o) => { o.resources = []; });
    edit('rendered/shop/shop/User.mq-user-worker.yaml', (o) => { delete o.metadata.annotations; });
    edit('rendered/shop/shop/ExternalSecret.mq-worker.yaml', (o) => { delete o.spec.target.template.metadata; });
    const flux = fluxProblems(root, 'c1').join('\n');
    expect(flux).toMatch(/the admission of User shop\/mq-user-worker reads Secret mq-worker, which ExternalSecret shop\/mq-worker \(flux-system\/shop-data\) may not have written yet/);
    expect(flux).toMatch(/ExternalSecret shop\/mq-worker writes Secret mq-worker without label rabbitmq.com\/topology-operator: "true"/);
    const argo = argoProblems(root).join('\n');
    expect(argo).toMatch(/User shop\/mq-user-worker: its admission reads Secret mq-worker, which ExternalSecret shop\/mq-worker may not have written yet/);
    expect(argo).toMatch(/User shop\/mq-user-worker is refused: ExternalSecret shop\/mq-worker writes Secret mq-worker without label/);
  });
});
