import { hasUrlPassword, invalid, isDnsLabel, maskUrlPassword } from '../private/names';

/**
 * Properties of an operator installed in the platform layer: from its Helm chart (`chart`), or from a
 * kustomize folder of its Git repository (`path`) for an operator released that way.
 */
export interface PlatformOperatorProps {
  /** Short name, e.g. `cloudnative-pg` (a DNS-1123 label). */
  readonly name: string;
  /**
   * Helm repository URL (`https://...`) or OCI registry (`oci://...` without the chart); with `path`,
   * the Git repository (`https://...`).
   */
  readonly repositoryUrl: string;
  /**
   * Chart name.
   *
   * @default - none: `path` names a kustomize folder of the Git repository `repositoryUrl` instead
   */
  readonly chart?: string;
  /**
   * Chart version, or with `path` the Git tag, pinned: `MAJOR.MINOR.PATCH`, with a leading `v` where
   * the chart or the tag has one (no ranges, no branches, no latest). The Application's
   * `source.targetRevision`.
   */
  readonly version: string;
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /**
   * Helm values (YAML-able), e.g. `{ crds: { create: true } }`; only with `chart`.
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

  /**
   * A folder of the Git repository `repositoryUrl` that kustomize builds into the operator's
   * manifests, at the tag `version`, instead of a Helm chart: for operators released as a kustomize
   * build (the RabbitMQ operators' `config/installation`). The Application's `source.path`; the
   * folder's Namespace objects are deleted by a `source.kustomize.patches` entry (Argo CD 2.9 or later)
   * and Argo CD creates the namespace.
   *
   * @default - a Helm chart (`chart`)
   */
  readonly path?: string;

  /**
   * Images set on the kustomize build of `path` (`name:tag`, `name=newName:tag` or `name@sha256:...`),
   * pinning what the folder leaves at `latest`: the Application's `source.kustomize.images`. Only with
   * `path`.
   *
   * @default - the images the folder names
   */
  readonly images?: string[];

  /**
   * Argo CD sync wave of the operator's Application (`argocd.argoproj.io/sync-wave`), from -20 to -2:
   * before the platform Applications (-1). What other operators need (cert-manager, a chart of CRDs)
   * goes in an earlier wave; Argo CD waits for a wave's health before the next.
   *
   * @default -2 (-3 with `crdsOnly`)
   */
  readonly syncWave?: number;
}

/** mariadb-operator's Helm repository (the one its documentation keeps; `helm.mariadb.com` is deprecated). */
const MARIADB_OPERATOR_CHARTS = 'https://mariadb-operator.github.io/mariadb-operator';

/** A pinned version: `MAJOR.MINOR.PATCH`, or with a leading `v` (charts and tags that have one). */
const PINNED_VERSION = /^v?\d+\.\d+\.\d+$/;

/** An image reference, with its tag (not `latest`) or digest: `name:tag`, `name=newName:tag`, `name@sha256:<hex>`. */
const IMAGE_NAME = '[a-z0-9]+(?:[._/:-][a-z0-9]+)*';
const PINNED_IMAGE = new RegExp(`^${IMAGE_NAME}(?:=${IMAGE_NAME})?(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$`);

/** A relative folder of a repository, without `..`. */
const REPOSITORY_FOLDER = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** What a factory was given: `MAJOR.MINOR.PATCH`, before it builds its chart version or tag from it. */
function releaseVersion(factory: string, version: string): string {
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw invalid(`PlatformOperator.${factory}()`, 'INVALID_VERSION', 'version', version, 'a pinned release MAJOR.MINOR.PATCH (no v, no ranges, no latest)');
  }
  return version;
}

/**
 * An operator the environments need (CloudNativePG, Strimzi, RabbitMQ, mariadb-operator, External
 * Secrets, and cert-manager for the operators whose webhooks need it), installed per cluster from its
 * Helm chart or its Git repository at a pinned version: an Argo CD `Application` in a sync wave before
 * the platform and the data services, with server-side apply for the large CRDs. The CloudNativePG,
 * RabbitMQ and mariadb-operator factories install into the namespace the matching engine's
 * `operatorNamespace` defaults to (the one its NetworkPolicies admit).
 */
export class PlatformOperator {
  /** CloudNativePG (`cnpg-system`). */
  public static cloudNativePg(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'cloudnative-pg', repositoryUrl: 'https://cloudnative-pg.github.io/charts', chart: 'cloudnative-pg', version, namespace: 'cnpg-system' });
  }

  /**
   * The Barman Cloud plugin of CloudNativePG (`cnpg-system`, beside the operator); its TLS with the
   * operator comes from cert-manager: add {@link PlatformOperator.certManager}.
   */
  public static barmanCloudPlugin(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'barman-cloud', repositoryUrl: 'https://cloudnative-pg.github.io/charts', chart: 'plugin-barman-cloud', version, namespace: 'cnpg-system' });
  }

  /** Strimzi (`strimzi`). */
  public static strimzi(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'strimzi', repositoryUrl: 'https://strimzi.io/charts/', chart: 'strimzi-kafka-operator', version, namespace: 'strimzi', values: { watchAnyNamespace: true } });
  }

  /**
   * The RabbitMQ cluster and messaging topology operators from Bitnami's `rabbitmq-cluster-operator`
   * chart (`rabbitmq-system`).
   *
   * @deprecated Bitnami moved the images this chart names out of `docker.io/bitnami` in September
   * 2025 (to `bitnamilegacy`, without updates), and RabbitMQ no longer documents the chart: its pods
   * fail to pull. Use {@link PlatformOperator.rabbitmqClusterOperator} and
   * {@link PlatformOperator.rabbitmqTopologyOperator} (RabbitMQ's own releases) with
   * {@link PlatformOperator.certManager}.
   */
  public static rabbitmq(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'rabbitmq', repositoryUrl: 'oci://registry-1.docker.io/bitnamicharts', chart: 'rabbitmq-cluster-operator', version, namespace: 'rabbitmq-system' });
  }

  /**
   * The RabbitMQ cluster operator (`rabbitmq-system`) as RabbitMQ releases it: its repository's
   * `config/installation` at the tag `v<version>`, with the image `ghcr.io/rabbitmq/cluster-operator:<version>`
   * (what the release's `cluster-operator.yml` holds). Its webhook certificate comes from cert-manager:
   * add {@link PlatformOperator.certManager}.
   */
  public static rabbitmqClusterOperator(version: string): PlatformOperator {
    return rabbitmqRelease('rabbitmqClusterOperator', 'rabbitmq-cluster-operator', 'cluster-operator', version);
  }

  /**
   * The RabbitMQ messaging topology operator (`rabbitmq-system`; queues, users, permissions, vhosts)
   * as RabbitMQ releases it: its repository's `config/installation` at the tag `v<version>`, with the
   * image `ghcr.io/rabbitmq/messaging-topology-operator:<version>` (the release's
   * `messaging-topology-operator-with-certmanager.yaml`). Needs {@link PlatformOperator.certManager}.
   */
  public static rabbitmqTopologyOperator(version: string): PlatformOperator {
    return rabbitmqRelease('rabbitmqTopologyOperator', 'rabbitmq-topology-operator', 'messaging-topology-operator', version);
  }

  /**
   * cert-manager (`cert-manager`, chart `v<version>` of charts.jetstack.io, with its CRDs and its
   * leader election in `cert-manager` instead of `kube-system`), which the RabbitMQ operators' webhooks
   * and the Barman Cloud plugin need: in sync wave -3, before the operators.
   */
  public static certManager(version: string): PlatformOperator {
    const v = releaseVersion('certManager', version);
    return new PlatformOperator({
      name: 'cert-manager',
      repositoryUrl: 'https://charts.jetstack.io',
      chart: 'cert-manager',
      version: `v${v}`,
      namespace: 'cert-manager',
      // its leader election lock in its own namespace, not kube-system: the operators' AppProject admits only theirs
      values: { crds: { enabled: true }, global: { leaderElection: { namespace: 'cert-manager' } } },
      syncWave: -3,
    });
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

  /**
   * The Prometheus Operator's CustomResourceDefinitions (chart `prometheus-operator-crds` of the
   * prometheus-community charts, e.g. `31.0.0` for Prometheus Operator v0.93.0; namespace `monitoring`):
   * the PodMonitors and PrometheusRules the data services render need them before an environment syncs.
   * A chart of CRDs only (`crdsOnly`: wave -3, never pruned). Leave it out where a Prometheus Operator
   * (kube-prometheus-stack) already installs them.
   */
  public static prometheusOperatorCrds(version: string): PlatformOperator {
    return new PlatformOperator({
      name: 'prometheus-operator-crds',
      repositoryUrl: 'https://prometheus-community.github.io/helm-charts',
      chart: 'prometheus-operator-crds',
      version,
      namespace: 'monitoring',
      crdsOnly: true,
    });
  }

  /** External Secrets (`external-secrets`). */
  public static externalSecrets(version: string): PlatformOperator {
    return new PlatformOperator({ name: 'external-secrets', repositoryUrl: 'https://charts.external-secrets.io', chart: 'external-secrets', version, namespace: 'external-secrets', values: { installCRDs: true } });
  }

  /** Short name. */
  public readonly name: string;
  /** Helm repository, OCI registry, or Git repository (with `path`). */
  public readonly repositoryUrl: string;
  /**
   * Chart.
   *
   * @default - none: a kustomize folder (`path`)
   */
  public readonly chart?: string;
  /** Pinned chart version or Git tag. */
  public readonly version: string;
  /** Namespace. */
  public readonly namespace: string;
  /**
   * Helm values.
   *
   * @default - none
   */
  public readonly values?: { [key: string]: any };
  /** Whether the chart holds only CustomResourceDefinitions (synced one wave before the operators, never pruned). */
  public readonly crdsOnly: boolean;
  /**
   * The kustomize folder of the Git repository.
   *
   * @default - none: a Helm chart (`chart`)
   */
  public readonly path?: string;
  /** Images set on the kustomize build (empty for a chart). */
  public readonly images: string[];
  /** Argo CD sync wave of the operator's Application. */
  public readonly syncWave: number;

  public constructor(props: PlatformOperatorProps) {
    const where = `PlatformOperator ${JSON.stringify(props?.name)}`;
    if (!isDnsLabel(props?.name)) throw invalid(where, 'INVALID_NAME', 'name', props?.name, 'a DNS-1123 label');
    const fromGit = props.path !== undefined;
    if (fromGit) {
      if (typeof props.repositoryUrl !== 'string' || !/^https:\/\/[^\s]+$/.test(props.repositoryUrl) || hasUrlPassword(props.repositoryUrl)) {
        throw invalid(where, 'INVALID_VALUE', 'repositoryUrl', maskUrlPassword(props.repositoryUrl), 'with path: an https:// Git repository, without a password');
      }
      if (typeof props.path !== 'string' || !REPOSITORY_FOLDER.test(props.path)) {
        throw invalid(where, 'INVALID_VALUE', 'path', props.path, 'a relative folder of the repository (no leading /, no ..)');
      }
      if (props.chart !== undefined) throw invalid(where, 'INVALID_VALUE', 'chart', props.chart, 'a chart or a path, not both');
      if (props.values !== undefined) throw invalid(where, 'INVALID_VALUE', 'values', props.values, 'Helm values only with a chart (pin the folder\'s images with images)');
      if (props.crdsOnly !== undefined && props.crdsOnly !== false) throw invalid(where, 'INVALID_VALUE', 'crdsOnly', props.crdsOnly, 'crdsOnly only with a chart');
    } else {
      if (typeof props.repositoryUrl !== 'string' || !/^(https|oci):\/\/[^\s]+$/.test(props.repositoryUrl) || hasUrlPassword(props.repositoryUrl)) {
        throw invalid(where, 'INVALID_VALUE', 'repositoryUrl', maskUrlPassword(props.repositoryUrl), 'an https:// Helm repository or an oci:// registry, without a password');
      }
      if (typeof props.chart !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.chart)) {
        throw invalid(where, 'INVALID_VALUE', 'chart', props.chart, 'a chart name (or a path of a Git repository)');
      }
      if (props.images !== undefined) throw invalid(where, 'INVALID_VALUE', 'images', props.images, 'images only with a path (a chart takes its images from values)');
    }
    if (typeof props.version !== 'string' || !PINNED_VERSION.test(props.version)) {
      throw invalid(where, 'INVALID_VERSION', 'version', props.version, `a pinned ${fromGit ? 'Git tag' : 'chart version'} MAJOR.MINOR.PATCH or vMAJOR.MINOR.PATCH (no ranges, no branches, no latest)`);
    }
    if (!isDnsLabel(props.namespace)) throw invalid(where, 'INVALID_NAME', 'namespace', props.namespace, 'a namespace name');
    if (props.crdsOnly !== undefined && typeof props.crdsOnly !== 'boolean') throw invalid(where, 'INVALID_VALUE', 'crdsOnly', props.crdsOnly, 'true or false');
    if (props.images !== undefined) {
      if (!Array.isArray(props.images) || props.images.length === 0) throw invalid(where, 'INVALID_VALUE', 'images', props.images, 'a non-empty list of images');
      for (const image of props.images) {
        if (typeof image !== 'string' || !PINNED_IMAGE.test(image)) {
          throw invalid(where, 'INVALID_VALUE', 'images', image, 'name:tag, name=newName:tag or name@sha256:<digest>, pinned (not latest)');
        }
      }
    }
    const crdsOnly = props.crdsOnly ?? false;
    const syncWave = props.syncWave ?? (crdsOnly ? -3 : -2);
    if (typeof syncWave !== 'number' || !Number.isInteger(syncWave) || syncWave < -20 || syncWave > -2) {
      throw invalid(where, 'INVALID_VALUE', 'syncWave', props.syncWave, 'an integer from -20 to -2 (before the platform Applications in -1)');
    }
    this.name = props.name;
    this.repositoryUrl = props.repositoryUrl;
    this.chart = props.chart;
    this.version = props.version;
    this.namespace = props.namespace;
    this.values = props.values;
    this.crdsOnly = crdsOnly;
    this.path = props.path;
    this.images = [...(props.images ?? [])];
    this.syncWave = syncWave;
  }
}

/**
 * A RabbitMQ operator as RabbitMQ releases it: `config/installation` of github.com/rabbitmq/<repository>
 * at the tag `v<version>`, with the image `ghcr.io/rabbitmq/<repository>:<version>`, in `rabbitmq-system`.
 */
function rabbitmqRelease(factory: string, name: string, repository: string, version: string): PlatformOperator {
  const v = releaseVersion(factory, version);
  return new PlatformOperator({
    name,
    repositoryUrl: `https://github.com/rabbitmq/${repository}`,
    version: `v${v}`,
    path: 'config/installation',
    images: [`ghcr.io/rabbitmq/${repository}:${v}`],
    namespace: 'rabbitmq-system',
  });
}
