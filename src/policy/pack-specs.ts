import { PolicyPack } from './pack';
import { PolicyPacks } from './packs/policy-packs';
import { parsePssVersion } from './pod-security/version';

/** A pack as the owned-files manifest records it: `id` or `id@version`. */
export interface PackSpec {
  readonly id: string;
  readonly version?: string;
}

export function parsePackSpec(text: string): PackSpec {
  const at = text.indexOf('@');
  return at < 0 ? { id: text } : { id: text.slice(0, at), version: text.slice(at + 1) || undefined };
}

export function formatPackSpec(spec: PackSpec): string {
  return spec.version ? `${spec.id}@${spec.version}` : spec.id;
}

/** Whether `id` names a Pod Security pack (the only built-in packs with a version). */
export function isPodSecurityPack(id: string): boolean {
  return id === 'pod-security-baseline' || id === 'pod-security-restricted';
}

export interface BuiltPacks {
  readonly packs: PolicyPack[];
  /** Specs that are not built-in packs (custom packs of the app: their rules cannot be re-run from YAML). */
  readonly unknown: string[];
  /** Specs whose version is not a Pod Security Standards version. */
  readonly invalid: string[];
}

/**
 * Builds the built-in packs of `specs`. The Pod Security version is the spec's `@version`, else
 * `defaultPssVersion`, else the pack default (`latest` for objects without an environment).
 */
export function buildPacks(specs: readonly string[], defaultPssVersion?: string): BuiltPacks {
  const known = PolicyPacks.builtInIds();
  const packs: PolicyPack[] = [];
  const unknown: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const text of specs) {
    if (seen.has(text)) continue;
    seen.add(text);
    const spec = parsePackSpec(text);
    if (!known.includes(spec.id)) {
      unknown.push(text);
      continue;
    }
    const version = isPodSecurityPack(spec.id) ? spec.version ?? defaultPssVersion : undefined;
    if (version !== undefined) {
      try {
        parsePssVersion(version);
      } catch {
        invalid.push(text);
        continue;
      }
    }
    packs.push(PolicyPacks.byId(spec.id, { podSecurityVersion: version }));
  }
  return { packs, unknown, invalid };
}
