import { ManifestRule, ManifestRuleContext, RuleViolation } from '../../rule';
import { Severity } from '../../severity';
import { containersOf, parseImage } from '../workloads';

/** GITOPS-AllowedRegistries: images come from the environment's allowed registries. */
export class AllowedRegistries extends ManifestRule {
  public constructor() {
    super({
      id: 'GITOPS-AllowedRegistries',
      severity: Severity.ERROR,
      description: 'Images come from the environment\'s allowed registries',
      explanation: 'Registries outside the allowed list are not scanned, mirrored or signed by the platform team; an image from '
        + 'them is an unreviewed supply chain.',
      fix: 'Pull the image through an allowed registry, or add the registry to Environment.allowedRegistries.',
    });
  }

  public evaluate(ctx: ManifestRuleContext): RuleViolation[] {
    const allowed = ctx.environment?.allowedRegistries;
    if (!allowed) return [];
    const out: RuleViolation[] = [];
    for (const { container, pointer } of containersOf(ctx.manifest)) {
      if (typeof container.image !== 'string') continue;
      const ref = parseImage(container.image);
      const full = `${ref.registry}/${ref.repository}`;
      if (!allowed.some((r) => full === r || full.startsWith(`${r}/`))) {
        out.push({ message: `container "${container.name}" image "${container.image}" is not from an allowed registry (${allowed.join(', ')})`, jsonPointer: `${pointer}/image` });
      }
    }
    return out;
  }
}
