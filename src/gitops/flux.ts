import { FluxOptions } from './wiring-options';
import type { RenderedFile } from '../app/gitops-app';
import type { Environment } from '../environment/environment';
import { renderValue, ValidationError } from '../errors/validation-error';
import { toYaml } from '../private/canonical';
import { hasUrlPassword, isDnsSubdomain, maskUrlPassword } from '../private/names';

/** Name of the ServiceAccount Flux impersonates in each environment namespace (tenant isolation). */
export const DEPLOYER_SERVICE_ACCOUNT = 'gitops-deployer';

function joinPath(prefix: string, rel: string): string {
  const p = prefix.replace(/\/+$/, '');
  return `${p === '' || p === '.' ? '.' : p.startsWith('./') || p.startsWith('/') ? p : `./${p}`}/${rel}`;
}

/**
 * Flux wiring, one folder per cluster (`clusters/<cluster>/`): the source, a `platform` Kustomization
 * for `platform/<cluster>/`, then per environment a `<env>-data` Kustomization (databases, queues and
 * what they need: `layers/<env>/data/`) depending on the platform, and a `<env>` Kustomization for the
 * applications (`layers/<env>/apps/`) depending on the data layer. Each waits for its objects to be
 * healthy (`wait`), prunes what Git no longer holds, sets the target namespace and impersonates the
 * environment's deployer ServiceAccount, so an application layer only affects its own namespace.
 */
export function renderFluxWiring(environments: Environment[], options: FluxOptions): RenderedFile[] {
  const sourceName = options.sourceName ?? 'gitops';
  const sourceKind = options.sourceKind ?? 'GitRepository';
  if (!['GitRepository', 'OCIRepository', 'Bucket'].includes(sourceKind)) {
    throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'flux.sourceKind', value: JSON.stringify(sourceKind), allowed: 'GitRepository, OCIRepository or Bucket' });
  }
  // Flux's GitRepository accepts URLs only (no scp-like `git@host:path`: use ssh://git@host/path)
  if (options.repositoryUrl !== undefined && (!/^(https:\/\/|ssh:\/\/)[^\s]+$/.test(options.repositoryUrl) || hasUrlPassword(options.repositoryUrl))) {
    throw new ValidationError({
      code: 'INVALID_VALUE',
      path: '/',
      property: 'flux.repositoryUrl',
      value: renderValue(maskUrlPassword(options.repositoryUrl)),
      allowed: 'an https:// or ssh:// Git URL (ssh://git@host/path, not git@host:path) without a password: credentials go in the GitRepository\'s secretRef',
    });
  }
  if (!isDnsSubdomain(sourceName)) {
    throw new ValidationError({ code: 'INVALID_NAME', path: '/', property: 'flux.sourceName', value: renderValue(sourceName), allowed: 'a DNS-1123 subdomain naming the Flux source' });
  }
  for (const [property, value] of [['branch', options.branch], ['repositoryPath', options.repositoryPath]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || /\s/.test(value))) {
      throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: `flux.${property}`, value: renderValue(value), allowed: 'a non-empty string without whitespace' });
    }
  }
  const interval = options.interval ?? '10m';
  if (typeof interval !== 'string' || !/^([0-9]+(ms|s|m|h))+$/.test(interval)) {
    throw new ValidationError({ code: 'INVALID_VALUE', path: '/', property: 'flux.interval', value: JSON.stringify(interval), allowed: 'a duration such as "10m"' });
  }
  const prefix = options.repositoryPath ?? './';
  const sourceRef = { kind: sourceKind, name: sourceName, namespace: 'flux-system' };
  const files: RenderedFile[] = [];
  const clusters = [...new Set(environments.map((e) => e.cluster))].sort();
  for (const cluster of clusters) {
    const dir = `clusters/${cluster}`;
    if (options.repositoryUrl) {
      files.push({
        path: `${dir}/GitRepository.${sourceName}.yaml`,
        content: toYaml({
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'GitRepository',
          metadata: { name: sourceName, namespace: 'flux-system' },
          spec: { interval: '5m', url: options.repositoryUrl, ref: { branch: options.branch ?? 'main' } },
        }),
      });
    }
    files.push({
      path: `${dir}/Kustomization.platform.yaml`,
      content: toYaml({
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'platform', namespace: 'flux-system' },
        spec: { interval, path: joinPath(prefix, `platform/${cluster}`), prune: true, wait: true, timeout: '10m', sourceRef },
      }),
    });
    for (const env of environments.filter((e) => e.cluster === cluster).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      // data services first (applied, then healthy), then the applications
      const layers: Array<[string, string, string]> = [
        [`${env.name}-data`, `layers/${env.name}/data`, 'platform'],
        [env.name, `layers/${env.name}/apps`, `${env.name}-data`],
      ];
      for (const [name, layerPath, dependsOn] of layers) {
        files.push({
          path: `${dir}/Kustomization.${name}.yaml`,
          content: toYaml({
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            kind: 'Kustomization',
            metadata: { name, namespace: env.namespace },
            spec: {
              interval,
              path: joinPath(prefix, layerPath),
              prune: true,
              wait: true,
              timeout: '15m',
              targetNamespace: env.namespace,
              serviceAccountName: DEPLOYER_SERVICE_ACCOUNT,
              dependsOn: [dependsOn === 'platform' ? { name: 'platform', namespace: 'flux-system' } : { name: dependsOn }],
              sourceRef,
            },
          }),
        });
      }
    }
  }
  return files;
}
