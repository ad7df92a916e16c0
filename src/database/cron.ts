import { invalid, Where } from '../private/names';

const FIELDS: Array<[string, number, number]> = [['minute', 0, 59], ['hour', 0, 23], ['day of month', 1, 31], ['month', 1, 12], ['day of week', 0, 7]];

/**
 * Validates a standard 5-field cron expression (numbers, `*`, ranges, lists, steps; no names or
 * macros, so that every scheduler reads it the same way).
 */
export function requireCron(where: Where, property: string, expression: unknown): string {
  const fail = (why: string) => invalid(where, 'INVALID_SCHEDULE', property, expression,
    `a 5-field cron expression "minute hour day-of-month month day-of-week" with numbers, *, ranges, lists and steps (${why})`);
  if (typeof expression !== 'string') throw fail('not a string');
  const parts = expression.trim().split(/\s+/);
  if (parts.length === 6) {
    // CloudNativePG's own form (seconds first): we derive it from the 5-field one
    throw fail(`6 fields: drop the leading seconds field and write "${parts.slice(1).join(' ')}"; `
      + 'the CloudNativePG 6-field form (seconds first) is derived from it');
  }
  if (parts.length !== 5) throw fail(`${parts.length} fields`);
  parts.forEach((part, i) => {
    const [name, min, max] = FIELDS[i];
    for (const item of part.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw fail(`bad ${name} "${item}"`);
      const lo = m[2] !== undefined ? Number(m[2]) : min;
      const hi = m[3] !== undefined ? Number(m[3]) : m[2] !== undefined && m[4] === undefined ? lo : max;
      if (lo < min || hi > max || lo > hi) throw fail(`${name} out of range ${min}-${max}`);
      if (m[4] !== undefined && Number(m[4]) < 1) throw fail(`${name} step must be at least 1`);
    }
  });
  return parts.join(' ');
}
