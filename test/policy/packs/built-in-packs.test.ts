import { ApiObject } from 'cdk8s';
import {
  AspectPriority, Aspects, Environment, EnvironmentChart, GitOpsApp, PolicyPack, PolicyPacks, ReclaimPolicy, StorageProfile, Tier,
} from '../../../src';
import { evaluatePacks } from '../../../src/policy/engine';
import { tmpdir } from '../../util/tmp';

const labels = { 'app.kubernetes.io/name': 'api' };

/** A Deployment that passes every built-in manifest rule. */
function deployment(replicas = 3): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'orders' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
          containers: [{
            name: 'api',
            image: 'ghcr.io/acme/api:1.2.3',
            env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }, { name: 'LOG_LEVEL', value: 'info' }],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
            livenessProbe: { httpGet: { path: '/health', port: 8080 } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
}
const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'api', namespace: 'orders' }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } };
const netpol = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'api', namespace: 'orders' }, spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] } };

const prod = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', allowedRegistries: ['ghcr.io/acme'] });
const dev = new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'orders', allowedRegistries: ['ghcr.io/acme'] });

function run(pack: PolicyPack, manifests: any[], env: Environment = prod, file?: (m: any) => string) {
  const objects = manifests.map((manifest) => ({ manifest, environment: env, tier: env.tier, file: file?.(manifest) ?? `rendered/${env.name}/x/${manifest.kind}.yaml` }));
  return evaluatePacks([pack], objects).findings.map((f) => `${f.severity}:${f.ruleId}`);
}

function mutate(fn: (d: any) => void, replicas = 3): any {
  const d = deployment(replicas);
  fn(d);
  return d;
}
const container = (d: any) => d.spec.template.spec.containers[0];

describe('built-in packs: a compliant workload passes everything', () => {
  test.each(PolicyPacks.builtInIds())('%s', (id) => {
    expect(run(PolicyPacks.byId(id), [deployment(), pdb, netpol])).toEqual([]);
  });
});

describe('production-readiness: each rule fires on its violation', () => {
  const pack = PolicyPacks.productionReadiness();
  test.each<[string, any[], string[]]>([
    ['no requests', [mutate((d) => delete container(d).resources.requests), pdb, netpol], ['error:PROD-ResourceRequests', 'error:PROD-ResourceRequests']],
    ['no memory limit', [mutate((d) => delete container(d).resources.limits), pdb, netpol], ['error:PROD-MemoryLimit']],
    ['no readiness probe', [mutate((d) => delete container(d).readinessProbe), pdb, netpol], ['error:PROD-ReadinessProbe']],
    ['no liveness probe', [mutate((d) => delete container(d).livenessProbe), pdb, netpol], ['warning:PROD-LivenessProbe']],
    ['latest image', [mutate((d) => { container(d).image = 'ghcr.io/acme/api:latest'; }), pdb, netpol], ['error:PROD-ImagePinned']],
    ['untagged image', [mutate((d) => { container(d).image = 'ghcr.io/acme/api'; }), pdb, netpol], ['error:PROD-ImagePinned']],
    ['no PDB', [deployment(), netpol], ['error:PROD-PodDisruptionBudget']],
    ['PDB selecting other pods', [deployment(), { ...pdb, spec: { selector: { matchLabels: { other: 'x' } } } }, netpol], ['error:PROD-PodDisruptionBudget']],
    ['no spread', [mutate((d) => delete d.spec.template.spec.topologySpreadConstraints), pdb, netpol], ['error:PROD-ZoneSpread']],
    ['1 replica in prod', [deployment(1), netpol], ['error:PROD-ProductionReplicas']],
    ['no NetworkPolicy', [deployment(), pdb], ['error:PROD-NetworkPolicy']],
  ])('%s', (_name, manifests, expected) => {
    expect(run(pack, manifests)).toEqual(expected);
  });

  test('anti-affinity counts as spread; a digest pins an image; a Job needs no probes or PDB', () => {
    const anti = mutate((d) => {
      delete d.spec.template.spec.topologySpreadConstraints;
      d.spec.template.spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } } }] } };
      container(d).image = 'ghcr.io/acme/api@sha256:' + 'a'.repeat(64);
    });
    expect(run(pack, [anti, pdb, netpol])).toEqual([]);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'orders' }, spec: { template: { spec: { containers: [{ name: 'm', image: 'ghcr.io/acme/m:1', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } } }] } } } };
    expect(run(pack, [job])).toEqual([]);
  });

  test('errors are warnings in development', () => {
    expect(run(pack, [deployment(1)], dev)).toEqual(['warning:PROD-NetworkPolicy']);
    expect(run(pack, [mutate((d) => delete container(d).resources.limits, 1), netpol], dev)).toEqual(['warning:PROD-MemoryLimit']);
  });
});

describe('gitops-hygiene', () => {
  const pack = PolicyPacks.gitopsHygiene();
  test.each<[string, any, string[]]>([
    ['cluster-scoped object in an application layer', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' } }, ['error:GITOPS-NamespaceScoped']],
    ['no namespace', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, ['error:GITOPS-NoDefaultNamespace']],
    ['default namespace', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }, ['error:GITOPS-NoDefaultNamespace']],
    ['image from another registry', mutate((d) => { container(d).image = 'docker.io/evil/api:1.0'; }), ['error:GITOPS-AllowedRegistries']],
    ['Docker Hub short name', mutate((d) => { container(d).image = 'postgres:16'; }), ['error:GITOPS-AllowedRegistries']],
    ['registry prefix is not a path prefix', mutate((d) => { container(d).image = 'ghcr.io/acme-evil/api:1.0'; }), ['error:GITOPS-AllowedRegistries']],
    ['Secret with data', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'orders' }, data: { password: 'aHVudGVyMg==' } }, ['error:GITOPS-NoSecretData']],
  ])('%s', (_name, manifest, expected) => {
    expect(run(pack, [manifest])).toEqual(expected);
  });

  test('cluster-scoped objects in the platform layer pass', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'x' };
    expect(run(pack, [sc], prod, () => 'platform/prod/StorageClass.fast.yaml')).toEqual([]);
    expect(run(pack, [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'orders' }, type: 'Opaque' }])).toEqual([]);
  });

  test('GITOPS-AllowedRegistries checks the images inside operator resources and the images operators pull by default', () => {
    const rule = pack.manifestRules.find((r) => r.id === 'GITOPS-AllowedRegistries')!;
    const env = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'orders', allowedRegistries: ['ghcr.io/acme', 'ghcr.io/cloudnative-pg'] });
    const check = (manifest: any) => rule.evaluate({ manifest, environment: env, tier: env.tier }).map((v) => `${v.jsonPointer} ${v.message}`);
    const meta = { name: 'x', namespace: 'orders' };
    // CloudNativePG: the named image, or the operator's default (ghcr.io/cloudnative-pg: allowed here)
    expect(check({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: meta, spec: { instances: 3, imageName: 'docker.io/evil/postgres:16' } }))
      .toEqual(['/spec/imageName Cluster "x" image "docker.io/evil/postgres:16" for PostgreSQL instances is not from an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)']);
    expect(check({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: meta, spec: { instances: 3 } })).toEqual([]);
    expect(check({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'ImageCatalog', metadata: meta, spec: { images: [{ major: 16, image: 'quay.io/x/pg:16' }] } }))
      .toEqual(['/spec/images/0/image ImageCatalog "x" image "quay.io/x/pg:16" for PostgreSQL 16 instances is not from an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)']);
    // RabbitMQ: the image, its Docker Hub default, and images in the StatefulSet override
    expect(check({ apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster', metadata: meta, spec: { image: 'rabbitmq:4.1.4-management' } }))
      .toEqual(['/spec/image RabbitmqCluster "x" image "rabbitmq:4.1.4-management" for RabbitMQ brokers is not from an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)']);
    expect(check({
      apiVersion: 'rabbitmq.com/v1beta1',
      kind: 'RabbitmqCluster',
      metadata: meta,
      spec: { image: 'ghcr.io/acme/rabbitmq:4.1.4', override: { statefulSet: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1' }] } } } } } },
    })).toEqual(['/spec/override/statefulSet/spec/template/spec/containers/0/image RabbitmqCluster "x" image "busybox:1" for RabbitMQ broker container "sidecar" is not from an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)']);
    expect(check({ apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster', metadata: meta, spec: { replicas: 3 } }).map((v) => v.split(' ')[0])).toEqual(['/spec/image']);
    // Strimzi: no image named: Strimzi's defaults on quay.io
    expect(check({ apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', metadata: meta, spec: { kafka: { version: '4.1.0' }, entityOperator: { topicOperator: {}, userOperator: {} } } })).toEqual([
      '/spec/kafka/image Kafka "x" names no image for Kafka brokers: the operator pulls its default from quay.io/strimzi/kafka, not an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)',
      '/spec/entityOperator/topicOperator/image Kafka "x" names no image for the entity operator\'s topicOperator: the operator pulls its default from quay.io/strimzi/operator, not an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)',
      '/spec/entityOperator/userOperator/image Kafka "x" names no image for the entity operator\'s userOperator: the operator pulls its default from quay.io/strimzi/operator, not an allowed registry (ghcr.io/acme, ghcr.io/cloudnative-pg)',
    ]);
    expect(check({ apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', metadata: meta, spec: { kafka: { image: 'ghcr.io/acme/kafka:4.1.0' } } })).toEqual([]);
    // a PgBouncer Pooler without its own image runs CloudNativePG's default
    expect(check({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Pooler', metadata: meta, spec: { cluster: { name: 'db' } } })).toEqual([]);
  });

  test('GITOPS-NoSecretData is unsuppressible', () => {
    expect(pack.rules.find((r) => r.id === 'GITOPS-NoSecretData')!.unsuppressible).toBe(true);
  });
});

describe('data-protection', () => {
  test('literal credentials in env or ConfigMaps are found, references are not', () => {
    const pack = PolicyPacks.gitopsHygiene();
    const literal = mutate((d) => { container(d).env.push({ name: 'API_TOKEN', value: 's3cr3t' }); });
    expect(run(pack, [literal])).toEqual(['error:GITOPS-NoLiteralCredentials']);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'orders' }, data: { 'db-password': 'x', 'mode': 'fast' } };
    expect(run(pack, [cm])).toEqual(['error:GITOPS-NoLiteralCredentials']);
    expect(run(pack, [deployment()])).toEqual([]);
  });

  function synthStorage(profile: StorageProfile, tier = Tier.PRODUCTION) {
    const app = new GitOpsApp({ outdir: tmpdir() });
    const chart = new EnvironmentChart(app, 'c', { environment: new Environment({ name: 'p', tier, storageProfile: profile }) });
    new ApiObject(chart, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    Aspects.of(app).add(PolicyPacks.dataProtection(), { priority: AspectPriority.READONLY });
    return app.render().findings.map((f) => `${f.severity}:${f.ruleId}`).sort();
  }

  test('production storage must be encrypted, retained and replicated (model rules)', () => {
    expect(synthStorage(StorageProfile.ondat({ name: 'ok', replicas: 2 }))).toEqual([]);
    expect(synthStorage(StorageProfile.existing('plain'))).toEqual(['error:DATA-EncryptedStorage', 'error:DATA-RetainOnDelete', 'warning:DATA-ReplicatedStorage']);
    expect(synthStorage(StorageProfile.awsEbs({ name: 'ebs', reclaimPolicy: ReclaimPolicy.DELETE }))).toEqual(['error:DATA-RetainOnDelete', 'warning:DATA-ReplicatedStorage']);
    expect(synthStorage(StorageProfile.existing('plain'), Tier.STAGING)).toEqual([]);
  });
});

describe('pod security packs', () => {
  test('restricted finds a root container in a StatefulSet template, with the pointer to the field', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'orders' },
      spec: { template: { spec: { containers: [{ name: 'db', image: 'x:1', securityContext: { runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } }] } } },
    };
    const result = evaluatePacks([PolicyPacks.podSecurityRestricted({ version: '1.28' })], [{ manifest: sts }]);
    expect(result.findings.map((f) => [f.ruleId, f.jsonPointer])).toEqual([['PSS-RunAsNonRoot', '/spec/template/spec/containers/0/securityContext/runAsNonRoot']]);
    expect(evaluatePacks([PolicyPacks.podSecurityBaseline({ version: '1.28' })], [{ manifest: sts }]).findings).toEqual([]);
  });

  test('a bad version is refused', () => {
    expect(() => PolicyPacks.podSecurityRestricted({ version: '2.0' })).toThrow();
    expect(() => PolicyPacks.byId('nope')).toThrow(/unknown pack "nope"/);
  });
});
