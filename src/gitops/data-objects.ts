import { fluxHealthFactsOf, isDataBearing, isNeverPruned } from '../private/kind-registry';

/**
 * Whether an object holds data (never pruned: Flux `kustomize.toolkit.fluxcd.io/prune: disabled`,
 * Argo CD `Prune=false`; change safety refuses its removal): what the engines declare of the kinds
 * they render (`<engine>/facts.ts`), and StatefulSets with volume claim templates.
 */
export { isDataBearing, isNeverPruned };

/** The annotation that keeps Flux from pruning an object. */
export const FLUX_PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';
/** The annotation value: never deleted by garbage collection. */
export const FLUX_PRUNE_DISABLED = 'disabled';

/** One Flux `healthCheckExprs` entry. */
export interface FluxHealthCheckExpr {
  readonly apiVersion: string;
  readonly kind: string;
  readonly current: string;
  readonly failed?: string;
}

/**
 * The Flux `healthCheckExprs` for the operator kinds among `manifests` (one entry per kind, sorted
 * by group and kind): with `wait: true` the Kustomization is Ready only when these report ready.
 * The expressions are the ones the engines declare for kinds whose readiness kstatus cannot read
 * (no `Ready` handling in kstatus' generic reader: the object would count as healthy as soon as it
 * is applied); they read the conditions the operators set and Argo CD's built-in health checks read.
 */
export function fluxHealthCheckExprs(manifests: any[]): FluxHealthCheckExpr[] {
  const out = new Map<string, FluxHealthCheckExpr>();
  for (const m of manifests) {
    const facts = fluxHealthFactsOf(m);
    if (!facts?.fluxReady) continue;
    const key = `${facts.group}/${facts.kind}`;
    if (out.has(key)) continue;
    out.set(key, { apiVersion: m.apiVersion, kind: facts.kind, current: facts.fluxReady, ...(facts.fluxFailed ? { failed: facts.fluxFailed } : {}) });
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

/**
 * The REST resource (plural, lower case) of a kind, as RBAC rules name it: the kinds this library
 * renders follow the regular English plural the API servers and CRDs use.
 */
export function resourceOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}
