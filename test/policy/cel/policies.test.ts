import { parse } from 'yaml';
import { evaluateCelPolicy, loadCelPolicy } from '../../../src/policy/cel/policies';
import { evaluatePacks } from '../../../src/policy/engine';
import { KyvernoPolicies } from '../../../src/policy/kyverno';
import { evaluatePolicy } from '../../../src/policy/kyverno/engine';
import { loadPolicy } from '../../../src/policy/kyverno/model';

const pod = (name: string, spec: any, metadata: any = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'apps', ...metadata }, spec });
const deployment = (name: string, podSpec: any, labels: any = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'apps' },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, ...labels } }, spec: podSpec } },
});
const cronJob = (name: string, podSpec: any) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name, namespace: 'apps' },
  spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
});

const VPOL = parse(`
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-privileged}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  matchConditions:
  - name: not-system
    expression: "!object.metadata.?labels.?tier.orValue('').startsWith('system')"
  variables:
  - name: containers
    expression: "object.spec.containers + object.spec.?initContainers.orValue([])"
  - name: privileged
    expression: "variables.containers.filter(c, c.?securityContext.?privileged.orValue(false)).map(c, c.name)"
  validations:
  - expression: "size(variables.privileged) == 0"
    messageExpression: "'privileged containers: ' + variables.privileged.join(', ')"
    reason: Forbidden
  - expression: "variables.containers.all(c, c.image.contains(':'))"
    message: images need a tag
`);

describe('ValidatingPolicy', () => {
  const policy = loadCelPolicy(VPOL, 'vpol.yaml');

  test('validations: pass; fail with messageExpression, message, index and reason', () => {
    expect(evaluateCelPolicy(policy, pod('ok', { containers: [{ name: 'a', image: 'a:1' }] }))).toMatchObject([{ policy: 'no-privileged', rule: '', status: 'pass' }]);
    const [r] = evaluateCelPolicy(policy, pod('bad', { containers: [{ name: 'a', image: 'a', securityContext: { privileged: true } }], initContainers: [{ name: 'i', image: 'i:1', securityContext: { privileged: true } }] }));
    expect(r.status).toBe('fail');
    expect(r.failures).toEqual([
      { index: 0, expression: 'size(variables.privileged) == 0', message: 'privileged containers: a, i', reason: 'Forbidden' },
      { index: 1, expression: "variables.containers.all(c, c.image.contains(':'))", message: 'images need a tag' },
    ]);
    expect(r.actions).toEqual(['Deny']);
  });

  test('matchConditions false: skip; matchConstraints not matched: no result', () => {
    expect(evaluateCelPolicy(policy, pod('sys', { containers: [{ name: 'a', image: 'a' }] }, { labels: { tier: 'system-critical' } }))[0].status).toBe('skip');
    expect(evaluateCelPolicy(policy, pod('del', { containers: [] }), { operation: 'DELETE' })).toEqual([]);
    expect(evaluateCelPolicy(policy, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} })).toEqual([]);
  });

  test('autogen: pod controllers are evaluated on their pod template, under autogen- rule names', () => {
    expect(policy.autogenKinds).toEqual(['CronJob', 'DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'StatefulSet']);
    const bad = { containers: [{ name: 'a', image: 'a:1', securityContext: { privileged: true } }] };
    expect(evaluateCelPolicy(policy, deployment('d', bad))).toMatchObject([{ rule: 'autogen-no-privileged', status: 'fail' }]);
    expect(evaluateCelPolicy(policy, cronJob('c', bad))).toMatchObject([{ rule: 'autogen-cronjobs-no-privileged', status: 'fail' }]);
    // the match condition reads the template's labels
    expect(evaluateCelPolicy(policy, deployment('s', bad, { tier: 'system' }))[0].status).toBe('skip');
    const none = loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, autogen: { podControllers: { controllers: [] } } } });
    expect(evaluateCelPolicy(none, deployment('d', bad))).toEqual([]);
  });

  test('selectors and exclusions of matchConstraints', () => {
    const p = loadCelPolicy({
      ...VPOL,
      spec: {
        ...VPOL.spec,
        matchConstraints: {
          resourceRules: VPOL.spec.matchConstraints.resourceRules,
          excludeResourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], resourceNames: ['excluded'] }],
          namespaceSelector: { matchLabels: { enforce: 'yes' } },
          objectSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] },
        },
      },
    });
    const spec = { containers: [{ name: 'a', image: 'a:1' }] };
    const labels = (ns: string): Record<string, string> => (ns === 'apps' ? { enforce: 'yes' } : {});
    expect(evaluateCelPolicy(p, pod('x', spec), { namespaceLabels: labels })).toHaveLength(1);
    expect(evaluateCelPolicy(p, pod('x', spec, { namespace: 'other' }), { namespaceLabels: labels })).toEqual([]);
    expect(evaluateCelPolicy(p, pod('excluded', spec), { namespaceLabels: labels })).toEqual([]);
    expect(evaluateCelPolicy(p, pod('x', spec, { labels: { skip: '1' } }), { namespaceLabels: labels })).toEqual([]);
    // an UPDATE is matched when the selector selects the new object or the old one (apiserver
    // Matcher.MatchObjectSelector): removing the label, or adding it, does not escape the policy
    const update = (newLabels: any, oldLabels: any) => evaluateCelPolicy(p, pod('x', spec, { labels: newLabels }), {
      namespaceLabels: labels, operation: 'UPDATE', oldObject: pod('x', spec, { labels: oldLabels }),
    });
    expect(update({ skip: '1' }, {})).toHaveLength(1);
    expect(update({}, { skip: '1' })).toHaveLength(1);
    expect(update({ skip: '1' }, { skip: '2' })).toEqual([]);
    // the same for the rules generated for pod controllers: their pod templates' labels
    const oldDeployment = deployment('web', spec);
    const newDeployment = deployment('web', spec, { skip: '1' });
    expect(evaluateCelPolicy(p, newDeployment, { namespaceLabels: labels })).toEqual([]);
    expect(evaluateCelPolicy(p, newDeployment, { namespaceLabels: labels, operation: 'UPDATE', oldObject: oldDeployment })).toHaveLength(1);
  });

  test('evaluation errors are errors (failurePolicy Fail) or skips (Ignore); lookups of the cluster are "not evaluated"', () => {
    const strict = loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, matchConditions: [], validations: [{ expression: 'object.spec.hostNetwork == false' }] } });
    expect(evaluateCelPolicy(strict, pod('x', { containers: [] }))[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/No such key: hostNetwork/) });
    const ignore = loadCelPolicy({ ...strict.raw, spec: { ...strict.raw.spec, failurePolicy: 'Ignore' } });
    expect(evaluateCelPolicy(ignore, pod('x', { containers: [] }))[0].status).toBe('skip');
    const http = loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, matchConditions: [], validations: [{ expression: "http.Get('https://x').allowed" }] } });
    expect(evaluateCelPolicy(http, pod('x', { containers: [] }))[0]).toMatchObject({ status: 'unsupported', message: expect.stringMatching(/^not evaluated: .*http\.Get/) });
  });

  test('namespaceObject: the given Namespace, else one named after the object\'s namespace ("default" when none)', () => {
    const p = loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, matchConditions: [], validations: [{ expression: "namespaceObject.metadata.name != 'default' && namespaceObject.metadata.?labels.?team.orValue('x') != 'blocked'" }] } });
    expect(evaluateCelPolicy(p, pod('x', {}, { namespace: undefined }))[0].status).toBe('fail');
    expect(evaluateCelPolicy(p, pod('x', {}))[0].status).toBe('pass');
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', labels: { team: 'blocked' } } };
    expect(evaluateCelPolicy(p, pod('x', {}), { namespaceObject: () => ns })[0].status).toBe('fail');
  });

  test('malformed policies: a ValidationError naming the policy and the field', () => {
    expect(() => loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, validations: [] } }, 'p.yaml')).toThrow(/p\.yaml: ValidatingPolicy no-privileged.*spec\.validations/);
    expect(() => loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, validationActions: ['Block'] } })).toThrow(/validationActions.*Deny, Warn or Audit/);
    expect(() => loadCelPolicy({ ...VPOL, spec: { ...VPOL.spec, variables: [{ expression: 'x' }] } })).toThrow(/spec\.variables\[0\]\.name/);
  });
});

const VAP = parse(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' > ' + params.data.maxReplicas"
  auditAnnotations:
  - key: replicas
    valueExpression: "string(object.spec.replicas)"
`);
const binding = (name: string, paramRef: any, extra: any = {}) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name },
  spec: { policyName: 'replica-limit', validationActions: ['Deny'], paramRef, ...extra },
});
const limits = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits', namespace: 'apps' }, data: { maxReplicas: '3' } };
const deploy = (replicas: number, namespace = 'apps') => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace }, spec: { replicas } });

describe('ValidatingAdmissionPolicy + binding', () => {
  test('params from the objects given (paramRef name), per binding; audit annotations', () => {
    const p = loadCelPolicy(VAP, 'vap.yaml', [binding('b', { name: 'limits', namespace: 'apps' })]);
    expect(evaluateCelPolicy(p, deploy(2), { lookup: { objects: [limits] } })).toMatchObject([{ binding: 'b', status: 'pass', auditAnnotations: { replicas: '2' } }]);
    expect(evaluateCelPolicy(p, deploy(5), { lookup: { objects: [limits] } })).toMatchObject([{ status: 'fail', failures: [{ index: 0, message: 'replicas 5 > 3' }], actions: ['Deny'] }]);
  });

  test('paramRef selector gives one evaluation per param; missing params follow parameterNotFoundAction', () => {
    const other = { ...limits, metadata: { name: 'other', namespace: 'apps', labels: { kind: 'limit' } }, data: { maxReplicas: '10' } };
    const labelled = { ...limits, metadata: { ...limits.metadata, labels: { kind: 'limit' } } };
    const sel = loadCelPolicy(VAP, undefined, [binding('b', { selector: { matchLabels: { kind: 'limit' } } })]);
    expect(evaluateCelPolicy(sel, deploy(5), { lookup: { objects: [labelled, other] } }).map((r) => r.status)).toEqual(['fail', 'pass']);
    const deny = loadCelPolicy(VAP, undefined, [binding('b', { name: 'absent', parameterNotFoundAction: 'Deny' })]);
    expect(evaluateCelPolicy(deny, deploy(1), { lookup: { objects: [limits] } })[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/no params found/) });
    const allow = loadCelPolicy(VAP, undefined, [binding('b', { name: 'absent', parameterNotFoundAction: 'Allow' })]);
    expect(evaluateCelPolicy(allow, deploy(1), { lookup: { objects: [limits] } })[0].status).toBe('pass');
  });

  test('a binding\'s matchResources narrows the policy; no binding: no result', () => {
    const p = loadCelPolicy(VAP, undefined, [binding('b', { name: 'limits' }, { matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } } })]);
    const labels = (ns: string): Record<string, string> => (ns === 'apps' ? { env: 'prod' } : {});
    expect(evaluateCelPolicy(p, deploy(5), { namespaceLabels: labels, lookup: { objects: [limits] } })[0].status).toBe('fail');
    expect(evaluateCelPolicy(p, deploy(5, 'dev'), { namespaceLabels: labels, lookup: { objects: [limits] } })).toEqual([]);
    expect(evaluateCelPolicy(loadCelPolicy(VAP), deploy(5))).toEqual([]);
  });
});

describe('ClusterPolicy validate.cel and celPreconditions', () => {
  const cp = loadPolicy(parse(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: host-ns}
spec:
  validationFailureAction: Enforce
  rules:
  - name: host-namespaces
    match: {any: [{resources: {kinds: [Pod]}}]}
    celPreconditions:
    - {name: not-kube-system, expression: "request.namespace != 'kube-system'"}
    validate:
      message: host namespaces are not allowed
      cel:
        variables:
        - {name: host, expression: "object.spec.?hostNetwork.orValue(false) || object.spec.?hostPID.orValue(false)"}
        expressions:
        - expression: "!variables.host"
`));

  test('pass, fail with the rule message, skip on celPreconditions, autogen on pod templates', () => {
    const statuses = (r: any) => evaluatePolicy(cp, r).map((x) => [x.rule, x.status, x.message]);
    expect(statuses(pod('a', { containers: [] }))).toEqual([['host-namespaces', 'pass', "validation rule 'host-namespaces' passed."]]);
    expect(statuses(pod('a', { hostPID: true, containers: [] }))).toEqual([['host-namespaces', 'fail', 'host namespaces are not allowed']]);
    expect(statuses(pod('a', { hostPID: true, containers: [] }, { namespace: 'kube-system' }))[0][1]).toBe('skip');
    expect(statuses(deployment('d', { hostNetwork: true, containers: [] }))).toEqual([['autogen-host-namespaces', 'fail', 'host namespaces are not allowed']]);
    expect(statuses(cronJob('c', { containers: [] }))).toEqual([['autogen-cronjob-host-namespaces', 'pass', "validation rule 'autogen-cronjob-host-namespaces' passed."]]);
  });

  test('an evaluation error of validate.cel denies (failurePolicy Fail), as a ValidatingAdmissionPolicy does', () => {
    const p = loadPolicy({ ...cp.raw, spec: { rules: [{ ...cp.raw.spec.rules[0], celPreconditions: undefined, validate: { cel: { expressions: [{ expression: 'object.spec.containers.all(c, c.env)' }] } } }] } });
    const [r] = evaluatePolicy(p, pod('a', { containers: [{ name: 'c', env: [] }] }));
    expect(r).toMatchObject({ status: 'fail', message: expect.stringMatching(/^validation error: validations\[0\]: /) });
  });

  test('celPreconditions on a pattern rule are evaluated', () => {
    const p = loadPolicy({ ...cp.raw, spec: { rules: [{ ...cp.raw.spec.rules[0], validate: { pattern: { spec: { '=(hostPID)': false } } } }] } });
    expect(evaluatePolicy(p, pod('a', { hostPID: true }, { namespace: 'kube-system' }))[0].status).toBe('skip');
    expect(evaluatePolicy(p, pod('a', { hostPID: true }))[0].status).toBe('fail');
  });
});

describe('CEL policies in a policy pack (synthesis aspects)', () => {
  test('findings name the policy, the validation index and message, and the binding', () => {
    const yaml = [VPOL, VAP, binding('limit-binding', { name: 'limits', namespace: 'apps' })].map((d) => `---\n${JSON.stringify(d)}\n`).join('');
    const pack = KyvernoPolicies.fromYaml(yaml);
    expect(pack.rules.map((r) => [r.id, r.severity])).toEqual([['KYVERNO-NoPrivileged', 'error'], ['VAP-ReplicaLimit', 'error']]);
    const objects = [
      pod('bad', { containers: [{ name: 'a', image: 'a:1', securityContext: { privileged: true } }] }),
      pod('good', { containers: [{ name: 'a', image: 'a:1' }] }),
      deploy(7), limits,
    ];
    const result = evaluatePacks([pack], objects.map((manifest) => ({ manifest })));
    expect(result.findings.map((f) => [f.ruleId, f.resource?.name, f.message])).toEqual([
      ['KYVERNO-NoPrivileged', 'bad', 'no-privileged: validations[0]: privileged containers: a'],
      ['VAP-ReplicaLimit', 'd', 'replica-limit [binding limit-binding]: validations[0]: replicas 7 > 3'],
    ]);
  });

  test('a ValidatingAdmissionPolicy without a binding is listed as unsupported', () => {
    expect(KyvernoPolicies.fromObjects([VAP]).unsupportedFeatures).toEqual(['replica-limit: no ValidatingAdmissionPolicyBinding given (the policy applies to nothing)']);
  });
});
