/**
 * Smooth weighted round robin (as in nginx): over a run of picks each candidate is chosen in
 * proportion to its weight, interleaved rather than in bursts. Used to spread a shared group's
 * messages over nodes by how many members each has, so the spread is even over members (G3).
 */
export class WeightedPicker {
  private readonly current = new Map<string, Map<string, number>>();

  pick(key: string, weights: ReadonlyMap<string, number>): string | undefined {
    let state = this.current.get(key);
    if (!state) this.current.set(key, (state = new Map()));
    let total = 0;
    let best: string | undefined;
    let bestWeight = -Infinity;
    for (const [candidate, weight] of weights) {
      if (weight <= 0) continue;
      total += weight;
      const value = (state.get(candidate) ?? 0) + weight;
      state.set(candidate, value);
      if (value > bestWeight) {
        bestWeight = value;
        best = candidate;
      }
    }
    if (best === undefined) return undefined;
    state.set(best, bestWeight - total);
    for (const candidate of state.keys()) if (!weights.has(candidate)) state.delete(candidate);
    return best;
  }

  forget(key: string): void {
    this.current.delete(key);
  }
}
