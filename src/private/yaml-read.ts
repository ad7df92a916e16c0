import {
  Composer, Document, DocumentOptions, isAlias, isCollection, isMap, isPair, isScalar, LineCounter, ParseOptions, Parser, SchemaOptions,
  YAMLParseError,
} from 'yaml';

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
  const lineCounter: LineCounter | undefined = options.lineCounter;
  const parser = new Parser(lineCounter?.addNewLine);
  const composer = new Composer({ ...options, prettyErrors: false, uniqueKeys: false });
  for (const doc of composer.compose(parser.parse(text))) {
    checkDuplicateKeys(doc);
    yield doc as Document.Parsed;
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
    if (++count > 1) throw new YAMLParseError([0, text.length], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()');
    if (doc.errors.length > 0) throw doc.errors[0];
    value = doc.toJS({ maxAliasCount: 100 });
  }
  return value;
}

/** Key identity as the `yaml` package's unique-key check sees it: scalars by value (`a.value === b.value`). */
function keyOf(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const v = key.value;
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return `s${v}`;
    case 'number': return Number.isNaN(v) ? undefined : `n${v}`; // NaN !== NaN
    case 'bigint': return `b${v}`;
    case 'boolean': return `t${v}`;
    default: return undefined; // dates, binary: compared by identity, never equal
  }
}

/** Adds a DUPLICATE_KEY error for every repeated key of every map of the document (iterative: no recursion limit). */
function checkDuplicateKeys(doc: Document): void {
  const stack: unknown[] = [doc.contents];
  const found: YAMLParseError[] = [];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || isAlias(node)) continue;
    if (isPair(node)) {
      stack.push(node.key, node.value);
    } else if (isCollection(node)) {
      const seen = isMap(node) ? new Set<string>() : undefined;
      for (const item of node.items as unknown[]) {
        if (seen && isPair(item)) {
          const k = keyOf(item.key);
          if (k !== undefined) {
            if (seen.has(k)) {
              const start = (item.key as any).range?.[0] ?? 0;
              found.push(new YAMLParseError([start, start + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
            } else {
              seen.add(k);
            }
          }
        }
        stack.push(item);
      }
    }
  }
  if (found.length > 0) {
    found.sort((a, b) => a.pos[0] - b.pos[0]);
    doc.errors.push(...found);
  }
}
