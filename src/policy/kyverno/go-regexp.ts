/**
 * Go `regexp` (RE2) semantics for Kyverno's regex functions, on `re2js` (a port of RE2 with
 * linear-time matching): JavaScript's backtracking RegExp takes exponential time on patterns like
 * `^(a+)+$`, and its syntax differs from Go's (`(?P<name>)`, `(?U)`, `\z`, `\Q…\E`, POSIX
 * classes, no lookaround or backreferences). Internal module.
 */
import { RE2JS } from 're2js';

/** A compiled Go regular expression. */
export type GoRegExp = RE2JS;

const MAX_CACHED = 1000;
const cache = new Map<string, RE2JS>();

/** An invalid Go regular expression: the message is Go's (`error parsing regexp: …`). */
export class GoRegExpSyntaxError extends Error {
  public constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, GoRegExpSyntaxError.prototype);
    this.name = 'GoRegExpSyntaxError';
  }
}

/** `regexp.Compile(source)`; throws GoRegExpSyntaxError when Go would return an error. */
export function compileGoRegExp(source: string): GoRegExp {
  const hit = cache.get(source);
  if (hit) return hit;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    throw new GoRegExpSyntaxError((e as Error).message);
  }
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(source, re);
  return re;
}

/** `regexp.Match(source, s)`: whether `s` contains a match (unanchored). */
export function goRegexMatch(source: string, s: string): boolean {
  return compileGoRegExp(source).test(s);
}

/**
 * `re.ReplaceAllString(src, repl)` (`literal`: `ReplaceAllLiteralString`): successive
 * non-overlapping matches replaced, an empty match right after a previous match ignored, and the
 * template expanded as Go's `Regexp.Expand` does (`$1`, `${1}`, `$name`, `${name}`, `$$`; a name
 * is the longest run of letters, digits and `_`; an unknown group gives nothing; a malformed `$`
 * stays literal).
 */
export function goReplaceAll(source: string, src: string, repl: string, literal = false): string {
  const re = compileGoRegExp(source);
  const names = re.namedGroups() as Record<string, number>;
  const m = re.matcher(src);
  const out: string[] = [];
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length && m.find(searchPos)) {
    const start = m.start();
    const end = m.end();
    out.push(src.slice(lastMatchEnd, start));
    if (end > lastMatchEnd || start === 0) out.push(literal ? repl : expand(repl, m, names));
    lastMatchEnd = end;
    // advance past this match, at least one character (a code point, as Go advances one rune)
    const width = searchPos < src.length ? (src.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 1;
    searchPos = searchPos + width > end ? searchPos + width : end;
  }
  out.push(src.slice(lastMatchEnd));
  return out.join('');
}

interface Groups {
  group(i: number): string | null;
  groupCount(): number;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

function expand(template: string, m: Groups, names: Record<string, number>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const nameStart = j;
    while (j < template.length) {
      const ch = String.fromCodePoint(template.codePointAt(j)!);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(nameStart, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$'; // malformed: the `$` is kept, the rest is read as text
      continue;
    }
    i = brace ? j + 1 : j;
    const index = /^(0|[1-9]\d{0,8})$/.test(name) ? Number(name) : Object.prototype.hasOwnProperty.call(names, name) ? names[name] : -1;
    if (index >= 0 && index <= m.groupCount()) out += m.group(index) ?? '';
  }
  return out + template.slice(i);
}
