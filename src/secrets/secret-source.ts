import { Construct, IConstruct } from 'constructs';
import type * as ExternalSecrets from '../imports/external-secrets.io';
import { invalid, isDnsSubdomain, requireLabels, requireNonEmptyString, requireRenderableKey } from '../private/names';
import { recordProvidedBinding } from '../private/provided-bindings';

/**
 * Which mechanism delivers a secret to the cluster.
 */
export enum SecretSourceKind {
  /** An External Secrets Operator `ExternalSecret` syncs it from a secret store. */
  EXTERNAL_SECRET = 'ExternalSecret',
  /** A Bitnami SealedSecret, committed elsewhere, unseals it. */
  SEALED_SECRET = 'SealedSecret',
  /** The Vault agent injector writes it into the pod's filesystem. */
  VAULT = 'Vault',
  /** A Secret that already exists in the namespace. */
  EXISTING = 'Existing',
}

/**
 * Kind of store an ExternalSecret reads from.
 */
export enum SecretStoreKind {
  /** A namespaced `SecretStore`. */
  SECRET_STORE = 'SecretStore',
  /** A cluster-wide `ClusterSecretStore`. */
  CLUSTER_SECRET_STORE = 'ClusterSecretStore',
}

/**
 * Options for a secret synced by External Secrets.
 */
export interface ExternalSecretOptions {
  /**
   * Name of the SecretStore / ClusterSecretStore (`spec.secretStoreRef.name`).
   */
  readonly store: string;

  /**
   * Kind of the store (`spec.secretStoreRef.kind`).
   *
   * @default SecretStoreKind.CLUSTER_SECRET_STORE
   */
  readonly storeKind?: SecretStoreKind;

  /**
   * Key of the secret in the remote store (`remoteRef.key`).
   */
  readonly remoteKey: string;

  /**
   * Maps each key of the Kubernetes Secret to a property of the remote secret
   * (`spec.data[].secretKey` → `remoteRef.property`). The Secret then holds only these keys (and
   * those the consumer templates), so every key the consumer reads must be mapped (e.g. `password`
   * for a user, `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY` for backup credentials): a
   * `ValidationError` names the missing ones.
   *
   * @default - every property of the remote secret is extracted (`spec.dataFrom[].extract`)
   */
  readonly properties?: { [secretKey: string]: string };

  /**
   * How often the secret is re-read from the store (`spec.refreshInterval`).
   *
   * @default "1h"
   */
  readonly refreshInterval?: string;

  /**
   * Name of the Kubernetes Secret to create (`spec.target.name`).
   *
   * @default - the name the consuming construct asks for
   */
  readonly secretName?: string;
}

/**
 * Options for a secret unsealed from a SealedSecret.
 */
export interface SealedSecretOptions {
  /**
   * Name of the Secret the SealedSecret controller creates.
   */
  readonly secretName: string;
}

/**
 * Options for a secret injected by the Vault agent.
 */
export interface VaultSecretOptions {
  /**
   * Vault Kubernetes-auth role the pod logs in with (`vault.hashicorp.com/role`).
   */
  readonly role: string;

  /**
   * Path of the secret in Vault (`vault.hashicorp.com/agent-inject-secret-<name>`).
   */
  readonly path: string;
}

/**
 * Options for an existing Secret.
 */
export interface ExistingSecretOptions {
  /**
   * Keys the Secret is known to hold. Every key the consumer reads (e.g. `username`, `password` and `uri` for a
   * database user, `cookie` for an Erlang cookie) must be among them: a `ValidationError` names the missing ones.
   *
   * @default - the keys the consuming construct asks for are assumed to exist
   */
  readonly keys?: string[];
}

/**
 * What a consuming construct asks of a secret source.
 */
export interface SecretBindOptions {
  /**
   * Logical name of the secret; also the Kubernetes Secret's name unless the source names it.
   */
  readonly name: string;

  /**
   * Keys the consumer reads (e.g. `username`, `password`).
   */
  readonly keys: string[];

  /**
   * Keys derived from the others, as Go templates over the secret's keys (e.g. a connection URI
   * `postgresql://{{ .username }}:{{ .password | urlquery | replace "+" "%20" }}@host:5432/db`). External Secrets
   * renders them (`spec.target.template`); other sources must already hold these keys. The keys
   * `constructor` and `__proto__` are refused: cdk8s cannot render an object key with either name.
   *
   * @default - none
   */
  readonly templates?: { [key: string]: string };

  /**
   * Labels the Kubernetes Secret carries, e.g. the label an operator watches for password changes
   * (`cnpg.io/reload: "true"`). An ExternalSecret renders them (`spec.target.template.metadata.labels`);
   * a SealedSecret or an existing Secret must carry them already.
   *
   * @default - none
   */
  readonly labels?: { [key: string]: string };

  /**
   * What each key read must hold, in words (e.g. `password`: `the password of user "shop"`): the generated README
   * lists it for a Secret the output reads but does not create (a SealedSecret or an existing Secret), so whoever
   * creates the Secret knows what to put under each key. Templated keys are described by their template.
   *
   * @default - no description: the README says only that the reading objects expect the key
   */
  readonly descriptions?: { [key: string]: string };
}

/**
 * How a consumer gets at a bound secret.
 */
export interface SecretBinding {
  /** The mechanism. */
  readonly kind: SecretSourceKind;

  /**
   * Name of the Kubernetes Secret holding the keys.
   *
   * @default - no Kubernetes Secret (Vault injection writes files into the pod)
   */
  readonly secretName?: string;

  /** Keys available. */
  readonly keys: string[];

  /**
   * Annotations the consuming pods need (Vault agent injection).
   *
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };

  /**
   * Path of the file the Vault agent writes the secret to (`/vault/secrets/<name>`): one file for the whole secret,
   * in the agent's default template (a `<key>: <value>` line per field of the secret's data; vault-k8s
   * agent-inject/agent/config.go `DefaultMapTemplate`), not one file per key.
   *
   * @default - none: the secret is a Kubernetes Secret
   */
  readonly mountPath?: string;
}

/**
 * Where a credential comes from. Credentials are never rendered as literal Secret data: every
 * source references a secret that a controller (External Secrets, Sealed Secrets, Vault) or an
 * operator delivers to the cluster.
 */
export abstract class SecretSource {
  /**
   * A Secret synced from an external store by an External Secrets Operator `ExternalSecret`
   * (rendered next to the consumer).
   */
  public static externalSecret(options: ExternalSecretOptions): SecretSource {
    return new ExternalSecretSource(options);
  }

  /**
   * A Secret unsealed by the Sealed Secrets controller from a SealedSecret committed elsewhere.
   */
  public static sealedSecret(options: SealedSecretOptions): SecretSource {
    return new ReferencedSecretSource(SecretSourceKind.SEALED_SECRET, 'SecretSource.sealedSecret', options.secretName);
  }

  /**
   * A secret written into the pod by the Vault agent injector: the binding gives the pod annotations and the file's
   * path, for pods of your own. No construct of this library takes it (each reads its credentials from a Kubernetes
   * Secret): a `ValidationError` says so.
   */
  public static vault(options: VaultSecretOptions): SecretSource {
    return new VaultSecretSource(options);
  }

  /**
   * A Secret that already exists in the namespace.
   */
  public static existing(secretName: string, options: ExistingSecretOptions = {}): SecretSource {
    return new ReferencedSecretSource(SecretSourceKind.EXISTING, 'SecretSource.existing', secretName, options.keys);
  }

  /** The mechanism. */
  public abstract readonly kind: SecretSourceKind;

  /**
   * Makes the secret available to a consumer in `scope`, rendering what the mechanism needs
   * (e.g. the ExternalSecret) at most once per scope and secret name.
   */
  public abstract bind(scope: Construct, options: SecretBindOptions): SecretBinding;
}

/** What a consumer asks for becomes object names and Secret keys: checked like user input (construct authors call `bind`). */
function requireBindOptions(scope: Construct, options: SecretBindOptions): void {
  if (!isDnsSubdomain(options?.name)) {
    throw invalid(scope, 'INVALID_SECRET_SOURCE', 'secret name', options?.name, 'the name of a Secret (a DNS-1123 subdomain)');
  }
  const keys = [...(Array.isArray(options.keys) ? options.keys : [undefined]), ...Object.keys(options.templates ?? {})];
  for (const key of keys) {
    if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key)) {
      throw invalid(scope, 'INVALID_SECRET_SOURCE', 'secret keys', key, 'Secret data keys: letters, digits, "-", "_" and "."');
    }
  }
  // templated keys become keys of the ExternalSecret's spec.target.template.data map
  for (const key of Object.keys(options.templates ?? {})) {
    requireRenderableKey(scope, 'INVALID_SECRET_SOURCE', 'templates key', key, 'a Secret data key');
  }
  requireLabels(scope, 'labels', options.labels);
}

/** What each ExternalSecret this module rendered was bound with (`signature`) and from (`from`, for a message). */
const BOUND = new WeakMap<IConstruct, { readonly signature: string; readonly from: string }>();

class ExternalSecretSource extends SecretSource {
  public readonly kind = SecretSourceKind.EXTERNAL_SECRET;
  private readonly options: ExternalSecretOptions;

  public constructor(options: ExternalSecretOptions) {
    super();
    const where = 'SecretSource.externalSecret';
    if (!isDnsSubdomain(options.store)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'store', options.store, 'the name of a SecretStore or ClusterSecretStore (a DNS-1123 subdomain)');
    }
    requireNonEmptyString(where, 'remoteKey', options.remoteKey, 'the non-empty key of the secret in the remote store');
    const storeKind = options.storeKind ?? SecretStoreKind.CLUSTER_SECRET_STORE;
    if (!Object.values(SecretStoreKind).includes(storeKind)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'storeKind', storeKind, 'SecretStore or ClusterSecretStore');
    }
    if (options.secretName !== undefined && !isDnsSubdomain(options.secretName)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'secretName', options.secretName, 'a DNS-1123 subdomain');
    }
    if (options.refreshInterval !== undefined && !/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(options.refreshInterval)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'refreshInterval', options.refreshInterval, 'a Go duration such as "1h" or "15m"');
    }
    for (const [key, property] of Object.entries(options.properties ?? {})) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
        throw invalid(where, 'INVALID_SECRET_SOURCE', 'properties key', key, 'a Secret data key: letters, digits, "-", "_" and "."');
      }
      requireNonEmptyString(where, `properties["${key}"]`, property, 'the non-empty name of a property of the remote secret');
    }
    this.options = { ...options, storeKind };
  }

  public bind(scope: Construct, options: SecretBindOptions): SecretBinding {
    requireBindOptions(scope, options);
    const secretName = this.options.secretName ?? options.name;
    const id = `ExternalSecret-${secretName}`;
    // one ExternalSecret per Secret name: a second binding of the name is the same one, or a conflict (two sources
    // for one Secret: the second would be dropped without a word, its remote key never read)
    const signature = JSON.stringify([this.options, [...options.keys].sort(), options.templates ?? {}, options.labels ?? {}]);
    // with `properties`, the Secret holds exactly those keys (and the templated ones): a key the consumer reads
    // outside them is never written, so the consumer fails at run time (a volume item or secretKeyRef naming a
    // missing key), as does a template reading it (ESO executes templates with missingkey=error)
    const properties = this.options.properties ?? undefined; // null (absent, from another jsii language) too
    if (properties !== undefined) {
      const missing = options.keys.filter((k) => !Object.prototype.hasOwnProperty.call(properties, k)
        && !Object.prototype.hasOwnProperty.call(options.templates ?? {}, k));
      if (missing.length > 0) {
        throw invalid(scope, 'INVALID_SECRET_SOURCE', 'properties', Object.keys(properties).sort().join(', '),
          `a property for every key read from Secret "${secretName}": ${[...options.keys].sort().join(', ')} (missing: ${missing.join(', ')}); `
          + 'map each of them to a property of the remote secret, or leave properties out to extract every property');
      }
    }
    const existing = scope.node.tryFindChild(id);
    const bound = existing && BOUND.get(existing);
    if (existing && bound?.signature !== signature) {
      throw invalid(scope, 'CONFLICTING_DEFINITION', 'secretName', secretName,
        `one source per Secret: "${secretName}" is already bound from ${bound?.from ?? 'another source'}; give the other its own secretName`);
    }
    if (!existing) {
      const templates = options.templates ?? {};
      const labels = options.labels ?? {};
      const hasTemplates = Object.keys(templates).length > 0;
      const hasLabels = Object.keys(labels).length > 0;
      const eso: typeof ExternalSecrets = externalSecrets();
      new eso.ExternalSecret(scope, id, {
        metadata: { name: secretName },
        spec: {
          refreshInterval: this.options.refreshInterval ?? '1h',
          secretStoreRef: {
            name: this.options.store,
            kind: this.options.storeKind === SecretStoreKind.SECRET_STORE
              ? eso.ExternalSecretSpecSecretStoreRefKind.SECRET_STORE
              : eso.ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE,
          },
          target: {
            name: secretName,
            creationPolicy: eso.ExternalSecretSpecTargetCreationPolicy.OWNER,
            deletionPolicy: eso.ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            template: hasTemplates || hasLabels ? {
              engineVersion: eso.ExternalSecretSpecTargetTemplateEngineVersion.V2,
              mergePolicy: eso.ExternalSecretSpecTargetTemplateMergePolicy.MERGE,
              metadata: hasLabels ? { labels: Object.fromEntries(Object.keys(labels).sort().map((k) => [k, labels[k]])) } : undefined,
              data: hasTemplates ? Object.fromEntries(Object.keys(templates).sort().map((k) => [k, templates[k]])) : undefined,
            } : undefined,
          },
          data: properties === undefined ? undefined : Object.keys(properties).sort().map((secretKey) => ({
            secretKey,
            remoteRef: { key: this.options.remoteKey, property: properties[secretKey] },
          })),
          dataFrom: properties === undefined ? [{ extract: { key: this.options.remoteKey } }] : undefined,
        },
      });
      BOUND.set(scope.node.findChild(id), { signature, from: `remote key "${this.options.remoteKey}" of store "${this.options.store}"` });
    }
    const base = this.options.properties ? Object.keys(this.options.properties) : options.keys;
    const keys = [...new Set([...base, ...Object.keys(options.templates ?? {})])].sort();
    return { kind: this.kind, secretName, keys };
  }
}

class ReferencedSecretSource extends SecretSource {
  private readonly keys?: string[];

  public constructor(public readonly kind: SecretSourceKind, where: string, private readonly secretName: string, keys?: string[]) {
    super();
    if (!isDnsSubdomain(secretName)) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'secretName', secretName, 'the name of a Secret (a DNS-1123 subdomain)');
    }
    // null (absent, from another jsii language) as undefined; one key given alone (plain JavaScript) as a list of it
    this.keys = keys === undefined || keys === null ? undefined : Array.isArray(keys) ? [...keys] : [keys];
    for (const key of this.keys ?? []) {
      if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key)) {
        throw invalid(where, 'INVALID_SECRET_SOURCE', 'keys', key, 'Secret data keys: letters, digits, "-", "_" and "."');
      }
    }
  }

  public bind(scope: Construct, options: SecretBindOptions): SecretBinding {
    requireBindOptions(scope, options);
    const read = [...new Set([...options.keys, ...Object.keys(options.templates ?? {})])];
    // keys declared as the ones the Secret holds: a key the consumer reads outside them fails at run time (the kubelet
    // refuses a secretKeyRef or a volume item naming a missing key: the pod never starts), so it is refused here, as
    // ExternalSecret `properties` are
    const held = this.keys;
    if (held !== undefined) {
      const missing = read.filter((k) => !held.includes(k));
      if (missing.length > 0) {
        throw invalid(scope, 'INVALID_SECRET_SOURCE', 'keys', held.join(', '),
          `every key read from Secret "${this.secretName}": ${[...read].sort().join(', ')} (missing: ${missing.sort().join(', ')}); `
          + 'add them to the Secret and to `keys`, or leave `keys` out');
      }
    }
    // nothing in the output says what this Secret must hold: the README's "Secrets you provide" does (readme.ts)
    recordProvidedBinding(scope, {
      source: this.kind,
      secretName: this.secretName,
      keys: [...options.keys],
      templates: { ...options.templates ?? {} },
      labels: { ...options.labels ?? {} },
      descriptions: { ...options.descriptions ?? {} },
    });
    return { kind: this.kind, secretName: this.secretName, keys: [...(held ?? read)] };
  }
}

class VaultSecretSource extends SecretSource {
  public readonly kind = SecretSourceKind.VAULT;

  public constructor(private readonly options: VaultSecretOptions) {
    super();
    const where = 'SecretSource.vault';
    requireNonEmptyString(where, 'role', options.role, 'the non-empty name of a Vault Kubernetes-auth role');
    if (typeof options.path !== 'string' || !/^[A-Za-z0-9][-_./A-Za-z0-9]*$/.test(options.path) || options.path.includes('..')) {
      throw invalid(where, 'INVALID_SECRET_SOURCE', 'path', options.path, 'a Vault secret path such as "secret/data/orders/db"');
    }
  }

  public bind(scope: Construct, options: SecretBindOptions): SecretBinding {
    requireBindOptions(scope, options);
    return {
      kind: this.kind,
      keys: [...options.keys],
      mountPath: `/vault/secrets/${options.name}`,
      podAnnotations: {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/role': this.options.role,
        [`vault.hashicorp.com/agent-inject-secret-${options.name}`]: this.options.path,
      },
    };
  }
}

/** The generated External Secrets bindings (a large module), loaded when an ExternalSecret is first rendered. */
function externalSecrets(): typeof ExternalSecrets {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../imports/external-secrets.io');
}
