import type { NextObject, RiskyChange } from './analyze';
import { PreviousObject, PreviousOutput } from './previous-output';
import { isDataBearing } from '../../private/kind-registry';
import { apiGroup } from '../../private/kinds';

/** What an operator does to the data services it manages when its version changes. */
interface OperatorFacts {
  /** The operator, as a message names it. */
  readonly title: string;
  /** Whether an Application's source is this operator's (its chart, or its Git repository). */
  readonly matches: (source: any) => boolean;
  /** The API groups of the objects it manages: the data-bearing ones (kind registry) are what an upgrade touches. */
  readonly groups: readonly string[];
  /** What the new version does to them, once it runs. */
  readonly onUpgrade: string;
  /** How to upgrade safely. */
  readonly safely: string;
  /** What is known of a downgrade. */
  readonly downgrade: string;
}

const chart = (name: string) => (source: any) => source?.chart === name;
const repository = (suffix: string) => (source: any) => typeof source?.repoURL === 'string' && source.repoURL.replace(/(\.git)?\/?$/, '').endsWith(suffix);

const OPERATORS: readonly OperatorFacts[] = [
  {
    title: 'CloudNativePG',
    matches: chart('cloudnative-pg'),
    groups: ['postgresql.cnpg.io'],
    // cloudnative-pg docs/src/installation_upgrade.md "Upgrades" (the second step, "Spread Upgrades", "In-place updates of the
    // instance manager"); docs/src/operator_conf.md (CLUSTERS_ROLLOUT_DELAY, INSTANCES_ROLLOUT_DELAY)
    onUpgrade: 'as soon as the new operator runs, CloudNativePG upgrades the instance manager of every PostgreSQL Cluster it manages there: by '
      + 'default a rolling update of all of them at the same time (CLUSTERS_ROLLOUT_DELAY 0), one instance after the other, ending with a '
      + 'switchover of the primary (primaryUpdateStrategy unsupervised; a single-instance Cluster is restarted): every client reconnects',
    safely: 'Upgrade in a maintenance window, or first enable in-place updates of the instance manager (ENABLE_INSTANCE_MANAGER_INPLACE_UPDATES: '
      + '\'true\' in the operator\'s configuration, ConfigMap cnpg-controller-manager-config: no restart, no switchover) or spread the roll-outs '
      + '(CLUSTERS_ROLLOUT_DELAY, INSTANCES_ROLLOUT_DELAY); read the release notes of every version in between',
    downgrade: 'CloudNativePG\'s upgrade documentation describes no downgrade',
  },
  {
    title: 'the RabbitMQ cluster operator',
    matches: (source) => repository('github.com/rabbitmq/cluster-operator')(source) || chart('rabbitmq-cluster-operator')(source),
    groups: ['rabbitmq.com'],
    // rabbitmq/cluster-operator hack/upgrade-notice.md (the notice of the releases that update the clusters);
    // internal/controller/rabbitmqcluster_controller.go (the rabbitmq.com/pauseReconciliation label)
    onUpgrade: 'a release of the RabbitMQ cluster operator that changes the StatefulSets it renders (its release notes then say so) updates '
      + 'every RabbitmqCluster it manages there at once: a rolling restart of their brokers, and `rabbitmq-queues rebalance all` after it '
      + '(unless skipPostDeploySteps)',
    safely: 'Read the release notes of every version in between; to choose when each RabbitmqCluster restarts, label it '
      + '`rabbitmq.com/pauseReconciliation=true` before the upgrade and remove the label when it is safe (the operator\'s upgrade notice), '
      + 'or upgrade in a maintenance window',
    downgrade: 'the operator\'s upgrade notice describes upgrades only',
  },
  {
    title: 'Strimzi',
    matches: chart('strimzi-kafka-operator'),
    groups: ['kafka.strimzi.io'],
    // strimzi-kafka-operator documentation/modules/upgrading/proc-upgrade-cluster-operator.adoc ("Wait for the rolling
    // updates to complete"; a Kafka version the new operator no longer supports is an error)
    onUpgrade: 'the new Strimzi Cluster Operator rolls the pods of every Kafka cluster it manages there, and refuses a Kafka cluster whose '
      + 'spec.kafka.version it no longer supports',
    safely: 'Check in the release notes that the new version supports the Kafka version of every cluster, upgrade in a maintenance window '
      + 'and wait for the rolling updates to complete',
    // documentation/modules/upgrading/con-downgrade-paths.adoc
    downgrade: 'Strimzi supports a downgrade along its downgrade paths only, and refuses a Kafka version the older operator does not support',
  },
  {
    title: 'mariadb-operator',
    matches: chart('mariadb-operator'),
    groups: ['k8s.mariadb.com'],
    onUpgrade: 'the new mariadb-operator reconciles every MariaDB it manages there with its own defaults at once (a release that changes '
      + 'the StatefulSets it renders restarts their pods)',
    safely: 'Read the release notes of every version in between (the mariadb-operator-crds chart goes to the same version) and upgrade in a '
      + 'maintenance window',
    downgrade: 'check its release notes',
  },
];

/** `MAJOR.MINOR.PATCH` of a pinned chart version or tag (`v` optional). */
function versionOf(text: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** The cluster of an operator's Application (`<name>-operator-<operator>-<cluster>`): the longest known cluster its name ends with. */
function clusterOf(application: string, clusters: readonly string[]): string | undefined {
  return clusters.filter((c) => application.endsWith(`-${c}`)).sort((a, b) => b.length - a.length)[0];
}

/**
 * `CHANGE-OperatorUpgraded`: the version an operator's Argo CD Application pins (`spec.source.targetRevision`) changed
 * between the previous output and the new one, for an operator whose upgrade acts on the data services it manages
 * (`OPERATORS`), on a cluster where the new output holds data-bearing objects of its kinds. One Application per
 * cluster, one version for all of them: the change reaches every cluster in the same sync. One risk per Application,
 * on the cluster's platform layer (its tier is its most critical environment's).
 */
export function operatorUpgrades(previous: PreviousOutput, nextOperators: readonly PreviousObject[], next: readonly NextObject[],
  environments: readonly { readonly name: string; readonly cluster: string }[]): RiskyChange[] {
  const before = new Map((previous.operators ?? []).map((o) => [o.manifest.metadata.name, o]));
  if (before.size === 0) return [];
  const clusters = [...new Set([...environments.map((e) => e.cluster), ...previous.clusters.values(), ...next.map((o) => o.cluster)])];
  const risks: RiskyChange[] = [];
  for (const after of nextOperators) {
    const name = after.manifest.metadata.name;
    const was = before.get(name);
    if (was === undefined) continue;
    const from = was.manifest.spec.source.targetRevision;
    const to = after.manifest.spec.source.targetRevision;
    if (from === to) continue;
    const facts = OPERATORS.find((f) => f.matches(after.manifest.spec.source));
    const cluster = clusterOf(name, clusters);
    if (facts === undefined || cluster === undefined) continue;
    // the environments of the cluster whose objects the operator manages (data-bearing kinds of its API groups)
    const managed = next.filter((o) => o.cluster === cluster && o.environment !== undefined
      && facts.groups.includes(apiGroup(o.manifest.apiVersion)) && isDataBearing(o.manifest));
    if (managed.length === 0) continue;
    const byEnvironment = new Map<string, string[]>();
    for (const o of managed) byEnvironment.set(o.environment!, [...byEnvironment.get(o.environment!) ?? [], `${o.manifest.kind} "${o.manifest.metadata.name}"`]);
    const affected = [...byEnvironment.keys()].sort().map((env) => {
      const objects = byEnvironment.get(env)!.sort();
      return `"${env}" (${objects.slice(0, 3).join(', ')}${objects.length > 3 ? ` and ${objects.length - 3} more` : ''})`;
    }).join(', ');
    const [x, y] = [versionOf(from), versionOf(to)];
    const down = x !== undefined && y !== undefined && compareVersions(y, x) < 0;
    const what = down
      ? `${facts.title} is downgraded from ${from} to ${to} on cluster "${cluster}": an older operator takes over the objects (and custom `
        + `resource definitions) the newer one wrote (${facts.downgrade}): restore the version, or check in the release notes that the older `
        + 'version supports them. Whatever it changes in the Pods it renders rolls them like an upgrade: '
      : `${facts.title} is upgraded from ${from} to ${to} on cluster "${cluster}": `;
    risks.push({
      ruleId: 'CHANGE-OperatorUpgraded',
      message: `${what}${facts.onUpgrade}. Affected environment(s): ${affected}; every cluster gets the new version in the same sync, `
        + `production and the others alike. ${facts.safely}. Then approve the change (ChangeApprovals.approve(scope, { ruleId: 'CHANGE-OperatorUpgraded', `
        + `kind: 'Application', name: '${name}', reason }))`,
      manifest: after.manifest,
      file: after.file,
      cluster,
    });
  }
  return risks;
}
