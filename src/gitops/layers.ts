import * as path from 'path';
import type { RenderedFile } from '../app/gitops-app';
import type { Environment } from '../environment/environment';
import { toYaml } from '../private/canonical';

/** The layers an environment's objects are applied in, in order. */
export enum DeploymentLayer {
  /** Databases, queues and what they need (credentials, backups, monitoring): applied and healthy first. */
  DATA = 'data',
  /** Everything else: the applications. */
  APPS = 'apps',
}

/**
 * Per-environment kustomizations that split the hydrated manifests into layers (`layers/<env>/data/`,
 * `layers/<env>/apps/`), so Flux can apply the data services, wait for them to be healthy, and only
 * then roll out the applications. They list the hydrated files (`rendered/<env>/…`) as resources:
 * Flux allows loading files anywhere in the source (kubectl needs `--load-restrictor=LoadRestrictionsNone`).
 */
export function renderLayerKustomizations(
  environments: Environment[], objects: { file: string; environment?: string; layer: DeploymentLayer }[],
): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const env of environments) {
    for (const layer of [DeploymentLayer.DATA, DeploymentLayer.APPS]) {
      const dir = `layers/${env.name}/${layer}`;
      const resources = objects
        .filter((o) => o.environment === env.name && o.layer === layer)
        .map((o) => path.posix.relative(dir, o.file))
        .sort();
      files.push({
        path: `${dir}/kustomization.yaml`,
        content: toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }),
      });
    }
  }
  return files;
}
