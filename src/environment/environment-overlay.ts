import { Construct } from 'constructs';
import { Environment } from './environment';
import { EnvironmentChart } from './environment-chart';
import { ValidationError } from '../errors/validation-error';
import { invalid } from '../private/names';

/**
 * Defines an application's constructs in one environment's chart (called once per environment).
 */
export interface IEnvironmentApplication {
  /**
   * Adds the application's constructs to `chart`; `Environment.of(chart)` (or `chart.environment`)
   * tells which environment it is, for per-environment values and objects present in some
   * environments only.
   */
  define(chart: EnvironmentChart): void;
}

/**
 * Properties of an EnvironmentOverlay.
 */
export interface EnvironmentOverlayProps {
  /**
   * The environments, in promotion order (e.g. dev, staging, prod).
   */
  readonly environments: Environment[];

  /**
   * Name of the environment the kustomize `base/` is rendered from; the others become overlays.
   *
   * @default - the first environment
   */
  readonly base?: string;

  /**
   * The application, defined once for every environment.
   *
   * @default - none: add constructs with `chartFor(name)` / `define()`
   */
  readonly application?: IEnvironmentApplication;
}

/**
 * One application across several environments, each rendered through its own EnvironmentChart
 * (`<id>-<environment>`). With the kustomize layout, the base environment becomes `base/` and the
 * others `overlays/<env>/` with the patches derived from their differences.
 */
export class EnvironmentOverlay extends Construct {
  /** The environments, in the given order. */
  public readonly environments: Environment[];
  /** Name of the base environment. */
  public readonly baseEnvironment: string;
  private readonly charts = new Map<string, EnvironmentChart>();

  public constructor(scope: Construct, id: string, props: EnvironmentOverlayProps) {
    super(scope, id);
    if (!props || !Array.isArray(props.environments) || props.environments.length === 0) {
      throw invalid(this, 'INVALID_VALUE', 'environments', props?.environments, 'a non-empty list of Environments');
    }
    const byName = new Map<string, Environment>();
    const byNamespace = new Map<string, Environment>();
    for (const env of props.environments) {
      if (!(env instanceof Environment)) throw invalid(this, 'INVALID_VALUE', 'environments', env, 'Environments');
      if (byName.has(env.name)) throw invalid(this, 'DUPLICATE_ENVIRONMENT', 'environments', env.name, 'distinct environment names');
      const key = `${env.cluster}/${env.namespace}`;
      const other = byNamespace.get(key);
      if (other) {
        throw invalid(this, 'CONFLICTING_NAMESPACE', `environments["${env.name}"].namespace`, env.namespace,
          `a namespace not already claimed on cluster "${env.cluster}" by environment "${other.name}"`);
      }
      byName.set(env.name, env);
      byNamespace.set(key, env);
    }
    this.environments = [...props.environments];
    this.baseEnvironment = props.base ?? props.environments[0].name;
    if (!byName.has(this.baseEnvironment)) {
      throw invalid(this, 'UNKNOWN_ENVIRONMENT', 'base', this.baseEnvironment, `one of the environments: ${[...byName.keys()].join(', ')}`);
    }
    for (const env of this.environments) {
      this.charts.set(env.name, new EnvironmentChart(scope, `${id}-${env.name}`, { environment: env }));
    }
    if (props.application) this.define(props.application);
  }

  /**
   * Defines `application` in every environment's chart.
   */
  public define(application: IEnvironmentApplication): void {
    for (const env of this.environments) application.define(this.chartFor(env.name));
  }

  /**
   * The chart of one environment (to add objects that exist there only).
   */
  public chartFor(environment: string): EnvironmentChart {
    const chart = this.charts.get(environment);
    if (!chart) {
      throw new ValidationError({
        code: 'UNKNOWN_ENVIRONMENT',
        path: this.node.path,
        property: 'environment',
        value: JSON.stringify(environment),
        allowed: `one of ${[...this.charts.keys()].join(', ')}`,
      });
    }
    return chart;
  }
}
