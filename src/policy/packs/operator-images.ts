/**
 * The images inside operator custom resources, and the images operators pull when a resource does
 * not name one (their documented defaults, by registry and repository: the tag follows the
 * operator's version), as each engine declares them for the kinds it renders (`<engine>/facts.ts`).
 * Internal module: read by GITOPS-AllowedRegistries on rendered objects and plain YAML alike.
 */
import { OperatorImage } from '../../private/kind-facts';
import { operatorImageKinds, operatorImagesOf } from '../../private/kind-registry';

export type { OperatorImage } from '../../private/kind-facts';

/** The kinds {@link operatorImages} reads images from (it finds none in any other), from the engines' kind facts. */
export const OPERATOR_IMAGE_KINDS: readonly string[] = operatorImageKinds();

/** The images an operator runs for `manifest` (empty for other objects). */
export function operatorImages(manifest: any): OperatorImage[] {
  const m = manifest;
  if (m === null || typeof m !== 'object' || Array.isArray(m) || m.spec === null || typeof m.spec !== 'object' || Array.isArray(m.spec)) return [];
  return operatorImagesOf(m);
}
