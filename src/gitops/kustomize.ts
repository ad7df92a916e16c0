import { compare } from 'fast-json-patch';
import { objectFileName } from './layout';
import type { RenderedFile, RenderedObject } from './pipeline';
import type { Environment } from '../environment/environment';
import { ValidationError } from '../errors/validation-error';
import { canonicalJson, toYaml } from '../private/canonical';
import { apiGroup, isClusterScoped } from '../private/kinds';

/** Identity of an object across environments: group, kind and name (the namespace differs per environment). */
function identity(manifest: any): string {
  return `${apiGroup(manifest.apiVersion)}|${manifest.kind}|${manifest.metadata.name}`;
}

function target(manifest: any): any {
  const [group, version] = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
  return { group: group || undefined, version, kind: manifest.kind, name: manifest.metadata.name };
}

/** The object as kustomize's `namespace:` transformer leaves it in environment `env`. */
function inNamespace(manifest: any, namespace: string): any {
  if (isClusterScoped(manifest.kind)) return manifest;
  return { ...manifest, metadata: { ...manifest.metadata, namespace } };
}

/** A patch target that kustomize would match, for the tests' "every target exists" check. */
export interface KustomizePatchTarget {
  readonly environment: string;
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
  readonly name: string;
}

/**
 * The kustomize layout: `base/` from the base environment's objects and `overlays/<env>/` per
 * environment (base included) with `namespace:` set, JSON 6902 patches for objects that differ from
 * the base, delete patches for base objects the environment lacks, and the environment's extra
 * objects as overlay resources. `kubectl kustomize overlays/<env>` yields exactly the hydrated
 * objects of `<env>` (tested with the real kustomize).
 */
export function renderKustomizeLayout(environments: Environment[], objects: RenderedObject[], baseName: string): RenderedFile[] {
  const base = environments.find((e) => e.name === baseName);
  if (!base) {
    throw new ValidationError({
      code: 'UNKNOWN_ENVIRONMENT',
      path: '/',
      property: 'kustomizeBase',
      value: JSON.stringify(baseName),
      allowed: `one of the environments: ${environments.map((e) => e.name).join(', ')}`,
    });
  }
  const byEnv = new Map<string, RenderedObject[]>();
  for (const env of environments) byEnv.set(env.name, []);
  for (const o of objects) if (o.environment !== undefined) byEnv.get(o.environment)?.push(o);

  // the namespace transformer sets one namespace per overlay: every namespaced object of an
  // environment must be in the environment's namespace
  for (const env of environments) {
    for (const o of byEnv.get(env.name)!) {
      if (!isClusterScoped(o.manifest.kind) && o.manifest.metadata.namespace !== env.namespace) {
        throw new ValidationError({
          code: 'UNSUPPORTED_LAYOUT',
          path: o.constructPath,
          property: 'metadata.namespace',
          value: JSON.stringify(o.manifest.metadata.namespace),
          allowed: `the environment's namespace "${env.namespace}" with the kustomize layout (or use the hydrated layout)`,
        });
      }
    }
  }

  const files: RenderedFile[] = [];
  const baseObjects = byEnv.get(base.name)!;
  const baseById = new Map(baseObjects.map((o) => [identity(o.manifest), o]));
  const baseFiles = baseObjects.map((o) => ({ path: `base/${objectFileName(o.manifest)}`, content: toYaml(o.manifest) }));
  files.push(...baseFiles);
  files.push({
    path: 'base/kustomization.yaml',
    content: toYaml({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: baseFiles.map((f) => f.path.slice('base/'.length)).sort(),
    }),
  });

  for (const env of environments) {
    const own = byEnv.get(env.name)!;
    const ownIds = new Set(own.map((o) => identity(o.manifest)));
    const patches: any[] = [];
    const resources: string[] = ['../../base'];
    for (const o of [...own].sort((a, b) => (identity(a.manifest) < identity(b.manifest) ? -1 : 1))) {
      const from = baseById.get(identity(o.manifest));
      if (!from) {
        const path = `resources/${objectFileName(o.manifest)}`;
        files.push({ path: `overlays/${env.name}/${path}`, content: toYaml(o.manifest) });
        resources.push(path);
        continue;
      }
      const before = inNamespace(from.manifest, env.namespace);
      if (canonicalJson(before) === canonicalJson(o.manifest)) continue;
      const ops = compare(before, o.manifest);
      patches.push({ target: target(o.manifest), patch: toYaml(ops).trimEnd() });
    }
    for (const b of baseObjects) {
      if (ownIds.has(identity(b.manifest))) continue;
      patches.push({
        target: target(b.manifest),
        patch: toYaml({ $patch: 'delete', apiVersion: b.manifest.apiVersion, kind: b.manifest.kind, metadata: { name: b.manifest.metadata.name } }).trimEnd(),
      });
    }
    files.push({
      path: `overlays/${env.name}/kustomization.yaml`,
      content: toYaml({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: env.namespace,
        resources,
        patches: patches.length > 0 ? patches : undefined,
      }),
    });
  }
  return files;
}
