/**
 * A cross-slot index: a sorted set listing the members of something that lives in other slots
 * (sessions, a node's owned client ids, retained shards, nodes with routes). On Redis Cluster
 * the index and the indexed keys cannot change in one script, so the index follows two rules:
 *
 * 1. It may hold too much, never too little. Writers touch the member before the write that
 *    makes it needed (crash insurance) and again after it; readers filter out members that turn
 *    out not to be needed.
 * 2. A member is removed only by `prune`: read its score, check (elsewhere) that it is no longer
 *    needed, then remove it only if its score has not changed. Every touch raises the score, so a
 *    writer that made the member needed again after the check also changed the score (its touch
 *    after the write comes after the write the check would have seen), and the removal is skipped.
 */
import type { RedisClient, RedisScripts } from './scripts';

export interface IndexEntry {
  member: string;
  /** The score as read, compared when pruning. */
  score: string;
}

const PAGE = 1000;

export class IndexSet {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    readonly key: string,
  ) {}

  async touch(member: string): Promise<void> {
    await this.scripts.run('indexTouch', [this.key], [member]);
  }

  /**
   * Every entry, read with ZSCAN: a member present for the whole scan is returned even while
   * others are added or pruned meanwhile (paging by rank would skip some). A member seen twice
   * keeps the first score read; a stale score only makes a later prune skip it.
   */
  async entries(): Promise<IndexEntry[]> {
    const seen = new Map<string, IndexEntry>();
    let cursor = '0';
    do {
      const [next, flat] = (await this.client.zscan(this.key, cursor, 'COUNT', PAGE)) as [string, unknown[]];
      cursor = String(next);
      for (const entry of withScores(flat)) if (!seen.has(entry.member)) seen.set(entry.member, entry);
    } while (cursor !== '0');
    return [...seen.values()];
  }

  async members(): Promise<string[]> {
    return (await this.entries()).map((entry) => entry.member);
  }

  /**
   * Removes the entries that `needed` says are not needed, unless they were touched since they
   * were read. Returns the entries that were needed.
   */
  async prune(entries: readonly IndexEntry[], needed: (member: string) => Promise<boolean>): Promise<IndexEntry[]> {
    const verdicts: boolean[] = [];
    for (let i = 0; i < entries.length; i += PAGE) {
      verdicts.push(...(await Promise.all(entries.slice(i, i + PAGE).map((entry) => needed(entry.member)))));
    }
    const kept = entries.filter((_, i) => verdicts[i]);
    const stale = entries.filter((_, i) => !verdicts[i]);
    for (let i = 0; i < stale.length; i += PAGE) {
      const args = stale.slice(i, i + PAGE).flatMap((entry) => [entry.member, entry.score]);
      await this.scripts.run('indexPrune', [this.key], args);
    }
    return kept;
  }

  /** Prunes one member if it is no longer needed. */
  async pruneMember(member: string, needed: (member: string) => Promise<boolean>): Promise<void> {
    const score = await this.client.zscore(this.key, member);
    if (score === null) return;
    await this.prune([{ member, score: String(score) }], needed);
  }
}

/** Member/score replies come flat (RESP2, ZSCAN) or as pairs (RESP3 ZRANGE): both become entries. */
function withScores(reply: unknown[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  if (reply.length > 0 && Array.isArray(reply[0])) {
    for (const pair of reply as unknown[][]) out.push({ member: String(pair[0]), score: String(pair[1]) });
  } else {
    for (let i = 0; i + 1 < reply.length; i += 2) out.push({ member: String(reply[i]), score: String(reply[i + 1]) });
  }
  return out;
}
