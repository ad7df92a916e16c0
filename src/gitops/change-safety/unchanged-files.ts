import { analyzeChanges, ChangeSet, identity, NextObject, scopeOf } from './analyze';
import { PreviousOutput, unchangedFilesOf } from './previous-output';

/**
 * `analyzeChanges(previous.objects, next)` without looking at the files whose bytes did not
 * change (the previous output was read with the new output's contents): the object of such a file
 * is the new object written to it, so it is neither added, removed, renamed nor changed, and
 * leaving the pair out changes nothing else — provided the pair is the only holder of its
 * identity on both sides. Anything else (a file shared by two new objects, an identity held twice,
 * a scope that differs from the path's) takes the full comparison, so the change set and the
 * risks are always exactly those of the full comparison.
 */
export function analyzeSkippingUnchanged(previous: PreviousOutput, next: NextObject[]): ChangeSet {
  const unchanged = unchangedFilesOf(previous);
  const full = () => analyzeChanges(previous.objects, next, next, previous.clusters);
  if (!unchanged || unchanged.files.size === 0) return full();

  // the one new object written to each unchanged file, in the place the path says (one pass over
  // the new objects: a file shared by two of them, a scope other than the path's or an identity held
  // twice among them takes the full comparison); the others kept
  const twinned = new Set<string>();
  const kept: NextObject[] = [];
  const skippedIds = new Set<string>();
  for (const o of next) {
    const where = unchanged.files.get(o.file);
    if (where === undefined) {
      kept.push(o);
      continue;
    }
    if (twinned.has(o.file) || !sameScope(o, where)) return full();
    twinned.add(o.file);
    const id = identity(o);
    if (skippedIds.has(id)) return full();
    skippedIds.add(id);
  }
  // every unchanged file has its new object
  if (twinned.size !== unchanged.files.size) return full();
  // nobody else may hold a skipped identity (the full comparison keys objects by identity)
  if (kept.some((o) => skippedIds.has(identity(o)))) return full();
  if (unchanged.changed.some((o) => skippedIds.has(identity(o)))) return full();
  return analyzeChanges([...unchanged.changed], kept, next, previous.clusters);
}

const textOrNothing = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** `scopeOf(a) === scopeOf(b)`, without building the two strings. */
function sameScope(a: { environment?: string; cluster?: string }, b: { environment?: string; cluster?: string }): boolean {
  if (!textOrNothing(a.environment) || !textOrNothing(b.environment) || !textOrNothing(a.cluster) || !textOrNothing(b.cluster)) {
    return scopeOf(a) === scopeOf(b);
  }
  // `env:<environment>` never equals `platform:<cluster>`
  if (a.environment !== undefined || b.environment !== undefined) return a.environment === b.environment;
  return String(a.cluster) === String(b.cluster);
}
