/** Levenshtein distance (insertions, deletions, substitutions), case-sensitive. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `input` (case-insensitive): one containing it or contained in it (the
 * shortest), else the one at the smallest edit distance if that is at most 40% of its length.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const wanted = input.toLowerCase().trim();
  if (wanted === '') return undefined;
  const bare = (s: string) => s.toLowerCase().replace(/^[a-z0-9]+-/, '');
  const containing = candidates
    .filter((c) => c.toLowerCase().includes(wanted) || (wanted.includes(bare(c)) && bare(c).length >= 4))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  if (containing.length > 0) return containing[0];
  let best: { candidate: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = Math.min(editDistance(wanted, c.toLowerCase()), editDistance(wanted, bare(c)));
    if (!best || distance < best.distance) best = { candidate: c, distance };
  }
  return best && best.distance <= Math.max(2, Math.ceil(best.candidate.length * 0.4)) ? best.candidate : undefined;
}
