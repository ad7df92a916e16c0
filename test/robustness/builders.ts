/**
 * Builds the library's value objects from the plain descriptions the generators produce.
 */
import { Construct } from 'constructs';
import { BackendDesc, EnvironmentDesc, SourceDesc, StorageDesc } from './arbitraries';
import { DatabaseClient, Environment, EnvironmentChart, SecretBackend, SecretSource, StorageProfile } from '../../src';

export function buildStorage(d: StorageDesc): StorageProfile {
  switch (d.preset) {
    case 'ondat': return StorageProfile.ondat(d.options);
    case 'portworx': return StorageProfile.portworx(d.options);
    case 'awsEbs': return StorageProfile.awsEbs(d.options);
    case 'gcePd': return StorageProfile.gcePd(d.options);
    default: return StorageProfile.existing(d.name, d.options);
  }
}

export function buildSource(d: SourceDesc): SecretSource {
  switch (d.kind) {
    case 'externalSecret': return SecretSource.externalSecret(d.options);
    case 'sealedSecret': return SecretSource.sealedSecret(d.options);
    case 'vault': return SecretSource.vault(d.options);
    default: return SecretSource.existing(d.secretName, d.options);
  }
}

/** A SecretSource description, or a hostile value passed where a SecretSource belongs. */
export function sourceOrRaw(d: any): any {
  return d && typeof d === 'object' && typeof d.kind === 'string' ? buildSource(d) : d;
}

export function buildBackend(d: BackendDesc): SecretBackend {
  switch (d.kind) {
    case 'externalSecrets': return SecretBackend.externalSecrets(d.options);
    case 'vault': return SecretBackend.vault(d.options);
    case 'sealedSecrets': return SecretBackend.sealedSecrets();
    default: return SecretBackend.existingSecrets();
  }
}

export function buildEnvironment(d: EnvironmentDesc): Environment {
  return new Environment({
    ...d,
    secretBackend: d.secretBackend && buildBackend(d.secretBackend),
    storageProfile: d.storageProfile && buildStorage(d.storageProfile),
  } as any);
}

export function buildClient(d: { labels: any; namespace?: any }): DatabaseClient {
  return DatabaseClient.fromLabels(d.labels, d.namespace);
}

/** An environment that is always valid, for cases about something else. */
export function plainEnvironment(tier: string, overrides: Partial<EnvironmentDesc> = {}): Environment {
  return buildEnvironment({ name: tier === 'production' ? 'prod' : tier === 'staging' ? 'staging' : 'dev', tier, namespace: 'apps', ...overrides } as any);
}

export function chartIn(scope: Construct, env: Environment, id = 'apps'): EnvironmentChart {
  return new EnvironmentChart(scope, id, { environment: env });
}
