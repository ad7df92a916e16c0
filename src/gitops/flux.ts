import { FLUX_PRUNE_ANNOTATION, FLUX_PRUNE_DISABLED, fluxHealthCheckExprs, resourceOf } from './data-objects';
import { DeploymentLayer } from './layers';
import type { RenderedFile } from './pipeline';
import { FluxOptions } from './wiring-options';
import type { Environment } from '../environment/environment';
import { renderValue, ValidationError } from '../errors/validation-error';
import { toYaml } from '../private/canonical';
import { engineKinds } from '../private/kind-registry';
import { isClusterScoped } from '../private/kinds';
import { hasUrlPassword, isDnsLabel, isDnsSubdomain, isRepositoryFolder, maskUrlPassword } from '../private/names';
import { MIGRATION_DEADLINE_SECONDS, requireOwnNamespace } from '../private/workload';

/**
 * The annotations of an environment's deployer ServiceAccount, Role and RoleBinding: never pruned. When an environment
 * leaves the app, its Kustomizations are deleted, and each one's finalizer deletes what it applied (its data-bearing
 * objects and Namespace excepted) as the environment's ServiceAccount, with its Role: gone at once, the account made
 * the finalizer skip the collection (`CanImpersonate` false), a Role or binding gone made it fail on every retry.
 * They stay behind (three small objects, in `flux-system` and the environment's Namespace, which stays too): delete
 * them by hand once the Kustomizations are gone.
 */
export const DEPLOYER_KEPT: Readonly<Record<string, string>> = Object.freeze({ [FLUX_PRUNE_ANNOTATION]: FLUX_PRUNE_DISABLED });

/** Name of the deployer Role (and the prefix of the ServiceAccounts Flux impersonates). */
export const DEPLOYER_SERVICE_ACCOUNT = 'gitops-deployer';

/**
 * The resources, per API group (sorted), of every namespaced kind this library's constructs render in an
 * environment namespace: the core kinds below and the kinds the engines and secret sources declare
 * (`engineKinds`). The deployer Role keeps `get` and `delete` on all of them, whether the environment renders
 * them now or not: the platform layer (and with it the Role of the new revision) is applied before the layers
 * prune, and kustomize-controller prunes an object that left the output by reading it first (fluxcd/pkg
 * `ssa/manager_delete.go` `Delete`: a GET, then the `prune: disabled` check, then the DELETE). Without the
 * grant, the last database, queue, backup or Job of its kind leaving an environment would fail that prune,
 * and every later one: kustomize-controller keeps an object it failed to prune in its inventory, so the
 * layer never becomes Ready again and the layers that depend on it never apply. Secrets and volume claims
 * are not here: the library renders neither, and `get` on Secrets would read every credential of the
 * namespace. `test/robustness/network-rbac.test.ts` holds every kind the engines render to this list.
 */
export function prunableResources(): ReadonlyArray<readonly [string, readonly string[]]> {
  if (prunable === undefined) {
    const byGroup = new Map<string, Set<string>>(CORE_PRUNABLE.map(([g, names]) => [g, new Set(names)]));
    for (const { group, kind } of engineKinds()) {
      if (!isClusterScoped(kind)) byGroup.set(group, (byGroup.get(group) ?? new Set<string>()).add(resourceOf(kind)));
    }
    prunable = [...byGroup].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([g, names]) => [g, [...names].sort()] as const);
  }
  return prunable;
}

/** The core kinds (and the Prometheus operator's) the library renders in a namespace, as resources. */
const CORE_PRUNABLE: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['', ['configmaps', 'serviceaccounts', 'services']],
  ['apps', ['deployments', 'statefulsets']],
  ['batch', ['cronjobs', 'jobs']],
  ['monitoring.coreos.com', ['podmonitors', 'prometheusrules']],
  ['networking.k8s.io', ['networkpolicies']],
  ['policy', ['poddisruptionbudgets']],
  ['rbac.authorization.k8s.io', ['rolebindings', 'roles']],
];
let prunable: ReadonlyArray<readonly [string, readonly string[]]> | undefined;

/** Namespace Flux runs in: the one namespace that exists when `flux bootstrap` applies `clusters/<cluster>/`. */
export const FLUX_NAMESPACE = 'flux-system';

/**
 * The ServiceAccount (in `flux-system`) an environment's Kustomizations impersonate; a RoleBinding
 * in the environment's namespace grants it the deployer Role there, and nothing anywhere else.
 */
export function deployerServiceAccount(environment: string, options: FluxOptions = {}): string {
  return `${DEPLOYER_SERVICE_ACCOUNT}-${fluxName(options, environment)}`;
}

/**
 * The name of a Flux object of this app in `flux-system`: `<flux.name>-<base>`, or `base` without a name. Two apps
 * deploying to one cluster need distinct names: their Kustomizations would otherwise be one object, re-applied by
 * each app's bootstrap path with its own `spec.path`, and kustomize-controller prunes what the path it switched from
 * held (fluxcd/kustomize-controller `deleteObjects`: the objects labelled with the Kustomization's name and namespace).
 */
export function fluxName(options: FluxOptions, base: string): string {
  return options.name === undefined ? base : `${options.name}-${base}`;
}

/**
 * The account kustomize-controller runs as (bound to cluster-admin by Flux's install). Under the
 * multi-tenancy lockdown (`--default-service-account`) a Kustomization without a ServiceAccount runs
 * as the namespace's `default` account, so the platform layer names this one, as Flux's lockdown
 * guide does for the `flux-system` Kustomization.
 */
const PLATFORM_SERVICE_ACCOUNT = 'kustomize-controller';

/** One object of an environment layer (what the wiring needs to know about it). */
export interface LayeredManifest {
  readonly environment?: string;
  readonly layer: DeploymentLayer;
  readonly manifest: any;
}

function joinPath(prefix: string, rel: string): string {
  const p = prefix.replace(/\/+$/, '');
  return `${p === '' || p === '.' ? '.' : p.startsWith('./') ? p : `./${p}`}/${rel}`;
}

/** The clusters of `environments`, sorted. */
function clustersOf(environments: Environment[]): string[] {
  return [...new Set(environments.map((e) => e.cluster))].sort();
}

/** The environments of `cluster`, by name. */
function environmentsOf(environments: Environment[], cluster: string): Environment[] {
  return environments.filter((e) => e.cluster === cluster).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * What Flux's own objects need of the environments: none in `flux-system` (its default-deny NetworkPolicy
 * would cut the controllers off from Git and the API server, the Kustomizations would live in a namespace
 * a child manages, and the deployer could run Jobs as kustomize-controller), and no two Kustomizations of
 * a cluster under one name (`platform`, `<env>-data`, `<env>-migrate`, `<env>`).
 */
function checkFluxNames(environments: readonly Environment[], options: FluxOptions): void {
  // its Kustomizations would also live in a namespace they prune
  const reserved = new Map([[FLUX_NAMESPACE, `Flux's ${FLUX_NAMESPACE}`]]);
  for (const env of environments) requireOwnNamespace('/', `environments["${env.name}"].namespace`, env.namespace, reserved);
  for (const cluster of clustersOf([...environments])) {
    const owner = new Map<string, string>([[fluxName(options, 'platform'), 'the platform layer']]);
    for (const env of environmentsOf([...environments], cluster)) {
      for (const name of [env.name, `${env.name}-data`, `${env.name}-migrate`].map((n) => fluxName(options, n))) {
        const other = owner.get(name);
        if (other !== undefined) {
          throw new ValidationError({
            code: 'CONFLICTING_DEFINITION',
            path: '/',
            property: 'environments',
            value: JSON.stringify(env.name),
            allowed: `environment names whose Flux Kustomizations on cluster "${cluster}" differ: "${name}" is already the Kustomization of ${other} `
              + `(each environment has \`<env>\`, \`<env>-data\` and \`<env>-migrate\`, beside \`platform\`${options.name !== undefined ? `, each prefixed with "${options.name}-"` : ''}); rename one`,
          });
        }
        owner.set(name, `environment "${env.name}"`);
      }
    }
  }
}

/** One Kustomization of an environment: its layer, the Kustomization it waits for, its timeout. */
interface EnvironmentLayer {
  readonly name: string;
  readonly layer: DeploymentLayer;
  readonly dependsOn: string;
  readonly timeout: string;
}

/** An environment's Kustomizations, each after the one before (`mine`: the environment's objects, for its migration layer). */
function environmentLayers(env: Environment, mine: readonly LayeredManifest[], options: FluxOptions): EnvironmentLayer[] {
  const hasMigration = mine.some((o) => o.layer === DeploymentLayer.MIGRATION);
  const n = (base: string) => fluxName(options, base);
  return [
    // a first start (initdb, broker formation, a Kafka cluster) takes minutes
    { name: n(`${env.name}-data`), layer: DeploymentLayer.DATA, dependsOn: n('platform'), timeout: '30m' },
    ...(hasMigration
      ? [{ name: n(`${env.name}-migrate`), layer: DeploymentLayer.MIGRATION, dependsOn: n(`${env.name}-data`), timeout: `${Math.ceil(MIGRATION_DEADLINE_SECONDS / 60) + 5}m` }]
      : []),
    { name: n(env.name), layer: DeploymentLayer.APPS, dependsOn: n(hasMigration ? `${env.name}-migrate` : `${env.name}-data`), timeout: '15m' },
  ];
}

/**
 * The order in which a cluster's Kustomizations become Ready, as `renderFluxWiring` renders them: per
 * cluster, `platform`, then per environment its chain of layers (the environments' chains side by side).
 */
export function fluxApplyOrder(
  environments: Environment[], objects: readonly LayeredManifest[], options: FluxOptions = {},
): Array<{ cluster: string; platform: string; environments: string[][] }> {
  const namesOf = (env: Environment) => environmentLayers(env, objects.filter((o) => o.environment === env.name), options).map((l) => l.name);
  return clustersOf(environments).map((cluster) => ({ cluster, platform: fluxName(options, 'platform'), environments: environmentsOf(environments, cluster).map(namesOf) }));
}

/** A folder of the output as a Flux `path` in the repository (`./<repositoryPath>/<rel>`), as the wiring writes it. */
export function fluxPath(options: FluxOptions, rel: string): string {
  return joinPath(options.repositoryPath ?? './', rel);
}

function checkRef(property: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0 || /[\s~^:?*[\\]|\.\.|^-/.test(value))) {
    throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property, value: renderValue(value), allowed: 'a non-empty Git ref name without whitespace' });
  }
}

/**
 * Flux wiring, one folder per cluster (`clusters/<cluster>/`, the path given to `flux bootstrap`).
 * Everything in it lives in `flux-system`, the one namespace that exists when bootstrap applies the
 * folder, and every source reference stays in that namespace: it applies in one pass, also under
 * Flux's multi-tenancy lockdown (`--no-cross-namespace-refs`, `--default-service-account`).
 *
 * - the source (a GitRepository when `repositoryUrl` is given, with `secretRef`; per environment one
 *   on its environment branch with `environmentBranches`);
 * - a ServiceAccount per environment, impersonated by that environment's Kustomizations; the
 *   platform layer binds it to the deployer Role in the environment's namespace only;
 * - `platform` (`platform/<cluster>/`: Namespaces, StorageClasses, the deployer Roles), as
 *   kustomize-controller;
 * - per environment `<env>-data` (`layers/<env>/data/`) after `platform`, Ready only when its objects
 *   are (`wait` and `healthCheckExprs` for the operators' kinds); `<env>-migrate`
 *   (`layers/<env>/migrate/`, the schema migration Jobs) after the data layer, when there is one;
 *   `<env>` (`layers/<env>/apps/`) last. Each prunes what Git no longer holds (data-bearing objects
 *   are annotated `kustomize.toolkit.fluxcd.io/prune: disabled`), sets the target namespace and
 *   impersonates the environment's ServiceAccount.
 */
export function renderFluxWiring(environments: Environment[], options: FluxOptions, objects: LayeredManifest[] = []): RenderedFile[] {
  const sourceName = options.sourceName ?? 'gitops';
  const sourceKind = options.sourceKind ?? 'GitRepository';
  if (!['GitRepository', 'OCIRepository', 'Bucket'].includes(sourceKind)) {
    throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'flux.sourceKind', value: JSON.stringify(sourceKind), allowed: 'GitRepository, OCIRepository or Bucket' });
  }
  // Flux's GitRepository accepts URLs only (no scp-like `git@host:path`: use ssh://git@host/path)
  if (options.repositoryUrl !== undefined && (!/^(https:\/\/|ssh:\/\/)[^\s]+$/.test(options.repositoryUrl) || hasUrlPassword(options.repositoryUrl))) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path: '/',
      property: 'flux.repositoryUrl',
      value: renderValue(maskUrlPassword(options.repositoryUrl)),
      allowed: 'an https:// or ssh:// Git URL (ssh://git@host/path, not git@host:path) without a password: credentials go in the GitRepository\'s secretRef',
    });
  }
  if (!isDnsSubdomain(sourceName)) {
    throw new ValidationError({ code: 'INVALID_NAME', path: '/', property: 'flux.sourceName', value: renderValue(sourceName), allowed: 'a DNS-1123 subdomain naming the Flux source' });
  }
  for (const [property, value] of [['branch', options.branch], ['repositoryPath', options.repositoryPath]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || /\s/.test(value))) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: `flux.${property}`, value: renderValue(value), allowed: 'a non-empty string without whitespace' });
    }
  }
  if (options.repositoryPath !== undefined && !isRepositoryFolder(options.repositoryPath)) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path: '/',
      property: 'flux.repositoryPath',
      value: renderValue(options.repositoryPath),
      allowed: 'the output\'s folder relative to the repository root (e.g. "./dist"), without a leading / or a .. segment: Flux reads `spec.path` '
        + 'inside the source artifact only (a leading / is dropped, .. stops at the root), so it would read another folder',
    });
  }
  if (options.secretRef !== undefined && !isDnsSubdomain(options.secretRef)) {
    throw new ValidationError({ code: 'INVALID_NAME', path: '/', property: 'flux.secretRef', value: renderValue(options.secretRef), allowed: 'the name of a Secret in flux-system (a DNS-1123 subdomain)' });
  }
  if (options.secretRef !== undefined && options.repositoryUrl === undefined) {
    throw new ValidationError({ code: 'UNSUPPORTED', path: '/', property: 'flux.secretRef', value: renderValue(options.secretRef), allowed: 'a secretRef together with repositoryUrl (an existing source keeps its own credentials)' });
  }
  const envBranches = options.environmentBranches === true;
  const prefix = options.environmentBranchPrefix ?? 'env/';
  checkRef('flux.environmentBranchPrefix', options.environmentBranchPrefix);
  if (envBranches && (options.repositoryUrl === undefined || sourceKind !== 'GitRepository')) {
    throw new ValidationError({
      code: 'UNSUPPORTED',
      path: '/',
      property: 'flux.environmentBranches',
      value: 'true',
      allowed: 'environment branches with repositoryUrl (a GitRepository per environment branch is rendered)',
    });
  }
  const interval = options.interval ?? '10m';
  if (typeof interval !== 'string' || !/^([0-9]+(ms|s|m|h))+$/.test(interval)) {
    throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'flux.interval', value: JSON.stringify(interval), allowed: 'a duration such as "10m"' });
  }
  if (options.name !== undefined && !isDnsLabel(options.name)) {
    throw new ValidationError({
      code: 'INVALID_NAME',
      path: '/',
      property: 'flux.name',
      value: renderValue(options.name),
      allowed: 'a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters) prefixing this app\'s Kustomizations and ServiceAccounts in flux-system',
    });
  }
  checkFluxNames(environments, options);
  const sourceRef = (name: string) => ({ kind: sourceKind, name });
  const gitRepository = (name: string, branch: string) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace: FLUX_NAMESPACE },
    spec: {
      interval: '5m',
      url: options.repositoryUrl,
      ref: { branch },
      ...(options.secretRef ? { secretRef: { name: options.secretRef } } : {}),
    },
  });
  const kustomization = (name: string, spec: any) => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: FLUX_NAMESPACE },
    spec: { interval, retryInterval: '2m', prune: true, wait: true, ...spec },
  });
  const files: RenderedFile[] = [];
  for (const cluster of clustersOf(environments)) {
    const dir = `clusters/${cluster}`;
    const file = (obj: any) => files.push({ path: `${dir}/${obj.kind}.${obj.metadata.name}.yaml`, content: toYaml(obj) });
    if (options.repositoryUrl) file(gitRepository(sourceName, options.branch ?? 'main'));
    file(kustomization(fluxName(options, 'platform'), {
      path: fluxPath(options, `platform/${cluster}`),
      timeout: '10m',
      serviceAccountName: PLATFORM_SERVICE_ACCOUNT,
      sourceRef: sourceRef(sourceName),
    }));
    for (const env of environmentsOf(environments, cluster)) {
      const account = deployerServiceAccount(env.name, options);
      file({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        // never pruned: removing an environment deletes its Kustomizations and this account in one apply, and a
        // Kustomization's finalizer skips its garbage collection when the account it impersonates is gone
        // (kustomize-controller `finalize`: `CanImpersonate` false, "skiping pruning, failed to find account to
        // impersonate"), which left every object of the environment running, unmanaged (see `DEPLOYER_KEPT`)
        metadata: { name: account, namespace: FLUX_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' }, annotations: DEPLOYER_KEPT },
        // impersonated by kustomize-controller, never mounted by a pod
        automountServiceAccountToken: false,
      });
      let envSource = sourceName;
      if (envBranches) {
        envSource = `${sourceName}-${env.name}`;
        file(gitRepository(envSource, `${prefix}${env.name}`));
      }
      const mine = objects.filter((o) => o.environment === env.name);
      for (const l of environmentLayers(env, mine, options)) {
        const exprs = fluxHealthCheckExprs(mine.filter((o) => o.layer === l.layer).map((o) => o.manifest));
        file(kustomization(l.name, {
          path: fluxPath(options, `layers/${env.name}/${l.layer}`),
          timeout: l.timeout,
          targetNamespace: env.namespace,
          serviceAccountName: account,
          dependsOn: [{ name: l.dependsOn }],
          sourceRef: sourceRef(envSource),
          ...(exprs.length > 0 ? { healthCheckExprs: exprs } : {}),
        }));
      }
    }
  }
  return files;
}
