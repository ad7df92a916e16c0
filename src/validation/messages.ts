/**
 * Turns ajv errors into readable issues: `unknown field "replcas"`, `must be integer (got string)`,
 * `must be one of [A, B] (got "C")`.
 */

/** One finding, before it becomes a public `SchemaIssue`. */
export interface RawIssue {
  path: string;
  message: string;
  kind: string;
}

/** The subset of ajv's ErrorObject used here (the precompiled kubernetes-models validators emit the same shape). */
export interface AjvLikeError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  schema?: any;
  parentSchema?: any;
  data?: any;
}

/** Escapes one JSON pointer segment. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Appends a segment to a JSON pointer. */
export function joinPointer(base: string, segment: string | number): string {
  return `${base}/${escapePointer(String(segment))}`;
}

/** Resolves a JSON pointer against a value. */
export function valueAt(root: any, pointer: string): any {
  if (pointer === '') return root;
  let current = root;
  for (const raw of pointer.slice(1).split('/')) {
    if (current === null || typeof current !== 'object') return undefined;
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    current = current[segment];
  }
  return current;
}

/** Renders a value shortly for a message. */
export function show(value: unknown): string {
  let text: string;
  if (value === undefined) return 'undefined';
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function listValues(values: unknown[]): string {
  return `[${values.map((v) => (typeof v === 'string' ? v : show(v))).join(', ')}]`;
}

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

function got(value: unknown): string {
  return value === undefined ? '' : ` (got ${show(value)})`;
}

/** Message for one (non-combinator) error. */
function describe(e: AjvLikeError, value: unknown): { message: string; kind: string } {
  const p = e.params ?? {};
  switch (e.keyword) {
    case 'additionalProperties':
      return { message: `unknown field "${p.additionalProperty}"`, kind: 'unknown-field' };
    case 'required':
      return { message: `missing required field "${p.missingProperty}"`, kind: 'schema' };
    case 'type': {
      const types = Array.isArray(p.type) ? p.type : String(p.type).split(',');
      return { message: `must be ${types.join(' or ')} (got ${jsonType(value)})`, kind: 'schema' };
    }
    case 'enum':
      return { message: `must be one of ${listValues(p.allowedValues ?? e.schema ?? [])}${got(value)}`, kind: 'schema' };
    case 'const':
      return { message: `must be ${show(p.allowedValue)}${got(value)}`, kind: 'schema' };
    case 'pattern':
      return { message: `must match pattern "${p.pattern}"${got(value)}`, kind: 'schema' };
    case 'format':
      return { message: `must be a valid ${p.format}${got(value)}`, kind: 'schema' };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { message: `must be ${p.comparison} ${p.limit}${got(value)}`, kind: 'schema' };
    case 'multipleOf':
      return { message: `must be a multiple of ${p.multipleOf}${got(value)}`, kind: 'schema' };
    case 'minLength':
      return { message: `must be at least ${p.limit} characters long${got(value)}`, kind: 'schema' };
    case 'maxLength':
      return { message: `must be at most ${p.limit} characters long${got(value)}`, kind: 'schema' };
    case 'minItems':
      return { message: `must have at least ${p.limit} items`, kind: 'schema' };
    case 'maxItems':
      return { message: `must have at most ${p.limit} items`, kind: 'schema' };
    case 'minProperties':
      return { message: `must have at least ${p.limit} fields`, kind: 'schema' };
    case 'maxProperties':
      return { message: `must have at most ${p.limit} fields`, kind: 'schema' };
    case 'uniqueItems':
      return { message: `must not contain duplicate items (items ${p.j} and ${p.i} are identical)`, kind: 'schema' };
    case 'not': {
      const required: unknown = e.schema?.required;
      if (Array.isArray(required) && required.length > 0 && Object.keys(e.schema).length === 1) {
        return { message: `must not set ${required.length > 1 ? 'all of ' : ''}${quoteList(required as string[])}`, kind: 'schema' };
      }
      return { message: 'must not match the forbidden schema', kind: 'schema' };
    }
    default:
      return { message: `fails "${e.keyword}" validation`, kind: 'schema' };
  }
}

/**
 * Message for an anyOf / oneOf error, from the branch errors it absorbs. Branches that only
 * require fields (the common "set one of a or b" idiom) become "must set one of ...".
 */
function describeCombinator(e: AjvLikeError, branches: AjvLikeError[], value: unknown): string {
  const exactlyOne = e.keyword === 'oneOf';
  if (exactlyOne && Array.isArray(e.params?.passingSchemas)) {
    const subs: any[] | undefined = Array.isArray(e.schema) ? e.schema : undefined;
    const names = subs ? subs.flatMap((s) => (Array.isArray(s?.required) ? s.required : [])) : [];
    return names.length > 0 ? `must set only one of ${quoteList(names)}` : 'must match exactly one allowed form, but matches several';
  }
  if (branches.length > 0 && branches.every((b) => b.keyword === 'required' && b.instancePath === e.instancePath)) {
    const names = [...new Set(branches.map((b) => String(b.params.missingProperty)))];
    return `must set ${exactlyOne ? 'exactly' : 'at least'} one of ${quoteList(names)}`;
  }
  if (branches.length > 0 && branches.every((b) => b.instancePath === e.instancePath)) {
    const parts = [...new Set(branches.map((b) => describe(b, undefined).message.replace(/ \(got [^)]*\)$/, '')))];
    if (parts.every((m) => m.startsWith('must be '))) {
      return `must be ${parts.map((m) => m.slice('must be '.length)).join(' or ')}${got(value)}`;
    }
    return `${parts.join(', or ')}${got(value)}`;
  }
  const inner = branches.map((b) => `${b.instancePath.slice(e.instancePath.length) || '.'}: ${describe(b, undefined).message}`);
  const unique = [...new Set(inner)];
  return `must match ${exactlyOne ? 'exactly one' : 'at least one'} of the allowed forms (${unique.slice(0, 4).join('; ')}${unique.length > 4 ? '; ...' : ''})`;
}

/**
 * Formats ajv errors as issues with paths relative to `basePath`.
 *
 * @param errors the errors, in ajv's order (branch errors precede their anyOf/oneOf error)
 * @param root the validated value (to show bad values)
 * @param basePath JSON pointer prefix of `root` in the manifest
 */
export function formatAjvErrors(errors: readonly AjvLikeError[], root: unknown, basePath = ''): RawIssue[] {
  const absorbed = new Set<AjvLikeError>();
  const combinatorBranches = new Map<AjvLikeError, AjvLikeError[]>();
  errors.forEach((e, index) => {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') return;
    const prefix = `${e.schemaPath}/`;
    let branches = errors.filter((b) => b !== e && b.schemaPath.startsWith(prefix));
    if (branches.length === 0) {
      // Precompiled validators call each branch as a separate function, whose schemaPath is
      // relative ("#/type"): take the preceding errors at the same or a deeper path.
      branches = [];
      for (let i = index - 1; i >= 0; i--) {
        const b = errors[i];
        if (absorbed.has(b) || (b.instancePath !== e.instancePath && !b.instancePath.startsWith(`${e.instancePath}/`))) break;
        branches.unshift(b);
      }
    }
    branches.forEach((b) => absorbed.add(b));
    combinatorBranches.set(e, branches);
  });

  const issues: RawIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (absorbed.has(e)) continue;
    const value = 'data' in e ? e.data : valueAt(root, e.instancePath);
    const branches = combinatorBranches.get(e);
    const { message, kind } = branches ? { message: describeCombinator(e, branches, value), kind: 'schema' } : describe(e, value);
    const path = basePath + e.instancePath;
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message, kind });
  }
  return issues;
}
