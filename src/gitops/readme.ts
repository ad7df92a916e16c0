import { OutputLayout } from './output-layout';
import type { RenderedObject } from './pipeline';
import type { Environment } from '../environment/environment';

/**
 * The generated README.md at the root of the output: what is here, per environment and cluster.
 * Deterministic (no timestamps).
 */
export function renderReadme(environments: Environment[], objects: RenderedObject[], layout: OutputLayout = OutputLayout.HYDRATED): string {
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
  lines.push('');
  return lines.join('\n');
}
