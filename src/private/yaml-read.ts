import type { Document, DocumentOptions, LineCounter, ParseOptions, SchemaOptions, YAMLParseError } from 'yaml';

/** The `yaml` package, loaded at first read: a synthesis that reads no YAML never loads it. */
let yamlModule: typeof import('yaml') | undefined;
function yaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require('yaml'));
}

/**
 * The YAML read path of the library: the `yaml` package's parser without its unique-key check,
 * which compares each key with every earlier key of its map (one map of 100,000 keys took more
 * than a minute), and with duplicate keys still refused by a linear check (one Set per map): the
 * same `DUPLICATE_KEY` error ("Map keys must be unique"), at the same position.
 *
 * Documents are composed one at a time ({@link yamlDocuments} is lazy): a reader that converts and
 * drops each document keeps one document's syntax tree in memory, not the whole stream's.
 */
export type YamlReadOptions = Omit<ParseOptions & DocumentOptions & SchemaOptions, 'uniqueKeys'>;

/** The documents of a YAML stream, one at a time, duplicate keys reported in each document's `errors`. */
export function* yamlDocuments(text: string, options: YamlReadOptions = {}): Generator<Document.Parsed> {
  const { Composer, Parser } = yaml();
  const lineCounter: LineCounter | undefined = options.lineCounter;
  const parser = new Parser(lineCounter?.addNewLine);
  const composer = new Composer({ ...options, prettyErrors: false, uniqueKeys: false });
  const docs = composer.compose(parser.parse(text));
  const env = text.length >= PLAIN_ENV_FROM ? { ...process.env } : undefined;
  for (;;) {
    const next = env ? withEnv(env, () => docs.next()) : docs.next();
    if (next.done) return;
    checkDuplicateKeys(next.value);
    yield next.value as Document.Parsed;
  }
}

/**
 * The yaml parser reads `process.env.LOG_TOKENS` once per token (`Parser.next`), and Node's
 * `process.env` is an accessor into the C environment: about a third of the parse of a large
 * text. While a large text is parsed, `process.env` is a plain copy of itself (the same
 * variables; parsing writes none), restored afterwards whatever happens.
 */
const PLAIN_ENV_FROM = 64 * 1024;

function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  const real = process.env;
  process.env = env;
  try {
    return fn();
  } finally {
    process.env = real;
  }
}

/** Every document of a YAML stream (an empty stream gives none). */
export function parseYamlDocuments(text: string, options: YamlReadOptions = {}): Document.Parsed[] {
  return Array.from(yamlDocuments(text, options));
}

/**
 * `YAML.parse` on this read path: the value of a single-document text; the first error (a
 * duplicate key included) is thrown; aliases are expanded at most 100 times.
 */
export function parseYaml(text: string): unknown {
  let value: unknown = null; // an empty text, as YAML.parse
  let count = 0;
  for (const doc of yamlDocuments(text)) {
    if (++count > 1) throw new (yaml().YAMLParseError)([0, text.length], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()');
    if (doc.errors.length > 0) throw doc.errors[0];
    value = doc.toJS({ maxAliasCount: 100 });
  }
  return value;
}

/**
 * Adds a DUPLICATE_KEY error for every repeated key of every map of the document (iterative: no
 * recursion limit). Keys are equal as the `yaml` package's unique-key check has them: scalars of
 * the same value (`a.value === b.value`); collections and aliases are never equal.
 */
function checkDuplicateKeys(doc: Document): void {
  const { isCollection, isMap, isPair, isScalar, YAMLParseError: ParseError } = yaml();
  const stack: unknown[] = [];
  const found: YAMLParseError[] = [];
  const visit = (node: unknown) => {
    if (node && isCollection(node)) stack.push(node);
  };
  visit(doc.contents);
  while (stack.length > 0) {
    const node = stack.pop() as { items: unknown[] };
    const strings = isMap(node) ? new Set<string>() : undefined;
    const others = strings ? new Set<unknown>() : undefined;
    for (const item of node.items) {
      if (!isPair(item)) {
        visit(item);
        continue;
      }
      const key = item.key;
      if (strings && isScalar(key)) {
        const v = key.value;
        // strings by value; numbers, booleans, null and bigints by value in their own set (`1` and `"1"` differ)
        const set: Set<unknown> | undefined = typeof v === 'string' ? strings
          : v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? others : undefined;
        if (set && !Number.isNaN(v)) {
          if (set.has(v)) {
            const start = (key as any).range?.[0] ?? 0;
            found.push(new ParseError([start, start + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
          } else {
            set.add(v);
          }
        }
      } else {
        visit(key);
      }
      visit(item.value);
    }
  }
  if (found.length > 0) {
    found.sort((a, b) => a.pos[0] - b.pos[0]);
    doc.errors.push(...found);
  }
}
