/**
 * The ObjectMeta value checks the API server applies on top of the OpenAPI schema
 * (k8s.io/apimachinery validation): a name is required, names, namespaces, label keys and values
 * and annotation keys have a format. The OpenAPI schema only says "string".
 */
import { joinPointer, RawIssue, show } from './messages';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** RBAC objects accept any path segment as name (e.g. `system:controller:foo`). */
const PATH_SEGMENT_NAME_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

function subdomain(value: string): string | undefined {
  if (value.length > 253) return 'must be no more than 253 characters';
  return DNS1123_SUBDOMAIN.test(value) ? undefined
    : 'must be a lowercase RFC 1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)';
}

function label(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return DNS1123_LABEL.test(value) ? undefined
    : 'must be a lowercase RFC 1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)';
}

function nameProblem(kind: string, group: string, name: string): string | undefined {
  if (group === 'rbac.authorization.k8s.io' && PATH_SEGMENT_NAME_KINDS.has(kind)) {
    if (name === '.' || name === '..') return 'may not be "." or ".."';
    return /[/%]/.test(name) ? 'may not contain "/" or "%"' : undefined;
  }
  if (group === '' && kind === 'Service') {
    if (name.length > 63) return 'must be no more than 63 characters';
    return DNS1035_LABEL.test(name) ? undefined
      : 'must be a lowercase RFC 1035 label (lowercase letters, digits and "-", starting with a letter and ending with a letter or digit)';
  }
  if (group === '' && kind === 'Namespace') return label(name);
  return subdomain(name);
}

function qualifiedName(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix === '') return 'prefix part must not be empty';
    const p = subdomain(prefix);
    if (p) return `prefix part ${p}`;
  }
  if (name.length === 0) return 'name part must not be empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  return QUALIFIED_NAME.test(name) ? undefined
    : 'name part must consist of alphanumeric characters, "-", "_" or ".", and must start and end with an alphanumeric character';
}

/**
 * Checks the values of a top-level object's metadata.
 *
 * @param meta the metadata (already known to be an object)
 * @param apiVersion the object's apiVersion
 * @param kind the object's kind
 */
export function validateMetadataValues(meta: Record<string, any>, apiVersion: string, kind: string): RawIssue[] {
  const issues: RawIssue[] = [];
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const add = (path: string, message: string): void => {
    issues.push({ path, message, kind: 'schema' });
  };
  if (typeof meta.name === 'string' && meta.name !== '') {
    const p = nameProblem(kind, group, meta.name);
    if (p) add('/metadata/name', `${p} (got ${show(meta.name)})`);
  } else if (meta.name === undefined || meta.name === '') {
    if (typeof meta.generateName !== 'string' || meta.generateName === '') {
      add('/metadata', 'missing required field "name"');
    }
  }
  if (typeof meta.namespace === 'string' && meta.namespace !== '') {
    const p = label(meta.namespace);
    if (p) add('/metadata/namespace', `${p} (got ${show(meta.namespace)})`);
  }
  const labels = meta.labels;
  if (labels && typeof labels === 'object' && !Array.isArray(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      const p = qualifiedName(key);
      if (p) add(joinPointer('/metadata/labels', key), `invalid label key "${key}": ${p}`);
      if (typeof value === 'string' && value !== '') {
        if (value.length > 63) {
          add(joinPointer('/metadata/labels', key), `label value must be no more than 63 characters (got ${show(value)})`);
        } else if (!QUALIFIED_NAME.test(value)) {
          add(joinPointer('/metadata/labels', key), `invalid label value ${show(value)}: must be empty or consist of alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character`);
        }
      }
    }
  }
  const annotations = meta.annotations;
  if (annotations && typeof annotations === 'object' && !Array.isArray(annotations)) {
    let total = 0;
    for (const [key, value] of Object.entries(annotations)) {
      const p = qualifiedName(key);
      if (p) add(joinPointer('/metadata/annotations', key), `invalid annotation key "${key}": ${p}`);
      total += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    }
    if (total > 256 * 1024) add('/metadata/annotations', `annotations must total at most 262144 bytes (got ${total})`);
  }
  return issues;
}
