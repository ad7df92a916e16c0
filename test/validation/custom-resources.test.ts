import { SchemaIssue, SchemaValidator } from '../../src/validation';
import { CRDS_DIR, describeWithCrds, sharedValidator } from '../util/crds';

function cluster(spec: Record<string, any> = {}, metadata: Record<string, any> = {}): any {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg', namespace: 'db', labels: { 'app.kubernetes.io/name': 'pg' }, ...metadata },
    spec: {
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:17.2',
      storage: { size: '10Gi', storageClass: 'fast' },
      walStorage: { size: '2Gi' },
      postgresql: { parameters: { max_connections: '200' }, synchronous: { method: 'any', number: 1 } },
      bootstrap: { initdb: { database: 'app', owner: 'app', secret: { name: 'app-secret' } } },
      plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters: { barmanObjectName: 'store' } }],
      resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: 2147483648 } },
      affinity: { topologyKey: 'topology.kubernetes.io/zone', enablePodAntiAffinity: true },
      managed: { roles: [{ name: 'reader', ensure: 'present', login: true, passwordSecret: { name: 'reader' } }] },
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { 'cnpg.io/cluster': 'pg' } },
      }],
      ...spec,
    },
  };
}

function only(issues: SchemaIssue[], kind: string): SchemaIssue[] {
  return issues.filter((i) => i.kind === kind);
}

describeWithCrds('SchemaValidator: custom resources (shared CRDs)', () => {
  test('a valid CNPG Cluster passes', () => {
    expect(sharedValidator().validate(cluster())).toEqual([]);
  });

  test('a misspelled field is an unknown field, reported on the object holding it', () => {
    const issues = sharedValidator().validate(cluster({ instancess: 3 }));
    expect(issues).toEqual([{ path: '/spec', message: 'unknown field "instancess"', kind: 'unknown-field' }]);
  });

  test('unknown fields are found at any depth and in metadata', () => {
    const manifest = cluster({ storage: { size: '1Gi', storageClas: 'x' } }, { lables: { a: 'b' } });
    const issues = sharedValidator().validate(manifest);
    expect(issues).toEqual(expect.arrayContaining([
      { path: '/spec/storage', message: 'unknown field "storageClas"', kind: 'unknown-field' },
      { path: '/metadata', message: 'unknown field "lables"', kind: 'unknown-field' },
    ]));
    expect(issues).toHaveLength(2);
    expect(SchemaValidator.formatIssue(manifest, issues[0])).toBe('postgresql.cnpg.io/v1/Cluster db/pg: /spec/storage: unknown field "storageClas"');
  });

  test('wrong types, enums and ObjectMeta values are caught', () => {
    const issues = sharedValidator().validate(cluster(
      { instances: '3', postgresql: { synchronous: { method: 'fast', number: 1 } } },
      { labels: { tier: 1 } },
    ));
    expect(issues).toEqual(expect.arrayContaining([
      { path: '/spec/instances', message: 'must be integer (got string)', kind: 'schema' },
      { path: '/spec/postgresql/synchronous/method', message: 'must be one of [any, first] (got "fast")', kind: 'schema' },
      { path: '/metadata/labels/tier', message: 'must be string (got integer)', kind: 'schema' },
    ]));
  });

  test('missing required fields are reported; fields with a schema default are not missing', () => {
    expect(sharedValidator().validate(cluster({ plugins: [{ isWALArchiver: true }] })))
      .toEqual([{ path: '/spec/plugins/0', message: 'missing required field "name"', kind: 'schema' }]);
    // spec.instances is required but defaults to 1: the API server defaults before validating
    const manifest = cluster();
    delete manifest.spec.instances;
    expect(sharedValidator().validate(manifest)).toEqual([]);
  });

  test('int-or-string quantities accept integers and strings, nothing else', () => {
    const v = sharedValidator();
    expect(v.validate(cluster({ resources: { limits: { memory: 1073741824, cpu: '500m' } } }))).toEqual([]);
    const issues = v.validate(cluster({ resources: { limits: { memory: true } } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '/spec/resources/limits/memory', kind: 'schema' });
    expect(issues[0].message).toMatch(/^must be integer or string/);
  });

  test('anything goes under x-kubernetes-preserve-unknown-fields, not beside it', () => {
    const topic = {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'orders', labels: { 'strimzi.io/cluster': 'kafka' } },
      spec: { partitions: 3, replicas: 3, config: { 'min.insync.replicas': 2, 'retention.ms': 604800000, 'anything': { nested: [1, 'two'] } } },
    };
    const v = sharedValidator();
    expect(v.validate(topic)).toEqual([]);
    expect(v.validate({ ...topic, spec: { ...topic.spec, partitons: 3 } }))
      .toEqual([{ path: '/spec', message: 'unknown field "partitons"', kind: 'unknown-field' }]);
  });

  test('a CEL rule violation on the CNPG Cluster is caught with the rule message', () => {
    const manifest = cluster({ imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'pg', major: 17 } });
    expect(sharedValidator().validate(manifest))
      .toEqual([{ path: '/spec', message: 'imageName and imageCatalogRef are mutually exclusive', kind: 'cel' }]);
    // and without imageName the same reference is valid
    const valid = cluster({ imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'pg', major: 17 } });
    delete valid.spec.imageName;
    expect(sharedValidator().validate(valid)).toEqual([]);
  });

  test('CEL rules are evaluated on nested nodes and list items', () => {
    const v = sharedValidator();
    const issues = v.validate(cluster({
      imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'Catalog', name: 'pg', major: 17 },
      postgresql: { synchronous: { method: 'any', number: 0 } },
    }));
    expect(only(issues, 'cel')).toEqual(expect.arrayContaining([
      { path: '/spec/imageCatalogRef', message: 'Only image catalogs are supported', kind: 'cel' },
      { path: '/spec/postgresql/synchronous/number', message: 'The number of synchronous replicas should be greater than zero', kind: 'cel' },
    ]));

    const store = {
      apiVersion: 'barmancloud.cnpg.io/v1',
      kind: 'ObjectStore',
      metadata: { name: 'store', namespace: 'db' },
      spec: {
        configuration: { destinationPath: 's3://backups/pg', s3Credentials: { inheritFromIAMRole: true } },
        instanceSidecarConfiguration: { additionalContainerArgs: ['--log-level=debug'] },
      },
    };
    const storeIssues = v.validate(store);
    expect(only(storeIssues, 'cel')).toHaveLength(1);
    expect(storeIssues[0].path).toBe('/spec/instanceSidecarConfiguration/additionalContainerArgs');
    store.spec.instanceSidecarConfiguration.additionalContainerArgs = ['--other'];
    expect(v.validate(store)).toEqual([]);
  });

  test('a CEL rule that fails to evaluate on the value (no such key) is a failure, as in Kubernetes', () => {
    const issues = sharedValidator().validate(cluster({ bootstrap: { initdb: { database: 'app', owner: 'app', icuLocale: 'en-US' } } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '/spec/bootstrap/initdb', kind: 'cel' });
    expect(issues[0].message).toMatch(/icuLocale is only available when localeProvider is set to `icu`.*failed to evaluate/);
    expect(sharedValidator().validate(cluster({ bootstrap: { initdb: { localeProvider: 'icu', icuLocale: 'en-US' } } }))).toEqual([]);
  });

  test('CEL rules are not evaluated on values with type errors', () => {
    const issues = sharedValidator().validate(cluster({ imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'pg', major: 'x' } }));
    expect(issues).toEqual([{ path: '/spec/imageCatalogRef/major', message: 'must be integer (got string)', kind: 'schema' }]);
  });

  test('rules on Strimzi KafkaUser', () => {
    const user = (authentication: any): any => ({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaUser',
      metadata: { name: 'app', labels: { 'strimzi.io/cluster': 'kafka' } },
      spec: { authentication },
    });
    const v = sharedValidator();
    expect(v.validate(user({ type: 'tls', validityDays: 365, renewalDays: 30 }))).toEqual([]);
    expect(only(v.validate(user({ type: 'tls', validityDays: 30, renewalDays: 365 })), 'cel')).toHaveLength(1);
    expect(only(v.validate(user({ type: 'tls', renewalDays: 30 })), 'cel')).toHaveLength(1);
  });

  test('transition rules are listed as unchecked, never reported as passed or failed', () => {
    const v = sharedValidator();
    expect(v.validate(cluster({ serviceAccountName: 'pg' }))).toEqual([]);
    expect(v.uncheckedRules).toEqual(expect.arrayContaining([expect.objectContaining({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      path: '/spec/serviceAccountName',
      rule: 'self == oldSelf',
      reason: expect.stringMatching(/transition rule/),
    })]));
    const info = v.celRules.find((r) => r.kind === 'Cluster' && r.path === '/spec/serviceAccountName');
    expect(info).toMatchObject({ evaluable: false });
  });

  test('x-kubernetes-list-type map: duplicate keys are rejected', () => {
    const ref = (name: string): any => ({ name, selector: { matchLabels: { app: name } } });
    const v = sharedValidator();
    expect(v.validate(cluster({ podSelectorRefs: [ref('a'), ref('b')] }))).toEqual([]);
    expect(v.validate(cluster({ podSelectorRefs: [ref('a'), ref('a')] })))
      .toEqual([{ path: '/spec/podSelectorRefs/1', message: 'duplicate entry with name="a" (same key as item 0)', kind: 'schema' }]);
  });

  test('apiVersion must be a served version of the CRD', () => {
    const v = sharedValidator();
    expect(v.hasSchema('postgresql.cnpg.io/v1', 'Cluster')).toBe(true);
    expect(v.hasSchema('postgresql.cnpg.io/v2', 'Cluster')).toBe(false);
    expect(v.validate({ ...cluster(), apiVersion: 'postgresql.cnpg.io/v2' })).toEqual([expect.objectContaining({ kind: 'no-schema' })]);
  });

  test('validate does not modify its input (defaults are applied to a copy)', () => {
    const manifest = cluster();
    const before = JSON.stringify(manifest);
    sharedValidator().validate(manifest);
    expect(JSON.stringify(manifest)).toBe(before);
  });

  test('every CRD schema compiles; CEL rules are counted evaluable vs unchecked', () => {
    const v = SchemaValidator.fromCrdPaths([CRDS_DIR]);
    expect(() => v.compileAll()).not.toThrow();
    expect(v.customResourceKinds.length).toBeGreaterThanOrEqual(35);
    // a minimal object of every kind validates without throwing (missing required fields are issues)
    for (const k of v.customResourceKinds) {
      const [apiVersion, kind] = k.split(' ');
      expect(() => v.validate({ apiVersion, kind, metadata: { name: 'x' }, spec: {} })).not.toThrow();
    }
    const rules = v.celRules;
    const evaluable = rules.filter((r) => r.evaluable);
    const unchecked = v.uncheckedRules;
    const transition = unchecked.filter((u) => /transition rule/.test(u.reason));
    // eslint-disable-next-line no-console
    console.log([
      `CRD kinds: ${v.customResourceKinds.length}`,
      `CEL rules: ${rules.length} (evaluable ${evaluable.length}, unchecked ${rules.length - evaluable.length}: ${transition.length} transition rules)`,
      'unchecked rules:',
      ...unchecked.map((u) => `  ${u.apiVersion} ${u.kind} ${u.path}: ${u.rule} — ${u.reason}`),
    ].join('\n'));
    expect(evaluable.length).toBeGreaterThan(0);
    expect(rules.length - evaluable.length).toBe(rules.filter((r) => !r.evaluable).length);
    // every non-evaluable rule is listed as unchecked
    for (const r of rules.filter((x) => !x.evaluable)) {
      expect(unchecked).toContainEqual(expect.objectContaining({ kind: r.kind, path: r.path, rule: r.rule }));
    }
  });
});
