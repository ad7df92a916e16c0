import { IConstruct } from 'constructs';
import { ValidationError } from '../errors';
import { PerTierBoolean, PerTierNumber, PerTierString } from './per-tier';
import { StorageProfile } from './storage-profile';
import { requireTier, Tier } from './tier';
import { invalid, isDnsLabel, isDnsSubdomain, requireLabels } from '../private/names';
import { SecretBackend } from '../secrets/secret-backend';

/** Symbol marking constructs that carry an environment (EnvironmentChart), checked without instanceof. */
export const ENVIRONMENT_SYMBOL = Symbol.for('cdk8s-stateful.EnvironmentScope');

/**
 * Pod Security Standards level enforced on an environment's namespace.
 */
export enum PodSecurityLevel {
  /** No restriction. */
  PRIVILEGED = 'privileged',
  /** Prevents known privilege escalations. */
  BASELINE = 'baseline',
  /** Current pod hardening best practice. */
  RESTRICTED = 'restricted',
}

/**
 * Properties of an Environment.
 */
export interface EnvironmentProps {
  /**
   * Name of the environment (`dev`, `prod`...), a DNS-1123 label. Used in output paths.
   */
  readonly name: string;

  /**
   * Tier: drives defaults (instances, backups) and policy severities.
   */
  readonly tier: Tier;

  /**
   * Namespace the environment's workloads run in.
   *
   * @default - the environment name
   */
  readonly namespace?: string;

  /**
   * Cluster the environment is deployed to (the Flux / Argo CD destination); names the
   * `platform/<cluster>/` layer.
   *
   * @default - the environment name
   */
  readonly cluster?: string;

  /**
   * Labels added to every object of the environment. The keys `constructor` and `__proto__`
   * are refused: cdk8s cannot render an object key with either name.
   *
   * @default - none besides `app.kubernetes.io/managed-by` and `stateful.cdk8s.io/environment`
   */
  readonly labels?: { [key: string]: string };

  /**
   * Whether the namespace gets a default-deny NetworkPolicy (`default-deny`: every pod isolated for
   * ingress and egress). The library's workloads, operator pods and declared clients in the
   * namespace get the policies they need (DNS, their peers, the API server, the object store);
   * other applications need their own.
   *
   * @default true
   */
  readonly defaultDenyNetworkPolicy?: boolean;

  /**
   * Kubernetes minor version of the cluster, `MAJOR.MINOR` (e.g. `1.30`). Used for the namespace's
   * Pod Security `enforce-version` and by version-dependent policies.
   *
   * @default "1.30"
   */
  readonly kubernetesVersion?: string;

  /**
   * Image registries workloads may pull from (host, optionally with a path prefix, e.g.
   * `ghcr.io/cloudnative-pg`).
   *
   * @default - any registry
   */
  readonly allowedRegistries?: string[];

  /**
   * Where credentials come from when a construct names no SecretSource.
   *
   * @default - SecretBackend.existingSecrets(): Secrets created out of band
   */
  readonly secretBackend?: SecretBackend;

  /**
   * Storage for stateful workloads (rendered as a StorageClass in the cluster's platform layer).
   *
   * @default - the cluster's default StorageClass, declared unencrypted and unreplicated
   */
  readonly storageProfile?: StorageProfile;

  /**
   * Pod Security Standards level enforced on the namespace (`pod-security.kubernetes.io/enforce`).
   *
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;

  /**
   * Namespace the monitoring stack (Prometheus) runs in: the NetworkPolicies of the data services admit it, on
   * their metrics ports only (`namespaceSelector` on `kubernetes.io/metadata.name`), when monitoring is on.
   *
   * @default "monitoring"
   */
  readonly monitoringNamespace?: string;
}

/**
 * One deployment target of an application: a tier, a namespace on a cluster, its storage, its
 * secret backend and its constraints.
 *
 * Constructs find their environment with `Environment.of(this)` (through the `EnvironmentChart`
 * they are defined in) and apply tier-aware defaults from it.
 */
export class Environment {
  /**
   * The environment of the `EnvironmentChart` that `construct` is defined in.
   *
   * @throws ValidationError when `construct` is not inside an EnvironmentChart
   */
  public static of(construct: IConstruct): Environment {
    const found = Environment.tryOf(construct);
    if (!found) {
      throw new ValidationError({
        code: 'NO_ENVIRONMENT',
        path: construct.node.path || '/',
        property: 'scope',
        allowed: 'a construct defined inside an EnvironmentChart (or an EnvironmentOverlay environment)',
      });
    }
    return found;
  }

  /**
   * Like `of()`, but returns undefined outside an EnvironmentChart.
   */
  public static tryOf(construct: IConstruct): Environment | undefined {
    for (const scope of construct.node.scopes.slice().reverse()) {
      if ((scope as any)[ENVIRONMENT_SYMBOL] === true) {
        return (scope as any).environment as Environment;
      }
    }
    return undefined;
  }

  /** Name of the environment. */
  public readonly name: string;
  /** Tier. */
  public readonly tier: Tier;
  /** Namespace of the environment's workloads. */
  public readonly namespace: string;
  /** Cluster (GitOps destination). */
  public readonly cluster: string;
  /** Kubernetes minor version (`MAJOR.MINOR`). */
  public readonly kubernetesVersion: string;
  /**
   * Allowed image registries.
   *
   * @default - any
   */
  public readonly allowedRegistries?: string[];
  /** Default secret backend. */
  public readonly secretBackend: SecretBackend;
  /** Storage profile for stateful workloads. */
  public readonly storageProfile: StorageProfile;
  /** Pod Security level enforced on the namespace. */
  public readonly podSecurity: PodSecurityLevel;
  /** Namespace of the monitoring stack, admitted on the metrics ports. */
  public readonly monitoringNamespace: string;
  private readonly _labels: Record<string, string>;
  /** Whether the namespace gets a default-deny NetworkPolicy. */
  public readonly defaultDenyNetworkPolicy: boolean;

  public constructor(props: EnvironmentProps) {
    const where = `Environment ${JSON.stringify(props?.name)}`;
    if (!props || typeof props !== 'object') {
      throw invalid('Environment', 'INVALID_VALUE', 'props', props, 'an EnvironmentProps object');
    }
    if (!isDnsLabel(props.name)) {
      throw invalid(where, 'INVALID_NAME', 'name', props.name, 'a DNS-1123 label: at most 63 lower-case letters, digits and "-"');
    }
    this.name = props.name;
    this.tier = requireTier(where, 'tier', props.tier);
    this.namespace = props.namespace ?? props.name;
    if (!isDnsLabel(this.namespace)) {
      throw invalid(where, 'INVALID_NAME', 'namespace', this.namespace, 'a DNS-1123 label: at most 63 lower-case letters, digits and "-"');
    }
    if (this.namespace === 'default' || this.namespace.startsWith('kube-')) {
      throw invalid(where, 'INVALID_NAME', 'namespace', this.namespace, 'a dedicated namespace: not "default" and not a kube-* system namespace');
    }
    this.cluster = props.cluster ?? props.name;
    if (!isDnsSubdomain(this.cluster)) {
      throw invalid(where, 'INVALID_NAME', 'cluster', this.cluster, 'a DNS-1123 subdomain naming the target cluster');
    }
    this.kubernetesVersion = props.kubernetesVersion ?? '1.30';
    if (!/^1\.(1[0-9]|[2-9][0-9])$/.test(this.kubernetesVersion)) {
      throw invalid(where, 'INVALID_VALUE', 'kubernetesVersion', this.kubernetesVersion, 'a Kubernetes minor version "1.N" (N from 10), e.g. "1.30"');
    }
    if (props.allowedRegistries !== undefined) {
      if (!Array.isArray(props.allowedRegistries) || props.allowedRegistries.length === 0) {
        throw invalid(where, 'INVALID_VALUE', 'allowedRegistries', props.allowedRegistries, 'a non-empty list of registries (omit it to allow any)');
      }
      for (const registry of props.allowedRegistries) {
        if (typeof registry !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([-_.a-z0-9]*[a-z0-9])?)*$/.test(registry)) {
          throw invalid(where, 'INVALID_VALUE', 'allowedRegistries', registry, 'a registry host with an optional port and path prefix, e.g. "ghcr.io/cloudnative-pg"');
        }
      }
      this.allowedRegistries = [...props.allowedRegistries].sort();
    }
    this._labels = requireLabels(where, 'labels', props.labels);
    if (props.defaultDenyNetworkPolicy !== undefined && typeof props.defaultDenyNetworkPolicy !== 'boolean') {
      throw invalid(where, 'INVALID_VALUE', 'defaultDenyNetworkPolicy', props.defaultDenyNetworkPolicy, 'true or false');
    }
    this.defaultDenyNetworkPolicy = props.defaultDenyNetworkPolicy ?? true;
    this.secretBackend = props.secretBackend ?? SecretBackend.existingSecrets();
    this.storageProfile = props.storageProfile ?? StorageProfile.existing('standard');
    this.podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    if (!Object.values(PodSecurityLevel).includes(this.podSecurity)) {
      throw invalid(where, 'INVALID_VALUE', 'podSecurity', this.podSecurity, 'one of privileged, baseline, restricted');
    }
    this.monitoringNamespace = props.monitoringNamespace ?? 'monitoring';
    if (!isDnsLabel(this.monitoringNamespace)) {
      throw invalid(where, 'INVALID_NAME', 'monitoringNamespace', this.monitoringNamespace,
        'the namespace Prometheus runs in, a DNS-1123 label (e.g. "monitoring", "kube-prometheus-stack")');
    }
  }

  /** True in PRODUCTION environments. */
  public get isProduction(): boolean {
    return this.tier === Tier.PRODUCTION;
  }

  /**
   * Labels of every object of the environment (user labels plus the library's own).
   */
  public get labels(): { [key: string]: string } {
    return {
      ...this._labels,
      'app.kubernetes.io/managed-by': 'cdk8s-stateful',
      'stateful.cdk8s.io/environment': this.name,
    };
  }

  /**
   * The labels operators copy onto the pods (and other children) they create: the user's labels and
   * the environment label, not `app.kubernetes.io/managed-by` (the operator manages those objects).
   *
   * @internal
   */
  public _inheritedLabels(): { [key: string]: string } {
    return { ...this._labels, 'stateful.cdk8s.io/environment': this.name };
  }

  /**
   * Picks the number for this environment: by name, then by tier, then `otherwise`.
   */
  public selectNumber(values: PerTierNumber): number {
    return this.select(values, 'number') as number;
  }

  /**
   * Picks the string for this environment: by name, then by tier, then `otherwise`.
   */
  public selectString(values: PerTierString): string {
    return this.select(values, 'string') as string;
  }

  /**
   * Picks the boolean for this environment: by name, then by tier, then `otherwise`.
   */
  public selectBoolean(values: PerTierBoolean): boolean {
    return this.select(values, 'boolean') as boolean;
  }

  private select(values: PerTierNumber | PerTierString | PerTierBoolean, type: 'number' | 'string' | 'boolean'): unknown {
    const where = `Environment "${this.name}"`;
    const byName = values.byEnvironment as Record<string, unknown> | undefined;
    const candidates: unknown[] = [byName?.[this.name], (values as any)[this.tier], values.otherwise];
    const value = candidates.find((v) => v !== undefined);
    if (value === undefined) {
      throw invalid(where, 'NO_VALUE_FOR_ENVIRONMENT', 'per-tier value', values,
        `a value for environment "${this.name}", for tier "${this.tier}", or "otherwise"`);
    }
    if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) {
      throw invalid(where, 'INVALID_VALUE', 'per-tier value', value, `a ${type}`);
    }
    return value;
  }
}
