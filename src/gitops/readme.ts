import { OutputLayout } from './output-layout';
import type { RenderedObject } from './pipeline';
import type { Environment } from '../environment/environment';
import type { ProvidedSecret } from '../secrets/provided-secret';
import { SecretSourceKind } from '../secrets/secret-source';

/** The Flux and Argo CD wiring of the output, for its README. */
export interface ReadmeWiring {
  /** The path of every file of the output (the Argo CD wiring's files among them). */
  readonly paths: readonly string[];
  /** The Flux wiring, when rendered. */
  readonly flux?: {
    /** The bootstrap path of a cluster's folder, `<cluster>` standing for its name. */
    readonly clusterPath: string;
    /** Per cluster, after its platform Kustomization, each environment's Kustomizations in the order they become Ready (flux.ts `fluxApplyOrder`). */
    readonly order: ReadonlyArray<{ readonly cluster: string; readonly platform: string; readonly environments: readonly string[][] }>;
    /** `flux.name`, which prefixes the Kustomizations and deployer ServiceAccounts (flux.ts `fluxName`), if any. */
    readonly name?: string;
  };
  /** The Argo CD Applications whose prunes wait for a person's confirmation (argocd.ts `prunesOnConfirmation`). */
  readonly argoCdConfirmPrune?: readonly string[];
}

/**
 * The generated README.md at the root of the output: what is here, per environment and cluster, and
 * how a cluster applies it (the Flux and Argo CD wiring, when the app renders it), and the Secrets its objects read
 * that it does not create (`provided`, from provided-secrets.ts `collectProvidedSecrets`). Deterministic (no
 * timestamps).
 */
export function renderReadme(
  environments: Environment[], objects: RenderedObject[], layout: OutputLayout = OutputLayout.HYDRATED, wiring?: ReadmeWiring,
  provided: readonly ProvidedSecret[] = [],
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
  lines.push(...providedSecretsSection(environments, provided));
  if (wiring) lines.push(...fluxSection(wiring), ...argoCdSection(wiring));
  lines.push('');
  return lines.join('\n');
}

/** The names of the `argocd/<kind>.<name>.yaml` files. */
function argoCdNames(paths: readonly string[], kind: string): string[] {
  const file = new RegExp(`^argocd/${kind}\\.([^/]+)\\.yaml$`);
  const names: string[] = [];
  for (const p of paths) {
    const m = file.exec(p);
    if (m) names.push(m[1]);
  }
  return names.sort();
}

function fluxSection(wiring: ReadmeWiring): string[] {
  if (!wiring.flux) return [];
  const code = (name: string) => `\`${name}\``;
  const n = wiring.flux.name === undefined ? '' : `${wiring.flux.name}-`;
  return [
    '',
    '## Flux',
    '',
    `Bootstrap each cluster with its folder as the path: \`flux bootstrap git --url=<this repository> --path=${wiring.flux.clusterPath}\`.`,
    '',
    '- `clusters/<cluster>/`: everything in `flux-system`, applied in one pass: the Git source (with a `repositoryUrl`), one',
    `  \`gitops-deployer-${n}<environment>\` ServiceAccount per environment, and the Kustomizations below.`,
    '- `layers/<environment>/{data,migrate,apps}/`: what an environment\'s Kustomizations apply, in this order,',
    `  each once the one before is Ready: \`${n}<environment>-data\` (databases, queues, their credentials, backups),`,
    `  \`${n}<environment>-migrate\` (schema migration Jobs and RabbitMQ operator users, when there are any), \`${n}<environment>\``,
    `  (the applications); \`${n}platform\` (\`platform/<cluster>/\`) before them all.`,
    '',
    '| cluster | Kustomizations, in the order they become Ready |',
    '|---|---|',
    ...wiring.flux.order.map(({ cluster, platform, environments }) =>
      `| ${cluster} | ${code(platform)} → ${environments.map((chain) => chain.map(code).join(' → ')).join('; ')} |`),
  ];
}

function argoCdSection(wiring: ReadmeWiring): string[] {
  const projects = argoCdNames(wiring.paths, 'AppProject');
  const applications = argoCdNames(wiring.paths, 'Application');
  if (applications.length === 0) return [];
  return [
    '',
    '## Argo CD',
    '',
    `Apply \`argocd/\` to the cluster running Argo CD (or point an app of apps at it): ${projects.length} AppProject(s)`,
    `(${projects.map((p) => `\`${p}\``).join(', ')}) and ${applications.length} Application(s). Sync waves order them: by default`,
    'the AppProjects (a wave before every Application), charts of CRDs only and cert-manager (wave -3), the operators (-2), each cluster\'s platform layer (-1), then the',
    'environments (1); inside an environment, its data objects (0), its schema migrations (a `Sync` hook, 1) and RabbitMQ',
    'operator users (1), and its applications (2). For the waves of an app of apps to wait on each Application\'s health,',
    'add Argo CD\'s `argoproj.io/Application` health check to `argocd-cm`.',
    ...(wiring.argoCdConfirmPrune?.length ? [
      '',
      `The Applications of the operators ${[...wiring.argoCdConfirmPrune].sort().map((n) => `\`${n}\``).join(', ')} prune only once a person`,
      'confirms it (`Prune=confirm`, Argo CD 3.4 or later): their charts hold their CRDs, and deleting a CRD deletes every',
      'object of its kind (the databases). When a sync of one waits in Running, look at what it would delete',
      '(`argocd app get <application>`) and confirm with',
      '`argocd app confirm-deletion <application>` only when no CustomResourceDefinition is among them.',
    ] : []),
  ];
}

/**
 * "Secrets you provide": per environment, each Secret the output reads and does not create, its keys with what
 * each must hold, its labels and its readers. Nothing when there are none (every Secret comes from an
 * ExternalSecret of the output, or from an operator).
 */
function providedSecretsSection(environments: Environment[], provided: readonly ProvidedSecret[]): string[] {
  if (provided.length === 0) return [];
  const sealed = provided.some((p) => p.source === SecretSourceKind.SEALED_SECRET);
  const templated = provided.some((p) => p.keys.some((k) => k.template !== undefined));
  const lines = [
    '',
    '## Secrets you provide',
    '',
    'The objects of the output read these Secrets, and the output does not create them: create each (an existing',
    'Secret) or seal it (a SealedSecret) before the first deploy, with every key below and exactly the labels shown,',
    'or the pods and operators reading it wait for it (`CreateContainerConfigError`, a volume that never mounts).',
    ...(sealed ? [
      'A SealedSecret is sealed for its namespace and name (`kubeseal`\'s default strict scope); the controller copies its',
      '`spec.template.metadata` (the labels) and `spec.template.data` onto the Secret.',
    ] : []),
    ...(templated ? [
      'A key shown with a template is derived from the Secret\'s other keys: write its value as shown, or let a SealedSecret',
      'derive it with the template in `spec.template.data` (Go templates with sprig over the sealed keys), so it follows',
      'a changed password. `<password, URL-encoded>` is the password with every character other than letters, digits',
      'and `-_.~` percent-encoded, a space as `%20` (`python3 -c \'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))\' "$PASSWORD"`).',
    ] : []),
  ];
  for (const env of environments) {
    const secrets = provided.filter((p) => p.environment === env.name);
    if (secrets.length === 0) continue;
    lines.push('', `### ${env.name} (namespace \`${env.namespace}\`)`, '');
    for (const s of secrets) {
      const how = s.source === SecretSourceKind.SEALED_SECRET ? 'SealedSecret' : 'existing Secret';
      const labels = Object.entries(s.labels).map(([k, v]) => `\`${k}: ${JSON.stringify(v)}\``);
      const readers = s.readBy.length > 0 ? `read by ${s.readBy.map((r) => `\`${r}\``).join(', ')}` : 'read by applications only';
      lines.push(`- \`${s.name}\` (${how}), ${labels.length > 0 ? `labels ${labels.join(', ')}` : 'no labels needed'}; ${readers}`);
      for (const k of s.keys) {
        lines.push(`  - \`${k.key}\`: ${k.template !== undefined ? `\`${k.holds}\` (template \`${k.template}\`)` : k.holds}`);
      }
    }
  }
  return lines;
}
