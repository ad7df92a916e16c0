import { cronJob, deployment, load, pod, statuses } from './helpers';
import { evaluatePolicy } from '../../../src/policy/kyverno/engine';
import { kindMatches, parseKindSelector, ruleMatches, selectorMatches } from '../../../src/policy/kyverno/match';
import { loadPolicy } from '../../../src/policy/kyverno/model';

const containers = (...images: string[]) => ({ containers: images.map((image, i) => ({ name: `c${i}`, image })) });

describe('match and exclude', () => {
  test('kind selectors: Kind, version/Kind, group/version/Kind, wildcards, subresources', () => {
    expect(parseKindSelector('Pod')).toEqual(['*', '*', 'Pod', '']);
    expect(parseKindSelector('v1/Pod')).toEqual(['*', 'v1', 'Pod', '']);
    expect(parseKindSelector('apps/v1/Deployment')).toEqual(['apps', 'v1', 'Deployment', '']);
    expect(parseKindSelector('Deployment/scale')).toEqual(['*', '*', 'Deployment', 'scale']);
    expect(parseKindSelector('*/*')).toEqual(['*', '*', '*', '*']);
    const d = deployment({});
    expect(kindMatches(['Deployment'], d)).toBe(true);
    expect(kindMatches(['apps/v1/Deployment'], d)).toBe(true);
    expect(kindMatches(['apps/*/Deployment'], d)).toBe(true);
    expect(kindMatches(['extensions/v1beta1/Deployment'], d)).toBe(false);
    expect(kindMatches(['*'], d)).toBe(true);
    expect(kindMatches(['Deploy*'], d)).toBe(true);
    expect(kindMatches(['Deployment/scale'], d)).toBe(false);
    expect(kindMatches(['Pod/ephemeralcontainers'], pod({}))).toBe(true);
  });

  test('label selectors with wildcards and expressions', () => {
    expect(selectorMatches({ matchLabels: { app: 'web' } }, { app: 'web' })).toBe(true);
    expect(selectorMatches({ matchLabels: { 'app.kubernetes.io/*': 'sh*' } }, { 'app.kubernetes.io/name': 'shop' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, { tier: 'web' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, {})).toBe(true);
  });

  const target = (resource: any, extra: any = {}) => ({ resource, operation: 'CREATE', namespaceLabels: {}, ...extra });

  test('any / all, names, namespaces, annotations, selectors, namespace selectors, operations', () => {
    const p = pod({}, { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, annotations: { 'team.io/owner': 'payments' } });
    const m = (resources: any) => ({ any: [{ resources }] });
    expect(ruleMatches(m({ kinds: ['Pod'], names: ['web-*'] }), undefined, target(p))).toBe(true);
    expect(ruleMatches(m({ kinds: ['Pod'], names: ['api-*'] }), undefined, target(p))).toBe(false);
    expect(ruleMatches(m({ kinds: ['Pod'], namespaces: ['sh?p'] }), undefined, target(p))).toBe(true);
    expect(ruleMatches(m({ kinds: ['Pod'], annotations: { 'team.io/*': 'pay*' } }), undefined, target(p))).toBe(true);
    expect(ruleMatches(m({ kinds: ['Pod'], selector: { matchLabels: { app: 'api' } } }), undefined, target(p))).toBe(false);
    expect(ruleMatches(m({ kinds: ['Pod'], namespaceSelector: { matchLabels: { env: 'prod' } } }), undefined, target(p, { namespaceLabels: { env: 'prod' } }))).toBe(true);
    expect(ruleMatches(m({ kinds: ['Pod'], namespaceSelector: { matchLabels: { env: 'prod' } } }), undefined, target(p))).toBe(false);
    expect(ruleMatches(m({ kinds: ['Pod'], operations: ['UPDATE'] }), undefined, target(p))).toBe(false);
    expect(ruleMatches(m({ kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] }), undefined, target(p))).toBe(true);
    expect(ruleMatches({ all: [{ resources: { kinds: ['Pod'] } }, { resources: { namespaces: ['shop'] } }] }, undefined, target(p))).toBe(true);
    expect(ruleMatches({ all: [{ resources: { kinds: ['Pod'] } }, { resources: { namespaces: ['other'] } }] }, undefined, target(p))).toBe(false);
    expect(ruleMatches({ any: [{ resources: { kinds: ['Service'] } }, { resources: { kinds: ['Pod'] } }] }, undefined, target(p))).toBe(true);
    expect(ruleMatches({ resources: { kinds: ['Pod'] } }, undefined, target(p))).toBe(true);
    expect(ruleMatches({ any: [{ resources: {} }] }, undefined, target(p))).toBe(false);
    // exclude any: one filter excludes; exclude all: every filter must
    expect(ruleMatches(m({ kinds: ['Pod'] }), { any: [{ resources: { namespaces: ['shop'] } }] }, target(p))).toBe(false);
    expect(ruleMatches(m({ kinds: ['Pod'] }), { all: [{ resources: { namespaces: ['shop'] } }, { resources: { names: ['api*'] } }] }, target(p))).toBe(true);
    // no admission user at synthesis (like the Kyverno CLI): user filters never exclude
    expect(ruleMatches(m({ kinds: ['Pod'] }), { any: [{ subjects: [{ kind: 'User', name: 'admin' }] }] }, target(p))).toBe(true);
  });
});

describe('validate.pattern, anyPattern and messages', () => {
  const policy = load(`
- name: require-tag
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    message: "Image {{ request.object.spec.containers[0].image }} needs a tag."
    pattern: {spec: {containers: [{image: "*:*"}]}}
- name: registries
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    anyPattern:
    - {spec: {containers: [{image: "ghcr.io/*"}]}}
    - {spec: {containers: [{image: "registry.corp/*"}]}}
`);

  test('pass, fail with the path and the substituted message', () => {
    expect(statuses(policy, pod(containers('ghcr.io/a:1')))).toEqual({ 'require-tag': 'pass', 'registries': 'pass' });
    const [tag, reg] = evaluatePolicy(policy, pod(containers('nginx')));
    expect(tag).toMatchObject({ status: 'fail', path: '/spec/containers/0/image/', action: 'Enforce' });
    expect(tag.message).toBe('validation error: Image nginx needs a tag. rule require-tag failed at path /spec/containers/0/image/');
    expect(reg.status).toBe('fail');
    expect(reg.message).toMatch(/rule registries\[0\] failed at path \/spec\/containers\/0\/image\/ rule registries\[1\] failed/);
    expect(statuses(policy, pod(containers('registry.corp/x:1'))).registries).toBe('pass');
  });

  test('variables in patterns; an unresolvable variable is a rule error', () => {
    const p = load(`
- name: name-label
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    pattern: {metadata: {labels: {app: "{{ request.object.metadata.name }}"}}}
- name: missing
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    pattern: {metadata: {labels: {app: "{{ request.object.metadata.annotations.app }}"}}}
`);
    expect(statuses(p, pod({}, { name: 'web', labels: { app: 'web' } }))).toEqual({ 'name-label': 'pass', 'missing': 'error' });
    expect(statuses(p, pod({}, { name: 'web', labels: { app: 'api' } }))['name-label']).toBe('fail');
  });
});

describe('validate.deny and preconditions', () => {
  const policy = load(`
- name: no-latest-on-create
  match: {any: [{resources: {kinds: [Pod]}}]}
  preconditions:
    all:
    - {key: "{{ request.operation || 'BACKGROUND' }}", operator: AnyIn, value: [CREATE, UPDATE]}
  validate:
    message: "{{ request.object.metadata.name }} uses latest"
    deny:
      conditions:
        any:
        - {key: "{{ request.object.spec.containers[].image }}", operator: AnyIn, value: ["*:latest"]}
- name: always-deny-deletes
  match: {any: [{resources: {kinds: [Pod]}}]}
  preconditions: [{key: "{{ request.operation }}", operator: Equals, value: DELETE}]
  validate:
    deny: {}
`);

  test('deny when the conditions hold; skip when the preconditions do not; request.operation is CREATE by default', () => {
    expect(statuses(policy, pod(containers('a:1')))).toEqual({ 'no-latest-on-create': 'pass', 'always-deny-deletes': 'skip' });
    const [r] = evaluatePolicy(policy, pod(containers('a:1', 'b:latest'), { name: 'web' }));
    expect(r).toMatchObject({ status: 'fail', message: 'web uses latest' });
    expect(statuses(policy, pod(containers('b:latest')), { operation: 'DELETE' })).toEqual({ 'no-latest-on-create': 'skip', 'always-deny-deletes': 'fail' });
    expect(statuses(policy, pod(containers('b:latest')), { variables: { 'request.operation': 'CONNECT' } })['no-latest-on-create']).toBe('skip');
  });
});

describe('foreach', () => {
  test('list, element, elementIndex, pattern on the element, deny, skip when nothing applies', () => {
    const p = load(`
- name: each-container
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    message: "container {{ element.name }} ({{ elementIndex }})"
    foreach:
    - list: request.object.spec.containers
      pattern: {image: "*:*"}
    - list: request.object.spec.initContainers
      deny:
        conditions:
          any: [{key: "{{ element.image }}", operator: Equals, value: "*:latest"}]
`);
    expect(statuses(p, pod(containers('a:1', 'b:2')))).toEqual({ 'each-container': 'pass' });
    const [fail] = evaluatePolicy(p, pod(containers('a:1', 'b')));
    expect(fail.status).toBe('fail');
    expect(fail.message).toBe('validation failure: validation error: container c1 (1). rule each-container failed at path /image/');
    expect(statuses(p, pod({ ...containers('a:1'), initContainers: [{ name: 'i', image: 'x:latest' }] }))['each-container']).toBe('fail');
    expect(statuses(p, pod({ containers: [] }))['each-container']).toBe('skip');
  });

  test('preconditions per element, nested foreach with element0 / element1, elementScope', () => {
    const p = load(`
- name: ports
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    foreach:
    - list: request.object.spec.containers
      preconditions:
        all: [{key: "{{ element.name }}", operator: NotEquals, value: sidecar}]
      foreach:
      - list: element.ports
        deny:
          conditions:
            all:
            - {key: "{{ element1.containerPort }}", operator: LessThan, value: 1024}
            - {key: "{{ element0.name }}", operator: NotEquals, value: "privileged-*"}
- name: scoped
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    foreach:
    - list: request.object.spec.containers[].name
      elementScope: false
      pattern: {metadata: {labels: {app: "?*"}}}
`);
    const c = (name: string, port: number) => ({ name, image: 'x:1', ports: [{ containerPort: 8080 }, { containerPort: port }] });
    expect(statuses(p, pod({ containers: [c('app', 8443)] }, { labels: { app: 'a' } }))).toEqual({ ports: 'pass', scoped: 'pass' });
    expect(statuses(p, pod({ containers: [c('app', 80)] }))).toEqual({ ports: 'fail', scoped: 'fail' });
    expect(statuses(p, pod({ containers: [c('sidecar', 80)] })).ports).toBe('skip');
    expect(statuses(p, pod({ containers: [c('privileged-x', 80)] })).ports).toBe('pass');
  });

  test('elementScope true on scalars is an error; a list that cannot be evaluated is skipped', () => {
    const p = load(`
- name: bad-scope
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    foreach:
    - list: request.object.spec.containers[].name
      elementScope: true
      pattern: {x: "*"}
- name: missing-list
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    foreach:
    - list: request.object.spec.volumes
      pattern: {name: "*"}
`);
    expect(statuses(p, pod(containers('a:1')))).toEqual({ 'bad-scope': 'error', 'missing-list': 'skip' });
  });
});

describe('context variables', () => {
  test('variable entries (value, jmesPath, default); cluster lookups need a given value', () => {
    const p = load(`
- name: ctx
  match: {any: [{resources: {kinds: [Pod]}}]}
  context:
  - name: allowed
    variable: {value: [ghcr.io, registry.corp]}
  - name: first
    variable: {jmesPath: "request.object.spec.containers[0].image"}
  - name: team
    variable: {jmesPath: "request.object.metadata.labels.team", default: platform}
  validate:
    deny:
      conditions:
        any:
        - {key: "{{ split(first, '/')[0] }}", operator: AnyNotIn, value: "{{ allowed }}"}
        - {key: "{{ team }}", operator: NotEquals, value: platform}
- name: lookup
  match: {any: [{resources: {kinds: [Pod]}}]}
  context:
  - name: quota
    apiCall: {urlPath: "/api/v1/namespaces/{{ request.namespace }}/resourcequotas", jmesPath: "items | length(@)"}
  validate:
    deny:
      conditions: [{key: "{{ quota }}", operator: Equals, value: 0}]
`);
    expect(statuses(p, pod(containers('ghcr.io/a:1'))).ctx).toBe('pass');
    expect(statuses(p, pod(containers('docker.io/a:1'))).ctx).toBe('fail');
    expect(statuses(p, pod(containers('ghcr.io/a:1'), { labels: { team: 'web' } })).ctx).toBe('fail');
    const [, lookup] = evaluatePolicy(p, pod(containers('ghcr.io/a:1')));
    expect(lookup).toMatchObject({ status: 'unsupported' });
    expect(lookup.message).toMatch(/context entry "quota" \(apiCall/);
    expect(statuses(p, pod(containers('a:1')), { ruleVariables: () => ({ quota: 0 }) }).lookup).toBe('fail');
    expect(statuses(p, pod(containers('a:1')), { variables: { quota: 3 } }).lookup).toBe('pass');
  });
});

describe('autogen: rules for pod controllers', () => {
  const rules = `
- name: no-privileged
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    pattern: {spec: {containers: [{=(securityContext): {=(privileged): "false"}}]}}
- name: deny-host-network
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    deny:
      conditions: [{key: "{{ request.object.spec.hostNetwork || false }}", operator: Equals, value: true}]
`;
  const privileged = { containers: [{ name: 'c', image: 'x:1', securityContext: { privileged: true } }] };
  const hostNetwork = { hostNetwork: true, containers: [{ name: 'c', image: 'x:1' }] };

  test('generated for Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController (spec.template) and CronJob (spec.jobTemplate.spec.template)', () => {
    const p = load(rules);
    expect(p.autogenControllers).toEqual(['CronJob', 'DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
    expect(p.rules.map((r) => r.name)).toEqual(['no-privileged', 'deny-host-network', 'autogen-no-privileged', 'autogen-cronjob-no-privileged',
      'autogen-deny-host-network', 'autogen-cronjob-deny-host-network']);
    expect(p.rules[2].raw.validate.pattern).toEqual({ spec: { template: { spec: { containers: [{ '=(securityContext)': { '=(privileged)': 'false' } }] } } } });
    expect(p.rules[4].raw.validate.deny.conditions[0].key).toBe('{{ request.object.spec.template.spec.hostNetwork || false }}');
    expect(p.rules[5].raw.validate.deny.conditions[0].key).toBe('{{ request.object.spec.jobTemplate.spec.template.spec.hostNetwork || false }}');
    expect(p.rules[2].raw.match.any[0].resources.kinds).toEqual(['apps/v1/DaemonSet', 'apps/v1/Deployment', 'batch/v1/Job', 'apps/v1/ReplicaSet',
      'v1/ReplicationController', 'apps/v1/StatefulSet']);

    expect(statuses(p, deployment(privileged))).toEqual({ 'autogen-no-privileged': 'fail', 'autogen-deny-host-network': 'pass' });
    expect(statuses(p, deployment(hostNetwork))).toEqual({ 'autogen-no-privileged': 'pass', 'autogen-deny-host-network': 'fail' });
    expect(statuses(p, cronJob(privileged))).toEqual({ 'autogen-cronjob-no-privileged': 'fail', 'autogen-cronjob-deny-host-network': 'pass' });
    expect(statuses(p, cronJob(hostNetwork))['autogen-cronjob-deny-host-network']).toBe('fail');
    const results = evaluatePolicy(p, { ...deployment(privileged), kind: 'StatefulSet' });
    expect(results.map((r) => [r.rule, r.originalRule, r.status])).toEqual([['autogen-no-privileged', 'no-privileged', 'fail'], ['autogen-deny-host-network', 'deny-host-network', 'pass']]);
    // the original rule still checks Pods
    expect(statuses(p, pod(privileged))).toEqual({ 'no-privileged': 'fail', 'deny-host-network': 'pass' });
  });

  test('honours pod-policies.kyverno.io/autogen-controllers', () => {
    const only = load(rules, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'Deployment,StatefulSet' } });
    expect(only.autogenControllers).toEqual(['Deployment', 'StatefulSet']);
    expect(statuses(only, deployment(privileged))['autogen-no-privileged']).toBe('fail');
    expect(statuses(only, cronJob(privileged))).toEqual({});
    expect(statuses(only, { ...deployment(privileged), kind: 'DaemonSet' })).toEqual({});
    const none = load(rules, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } });
    expect(none.rules.map((r) => r.name)).toEqual(['no-privileged', 'deny-host-network']);
    const cron = load(rules, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'CronJob' } });
    expect(cron.rules.map((r) => r.name)).toEqual(['no-privileged', 'deny-host-network', 'autogen-cronjob-no-privileged', 'autogen-cronjob-deny-host-network']);
  });

  test('not generated when a rule selects by name or label, mixes Pod with other kinds, or the policy matches no pods', () => {
    expect(load(`
- name: r
  match: {any: [{resources: {kinds: [Pod], names: ["web-*"]}}]}
  validate: {pattern: {spec: {hostNetwork: false}}}
`).autogenControllers).toEqual([]);
    expect(load(`
- name: r
  match: {any: [{resources: {kinds: [Pod], selector: {matchLabels: {app: x}}}}]}
  validate: {pattern: {spec: {hostNetwork: false}}}
`).autogenControllers).toEqual([]);
    expect(load(`
- name: r
  match: {any: [{resources: {kinds: [Pod, Service]}}]}
  validate: {pattern: {metadata: {name: "?*"}}}
`).autogenControllers).toEqual([]);
    expect(load(`
- name: r
  match: {any: [{resources: {kinds: [Service]}}]}
  validate: {pattern: {metadata: {name: "?*"}}}
`).autogenControllers).toEqual([]);
  });
});

describe('validate.podSecurity', () => {
  const rule = (extra = '') => `
- name: pss
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    podSecurity: {level: restricted, version: latest${extra}}
`;
  const restricted = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'app', image: 'ghcr.io/a:1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  };

  test('the Pod Security checks of the pack, on Pods and (autogen) controllers', () => {
    const p = load(rule());
    expect(statuses(p, pod(restricted))).toEqual({ pss: 'pass' });
    const [fail] = evaluatePolicy(p, pod({ ...restricted, hostNetwork: true }));
    expect(fail.status).toBe('fail');
    expect(fail.message).toMatch(/violates PodSecurity "restricted:latest": \(Host Namespaces: /);
    expect(statuses(p, deployment({ ...restricted, hostPID: true }))).toEqual({ 'autogen-pss': 'fail' });
    expect(statuses(p, cronJob(restricted))).toEqual({ 'autogen-cronjob-pss': 'pass' });
    expect(statuses(load(rule().replace('restricted', 'baseline')), pod({ containers: [{ name: 'a', image: 'x:1' }] }))).toEqual({ pss: 'pass' });
    expect(statuses(load(rule().replace('restricted', 'privileged')), pod({ hostNetwork: true, containers: [] }))).toEqual({ pss: 'pass' });
  });

  test('versions: a check that does not exist yet is not enforced', () => {
    const runAsUser = { ...restricted, securityContext: { ...restricted.securityContext, runAsUser: 0 } };
    expect(statuses(load(rule().replace('latest', 'v1.22')), pod(runAsUser))).toEqual({ pss: 'pass' });
    expect(statuses(load(rule().replace('latest', 'v1.23')), pod(runAsUser))).toEqual({ pss: 'fail' });
  });

  test('exclude: pod-level controls by name, container-level controls by image', () => {
    const p = load(rule(', exclude: [{controlName: Host Namespaces}, {controlName: Capabilities, images: ["ghcr.io/*"]}]'));
    expect(statuses(p, pod({ ...restricted, hostNetwork: true }))).toEqual({ pss: 'pass' });
    const caps = (image: string) => ({ ...restricted, containers: [{ ...restricted.containers[0], image, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } }] });
    expect(statuses(p, pod(caps('ghcr.io/a:1')))).toEqual({ pss: 'pass' });
    expect(statuses(p, pod(caps('docker.io/a:1')))).toEqual({ pss: 'fail' });
    expect(load(rule(', exclude: [{controlName: Capabilities, restrictedField: "spec.containers[*].securityContext.capabilities.add", values: [NET_ADMIN]}]'))
      .rules[0].unsupported).toEqual(['validate.podSecurity.exclude with restrictedField / values']);
  });

  test('a matched object without a pod spec is a rule error', () => {
    const p = load(`
- name: pss
  match: {any: [{resources: {kinds: [Service]}}]}
  validate: {podSecurity: {level: baseline}}
`);
    expect(statuses(p, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} })).toEqual({ pss: 'error' });
  });
});

describe('unsupported features are reported, never passed', () => {
  test('mutate, generate and verifyImages rules; CEL lookups of the cluster; time functions', () => {
    const p = load(`
- name: add-label
  match: {any: [{resources: {kinds: [Pod]}}]}
  mutate: {patchStrategicMerge: {metadata: {labels: {x: y}}}}
- name: cel
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate: {cel: {expressions: [{expression: "http.Get('https://example.com/allowed').allowed == true"}]}}
- name: age
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    deny:
      conditions: [{key: "{{ time_since('', request.object.metadata.creationTimestamp, '') }}", operator: GreaterThan, value: 1h}]
`, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } });
    const results = evaluatePolicy(p, pod(containers('a:1')));
    expect(results.map((r) => [r.rule, r.status])).toEqual([['add-label', 'unsupported'], ['cel', 'unsupported'], ['age', 'unsupported']]);
    expect(results[0].message).toMatch(/mutate rules/);
    expect(results[1].message).toMatch(/not evaluated: .*http\.Get\(\) reads the cluster or the network/);
    expect(results[2].message).toMatch(/time_since\(\)/);
  });
});

describe('policy-level behaviour', () => {
  test('failure actions: spec.validationFailureAction, validate.failureAction, namespace overrides', () => {
    const p = loadPolicy({
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'actions' },
      spec: {
        validationFailureAction: 'Audit',
        validationFailureActionOverrides: [{ action: 'Enforce', namespaces: ['prod-*'] }],
        rules: [
          { name: 'spec-level', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { pattern: { metadata: { name: 'x' } } } },
          { name: 'rule-level', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { failureAction: 'Enforce', pattern: { metadata: { name: 'x' } } } },
        ],
      },
    });
    expect(p.rules.filter((r) => !r.autogen).map((r) => r.failureAction)).toEqual(['Audit', 'Enforce']);
    expect(evaluatePolicy(p, pod({}, { namespace: 'dev' })).map((r) => r.action)).toEqual(['Audit', 'Enforce']);
    expect(evaluatePolicy(p, pod({}, { namespace: 'prod-eu' })).map((r) => r.action)).toEqual(['Enforce', 'Enforce']);
  });

  test('applyRules One stops at the first rule that applies; a namespaced Policy only sees its namespace', () => {
    const two = `
- name: first
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate: {pattern: {metadata: {name: "?*"}}}
- name: second
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate: {pattern: {metadata: {name: "?*"}}}
`;
    expect(Object.keys(statuses(load(two, { spec: { applyRules: 'One' } }), pod({})))).toEqual(['first']);
    const ns = loadPolicy({ ...load(two).raw, kind: 'Policy', metadata: { name: 'p', namespace: 'shop' } });
    expect(Object.keys(statuses(ns, pod({}, { namespace: 'shop' })))).toEqual(['first', 'second']);
    expect(statuses(ns, pod({}, { namespace: 'other' }))).toEqual({});
    expect(evaluatePolicy(ns, pod({}, { namespace: 'shop' }))[0].policy).toBe('shop/p');
  });

  test('the images variable holds the parsed images of the pod (template)', () => {
    const p = load(`
- name: tags
  match: {any: [{resources: {kinds: [Pod]}}]}
  validate:
    deny:
      conditions: [{key: "{{ images.containers.*.tag }}", operator: AnyIn, value: [latest]}]
`);
    expect(statuses(p, pod(containers('nginx')))).toEqual({ tags: 'fail' });
    expect(statuses(p, pod(containers('nginx:1.27')))).toEqual({ tags: 'pass' });
    expect(statuses(p, deployment(containers('nginx')))).toEqual({ 'autogen-tags': 'fail' });
  });
});
