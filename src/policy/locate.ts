import type { LineCounter } from 'yaml';
import { parseYamlDocuments } from '../private/yaml-read';

/** The `yaml` package, loaded when a finding is first located (not when this module loads). */
let yamlModule: typeof import('yaml') | undefined;
function yaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require('yaml'));
}

/**
 * 1-based line of the node at `jsonPointer` in a single-document YAML text; when the pointer names
 * a field that does not exist (a missing `runAsNonRoot`), the line of its nearest existing parent.
 */
export function lineOf(yamlText: string, jsonPointer = ''): number {
  const { isMap, isSeq } = yaml();
  const { counter, contents } = parsed(yamlText);
  let node: any = contents;
  let line = node?.range ? counter.linePos(node.range[0]).line : 1;
  for (const segment of parsePointer(jsonPointer)) {
    let next: any;
    if (isMap(node)) {
      const pair = keysOf(node).get(segment);
      if (!pair) break;
      const key: any = pair.key;
      line = key?.range ? counter.linePos(key.range[0]).line : line;
      next = pair.value;
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
      if (next === undefined) break;
    } else {
      break;
    }
    if (next?.range && !isMap(next) && !isSeq(next)) line = counter.linePos(next.range[0]).line;
    else if (next?.range && isSeq(node)) line = counter.linePos(next.range[0]).line;
    node = next;
  }
  return line;
}

/** Segments of an RFC 6901 JSON pointer. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer.replace(/^\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The last text parsed: findings of one object are located one after the other, in its one text. */
let last: { text: string; counter: LineCounter; contents: unknown } | undefined;

function parsed(text: string): { counter: LineCounter; contents: unknown } {
  if (last?.text !== text) {
    const counter = new (yaml().LineCounter)();
    last = { text, counter, contents: parseYamlDocuments(text, { lineCounter: counter })[0]?.contents };
  }
  return last;
}

/** The pairs of a map by key (the first of equal keys, as `find` did): one pass per map, not one per lookup. */
const pairsByKey = new WeakMap<object, Map<string, any>>();

function keysOf(map: { items: any[] }): Map<string, any> {
  let index = pairsByKey.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      const k = String(p.key?.value ?? p.key);
      if (!index.has(k)) index.set(k, p);
    }
    pairsByKey.set(map, index);
  }
  return index;
}
