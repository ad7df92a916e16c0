/** Folders of the output layout the library generates (DESIGN.md, "Output layout"). */
export const GENERATED_ROOTS = ['rendered', 'platform', 'base', 'overlays', 'clusters', 'argocd'];

/**
 * The files `flux bootstrap --path=<outdir>/clusters/<cluster>` writes (and maintains) in
 * `clusters/<cluster>/flux-system/`: the Flux components, the GitRepository and Kustomization
 * that sync the path, and their kustomization.yaml. Flux's own, not drift.
 * @see https://fluxcd.io/flux/installation/bootstrap/
 */
export const FLUX_BOOTSTRAP_FILES = ['gotk-components.yaml', 'gotk-sync.yaml', 'kustomization.yaml'];

/** Whether `p` (relative to the output directory) is a file `flux bootstrap` writes. */
export function isFluxBootstrapFile(p: string): boolean {
  const s = p.split('/');
  return s.length === 4 && s[0] === 'clusters' && s[2] === 'flux-system' && FLUX_BOOTSTRAP_FILES.includes(s[3]);
}

/**
 * Whether a file the library does not own is in its generated folders (so Flux / Argo CD would
 * apply it unchecked): not hidden, and not one of Flux's bootstrap files.
 */
export function isForeignGeneratedFile(p: string): boolean {
  const s = p.split('/');
  return GENERATED_ROOTS.includes(s[0]) && !s.some((x) => x.startsWith('.')) && !isFluxBootstrapFile(p);
}
