/** Edit distance (insertions, deletions, substitutions), for did-you-mean hints. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate if it is close enough to be a typo (or the word is a prefix of it). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = candidate.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, candidate);
    if (best === undefined || score < best.score) best = { candidate, score };
  }
  const tolerance = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && best.score <= tolerance ? best.candidate : undefined;
}

/** " (did you mean 'x'?)" or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : `: did you mean '${match}'?`;
}
