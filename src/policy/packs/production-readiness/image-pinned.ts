import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf, parseImage, POD_TEMPLATE_KINDS } from '../workloads';

/** PROD-ImagePinned: images are pinned by a tag other than `latest`, or by digest. */
export class ImagePinned extends ManifestRule {
  public constructor() {
    super({
      id: 'PROD-ImagePinned',
      kinds: POD_TEMPLATE_KINDS,
      severity: Severity.ERROR,
      description: 'Images are pinned by a version tag or a digest',
      explanation: 'An untagged or `latest` image changes under the same manifest: GitOps can no longer tell what runs, and a node '
        + 'restart can silently upgrade a database. Polaris (tagNotSpecified) and kube-score (container-image-tag) agree.',
      fix: 'Use an explicit version tag (postgres:16.4) or a digest (postgres@sha256:...).',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const out: RuleViolation[] = [];
    for (const { container, pointer } of containersOf(ctx.manifest)) {
      if (typeof container.image !== 'string' || container.image.length === 0) {
        out.push({ message: `container "${container.name}" has no image`, jsonPointer: `${pointer}/image` });
        continue;
      }
      const ref = parseImage(container.image);
      if (ref.digest) continue;
      if (ref.tag === undefined || ref.tag === 'latest') {
        out.push({ message: `container "${container.name}" image "${container.image}" is not pinned (no tag, or latest)`, jsonPointer: `${pointer}/image` });
      }
    }
    return out;
  }
}
