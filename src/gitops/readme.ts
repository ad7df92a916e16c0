import { OutputLayout } from './output-layout';
import type { RenderedObject } from './pipeline';
import type { Environment } from '../environment/environment';

/** The Flux and Argo CD wiring of the output, for its README. */
export interface ReadmeWiring {
  /** The path of every file of the output (the wiring's files among them). */
  readonly paths: readonly string[];
  /** Flux wiring: the bootstrap path of a cluster's folder, `<cluster>` standing for its name. */
  readonly fluxClusterPath?: string;
}

/**
 * The generated README.md at the root of the output: what is here, per environment and cluster, and
 * how a cluster applies it (the Flux and Argo CD wiring, when the app renders it). Deterministic (no
 * timestamps).
 */
export function renderReadme(
  environments: Environment[], objects: RenderedObject[], layout: OutputLayout = OutputLayout.HYDRATED, wiring?: ReadmeWiring,
): string {
  const lines: string[] = [
    '# GitOps repository (generated)',
    '',
    'Rendered by [cdk8s-stateful](https://www.npmjs.com/package/cdk8s-stateful). **Do not edit by hand**:',
    'change the cdk8s app and synthesize again. Files listed in `.cdk8s-stateful/manifest.json` are owned',
    'by the generator (hand edits are reported by `cdk8s-stateful verify` and overwritten); other files',
    'are never touched.',
    '',
    '## Layout',
    '',
    '- `platform/<cluster>/`: cluster-scoped prerequisites (Namespaces with Pod Security labels, StorageClasses).',
    '- `rendered/<environment>/<namespace>/<Kind>.<name>.yaml`: every manifest of an environment, fully rendered.',
    ...(layout === OutputLayout.HYDRATED_AND_KUSTOMIZE ? [
      '- `base/` + `overlays/<environment>/`: the same objects as a kustomize base and per-environment overlays;',
      '  `kubectl kustomize overlays/<environment>` yields exactly `rendered/<environment>/`.',
    ] : []),
    '- `.cdk8s-stateful/manifest.json`: owned files with their sha256, the packs and tier per environment.',
    '  Commit it; the rest of `.cdk8s-stateful/` (lock, journal, staging) is transient and belongs in `.gitignore`.',
    '',
    '## Environments',
    '',
    '| environment | tier | cluster | namespace | objects |',
    '|---|---|---|---|---:|',
  ];
  for (const env of environments) {
    const count = objects.filter((o) => o.environment === env.name).length;
    lines.push(`| ${env.name} | ${env.tier} | ${env.cluster} | ${env.namespace} | ${count} |`);
  }
  const clusters = [...new Set(objects.filter((o) => o.environment === undefined).map((o) => o.cluster))].sort();
  if (clusters.length > 0) {
    lines.push('', '## Platform layer', '', '| cluster | objects |', '|---|---:|');
    for (const cluster of clusters) {
      lines.push(`| ${cluster} | ${objects.filter((o) => o.environment === undefined && o.cluster === cluster).length} |`);
    }
  }
  if (wiring) lines.push(...fluxSection(environments, wiring), ...argoCdSection(wiring));
  lines.push('');
  return lines.join('\n');
}

/** The names `<kind>.<name>.yaml` of the files directly in `folder/` (`folder/<sub>/` with `sub`), by subfolder. */
function namesIn(paths: readonly string[], folder: string, kind: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of paths) {
    const m = new RegExp(`^${folder}/(?:([^/]+)/)?${kind}\\.([^/]+)\\.yaml$`).exec(p);
    if (!m) continue;
    const key = m[1] ?? '';
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(m[2]);
  }
  return out;
}

function fluxSection(environments: Environment[], wiring: ReadmeWiring): string[] {
  const byCluster = namesIn(wiring.paths, 'clusters', 'Kustomization');
  if (wiring.fluxClusterPath === undefined || byCluster.size === 0) return [];
  const lines = [
    '',
    '## Flux',
    '',
    `Bootstrap each cluster with its folder as the path: \`flux bootstrap git --url=<this repository> --path=${wiring.fluxClusterPath}\`.`,
    '',
    '- `clusters/<cluster>/`: everything in `flux-system`, applied in one pass: the Git source (with a `repositoryUrl`), one',
    '  `gitops-deployer-<environment>` ServiceAccount per environment, and the Kustomizations below.',
    '- `layers/<environment>/{data,migrate,apps}/`: what an environment\'s Kustomizations apply, in this order,',
    '  each once the one before is Ready: `<environment>-data` (databases, queues, their credentials, backups),',
    '  `<environment>-migrate` (schema migration Jobs, when there are any), `<environment>` (the applications); `platform`',
    '  (`platform/<cluster>/`) before them all.',
    '',
    '| cluster | Kustomizations, in the order they become Ready |',
    '|---|---|',
  ];
  for (const [cluster, names] of [...byCluster].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const left = new Set(names);
    const chains: string[] = [];
    const take = (name: string) => (left.delete(name) ? [name] : []);
    const platform = take('platform');
    for (const env of environments.filter((e) => e.cluster === cluster)) {
      const chain = [...take(`${env.name}-data`), ...take(`${env.name}-migrate`), ...take(env.name)];
      if (chain.length > 0) chains.push(chain.map((n) => `\`${n}\``).join(' → '));
    }
    chains.push(...[...left].sort().map((n) => `\`${n}\``));
    lines.push(`| ${cluster} | ${[...platform.map((n) => `\`${n}\` →`), chains.join('; ')].join(' ')} |`);
  }
  return lines;
}

function argoCdSection(wiring: ReadmeWiring): string[] {
  const projects = namesIn(wiring.paths, 'argocd', 'AppProject').get('') ?? [];
  const applications = namesIn(wiring.paths, 'argocd', 'Application').get('') ?? [];
  if (applications.length === 0) return [];
  return [
    '',
    '## Argo CD',
    '',
    `Apply \`argocd/\` to the cluster running Argo CD (or point an app of apps at it): ${projects.length} AppProject(s)`,
    `(${[...projects].sort().map((p) => `\`${p}\``).join(', ')}) and ${applications.length} Application(s). Sync waves order them: by default`,
    'charts of CRDs only and cert-manager (wave -3), the operators (-2), each cluster\'s platform layer (-1), then the',
    'environments (1); inside an environment, its data objects (0), its schema migrations (a `Sync` hook, 1) and',
    'its applications (2). For the waves of an app of apps to wait on each Application\'s health, add Argo CD\'s',
    '`argoproj.io/Application` health check to `argocd-cm`.',
  ];
}
