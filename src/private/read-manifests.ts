import * as fs from 'fs';
import * as path from 'path';
import type * as YAML from 'yaml';
import { apiGroup } from './kinds';
import { UsageError } from './usage-error';
import { yamlDocuments } from './yaml-read';

/** A Kubernetes object read from a file. */
export interface ReadManifest {
  readonly manifest: any;
  readonly file: string;
  /** The document's own text. */
  readonly text: string;
  /** Lines before the document in its file. */
  readonly lineOffset: number;
  /**
   * JSON pointer of the object inside `text`: an item of a List (`/items/0`).
   *
   * @default '' (the whole document)
   */
  readonly pointer?: string;
}

export interface ReadResult {
  readonly manifests: ReadManifest[];
  /** YAML documents that are not Kubernetes objects (no apiVersion or kind; kustomization files), skipped. */
  readonly skipped: number;
  readonly files: number;
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Budgets of a read: total bytes of every input, and a deadline (epoch milliseconds). */
export interface ReadLimits {
  /** @default 64 MiB per file, no total */
  readonly maxBytes?: number;
  /** What the budget is called in messages (`--max-bytes`). */
  readonly maxBytesName?: string;
  /** Checked between documents. */
  readonly deadline?: number;
  /** Thrown when the deadline passes (the caller names its budget). */
  readonly onDeadline?: (where: string) => never;
}


/** Reads `fd` to its end, refusing more than MAX_FILE_BYTES (memory stays bounded whatever the input). */
function readBounded(fd: number, display: string, max = MAX_FILE_BYTES, name?: string): Buffer {
  const chunks: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { // a non-blocking pipe with nothing yet
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break; // Windows: end of a pipe
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > max) throw new UsageError(`${display}: too large (more than ${max} bytes${name && max < MAX_FILE_BYTES ? `, what is left of ${name}` : ''})`);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/**
 * Reads Kubernetes objects from files, directories (recursively: `.yaml`, `.yml`; hidden folders
 * skipped) or `-` (standard input). Multi-document files are split; empty documents are ignored;
 * documents that are not Kubernetes objects are counted as skipped. Lists (`v1 List`, `ConfigMapList`)
 * give their items, as kubectl and kustomize apply them. An object without `metadata.name` or
 * `metadata.generateName` is an error: kubectl, Flux and Argo CD refuse it, it is never skipped.
 */
export function readManifests(inputs: string[], readStdin?: () => string, limits: ReadLimits = {}): ReadResult {
  const manifests: ReadManifest[] = [];
  let skipped = 0;
  let files = 0;
  let totalBytes = 0;
  const maxTotal = limits.maxBytes ?? Infinity;
  const budgetName = limits.maxBytesName ?? 'the byte budget';
  // what is left of the total budget bounds each read too: a device or a FIFO stops there
  const remaining = () => Math.min(MAX_FILE_BYTES, maxTotal - totalBytes);
  const stdin = readStdin ?? (() => readBounded(0, '<stdin>', remaining(), budgetName).toString('utf8'));
  const account = (display: string, bytes: number) => {
    totalBytes += bytes;
    if (totalBytes > maxTotal) {
      throw new UsageError(`${display}: the input exceeds ${budgetName} (${maxTotal} bytes): ${totalBytes} bytes read so far`);
    }
  };
  const deadline = (where: string) => {
    if (limits.deadline !== undefined && Date.now() > limits.deadline) {
      if (limits.onDeadline) limits.onDeadline(where);
      throw new UsageError(`${where}: time budget exceeded`);
    }
  };
  const visit = (source: string, display: string, text: string) => {
    files++;
    deadline(display);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const counter = new (require('yaml') as typeof YAML).LineCounter();
    // one document at a time: its syntax tree is dropped once converted
    let index = 0;
    for (const doc of yamlDocuments(text, { lineCounter: counter })) {
      deadline(display);
      index++;
      if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const line = e.linePos?.[0]?.line ?? (e.pos?.[0] !== undefined ? counter.linePos(e.pos[0]).line : undefined);
        const where = line ? `:${line}` : '';
        throw new UsageError(`${display}${where}: invalid YAML: ${e.message.split('\n')[0]}`);
      }
      let value: any;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        throw new UsageError(`${display}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
      }
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string'
        || apiGroup(value.apiVersion) === 'kustomize.config.k8s.io') { // kustomization.yaml (Kustomization, Component): kustomize's own input
        skipped++;
        continue;
      }
      const [start, , end] = doc.range;
      const own = { file: display, text: text.slice(start, end), lineOffset: counter.linePos(start).line - 1 };
      addObject(value, own, '', `${display}:${own.lineOffset + 1}: document ${index}`);
    }
    void source;
  };

  /**
   * Adds `value`, or the items of a list. Lists as kustomize inlines them (api/resource/factory.go
   * `inlineAnyEmbeddedLists`: a kind ending in `List` with `items`, nested lists too) and as kubectl
   * decodes them (apimachinery unstructured `decodeToList`: an item without apiVersion and kind is of
   * the list's apiVersion and its kind without `List`, as a `ConfigMapList` from `kubectl get -o yaml`).
   */
  const addObject = (value: any, own: Omit<ReadManifest, 'manifest'>, pointer: string, where: string, lists: any[] = []) => {
    if (value.kind.endsWith('List') && value.items !== undefined) {
      if (value.items === null) return; // kustomize: an empty list
      if (!Array.isArray(value.items)) throw new UsageError(`${where}: ${value.kind} "items" is not a list (kubectl and kustomize refuse it)`);
      // a YAML alias can make a list its own item (go-yaml refuses it: "anchor ... value contains itself")
      if (lists.includes(value.items)) throw new UsageError(`${where}: ${value.kind} contains itself (a YAML alias to an enclosing list)`);
      value.items.forEach((item: any, i: number) => {
        const at = `${where}, ${value.kind} item ${i}`;
        if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new UsageError(`${at}: not an object (kubectl and kustomize refuse it)`);
        const typed = item.apiVersion === undefined && item.kind === undefined
          ? { apiVersion: value.apiVersion, kind: value.kind.slice(0, -'List'.length), ...item } : item;
        if (typeof typed.apiVersion !== 'string' || typeof typed.kind !== 'string' || typed.kind === '') {
          throw new UsageError(`${at}: no apiVersion and kind (kubectl and kustomize refuse it)`);
        }
        addObject(typed, own, `${pointer}/items/${i}`, at, [...lists, value.items]);
      });
      return;
    }
    const name = value.metadata?.name;
    const unnamed = name === undefined || name === null || name === '';
    if (!unnamed && typeof name !== 'string') {
      throw new UsageError(`${where}: ${value.kind} metadata.name ${JSON.stringify(name)} is not a string: kubectl, Flux and Argo CD refuse it; quote it`);
    }
    // the API server names an object by generateName when it has no name (apiserver rest.BeforeCreate); it refuses one
    // with neither ("name or generateName is required", ValidateObjectMeta), as kustomize does (kyaml GetValidatedMetadata)
    if (unnamed && !(typeof value.metadata?.generateName === 'string' && value.metadata.generateName !== '')) {
      throw new UsageError(`${where}: ${value.kind} without metadata.name or metadata.generateName: kubectl, Flux and Argo CD refuse it; `
        + 'name the object (or leave files that are not Kubernetes objects out of the inputs)');
    }
    manifests.push({ manifest: value, ...own, ...(pointer ? { pointer } : {}) });
  };

  const readFile = (file: string) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (e) {
      throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (stat.size > MAX_FILE_BYTES) throw new UsageError(`${file}: too large (${stat.size} bytes, at most ${MAX_FILE_BYTES})`);
    // refused before reading when its size already exceeds what is left of the budget
    if (stat.isFile() && totalBytes + stat.size > maxTotal) account(file, stat.size);
    let buffer: Buffer;
    let fd: number | undefined;
    try {
      // bounded: a FIFO or a device (/dev/zero) has no size to check beforehand
      fd = fs.openSync(file, 'r');
      buffer = readBounded(fd, file, remaining(), budgetName);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    account(file, buffer.length);
    if (buffer.includes(0)) throw new UsageError(`${file}: binary file, not YAML`);
    visit(file, file.split(path.sep).join('/'), buffer.toString('utf8'));
  };

  const walk = (dir: string, seen: Set<string>) => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch (e) {
      throw new UsageError(`${dir}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (seen.has(real)) return; // symlink loop
    seen.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      throw new UsageError(`${dir}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = fs.statSync(child);
          isDir = target.isDirectory();
          isFile = target.isFile();
        } catch (e) {
          throw new UsageError(`${child}: ${(e as NodeJS.ErrnoException).code === 'ELOOP' ? 'symbolic link loop' : 'broken symbolic link'}`);
        }
      }
      if (isDir) {walk(child, seen);} else if (/\.ya?ml$/.test(entry.name)) {
        // a FIFO would block the walk forever, a device never end: only regular files are read from directories
        if (!isFile) throw new UsageError(`${child}: not a regular file (FIFOs, sockets and devices are only read when named directly)`);
        readFile(child);
      }
    }
  };

  for (const input of inputs) {
    if (input === '-') {
      const text = stdin();
      account('<stdin>', Buffer.byteLength(text, 'utf8'));
      visit('-', '<stdin>', text);
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch (e) {
      throw new UsageError(`${input}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    if (stat.isDirectory()) walk(input, new Set());
    else readFile(input);
  }
  return { manifests, skipped, files };
}
