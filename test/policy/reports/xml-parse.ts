/**
 * A strict, tiny XML 1.0 parser for the subset the JUnit renderer emits (declaration, elements,
 * attributes, text, character and predefined entity references). It throws on anything that is not
 * well-formed, so a successful parse is a well-formedness check. No comments, CDATA, DTD or PIs.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
// eslint-disable-next-line no-control-regex
const INVALID_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, ref: string) => {
    if (!match.endsWith(';')) throw new Error(`Unterminated reference '${match}' near offset ${where}`);
    if (ref in PREDEFINED) return PREDEFINED[ref];
    const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!m) throw new Error(`Unknown entity '&${ref};' near offset ${where}`);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
    const valid = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff)
      || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
    if (!valid) throw new Error(`Character reference to an invalid character '&${ref};' near offset ${where}`);
    return String.fromCodePoint(cp);
  });
}

export function parseXml(xml: string): XmlElement {
  if (INVALID_CHAR.test(xml)) throw new Error('Document contains a character XML 1.0 forbids');
  let i = 0;
  const decl = /^<\?xml\s+version="1\.0"(\s+encoding="UTF-8")?\s*\?>/.exec(xml);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const skipSpace = () => {
    while (i < xml.length && /\s/.test(xml[i])) i++;
  };

  while (i < xml.length) {
    if (xml[i] === '<') {
      if (xml.startsWith('</', i)) {
        i += 2;
        const m = NAME.exec(xml.slice(i));
        if (!m) throw new Error(`Bad end tag at ${i}`);
        i += m[0].length;
        skipSpace();
        if (xml[i] !== '>') throw new Error(`Expected '>' at ${i}`);
        i++;
        const open = stack.pop();
        if (!open || open.name !== m[0]) throw new Error(`Mismatched end tag </${m[0]}> (open: ${open?.name}) at ${i}`);
        continue;
      }
      if (xml.startsWith('<!', i) || xml.startsWith('<?', i)) throw new Error(`Unsupported markup at ${i}`);
      i++;
      const m = NAME.exec(xml.slice(i));
      if (!m) throw new Error(`Bad start tag at ${i}`);
      i += m[0].length;
      const el: XmlElement = { name: m[0], attributes: {}, children: [], text: '' };
      for (;;) {
        const before = i;
        skipSpace();
        if (xml.startsWith('/>', i)) { i += 2; break; }
        if (xml[i] === '>') { i++; stack.push(el); break; }
        if (i === before) throw new Error(`Expected whitespace before attribute at ${i}`);
        const a = NAME.exec(xml.slice(i));
        if (!a) throw new Error(`Bad attribute name at ${i}`);
        i += a[0].length;
        skipSpace();
        if (xml[i] !== '=') throw new Error(`Expected '=' at ${i}`);
        i++;
        skipSpace();
        const quote = xml[i];
        if (quote !== '"' && quote !== '\'') throw new Error(`Unquoted attribute value at ${i}`);
        const end = xml.indexOf(quote, i + 1);
        if (end < 0) throw new Error(`Unterminated attribute value at ${i}`);
        const raw = xml.slice(i + 1, end);
        if (raw.includes('<')) throw new Error(`'<' in attribute value at ${i}`);
        if (a[0] in el.attributes) throw new Error(`Duplicate attribute '${a[0]}' at ${i}`);
        // Attribute-value normalization: literal whitespace becomes a space; references survive.
        el.attributes[a[0]] = decode(raw.replace(/[\t\n\r]/g, ' '), i);
        i = end + 1;
      }
      const parent = stack.length && stack[stack.length - 1] !== el ? stack[stack.length - 1] : stack[stack.length - 2];
      if (parent) {
        parent.children.push(el);
      } else {
        if (root) throw new Error(`Second root element <${el.name}> at ${i}`);
        root = el;
      }
    } else {
      const next = xml.indexOf('<', i);
      const raw = xml.slice(i, next < 0 ? xml.length : next);
      if (raw.includes(']]>')) throw new Error(`']]>' in text at ${i}`);
      if (stack.length === 0) {
        if (raw.trim() !== '') throw new Error(`Text outside the root element at ${i}`);
      } else {
        stack[stack.length - 1].text += decode(raw, i);
      }
      i = next < 0 ? xml.length : next;
    }
  }
  if (stack.length) throw new Error(`Unclosed element <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('No root element');
  return root;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}
