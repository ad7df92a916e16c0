import { parse } from 'yaml';
import { evaluatePolicy, KyvernoEvaluationOptions, KyvernoRuleResult } from '../../../src/policy/kyverno/engine';
import { LoadedPolicy, loadPolicy } from '../../../src/policy/kyverno/model';

/** A ClusterPolicy with the given rules (YAML list or objects). */
export function clusterPolicy(rules: string | any[], extra: { name?: string; annotations?: Record<string, string>; spec?: any } = {}): any {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: extra.name ?? 'test-policy', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { validationFailureAction: 'Enforce', ...(extra.spec ?? {}), rules: typeof rules === 'string' ? parse(rules) : rules },
  };
}

export function load(rules: string | any[], extra: Parameters<typeof clusterPolicy>[1] = {}): LoadedPolicy {
  return loadPolicy(clusterPolicy(rules, extra));
}

/** `rule: status` for every result of the policy on the resource. */
export function statuses(policy: LoadedPolicy, resource: any, options: KyvernoEvaluationOptions = {}): Record<string, string> {
  return Object.fromEntries(evaluatePolicy(policy, resource, options).map((r: KyvernoRuleResult) => [r.rule, r.status]));
}

export function pod(spec: any, metadata: any = {}): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', ...metadata }, spec };
}

export function deployment(podSpec: any, metadata: any = {}, spec: any = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'shop', ...metadata },
    spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, ...spec, template: { metadata: { labels: { app: 'd' } }, spec: podSpec } },
  };
}

export function cronJob(podSpec: any): any {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c', namespace: 'shop' },
    spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
  };
}
