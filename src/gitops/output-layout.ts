/**
 * Which GitOps layouts a GitOpsApp writes.
 */
export enum OutputLayout {
  /** `rendered/<env>/…`: every manifest fully rendered (the rendered-manifests pattern). */
  HYDRATED = 'hydrated',
  /**
   * The hydrated manifests plus `base/` and `overlays/<env>/` for kustomize; `kubectl kustomize
   * overlays/<env>` yields exactly `rendered/<env>/` (which stays the reference policies report on).
   */
  HYDRATED_AND_KUSTOMIZE = 'hydrated-and-kustomize',
}
