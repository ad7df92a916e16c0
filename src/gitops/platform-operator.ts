import { hasUrlPassword, invalid, isDnsLabel, maskUrlPassword } from '../private/names';

/** mariadb-operator's Helm repository (the one its documentation keeps; `helm.mariadb.com` is deprecated). */
const MARIADB_OPERATOR_CHARTS = 'https://mariadb-operator.github.io/mariadb-operator';

/**
 * Properties of an operator installed in the platform layer from its Helm chart.
 */
export interface PlatformOperatorProps {
  /** Short name, e.g. `cloudnative-pg` (a DNS-1123 label). */
  readonly name: string;
  /** Helm repository URL (`https://...`) or OCI registry (`oci://...` without the chart). */
  readonly repositoryUrl: string;
  /** Chart name. */
  readonly chart: string;
  /** Chart version, pinned (`MAJOR.MINOR.PATCH`). */
  readonly version: string;
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /**
   * Helm values (YAML-able), e.g. `{ crds: { create: true } }`.
   *
   * @default - the chart's defaults
   */
  readonly values?: { [key: string]: any };

  /**
   * The chart holds only the CustomResourceDefinitions of an operator whose CRDs ship in a chart of
   * their own (`mariadb-operator-crds`): its Application syncs one wave before the operators (sync
   * wave -3 instead of -2), so an operator never starts without its kinds, and never prunes
   * (`syncPolicy.automated.prune: false`): a CRD removed from a later chart version would delete every
   * object of its kind, so that removal waits for a person.
   *
   * @default false - the Application's `argocd.argoproj.io/sync-wave` is -2 and it prunes
   */
  readonly crdsOnly?: boolean;
}

/**
 * An operator the environments need (CloudNativePG, Strimzi, RabbitMQ, mariadb-operator, External
 * Secrets), installed per cluster from its Helm chart at a pinned version: an Argo CD `Application` in
 * the platform sync wave before the data services, with server-side apply for the large CRDs. The
 * CloudNativePG, RabbitMQ and mariadb-operator factories install into the namespace the matching
 * engine's `operatorNamespace` defaults to (the one its NetworkPolicies admit).
 */
export class PlatformOperator {
  /** CloudNativePG (`cnpg-system`). */
  public static cloudNativePg(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'cloudnative-pg', repositoryUrl: 'https://cloudnative-pg.github.io/charts', chart: 'cloudnative-pg', version, namespace: 'cnpg-system' });
  }

  /** The Barman Cloud plugin of CloudNativePG (`cnpg-system`). */
  public static barmanCloudPlugin(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'barman-cloud', repositoryUrl: 'https://cloudnative-pg.github.io/charts', chart: 'plugin-barman-cloud', version, namespace: 'cnpg-system' });
  }

  /** Strimzi (`strimzi`). */
  public static strimzi(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'strimzi', repositoryUrl: 'https://strimzi.io/charts/', chart: 'strimzi-kafka-operator', version, namespace: 'strimzi', values: { watchAnyNamespace: true } });
  }

  /** The RabbitMQ cluster and messaging topology operators (`rabbitmq-system`). */
  public static rabbitmq(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'rabbitmq', repositoryUrl: 'oci://registry-1.docker.io/bitnamicharts', chart: 'rabbitmq-cluster-operator', version, namespace: 'rabbitmq-system' });
  }

  /**
   * The CustomResourceDefinitions of mariadb-operator (chart `mariadb-operator-crds`, namespace
   * `mariadb-operator`): install it with {@link PlatformOperator.mariadbOperator} at the same version;
   * it syncs one wave earlier (`crdsOnly`).
   */
  public static mariadbOperatorCrds(version: string): PlatformOperator {
    return new PlatformOperator({
      name: 'mariadb-operator-crds', repositoryUrl: MARIADB_OPERATOR_CHARTS, chart: 'mariadb-operator-crds', version, namespace: 'mariadb-operator', crdsOnly: true,
    });
  }

  /**
   * mariadb-operator (`mariadb-operator`: the operator, its webhook and the webhook's certificate
   * controller); its CRDs come from {@link PlatformOperator.mariadbOperatorCrds}.
   */
  public static mariadbOperator(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'mariadb-operator', repositoryUrl: MARIADB_OPERATOR_CHARTS, chart: 'mariadb-operator', version, namespace: 'mariadb-operator' });
  }

  /** External Secrets (`external-secrets`). */
  public static externalSecrets(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'external-secrets', repositoryUrl: 'https://charts.external-secrets.io', chart: 'external-secrets', version, namespace: 'external-secrets', values: { installCRDs: true } });
  }

  /** Short name. */
  public readonly name: string;
  /** Helm repository. */
  public readonly repositoryUrl: string;
  /** Chart. */
  public readonly chart: string;
  /** Pinned chart version. */
  public readonly version: string;
  /** Namespace. */
  public readonly namespace: string;
  /**
   * Helm values.
   *
   * @default - none
   */
  public readonly values?: { [key: string]: any };
  /** Whether the chart holds only CustomResourceDefinitions (synced one wave before the operators). */
  public readonly crdsOnly: boolean;

  public constructor(props: PlatformOperatorProps) {
    const where = `PlatformOperator ${JSON.stringify(props?.name)}`;
    if (!isDnsLabel(props?.name)) throw invalid(where, 'INVALID_NAME', 'name', props?.name, 'a DNS-1123 label');
    if (typeof props.repositoryUrl !== 'string' || !/^(https|oci):\/\/[^\s]+$/.test(props.repositoryUrl) || hasUrlPassword(props.repositoryUrl)) {
      throw invalid(where, 'INVALID_VALUE', 'repositoryUrl', maskUrlPassword(props.repositoryUrl), 'an https:// Helm repository or an oci:// registry, without a password');
    }
    if (typeof props.chart !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.chart)) {
      throw invalid(where, 'INVALID_VALUE', 'chart', props.chart, 'a chart name');
    }
    if (typeof props.version !== 'string' || !/^\d+\.\d+\.\d+$/.test(props.version)) {
      throw invalid(where, 'INVALID_VERSION', 'version', props.version, 'a pinned chart version MAJOR.MINOR.PATCH (no ranges, no latest)');
    }
    if (!isDnsLabel(props.namespace)) throw invalid(where, 'INVALID_NAME', 'namespace', props.namespace, 'a namespace name');
    this.name = props.name;
    this.repositoryUrl = props.repositoryUrl;
    this.chart = props.chart;
    this.version = props.version;
    this.namespace = props.namespace;
    if (props.crdsOnly !== undefined && typeof props.crdsOnly !== 'boolean') throw invalid(where, 'INVALID_VALUE', 'crdsOnly', props.crdsOnly, 'true or false');
    this.values = props.values;
    this.crdsOnly = props.crdsOnly ?? false;
  }
}
