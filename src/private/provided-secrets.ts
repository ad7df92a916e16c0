import { IConstruct } from 'constructs';
import { invalid } from './names';
import { anyProvidedBinding, providedBindings } from './provided-bindings';
import { URI_PASSWORD_TEMPLATE } from './uri-password';
import type { ProvidedSecret } from '../secrets/provided-secret';
import type { SecretSourceKind } from '../secrets/secret-source';

/** A reference of a rendered object to a Secret: `key` undefined when it reads the whole Secret (or keys the operator picks). */
export interface SecretReference {
  readonly name: string;
  readonly key?: string;
}

const SECRET_CONTEXT = /secret|credential/i;

/**
 * The Secrets a manifest references, found generically: under a field naming a secret or credentials
 * (`secretKeyRef`, `passwordSecretKeyRef`, `passwordSecret`, `importCredentialsSecret`, `s3Credentials`, a volume's
 * or projection's `secret`, `envFrom[].secretRef`, CloudNativePG's `bootstrap.initdb.secret`), an object with a
 * `name` (or a volume's `secretName`), and its `key` or its `items[].key` when it names keys; and any string
 * `secretName` (a RabbitmqCluster's `tls.secretName`). Not under `secretStoreRef` (an External Secrets store, not a
 * Secret), not in `metadata`. Shared by the "Secrets you provide" list and change safety's `CHANGE-SecretSourceChanged`.
 */
export function secretReferences(manifest: unknown): SecretReference[] {
  const found: SecretReference[] = [];
  const walk = (node: unknown, inSecret: boolean, depth: number): void => {
    if (depth > 64) return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, inSecret, depth + 1);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const o = node as { [key: string]: unknown };
    const name = typeof o.secretName === 'string' ? o.secretName : (inSecret && typeof o.name === 'string' ? o.name : undefined);
    if (name !== undefined) {
      const items = Array.isArray(o.items) ? o.items.filter((i) => typeof i?.key === 'string').map((i) => i.key as string) : [];
      if (typeof o.key === 'string') found.push({ name, key: o.key });
      else if (items.length > 0) for (const key of items) found.push({ name, key });
      else found.push({ name });
    }
    for (const [k, v] of Object.entries(o)) {
      if ((k === 'metadata' && !inSecret) || k === 'secretStoreRef') continue;
      walk(v, inSecret || SECRET_CONTEXT.test(k), depth + 1);
    }
  };
  walk(manifest, false, 0);
  return found;
}

/** A template's value as text: a key's value `<key>`, the URI password `<password, URL-encoded>`; other Go actions as written. */
export function describeTemplate(template: string): string {
  return template
    .split(URI_PASSWORD_TEMPLATE).join('<password, URL-encoded>')
    .replace(/\{\{-?\s*\.([A-Za-z0-9_]+)\s*-?\}\}/g, '<$1>');
}

/** What a templated key holds: its template as text, or exactly its literal value. */
function holdsOf(template: string): string {
  return template.includes('{{') ? describeTemplate(template) : `exactly \`${template}\``;
}

/**
 * The Secrets the constructs of each environment (its charts' constructs) bound from a SealedSecret or an existing
 * Secret, merged by name, with the rendered objects of the environment that reference each (`objects`: each with
 * its environment and manifest). Sorted by environment, then name.
 */
export function collectProvidedSecrets(
  environments: ReadonlyArray<{ readonly name: string; readonly namespace: string; readonly scopes: readonly IConstruct[] }>,
  objects: ReadonlyArray<{ readonly environment?: string; readonly manifest: any }>,
): ProvidedSecret[] {
  const result: ProvidedSecret[] = [];
  // nothing bound from a SealedSecret or an existing Secret (the External Secrets backend): no walk of the tree
  if (!anyProvidedBinding()) return result;
  for (const env of [...environments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const byName = new Map<string, {
      source: SecretSourceKind;
      keys: Map<string, { holds: Set<string>; template?: string }>;
      labels: { [key: string]: string };
      boundBy: Set<string>;
    }>();
    for (const scope of env.scopes) {
      for (const construct of scope.node.findAll()) {
        for (const b of providedBindings(construct)) {
          let entry = byName.get(b.secretName);
          if (!entry) byName.set(b.secretName, entry = { source: b.source as SecretSourceKind, keys: new Map(), labels: {}, boundBy: new Set() });
          entry.boundBy.add(construct.node.path);
          Object.assign(entry.labels, b.labels);
          for (const key of new Set([...b.keys, ...Object.keys(b.templates)])) {
            let k = entry.keys.get(key);
            if (!k) entry.keys.set(key, k = { holds: new Set() });
            const template = Object.prototype.hasOwnProperty.call(b.templates, key) ? b.templates[key] : undefined;
            if (template !== undefined) {
              // one Secret cannot hold two values under one key: each reader would need its own (the ExternalSecret
              // source refuses a second binding the same way, secret-source.ts `ExternalSecretSource.bind`)
              if (k.template !== undefined && k.template !== template) {
                throw invalid(construct, 'CONFLICTING_DEFINITION', 'secretName', b.secretName,
                  `one value per key of Secret "${b.secretName}": key "${key}" must hold ${holdsOf(template)} here and `
                  + `${holdsOf(k.template)} for ${[...entry.boundBy].join(', ')}; `
                  + 'give each its own Secret');
              }
              k.template = template;
              k.holds.add(holdsOf(template));
            } else {
              k.holds.add(b.descriptions[key] ?? 'the value the reading objects expect under this key');
            }
          }
        }
      }
    }
    if (byName.size === 0) continue;
    const readers = new Map<string, Set<string>>();
    for (const o of objects) {
      if (o.environment !== env.name) continue;
      for (const ref of secretReferences(o.manifest)) {
        if (!byName.has(ref.name)) continue;
        let set = readers.get(ref.name);
        if (!set) readers.set(ref.name, set = new Set());
        set.add(`${o.manifest.kind}/${o.manifest.metadata?.name}`);
      }
    }
    for (const name of [...byName.keys()].sort()) {
      const entry = byName.get(name)!;
      result.push({
        environment: env.name,
        namespace: env.namespace,
        name,
        source: entry.source,
        keys: [...entry.keys.keys()].sort().map((key) => {
          const k = entry.keys.get(key)!;
          return { key, holds: [...k.holds].join('; '), ...(k.template !== undefined && k.template.includes('{{') ? { template: k.template } : {}) };
        }),
        labels: Object.fromEntries(Object.keys(entry.labels).sort().map((l) => [l, entry.labels[l]])),
        readBy: [...(readers.get(name) ?? [])].sort(),
        boundBy: [...entry.boundBy].sort(),
      });
    }
  }
  return result;
}
