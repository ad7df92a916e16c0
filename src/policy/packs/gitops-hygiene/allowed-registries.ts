import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { OPERATOR_IMAGE_KINDS, operatorImages } from '../operator-images';
import { containersOf, parseImage, POD_TEMPLATE_KINDS } from '../workloads';

/** GITOPS-AllowedRegistries: images come from the environment's allowed registries. */
export class AllowedRegistries extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-AllowedRegistries',
      severity: Severity.ERROR,
      description: 'Images come from the environment\'s allowed registries (operator resources and their default images included)',
      explanation: 'Registries outside the allowed list are not scanned, mirrored or signed by the platform team; an image from '
        + 'them is an unreviewed supply chain.',
      fix: 'Pull the image through an allowed registry (for an operator resource, set its image field to your mirror), or add the '
        + 'registry to Environment.allowedRegistries.',
      kinds: [...POD_TEMPLATE_KINDS, ...OPERATOR_IMAGE_KINDS],
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const allowed = ctx.environment?.allowedRegistries;
    if (!allowed) return [];
    const ok = (image: string) => {
      const ref = parseImage(image);
      const full = `${ref.registry}/${ref.repository}`;
      return allowed.some((r) => full === r || full.startsWith(`${r}/`));
    };
    const out: RuleViolation[] = [];
    for (const { container, pointer } of containersOf(ctx.manifest)) {
      if (typeof container.image !== 'string') continue;
      if (!ok(container.image)) {
        out.push({ message: `container "${container.name}" image "${container.image}" is not from an allowed registry (${allowed.join(', ')})`, jsonPointer: `${pointer}/image` });
      }
    }
    // the images operators run for their custom resources, named there or their defaults
    for (const use of operatorImages(ctx.manifest)) {
      if (ok(use.image)) continue;
      out.push({
        message: use.defaulted
          ? `${ctx.manifest.kind} "${ctx.manifest.metadata?.name}" names no image for ${use.what}: the operator pulls its default from ${use.image}, `
            + `not an allowed registry (${allowed.join(', ')})`
          : `${ctx.manifest.kind} "${ctx.manifest.metadata?.name}" image "${use.image}" for ${use.what} is not from an allowed registry (${allowed.join(', ')})`,
        jsonPointer: use.pointer,
      });
    }
    return out;
  }
}
