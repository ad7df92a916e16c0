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
  const full = () => analyzeChanges(previous.objects, next);
  if (!unchanged || unchanged.files.size === 0) return full();

  // the one new object written to each unchanged file, in the place the path says
  const twinOf = new Map<string, NextObject>();
  for (const o of next) {
    if (!unchanged.files.has(o.file)) continue;
    if (twinOf.has(o.file)) return full();
    twinOf.set(o.file, o);
  }
  const skippedIds = new Set<string>();
  for (const [file, where] of unchanged.files) {
    const o = twinOf.get(file);
    if (o === undefined || scopeOf(o) !== scopeOf(where)) return full();
    const id = identity(o);
    if (skippedIds.has(id)) return full();
    skippedIds.add(id);
  }
  // nobody else may hold a skipped identity (the full comparison keys objects by identity)
  const kept = next.filter((o) => twinOf.get(o.file) !== o);
  if (kept.some((o) => skippedIds.has(identity(o)))) return full();
  if (unchanged.changed.some((o) => skippedIds.has(identity(o)))) return full();
  return analyzeChanges([...unchanged.changed], kept, next);
}
