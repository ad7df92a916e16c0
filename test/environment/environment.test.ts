import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Environment, EnvironmentChart, PodSecurityLevel, SecretBackend, StorageProfile, Tier,
} from '../../src';
import { ValidationError } from '../../src/errors';

describe('Environment', () => {
  test('defaults: namespace and cluster from the name, restricted pod security, existing secrets', () => {
    const env = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT });
    expect(env.namespace).toBe('dev');
    expect(env.cluster).toBe('dev');
    expect(env.kubernetesVersion).toBe('1.30');
    expect(env.podSecurity).toBe(PodSecurityLevel.RESTRICTED);
    expect(env.secretBackend.description).toBe('existing');
    expect(env.storageProfile.rendersStorageClass).toBe(false);
    expect(env.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-stateful', 'stateful.cdk8s.io/environment': 'dev' });
  });

  test.each([
    [{ name: 'Prod', tier: Tier.PRODUCTION }, /INVALID_NAME.*invalid name "Prod"/],
    [{ name: 'prod_1', tier: Tier.PRODUCTION }, /invalid name "prod_1": a DNS-1123 label/],
    [{ name: 'x'.repeat(64), tier: Tier.PRODUCTION }, /invalid name/],
    [{ name: 'prod', tier: 'prod' as any }, /INVALID_TIER.*invalid tier "prod": one of development, staging, production/],
    [{ name: 'prod', tier: Tier.PRODUCTION, namespace: 'default' }, /invalid namespace "default"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, namespace: 'Orders' }, /invalid namespace "Orders"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, cluster: 'eu west' }, /invalid cluster "eu west"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, kubernetesVersion: 'v1.30' }, /invalid kubernetesVersion "v1.30"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, labels: { 'bad key!': 'x' } }, /invalid labels key "bad key!"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, labels: { team: 'has space' } }, /invalid labels\["team"\] "has space"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, allowedRegistries: [] }, /invalid allowedRegistries \[\]/],
    [{ name: 'prod', tier: Tier.PRODUCTION, allowedRegistries: ['https://ghcr.io'] }, /invalid allowedRegistries "https:\/\/ghcr.io"/],
    [{ name: 'prod', tier: Tier.PRODUCTION, podSecurity: 'strict' as any }, /invalid podSecurity "strict"/],
  ])('bad props %# give a ValidationError', (props, message) => {
    let error: unknown;
    try {
      new Environment(props as any);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
    expect((error as ValidationError).path).toMatch(/^Environment /);
  });

  test('selectNumber: environment name wins over tier, tier over otherwise', () => {
    const prod = new Environment({ name: 'prod-eu', tier: Tier.PRODUCTION });
    const dev = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT });
    const values = { development: 1, production: 3, byEnvironment: { 'prod-eu': 5 }, otherwise: 2 };
    expect(prod.selectNumber(values)).toBe(5);
    expect(dev.selectNumber(values)).toBe(1);
    expect(new Environment({ name: 'qa', tier: Tier.STAGING }).selectNumber(values)).toBe(2);
    expect(dev.selectString({ development: 'small', otherwise: 'large' })).toBe('small');
    expect(prod.selectBoolean({ production: true, otherwise: false })).toBe(true);
  });

  test('selectNumber without a matching value, or with a wrong type, is a ValidationError', () => {
    const staging = new Environment({ name: 'staging', tier: Tier.STAGING });
    expect(() => staging.selectNumber({ development: 1, production: 3 }))
      .toThrow(/NO_VALUE_FOR_ENVIRONMENT.*for environment "staging", for tier "staging", or "otherwise"/);
    expect(() => staging.selectNumber({ staging: 'two' as any })).toThrow(/invalid per-tier value "two": a number/);
  });

  test('Environment.of finds the environment of the enclosing EnvironmentChart', () => {
    const app = Testing.app();
    const env = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders' });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    const nested = new Construct(new Construct(chart, 'A'), 'B');
    expect(Environment.of(nested)).toBe(env);
    expect(Environment.tryOf(app)).toBeUndefined();
    expect(() => Environment.of(new Construct(app, 'Loose'))).toThrow(/NO_ENVIRONMENT.*Loose: invalid scope/);
  });

  test('EnvironmentChart puts objects in the namespace with the environment labels, without name hashes', () => {
    const app = Testing.app();
    const env = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', labels: { team: 'orders' } });
    const chart = new EnvironmentChart(app, 'orders', { environment: env });
    new ApiObject(chart, 'Config', { apiVersion: 'v1', kind: 'ConfigMap' });
    const cm = Testing.synth(chart).find((o) => o.kind === 'ConfigMap');
    expect(cm.metadata.namespace).toBe('orders');
    expect(cm.metadata.name).toBe('orders-config');
    expect(cm.metadata.labels).toEqual({
      'team': 'orders',
      'app.kubernetes.io/managed-by': 'cdk8s-stateful',
      'stateful.cdk8s.io/environment': 'prod',
    });
  });

  test('two environments on one cluster share its platform chart; conflicting StorageClasses are refused', () => {
    const app = Testing.app();
    const a = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, cluster: 'nonprod', storageProfile: StorageProfile.ondat({ name: 'fast', replicas: 1 }) });
    const b = new Environment({ name: 'qa', tier: Tier.STAGING, cluster: 'nonprod', storageProfile: StorageProfile.ondat({ name: 'fast', replicas: 1 }) });
    new EnvironmentChart(app, 'dev', { environment: a });
    new EnvironmentChart(app, 'qa', { environment: b });
    const platform = app.node.findChild('platform-nonprod');
    const kinds = Testing.synth(platform as any).map((o: any) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(['Namespace/dev', 'Namespace/qa', 'StorageClass/fast']);

    const c = new Environment({ name: 'perf', tier: Tier.STAGING, cluster: 'nonprod', storageProfile: StorageProfile.ondat({ name: 'fast', replicas: 3 }) });
    expect(() => new EnvironmentChart(app, 'perf', { environment: c }))
      .toThrow(/CONFLICTING_DEFINITION.*perf: invalid StorageClass "fast" on cluster "nonprod".*the same definition as dev/s);
  });

  test('the namespace carries the Pod Security labels for the cluster version', () => {
    const app = Testing.app();
    const env = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', kubernetesVersion: '1.31', podSecurity: PodSecurityLevel.BASELINE });
    new EnvironmentChart(app, 'orders', { environment: env });
    const [ns] = Testing.synth(app.node.findChild('platform-prod') as any);
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'v1.31',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(ns.metadata.namespace).toBeUndefined();
  });

  test('a non-Environment environment prop is a ValidationError', () => {
    expect(() => new EnvironmentChart(Testing.app(), 'x', { environment: { name: 'dev' } as any }))
      .toThrow(ValidationError);
    expect(SecretBackend.existingSecrets().description).toBe('existing');
  });
});
