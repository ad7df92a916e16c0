/**
 * JSON with object keys sorted at every level, 2-space indent, LF and a trailing newline, so the
 * same value always gives the same bytes (the manifest is committed to Git and hashed).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), undefined, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value !== null && typeof value === 'object') {
    // null prototype: a key named "__proto__" stays an ordinary key
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) {
        out[key] = sortKeys(v);
      }
    }
    return out;
  }
  return value;
}
