import { isClusterScoped } from '../private/kinds';

/** Directory of the generated output metadata (owned-files manifest, journal, lock). */
export const STATE_DIR = '.cdk8s-stateful';

/**
 * Where a rendered object goes in the GitOps repository:
 * - environment objects: `rendered/<env>/<namespace>/<Kind>.<name>.yaml` (a cluster-scoped object
 *   in an environment chart goes to `rendered/<env>/_cluster/`, where the gitops-hygiene pack
 *   flags it);
 * - platform objects: `platform/<cluster>/<Kind>.<name>.yaml` (namespaced ones under a folder
 *   named after their namespace).
 */
export function environmentObjectPath(environment: string, manifest: any): string {
  const ns = isClusterScoped(manifest.kind) ? '_cluster' : (manifest.metadata?.namespace ?? '_cluster');
  return `rendered/${environment}/${ns}/${objectFileName(manifest)}`;
}

export function platformObjectPath(cluster: string, manifest: any): string {
  const ns = isClusterScoped(manifest.kind) ? undefined : manifest.metadata?.namespace;
  return ns ? `platform/${cluster}/${ns}/${objectFileName(manifest)}` : `platform/${cluster}/${objectFileName(manifest)}`;
}

/** `<Kind>.<name>.yaml`. */
export function objectFileName(manifest: any): string {
  return `${manifest.kind}.${manifest.metadata.name}.yaml`;
}
