import * as path from 'path';
import { parseYaml } from '../../private/yaml-read';

/**
 * A folder of the GitOps repository that the output's own wiring tells Flux or Argo CD to read:
 * a Flux Kustomization's `spec.path` (from a GitRepository), an Argo CD Application's `source.path`
 * (from this repository).
 */
export interface WiringRead {
  /** The output file holding the reference (`clusters/prod/Kustomization.prod.yaml`). */
  readonly file: string;
  readonly tool: 'Flux' | 'Argo CD';
  /** The path as written (`./dist/layers/prod/data`). */
  readonly path: string;
  /**
   * The branch it is read from, where the wiring names one (the GitRepository's `spec.ref.branch`, the
   * Application's `targetRevision` other than `HEAD`); undefined: the repository's default branch, a tag,
   * or a source the output does not define.
   */
  readonly revision?: string;
}

/** A read whose folder the commit would not hold, and why. */
export interface UnresolvedRead {
  readonly read: WiringRead;
  readonly reason: string;
  /**
   * The leading folders of the read's path that are not where the output is: `gitops` when the wiring
   * reads `./gitops/layers/prod` and the output holds `layers/prod` (undefined: no such folder at all).
   */
  readonly wiringPrefix?: string;
}

const FLUX_KUSTOMIZATION = /^kustomize\.toolkit\.fluxcd\.io\//;
const FLUX_SOURCE = /^source\.toolkit\.fluxcd\.io\//;
const ARGO_CD = /^argoproj\.io\//;

function parsed(content: string): any {
  try {
    const value = parseYaml(content);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * The folders of this repository the output's wiring reads (`clusters/` for Flux, `argocd/` for
 * Argo CD), from the objects as Flux and Argo CD read them:
 *
 * - every Flux Kustomization whose `sourceRef` is a GitRepository: the wiring reads its own output
 *   from it (a source the output defines, on the branch it names, or an existing one). Kustomizations
 *   of an OCIRepository or a Bucket read an artifact, not the commit: not listed.
 * - every Argo CD Application of the output's own repository, without a chart. Which repository that is:
 *   the `repoURL` of the Applications with a `directory` source, which the wiring renders for its own
 *   folders only (the operators' Applications are charts or kustomize folders of their projects).
 */
export function wiringReads(files: ReadonlyMap<string, { readonly content: string }>): WiringRead[] {
  const reads: WiringRead[] = [];
  const kustomizations: Array<{ file: string; object: any }> = [];
  const gitRepositories = new Map<string, any>();
  const applications: Array<{ file: string; object: any }> = [];
  for (const [file, { content }] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!file.endsWith('.yaml')) continue;
    const flux = file.startsWith('clusters/');
    if (!flux && !file.startsWith('argocd/')) continue;
    const object = parsed(content);
    const apiVersion = object?.apiVersion;
    if (typeof apiVersion !== 'string') continue;
    const cluster = file.split('/')[1];
    if (flux && FLUX_KUSTOMIZATION.test(apiVersion) && object.kind === 'Kustomization') kustomizations.push({ file, object });
    if (flux && FLUX_SOURCE.test(apiVersion) && object.kind === 'GitRepository') {
      gitRepositories.set(`${cluster}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`, object);
    }
    if (!flux && ARGO_CD.test(apiVersion) && object.kind === 'Application') applications.push({ file, object });
  }
  for (const { file, object } of kustomizations) {
    const ref = object.spec?.sourceRef;
    if (ref?.kind !== 'GitRepository' || !isString(object.spec?.path)) continue;
    const namespace = ref.namespace ?? object.metadata?.namespace ?? '';
    const source = gitRepositories.get(`${file.split('/')[1]}/${namespace}/${ref.name}`);
    const branch = source?.spec?.ref?.branch;
    reads.push({ file, tool: 'Flux', path: object.spec.path, ...(isString(branch) ? { revision: branch } : {}) });
  }
  const own = new Set(applications.map(({ object }) => object.spec?.source)
    .filter((s) => s?.directory !== undefined && isString(s.repoURL)).map((s) => s.repoURL));
  for (const { file, object } of applications) {
    const source = object.spec?.source;
    if (!own.has(source?.repoURL) || source.chart !== undefined) continue;
    const revision = source.targetRevision;
    reads.push({ file, tool: 'Argo CD', path: isString(source.path) ? source.path : '.', ...(isString(revision) && revision !== 'HEAD' ? { revision } : {}) });
  }
  return reads;
}

/** A read path as a folder of the repository (`''` its root), or undefined when it leaves the repository. */
function repositoryFolder(p: string): string | undefined {
  if (path.posix.isAbsolute(p)) return undefined;
  const normal = path.posix.normalize(p).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) return undefined;
  return normal === '.' ? '' : normal;
}

/**
 * The reads whose folder the tree about to be committed does not hold: `outputPrefix` is where the
 * output is in the repository (`''`: its root), `outputFiles` the paths of the output's files (relative
 * to it). A folder is held when a file of the output is inside it.
 */
export function unresolvedReads(reads: readonly WiringRead[], outputPrefix: string, outputFiles: readonly string[]): UnresolvedRead[] {
  const folders = new Set<string>(['']);
  for (const f of outputFiles) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const where = outputPrefix === '' ? 'the repository\'s root' : `${outputPrefix}/`;
  const out: UnresolvedRead[] = [];
  for (const read of reads) {
    const folder = repositoryFolder(read.path);
    if (folder === undefined) {
      out.push({ read, reason: 'a path outside the repository' });
      continue;
    }
    const inside = outputPrefix === '' ? folder : folder === outputPrefix ? '' : folder.startsWith(`${outputPrefix}/`) ? folder.slice(outputPrefix.length + 1) : undefined;
    if (inside !== undefined && folders.has(inside)) continue;
    // the same folder of the output under other leading folders: the wiring was written for another place
    const parts = folder === '' ? [] : folder.split('/');
    let wiringPrefix: string | undefined;
    for (let i = 0; i <= parts.length; i++) {
      const rest = parts.slice(i).join('/');
      if (rest !== '' && folders.has(rest)) {
        wiringPrefix = parts.slice(0, i).join('/');
        break;
      }
    }
    out.push({
      read,
      reason: inside === undefined ? `outside the output (published at ${where})` : `a folder the output does not have (published at ${where})`,
      ...(wiringPrefix !== undefined ? { wiringPrefix } : {}),
    });
  }
  return out;
}

/** How to make the wiring and the place of the output agree, for a refusal's message. */
export function wiringFix(unresolved: readonly UnresolvedRead[], outputPrefix: string): string {
  const prefixes = new Set(unresolved.map((u) => u.wiringPrefix));
  const tools = [...new Set(unresolved.map((u) => u.read.tool))].sort();
  const option = tools.map((t) => (t === 'Flux' ? 'flux.repositoryPath' : 'argoCd.repositoryPath')).join(' / ');
  const here = outputPrefix === '' ? (tools.length === 1 && tools[0] === 'Argo CD' ? '"."' : '"./"') : `"${tools.includes('Flux') ? './' : ''}${outputPrefix}"`;
  if (prefixes.size === 1) {
    const [prefix] = prefixes;
    if (prefix !== undefined) {
      const flag = prefix === '' ? '.' : prefix;
      return `the wiring reads the output at ${prefix === '' ? 'the repository\'s root' : `${prefix}/`}: publish with --path ${flag}, or set ${option} to ${here}`;
    }
  }
  return `set ${option} to ${here} (where this publish writes the output), or publish with the --path the wiring was written for`;
}
