/* eslint-disable @stylistic/max-len */ // expectation tables read better on one line
import { ApiObject } from 'cdk8s';
import * as YAML from 'yaml';
import { buildPlatform } from '../../examples/platform/app';
import {
  DatabaseEngine, Environment, EnvironmentChart, EnvironmentOverlay, GitOpsApp, GitOpsAppProps, MessageQueue, OutputLayout, PlatformOperator, QueueAccess, QueueEngine,
  ReplicatedDatabase, SecretBackend, SecretSource, Tier,
} from '../../src';
import { ValidationError } from '../../src/errors';
import { describeWithCrds, sharedValidator } from '../util/crds';
import { describeWithKustomize, kustomizeBuild, normalise, readObjects } from '../util/kustomize';
import { tmpdir } from '../util/tmp';

const environments = () => [
  new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop-dev', cluster: 'nonprod' }),
  new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'prod' }),
];
const destinations = { nonprod: 'https://nonprod.example:6443', prod: 'https://kubernetes.default.svc' };

function render(props: Partial<GitOpsAppProps>) {
  const app = new GitOpsApp({ outdir: tmpdir(), ...props });
  new EnvironmentOverlay(app, 'shop', {
    environments: environments(),
    application: {
      define(chart: EnvironmentChart) {
        new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } });
        new ApiObject(chart, 'Db', { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' }, spec: { instances: 1, storage: { size: '1Gi' } } });
      },
    },
  });
  return app.render();
}
const parse = (out: ReturnType<typeof render>, prefix: string) => out.files.filter((f) => f.path.startsWith(prefix)).map((f) => ({ path: f.path, obj: YAML.parse(f.content) }));

describe('an environment\'s Namespace is never pruned (deleting it deletes its data, prune-disabled objects included)', () => {
  test('Flux: prune disabled; Argo CD: Prune=false; without wiring: neither', () => {
    const ns = (out: ReturnType<typeof render>) => out.objects.filter((o) => o.manifest.kind === 'Namespace').map((o) => [o.manifest.metadata.name, o.manifest.metadata.annotations]);
    expect(ns(render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git' } })).map(([, a]) => a))
      .toEqual([{ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' }, { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' }]);
    expect(ns(render({ argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: 'https://prod.example:6443', nonprod: 'https://nonprod.example:6443' } } }))
      .map(([, a]) => a)).toEqual([{ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' }, { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' }]);
    expect(ns(render({})).map(([, a]) => a)).toEqual([undefined, undefined]);
  });

  test('Argo CD: Prune=false,Delete=false join the sync options a data object already has (replacing a Prune= or Delete= option), they do not overwrite them', () => {
    const app = new GitOpsApp({ outdir: tmpdir(), argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations } });
    const chart = new EnvironmentChart(app, 'shop', { environment: environments()[1] });
    new ApiObject(chart, 'Db', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'db', annotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true, Prune=true,Delete=confirm,Replace=true' } },
      spec: { instances: 1, storage: { size: '1Gi' } },
    });
    const db = app.render().objects.find((o) => o.manifest.kind === 'Cluster')!;
    expect(db.manifest.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('ServerSideApply=true,Replace=true,Prune=false,Delete=false');
  });
});

describe('each output carries the annotations of the tool that applies it', () => {
  const repositoryUrl = 'https://git.example/acme/gitops.git';
  const argoCd = { repositoryUrl, destinations };
  const flux = { repositoryUrl };
  /** An app whose engines annotate for both tools: migration and grants Jobs, a RabbitMQ `User`, a mariadb-operator `Backup`. */
  function services(props: Partial<GitOpsAppProps>) {
    const app = new GitOpsApp({ outdir: tmpdir(), ...props });
    const env = new Environment({
      name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'prod', secretBackend: SecretBackend.externalSecrets({ store: 'vault', keyPrefix: 'shop' }),
    });
    const chart = new EnvironmentChart(app, 'shop', { environment: env });
    new ReplicatedDatabase(chart, 'Pg', {
      name: 'pg', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), migration: { image: 'ghcr.io/acme/migrations:1.0.0', command: ['migrate'] },
    });
    new ReplicatedDatabase(chart, 'Maria', {
      name: 'maria',
      engine: DatabaseEngine.mariadbOperator({ version: '11.4.5' }),
      backup: { schedule: '30 2 * * *', retentionDays: 14, destination: { destinationPath: 's3://acme-backups/shop', credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: 'backups/s3' }) } },
    });
    new MessageQueue(chart, 'Mq', {
      name: 'mq',
      engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }),
      queues: [{ name: 'orders' }],
      users: [{ name: 'worker', permissions: [{ name: 'orders', access: QueueAccess.CONSUME }] }],
    });
    return { app, out: app.render() };
  }
  const keys = (out: ReturnType<typeof render>, prefix: string) => out.objects
    .flatMap((o) => Object.keys(o.manifest.metadata.annotations ?? {}).filter((k) => k.startsWith(prefix)).map((k) => `${o.manifest.kind}/${o.manifest.metadata.name}: ${k}`));
  const annotationsOf = (out: ReturnType<typeof render>, kind: string, name: string) => out.objects.find((o) => o.manifest.kind === kind && o.manifest.metadata.name === name)!.manifest.metadata.annotations;

  test('Flux only: no Argo CD annotation anywhere; the Jobs and Backups are replaced on change; the User still after the data layer', () => {
    const { out } = services({ flux });
    expect(keys(out, 'argocd.argoproj.io/')).toEqual([]);
    expect(annotationsOf(out, 'Job', 'pg-migrate')).toEqual({ 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
    expect(annotationsOf(out, 'Job', 'pg-grants')).toEqual({ 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
    expect(annotationsOf(out, 'Backup', 'maria-backup')).toMatchObject({ 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
    expect(annotationsOf(out, 'User', 'mq-user-worker')).toBeUndefined();
    // the layers are read from the engines' own annotations, before the other tool's are removed
    const migrate = YAML.parse(out.files.find((f) => f.path === 'layers/prod/migrate/kustomization.yaml')!.content).resources;
    expect(migrate).toEqual(expect.arrayContaining([expect.stringMatching(/User\.mq-user-worker\.yaml$/), expect.stringMatching(/Job\.pg-migrate\.yaml$/), expect.stringMatching(/Job\.pg-grants\.yaml$/)]));
  });

  test('Argo CD only: no Flux annotation anywhere; hooks, waves and Force=true,Replace=true kept', () => {
    const { out } = services({ argoCd });
    expect(keys(out, 'kustomize.toolkit.fluxcd.io/')).toEqual([]);
    expect(annotationsOf(out, 'Job', 'pg-migrate')).toEqual({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation', 'argocd.argoproj.io/sync-wave': '1' });
    expect(annotationsOf(out, 'Backup', 'maria-backup')).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Force=true,Replace=true', 'argocd.argoproj.io/sync-wave': '3' });
    expect(annotationsOf(out, 'User', 'mq-user-worker')).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
  });

  test('both tools, or no wiring (either tool may be pointed at the output): both sets', () => {
    for (const props of [{ flux, argoCd }, {}]) {
      const { out } = services(props);
      expect(annotationsOf(out, 'Job', 'pg-migrate')).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
      expect(annotationsOf(out, 'Backup', 'maria-backup')).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Force=true,Replace=true', 'kustomize.toolkit.fluxcd.io/force': 'enabled' });
    }
  });

  test('Flux only, a re-synthesis from the rendering memo: the same files (the layers included)', () => {
    const outdir = tmpdir();
    const make = () => {
      const { app } = services({ outdir, flux });
      return app;
    };
    make().synthesize();
    const again = make().synthesize();
    expect(again.written).toEqual([]);
  });
});

describe('Flux wiring', () => {
  test('an environment in flux-system, or environments whose Kustomizations share a name on a cluster, fail early', () => {
    const flux = { repositoryUrl: 'https://git.example/acme/gitops.git' };
    const renderWith = (envs: Environment[]) => {
      const app = new GitOpsApp({ outdir: tmpdir(), flux });
      new EnvironmentOverlay(app, 'shop', {
        environments: envs,
        application: { define(chart: EnvironmentChart) { new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }); } },
      });
      return app.render();
    };
    const env = (name: string, namespace: string, cluster = 'c1') => new Environment({ name, tier: Tier.STAGING, namespace, cluster });
    expect(() => renderWith([env('stg', 'flux-system')])).toThrow(ValidationError);
    expect(() => renderWith([env('stg', 'flux-system')])).toThrow(/environments\["stg"\]\.namespace "flux-system": a namespace of its own, not Flux's flux-system/);
    expect(() => renderWith([env('platform', 'shop')])).toThrow(/"platform" is already the Kustomization of the platform layer/);
    expect(() => renderWith([env('prod', 'shop'), env('prod-data', 'shop-data')]))
      .toThrow(/on cluster "c1" differ: "prod-data" is already the Kustomization of environment "prod"/);
    // on different clusters the same names are fine
    expect(() => renderWith([env('prod', 'shop'), env('prod-data', 'shop-data', 'c2')])).not.toThrow();
  });

  test('Argo CD\'s namespace, an installed operator\'s, or a data service\'s operator namespace is no environment namespace', () => {
    const renderIn = (namespace: string, props: Partial<GitOpsAppProps>, define?: (chart: EnvironmentChart) => void) => {
      const app = new GitOpsApp({ outdir: tmpdir(), ...props });
      new EnvironmentOverlay(app, 'shop', {
        environments: [new Environment({ name: 'stg', tier: Tier.STAGING, namespace, cluster: 'prod' })],
        application: { define: define ?? ((chart: EnvironmentChart) => { new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }); }) },
      });
      return app.render();
    };
    const argoCd = { repositoryUrl: 'https://git.example/acme/gitops.git', destinations };
    expect(() => renderIn('argocd', { argoCd })).toThrow(/environments\["stg"\]\.namespace "argocd": a namespace of its own, not Argo CD's/);
    expect(() => renderIn('cnpg-system', { argoCd, operators: [PlatformOperator.cloudNativePg('0.26.1')] })).toThrow(/not operator cloudnative-pg's/);
    // with Flux (no operators in the output) the engine knows where its operator runs
    const flux = { repositoryUrl: 'https://git.example/acme/gitops.git' };
    expect(() => renderIn('cnpg-system', { flux }, (chart) => new ReplicatedDatabase(chart, 'Db', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }) })))
      .toThrow(/environment\.namespace "cnpg-system": a namespace of its own, not CloudNativePG's operator's \(the environment's default-deny NetworkPolicy would cut it off\)/);
    expect(() => renderIn('rabbitmq-system', { flux }, (chart) => new MessageQueue(chart, 'Mq', { engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }) })))
      .toThrow(/environment\.namespace "rabbitmq-system": a namespace of its own, not RabbitMQ.*'s operator's/);
  });

  test('per cluster, all in flux-system: source, deployer accounts, platform, then per environment a data layer and an apps layer', () => {
    const out = render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git', repositoryPath: './dist' }, layout: OutputLayout.HYDRATED_AND_KUSTOMIZE });
    const files = parse(out, 'clusters/');
    expect(files.map((f) => f.path)).toEqual([
      'clusters/nonprod/GitRepository.gitops.yaml', 'clusters/nonprod/Kustomization.dev-data.yaml', 'clusters/nonprod/Kustomization.dev.yaml',
      'clusters/nonprod/Kustomization.platform.yaml', 'clusters/nonprod/ServiceAccount.gitops-deployer-dev.yaml',
      'clusters/prod/GitRepository.gitops.yaml', 'clusters/prod/Kustomization.platform.yaml', 'clusters/prod/Kustomization.prod-data.yaml',
      'clusters/prod/Kustomization.prod.yaml', 'clusters/prod/ServiceAccount.gitops-deployer-prod.yaml',
    ]);
    // `flux bootstrap` applies this folder when only flux-system exists, and the lockdown refuses cross-namespace sources
    for (const f of files) expect({ path: f.path, ns: f.obj.metadata.namespace }).toEqual({ path: f.path, ns: 'flux-system' });
    for (const f of files.filter((x) => x.obj.kind === 'Kustomization')) expect(f.obj.spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'gitops' });
    const data = files.find((f) => f.path === 'clusters/prod/Kustomization.prod-data.yaml')!.obj;
    expect(data.metadata).toEqual({ name: 'prod-data', namespace: 'flux-system' });
    expect(data.spec).toMatchObject({
      path: './dist/layers/prod/data',
      prune: true,
      wait: true,
      targetNamespace: 'shop',
      serviceAccountName: 'gitops-deployer-prod',
      dependsOn: [{ name: 'platform' }],
    });
    const apps = files.find((f) => f.path === 'clusters/prod/Kustomization.prod.yaml')!.obj;
    expect(apps.spec).toMatchObject({ path: './dist/layers/prod/apps', dependsOn: [{ name: 'prod-data' }], serviceAccountName: 'gitops-deployer-prod' });
    const platform = files.find((f) => f.path === 'clusters/prod/Kustomization.platform.yaml')!.obj;
    // under --default-service-account a Kustomization without an account would run as flux-system/default
    expect(platform.spec).toMatchObject({ path: './dist/platform/prod', serviceAccountName: 'kustomize-controller' });
    expect(files.find((f) => f.path === 'clusters/prod/GitRepository.gitops.yaml')!.obj.spec.secretRef).toBeUndefined();
    const account = files.find((f) => f.path === 'clusters/prod/ServiceAccount.gitops-deployer-prod.yaml')!.obj;
    expect(account).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      automountServiceAccountToken: false,
      metadata: {
        name: 'gitops-deployer-prod',
        namespace: 'flux-system',
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' },
        // never pruned: a removed environment's Kustomizations' finalizers impersonate it to delete what they applied
        // (kustomize-controller `finalize` skips the collection when the account is gone)
        annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
      },
    });
    // the impersonated account may only touch the resources the environment renders, in its namespace
    const role = out.objects.find((o) => o.file === 'platform/prod/shop/Role.gitops-deployer.yaml')!.manifest;
    const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    const prune = ['get', 'delete'];
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs },
      // the environment's NetworkPolicies, the namespace default-deny included
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs },
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs },
      // and what a layer may have to prune once the last object of its kind leaves the environment: Flux reads
      // an object before it deletes it (or leaves it, when its prune is disabled), with the Role of the new revision
      { apiGroups: [''], resources: ['serviceaccounts', 'services'], verbs: prune },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: prune },
      { apiGroups: ['barmancloud.cnpg.io'], resources: ['objectstores'], verbs: prune },
      { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: prune },
      { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: prune },
      { apiGroups: ['k8s.mariadb.com'], resources: ['backups', 'databases', 'grants', 'mariadbs', 'physicalbackups', 'pointintimerecoveries', 'users'], verbs: prune },
      { apiGroups: ['kafka.strimzi.io'], resources: ['kafkanodepools', 'kafkas', 'kafkatopics', 'kafkausers'], verbs: prune },
      { apiGroups: ['monitoring.coreos.com'], resources: ['podmonitors', 'prometheusrules'], verbs: prune },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: prune },
      { apiGroups: ['postgresql.cnpg.io'], resources: ['backups', 'databaseroles', 'databases', 'imagecatalogs', 'poolers', 'scheduledbackups'], verbs: prune },
      { apiGroups: ['rabbitmq.com'], resources: ['bindings', 'exchanges', 'permissions', 'policies', 'queues', 'rabbitmqclusters', 'users', 'vhosts'], verbs: prune },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: prune },
    ]);
    expect(role.rules.some((r: any) => r.resources.includes('secrets') || r.resources.includes('persistentvolumeclaims'))).toBe(false);
    const binding = out.objects.find((o) => o.file === 'platform/prod/shop/RoleBinding.gitops-deployer.yaml')!.manifest;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'gitops-deployer-prod', namespace: 'flux-system' }]);
    // the Role and its binding stay with the account (a finalizer without them fails its collection on every retry)
    for (const o of [role, binding]) expect(o.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
  });

  test('data-bearing objects are never pruned by Flux; data layers are health-checked with the operators\' conditions', () => {
    const out = render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git' } });
    const cluster = out.objects.find((o) => o.manifest.kind === 'Cluster' && o.environment === 'prod')!.manifest;
    expect(cluster.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
    const cm = out.objects.find((o) => o.manifest.kind === 'ConfigMap' && o.environment === 'prod')!.manifest;
    expect(cm.metadata.annotations).toBeUndefined();
    // the layer holding the Cluster is Ready only when CloudNativePG reports it Ready
    const layer = parse(out, 'clusters/prod/Kustomization.prod.yaml')[0].obj;
    expect(layer.spec.wait).toBe(true);
    expect(layer.spec.healthCheckExprs).toEqual([expect.objectContaining({
      apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', current: "has(status.conditions) && status.conditions.exists(e, e.type == 'Ready' && e.status == 'True')",
    })]);
  });

  test('secretRef on the GitRepository; environment branches: one GitRepository per environment branch', () => {
    const out = render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git', secretRef: 'flux-system', environmentBranches: true } });
    const files = parse(out, 'clusters/prod/');
    const repos = files.filter((f) => f.obj.kind === 'GitRepository').map((f) => f.obj);
    expect(repos.map((r) => [r.metadata.name, r.spec.ref.branch, r.spec.secretRef])).toEqual([
      ['gitops-prod', 'env/prod', { name: 'flux-system' }],
      ['gitops', 'main', { name: 'flux-system' }],
    ]);
    const ks = Object.fromEntries(files.filter((f) => f.obj.kind === 'Kustomization').map((f) => [f.obj.metadata.name, f.obj.spec.sourceRef.name]));
    expect(ks).toEqual({ 'platform': 'gitops', 'prod-data': 'gitops-prod', 'prod': 'gitops-prod' });
    const custom = render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git', environmentBranches: true, environmentBranchPrefix: 'deploy-' } });
    expect(parse(custom, 'clusters/prod/GitRepository.gitops-prod').map((f) => f.obj.spec.ref.branch)).toEqual(['deploy-prod']);
  });

  test('two apps on one cluster: flux.name gives each its own Kustomizations and deployer accounts in flux-system (none shared)', () => {
    // every Flux object is in flux-system: two apps' `platform` (or same-named environments' layers) would be one object,
    // whose spec.path each app's bootstrap path re-applies, and kustomize-controller prunes what the other path held
    const wiring = (name: string | undefined) => {
      const out = render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git', repositoryPath: `./${name ?? 'x'}`, name } });
      return new Map([...parse(out, 'clusters/'), ...parse(out, 'platform/')].map(({ obj }) => [`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj]));
    };
    const shop = wiring('shop');
    const billing = wiring('billing');
    const fluxSystem = (m: Map<string, any>) => [...m.keys()].filter((k) => k.includes('/flux-system/') && !k.startsWith('GitRepository/')).sort();
    expect(fluxSystem(shop)).toEqual([
      'Kustomization/flux-system/shop-dev', 'Kustomization/flux-system/shop-dev-data', 'Kustomization/flux-system/shop-platform',
      'Kustomization/flux-system/shop-prod', 'Kustomization/flux-system/shop-prod-data',
      'ServiceAccount/flux-system/gitops-deployer-shop-dev', 'ServiceAccount/flux-system/gitops-deployer-shop-prod',
    ]);
    expect(fluxSystem(shop).filter((k) => fluxSystem(billing).includes(k))).toEqual([]);
    const data = shop.get('Kustomization/flux-system/shop-prod-data');
    expect(data.spec).toMatchObject({ path: './shop/layers/prod/data', dependsOn: [{ name: 'shop-platform' }], serviceAccountName: 'gitops-deployer-shop-prod', targetNamespace: 'shop' });
    expect(shop.get('Kustomization/flux-system/shop-prod').spec.dependsOn).toEqual([{ name: 'shop-prod-data' }]);
    // the deployer RoleBinding binds the account the layers impersonate
    expect(shop.get('RoleBinding/shop/gitops-deployer').subjects).toEqual([{ kind: 'ServiceAccount', name: 'gitops-deployer-shop-prod', namespace: 'flux-system' }]);
    // without a name: the names as before (renaming a deployed Kustomization makes Flux delete it and prune what it applied)
    expect(fluxSystem(wiring(undefined))).toEqual([
      'Kustomization/flux-system/dev', 'Kustomization/flux-system/dev-data', 'Kustomization/flux-system/platform',
      'Kustomization/flux-system/prod', 'Kustomization/flux-system/prod-data',
      'ServiceAccount/flux-system/gitops-deployer-dev', 'ServiceAccount/flux-system/gitops-deployer-prod',
    ]);
    expect(() => render({ flux: { name: 'Shop Team' } })).toThrow(ValidationError);
    expect(() => render({ flux: { name: 'Shop Team' } })).toThrow(/invalid flux.name "Shop Team": .*DNS-1123 label/);
    // the prefixed names still may not collide within the app
    expect(() => render({ flux: { name: 'prod' } })).not.toThrow();
  });

  test('bad Flux options are ValidationErrors', () => {
    expect(() => render({ flux: { sourceKind: 'HelmRepository' } })).toThrow(/invalid flux.sourceKind "HelmRepository"/);
    expect(() => render({ flux: { repositoryUrl: 'ftp://x' } })).toThrow(/invalid flux.repositoryUrl/);
    expect(() => render({ flux: { repositoryUrl: 'https://git.example/a.git', secretRef: 'Not A Name' } })).toThrow(/flux.secretRef/);
    expect(() => render({ flux: { environmentBranches: true } })).toThrow(/flux.environmentBranches.*repositoryUrl/);
    expect(() => render({ flux: { repositoryUrl: 'https://git.example/a.git', environmentBranches: true, environmentBranchPrefix: 'a b' } })).toThrow(/flux.environmentBranchPrefix/);
  });

  // Flux reads spec.path inside the artifact (securejoin: a leading / dropped, .. stopped at the root); Argo CD refuses both
  test.each([['/srv/gitops/dist'], ['../dist'], ['dist/../../other'], ['./..']])('repositoryPath %s is a ValidationError for Flux and Argo CD', (repositoryPath) => {
    expect(() => render({ flux: { repositoryUrl: 'https://git.example/a.git', repositoryPath } })).toThrow(ValidationError);
    expect(() => render({ flux: { repositoryUrl: 'https://git.example/a.git', repositoryPath } }))
      .toThrow(/\[INVALID_VALUE\] \/: invalid flux.repositoryPath .*relative to the repository root \(e.g. "\.\/dist"\), without a leading \/ or a \.\. segment/);
    expect(() => render({ argoCd: { repositoryUrl: 'https://git.example/a.git', destinations, repositoryPath } }))
      .toThrow(/\[INVALID_VALUE\] \/: invalid argoCd.repositoryPath .*relative to the repository root \(e.g. "dist"\), without a leading \/ or a \.\. segment/);
  });

  test.each([['dist'], ['./dist/'], ['.'], ['./'], ['gitops/dist..x']])('repositoryPath %s is a folder of the repository', (repositoryPath) => {
    const out = render({ flux: { repositoryUrl: 'https://git.example/a.git', repositoryPath }, argoCd: { repositoryUrl: 'https://git.example/a.git', destinations, repositoryPath } });
    const paths = [...parse(out, 'clusters/').map((f) => f.obj.spec?.path), ...parse(out, 'argocd/').map((f) => f.obj.spec?.source?.path)].filter((p) => p !== undefined);
    for (const p of paths) expect(p).not.toMatch(/^\/|(^|\/)\.\.(\/|$)/);
  });
});

describe('the generated README describes the wiring', () => {
  const readme = (out: ReturnType<typeof render>) => out.files.find((f) => f.path === 'README.md')!.content;

  test('Flux: the bootstrap path and, per cluster, its Kustomizations in the order they become Ready (the files rendered)', () => {
    const out = render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git', repositoryPath: './dist' } });
    const text = readme(out);
    expect(text).toContain('## Flux');
    expect(text).toContain('`flux bootstrap git --url=<this repository> --path=./dist/clusters/<cluster>`');
    expect(text).toContain('| nonprod | `platform` → `dev-data` → `dev` |');
    expect(text).toContain('| prod | `platform` → `prod-data` → `prod` |');
    expect(text).not.toContain('## Argo CD');
    // every Kustomization the table names is a file of its cluster's folder, and the other way round
    const named = [...text.matchAll(/^\| (\S+) \| (.*) \|$/gm)].filter(([, c]) => c === 'nonprod' || c === 'prod')
      .flatMap(([, cluster, chain]) => [...chain.matchAll(/`([^`]+)`/g)].map((m) => `clusters/${cluster}/Kustomization.${m[1]}.yaml`)).sort();
    expect(named).toEqual(out.files.map((f) => f.path).filter((p) => /^clusters\/[^/]+\/Kustomization\./.test(p)).sort());
    expect(readme(render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git' } }))).toContain('--path=./clusters/<cluster>`');
    const named2 = readme(render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git', name: 'shop' } }));
    expect(named2).toContain('| prod | `shop-platform` → `shop-prod-data` → `shop-prod` |');
    // the text names the prefixed objects too
    expect(named2).toContain('`gitops-deployer-shop-<environment>` ServiceAccount per environment');
    expect(named2).toContain('`shop-<environment>-data` (databases');
    expect(named2).toContain('`shop-platform` (`platform/<cluster>/`) before them all');
    expect(text).toContain('`gitops-deployer-<environment>` ServiceAccount per environment');
  });

  test('Argo CD: what to apply, the projects and the number of Applications; no wiring, no section', () => {
    const out = render({ argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', repositoryPath: 'dist', destinations } });
    const text = readme(out);
    const apps = out.files.filter((f) => /^argocd\/Application\./.test(f.path)).length;
    expect(apps).toBeGreaterThan(0);
    expect(text).toContain('## Argo CD');
    const projects = out.files.map((f) => /^argocd\/AppProject\.(.+)\.yaml$/.exec(f.path)?.[1]).filter((p) => p !== undefined).sort();
    expect(projects).toEqual(['cdk8s-stateful', 'cdk8s-stateful-platform']);
    expect(text).toContain(`Apply \`argocd/\` to the cluster running Argo CD (or point an app of apps at it): 2 AppProject(s)\n(${projects.map((p) => `\`${p}\``).join(', ')}) and ${apps} Application(s).`);
    expect(text).toContain('Sync waves order them: by default\nthe AppProjects (a wave before every Application)');
    expect(text).not.toContain('## Flux');
    // no operators: nothing waits for a confirmation
    expect(text).not.toContain('Prune=confirm');
    const none = readme(render({}));
    expect(none).not.toContain('## Flux');
    expect(none).not.toContain('## Argo CD');
  });

  test('Argo CD: the operators whose Applications prune only once a person confirms it (not a chart of CRDs only)', () => {
    const operators = [PlatformOperator.mariadbOperatorCrds('26.6.0'), PlatformOperator.mariadbOperator('26.6.0'), PlatformOperator.cloudNativePg('0.26.1')];
    const out = render({ argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations }, operators });
    expect(readme(out)).toContain('The Applications of the operators `cloudnative-pg`, `mariadb-operator` prune only once a person\nconfirms it (`Prune=confirm`');
    // the README names exactly the Applications that carry the option
    const confirming = out.files.filter((f) => /^argocd\/Application\..*-operator-/.test(f.path) && YAML.parse(f.content).spec.syncPolicy.syncOptions.includes('Prune=confirm'))
      .map((f) => /-operator-(.+)-[^-]+\.yaml$/.exec(f.path)![1]);
    expect([...new Set(confirming)].sort()).toEqual(['cloudnative-pg', 'mariadb-operator']);
  });
});

describe('the Kafka versions of the Strimzi release the app installs', () => {
  const kafkaApp = (kafka: string, strimzi: string, operatorVersion?: string) => {
    const app = new GitOpsApp({
      outdir: tmpdir(),
      argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: 'https://prod.example.com' } },
      operators: [PlatformOperator.strimzi(strimzi)],
    });
    const chart = new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'prod' }) });
    new MessageQueue(chart, 'Events', { name: 'events', engine: QueueEngine.strimziKafka({ version: kafka, ...(operatorVersion ? { operatorVersion } : {}) }), topics: [{ name: 'orders' }] });
    return app;
  };

  test('a Kafka the installed Strimzi does not support is refused before anything is written; a supported one renders', () => {
    // the engine assumed Strimzi 1.2.0; the app installs 1.1.0, which never ran 4.3.1
    expect(() => kafkaApp('4.3.1', '1.1.0').render()).toThrow(/\[CONSTRUCT_VALIDATION\] shop\/Events: invalid configuration: Kafka 4.3.1 on Strimzi 1.1.0 \(PlatformOperator.strimzi\): not a Kafka version Strimzi 1.1.0 supports: 4.2.0, 4.2.1, 4.3.0/);
    expect(kafkaApp('4.3.0', '1.1.0', '1.1.0').render().files.some((f) => f.path.endsWith('Kafka.events.yaml'))).toBe(true);
    // an older release the engine was told about, and a release newer than the ones this library knows (not checked)
    expect(() => kafkaApp('4.1.2', '1.0.1', '1.0.1').render()).not.toThrow();
    expect(() => kafkaApp('4.3.1', '1.3.0').render()).not.toThrow();
  });
});

describe('the RabbitMQ cluster operator the app installs', () => {
  test('older than 2.15.0 (no autoEnableAllFeatureFlags, which the engine sets): refused; 2.15.0 and later render', () => {
    const rabbitApp = (release: string) => {
      const app = new GitOpsApp({
        outdir: tmpdir(),
        argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: 'https://prod.example.com' } },
        operators: [PlatformOperator.rabbitmqClusterOperator(release), PlatformOperator.rabbitmqTopologyOperator('1.20.1'), PlatformOperator.certManager('1.18.2')],
      });
      const chart = new EnvironmentChart(app, 'shop', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'prod' }) });
      new MessageQueue(chart, 'Mq', { name: 'shop-mq', engine: QueueEngine.rabbitmqOperator({ version: '4.1.4' }), queues: [{ name: 'orders' }] });
      return app;
    };
    expect(() => rabbitApp('2.14.1').render()).toThrow(/\[CONSTRUCT_VALIDATION\] shop\/Mq: invalid configuration: the RabbitmqCluster sets spec.autoEnableAllFeatureFlags.*from 2.15.0 on: PlatformOperator.rabbitmqClusterOperator\("2.14.1"\) would leave them disabled; install 2.15.0 or later/);
    for (const release of ['2.15.0', '2.22.3', '3.0.0']) {
      const rc = rabbitApp(release).render().files.find((f) => f.path.endsWith('RabbitmqCluster.shop-mq.yaml'));
      expect(YAML.parse(rc!.content).spec.autoEnableAllFeatureFlags).toBe(true);
    }
  });
});

describe('Argo CD wiring', () => {
  test('projects, applications with sync waves, Prune=false on data-bearing objects', () => {
    const out = render({ argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', repositoryPath: 'dist', destinations } });
    const files = parse(out, 'argocd/');
    expect(files.map((f) => f.path)).toEqual([
      'argocd/AppProject.cdk8s-stateful-platform.yaml', 'argocd/AppProject.cdk8s-stateful.yaml',
      'argocd/Application.cdk8s-stateful-dev.yaml', 'argocd/Application.cdk8s-stateful-platform-nonprod.yaml',
      'argocd/Application.cdk8s-stateful-platform-prod.yaml', 'argocd/Application.cdk8s-stateful-prod.yaml',
    ]);
    const project = files.find((f) => f.path === 'argocd/AppProject.cdk8s-stateful.yaml')!.obj;
    expect(project.spec.destinations).toEqual([{ server: destinations.nonprod, namespace: 'shop-dev' }, { server: destinations.prod, namespace: 'shop' }]);
    expect(project.spec.clusterResourceWhitelist).toBeUndefined();
    // the platform project: the kinds the platform layers may render, rendered now or not (one no longer permitted would
    // never be pruned: Argo CD leaves it out of the comparison), and no namespace but the Applications' own (none) without Flux
    const platformProject = files.find((f) => f.path === 'argocd/AppProject.cdk8s-stateful-platform.yaml')!.obj;
    expect(platformProject.spec.destinations).toEqual([{ server: destinations.nonprod }, { server: destinations.prod }]);
    expect(platformProject.spec.clusterResourceWhitelist).toEqual([
      { group: '', kind: 'Namespace' },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' }, { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding' },
      { group: 'kyverno.io', kind: 'ClusterPolicy' }, { group: 'policies.kyverno.io', kind: 'ValidatingPolicy' }, { group: 'storage.k8s.io', kind: 'StorageClass' },
    ]);
    expect(platformProject.spec.namespaceResourceWhitelist).toEqual([{ group: 'rbac.authorization.k8s.io', kind: 'Role' }, { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' }]);
    // with Flux: the deployer Role and RoleBinding, in the environments' namespaces only
    const both = parse(render({ flux: { repositoryUrl: 'https://git.example/acme/gitops.git' }, argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations } }),
      'argocd/AppProject.cdk8s-stateful-platform.yaml')[0].obj;
    expect(both.spec.destinations).toEqual([
      { server: destinations.nonprod }, { server: destinations.nonprod, namespace: 'shop-dev' }, { server: destinations.prod }, { server: destinations.prod, namespace: 'shop' },
    ]);
    expect(both.spec.namespaceResourceWhitelist).toEqual([{ group: 'rbac.authorization.k8s.io', kind: 'Role' }, { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' }]);
    expect(JSON.stringify(both.spec)).not.toContain('"*"');
    const prod = files.find((f) => f.path === 'argocd/Application.cdk8s-stateful-prod.yaml')!.obj;
    expect(prod.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(prod.spec.source).toEqual({ repoURL: 'https://git.example/acme/gitops.git', targetRevision: 'HEAD', path: 'dist/rendered/prod', directory: { recurse: true } });
    // a sync applies what changed: objects re-created on change (Replace=true) are not re-created by every sync, and
    // no sync waits on the health of objects it did not change
    expect(prod.spec.syncPolicy.syncOptions).toEqual(['ApplyOutOfSyncOnly=true', 'ServerSideApply=true', 'PrunePropagationPolicy=foreground']);
    const platform = files.find((f) => f.path === 'argocd/Application.cdk8s-stateful-platform-prod.yaml')!.obj;
    expect(platform.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    expect(platform.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    const cluster = out.objects.find((o) => o.manifest.kind === 'Cluster' && o.environment === 'prod')!.manifest;
    // Delete=false: a cascading deletion of the Application (argocd app delete) leaves the database and its volumes
    expect(cluster.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    // Flux's annotation only with Flux wiring; the applications after the data objects (wave 2)
    expect(cluster.metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBeUndefined();
    const cm = out.objects.find((o) => o.manifest.kind === 'ConfigMap' && o.environment === 'prod')!.manifest;
    expect(cm.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '2' });
  });

  test('ignoreDifferences of the kinds an Application holds only: CloudNativePG\'s Cluster fields where there is a Cluster', () => {
    const app = new GitOpsApp({ outdir: tmpdir(), argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations } });
    const [dev, prod] = environments();
    new ReplicatedDatabase(new EnvironmentChart(app, 'dev', { environment: dev }), 'Db', { name: 'db', engine: DatabaseEngine.postgresStatefulSet({ version: '16.4' }) });
    new ReplicatedDatabase(new EnvironmentChart(app, 'prod', { environment: prod }), 'Db', { name: 'db', engine: DatabaseEngine.cloudNativePg({ version: '16.4' }) });
    const ignored = (env: string) => parse(app.render(), `argocd/Application.cdk8s-stateful-${env}.yaml`)[0].obj.spec.ignoreDifferences;
    expect(ignored('dev')).toEqual([{ group: 'apps', kind: 'StatefulSet', jsonPointers: ['/spec/volumeClaimTemplates'] }]);
    expect(ignored('prod')).toEqual([{ group: 'postgresql.cnpg.io', kind: 'Cluster', jsonPointers: ['/spec/postgresql/parameters', '/spec/postgresql/pg_hba'] }]);
  });

  test('environment branches: each environment Application follows its branch and its hydrated folder', () => {
    const out = render({
      layout: OutputLayout.HYDRATED_AND_KUSTOMIZE,
      argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', repositoryPath: 'dist', destinations, targetRevision: 'main', environmentBranches: true },
    });
    const prod = parse(out, 'argocd/Application.cdk8s-stateful-prod.yaml')[0].obj;
    expect(prod.spec.source).toEqual({ repoURL: 'https://git.example/acme/gitops.git', targetRevision: 'env/prod', path: 'dist/rendered/prod', directory: { recurse: true } });
    const platform = parse(out, 'argocd/Application.cdk8s-stateful-platform-prod.yaml')[0].obj;
    expect(platform.spec.source.targetRevision).toBe('main');
    const plain = render({ layout: OutputLayout.HYDRATED_AND_KUSTOMIZE, argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations } });
    expect(parse(plain, 'argocd/Application.cdk8s-stateful-prod.yaml')[0].obj.spec.source).toEqual({ repoURL: 'https://git.example/acme/gitops.git', targetRevision: 'HEAD', path: 'overlays/prod' });
  });

  test('a cluster reference without a destination is a ValidationError', () => {
    expect(() => render({ argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: destinations.prod } } }))
      .toThrow(ValidationError);
    expect(() => render({ argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: destinations.prod } } }))
      .toThrow(/MISSING_DESTINATION.*argoCd.destinations\["nonprod"\].*environments dev deploy there/);
  });
});

describeWithCrds('Flux and Argo CD objects are schema-valid (strict)', () => {
  test('every wiring object', () => {
    const validator = sharedValidator();
    const out = render({
      layout: OutputLayout.HYDRATED_AND_KUSTOMIZE,
      flux: { repositoryUrl: 'https://git.example/acme/gitops.git' },
      argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations },
    });
    const wiring = [...parse(out, 'clusters/'), ...parse(out, 'argocd/')];
    expect(wiring.length).toBe(16);
    for (const { path, obj } of wiring) expect({ path, issues: validator.validate(obj) }).toEqual({ path, issues: [] });
    for (const o of out.objects.filter((x) => x.file.startsWith('platform/'))) {
      expect({ path: o.file, issues: validator.validate(o.manifest) }).toEqual({ path: o.file, issues: [] });
    }
  });

  test('the reference platform\'s wiring: health checks, environment branches, secretRef', () => {
    const validator = sharedValidator();
    const out = buildPlatform({
      outdir: tmpdir(),
      flux: { repositoryUrl: 'https://git.example.com/acme/orders-gitops.git', repositoryPath: './dist', secretRef: 'flux-system', environmentBranches: true },
    }).render();
    const wiring = [...parse(out, 'clusters/'), ...parse(out, 'argocd/')];
    // the data layers (operators' kinds), the migrate layers where the RabbitMQ operator's User and Permission are
    // (staging, prod) and the apps layers (the API's ExternalSecret); not the migration Jobs (kstatus reads a Job)
    expect(wiring.filter((f) => (f.obj.spec?.healthCheckExprs ?? []).length > 0).map((f) => f.path)).toEqual([
      'clusters/nonprod/Kustomization.dev-data.yaml', 'clusters/nonprod/Kustomization.dev.yaml', 'clusters/nonprod/Kustomization.staging-data.yaml',
      'clusters/nonprod/Kustomization.staging-migrate.yaml', 'clusters/nonprod/Kustomization.staging.yaml',
      'clusters/prod-eu-west/Kustomization.prod-data.yaml', 'clusters/prod-eu-west/Kustomization.prod-migrate.yaml', 'clusters/prod-eu-west/Kustomization.prod.yaml',
    ]);
    const prodData = wiring.find((f) => f.path === 'clusters/prod-eu-west/Kustomization.prod-data.yaml')!.obj.spec;
    expect(prodData.healthCheckExprs.map((e: any) => e.kind)).toEqual([
      'ExternalSecret', 'Database', 'Grant', 'MariaDB', 'User', 'Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser', 'Cluster', 'Database', 'Binding', 'Exchange', 'Policy', 'Queue', 'RabbitmqCluster', 'Vhost',
    ]);
    const prodMigrate = wiring.find((f) => f.path === 'clusters/prod-eu-west/Kustomization.prod-migrate.yaml')!.obj.spec;
    expect(prodMigrate.healthCheckExprs.map((e: any) => `${e.apiVersion}/${e.kind}`)).toEqual(['rabbitmq.com/v1beta1/Permission', 'rabbitmq.com/v1beta1/User']);
    expect(prodData.sourceRef).toEqual({ kind: 'GitRepository', name: 'gitops-prod' });
    expect(wiring.find((f) => f.path === 'clusters/prod-eu-west/Kustomization.prod-migrate.yaml')!.obj.spec).toMatchObject({ dependsOn: [{ name: 'prod-data' }], path: './dist/layers/prod/migrate' });
    for (const { path, obj } of wiring) expect({ path, issues: validator.validate(obj) }).toEqual({ path, issues: [] });
  });
});

describe('operators in the platform layer', () => {
  const argoCd = { repositoryUrl: 'https://git.example/acme/gitops.git', destinations };
  test('one Argo CD Application per operator and cluster, pinned, before the platform (wave -2), in their own project', () => {
    const out = render({ argoCd, operators: [PlatformOperator.cloudNativePg('0.26.1'), PlatformOperator.rabbitmq('4.4.34')] });
    const files = parse(out, 'argocd/');
    const app = files.find((f) => f.path === 'argocd/Application.cdk8s-stateful-operator-cloudnative-pg-prod.yaml')!.obj;
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
    expect(app.spec.source).toEqual({ repoURL: 'https://cloudnative-pg.github.io/charts', chart: 'cloudnative-pg', targetRevision: '0.26.1', helm: { releaseName: 'cloudnative-pg' } });
    expect(app.spec.destination).toEqual({ server: destinations.prod, namespace: 'cnpg-system' });
    expect(app.spec.project).toBe('cdk8s-stateful-operators');
    const oci = files.find((f) => f.path === 'argocd/Application.cdk8s-stateful-operator-rabbitmq-nonprod.yaml')!.obj;
    expect(oci.spec.source.repoURL).toBe('registry-1.docker.io/bitnamicharts');
  });

  test('the AppProjects sync before every Application (an app of apps waits forever on a child whose project is missing)', () => {
    const wave = (o: any) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    for (const operators of [[], [PlatformOperator.certManager('1.18.2'), PlatformOperator.cloudNativePg('0.26.1')], [new PlatformOperator({ name: 'early', repositoryUrl: 'https://charts.example', chart: 'early', version: '1.0.0', namespace: 'early', syncWave: -20 })]]) {
      const files = parse(render({ argoCd, operators }), 'argocd/').map((f) => f.obj);
      const projects = files.filter((o) => o.kind === 'AppProject');
      const apps = files.filter((o) => o.kind === 'Application');
      expect(projects.length).toBe(operators.length > 0 ? 3 : 2);
      const first = Math.min(...apps.map(wave));
      for (const p of projects) expect(wave(p)).toBe(first - 1);
    }
  });

  test('mariadb-operator without its CRDs chart (its own chart installs none) fails early, saying which to add', () => {
    expect(() => render({ argoCd, operators: [PlatformOperator.mariadbOperator('26.6.0')] })).toThrow(ValidationError);
    expect(() => render({ argoCd, operators: [PlatformOperator.mariadbOperator('26.6.0')] }))
      .toThrow(/operators.*mariadb-operator.*PlatformOperator\.mariadbOperatorCrds\(version\) beside PlatformOperator\.mariadbOperator\(version\)/s);
    // the CRDs alone (the operator installed otherwise) are fine
    expect(() => render({ argoCd, operators: [PlatformOperator.mariadbOperatorCrds('26.6.0')] })).not.toThrow();
  });

  test('mariadb-operator: its CRDs chart syncs one wave before the operator, both in the namespace the engine admits', () => {
    const out = render({ argoCd, operators: [PlatformOperator.mariadbOperator('26.6.0'), PlatformOperator.mariadbOperatorCrds('26.6.0')] });
    const files = parse(out, 'argocd/');
    const app = (op: string) => files.find((f) => f.path === `argocd/Application.cdk8s-stateful-operator-${op}-prod.yaml`)!.obj;
    const repoURL = 'https://mariadb-operator.github.io/mariadb-operator';
    expect(app('mariadb-operator-crds').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-3');
    expect(app('mariadb-operator-crds').spec.source).toEqual({ repoURL, chart: 'mariadb-operator-crds', targetRevision: '26.6.0', helm: { releaseName: 'mariadb-operator-crds' } });
    // removing a CRD deletes every object of its kind: the CRDs' Application never prunes, the operator's does
    expect(app('mariadb-operator-crds').spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    expect(app('mariadb-operator').spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    // what an operator's chart stops rendering (its CRDs included) is pruned once a person confirms it; the CRDs' chart is never pruned
    expect(app('mariadb-operator').spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'CreateNamespace=true', 'Prune=confirm']);
    expect(app('mariadb-operator-crds').spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'CreateNamespace=true']);
    expect(app('mariadb-operator').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
    expect(app('mariadb-operator').spec.source).toEqual({ repoURL, chart: 'mariadb-operator', targetRevision: '26.6.0', helm: { releaseName: 'mariadb-operator' } });
    // the engine's NetworkPolicies admit its operator from the namespace the factory installs it in
    const engineNamespace = DatabaseEngine.mariadbOperator({ version: '11.4.5' }).operatorNamespace;
    for (const op of ['mariadb-operator', 'mariadb-operator-crds']) expect(app(op).spec.destination).toEqual({ server: destinations.prod, namespace: engineNamespace });
    // the other operators stay in wave -2; a user-defined CRDs chart can ask for -3
    const custom = new PlatformOperator({ name: 'prom-crds', repositoryUrl: 'https://prometheus-community.github.io/helm-charts', chart: 'prometheus-operator-crds', version: '24.0.0', namespace: 'monitoring', crdsOnly: true });
    const more = parse(render({ argoCd, operators: [PlatformOperator.cloudNativePg('0.26.1'), custom] }), 'argocd/');
    const wave = (op: string) => more.find((f) => f.path === `argocd/Application.cdk8s-stateful-operator-${op}-prod.yaml`)!.obj.metadata.annotations['argocd.argoproj.io/sync-wave'];
    expect([wave('cloudnative-pg'), wave('prom-crds')]).toEqual(['-2', '-3']);
  });

  test('RabbitMQ\'s own releases: Git folders at their tags, images pinned, the Namespace left to Argo CD; cert-manager a wave before', () => {
    const out = render({
      argoCd,
      operators: [PlatformOperator.rabbitmqClusterOperator('2.22.3'), PlatformOperator.rabbitmqTopologyOperator('1.20.1'), PlatformOperator.certManager('1.18.2')],
    });
    const files = parse(out, 'argocd/');
    const app = (op: string) => files.find((f) => f.path === `argocd/Application.cdk8s-stateful-operator-${op}-prod.yaml`)!.obj;
    const dropNamespace = { target: { kind: 'Namespace' }, patch: '$patch: delete\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n' };
    expect(app('rabbitmq-cluster-operator').spec.source).toEqual({
      repoURL: 'https://github.com/rabbitmq/cluster-operator',
      targetRevision: 'v2.22.3',
      path: 'config/installation',
      kustomize: { images: ['ghcr.io/rabbitmq/cluster-operator:2.22.3'], patches: [dropNamespace] },
    });
    expect(app('rabbitmq-topology-operator').spec.source).toEqual({
      repoURL: 'https://github.com/rabbitmq/messaging-topology-operator',
      targetRevision: 'v1.20.1',
      path: 'config/installation',
      kustomize: { images: ['ghcr.io/rabbitmq/messaging-topology-operator:1.20.1'], patches: [dropNamespace] },
    });
    // both in rabbitmq-system, which Argo CD creates: neither Application tracks the Namespace
    for (const op of ['rabbitmq-cluster-operator', 'rabbitmq-topology-operator']) {
      expect(app(op).spec.destination.namespace).toBe('rabbitmq-system');
      expect(app(op).spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
      // their release folders hold their CRDs: a later tag that drops one waits for a person's confirmation
      expect(app(op).spec.syncPolicy.syncOptions).toContain('Prune=confirm');
      expect(app(op).metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
    }
    expect(app('cert-manager').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-3');
    expect(app('cert-manager').spec.source).toEqual({
      repoURL: 'https://charts.jetstack.io', chart: 'cert-manager', targetRevision: 'v1.18.2', helm: { valuesObject: { crds: { enabled: true }, global: { leaderElection: { namespace: 'cert-manager' } } }, releaseName: 'cert-manager' },
    });
    expect(app('cert-manager').spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    const project = files.find((f) => f.path === 'argocd/AppProject.cdk8s-stateful-operators.yaml')!.obj;
    expect(project.spec.sourceRepos).toEqual(['https://charts.jetstack.io', 'https://github.com/rabbitmq/cluster-operator', 'https://github.com/rabbitmq/messaging-topology-operator']);
    // a Git folder without images has only the patch
    const plain = new PlatformOperator({ name: 'op', repositoryUrl: 'https://git.example/acme/op', path: 'deploy', version: 'v1.0.0', namespace: 'op' });
    const plainApp = parse(render({ argoCd, operators: [plain] }), 'argocd/').find((f) => f.path === 'argocd/Application.cdk8s-stateful-operator-op-prod.yaml')!.obj;
    expect(plainApp.spec.source.kustomize).toEqual({ patches: [dropNamespace] });
  });

  test('the operator factories install where the engines expect their operators', () => {
    expect(PlatformOperator.rabbitmqClusterOperator('2.22.3').namespace).toBe(QueueEngine.rabbitmqOperator({ version: '4.1.4' }).operatorNamespace);
    expect(PlatformOperator.rabbitmqTopologyOperator('1.20.1').namespace).toBe(QueueEngine.rabbitmqOperator({ version: '4.1.4' }).operatorNamespace);
    expect(PlatformOperator.cloudNativePg('0.26.1').namespace).toBe(DatabaseEngine.cloudNativePg({ version: '16.4' }).operatorNamespace);
    expect(PlatformOperator.barmanCloudPlugin('0.2.0').namespace).toBe(DatabaseEngine.cloudNativePg({ version: '16.4' }).operatorNamespace);
    expect(PlatformOperator.mariadbOperator('26.6.0').namespace).toBe(DatabaseEngine.mariadbOperator({ version: '11.4.5' }).operatorNamespace);
    expect(PlatformOperator.rabbitmq('4.4.34').namespace).toBe(QueueEngine.rabbitmqOperator({ version: '4.1.4' }).operatorNamespace);
  });

  test.each<[string, () => void, RegExp]>([
    ['a chart and a path', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://git.example/x', chart: 'x', path: 'deploy', version: '1.0.0', namespace: 'x' }), /invalid chart "x": a chart or a path, not both/],
    ['neither a chart nor a path', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://charts.example', version: '1.0.0', namespace: 'x' }), /invalid chart undefined: a chart name \(or a path/],
    ['a path out of the repository', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://git.example/x', path: 'deploy/../../etc', version: '1.0.0', namespace: 'x' }), /invalid path "deploy\/..\/..\/etc": a relative folder/],
    ['a Git source over oci://', () => new PlatformOperator({ name: 'x', repositoryUrl: 'oci://registry.example/x', path: 'deploy', version: '1.0.0', namespace: 'x' }), /with path: an https:\/\/ Git repository/],
    ['Helm values on a Git folder', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://git.example/x', path: 'deploy', version: '1.0.0', namespace: 'x', values: { a: 1 } }), /Helm values only with a chart/],
    ['images on a chart', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://charts.example', chart: 'x', version: '1.0.0', namespace: 'x', images: ['x:1.0.0'] }), /images only with a path/],
    ['an image at latest', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://git.example/x', path: 'deploy', version: '1.0.0', namespace: 'x', images: ['ghcr.io/acme/x:latest'] }), /invalid images "ghcr.io\/acme\/x:latest": name:tag.*pinned/],
    ['a branch for a tag', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://git.example/x', path: 'deploy', version: 'main', namespace: 'x' }), /invalid version "main": a pinned Git tag/],
    ['a sync wave after the platform', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://charts.example', chart: 'x', version: '1.0.0', namespace: 'x', syncWave: -1 }), /invalid syncWave -1: an integer from -20 to -2/],
    ['a factory given a v', () => PlatformOperator.rabbitmqClusterOperator('v2.22.3'), /PlatformOperator.rabbitmqClusterOperator\(\).*invalid version "v2.22.3": a pinned release MAJOR.MINOR.PATCH \(no v/],
    ['crdsOnly not a boolean', () => new PlatformOperator({ name: 'x', repositoryUrl: 'https://charts.example', chart: 'x', version: '1.0.0', namespace: 'x', crdsOnly: 'yes' as any }), /invalid crdsOnly "yes": true or false/],
    ['unpinned chart version', () => PlatformOperator.strimzi('1.2'), /invalid version "1.2": a pinned chart version/],
    ['bad repository', () => new PlatformOperator({ name: 'x', repositoryUrl: 'http://insecure', chart: 'x', version: '1.0.0', namespace: 'x' }), /invalid repositoryUrl/],
    ['operators without Argo CD', () => render({ operators: [PlatformOperator.externalSecrets('2.9.0')] }), /UNSUPPORTED.*operators with `argoCd` wiring/],
    ['the same operator twice', () => render({ argoCd, operators: [PlatformOperator.strimzi('1.2.0'), PlatformOperator.strimzi('1.2.0')] }), /invalid operators "strimzi": each operator once/],
  ])('%s is a ValidationError', (_name, make, message) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(message);
  });
});

describeWithCrds('operator Applications are schema-valid (strict)', () => {
  test('every operator Application and the operators AppProject', () => {
    const validator = sharedValidator();
    const out = render({
      argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations },
      operators: [
        PlatformOperator.cloudNativePg('0.26.1'), PlatformOperator.barmanCloudPlugin('0.2.0'), PlatformOperator.strimzi('1.2.0'), PlatformOperator.rabbitmq('4.4.34'),
        PlatformOperator.mariadbOperatorCrds('26.6.0'), PlatformOperator.mariadbOperator('26.6.0'), PlatformOperator.externalSecrets('2.9.0'),
        PlatformOperator.certManager('1.18.2'), PlatformOperator.rabbitmqClusterOperator('2.22.3'), PlatformOperator.rabbitmqTopologyOperator('1.20.1'),
      ],
    });
    const files = parse(out, 'argocd/').filter((f) => /operator|cert-manager/.test(f.path));
    // 10 operators on 2 clusters, and the project
    expect(files.length).toBe(21);
    for (const { path, obj } of files) expect({ path, issues: validator.validate(obj) }).toEqual({ path, issues: [] });
  });
});

describeWithKustomize('Flux layers (real kubectl kustomize)', () => {
  test('layers/<env>/data, migrate and apps partition the hydrated objects of each environment', () => {
    const dir = tmpdir();
    const app = new GitOpsApp({ outdir: dir, flux: { repositoryUrl: 'https://git.example/acme/gitops.git' } });
    new EnvironmentOverlay(app, 'shop', {
      environments: environments(),
      application: {
        define(chart: EnvironmentChart) {
          new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } });
          new ReplicatedDatabase(chart, 'Db', { engine: DatabaseEngine.cloudNativePg({ version: '16.4' }), name: 'db' });
        },
      },
    });
    app.synth();
    for (const env of ['dev', 'prod']) {
      const build = (layer: string) => kustomizeBuild(`${dir}/layers/${env}/${layer}`, ['--load-restrictor=LoadRestrictionsNone']);
      const data = build('data');
      // CloudNativePG's grants Job runs once the data layer is healthy
      const migrate = build('migrate');
      const apps = build('apps');
      expect(apps.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/cfg', 'NetworkPolicy/default-deny']);
      expect(migrate.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Job/db-grants']);
      expect(data.map((o) => o.kind)).toContain('Cluster');
      expect(normalise([...data, ...migrate, ...apps])).toEqual(normalise(readObjects(`${dir}/rendered/${env}`)));
    }
  });
});
