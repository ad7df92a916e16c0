import type * as plus from 'cdk8s-plus-28';
import { invalid, isDnsLabel, requireLabels } from '../private/names';

/**
 * A client allowed to connect to a database (or a queue): pods by label, optionally in another
 * namespace.
 */
export abstract class DatabaseClient {
  /**
   * The pods of a cdk8s-plus workload (Deployment, StatefulSet, Job...).
   */
  public static fromWorkload(workload: plus.IPodSelector): DatabaseClient {
    const config = workload.toPodSelectorConfig();
    const selector = config.labelSelector._toKube();
    const labels = selector.matchLabels ?? {};
    if (Object.keys(labels).length === 0) {
      throw invalid(workload, 'INVALID_CLIENT', 'workload', workload.node.path, 'a workload whose pods carry match labels');
    }
    const names = config.namespaces?.names;
    return new LabelClient(labels, names && names.length === 1 ? names[0] : undefined);
  }

  /**
   * Pods with these labels, in `namespace` (default: the database's namespace).
   */
  public static fromLabels(labels: { [key: string]: string }, namespace?: string): DatabaseClient {
    const checked = requireLabels('DatabaseClient.fromLabels', 'labels', labels);
    if (Object.keys(checked).length === 0) {
      throw invalid('DatabaseClient.fromLabels', 'INVALID_CLIENT', 'labels', labels, 'at least one label (an empty selector would admit every pod)');
    }
    if (namespace !== undefined && !isDnsLabel(namespace)) {
      throw invalid('DatabaseClient.fromLabels', 'INVALID_CLIENT', 'namespace', namespace, 'a namespace name (DNS-1123 label)');
    }
    return new LabelClient(checked, namespace);
  }

  /** Labels of the client pods. */
  public abstract readonly podLabels: { [key: string]: string };
  /**
   * Namespace of the client pods.
   *
   * @default - the database's namespace
   */
  public abstract readonly namespace?: string;

  /** The NetworkPolicy peer admitting the client. */
  public toNetworkPolicyPeer(): any {
    const peer: any = { podSelector: { matchLabels: { ...this.podLabels } } };
    if (this.namespace) peer.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': this.namespace } };
    return peer;
  }
}

class LabelClient extends DatabaseClient {
  public constructor(public readonly podLabels: { [key: string]: string }, public readonly namespace?: string) {
    super();
  }
}
