import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * 1-based line of the node at `jsonPointer` in a single-document YAML text; when the pointer names
 * a field that does not exist (a missing `runAsNonRoot`), the line of its nearest existing parent.
 */
export function lineOf(yamlText: string, jsonPointer = ''): number {
  const counter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: counter, keepSourceTokens: false });
  let node: any = doc.contents;
  let line = node?.range ? counter.linePos(node.range[0]).line : 1;
  for (const segment of parsePointer(jsonPointer)) {
    let next: any;
    if (isMap(node)) {
      const pair = node.items.find((p: any) => String(p.key?.value ?? p.key) === segment);
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
