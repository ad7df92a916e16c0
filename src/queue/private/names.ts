import { createHash } from 'crypto';

const MAX_OBJECT_NAME = 63;

/** A short, stable hash of a string (for names that must change when their content changes). */
export function shortHash(value: string, length = 8): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/**
 * A Kubernetes object name (DNS-1123 label, so it also fits label values) from parts: lower-cased,
 * `.` and `_` turned into `-`, at most 63 characters (a long name keeps a hash of the full one).
 */
export function objectName(...parts: string[]): string {
  const joined = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (joined.length <= MAX_OBJECT_NAME) return joined;
  return `${joined.slice(0, MAX_OBJECT_NAME - 9).replace(/-+$/, '')}-${shortHash(joined)}`;
}

/** A regular expression matching exactly `name` (RabbitMQ permissions and policy patterns). */
export function exactPattern(names: string[]): string {
  if (names.length === 0) return '^$';
  const escaped = [...new Set(names)].sort().map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return escaped.length === 1 ? `^${escaped[0]}$` : `^(${escaped.join('|')})$`;
}

/** The name of the object rendered for a queue, topic or exchange of the queue named `base`. */
export function topologyObjectName(base: string, kind: 'exchange' | 'queue' | 'topic', name: string): string {
  return objectName(base, kind === 'exchange' ? 'exchange' : '', name);
}
