import { PssVersion } from './types';

const VERSION_PATTERN = /^v?1\.(0|[1-9][0-9]{0,3})$/;

/**
 * Parses a version of the standard: `1.28`, `v1.28` or `latest`.
 *
 * @throws Error on anything else (`1`, `2.0`, `1.028`, `foo`, ...)
 */
export function parsePssVersion(text: string): PssVersion {
  if (text === 'latest') {
    return 'latest';
  }
  const match = typeof text === 'string' ? VERSION_PATTERN.exec(text) : null;
  if (!match) {
    throw new Error(`invalid Pod Security Standards version ${JSON.stringify(text)}: expected "1.N", "v1.N" or "latest"`);
  }
  return Object.freeze({ major: 1, minor: Number(match[1]) }) as PssVersion;
}

/** `v1.28` / `latest`, the form of the `pod-security.kubernetes.io/enforce-version` label. */
export function formatPssVersion(version: PssVersion): string {
  return version === 'latest' ? 'latest' : `v1.${version.minor}`;
}

/** The minor of `version`; `latest` is newer than any version. */
export function pssMinor(version: PssVersion): number {
  return version === 'latest' ? Number.POSITIVE_INFINITY : version.minor;
}

/** Accepts a parsed version or its text form. */
export function toPssVersion(version: PssVersion | string): PssVersion {
  if (typeof version !== 'string') return version;
  let parsed = PARSED.get(version);
  if (!parsed) {
    parsed = parsePssVersion(version); // throws on invalid text: never cached
    if (PARSED.size < 1000) PARSED.set(version, parsed);
  }
  return parsed;
}

/** Parsed versions by text (rules parse the environment's version for every object). Frozen: shared. */
const PARSED = new Map<string, PssVersion>();
