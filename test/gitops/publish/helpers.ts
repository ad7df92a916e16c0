import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import {
  AspectPriority, Aspects, ChangeApprovals, Environment, EnvironmentChart, GitOpsApp, PolicyPacks, Suppressions, Tier,
} from '../../../src';
import { GitOpsPublisher, GitOpsPublisherProps, IOutputSynthesizer, PublishError, PublishResult } from '../../../src/gitops/publish';
import { tmpdir } from '../../util/tmp';

/** Git and the app see no global or system git configuration: the repositories' own config only. */
export const GIT_ENV: Record<string, string> = {
  ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string' && !e[0].startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Runs git in `cwd`; throws with its stderr when it fails. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}

export interface Repo {
  /** The bare remote. */
  readonly remote: string;
  /** A checkout of it (origin = remote), with a committer identity. */
  readonly checkout: string;
}

/** An empty bare remote and a clone of it (an unborn `main`). */
export function emptyRepo(): Repo {
  const root = tmpdir('cdk8s-stateful-publish-test-');
  const remote = path.join(root, 'remote.git');
  const checkout = path.join(root, 'checkout');
  git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  git(root, 'clone', '-q', remote, checkout);
  git(checkout, 'config', 'user.name', 'Publish Test');
  git(checkout, 'config', 'user.email', 'publish@example.com');
  git(checkout, 'config', 'commit.gpgsign', 'false');
  return { remote, checkout };
}

/** A repository with a first commit holding a foreign file (docs/notes.md) and a .gitignore. */
export function repoWithHistory(): Repo {
  const repo = emptyRepo();
  fs.mkdirSync(path.join(repo.checkout, 'docs'));
  fs.writeFileSync(path.join(repo.checkout, 'docs', 'notes.md'), '# Our notes\n');
  git(repo.checkout, 'add', '.');
  git(repo.checkout, 'commit', '-q', '-m', 'initial: notes');
  git(repo.checkout, 'push', '-q', 'origin', 'main');
  return repo;
}

export function commitCount(dir: string, ref = 'HEAD'): number {
  const r = spawnSync('git', ['rev-list', '--count', ref], { cwd: dir, env: GIT_ENV, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : 0;
}

export function filesAt(dir: string, ref: string): string[] {
  return git(dir, 'ls-tree', '-r', '--name-only', ref).split('\n').filter((l) => l);
}

/** Every file under `dir` (`.git` included) with its sha256: byte identity of a repository. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else out[child] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, child))).digest('hex');
    }
  };
  walk('');
  return out;
}

/** What the test app renders. */
export interface ShopOptions {
  /** data.mode of the dev ConfigMap. */
  readonly mode?: string;
  /** data.tier of the prod ConfigMap. */
  readonly prodSetting?: string;
  /** A Secret with data in prod: GITOPS-NoSecretData, an unsuppressible error. */
  readonly secretInProd?: boolean;
  /** The prod StatefulSet with volume claims (a data-bearing object). */
  readonly queue?: boolean;
  /** Approve removing the queue (CHANGE-DataObjectRemoved). */
  readonly approveQueueRemoval?: boolean;
  /** An extra ConfigMap in dev. */
  readonly extraDev?: boolean;
  /** A StatefulSet with volume claims in dev: removing it is a warning there. */
  readonly devCache?: boolean;
  /** That many more StatefulSets with volume claims in dev (cache-1, cache-2...). */
  readonly devCaches?: number;
  /** Environments (default dev and prod). */
  readonly environments?: ('dev' | 'prod' | 'staging')[];
  /** Write the policy reports into the directory publish gives (default true). */
  readonly reports?: boolean;
}

/**
 * A GitOpsApp: dev (development, cluster local) with a Deployment checked by production-readiness
 * (warnings in development, one suppressed with a reason) and a ConfigMap; prod (production,
 * cluster main) with a ConfigMap and a StatefulSet with volume claims. gitops-hygiene everywhere.
 */
// the environments render no default-deny NetworkPolicy: these tests count files and objects of publish
export function shopApp(outdir: string, reportsDirectory: string | undefined, o: ShopOptions = {}): GitOpsApp {
  const app = new GitOpsApp({ outdir, ...(reportsDirectory && o.reports !== false ? { reports: { directory: reportsDirectory } } : {}) });
  Aspects.of(app).add(PolicyPacks.gitopsHygiene(), { priority: AspectPriority.READONLY });
  const envs = o.environments ?? ['dev', 'prod'];
  if (envs.includes('dev')) {
    const dev = new EnvironmentChart(app, 'shop-dev', { environment: new Environment({ name: 'dev', tier: Tier.DEVELOPMENT, namespace: 'shop', cluster: 'local', defaultDenyNetworkPolicy: false }) });
    Aspects.of(dev).add(PolicyPacks.productionReadiness(), { priority: AspectPriority.READONLY });
    const api = new ApiObject(dev, 'api', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'ghcr.io/acme/api:1.0.0' }] } },
      },
    });
    Suppressions.add(api, { ruleId: 'PROD-NetworkPolicy', reason: 'the dev cluster has no network policy support' });
    new ApiObject(dev, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: o.mode ?? 'fast' } });
    if (o.devCache) new ApiObject(dev, 'cache', statefulSetWithClaims('cache', 'docker.io/library/redis:7.4.1'));
    for (let i = 1; i <= (o.devCaches ?? 0); i++) new ApiObject(dev, `cache-${i}`, statefulSetWithClaims(`cache-${i}`, 'docker.io/library/redis:7.4.1'));
    if (o.extraDev) new ApiObject(dev, 'flags', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'feature-flags' }, data: { beta: 'true' } });
  }
  if (envs.includes('staging')) {
    const staging = new EnvironmentChart(app, 'shop-staging', { environment: new Environment({ name: 'staging', tier: Tier.STAGING, namespace: 'shop-staging', cluster: 'local', defaultDenyNetworkPolicy: false }) });
    new ApiObject(staging, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'staged' } });
  }
  if (envs.includes('prod')) {
    const prod = new EnvironmentChart(app, 'shop-prod', { environment: new Environment({ name: 'prod', tier: Tier.PRODUCTION, namespace: 'shop', cluster: 'main', defaultDenyNetworkPolicy: false }) });
    new ApiObject(prod, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { tier: o.prodSetting ?? 'gold' } });
    if (o.queue !== false) {
      new ApiObject(prod, 'mq', statefulSetWithClaims('mq', 'docker.io/library/rabbitmq:3.13.7'));
    }
    if (o.approveQueueRemoval) {
      ChangeApprovals.approve(prod, { ruleId: 'CHANGE-DataObjectRemoved', kind: 'StatefulSet', name: 'mq', reason: 'queue drained and migrated to the managed broker, OPS-42' });
    }
    if (o.secretInProd) new ApiObject(prod, 'creds', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: 'hunter2' } });
  }
  return app;
}

/** A StatefulSet of 3 with volume claims (a data-bearing object). */
function statefulSetWithClaims(name: string, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
    },
  };
}

/** The test app as an in-process synthesizer. */
export function shop(o: ShopOptions = {}): IOutputSynthesizer {
  return { synthesize: (outdir, reportsDirectory) => shopApp(outdir, reportsDirectory, o).synth() };
}

/** Publishes with the test environment (no global git configuration). */
export function publish(props: Omit<GitOpsPublisherProps, 'environmentVariables'>): PublishResult {
  return new GitOpsPublisher({ ...props, environmentVariables: GIT_ENV }).publish();
}

/** The PublishError a publish throws (fails the test when it does not throw one). */
export function refusal(props: Omit<GitOpsPublisherProps, 'environmentVariables'>): PublishError {
  try {
    publish(props);
  } catch (e) {
    if (e instanceof PublishError) return e;
    throw e;
  }
  throw new Error('expected the publish to be refused');
}
