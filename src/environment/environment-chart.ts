import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ValidationError } from '../errors';
import { Environment, ENVIRONMENT_SYMBOL, PodSecurityLevel } from './environment';
import { PlatformChart } from './platform-chart';
import { requireProfileStorageClass } from './profile-storage-class';

/** The environments whose default-deny NetworkPolicy an app already has. */
const DEFAULT_DENY = new WeakMap<IConstruct, Set<string>>();

/**
 * Properties of an EnvironmentChart.
 */
export interface EnvironmentChartProps {
  /**
   * The environment the chart's objects are deployed to.
   */
  readonly environment: Environment;
}

/**
 * A Chart bound to one environment: its objects go to the environment's namespace, carry its
 * labels, and find it with `Environment.of(this)`. Object names carry no construct-path hash.
 *
 * The chart also requires the environment's cluster-scoped prerequisites in the cluster's
 * platform layer: the Namespace (with Pod Security labels) and the StorageClass of its
 * StorageProfile; and renders the namespace's default-deny NetworkPolicy (`default-deny`, ingress
 * and egress) once per environment unless `Environment.defaultDenyNetworkPolicy` is false.
 */
export class EnvironmentChart extends Chart {
  /** True if `x` is an EnvironmentChart. */
  public static isEnvironmentChart(x: any): x is EnvironmentChart {
    return x !== null && typeof x === 'object' && x[ENVIRONMENT_SYMBOL] === true;
  }

  /** The environment. */
  public readonly environment: Environment;

  public constructor(scope: Construct, id: string, props: EnvironmentChartProps) {
    if (!props || !(props.environment instanceof Environment)) {
      throw new ValidationError({
        code: 'INVALID_VALUE',
        path: [scope.node.path, id].filter(Boolean).join('/'),
        property: 'environment',
        value: String(props?.environment),
        allowed: 'an Environment',
      });
    }
    const env = props.environment;
    super(scope, id, { namespace: env.namespace, labels: env.labels, disableResourceNameHashes: true });
    this.environment = env;
    Object.defineProperty(this, ENVIRONMENT_SYMBOL, { value: true });

    const platform = PlatformChart.forCluster(this, env.cluster);
    const psaVersion = `v${env.kubernetesVersion}`;
    platform.require(this, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: env.namespace,
        labels: {
          'app.kubernetes.io/managed-by': 'cdk8s-stateful',
          'kubernetes.io/metadata.name': env.namespace,
          'pod-security.kubernetes.io/enforce': env.podSecurity,
          'pod-security.kubernetes.io/enforce-version': psaVersion,
          'pod-security.kubernetes.io/audit': PodSecurityLevel.RESTRICTED,
          'pod-security.kubernetes.io/audit-version': psaVersion,
          'pod-security.kubernetes.io/warn': PodSecurityLevel.RESTRICTED,
          'pod-security.kubernetes.io/warn-version': psaVersion,
        },
      },
    });
    // one default-deny policy per environment namespace (several charts may share an environment):
    // a pod reaches and is reached by only what a policy selecting it allows
    const rendered = DEFAULT_DENY.get(this.node.root) ?? new Set<string>();
    DEFAULT_DENY.set(this.node.root, rendered);
    if (env.defaultDenyNetworkPolicy && !rendered.has(`${env.name}/${env.namespace}`)) {
      rendered.add(`${env.name}/${env.namespace}`);
      new ApiObject(this, 'DefaultDenyNetworkPolicy', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny' },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
    }
    requireProfileStorageClass(this, env.cluster, env.storageProfile);
  }
}
