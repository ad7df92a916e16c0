import { invalid, Where } from '../private/names';

/**
 * How critical an environment is. Tier-aware defaults and policy severities are keyed on it.
 */
export enum Tier {
  /** Development: cheap, single instance, policies warn. */
  DEVELOPMENT = 'development',
  /** Staging: production-like, smaller. */
  STAGING = 'staging',
  /** Production: replicated, backed up, policies block. */
  PRODUCTION = 'production',
}

export const ALL_TIERS: readonly Tier[] = [Tier.DEVELOPMENT, Tier.STAGING, Tier.PRODUCTION];

/** Validates a tier coming from untyped (JavaScript / JSON) callers. */
export function requireTier(where: Where, property: string, value: unknown): Tier {
  if (!(ALL_TIERS as readonly unknown[]).includes(value)) {
    throw invalid(where, 'INVALID_TIER', property, value, `one of ${ALL_TIERS.join(', ')}`);
  }
  return value as Tier;
}
