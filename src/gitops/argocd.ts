import { OutputLayout } from './output-layout';
import type { RenderedFile } from './pipeline';
import { PlatformOperator } from './platform-operator';
import { ArgoCdOptions } from './wiring-options';
import type { Environment } from '../environment/environment';
import { renderValue, ValidationError } from '../errors/validation-error';
import { toYaml } from '../private/canonical';
import { argoCdIgnoreDifferences } from '../private/kind-registry';
import { apiGroup, isClusterScoped } from '../private/kinds';
import { hasUrlPassword, isDnsLabel, isDnsSubdomain, isRepositoryFolder, maskUrlPassword } from '../private/names';
import { requireOwnNamespace } from '../private/workload';

/** Whether an object holds data (the shared predicate; Argo CD gets `Prune=false` on these). */
export { isDataBearing } from './data-objects';

/** Sync wave of an environment's applications: after the data objects (0) and the migrations (1). */
export { APPS_SYNC_WAVE } from '../private/sync-waves';

/** A rendered object, as the Argo CD wiring reads it: its environment (none: a platform layer) and cluster. */
export interface ArgoCdObject {
  readonly environment?: string;
  readonly cluster: string;
  readonly manifest: any;
}

/**
 * The kustomize settings of an operator built from a Git folder: its pinned images, and its Namespace
 * objects deleted. Argo CD creates the namespace (`CreateNamespace=true`): two operators of one
 * namespace (RabbitMQ's cluster and topology operators both hold `rabbitmq-system`) would otherwise
 * track the same Namespace from two Applications and re-apply it in turn.
 */
function kustomizeOfOperator(op: PlatformOperator): object {
  return {
    ...(op.images.length > 0 ? { images: op.images } : {}),
    patches: [{ target: { kind: 'Namespace' }, patch: '$patch: delete\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n' }],
  };
}

/**
 * The kinds the platform layers render (`platform/<cluster>/`), by what renders them: environments (Namespace,
 * StorageClass), the Flux wiring (the deployer Role and RoleBinding), the policy exports (Kyverno ClusterPolicy,
 * Kyverno ValidatingPolicy, ValidatingAdmissionPolicy and its binding). The platform AppProject permits all of them
 * at all times, so that one no longer rendered is still pruned.
 */
const PLATFORM_CLUSTER_KINDS = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' },
  { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy' },
  { apiVersion: 'policies.kyverno.io/v1', kind: 'ValidatingPolicy' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding' },
];
const PLATFORM_NAMESPACED_KINDS = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
];

/**
 * Whether an operator's Application prunes only once a person confirms it (`Prune=confirm`): every
 * operator but a chart of CRDs only (never pruned). Their charts and release folders hold their CRDs.
 */
export function prunesOnConfirmation(op: PlatformOperator): boolean {
  return !op.crdsOnly;
}

/**
 * Argo CD wiring in `argocd/` (the AppProjects a sync wave before every Application): an AppProject for the platform layers (exactly the kinds they render, namespaced
 * ones in the namespaces they are rendered in: `objects`) and one for the applications (namespaced kinds only, destinations = the environments'
 * namespaces); an Application per cluster platform (sync wave -1, server-side apply for large
 * CRDs) and per environment (wave 1), automated with prune and self-heal; known operator-defaulted
 * fields of the kinds an environment renders ignored. Inside an environment's Application the data objects sync first (wave 0, Argo CD
 * waits for their health), the schema migrations next (a `Sync` hook in wave 1), the applications
 * last (wave 2). With `environmentBranches` an environment's Application follows its branch.
 */
export function renderArgoCdWiring(
  environments: Environment[], options: ArgoCdOptions, layout: OutputLayout, operators: PlatformOperator[] = [],
  objects: readonly ArgoCdObject[] = [],
): RenderedFile[] {
  const name = options.name ?? 'cdk8s-stateful';
  const ns = options.namespace ?? 'argocd';
  if (!isDnsSubdomain(name)) throw new ValidationError({ code: 'INVALID_NAME', path: '/', property: 'argoCd.name', value: JSON.stringify(name), allowed: 'a DNS-1123 subdomain' });
  if (typeof options.repositoryUrl !== 'string' || !/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/.test(options.repositoryUrl) || hasUrlPassword(options.repositoryUrl)) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path: '/',
      property: 'argoCd.repositoryUrl',
      value: renderValue(maskUrlPassword(options.repositoryUrl)),
      allowed: 'an https:// or ssh:// Git URL without a password (credentials go in an Argo CD repository Secret)',
    });
  }
  if (!isDnsLabel(ns)) throw new ValidationError({ code: 'INVALID_NAME', path: '/', property: 'argoCd.namespace', value: renderValue(ns), allowed: 'the namespace Argo CD runs in (a DNS-1123 label)' });
  // an environment's namespace gets a default-deny NetworkPolicy and only its own workloads' policies: Argo CD's or an
  // operator's namespace would be cut off (and removing the environment would leave theirs with its objects)
  const reserved = new Map<string, string>([[ns, 'Argo CD\'s'], ...operators.map((o): [string, string] => [o.namespace, `operator ${o.name}'s`])]);
  for (const env of environments) requireOwnNamespace('/', `environments["${env.name}"].namespace`, env.namespace, reserved);
  for (const [property, value] of [
    ['targetRevision', options.targetRevision], ['repositoryPath', options.repositoryPath], ['environmentBranchPrefix', options.environmentBranchPrefix],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || /\s/.test(value))) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: `argoCd.${property}`, value: renderValue(value), allowed: 'a non-empty string without whitespace' });
    }
  }
  if (options.repositoryPath !== undefined && !isRepositoryFolder(options.repositoryPath)) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path: '/',
      property: 'argoCd.repositoryPath',
      value: renderValue(options.repositoryPath),
      allowed: 'the output\'s folder relative to the repository root (e.g. "dist"), without a leading / or a .. segment: Argo CD refuses an '
        + 'absolute `source.path` and one outside the checkout, so no Application would sync',
    });
  }
  const destinations = options.destinations ?? {};
  const clusters = [...new Set(environments.map((e) => e.cluster))].sort();
  for (const cluster of clusters) {
    const server = destinations[cluster];
    if (typeof server !== 'string' || !/^https:\/\/[^\s]+$/.test(server) || hasUrlPassword(server)) {
      throw new ValidationError({
        code: 'MISSING_DESTINATION',
        path: '/',
        property: `argoCd.destinations["${cluster}"]`,
        value: renderValue(maskUrlPassword(server)),
        allowed: `the API server URL of cluster "${cluster}" (environments ${environments.filter((e) => e.cluster === cluster).map((e) => e.name).join(', ')} deploy there)`,
      });
    }
  }
  const prefix = (options.repositoryPath ?? '.').replace(/\/+$/, '').replace(/^\.\//, '');
  const at = (rel: string) => (prefix === '' || prefix === '.' ? rel : `${prefix}/${rel}`);
  const revision = options.targetRevision ?? 'HEAD';
  const files: RenderedFile[] = [];
  // the AppProjects sync a wave before every Application. An app of apps syncs argocd/ wave by wave and, with the
  // Application health check Argo CD documents for it, waits for each child to be healthy; a child whose project does not
  // exist yet, or does not yet permit its repository or destination, is reported health Unknown (controller/appcontroller.go
  // processAppRefreshQueueItem after refreshAppConditions, util/argo/argo.go ValidatePermissions), which a sync wave waits
  // on without end (gitops-engine/pkg/sync/sync_context.go: only Healthy succeeds, only Degraded fails; no sync timeout by
  // default). In wave 0, the projects came after the operators (-3, -2) and platform (-1) Applications: a first
  // deployment, a new cluster or a new repository URL never got past them. An AppProject has no health check: done once applied
  const projectWave = { 'argocd.argoproj.io/sync-wave': String(Math.min(-1, ...operators.map((o) => o.syncWave)) - 1) };
  const sync = { automated: { prune: true, selfHeal: true }, retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } };

  // least privilege: exactly the kinds the platform layers render, namespaced ones only in the namespaces they
  // name. Argo CD checks each object's group and kind against the whitelists (cluster-scoped: listed or refused;
  // namespaced: a nil whitelist allows all, so none is a blacklist of all) and a namespaced object's namespace
  // against the destinations; the Application's own destination (no namespace) must match one too
  // (argo-cd app_project_types.go IsGroupKindNamePermitted, IsDestinationPermitted; controller/sync.go
  // validateSyncPermissions). A destination without namespace matches only the empty namespace (gobwas/glob:
  // an empty pattern matches the empty string only).
  const platform = objects.filter((o) => o.environment === undefined && clusters.includes(o.cluster));
  const clusterWide = (m: any) => isClusterScoped(m.kind) || typeof m.metadata?.namespace !== 'string' || m.metadata.namespace === '';
  const kindsOf = (ms: any[]) => [...new Map(ms.map((m) => [`${apiGroup(m.apiVersion)}/${m.kind}`, { group: apiGroup(m.apiVersion), kind: m.kind }])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, gk]) => gk);
  // every kind the platform layers may hold, whether rendered now or not: Argo CD leaves a live object whose kind the
  // project no longer permits out of the comparison (controller/state.go: "filter out all resources which are not
  // permitted in the application project"), so it would never be pruned. Stopping a policy export (its ClusterPolicies,
  // ValidatingPolicies, ValidatingAdmissionPolicies) or the last StorageClass would leave them enforcing, unmanaged
  const namespaced = kindsOf([...PLATFORM_NAMESPACED_KINDS, ...platform.map((o) => o.manifest).filter((m) => !clusterWide(m))]);
  const clusterKinds = kindsOf([...PLATFORM_CLUSTER_KINDS, ...platform.map((o) => o.manifest).filter(clusterWide)]);
  files.push({
    path: `argocd/AppProject.${name}-platform.yaml`,
    content: toYaml({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: `${name}-platform`, namespace: ns, annotations: projectWave },
      spec: {
        description: 'Platform layers: the cluster-scoped prerequisites of the environments (namespaces, storage classes) and what they render in the environments\' namespaces',
        sourceRepos: [options.repositoryUrl],
        destinations: clusters.flatMap((c) => [
          { server: destinations[c] },
          ...[...new Set(platform.filter((o) => o.cluster === c && !clusterWide(o.manifest)).map((o): string => o.manifest.metadata.namespace))]
            .sort().map((n) => ({ server: destinations[c], namespace: n })),
        ]),
        clusterResourceWhitelist: clusterKinds,
        namespaceResourceWhitelist: namespaced,
      },
    }),
  });
  files.push({
    path: `argocd/AppProject.${name}.yaml`,
    content: toYaml({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name, namespace: ns, annotations: projectWave },
      spec: {
        description: 'Application layers: namespaced objects in the environments\' namespaces only',
        sourceRepos: [options.repositoryUrl],
        destinations: environments.map((e) => ({ server: destinations[e.cluster], namespace: e.namespace })),
        namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    }),
  });
  if (operators.length > 0) {
    const seen = new Set<string>();
    for (const op of operators) {
      if (seen.has(op.name)) throw new ValidationError({ code: 'DUPLICATE', path: '/', property: 'operators', value: JSON.stringify(op.name), allowed: 'each operator once' });
      seen.add(op.name);
    }
    // operators install CRDs, cluster roles and webhooks: their own project, cluster-scoped kinds allowed
    files.push({
      path: `argocd/AppProject.${name}-operators.yaml`,
      content: toYaml({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: `${name}-operators`, namespace: ns, annotations: projectWave },
        spec: {
          description: 'Operators the data services need, from their Helm charts or Git repositories at pinned versions',
          sourceRepos: [...new Set(operators.map((o) => o.repositoryUrl.replace(/^oci:\/\//, '')))].sort(),
          destinations: [...new Set(operators.map((o) => o.namespace))].sort()
            .flatMap((n) => clusters.map((c) => ({ server: destinations[c], namespace: n }))),
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
          namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
        },
      }),
    });
    for (const cluster of clusters) {
      for (const op of operators) {
        const oci = op.repositoryUrl.startsWith('oci://');
        files.push({
          path: `argocd/Application.${name}-operator-${op.name}-${cluster}.yaml`,
          content: toYaml({
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            metadata: { name: `${name}-operator-${op.name}-${cluster}`, namespace: ns, annotations: { 'argocd.argoproj.io/sync-wave': String(op.syncWave) } },
            spec: {
              project: `${name}-operators`,
              // a chart, or a kustomize folder of a Git repository at a tag (its images pinned)
              source: op.path !== undefined
                ? { repoURL: op.repositoryUrl, targetRevision: op.version, path: op.path, kustomize: kustomizeOfOperator(op) }
                : {
                  repoURL: oci ? op.repositoryUrl.replace(/^oci:\/\//, '') : op.repositoryUrl,
                  chart: op.chart,
                  targetRevision: op.version,
                  helm: op.values ? { valuesObject: op.values, releaseName: op.name } : { releaseName: op.name },
                },
              destination: { server: destinations[cluster], namespace: op.namespace },
              // a chart of CRDs only is never pruned: a CRD left out of a later chart version would take every
              // object of its kind (the databases) with it; such a removal stays OutOfSync until done by hand.
              // The other operators' charts and folders template their CRDs too: what a new version or new values
              // stop rendering is pruned only once a person confirms it (`Prune=confirm`, Argo CD 3.4 and later;
              // the sync waits in Running, `argocd app confirm-deletion`), never by the automated sync alone
              syncPolicy: {
                ...sync,
                ...(op.crdsOnly ? { automated: { prune: false, selfHeal: true } } : {}),
                syncOptions: ['ServerSideApply=true', 'CreateNamespace=true', ...(prunesOnConfirmation(op) ? ['Prune=confirm'] : [])],
              },
            },
          }),
        });
      }
    }
  }
  for (const cluster of clusters) {
    files.push({
      path: `argocd/Application.${name}-platform-${cluster}.yaml`,
      content: toYaml({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: `${name}-platform-${cluster}`, namespace: ns, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
        spec: {
          project: `${name}-platform`,
          source: { repoURL: options.repositoryUrl, targetRevision: revision, path: at(`platform/${cluster}`), directory: { recurse: true } },
          destination: { server: destinations[cluster] },
          syncPolicy: { ...sync, syncOptions: ['ServerSideApply=true'] },
        },
      }),
    });
  }
  const envBranches = options.environmentBranches === true;
  const branchPrefix = options.environmentBranchPrefix ?? 'env/';
  for (const env of environments) {
    // an environment branch holds rendered/<env>/ only (publish --env-branches): no overlays there
    const kustomize = layout === OutputLayout.HYDRATED_AND_KUSTOMIZE && !envBranches;
    const path = kustomize ? at(`overlays/${env.name}`) : at(`rendered/${env.name}`);
    const envRevision = envBranches ? `${branchPrefix}${env.name}` : revision;
    files.push({
      path: `argocd/Application.${name}-${env.name}.yaml`,
      content: toYaml({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: `${name}-${env.name}`, namespace: ns, annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
        spec: {
          project: name,
          source: kustomize
            ? { repoURL: options.repositoryUrl, targetRevision: envRevision, path }
            : { repoURL: options.repositoryUrl, targetRevision: envRevision, path, directory: { recurse: true } },
          destination: { server: destinations[env.cluster], namespace: env.namespace },
          // ApplyOutOfSyncOnly: a sync applies what changed. Without it every sync applies every object: those
          // re-created on change (`Force=true,Replace=true`: mariadb-operator's Backup and PhysicalBackup) would be
          // deleted and re-created each time (a new full backup, a running backup Job killed), and a sync would wait
          // on the health of objects it did not change (a Backup reports Progressing while its nightly Job runs)
          syncPolicy: { ...sync, syncOptions: ['ApplyOutOfSyncOnly=true', 'ServerSideApply=true', 'PrunePropagationPolicy=foreground'] },
          // fields the operators default or manage, of the kinds this Application holds: ignored so Argo CD shows no drift
          ignoreDifferences: argoCdIgnoreDifferences(objects.filter((o) => o.environment === env.name).map((o) => o.manifest)),
        },
      }),
    });
  }
  return files;
}
