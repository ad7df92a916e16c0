import { OrdersApi } from './orders-api';
import {
  AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, GitOpsAppProps, PolicyPacks, SecretBackend, SecretStoreKind,
  StorageProfile, Tier,
} from '../../src';

/**
 * The reference "orders" platform: one application over dev, staging and prod.
 * `npm run synth` renders it into dist/ (committed; CI fails on drift).
 */
export function buildPlatform(props: GitOpsAppProps = {}): GitOpsApp {
  const app = new GitOpsApp(props);
  // every built-in pack, over the whole app: nothing is written unless the platform passes them
  for (const pack of PolicyPacks.all()) {
    Aspects.of(app).add(pack, { priority: AspectPriority.READONLY });
  }

  const secrets = SecretBackend.externalSecrets({
    store: 'platform-vault',
    storeKind: SecretStoreKind.CLUSTER_SECRET_STORE,
    keyPrefix: 'orders',
  });
  const registries = ['ghcr.io/acme-orders', 'ghcr.io/cloudnative-pg', 'docker.io/library'];

  const environments = [
    new Environment({
      name: 'dev',
      tier: Tier.DEVELOPMENT,
      namespace: 'orders-dev',
      cluster: 'nonprod',
      labels: { 'acme.example/cost-center': 'orders' },
      kubernetesVersion: '1.30',
      allowedRegistries: registries,
      secretBackend: secrets,
      storageProfile: StorageProfile.existing('standard-rwo'),
    }),
    new Environment({
      name: 'staging',
      tier: Tier.STAGING,
      namespace: 'orders-staging',
      cluster: 'nonprod',
      labels: { 'acme.example/cost-center': 'orders' },
      kubernetesVersion: '1.30',
      allowedRegistries: registries,
      secretBackend: secrets,
      storageProfile: StorageProfile.ondat({ name: 'ondat-replicated-1', replicas: 1, encryption: true }),
    }),
    new Environment({
      name: 'prod',
      tier: Tier.PRODUCTION,
      namespace: 'orders',
      cluster: 'prod-eu-west',
      labels: { 'acme.example/cost-center': 'orders' },
      kubernetesVersion: '1.30',
      allowedRegistries: registries,
      secretBackend: secrets,
      storageProfile: StorageProfile.ondat({ name: 'ondat-encrypted-replicated-2', replicas: 2, encryption: true }),
    }),
  ];

  for (const env of environments) {
    const chart = new EnvironmentChart(app, `orders-${env.name}`, { environment: env });
    new OrdersApi(chart, 'Api', { image: 'ghcr.io/acme-orders/orders-api:1.8.2' });
  }
  return app;
}
