import { SchemaValidator } from '../../src/validation';

const v = new SchemaValidator();

const labels = { 'app.kubernetes.io/name': 'pg' };

function statefulSet(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'pg', namespace: 'db', labels, annotations: { 'example.com/owner': 'team' } },
    spec: {
      serviceName: 'pg-headless',
      replicas: 3,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: 60,
          containers: [{
            name: 'postgres',
            image: 'postgres:17.2',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
            env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { requests: { 'cpu': '500m', 'memory': '1Gi', 'ephemeral-storage': 1073741824 }, limits: { memory: '1Gi', cpu: 2 } },
            readinessProbe: { tcpSocket: { port: 'postgres' }, periodSeconds: 10 },
            livenessProbe: { exec: { command: ['pg_isready'] }, failureThreshold: 6 },
            volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }, { name: 'run', mountPath: '/var/run/postgresql' }],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
          volumes: [{ name: 'run', emptyDir: {} }],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } },
      }],
    },
  };
}

function pod(containerExtra: Record<string, any> = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'db' },
    spec: {
      containers: [{ name: 'c', image: 'busybox:1.36', ...containerExtra }],
      volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
    },
  };
}

describe('SchemaValidator: core kinds (kubernetes-models OpenAPI schema)', () => {
  test('a valid StatefulSet with volumeClaimTemplates passes', () => {
    expect(v.validate(statefulSet())).toEqual([]);
  });

  test('a Pod with emptyDir: {} passes', () => {
    expect(v.validate(pod())).toEqual([]);
  });

  test('a NetworkPolicy with podSelector: {} passes', () => {
    const np = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'db' },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 5432, protocol: 'TCP' }, { port: 'metrics' }] }],
      },
    };
    expect(v.validate(np)).toEqual([]);
  });

  test('a misspelled container field is an unknown field', () => {
    expect(v.validate(pod({ imagePullPolcy: 'Always' })))
      .toEqual([{ path: '/spec/containers/0', message: 'unknown field "imagePullPolcy"', kind: 'unknown-field' }]);
  });

  test('unknown fields are found everywhere: metadata, nested specs, templates', () => {
    const s = statefulSet();
    s.metadata.lables = {};
    s.spec.template.spec.containers[0].resources.limit = {};
    s.spec.volumeClaimTemplates[0].spec.storageClass = 'fast';
    s.spec.template.spec.volumes[0].emptyDir.size = '1Gi';
    expect(v.validate(s)).toEqual(expect.arrayContaining([
      { path: '/metadata', message: 'unknown field "lables"', kind: 'unknown-field' },
      { path: '/spec/template/spec/containers/0/resources', message: 'unknown field "limit"', kind: 'unknown-field' },
      { path: '/spec/volumeClaimTemplates/0/spec', message: 'unknown field "storageClass"', kind: 'unknown-field' },
      { path: '/spec/template/spec/volumes/0/emptyDir', message: 'unknown field "size"', kind: 'unknown-field' },
    ]));
    expect(v.validate(s)).toHaveLength(4);
  });

  test('map-valued fields accept any key (labels, annotations, resources, data)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { 'a.b/c': 'd' } }, data: { 'postgresql.conf': 'x = 1', 'any-key': 'v' } };
    expect(v.validate(cm)).toEqual([]);
    expect(v.validate({ ...cm, data: { a: 1 } })).toEqual([{ path: '/data/a', message: 'must be string (got integer)', kind: 'schema' }]);
  });

  test('IntOrString: a Service targetPort may be a port name', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'pg-rw', namespace: 'db' },
      spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'postgres', port: 5432, targetPort: 'http' }, { name: 'metrics', port: 9187, targetPort: 9187 }] },
    };
    expect(v.validate(svc)).toEqual([]);
    const bad = { ...svc, spec: { ...svc.spec, ports: [{ name: 'postgres', port: '5432', targetPort: true }] } };
    expect(v.validate(bad)).toEqual([
      { path: '/spec/ports/0/port', message: 'must be integer (got string)', kind: 'schema' },
      { path: '/spec/ports/0/targetPort', message: 'must be string or integer (got true)', kind: 'schema' },
    ]);
  });

  test('Quantity: numbers and quantity strings, not arbitrary strings', () => {
    expect(v.validate(pod({ resources: { requests: { cpu: 0.5, memory: '512Mi' } } }))).toEqual([]);
    const issues = v.validate(pod({ resources: { requests: { memory: 'lots' } } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '/spec/containers/0/resources/requests/memory', kind: 'schema' });
    expect(issues[0].message).toMatch(/quantity/);
  });

  test('types, required fields and apiVersion/kind are checked', () => {
    const s = statefulSet();
    s.spec.replicas = '3';
    delete s.spec.template.spec.containers[0].name;
    expect(v.validate(s)).toEqual(expect.arrayContaining([
      { path: '/spec/replicas', message: 'must be integer (got string)', kind: 'schema' },
      { path: '/spec/template/spec/containers/0', message: 'missing required field "name"', kind: 'schema' },
    ]));
  });

  test('the usual kinds validate', () => {
    const meta = { name: 'x', namespace: 'db' };
    const podSpec = { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Never' };
    const objects: any[] = [
      { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', stringData: { password: 'p' }, data: { b: 'YQ==' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta, automountServiceAccountToken: false },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'db', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: { backoffLimit: 2, template: { spec: podSpec } } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', jobTemplate: { spec: { template: { spec: podSpec } } } } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta, spec: { minAvailable: '50%', selector: { matchLabels: labels } } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' }, subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: 'db' }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'Group', name: 'g', apiGroup: 'rbac.authorization.k8s.io' }] },
      { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'ebs.csi.aws.com', parameters: { encrypted: 'true', type: 'gp3' }, allowVolumeExpansion: true, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' },
    ];
    for (const o of objects) {
      expect(v.hasSchema(o.apiVersion, o.kind)).toBe(true);
      expect({ kind: o.kind, issues: v.validate(o) }).toEqual({ kind: o.kind, issues: [] });
    }
  });

  test('hasSchema: only top-level kinds', () => {
    expect(v.hasSchema('v1', 'Pod')).toBe(true);
    expect(v.hasSchema('apps/v1', 'StatefulSetSpec')).toBe(false);
    expect(v.hasSchema('apps/v1', 'Pod')).toBe(false);
    expect(v.hasSchema('../../etc', 'Passwd')).toBe(false);
    expect(new SchemaValidator({ coreKinds: false }).hasSchema('v1', 'Pod')).toBe(false);
  });

  test('unknown kinds: no-schema, unless allowed', () => {
    const obj = { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } };
    expect(v.validate(obj)).toEqual([{ path: '', message: expect.stringMatching(/^no schema for apiVersion "example.com\/v1" kind "Thing"/), kind: 'no-schema' }]);
    expect(new SchemaValidator({ allowUnknownKinds: true }).validate(obj)).toEqual([]);
  });

  test('frozen input is validated too (unknown fields still found)', () => {
    const deepFreeze = (o: any): any => {
      Object.values(o).forEach((x) => x && typeof x === 'object' && deepFreeze(x));
      return Object.freeze(o);
    };
    expect(v.validate(deepFreeze(pod({ imagePullPolcy: 'Always' }))))
      .toEqual([{ path: '/spec/containers/0', message: 'unknown field "imagePullPolcy"', kind: 'unknown-field' }]);
  });

  test('metadata values are checked as the API server does (name required, name/label formats)', () => {
    const cm = (metadata: any): any => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata });
    expect(v.validate(cm({ generateName: 'cfg-' }))).toEqual([]);
    expect(v.validate(cm({ namespace: 'db' }))).toEqual([{ path: '/metadata', message: 'missing required field "name"', kind: 'schema' }]);
    expect(v.validate({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([{ path: '', message: 'missing required field "metadata"', kind: 'schema' }]);
    expect(v.validate(cm({ name: 'My_Config' }))).toEqual([expect.objectContaining({ path: '/metadata/name', kind: 'schema' })]);
    expect(v.validate(cm({ name: 'cfg', namespace: 'Prod' }))).toEqual([expect.objectContaining({ path: '/metadata/namespace', kind: 'schema' })]);
    const issues = v.validate(cm({ name: 'cfg', labels: { 'bad key!': 'x', 'ok': 'x'.repeat(64), 'fine/also-ok': '' }, annotations: { '/nope': 'x' } }));
    expect(issues.map((i) => i.path)).toEqual(['/metadata/labels/bad key!', '/metadata/labels/ok', '/metadata/annotations/~1nope']);
    // Services need an RFC 1035 label; RBAC names are path segments
    expect(v.validate({ apiVersion: 'v1', kind: 'Service', metadata: { name: '1pg' }, spec: { ports: [{ port: 1 }] } }))
      .toEqual([expect.objectContaining({ path: '/metadata/name' })]);
    expect(v.validate({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:cdk8s:reader' } })).toEqual([]);
  });

  test('formatIssue renders apiVersion/kind namespace/name: path: message', () => {
    const p = pod({ imagePullPolcy: 'Always' });
    const [issue] = v.validate(p);
    expect(SchemaValidator.formatIssue(p, issue)).toBe('v1/Pod db/p: /spec/containers/0: unknown field "imagePullPolcy"');
  });
});
