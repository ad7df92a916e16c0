import * as path from 'path';
import type { RenderedFile } from './pipeline';
import type { Environment } from '../environment/environment';
import { toYaml } from '../private/canonical';
import { AFTER_DATA_SYNC_WAVE } from '../private/sync-waves';

/** The layers an environment's objects are applied in, in order. */
export enum DeploymentLayer {
  /** Databases, queues and what they need (credentials, backups, monitoring): applied and healthy first. */
  DATA = 'data',
  /**
   * Schema migrations, and what else needs the data layer healthy (their database ready, their Secret written):
   * the RabbitMQ operator's `User` and `Permission` objects.
   */
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

/**
 * Whether an object of a data service is applied after the data layer is Ready: a schema migration Job,
 * or what its engine puts in Argo CD's wave after the data objects (a RabbitMQ topology `User`, whose
 * Secret the operator's webhook must find when the `User` is applied; Flux dry-runs a whole layer
 * before applying any of it, so the ExternalSecret writing that Secret must be in an earlier layer).
 */
export function isAfterData(manifest: any): boolean {
  return isMigrationJob(manifest) || manifest?.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] === AFTER_DATA_SYNC_WAVE;
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
