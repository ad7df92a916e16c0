import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as YAML from 'yaml';
import { Environment, EnvironmentChart, GitOpsApp, PlatformOperator, Tier } from '../../src';
import { describeWithKustomize, kustomizeBuild } from '../util/kustomize';
import { tmpdir } from '../util/tmp';

/**
 * An operator from a kustomize folder of its Git repository, built the way Argo CD builds the
 * Application's source: the folder at its tag, `kustomize edit set image` for each of
 * `source.kustomize.images`, `source.kustomize.patches` added to the kustomization, then the real
 * `kubectl kustomize`. The folder here has the shape of RabbitMQ's `config/installation` (a
 * Namespace, CRDs, RBAC, a Deployment at `latest`, a webhook Service): the upstream repositories
 * cannot be fetched where the tests run.
 */
function upstreamFolder(root: string): string {
  const base = path.join(root, 'config');
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'acme-system', labels: { 'app.kubernetes.io/part-of': 'acme' } } },
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.acme.example' },
      spec: { group: 'acme.example', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'acme-operator' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'leader-election' }, rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'] }] },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'acme-operator' },
      spec: {
        selector: { matchLabels: { app: 'acme-operator' } },
        template: { metadata: { labels: { app: 'acme-operator' } }, spec: { serviceAccountName: 'acme-operator', containers: [{ name: 'manager', image: 'ghcr.io/acme/operator:latest' }] } },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'acme-webhook' }, spec: { selector: { app: 'acme-operator' }, ports: [{ port: 443 }] } },
  ];
  for (const dir of ['installation', 'base']) fs.mkdirSync(path.join(base, dir), { recursive: true });
  fs.writeFileSync(path.join(base, 'base/all.yaml'), docs.map((d) => YAML.stringify(d)).join('---\n'));
  fs.writeFileSync(path.join(base, 'base/kustomization.yaml'), YAML.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['all.yaml'] }));
  fs.writeFileSync(path.join(base, 'installation/kustomization.yaml'), YAML.stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: 'acme-system', resources: ['../base'],
  }));
  return path.join(base, 'installation');
}

/** What Argo CD does with `source.kustomize` before it builds: `kustomize edit set image` for each image, the patches added. */
function applyArgoCdKustomize(folder: string, kustomize: { images?: string[]; patches?: object[] }): void {
  const file = path.join(folder, 'kustomization.yaml');
  const k = YAML.parse(fs.readFileSync(file, 'utf8'));
  for (const image of kustomize.images ?? []) {
    // `name:tag`, `name=newName:tag`, `name@digest` (kustomize edit set image's forms)
    const [name, replacement = image] = image.includes('=') ? image.split('=') : [image.replace(/[:@][^:/@]*$/, '')];
    const at = replacement.search(/[:@][^:/@]*$/);
    const entry: any = { name };
    if (replacement.slice(0, at) !== name) entry.newName = replacement.slice(0, at);
    if (replacement[at] === '@') entry.digest = replacement.slice(at + 1);
    else entry.newTag = replacement.slice(at + 1);
    k.images = [...(k.images ?? []).filter((i: any) => i.name !== name), entry];
  }
  k.patches = [...(k.patches ?? []), ...(kustomize.patches ?? [])];
  fs.writeFileSync(file, YAML.stringify(k));
}

/** The `spec.source` of the operator's Application, as the app renders it. */
function operatorSource(op: PlatformOperator): any {
  const app = new GitOpsApp({
    outdir: tmpdir(),
    argoCd: { repositoryUrl: 'https://git.example/acme/gitops.git', destinations: { prod: 'https://prod.example:6443' } },
    operators: [op],
  });
  const environment = new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'prod' });
  const chart = new EnvironmentChart(app, 'shop-prod', { environment });
  new ApiObject(chart, 'Cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } });
  const file = app.render().files.find((f) => f.path === `argocd/Application.cdk8s-stateful-operator-${op.name}-prod.yaml`)!;
  return YAML.parse(file.content).spec.source;
}

describeWithKustomize('an operator from a Git folder, built as Argo CD builds it (real kubectl kustomize)', () => {
  test.each([
    ['name:tag', 'ghcr.io/acme/operator:1.4.2', 'ghcr.io/acme/operator:1.4.2'],
    ['name=newName:tag', 'ghcr.io/acme/operator=registry.example/mirror/operator:1.4.2', 'registry.example/mirror/operator:1.4.2'],
  ])('%s: the image pinned, the Namespace left out, everything else kept', (_form, image, expected) => {
    const op = new PlatformOperator({ name: 'acme', repositoryUrl: 'https://git.example/acme/operator', path: 'config/installation', version: 'v1.4.2', namespace: 'acme-system', images: [image] });
    const source = operatorSource(op);
    expect(source).toMatchObject({ repoURL: 'https://git.example/acme/operator', targetRevision: 'v1.4.2', path: 'config/installation' });
    const folder = upstreamFolder(tmpdir());
    const before = kustomizeBuild(folder);
    applyArgoCdKustomize(folder, source.kustomize);
    const after = kustomizeBuild(folder);
    expect(before.map((o) => o.kind)).toContain('Namespace');
    // only the Namespace goes: Argo CD creates it (CreateNamespace=true), no Application tracks it
    expect(after.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(before.filter((o) => o.kind !== 'Namespace').map((o) => `${o.kind}/${o.metadata.name}`).sort());
    expect(after.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image).toBe(expected);
    for (const o of after.filter((x) => x.kind !== 'CustomResourceDefinition')) expect(o.metadata.namespace).toBe('acme-system');
  });

  test('the RabbitMQ factories pin the image their folder leaves at latest', () => {
    for (const op of [PlatformOperator.rabbitmqClusterOperator('2.22.3'), PlatformOperator.rabbitmqTopologyOperator('1.20.1')]) {
      const source = operatorSource(op);
      const [image] = source.kustomize.images;
      // RabbitMQ's config/installation names ghcr.io/rabbitmq/<repository>:latest; the pin replaces only the tag
      expect(image).toBe(`ghcr.io/rabbitmq/${source.repoURL.split('/').pop()}:${source.targetRevision.slice(1)}`);
      const folder = upstreamFolder(tmpdir());
      const k = path.join(folder, '../base/all.yaml');
      fs.writeFileSync(k, fs.readFileSync(k, 'utf8').replace('ghcr.io/acme/operator:latest', image.replace(/:[^:]*$/, ':latest')));
      applyArgoCdKustomize(folder, source.kustomize);
      const deployment = kustomizeBuild(folder).find((o) => o.kind === 'Deployment');
      expect(deployment.spec.template.spec.containers[0].image).toBe(image);
    }
  });
});
