import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import * as YAML from 'yaml';
import { commitCount, emptyRepo, filesAt, git, publish, refusal, snapshot } from './helpers';
import { ArgoCdOptions, Environment, EnvironmentChart, FluxOptions, GitOpsApp, Tier } from '../../../src';
import { IOutputSynthesizer, PublishErrorCode } from '../../../src/gitops/publish';
import { unresolvedReads, wiringFix, wiringReads } from '../../../src/gitops/publish/wiring-paths';

const REPO_URL = 'https://git.example.com/acme/shop-gitops.git';
const DIST = path.join(__dirname, '..', '..', '..', 'dist');

/** dev (cluster local) and prod (cluster main), one ConfigMap each, with the wiring given. */
function wired(wiring: { flux?: FluxOptions; argoCd?: ArgoCdOptions }): IOutputSynthesizer {
  return {
    synthesize: (outdir) => {
      const app = new GitOpsApp({ outdir, ...wiring });
      for (const [name, tier, cluster] of [['dev', Tier.DEVELOPMENT, 'local'], ['prod', Tier.PRODUCTION, 'main']] as const) {
        const chart = new EnvironmentChart(app, `shop-${name}`, {
          environment: new Environment({ name, tier, namespace: `shop-${name}`, cluster, defaultDenyNetworkPolicy: false }),
        });
        new ApiObject(chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: name } });
      }
      app.synth();
    },
  };
}

const argoCd = (repositoryPath?: string, environmentBranches?: boolean): ArgoCdOptions => ({
  repositoryUrl: REPO_URL,
  destinations: { local: 'https://kubernetes.default.svc', main: 'https://main.k8s.example.com:6443' },
  ...(repositoryPath !== undefined ? { repositoryPath } : {}),
  ...(environmentBranches ? { environmentBranches } : {}),
});

/** The files of a folder, relative to it (posix). */
function filesOf(dir: string): Map<string, { content: string }> {
  const out = new Map<string, { content: string }>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.set(child, { content: fs.readFileSync(path.join(dir, child), 'utf8') });
    }
  };
  walk('');
  return out;
}

/** Every Flux `spec.path` and Argo CD `source.path` of the wiring committed at `ref`, with whether the commit holds it. */
function committedReads(checkout: string, ref: string, prefix: string): Array<[string, boolean]> {
  const tree = filesAt(checkout, ref);
  const held = (folder: string) => folder === '' || tree.some((f) => f.startsWith(`${folder}/`));
  return tree.filter((f) => f.startsWith(`${prefix}clusters/`) || f.startsWith(`${prefix}argocd/`)).flatMap((f): Array<[string, boolean]> => {
    const o = YAML.parse(git(checkout, 'show', `${ref}:${f}`));
    const p = o.kind === 'Kustomization' ? o.spec.path : o.kind === 'Application' && o.spec.source.directory !== undefined ? o.spec.source.path : undefined;
    if (p === undefined) return [];
    const folder = path.posix.normalize(p).replace(/\/+$/, '').replace(/^\.$/, '');
    return [[p, held(folder)]];
  });
}

describe('the folders the wiring reads, as Flux and Argo CD read them', () => {
  const dist = filesOf(DIST);
  const reads = wiringReads(dist);

  test('the reference platform: every Kustomization and the Applications of its own repository', () => {
    const kustomizations = [...dist.keys()].filter((f) => /^clusters\/[^/]+\/Kustomization\./.test(f));
    const own = [...dist.keys()].filter((f) => /^argocd\/Application\./.test(f) && !f.includes('-operator-'));
    expect(kustomizations.length).toBeGreaterThan(4);
    expect(reads.filter((r) => r.tool === 'Flux').map((r) => r.file).sort()).toEqual(kustomizations.sort());
    // the operators' Applications (charts, kustomize folders of their projects) read other repositories
    expect(reads.filter((r) => r.tool === 'Argo CD').map((r) => r.file).sort()).toEqual(own.sort());
    expect(own.length).toBe(5); // two platforms, three environments
    for (const r of reads) expect(r.path).toMatch(/^(\.\/)?dist\//);
    // the GitRepository's branch; Argo CD follows HEAD
    expect(new Set(reads.map((r) => r.revision))).toEqual(new Set(['main', undefined]));
  });

  test('every read resolves where the reference platform is published (dist/), none elsewhere', () => {
    const output = [...dist.keys()];
    expect(unresolvedReads(reads, 'dist', output)).toEqual([]);
    const atRoot = unresolvedReads(reads, '', output);
    expect(atRoot).toHaveLength(reads.length);
    expect(new Set(atRoot.map((u) => u.wiringPrefix))).toEqual(new Set(['dist']));
    expect(wiringFix(atRoot, '')).toBe('the wiring reads the output at dist/: publish with --path dist, or set argoCd.repositoryPath / flux.repositoryPath to "./"');
    const elsewhere = unresolvedReads(reads, 'deploy/gitops', output);
    expect(elsewhere.every((u) => u.reason === 'outside the output (published at deploy/gitops/)')).toBe(true);
    expect(wiringFix(elsewhere, 'deploy/gitops')).toMatch(/publish with --path dist, or set .* to "\.\/deploy\/gitops"$/);
  });

  test('paths that leave the repository, folders the output does not have, sources that are not Git', () => {
    const files = new Map([
      ['clusters/c1/Kustomization.a.yaml', { content: 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: a, namespace: flux-system}\nspec: {path: ../elsewhere, sourceRef: {kind: GitRepository, name: gitops}}\n' }],
      ['clusters/c1/Kustomization.b.yaml', { content: 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: b, namespace: flux-system}\nspec: {path: ./out/layers/gone, sourceRef: {kind: GitRepository, name: gitops}}\n' }],
      ['clusters/c1/Kustomization.c.yaml', { content: 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: c, namespace: flux-system}\nspec: {path: ./anywhere, sourceRef: {kind: OCIRepository, name: gitops}}\n' }],
      ['clusters/c1/Kustomization.d.yaml', { content: 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: d, namespace: flux-system}\nspec: {path: ./out/rendered/, sourceRef: {kind: GitRepository, name: gitops}}\n' }],
      ['rendered/dev/ConfigMap.x.yaml', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' }],
    ]);
    const found = wiringReads(files);
    expect(found.map((r) => r.file)).toEqual(['clusters/c1/Kustomization.a.yaml', 'clusters/c1/Kustomization.b.yaml', 'clusters/c1/Kustomization.d.yaml']);
    const unresolved = unresolvedReads(found, 'out', [...files.keys()]);
    expect(unresolved.map((u) => [u.read.path, u.reason, u.wiringPrefix])).toEqual([
      ['../elsewhere', 'a path outside the repository', undefined],
      ['./out/layers/gone', 'a folder the output does not have (published at out/)', undefined],
    ]);
    expect(wiringFix(unresolved, 'out')).toBe('set flux.repositoryPath to "./out" (where this publish writes the output), or publish with the --path the wiring was written for');
  });
});

describe('publish refuses wiring that reads folders the commit would not hold', () => {
  test('Flux written for ./gitops, published at the root: refused, nothing written; published at gitops/: every path is in the commit', () => {
    const repo = emptyRepo();
    const app = wired({ flux: { repositoryUrl: REPO_URL, repositoryPath: './gitops' } });
    const before = snapshot(repo.checkout);
    const e = refusal({ repository: repo.checkout, synthesizer: app });
    expect(e.code).toBe(PublishErrorCode.WIRING_MISMATCH);
    expect(e.message).toMatch(/^\d+ folder\(s\) the GitOps wiring reads would not be in the commit: the wiring reads the output at gitops\/: publish with --path gitops, or set flux.repositoryPath to "\.\/"$/);
    expect(e.details).toContain('clusters/main/Kustomization.prod-data.yaml: Flux reads ./gitops/layers/prod/data on main: a folder the output does not have (published at the repository\'s root)');
    expect(e.details.every((d) => d.startsWith('clusters/'))).toBe(true);
    expect(snapshot(repo.checkout)).toEqual(before);
    expect(commitCount(repo.checkout)).toBe(0);

    // a dry run says so too
    expect(refusal({ repository: repo.checkout, synthesizer: app, dryRun: true }).code).toBe(PublishErrorCode.WIRING_MISMATCH);

    const result = publish({ repository: repo.checkout, synthesizer: app, path: 'gitops' });
    expect(result.committed).toBe(true);
    const reads = committedReads(repo.checkout, 'HEAD', 'gitops/');
    expect(reads.length).toBeGreaterThan(4);
    expect(reads.filter(([, held]) => !held)).toEqual([]);
  });

  test('Argo CD reading the root while the output goes to deploy/: refused with the fix; argoCd.repositoryPath "deploy" publishes', () => {
    const repo = emptyRepo();
    const e = refusal({ repository: repo.checkout, synthesizer: wired({ argoCd: argoCd() }), path: 'deploy' });
    expect(e.code).toBe(PublishErrorCode.WIRING_MISMATCH);
    expect(e.message).toMatch(/the wiring reads the output at the repository's root: publish with --path \., or set argoCd.repositoryPath to "deploy"$/);
    // the two platforms and the two environments, not the operators
    expect(e.details).toEqual([
      'argocd/Application.cdk8s-stateful-dev.yaml: Argo CD reads rendered/dev: outside the output (published at deploy/)',
      'argocd/Application.cdk8s-stateful-platform-local.yaml: Argo CD reads platform/local: outside the output (published at deploy/)',
      'argocd/Application.cdk8s-stateful-platform-main.yaml: Argo CD reads platform/main: outside the output (published at deploy/)',
      'argocd/Application.cdk8s-stateful-prod.yaml: Argo CD reads rendered/prod: outside the output (published at deploy/)',
    ]);
    expect(commitCount(repo.checkout)).toBe(0);

    expect(publish({ repository: repo.checkout, synthesizer: wired({ argoCd: argoCd('deploy') }), path: 'deploy' }).committed).toBe(true);
    expect(committedReads(repo.checkout, 'HEAD', 'deploy/').filter(([, held]) => !held)).toEqual([]);
  });

  test('environment branches: each branch\'s reads against that branch\'s files', () => {
    const repo = emptyRepo();
    const app = (repositoryPath: string) => wired({
      flux: { repositoryUrl: REPO_URL, repositoryPath: `./${repositoryPath}`, environmentBranches: true },
      argoCd: { ...argoCd(repositoryPath, true) },
    });
    // the main branch first (wiring and platform), then the environment branches
    expect(publish({ repository: repo.checkout, synthesizer: app('gitops'), path: 'gitops' }).committed).toBe(true);
    const e = refusal({ repository: repo.checkout, synthesizer: app('gitops'), environmentBranches: true });
    expect(e.code).toBe(PublishErrorCode.WIRING_MISMATCH);
    // what reads env/dev and env/prod only: the main branch is not written by this publish
    expect(e.details.length).toBeGreaterThan(0);
    expect(e.details.every((d) => / on env\/(dev|prod): a folder the output does not have \(published at the repository's root\)$/.test(d))).toBe(true);
    expect(e.message).toMatch(/publish with --path gitops, or set argoCd.repositoryPath \/ flux.repositoryPath to "\.\/"$/);
    expect(e.details.some((d) => d.startsWith('argocd/Application.cdk8s-stateful-prod.yaml: Argo CD reads gitops/rendered/prod on env/prod'))).toBe(true);

    const result = publish({ repository: repo.checkout, synthesizer: app('gitops'), environmentBranches: true, path: 'gitops' });
    expect(result.branches.map((b) => b.branch)).toEqual(['env/dev', 'env/prod']);
    for (const env of ['dev', 'prod']) {
      const tree = filesAt(repo.checkout, `env/${env}`);
      expect(tree.some((f) => f.startsWith(`gitops/rendered/${env}/`))).toBe(true);
      expect(tree.some((f) => f.startsWith(`gitops/layers/${env}/`))).toBe(true);
    }
  });

  test('a Flux source that is not Git (an OCI artifact) is not checked against the commit', () => {
    const repo = emptyRepo();
    const result = publish({ repository: repo.checkout, synthesizer: wired({ flux: { sourceKind: 'OCIRepository', sourceName: 'artifact', repositoryPath: './elsewhere' } }) });
    expect(result.committed).toBe(true);
  });
});
