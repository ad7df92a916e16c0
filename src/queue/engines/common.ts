import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { QueueModel } from './model';
import { renderAlertRules, serviceAlertLabels } from '../../private/alerts';
import { lazyValue } from '../../private/lazy';

/**
 * The Kubernetes L1 classes (a 2.7 MB module), loaded when a queue first renders one: this module is
 * loaded with the library, whose start does not need them.
 */
function kube(): typeof import('../private/kube').k8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../private/kube') as typeof import('../private/kube')).k8s;
}

/** A value computed at synthesis (after every mutator of the MessageQueue). */
export function lazy(produce: () => any): any {
  return lazyValue(produce);
}

/** A PodDisruptionBudget letting one broker at a time go (a quorum queue keeps its majority). */
export function renderDisruptionBudget(scope: Construct, model: QueueModel, labels: { [key: string]: string }): void {
  if (!model.podDisruptionBudget) return;
  const k8s = kube();
  new k8s.KubePodDisruptionBudget(scope, 'PodDisruptionBudget', {
    metadata: { name: model.name },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
  });
}

/** PodMonitor and PrometheusRule of a queue (its rules labelled with the queue: `serviceAlertLabels`). */
export function renderMonitoring(scope: Construct, model: QueueModel, labels: { [key: string]: string }, port: string, rules: any[]): void {
  if (!model.monitoring) return;
  new ApiObject(scope, 'PodMonitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: model.name },
    spec: { selector: { matchLabels: labels }, podMetricsEndpoints: [{ port, interval: '30s' }] },
  });
  renderAlertRules(scope, model.name, serviceAlertLabels('message_queue', model.environment.namespace, model.name), rules);
}

/** Topology spread over zones for the brokers' pods. */
export function zoneSpread(labels: { [key: string]: string }): any[] {
  return [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }];
}

/** Pod anti-affinity across nodes: required when spreading across zones (one broker per node), else preferred. */
export function antiAffinity(model: QueueModel, labels: { [key: string]: string }): any {
  if (model.replicas < 2) return undefined;
  const term = { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' };
  return model.spreadAcrossZones
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
    : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
}
