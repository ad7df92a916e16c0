import { ApiObject } from 'cdk8s';
import { commitCount, emptyRepo, publish, refusal, snapshot } from './helpers';
import { ArgoCdOptions, DatabaseEngine, Environment, EnvironmentChart, FluxOptions, GitOpsApp, ReplicatedDatabase, SecretSource, StorageProfile, Tier } from '../../../src';
import { IOutputSynthesizer, PublishErrorCode } from '../../../src/gitops/publish';

const REPO_URL = 'https://git.example.com/acme/fleet.git';
const destinations = { 'prod-eu': 'https://kubernetes.default.svc' };

interface TeamOptions {
  readonly env?: string;
  readonly namespace?: string;
  readonly flux?: Partial<FluxOptions>;
  readonly argoCd?: Partial<ArgoCdOptions>;
  readonly storage?: StorageProfile;
  /** Where the output is published (its wiring's repositoryPath). */
  readonly at?: string;
  /** A CloudNativePG database backing up to this S3 folder. */
  readonly backupTo?: { readonly name: string; readonly destinationPath: string; readonly serverName?: string };
}

/** One team's app: an environment on cluster prod-eu, published at `<team>/`, wired for Flux and Argo CD. */
function team(name: string, o: TeamOptions = {}): IOutputSynthesizer {
  return {
    synthesize: (outdir) => {
      const app = new GitOpsApp({
        outdir,
        flux: { repositoryUrl: REPO_URL, repositoryPath: `./${o.at ?? name}`, ...o.flux },
        argoCd: { repositoryUrl: REPO_URL, repositoryPath: o.at ?? name, destinations, name, ...o.argoCd },
      });
      const env = o.env ?? 'prod';
      const chart = new EnvironmentChart(app, `${name}-${env}`, {
        environment: new Environment({
          name: env,
          tier: Tier.STAGING,
          namespace: o.namespace ?? `${name}-${env}`,
          cluster: 'prod-eu',
          storageProfile: o.storage ?? StorageProfile.existing('standard'),
        }),
      });
      new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { team: name } });
      if (o.backupTo) {
        new ReplicatedDatabase(chart, 'Db', {
          name: o.backupTo.name,
          engine: DatabaseEngine.cloudNativePg({ version: '16.4' }),
          backup: {
            schedule: '0 2 * * *',
            retentionDays: 7,
            serverName: o.backupTo.serverName,
            destination: { destinationPath: o.backupTo.destinationPath, credentials: SecretSource.externalSecret({ store: 'vault', remoteKey: 'backups' }) },
          },
        });
      }
      app.synth();
    },
  };
}

describe('two teams\' apps publishing into one repository, deploying to one cluster', () => {
  test('the same Flux Kustomizations and deployer accounts in flux-system: refused before anything is written, naming flux.name', () => {
    const repo = emptyRepo();
    expect(publish({ repository: repo.checkout, synthesizer: team('shop'), path: 'shop' }).committed).toBe(true);
    const before = snapshot(repo.checkout);
    // both name their environment prod: prod-data, prod, gitops-deployer-prod and platform would be one object each
    const e = refusal({ repository: repo.checkout, synthesizer: team('billing'), path: 'billing' });
    expect(e.code).toBe(PublishErrorCode.SHARED_OBJECTS);
    expect(e.message).toMatch(/^main: \d+ object\(s\) of this output are applied to the same cluster, or write backups to the same place, as the cdk8s-stateful output at shop\/: .*prune them when either output drops them.*; .*give each app its own flux\.name/);
    expect(e.details).toEqual(expect.arrayContaining([
      'Kustomization flux-system/platform on cluster "prod-eu": billing/clusters/prod-eu/Kustomization.platform.yaml and shop/clusters/prod-eu/Kustomization.platform.yaml',
      'Kustomization flux-system/prod-data on cluster "prod-eu": billing/clusters/prod-eu/Kustomization.prod-data.yaml and shop/clusters/prod-eu/Kustomization.prod-data.yaml',
      'ServiceAccount flux-system/gitops-deployer-prod on cluster "prod-eu": billing/clusters/prod-eu/ServiceAccount.gitops-deployer-prod.yaml and shop/clusters/prod-eu/ServiceAccount.gitops-deployer-prod.yaml',
      'GitRepository flux-system/gitops on cluster "prod-eu": billing/clusters/prod-eu/GitRepository.gitops.yaml and shop/clusters/prod-eu/GitRepository.gitops.yaml',
    ]));
    expect(e.message).toContain('give each app its own flux.sourceName');
    expect(snapshot(repo.checkout)).toEqual(before);
    expect(commitCount(repo.checkout)).toBe(1);

    // each team its own Flux names and source: published, and team A's files untouched
    const shopFiles = Object.entries(before).filter(([p]) => p.startsWith('shop/'));
    const billing = team('billing', { flux: { name: 'billing', sourceName: 'billing' } });
    expect(publish({ repository: repo.checkout, synthesizer: billing, path: 'billing' }).committed).toBe(true);
    expect(Object.entries(snapshot(repo.checkout)).filter(([p]) => p.startsWith('shop/'))).toEqual(shopFiles);
    // and team A publishes again: it sees team B's output and shares nothing with it
    expect(publish({ repository: repo.checkout, synthesizer: team('shop', { env: 'production', namespace: 'shop-prod' }), path: 'shop' }).committed).toBe(true);
  });

  test('Argo CD objects of the same argoCd.name, the same StorageClass, the same namespace: refused with each fix', () => {
    const repo = emptyRepo();
    const flux = (n: string) => ({ name: n, sourceName: n });
    const storage = () => StorageProfile.awsEbs({ name: 'ebs-encrypted', encryption: true });
    expect(publish({ repository: repo.checkout, synthesizer: team('shop', { flux: flux('shop'), storage: storage() }), path: 'shop' }).committed).toBe(true);

    const argo = refusal({ repository: repo.checkout, synthesizer: team('billing', { flux: flux('billing'), argoCd: { name: 'shop' } }), path: 'billing' });
    expect(argo.code).toBe(PublishErrorCode.SHARED_OBJECTS);
    expect(argo.details).toContain('Application argocd/shop-platform-prod-eu in Argo CD: billing/argocd/Application.shop-platform-prod-eu.yaml and shop/argocd/Application.shop-platform-prod-eu.yaml');
    expect(argo.message).toContain('give each app its own argoCd.name');

    const sc = refusal({ repository: repo.checkout, synthesizer: team('billing', { flux: flux('billing'), storage: storage() }), path: 'billing' });
    expect(sc.details).toEqual(['StorageClass ebs-encrypted on cluster "prod-eu": billing/platform/prod-eu/StorageClass.ebs-encrypted.yaml and shop/platform/prod-eu/StorageClass.ebs-encrypted.yaml']);
    expect(sc.message).toMatch(/render the StorageClass in one app only: StorageProfile\.existing\(name, \{ encrypted, reclaimPolicy, allowVolumeExpansion, replicas \}\) in the others, saying what it provides \(the data-protection rules read it\)$/);

    const ns = refusal({ repository: repo.checkout, synthesizer: team('billing', { flux: flux('billing'), namespace: 'shop-prod' }), path: 'billing' });
    expect(ns.details).toEqual(expect.arrayContaining([
      'Namespace shop-prod on cluster "prod-eu": billing/platform/prod-eu/Namespace.shop-prod.yaml and shop/platform/prod-eu/Namespace.shop-prod.yaml',
      'ConfigMap shop-prod/settings on cluster "prod-eu": billing/rendered/prod/shop-prod/ConfigMap.settings.yaml and shop/rendered/prod/shop-prod/ConfigMap.settings.yaml',
      'Role shop-prod/gitops-deployer on cluster "prod-eu": billing/platform/prod-eu/shop-prod/Role.gitops-deployer.yaml and shop/platform/prod-eu/shop-prod/Role.gitops-deployer.yaml',
    ]));
    expect(ns.message).toContain('give each app its own environment namespaces');

    // the StorageClass from one app, the other referencing it
    expect(publish({ repository: repo.checkout, synthesizer: team('billing', { flux: flux('billing'), storage: StorageProfile.existing('ebs-encrypted') }), path: 'billing' }).committed).toBe(true);
  });

  test('the same names on different clusters are different objects; re-publishing one output alone is not a conflict', () => {
    const repo = emptyRepo();
    expect(publish({ repository: repo.checkout, synthesizer: team('shop'), path: 'shop' }).committed).toBe(true);
    expect(publish({ repository: repo.checkout, synthesizer: team('shop', { env: 'production', namespace: 'shop-prod' }), path: 'shop' }).committed).toBe(true);
    const other: IOutputSynthesizer = {
      synthesize: (outdir) => {
        const app = new GitOpsApp({ outdir, flux: { repositoryUrl: REPO_URL, repositoryPath: './billing' } });
        const chart = new EnvironmentChart(app, 'billing-prod', {
          environment: new Environment({ name: 'prod', tier: Tier.STAGING, namespace: 'billing-prod', cluster: 'prod-us', storageProfile: StorageProfile.existing('standard') }),
        });
        new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
        app.synth();
      },
    };
    expect(publish({ repository: repo.checkout, synthesizer: other, path: 'billing' }).committed).toBe(true);
  });

  test('an output at the repository\'s root and another in a folder of it: the same objects are refused', () => {
    const repo = emptyRepo();
    expect(publish({ repository: repo.checkout, synthesizer: team('shop', { at: '.' }) }).committed).toBe(true);
    const e = refusal({ repository: repo.checkout, synthesizer: team('billing'), path: 'billing' });
    expect(e.code).toBe(PublishErrorCode.SHARED_OBJECTS);
    expect(e.message).toContain('as the cdk8s-stateful output at the repository\'s root');
    expect(e.details).toContain('Kustomization flux-system/platform on cluster "prod-eu": billing/clusters/prod-eu/Kustomization.platform.yaml and clusters/prod-eu/Kustomization.platform.yaml');
  });

  test('two apps\' databases backing up to one place of an object store: refused, naming both; their own places: published', () => {
    const repo = emptyRepo();
    const flux = (n: string) => ({ name: n, sourceName: n });
    const shop = team('shop', { flux: flux('shop'), backupTo: { name: 'orders-db', destinationPath: 's3://acme-backups/prod' } });
    expect(publish({ repository: repo.checkout, synthesizer: shop, path: 'shop' }).committed).toBe(true);
    const before = snapshot(repo.checkout);
    // another database of the same name (the default serverName) under the same path, in another namespace
    const billing = (destinationPath: string, serverName?: string) => team('billing', {
      flux: flux('billing'), argoCd: { name: 'billing' }, backupTo: { name: 'orders-db', destinationPath, serverName },
    });
    const e = refusal({ repository: repo.checkout, synthesizer: billing('s3://acme-backups/prod'), path: 'billing' });
    expect(e.code).toBe(PublishErrorCode.SHARED_OBJECTS);
    expect(e.details).toEqual([
      'backups of ObjectStore billing-prod/orders-db-backup on cluster "prod-eu" (s3://acme-backups/prod/orders-db/) and of '
        + 'ObjectStore shop-prod/orders-db-backup on cluster "prod-eu" (s3://acme-backups/prod/orders-db/): '
        + 'billing/rendered/prod/billing-prod/ObjectStore.orders-db-backup.yaml and shop/rendered/prod/shop-prod/ObjectStore.orders-db-backup.yaml',
    ]);
    expect(e.message).toContain('give each database its own backup location');
    expect(snapshot(repo.checkout)).toEqual(before);
    // one folder inside the other is the same place: s3://acme-backups/prod/ holds s3://acme-backups/prod/orders-db/
    expect(refusal({ repository: repo.checkout, synthesizer: billing('s3://acme-backups', 'prod'), path: 'billing' }).code).toBe(PublishErrorCode.SHARED_OBJECTS);
    // its own server name, or its own path: published
    expect(publish({ repository: repo.checkout, synthesizer: billing('s3://acme-backups/prod', 'billing-orders-db'), path: 'billing' }).committed).toBe(true);
  });
});
