import { Tier } from '../../environment/tier';
import { markBuiltInRule } from '../findings-memo';
import { PolicyPack, PolicyPackProps } from '../pack';
import { checksFor } from '../pod-security/registry';
import { PssLevel } from '../pod-security/types';
import { parsePssVersion } from '../pod-security/version';
import { Severity } from '../severity';
import {
  BackupRequired, BackupRetention, DatabaseAutomaticFailover, DatabaseEncryptedStorage, DatabaseInstances, DatabaseRetainOnDelete, DatabaseZoneSpread,
} from './data-protection/database-rules';
import {
  QueueEncryptedStorage, QueueNoLiteralCredentials, QueueReplicas, QueueReplication, QueueRetainOnDelete, QueueZoneSpread,
} from './data-protection/queue-rules';
import { EncryptedStorage, ReplicatedStorage, RetainOnDelete } from './data-protection/storage-rules';
import { AllowedRegistries } from './gitops-hygiene/allowed-registries';
import { NoLiteralCredentials } from './gitops-hygiene/literal-credentials';
import { NamespaceScoped } from './gitops-hygiene/namespace-scoped';
import { NoDefaultNamespace } from './gitops-hygiene/no-default-namespace';
import { NoSecretData } from './gitops-hygiene/no-secret-data';
import { PodSecurityRule } from './pod-security-rule';
import { DisruptionBudget } from './production-readiness/disruption-budget';
import { ImagePinned } from './production-readiness/image-pinned';
import { MemoryLimit } from './production-readiness/memory-limit';
import { NetworkPolicyCoverage } from './production-readiness/network-policy';
import { LivenessProbe, ReadinessProbe } from './production-readiness/probes';
import { ProductionReplicas } from './production-readiness/production-replicas';
import { ResourceRequests } from './production-readiness/resource-requests';
import { ZoneSpread } from './production-readiness/zone-spread';

/**
 * Options of the Pod Security packs.
 */
export interface PodSecurityPackOptions {
  /**
   * Version of the Pod Security Standards: a Kubernetes minor version (`1.28`) or `latest`, like the
   * `pod-security.kubernetes.io/enforce-version` namespace label.
   *
   * @default - each environment's Kubernetes version (`latest` for objects without one)
   */
  readonly version?: string;
}

/**
 * Options for building every built-in pack.
 */
export interface BuiltInPacksOptions {
  /**
   * Pod Security Standards version of the `pod-security-restricted` pack.
   *
   * @default - each environment's Kubernetes version
   */
  readonly podSecurityVersion?: string;
}

const BUILT_IN_PACK_IDS = ['pod-security-baseline', 'pod-security-restricted', 'production-readiness', 'data-protection', 'gitops-hygiene'];

/**
 * The built-in policy packs. Apply one with
 * `Aspects.of(scope).add(pack, { priority: AspectPriority.READONLY })`.
 */
export class PolicyPacks {
  /**
   * `pod-security-baseline`: every baseline check of the Pod Security Standards.
   */
  public static podSecurityBaseline(options: PodSecurityPackOptions = {}): PolicyPack {
    return PolicyPacks.podSecurity('baseline', options);
  }

  /**
   * `pod-security-restricted`: every baseline and restricted check of the Pod Security Standards.
   */
  public static podSecurityRestricted(options: PodSecurityPackOptions = {}): PolicyPack {
    return PolicyPacks.podSecurity('restricted', options);
  }

  /**
   * `production-readiness`: requests and memory limits, probes, pinned images, PDB, spread and
   * NetworkPolicy for replicated workloads, replicas in production. Errors are warnings in
   * development environments.
   */
  public static productionReadiness(): PolicyPack {
    return builtIn('production-readiness', {
      id: 'production-readiness',
      manifestRules: [
        new ResourceRequests(), new MemoryLimit(), new ReadinessProbe(), new LivenessProbe(), new ImagePinned(),
        new DisruptionBudget(), new ZoneSpread(), new ProductionReplicas(), new NetworkPolicyCoverage(),
      ],
      severityOverrides: [{ tier: Tier.DEVELOPMENT, maxSeverity: Severity.WARNING }],
    });
  }

  /**
   * `data-protection`: encrypted, replicated, retained storage in production; for databases,
   * backups with retention, 3+ instances, zone spread, encrypted retained volumes and automatic
   * failover in production, whatever the engine; for message queues: 3+ brokers, zone spread,
   * replicated queues / topics (3 replicas, min.insync.replicas 2), retain on delete, encrypted
   * storage in production, and no literal credentials in broker settings (every tier).
   */
  public static dataProtection(): PolicyPack {
    return builtIn('data-protection', {
      id: 'data-protection',
      modelRules: [
        new EncryptedStorage(), new RetainOnDelete(), new ReplicatedStorage(),
        new BackupRequired(), new BackupRetention(), new DatabaseInstances(), new DatabaseZoneSpread(),
        new DatabaseEncryptedStorage(), new DatabaseRetainOnDelete(), new DatabaseAutomaticFailover(),
        new QueueReplicas(), new QueueZoneSpread(), new QueueReplication(), new QueueRetainOnDelete(), new QueueEncryptedStorage(),
        new QueueNoLiteralCredentials(),
      ],
    });
  }

  /**
   * `gitops-hygiene`: namespace-scoped application layers, no default namespace, allowed
   * registries, no Secret with data, no literal credential-like values.
   */
  public static gitopsHygiene(): PolicyPack {
    return builtIn('gitops-hygiene', {
      id: 'gitops-hygiene',
      manifestRules: [new NamespaceScoped(), new NoDefaultNamespace(), new AllowedRegistries(), new NoSecretData(), new NoLiteralCredentials()],
    });
  }

  /**
   * Every built-in pack (Pod Security at the restricted level, which includes baseline).
   */
  public static all(options: BuiltInPacksOptions = {}): PolicyPack[] {
    return [
      PolicyPacks.podSecurityRestricted({ version: options.podSecurityVersion }),
      PolicyPacks.productionReadiness(),
      PolicyPacks.dataProtection(),
      PolicyPacks.gitopsHygiene(),
    ];
  }

  /**
   * Ids of the built-in packs.
   */
  public static builtInIds(): string[] {
    return [...BUILT_IN_PACK_IDS];
  }

  /**
   * A built-in pack by id (`pod-security-baseline`, `pod-security-restricted`,
   * `production-readiness`, `data-protection`, `gitops-hygiene`).
   */
  public static byId(id: string, options: BuiltInPacksOptions = {}): PolicyPack {
    switch (id) {
      case 'pod-security-baseline': return PolicyPacks.podSecurityBaseline({ version: options.podSecurityVersion });
      case 'pod-security-restricted': return PolicyPacks.podSecurityRestricted({ version: options.podSecurityVersion });
      case 'production-readiness': return PolicyPacks.productionReadiness();
      case 'data-protection': return PolicyPacks.dataProtection();
      case 'gitops-hygiene': return PolicyPacks.gitopsHygiene();
      default: throw new Error(`unknown pack ${JSON.stringify(id)}: one of ${BUILT_IN_PACK_IDS.join(', ')}`);
    }
  }

  private static podSecurity(level: PssLevel, options: PodSecurityPackOptions): PolicyPack {
    if (options.version !== undefined) parsePssVersion(options.version);
    return builtIn(`pod-security|${level}|${options.version ?? ''}`, {
      id: `pod-security-${level}`,
      version: options.version,
      manifestRules: checksFor(level).map((check) => new PodSecurityRule(check, level, options.version)),
    });
  }

  private constructor() {}
}

/** A pack of built-in rules: its manifest rules are marked as such (their findings can be memoized). */
function builtIn(config: string, props: PolicyPackProps): PolicyPack {
  const pack = new PolicyPack(props);
  for (const rule of pack.manifestRules) markBuiltInRule(rule, config);
  return pack;
}
