import { invalid, Where } from '../../../private/names';

/** The oldest MariaDB series the engine supports (the oldest maintained long-term release). */
const OLDEST: [number, number] = [10, 6];
/** Point-in-time recovery replays binary logs from a GTID (`mariadb-binlog --start-position`): 10.8 and later. */
export const PITR_MINIMUM: [number, number] = [10, 8];

/** A pinned MariaDB version. */
export interface MariaDbVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Whether `v` is `at` or later. */
export function atLeast(v: MariaDbVersion, at: [number, number]): boolean {
  return v.major > at[0] || (v.major === at[0] && v.minor >= at[1]);
}

/** A pinned `MAJOR.MINOR.PATCH` MariaDB version (10.6 or later); throws a ValidationError for anything else. */
export function requireMariaDbVersion(where: Where, version: unknown): MariaDbVersion {
  const m = typeof version === 'string' ? /^(\d{1,2})\.(\d{1,2})\.(\d{1,3})$/.exec(version) : null;
  const v = m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
  if (!v || !atLeast(v, OLDEST) || v.major > 12) {
    throw invalid(where, 'INVALID_VERSION', 'version', version,
      `a pinned MariaDB version MAJOR.MINOR.PATCH, ${OLDEST.join('.')} or later (e.g. "11.4.5"; "11.4", "lts" or "latest" are not pinned)`);
  }
  return v;
}
