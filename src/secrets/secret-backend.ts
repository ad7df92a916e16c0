import { SecretSource, SecretStoreKind } from './secret-source';
import { invalid, isDnsSubdomain, requireNonEmptyString } from '../private/names';

/**
 * Options for an External Secrets backend.
 */
export interface ExternalSecretsBackendOptions {
  /**
   * Name of the SecretStore / ClusterSecretStore.
   */
  readonly store: string;

  /**
   * Kind of the store.
   *
   * @default SecretStoreKind.CLUSTER_SECRET_STORE
   */
  readonly storeKind?: SecretStoreKind;

  /**
   * Prefix of the remote keys: a secret `db` of environment `prod` is read from `<prefix>/prod/db`.
   *
   * @default "cdk8s-stateful"
   */
  readonly keyPrefix?: string;
}

/**
 * Options for a Vault backend.
 */
export interface VaultBackendOptions {
  /**
   * Vault Kubernetes-auth role.
   */
  readonly role: string;

  /**
   * Prefix of secret paths: a secret `db` of environment `prod` is read from `<prefix>/prod/db`.
   *
   * @default "secret/data"
   */
  readonly pathPrefix?: string;
}

/**
 * An environment's default secret mechanism: where a construct's credentials come from when its
 * props name no `SecretSource`.
 */
export abstract class SecretBackend {
  /** Secrets synced by External Secrets from one store. */
  public static externalSecrets(options: ExternalSecretsBackendOptions): SecretBackend {
    return new ExternalSecretsBackend(options);
  }

  /**
   * Secrets injected by the Vault agent: `sourceFor(...).bind(...)` gives the pod annotations of the Vault Agent
   * Injector (`vault.hashicorp.com/agent-inject-secret-<name>`), for pods of your own. No construct of this library
   * takes them: the operators, servers and Jobs it renders read each credential from a Kubernetes Secret, so in an
   * environment with this backend every database and queue user needs a `password` (`ownerPassword`) that delivers
   * one, and the StatefulSet engines cannot be used (their replication and Erlang cookie Secrets come from the
   * backend). To keep the credentials in Vault, use `externalSecrets` with a store of the Vault provider.
   */
  public static vault(options: VaultBackendOptions): SecretBackend {
    return new VaultBackend(options);
  }

  /** Secrets unsealed from SealedSecrets committed by the team (one per logical name). */
  public static sealedSecrets(): SecretBackend {
    return new NamedBackend('sealed-secrets', (name) => SecretSource.sealedSecret({ secretName: name }));
  }

  /** Secrets created out of band, named after the logical name. */
  public static existingSecrets(): SecretBackend {
    return new NamedBackend('existing', (name) => SecretSource.existing(name));
  }

  /** A short description, e.g. `external-secrets:vault-backend`. */
  public abstract readonly description: string;

  /**
   * The source of a secret named `name` in environment `environmentName`.
   */
  public abstract sourceFor(environmentName: string, name: string): SecretSource;
}

class ExternalSecretsBackend extends SecretBackend {
  public readonly description: string;
  private readonly prefix: string;

  public constructor(private readonly options: ExternalSecretsBackendOptions) {
    super();
    if (!isDnsSubdomain(options.store)) {
      throw invalid('SecretBackend.externalSecrets', 'INVALID_SECRET_SOURCE', 'store', options.store, 'the name of a SecretStore or ClusterSecretStore (a DNS-1123 subdomain)');
    }
    this.prefix = requireNonEmptyString('SecretBackend.externalSecrets', 'keyPrefix', options.keyPrefix ?? 'cdk8s-stateful').replace(/\/+$/, '');
    this.description = `external-secrets:${options.store}`;
  }

  public sourceFor(environmentName: string, name: string): SecretSource {
    return SecretSource.externalSecret({
      store: this.options.store,
      storeKind: this.options.storeKind,
      remoteKey: `${this.prefix}/${environmentName}/${name}`,
    });
  }
}

class VaultBackend extends SecretBackend {
  public readonly description: string;
  private readonly prefix: string;

  public constructor(private readonly options: VaultBackendOptions) {
    super();
    requireNonEmptyString('SecretBackend.vault', 'role', options.role);
    this.prefix = requireNonEmptyString('SecretBackend.vault', 'pathPrefix', options.pathPrefix ?? 'secret/data').replace(/\/+$/, '');
    this.description = `vault:${options.role}`;
  }

  public sourceFor(environmentName: string, name: string): SecretSource {
    return SecretSource.vault({ role: this.options.role, path: `${this.prefix}/${environmentName}/${name}` });
  }
}

class NamedBackend extends SecretBackend {
  public constructor(public readonly description: string, private readonly make: (name: string) => SecretSource) {
    super();
  }

  public sourceFor(_environmentName: string, name: string): SecretSource {
    return this.make(name);
  }
}
