import * as crypto from 'crypto';
import * as path from 'path';
import { ValidationError } from '../errors/validation-error';

/**
 * What a synthesis shard is cut along.
 */
export enum ShardBy {
  /** One shard per cluster (`Environment.cluster`): its environments, platform layer and Flux wiring. */
  CLUSTER = 'cluster',
  /** One shard per environment: its hydrated manifests, overlay and layers. */
  ENVIRONMENT = 'environment',
}

/** The environment variable that selects a shard (`cluster:<name>` or `environment:<name>`). */
export const SHARD_ENV_VAR = 'CDK8S_STATEFUL_SHARD';
/** The environment variable that sets the output folder of a shard. */
export const SHARD_OUTDIR_ENV_VAR = 'CDK8S_STATEFUL_SHARD_OUTDIR';

/** A cluster or environment name: it becomes a folder name, so no separators and no dot segments. */
const PART_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;

/**
 * One part of a GitOpsApp's output, synthesized on its own (e.g. in one CI job of many) and joined
 * with the other parts by `cdk8s-stateful merge`. The whole construct tree is still built and
 * validated; only the files of the part are checked (policies, change safety) and written.
 */
export class SynthesisShard {
  /**
   * The part of one cluster: the environments on it (`rendered/`, `overlays/`, `layers/`), its
   * platform layer (`platform/<cluster>/`) and its Flux wiring (`clusters/<cluster>/`).
   */
  public static cluster(name: string): SynthesisShard {
    return new SynthesisShard(ShardBy.CLUSTER, name, 'shard');
  }

  /**
   * The part of one environment (`rendered/<env>/`, `overlays/<env>/`, `layers/<env>/`); the
   * platform layer and Flux wiring of a cluster belong to the first of its environments by name.
   */
  public static environment(name: string): SynthesisShard {
    return new SynthesisShard(ShardBy.ENVIRONMENT, name, 'shard');
  }

  /**
   * Parses `cluster:<name>` or `environment:<name>` (the form of `$CDK8S_STATEFUL_SHARD`).
   */
  public static parse(spec: string): SynthesisShard {
    return parseShard(spec, 'shard');
  }

  /** @internal */
  public static _create(by: ShardBy, name: string, property: string): SynthesisShard {
    return new SynthesisShard(by, name, property);
  }

  /** What the shard is cut along. */
  public readonly by: ShardBy;
  /** The cluster or environment name. */
  public readonly name: string;

  private constructor(by: ShardBy, name: string, property: string) {
    if (!Object.values(ShardBy).includes(by)) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property, value: JSON.stringify(by), allowed: 'ShardBy.CLUSTER or ShardBy.ENVIRONMENT' });
    }
    if (typeof name !== 'string' || !PART_NAME.test(name)) {
      throw new ValidationError({
        code: 'INVALID_VALUE',
        path: '/',
        property,
        value: JSON.stringify(name),
        allowed: `${by === 'environment' ? 'an' : 'a'} ${by} name (lower-case letters, digits, "-", "." and "_")`,
      });
    }
    this.by = by;
    this.name = name;
  }

  /** `cluster:<name>` or `environment:<name>`. */
  public toString(): string {
    return `${this.by}:${this.name}`;
  }

}

function parseShard(spec: string, property: string): SynthesisShard {
  const m = /^(cluster|environment):(.*)$/.exec(typeof spec === 'string' ? spec.trim() : '');
  if (!m) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path: '/',
      property,
      value: JSON.stringify(spec),
      allowed: '"cluster:<name>" or "environment:<name>", e.g. cluster:prod-eu-west',
    });
  }
  return SynthesisShard._create(m[1] as ShardBy, m[2], property);
}

/**
 * The shard a GitOpsApp synthesizes: the `shard` prop or `$CDK8S_STATEFUL_SHARD`. When both are
 * set they must name the same part: an app hard-wired to one shard and run by a CI matrix for
 * another would otherwise write one part twice and another never, so a conflict is refused.
 */
export function resolveShard(prop: SynthesisShard | undefined, env: string | undefined): SynthesisShard | undefined {
  const fromEnv = env !== undefined && env.trim() !== '' ? parseShard(env, `$${SHARD_ENV_VAR}`) : undefined;
  if (prop !== undefined && !(prop instanceof SynthesisShard)) {
    throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'shard', value: String(prop), allowed: 'a SynthesisShard' });
  }
  if (prop && fromEnv && prop.toString() !== fromEnv.toString()) {
    throw new ValidationError({
      code: 'CONFLICTING_DEFINITION',
      path: '/',
      property: `$${SHARD_ENV_VAR}`,
      value: JSON.stringify(fromEnv.toString()),
      allowed: `unset, or the shard the app names itself (${prop.toString()})`,
    });
  }
  return prop ?? fromEnv;
}

/** Default output folder of a shard: `<outdir>-shards/<by>-<name>`, beside the GitOps output. */
export function defaultShardOutdir(outdir: string, shard: SynthesisShard): string {
  const abs = path.resolve(outdir);
  return path.join(path.dirname(abs), `${path.basename(abs)}-shards`, `${shard.by}-${shard.name}`);
}

/** Whether `a` and `b` are the same folder or one holds the other. */
export function nestedFolders(a: string, b: string): boolean {
  const x = path.resolve(a);
  const y = path.resolve(b);
  return x === y || x.startsWith(y + path.sep) || y.startsWith(x + path.sep);
}

/** What the partition needs to know about an environment. */
export interface PartitionEnvironment {
  readonly name: string;
  readonly cluster: string;
}

/**
 * Which part owns each output file. Every file has exactly one owner, so the union of the parts
 * is the whole output:
 * - `rendered/<env>/`, `overlays/<env>/`, `layers/<env>/`: the environment (or its cluster);
 * - `platform/<cluster>/`, `clusters/<cluster>/` (the Flux wiring of a cluster): the cluster (or
 *   the first of its environments by name);
 * - `base/` (the kustomize base): the base environment (or its cluster);
 * - everything that spans clusters (`argocd/`, `README.md`) and whatever names an environment or
 *   cluster that no longer exists: the root part, the first part by name.
 */
export class ShardPartition {
  /** Every part, sorted. */
  public readonly parts: string[];
  /** Owner of the files that span parts. */
  public readonly root: string;
  private readonly envPart = new Map<string, string>();
  private readonly clusterPart = new Map<string, string>();

  public constructor(
    public readonly by: ShardBy,
    environments: readonly PartitionEnvironment[],
    platformClusters: readonly string[],
    private readonly kustomizeBase: string | undefined,
  ) {
    const envs = [...environments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (by === ShardBy.CLUSTER) {
      this.parts = [...new Set([...envs.map((e) => e.cluster), ...platformClusters])].sort();
      for (const e of envs) this.envPart.set(e.name, e.cluster);
      for (const c of this.parts) this.clusterPart.set(c, c);
    } else {
      this.parts = envs.map((e) => e.name);
      for (const e of envs) {
        this.envPart.set(e.name, e.name);
        if (!this.clusterPart.has(e.cluster)) this.clusterPart.set(e.cluster, e.name);
      }
    }
    this.root = this.parts[0] ?? '';
  }

  /** The part that owns `file` (a posix path relative to the output directory). */
  public partOfFile(file: string): string {
    const [top, second] = file.split('/');
    switch (top) {
      case 'rendered':
      case 'overlays':
      case 'layers':
        return this.envPart.get(second) ?? this.root;
      case 'platform':
      case 'clusters':
        return this.clusterPart.get(second) ?? this.root;
      case 'base':
        return (this.kustomizeBase !== undefined ? this.envPart.get(this.kustomizeBase) : undefined) ?? this.root;
      default:
        return this.root;
    }
  }

  /** The part that owns a finding: the part of its file, else of its environment, else the root part. */
  public partOfFinding(f: { file?: string; environment?: string }): string {
    if (f.file !== undefined) return this.partOfFile(f.file);
    if (f.environment !== undefined) return this.envPart.get(f.environment) ?? this.root;
    return this.root;
  }
}

/** One shard of a synthesis: the partition of the app and the part being synthesized. */
export class ShardScope {
  public constructor(public readonly shard: SynthesisShard, public readonly partition: ShardPartition) {
    if (!partition.parts.includes(shard.name)) {
      throw new ValidationError({
        code: 'UNKNOWN_SHARD',
        path: '/',
        property: 'shard',
        value: JSON.stringify(shard.toString()),
        allowed: partition.parts.length > 0
          ? `${shard.by === 'environment' ? 'an' : 'a'} ${shard.by} of the app: ${partition.parts.map((p) => `${shard.by}:${p}`).join(', ')}`
          : `an app with at least one ${shard.by}`,
      });
    }
  }

  public ownsFile(file: string): boolean {
    return this.partition.partOfFile(file) === this.shard.name;
  }

  public ownsFinding(f: { file?: string; environment?: string }): boolean {
    return this.partition.partOfFinding(f) === this.shard.name;
  }
}

/**
 * Digest of the whole output (every file of every part: its path and its content, or for an object
 * file the canonical object it is rendered from), so `merge` can tell shards of different app
 * versions apart: each shard renders every object, whichever part it writes.
 */
export function outputDigest(entries: Iterable<{ path: string; text: string }>): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = crypto.createHash('sha256');
  for (const e of sorted) {
    hash.update(e.path);
    hash.update('\0');
    hash.update(e.text);
    hash.update('\0');
  }
  return hash.digest('hex');
}
