import { PodLike, PodSecurityCheck, PodSecurityViolation, PssLevel, PssVersion } from './types';
import { pssMinor } from './version';
import { ObjectFact } from '../evaluation-scope';

/** Documentation of the standard. */
export const PSS_HELP_URI = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';

/** What one behaviour of a check looks at: the pod, with `metadata` and `spec` always objects. */
export interface NormalizedPod {
  readonly metadata: Record<string, any>;
  readonly spec: Record<string, any>;
}

/** One behaviour of a check, in force from `since` (a minor of Kubernetes 1.x) until the next one. */
export interface CheckBehaviour {
  /** Kubernetes minor the behaviour applies from (`1.<since>`). */
  readonly since: number;
  /** Upstream ids of the baseline checks this behaviour replaces at the restricted level. */
  readonly overrides?: readonly string[];
  /** The violations (empty when compliant). */
  readonly check: (pod: NormalizedPod) => PodSecurityViolation[];
}

/** The definition of a check. */
export interface CheckDefinition {
  readonly id: string;
  readonly upstreamId: string;
  readonly level: PssLevel;
  readonly title: string;
  readonly description: string;
  readonly explanation: string;
  readonly fix: string;
  /** Behaviours, oldest first. */
  readonly behaviours: readonly CheckBehaviour[];
}

/** Builds a check from its versioned behaviours (upstream `VersionedCheck`s). */
export function defineCheck(def: CheckDefinition): PodSecurityCheck {
  const behaviours = [...def.behaviours].sort((a, b) => a.since - b.since);
  if (behaviours.length === 0) {
    throw new Error(`check ${def.id} has no behaviour`);
  }
  // asked for every pod: the answer for the last version is kept (parsed versions are shared)
  let lastVersion: PssVersion | undefined;
  let lastBehaviour: CheckBehaviour | undefined;
  const behaviourAt = (version: PssVersion): CheckBehaviour | undefined => {
    if (version === lastVersion) return lastBehaviour;
    lastBehaviour = findBehaviour(version);
    lastVersion = version;
    return lastBehaviour;
  };
  const findBehaviour = (version: PssVersion): CheckBehaviour | undefined => {
    const minor = pssMinor(version);
    let found: CheckBehaviour | undefined;
    for (const b of behaviours) {
      if (b.since <= minor) {
        found = b;
      }
    }
    return found;
  };
  return {
    id: def.id,
    upstreamId: def.upstreamId,
    level: def.level,
    title: def.title,
    description: def.description,
    explanation: def.explanation,
    fix: def.fix,
    helpUri: PSS_HELP_URI,
    versions: behaviours.map(b => `1.${b.since}`),
    existsIn: (version: PssVersion) => behaviourAt(version) !== undefined,
    overridesAt: (version: PssVersion) => behaviourAt(version)?.overrides ?? [],
    evaluate: (pod: PodLike, version: PssVersion) => {
      const behaviour = behaviourAt(version);
      return behaviour ? behaviour.check(NORMALIZED_PODS.of(pod)) : undefined;
    },
  };
}

/** Every check of a pod normalizes it: once per pod and evaluation. */
const NORMALIZED_PODS = new ObjectFact<NormalizedPod>(normalizePod);

/** `metadata` and `spec` as objects (a missing or malformed one is empty). */
export function normalizePod(pod: PodLike | undefined): NormalizedPod {
  return { metadata: asObject(pod?.metadata), spec: asObject(pod?.spec) };
}

/** `value` if it is a plain object, otherwise `{}`. */
export function asObject(value: unknown): Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, any> : {};
}

/** `value` if it is an array, otherwise `[]`. */
export function asArray(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

/** Whether a field is set (Go: a non-nil pointer); `null` counts as unset, like in the API. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Escapes one JSON pointer token (RFC 6901). */
export function escapePointerToken(token: string | number): string {
  const s = String(token);
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/** Joins JSON pointer tokens: `pointer('/spec', 'containers', 0)` → `/spec/containers/0`. */
export function pointer(base: string, ...tokens: (string | number)[]): string {
  let out = base;
  for (let i = 0; i < tokens.length; i++) out += '/' + escapePointerToken(tokens[i]);
  return out;
}

/** A value for a message: strings quoted, the rest as JSON. */
export function show(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  return JSON.stringify(value);
}

/** The kind of container list an entry comes from. */
export type ContainerKind = 'initContainers' | 'containers' | 'ephemeralContainers';

/** One container of the pod, where it is, and how to name it in messages. */
export interface ContainerRef {
  /** The container object (`{}` when malformed). */
  readonly container: Record<string, any>;
  /** `container.securityContext` (`{}` when unset). */
  readonly securityContext: Record<string, any>;
  /** Which list it is in. */
  readonly kind: ContainerKind;
  /** JSON pointer of the container, e.g. `/spec/containers/0`. */
  readonly path: string;
  /** `container "api"`, `init container "migrate"`, `ephemeral container "debug"`. */
  readonly label: string;
}

const KIND_LABEL: Record<ContainerKind, string> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
};

/**
 * Every container of the pod, in the order upstream visits them: init containers, containers,
 * ephemeral containers.
 */
export function containersOf(spec: Record<string, any>): ContainerRef[] {
  return CONTAINERS.of(spec);
}

/** Every check reads the containers: listed once per pod spec and evaluation. */
const CONTAINERS = new ObjectFact<ContainerRef[]>(listContainers);

const CONTAINER_KINDS: readonly ContainerKind[] = ['initContainers', 'containers', 'ephemeralContainers'];

function listContainers(spec: Record<string, any>): ContainerRef[] {
  const result: ContainerRef[] = [];
  for (let k = 0; k < CONTAINER_KINDS.length; k++) {
    const kind = CONTAINER_KINDS[k];
    const list = asArray(spec[kind]);
    // plain loops (not forEach): every pod of every evaluation passes here, mostly before the code is optimized
    for (let index = 0; index < list.length; index++) {
      if (!(index in list)) continue; // a hole, as forEach skips it
      const container = asObject(list[index]);
      const name = typeof container.name === 'string' && container.name !== '' ? container.name : `#${index}`;
      result.push({
        container,
        securityContext: asObject(container.securityContext),
        kind,
        // the kinds and indexes need no escaping
        path: `/spec/${kind}/${index}`,
        label: `${KIND_LABEL[kind]} ${JSON.stringify(name)}`,
      });
    }
  }
  return result;
}

/** `spec.securityContext` (`{}` when unset). */
export function podSecurityContext(spec: Record<string, any>): Record<string, any> {
  return asObject(spec.securityContext);
}

/** Whether the pod declares `spec.os.name: windows` (the Windows exemptions of the standard, 1.25+). */
export function isWindowsPod(spec: Record<string, any>): boolean {
  return asObject(spec.os).name === 'windows';
}

/** Whether the pod runs in a user namespace (`spec.hostUsers: false`, KEP-127 relaxations, 1.35+). */
export function isUserNamespacePod(spec: Record<string, any>): boolean {
  return spec.hostUsers === false;
}
