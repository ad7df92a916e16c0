import { invalid, isDnsSubdomain, requireBoolean, requireInteger, requireNonEmptyString, requireOneOf } from '../private/names';

/**
 * What happens to a volume when its claim is deleted (StorageClass `reclaimPolicy`).
 */
export enum ReclaimPolicy {
  /** Keep the volume (and its data) after the claim is deleted. */
  RETAIN = 'Retain',
  /** Delete the volume with its claim. */
  DELETE = 'Delete',
}

/**
 * When a volume is provisioned (StorageClass `volumeBindingMode`).
 */
export enum VolumeBindingMode {
  /** Provision once a pod is scheduled, in the pod's zone (needed for zone-spread stateful sets). */
  WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer',
  /** Provision as soon as the claim is created. */
  IMMEDIATE = 'Immediate',
}

/**
 * Options every StorageProfile preset accepts.
 */
export interface StorageProfileOptions {
  /**
   * Name of the StorageClass (`metadata.name`), a DNS-1123 subdomain.
   */
  readonly name: string;

  /**
   * StorageClass `reclaimPolicy`.
   *
   * @default ReclaimPolicy.RETAIN - stateful data outlives its claim
   */
  readonly reclaimPolicy?: ReclaimPolicy;

  /**
   * StorageClass `allowVolumeExpansion`: claims can grow in place.
   *
   * @default true
   */
  readonly allowVolumeExpansion?: boolean;

  /**
   * StorageClass `volumeBindingMode`.
   *
   * @default VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER
   */
  readonly volumeBindingMode?: VolumeBindingMode;

  /**
   * Filesystem of the provisioned volumes (`csi.storage.k8s.io/fstype`).
   *
   * @default "ext4"
   */
  readonly fsType?: string;
}

/**
 * Ondat (StorageOS) volumes.
 */
export interface OndatStorageOptions extends StorageProfileOptions {
  /**
   * Replicas of each volume besides the primary (`storageos.com/replicas`), 0 to 5.
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * Encrypt volumes at rest (`storageos.com/encryption`).
   *
   * @default true
   */
  readonly encryption?: boolean;

  /**
   * Compress data on disk and on the wire (`storageos.com/nocompress` is its negation).
   *
   * @default false
   */
  readonly compression?: boolean;

  /**
   * Place replicas in different failure domains (`storageos.com/topology-aware`).
   *
   * @default true
   */
  readonly topologyAware?: boolean;

  /**
   * Secret with the Ondat API credentials used by the CSI driver, as `namespace/name`.
   *
   * @default "storageos/storageos-api"
   */
  readonly apiSecret?: string;
}

/**
 * Portworx volumes.
 */
export interface PortworxStorageOptions extends StorageProfileOptions {
  /**
   * Copies of each volume (`repl`), 1 to 3.
   *
   * @default 3
   */
  readonly replicas?: number;

  /**
   * Encrypt volumes (`secure`).
   *
   * @default true
   */
  readonly encryption?: boolean;

  /**
   * I/O profile (`io_profile`), e.g. `db_remote` for databases.
   *
   * @default "db_remote"
   */
  readonly ioProfile?: string;

  /**
   * Storage pool priority (`priority_io`): `high`, `medium` or `low`.
   *
   * @default "high"
   */
  readonly priorityIo?: string;
}

/**
 * AWS EBS volumes (EBS CSI driver).
 */
export interface AwsEbsStorageOptions extends StorageProfileOptions {
  /**
   * Volume type (`type`): gp3, gp2, io1, io2, st1, sc1.
   *
   * @default "gp3"
   */
  readonly volumeType?: string;

  /**
   * Encrypt volumes (`encrypted`).
   *
   * @default true
   */
  readonly encryption?: boolean;

  /**
   * KMS key for encryption (`kmsKeyId`), an ARN.
   *
   * @default - the account's default EBS key
   */
  readonly kmsKeyId?: string;

  /**
   * Provisioned IOPS (`iops`) for gp3 / io1 / io2.
   *
   * @default - the volume type's baseline
   */
  readonly iops?: number;

  /**
   * Throughput in MiB/s (`throughput`) for gp3.
   *
   * @default - the volume type's baseline
   */
  readonly throughput?: number;
}

/**
 * Google Compute Engine persistent disks (PD CSI driver).
 */
export interface GcePdStorageOptions extends StorageProfileOptions {
  /**
   * Disk type (`type`): pd-ssd, pd-balanced, pd-standard, pd-extreme, hyperdisk-balanced.
   *
   * @default "pd-ssd"
   */
  readonly diskType?: string;

  /**
   * Replicate disks synchronously across two zones (`replication-type: regional-pd`).
   *
   * @default false
   */
  readonly regional?: boolean;

  /**
   * Customer-managed encryption key (`disk-encryption-kms-key`). Disks are always encrypted at rest;
   * this chooses the key.
   *
   * @default - Google-managed key
   */
  readonly kmsKey?: string;
}

/**
 * A StorageClass defined elsewhere, and what it is known to provide.
 */
export interface ExistingStorageOptions {
  /**
   * Volumes are encrypted at rest.
   *
   * @default false
   */
  readonly encrypted?: boolean;

  /**
   * Copies of each volume's data kept by the storage layer.
   *
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Claims can grow in place.
   *
   * @default false
   */
  readonly allowVolumeExpansion?: boolean;

  /**
   * Reclaim policy of the class.
   *
   * @default ReclaimPolicy.DELETE - the Kubernetes default
   */
  readonly reclaimPolicy?: ReclaimPolicy;
}

interface ProfileSpec {
  readonly name: string;
  readonly provisioner?: string;
  readonly parameters: Record<string, string>;
  readonly encrypted: boolean;
  readonly replicas: number;
  readonly compressed: boolean;
  readonly allowVolumeExpansion: boolean;
  readonly reclaimPolicy: ReclaimPolicy;
  readonly volumeBindingMode: VolumeBindingMode;
}

/**
 * The storage a tier needs, as a StorageClass: encryption, replication, compression, expansion and
 * reclaim policy, with presets for real CSI drivers.
 *
 * A profile with a provisioner is rendered as a StorageClass into the cluster's `platform/` layer;
 * `StorageProfile.existing()` references a class managed elsewhere. The features are exposed so
 * that policies can check them (e.g. encrypted storage in production).
 */
export class StorageProfile {
  /**
   * Ondat (StorageOS) CSI: replicated, encrypted volumes (`csi.storageos.com`).
   */
  public static ondat(options: OndatStorageOptions): StorageProfile {
    const where = `StorageProfile "${options.name}"`;
    const replicas = requireInteger(where, 'replicas', options.replicas ?? 2, 0, 5);
    const encryption = requireBoolean(where, 'encryption', options.encryption ?? true);
    const compression = requireBoolean(where, 'compression', options.compression ?? false);
    const secret = options.apiSecret ?? 'storageos/storageos-api';
    const [secretNamespace, secretName, extra] = typeof secret === 'string' ? secret.split('/') : [];
    if (extra !== undefined || !secretNamespace || !secretName || !isDnsSubdomain(secretName) || !isDnsSubdomain(secretNamespace)) {
      throw invalid(where, 'INVALID_VALUE', 'apiSecret', secret, 'a Secret reference "namespace/name"');
    }
    return StorageProfile.make(options, {
      provisioner: 'csi.storageos.com',
      parameters: {
        'csi.storage.k8s.io/secret-name': secretName,
        'csi.storage.k8s.io/secret-namespace': secretNamespace,
        'storageos.com/replicas': String(replicas),
        'storageos.com/encryption': String(encryption),
        'storageos.com/nocompress': String(!compression),
        'storageos.com/topology-aware': String(requireBoolean(where, 'topologyAware', options.topologyAware ?? true)),
      },
      encrypted: encryption,
      replicas: replicas + 1,
      compressed: compression,
    });
  }

  /**
   * Portworx CSI (`pxd.portworx.com`).
   */
  public static portworx(options: PortworxStorageOptions): StorageProfile {
    const where = `StorageProfile "${options.name}"`;
    const replicas = requireInteger(where, 'replicas', options.replicas ?? 3, 1, 3);
    const encryption = requireBoolean(where, 'encryption', options.encryption ?? true);
    const priority = options.priorityIo ?? 'high';
    if (!['high', 'medium', 'low'].includes(priority)) {
      throw invalid(where, 'INVALID_VALUE', 'priorityIo', priority, 'one of high, medium, low');
    }
    return StorageProfile.make(options, {
      provisioner: 'pxd.portworx.com',
      parameters: {
        repl: String(replicas),
        secure: String(encryption),
        io_profile: requireNonEmptyString(where, 'ioProfile', options.ioProfile ?? 'db_remote'),
        priority_io: priority,
      },
      encrypted: encryption,
      replicas,
      compressed: false,
    });
  }

  /**
   * AWS EBS CSI (`ebs.csi.aws.com`). EBS replicates within one zone; the profile records 1 copy
   * as seen by Kubernetes.
   */
  public static awsEbs(options: AwsEbsStorageOptions): StorageProfile {
    const where = `StorageProfile "${options.name}"`;
    const type = options.volumeType ?? 'gp3';
    if (!['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1'].includes(type)) {
      throw invalid(where, 'INVALID_VALUE', 'volumeType', type, 'one of gp3, gp2, io1, io2, st1, sc1');
    }
    const encryption = requireBoolean(where, 'encryption', options.encryption ?? true);
    if (options.kmsKeyId !== undefined && !encryption) {
      throw invalid(where, 'INVALID_VALUE', 'kmsKeyId', options.kmsKeyId, 'no KMS key when encryption is false');
    }
    const parameters: Record<string, string> = { type, encrypted: String(encryption) };
    if (options.kmsKeyId !== undefined) parameters.kmsKeyId = requireNonEmptyString(where, 'kmsKeyId', options.kmsKeyId);
    if (options.iops !== undefined) parameters.iops = String(requireInteger(where, 'iops', options.iops, 100, 256000));
    if (options.throughput !== undefined) parameters.throughput = String(requireInteger(where, 'throughput', options.throughput, 125, 2000));
    return StorageProfile.make(options, {
      provisioner: 'ebs.csi.aws.com',
      parameters,
      encrypted: encryption,
      replicas: 1,
      compressed: false,
    });
  }

  /**
   * GCE persistent disk CSI (`pd.csi.storage.gke.io`); regional disks keep 2 zonal copies.
   */
  public static gcePd(options: GcePdStorageOptions): StorageProfile {
    const where = `StorageProfile "${options.name}"`;
    const type = options.diskType ?? 'pd-ssd';
    if (!['pd-ssd', 'pd-balanced', 'pd-standard', 'pd-extreme', 'hyperdisk-balanced'].includes(type)) {
      throw invalid(where, 'INVALID_VALUE', 'diskType', type, 'one of pd-ssd, pd-balanced, pd-standard, pd-extreme, hyperdisk-balanced');
    }
    const regional = requireBoolean(where, 'regional', options.regional ?? false);
    const parameters: Record<string, string> = { 'type': type, 'replication-type': regional ? 'regional-pd' : 'none' };
    if (options.kmsKey !== undefined) parameters['disk-encryption-kms-key'] = requireNonEmptyString(where, 'kmsKey', options.kmsKey);
    return StorageProfile.make(options, {
      provisioner: 'pd.csi.storage.gke.io',
      parameters,
      encrypted: true,
      replicas: regional ? 2 : 1,
      compressed: false,
    });
  }

  /**
   * A StorageClass managed outside this app (nothing is rendered); `options` declares what it provides
   * so that policies can reason about it.
   */
  public static existing(name: string, options: ExistingStorageOptions = {}): StorageProfile {
    const where = `StorageProfile "${name}"`;
    if (!isDnsSubdomain(name)) {
      throw invalid(where, 'INVALID_NAME', 'name', name, 'a DNS-1123 subdomain naming an existing StorageClass');
    }
    return new StorageProfile({
      name,
      parameters: {},
      encrypted: requireBoolean(where, 'encrypted', options.encrypted ?? false),
      replicas: requireInteger(where, 'replicas', options.replicas ?? 1, 1, 16),
      compressed: false,
      allowVolumeExpansion: requireBoolean(where, 'allowVolumeExpansion', options.allowVolumeExpansion ?? false),
      reclaimPolicy: requireOneOf(where, 'reclaimPolicy', options.reclaimPolicy ?? ReclaimPolicy.DELETE, Object.values(ReclaimPolicy)),
      volumeBindingMode: VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER,
    });
  }

  private static make(options: StorageProfileOptions, spec: Omit<ProfileSpec, 'name' | 'allowVolumeExpansion' | 'reclaimPolicy' | 'volumeBindingMode'>): StorageProfile {
    const where = `StorageProfile "${options.name}"`;
    if (!isDnsSubdomain(options.name)) {
      throw invalid(where, 'INVALID_NAME', 'name', options.name, 'a DNS-1123 subdomain: lower-case letters, digits, "-" and "."');
    }
    const reclaimPolicy = options.reclaimPolicy ?? ReclaimPolicy.RETAIN;
    if (!Object.values(ReclaimPolicy).includes(reclaimPolicy)) {
      throw invalid(where, 'INVALID_VALUE', 'reclaimPolicy', reclaimPolicy, 'one of Retain, Delete');
    }
    const bindingMode = options.volumeBindingMode ?? VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER;
    if (!Object.values(VolumeBindingMode).includes(bindingMode)) {
      throw invalid(where, 'INVALID_VALUE', 'volumeBindingMode', bindingMode, 'one of WaitForFirstConsumer, Immediate');
    }
    const fsType = options.fsType ?? 'ext4';
    if (!['ext4', 'xfs', 'btrfs'].includes(fsType)) {
      throw invalid(where, 'INVALID_VALUE', 'fsType', fsType, 'one of ext4, xfs, btrfs');
    }
    return new StorageProfile({
      ...spec,
      name: options.name,
      parameters: { 'csi.storage.k8s.io/fstype': fsType, ...spec.parameters },
      allowVolumeExpansion: requireBoolean(where, 'allowVolumeExpansion', options.allowVolumeExpansion ?? true),
      reclaimPolicy,
      volumeBindingMode: bindingMode,
    });
  }

  /** Name of the StorageClass. */
  public readonly storageClassName: string;
  /**
   * CSI provisioner of the rendered StorageClass.
   *
   * @default - none: the class exists already and is not rendered
   */
  public readonly provisioner?: string;
  /** Volumes are encrypted at rest. */
  public readonly encrypted: boolean;
  /** Copies of each volume's data kept by the storage layer. */
  public readonly replicas: number;
  /** Data is compressed by the storage layer. */
  public readonly compressed: boolean;
  /** Claims can grow in place. */
  public readonly allowVolumeExpansion: boolean;
  /** Reclaim policy. */
  public readonly reclaimPolicy: ReclaimPolicy;
  /** Volume binding mode. */
  public readonly volumeBindingMode: VolumeBindingMode;
  private readonly parameters: Record<string, string>;

  private constructor(spec: ProfileSpec) {
    this.storageClassName = spec.name;
    this.provisioner = spec.provisioner;
    this.parameters = spec.parameters;
    this.encrypted = spec.encrypted;
    this.replicas = spec.replicas;
    this.compressed = spec.compressed;
    this.allowVolumeExpansion = spec.allowVolumeExpansion;
    this.reclaimPolicy = spec.reclaimPolicy;
    this.volumeBindingMode = spec.volumeBindingMode;
  }

  /** True when the profile renders its own StorageClass (false for `existing()`). */
  public get rendersStorageClass(): boolean {
    return this.provisioner !== undefined;
  }

  /**
   * The StorageClass manifest this profile renders.
   *
   * @returns the manifest, or undefined for `existing()` profiles
   */
  public toStorageClass(): any {
    if (this.provisioner === undefined) return undefined;
    return {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: this.storageClassName,
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' },
        annotations: {
          'stateful.cdk8s.io/encrypted': String(this.encrypted),
          'stateful.cdk8s.io/replicas': String(this.replicas),
        },
      },
      provisioner: this.provisioner,
      parameters: { ...this.parameters },
      reclaimPolicy: this.reclaimPolicy,
      allowVolumeExpansion: this.allowVolumeExpansion,
      volumeBindingMode: this.volumeBindingMode,
    };
  }
}
