import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ValidationError } from '../errors';
import { canonicalJson } from '../private/canonical';

/** Symbol marking platform charts, checked without instanceof. */
const PLATFORM_SYMBOL = Symbol.for('cdk8s-stateful.PlatformChart');

/**
 * The cluster-scoped prerequisites of the environments deployed to one cluster (Namespaces with
 * their Pod Security labels, StorageClasses): rendered into `platform/<cluster>/`.
 *
 * Created on demand by `EnvironmentChart`; several environments on one cluster share it, and an
 * object they both need is rendered once (conflicting definitions are a ValidationError).
 */
export class PlatformChart extends Chart {
  /**
   * The platform chart of `cluster` in the app that `scope` belongs to (created on first use).
   */
  public static forCluster(scope: IConstruct, cluster: string): PlatformChart {
    const root = scope.node.root;
    const id = `platform-${cluster}`;
    const existing = root.node.tryFindChild(id);
    if (existing) {
      if (!PlatformChart.isPlatformChart(existing)) {
        throw new ValidationError({
          code: 'DUPLICATE_ID',
          path: existing.node.path,
          property: 'id',
          value: JSON.stringify(id),
          allowed: `an id other than "${id}", which is reserved for the platform layer of cluster "${cluster}"`,
        });
      }
      return existing;
    }
    return new PlatformChart(root as Construct, id, cluster);
  }

  /** True if `x` is a PlatformChart. */
  public static isPlatformChart(x: any): x is PlatformChart {
    return x !== null && typeof x === 'object' && x[PLATFORM_SYMBOL] === true;
  }

  /** The cluster. */
  public readonly cluster: string;
  private readonly owners = new Map<string, { path: string; json: string }>();

  private constructor(scope: Construct, id: string, cluster: string) {
    super(scope, id, { disableResourceNameHashes: true });
    this.cluster = cluster;
    Object.defineProperty(this, PLATFORM_SYMBOL, { value: true });
  }

  /**
   * Adds a cluster-scoped manifest required by `requester`, once: a second identical request is a
   * no-op, a different definition under the same kind and name is a ValidationError naming both.
   */
  public require(requester: IConstruct, manifest: any): ApiObject {
    const key = manifest.metadata.namespace ? `${manifest.kind}.${manifest.metadata.namespace}.${manifest.metadata.name}` : `${manifest.kind}.${manifest.metadata.name}`;
    const json = canonicalJson(manifest);
    const previous = this.owners.get(key);
    if (previous) {
      if (previous.json !== json) {
        throw new ValidationError({
          code: 'CONFLICTING_DEFINITION',
          path: requester.node.path || '/',
          property: `${manifest.kind} "${manifest.metadata.name}" on cluster "${this.cluster}"`,
          value: json,
          allowed: `the same definition as ${previous.path}: ${previous.json}`,
        });
      }
      return this.node.findChild(key) as ApiObject;
    }
    this.owners.set(key, { path: requester.node.path, json });
    return new ApiObject(this, key, manifest);
  }
}
