import type * as YAML from 'yaml';

/**
 * A fast path for `YAML.stringify(value, YAML_OPTIONS)` over JSON-like data, byte for byte the same
 * output (the tests compare it with the `yaml` package over the reference platform and over
 * random documents built to hit every quoting rule).
 *
 * Why: YAML serialisation is most of the cost of rendering manifests. The `yaml` package builds a
 * document tree of nodes for every value and then stringifies it; this walks plain objects and
 * arrays once. The structure is the `yaml` package's block style (2-space indentation, sequences
 * indented under their key, `- ` items with their first entry inline, `{}` / `[]` for empties).
 * Scalars are where the rules are subtle (YAML 1.1 keywords and numbers, quoting, block
 * scalars): a scalar that is certainly plain is written as is, and every other one is rendered by
 * the `yaml` package itself, in the same context (map key, map value, sequence item), and cached.
 * Anything outside JSON-like data (undefined, functions, class instances, keys that need explicit
 * `? ` syntax) falls back to the `yaml` package for the whole document.
 */
export const YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0, version: '1.1', aliasDuplicateObjects: false } as const;

/** Thrown inside the fast path when it meets something it does not handle: the whole value goes to `yaml`. */
class Unsupported extends Error {}

/**
 * Strings the `yaml` package writes plain wherever they appear, as far as their characters go: a
 * letter first (no indicator, quote, number sign or document marker), then letters, digits and
 * `-_./`; `:` only between such characters (`ghcr.io/x:1.2`), never before a space or at the end.
 * They must still not read as another type in YAML 1.1 (`yes`, `E7`): see {@link isPlain}.
 */
const SAFE_PLAIN = /^[A-Za-z](?:[-A-Za-z0-9_./]|:(?=[-A-Za-z0-9_./]))*$/;

/**
 * The `yaml` package, loaded at first use: a synthesis whose strings are all handled here never
 * loads it (it is ~80 modules).
 */
let yamlModule: typeof YAML | undefined;
function yaml(): typeof YAML {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require('yaml'));
}

/**
 * The tests of the YAML 1.1 tags a plain scalar could resolve to, as the `yaml` package checks them
 * before writing a string plain: the `tag`, `default` and `test` of every tag of its version 1.1
 * schema (`tags` then `compat`) that has a default, is not `str` and tests with an expression, in
 * its order. Written out so that loading this module does not load `yaml`; the tests check that
 * they are exactly the installed package's.
 */
export const YAML_1_1_TAG_TESTS: ReadonlyArray<{ readonly tag: string; readonly default: true | 'key'; readonly test: RegExp }> = [
  { tag: 'tag:yaml.org,2002:null', default: true, test: /^(?:~|[Nn]ull|NULL)?$/ },
  { tag: 'tag:yaml.org,2002:bool', default: true, test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/ },
  { tag: 'tag:yaml.org,2002:bool', default: true, test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/ },
  { tag: 'tag:yaml.org,2002:int', default: true, test: /^[-+]?0b[0-1_]+$/ },
  { tag: 'tag:yaml.org,2002:int', default: true, test: /^[-+]?0[0-7_]+$/ },
  { tag: 'tag:yaml.org,2002:int', default: true, test: /^[-+]?[0-9][0-9_]*$/ },
  { tag: 'tag:yaml.org,2002:int', default: true, test: /^[-+]?0x[0-9a-fA-F_]+$/ },
  { tag: 'tag:yaml.org,2002:float', default: true, test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/ },
  { tag: 'tag:yaml.org,2002:float', default: true, test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/ },
  { tag: 'tag:yaml.org,2002:float', default: true, test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/ },
  { tag: 'tag:yaml.org,2002:merge', default: 'key', test: /^<<$/ },
  { tag: 'tag:yaml.org,2002:int', default: true, test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/ },
  { tag: 'tag:yaml.org,2002:float', default: true, test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/ },
  {
    tag: 'tag:yaml.org,2002:timestamp',
    default: true,
    test: /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$/,
  },
];

/** The tests of the tags a scalar could resolve to (the merge key `<<` included). */
const NON_STRING_TESTS = YAML_1_1_TAG_TESTS.map((t) => t.test);

/**
 * The tests of the tags a map value or sequence item could resolve to: the merge key `<<`
 * (`default: 'key'`) is a merge only as a key, `yaml` writes it plain as a value.
 */
const NON_STRING_VALUE_TESTS = YAML_1_1_TAG_TESTS.filter((t) => t.default === true).map((t) => t.test);

/** The tests above as one expression (one pass instead of one per tag), when they combine exactly. */
const NON_STRING_TEST: RegExp | undefined = NON_STRING_TESTS.every((t) => t.flags === '' && !/\\[1-9]|\(\?</.test(t.source))
  ? new RegExp(NON_STRING_TESTS.map((t) => `(?:${t.source})`).join('|'))
  : undefined;

function readsAsOtherType(s: string): boolean {
  return NON_STRING_TEST ? NON_STRING_TEST.test(s) : NON_STRING_TESTS.some((t) => t.test(s));
}

/** Answers of {@link isPlain} for short strings (keys and most values repeat in every object). */
const PLAIN = new Map<string, boolean>();
const MAX_PLAIN_MEMO_LENGTH = 64;

function isPlain(s: string): boolean {
  if (s.length > MAX_PLAIN_MEMO_LENGTH) return s.length <= MAX_IMPLICIT_KEY && SAFE_PLAIN.test(s) && !readsAsOtherType(s);
  let plain = PLAIN.get(s);
  if (plain === undefined) {
    plain = SAFE_PLAIN.test(s) && !readsAsOtherType(s);
    if (PLAIN.size >= MAX_CACHED) PLAIN.clear();
    PLAIN.set(s, plain);
  }
  return plain;
}

/** Longer keys are written as explicit keys (`? `): not handled here. */
const MAX_IMPLICIT_KEY = 1000;

/** Where a scalar is written: as a key, as a map value, as a sequence item. */
type Context = 'key' | 'value' | 'item';

const MAX_CACHED = 100_000;
const cache = new Map<string, string>();

/** One YAML document for `value`, exactly as `YAML.stringify(value, YAML_OPTIONS)` writes it. */
export function stringifyYaml(value: unknown): string {
  try {
    if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) return '{}\n';
      const out: string[] = [];
      writeMap(value, 0, out, false);
      return out.join('');
    }
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]\n';
      const out: string[] = [];
      writeSeq(value, 0, out, false);
      return out.join('');
    }
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
  }
  return yaml().stringify(value, YAML_OPTIONS);
}

/**
 * The entries of a non-empty map whose keys are at column `indent`. `inline`: the first entry
 * continues a `- ` already written (a map as a sequence item).
 */
function writeMap(map: Record<string, unknown>, indent: number, out: string[], inline: boolean): void {
  const pad = ' '.repeat(indent);
  let first = true;
  for (const key of Object.keys(map)) {
    const v = map[key];
    if (v === undefined) throw new Unsupported(); // `yaml` drops the pair; not worth copying
    out.push(first && inline ? '' : pad, isPlain(key) ? key : rendered(key, 'key', indent), ':');
    first = false;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push(' []\n');
      } else {
        out.push('\n');
        writeSeq(v, indent + 2, out, false);
      }
    } else if (isPlainObject(v)) {
      if (Object.keys(v).length === 0) {
        out.push(' {}\n');
      } else {
        out.push('\n');
        writeMap(v, indent + 2, out, false);
      }
    } else {
      out.push(' ', scalarText(v, 'value', indent), '\n');
    }
  }
}

/** The items of a non-empty sequence, dashes at column `indent`. `inline`: the first dash continues a `- `. */
function writeSeq(seq: unknown[], indent: number, out: string[], inline: boolean): void {
  const pad = ' '.repeat(indent);
  for (let i = 0; i < seq.length; i++) {
    const item = seq[i];
    out.push(i === 0 && inline ? '- ' : `${pad}- `);
    if (Array.isArray(item)) {
      if (item.length === 0) out.push('[]\n');
      else writeSeq(item, indent + 2, out, true);
    } else if (isPlainObject(item)) {
      if (Object.keys(item).length === 0) out.push('{}\n');
      else writeMap(item, indent + 2, out, true);
    } else {
      if (inline && i === 0 && !isSimple(item)) throw new Unsupported(); // `- - |-`: not worth copying
      out.push(scalarText(item, 'item', indent), '\n');
    }
  }
}

/** Scalars written without consulting `yaml`. */
function isSimple(v: unknown): boolean {
  return typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0))
    || (typeof v === 'string' && isPlain(v));
}

/** A scalar as `yaml` writes it in `context` (the key, or the dash, at column `indent`), without the trailing newline. */
function scalarText(v: unknown, context: Context, indent: number): string {
  if (typeof v === 'string') return isPlain(v) ? v : (printableString(v, context, indent) ?? rendered(v, context, indent));
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : rendered(v, context, indent);
  throw new Unsupported(); // undefined, bigint, symbol, function
}

/** What `yaml`'s plainString refuses to write plain (its own expression). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Lines `yaml` treats as document markers (it indents or quotes differently then): left to it. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
const PRINTABLE_LINE = /^[\x20-\x7e]*$/;
const PRINTABLE_TEXT = /^[\x20-\x7e\n]*$/;

/**
 * The common strings that are not certainly plain, written as `yaml` writes them (without asking
 * it: each string it renders costs ~100 µs, and strings like URLs with templates or configuration
 * files differ in every service), in a map value or a sequence item, printable ASCII only:
 *   - one line: plain unless `yaml`'s plain-scalar rules or a YAML 1.1 type test say otherwise, then
 *     double-quoted as JSON (single-quoted when it holds `"` and no `'`);
 *   - several lines: a literal block scalar (`|` with one final line break, `|-` with none), its
 *     lines indented two more than the key or dash, blank lines left empty.
 * Anything else (keys, leading spaces or blank lines, trailing whitespace, document markers,
 * other characters) is undefined: `yaml` renders it.
 */
function printableString(s: string, context: Context, indent: number): string | undefined {
  if (context === 'key' || DOCUMENT_MARKER.test(s)) return undefined;
  if (!s.includes('\n')) {
    if (!PRINTABLE_LINE.test(s)) return undefined;
    if (!NOT_PLAIN.test(s) && !NON_STRING_VALUE_TESTS.some((t) => t.test(s))) return s;
    return s.includes('"') && !s.includes('\'') ? `'${s}'` : JSON.stringify(s);
  }
  if (!PRINTABLE_TEXT.test(s) || s[0] === ' ' || s[0] === '\n') return undefined;
  let chomp: string;
  let body: string;
  const last = s[s.length - 1];
  if (last === '\n') {
    const before = s[s.length - 2];
    if (before === '\n' || before === ' ') return undefined; // kept line breaks, trailing spaces
    chomp = '';
    body = s.slice(0, -1);
  } else if (last === ' ') {
    return undefined;
  } else {
    chomp = '-';
    body = s;
  }
  const pad = ' '.repeat(indent + 2);
  return `|${chomp}\n${pad}${body.replace(/\n+/g, `$&${pad}`)}`;
}

/**
 * What `yaml` writes for the scalar `v` in `context` at column `indent` (cached): rendered in a
 * document that puts it exactly there (quoting and block scalars depend on the column: `---` at
 * column 0 would start a document), continuation lines with their absolute indentation.
 */
function rendered(v: string | number, context: Context, indent: number): string {
  const cacheKey = `${context}${indent}:${typeof v === 'number' ? (Object.is(v, -0) ? '-0' : `n${v}`) : `s${v}`}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  // maps nested under `x:` put a key at column indent; a sequence under the last one puts dashes there
  const depth = context === 'item' ? (indent === 0 ? 0 : (indent - 2) / 2 + 1) : indent / 2;
  let inner: unknown = context === 'key' ? { [v]: null } : context === 'value' ? { k: v } : [v];
  for (let i = 0; i < depth; i++) inner = { x: inner };
  const doc = yaml().stringify(inner, YAML_OPTIONS);
  let prefix = '';
  for (let i = 0; i < depth; i++) prefix += `${' '.repeat(2 * i)}x:\n`;
  prefix += ' '.repeat(indent) + (context === 'value' ? 'k: ' : context === 'item' ? '- ' : '');
  if (!doc.startsWith(prefix) || !doc.endsWith('\n')) throw new Unsupported();
  let text = doc.slice(prefix.length, -1);
  if (context === 'key') {
    // an explicit key (`? `), a multi-line key: not worth copying
    if (!text.endsWith(': null') || text.startsWith('? ') || text.includes('\n')) throw new Unsupported();
    text = text.slice(0, -': null'.length);
  }
  if (cache.size < MAX_CACHED) cache.set(cacheKey, text);
  return text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
