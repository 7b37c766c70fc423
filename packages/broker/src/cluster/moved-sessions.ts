import { TopicTrie, topicMatches } from '@flockmq/protocol';
import type { Clock } from '../clock';

/** How long a node passes on messages for a session that moved away (far longer than a route delta takes). */
const MOVED_AWAY_MS = 10_000;
const MOVED_AWAY_MAX = 100_000;

interface Move {
  nodeId: string;
  filters: string[];
  until: number;
}

/**
 * G2: the sessions that moved from this node to another one in the last few seconds. A message
 * that still reaches this node by such a session's old routes (sent by a node whose replica had
 * not yet seen the move) is passed on to the session's new node. Filters are kept in a trie, so a
 * publish costs one match however many sessions just moved (a rebalance moves thousands).
 */
export class MovedSessions {
  /** Oldest first: entries are only ever appended with the same lifetime. */
  private readonly moves = new Map<string, Move>();
  /** filter → client ids that had it. */
  private readonly byFilter = new TopicTrie<Set<string>>();

  constructor(private readonly clock: Clock) {}

  remember(clientId: string, nodeId: string, filters: readonly string[]): void {
    const ordinary = filters.filter((filter) => !filter.startsWith('$share/'));
    if (ordinary.length === 0) return;
    const now = this.clock.now();
    for (const [id, move] of this.moves) {
      if (move.until > now && this.moves.size < MOVED_AWAY_MAX) break;
      this.forget(id);
    }
    this.forget(clientId);
    this.moves.set(clientId, { nodeId, filters: ordinary, until: now + MOVED_AWAY_MS });
    for (const filter of ordinary) {
      let clients = this.byFilter.get(filter);
      if (!clients) this.byFilter.set(filter, (clients = new Set()));
      clients.add(clientId);
    }
  }

  /** The session is here again (or its time is up). */
  forget(clientId: string): void {
    const move = this.moves.get(clientId);
    if (!move) return;
    this.moves.delete(clientId);
    for (const filter of move.filters) {
      const clients = this.byFilter.get(filter);
      clients?.delete(clientId);
      if (clients?.size === 0) this.byFilter.delete(filter);
    }
  }

  /** Calls back once per session (or only `onlyClient`) that moved away recently with a filter matching the topic. */
  matching(topic: string, onlyClient: string | undefined, found: (clientId: string, nodeId: string) => void): void {
    if (this.moves.size === 0) return;
    const now = this.clock.now();
    if (onlyClient !== undefined) {
      const move = this.moves.get(onlyClient);
      if (move && move.until > now && move.filters.some((filter) => topicMatches(filter, topic))) {
        found(onlyClient, move.nodeId);
      }
      return;
    }
    let seen: Set<string> | undefined;
    this.byFilter.match(topic, (clients) => {
      for (const clientId of clients) {
        const move = this.moves.get(clientId);
        if (!move || move.until <= now || seen?.has(clientId)) continue;
        (seen ??= new Set()).add(clientId);
        found(clientId, move.nodeId);
      }
    });
  }
}
