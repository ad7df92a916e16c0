import * as path from 'path';
import type { RenderedFile } from './pipeline';
import type { Environment } from '../environment/environment';
import { toYaml } from '../private/canonical';

/** The layers an environment's objects are applied in, in order. */
export enum DeploymentLayer {
  /** Databases, queues and what they need (credentials, backups, monitoring): applied and healthy first. */
  DATA = 'data',
  /** Schema migrations: run once the data layer is healthy (their database ready, their Secret written). */
  MIGRATION = 'migrate',
  /** Everything else: the applications. */
  APPS = 'apps',
}

/** The label value that marks a schema migration Job (`app.kubernetes.io/component`). */
export const MIGRATION_COMPONENT = 'schema-migration';

/** Whether a rendered object is a schema migration Job (its own layer, after its database). */
export function isMigrationJob(manifest: any): boolean {
  return manifest?.kind === 'Job' && manifest.metadata?.labels?.['app.kubernetes.io/component'] === MIGRATION_COMPONENT;
}

/** The layers an environment has: the migration layer only when it has a migration. */
export function layersOf(env: string, objects: { environment?: string; layer: DeploymentLayer }[]): DeploymentLayer[] {
  const hasMigration = objects.some((o) => o.environment === env && o.layer === DeploymentLayer.MIGRATION);
  return hasMigration ? [DeploymentLayer.DATA, DeploymentLayer.MIGRATION, DeploymentLayer.APPS] : [DeploymentLayer.DATA, DeploymentLayer.APPS];
}

/**
 * Per-environment kustomizations that split the hydrated manifests into layers (`layers/<env>/data/`,
 * `layers/<env>/migrate/` when there is a migration, `layers/<env>/apps/`), so Flux can apply the
 * data services, wait for them to be healthy, run the migrations, and only then roll out the
 * applications. They list the hydrated files (`rendered/<env>/…`) as resources: Flux allows loading
 * files anywhere in the source (kubectl needs `--load-restrictor=LoadRestrictionsNone`).
 */
export function renderLayerKustomizations(
  environments: Environment[], objects: { file: string; environment?: string; layer: DeploymentLayer }[],
): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const env of environments) {
    for (const layer of layersOf(env.name, objects)) {
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
