import { topicMatches } from '@flockmq/protocol';
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
 * not yet seen the move) is passed on to the session's new node.
 */
export class MovedSessions {
  /** Oldest first: entries are only ever appended with the same lifetime. */
  private readonly moves = new Map<string, Move>();

  constructor(private readonly clock: Clock) {}

  remember(clientId: string, nodeId: string, filters: readonly string[]): void {
    const ordinary = filters.filter((filter) => !filter.startsWith('$share/'));
    if (ordinary.length === 0) return;
    const now = this.clock.now();
    for (const [id, move] of this.moves) {
      if (move.until > now && this.moves.size < MOVED_AWAY_MAX) break;
      this.moves.delete(id);
    }
    this.moves.delete(clientId);
    this.moves.set(clientId, { nodeId, filters: ordinary, until: now + MOVED_AWAY_MS });
  }

  /** The session is here again. */
  forget(clientId: string): void {
    this.moves.delete(clientId);
  }

  /** Calls back for each session (or only `onlyClient`) that moved away recently with a filter matching the topic. */
  matching(topic: string, onlyClient: string | undefined, found: (clientId: string, nodeId: string) => void): void {
    if (this.moves.size === 0) return;
    const now = this.clock.now();
    const check = (clientId: string, move: Move): void => {
      if (move.until > now && move.filters.some((filter) => topicMatches(filter, topic))) found(clientId, move.nodeId);
    };
    if (onlyClient !== undefined) {
      const move = this.moves.get(onlyClient);
      if (move) check(onlyClient, move);
      return;
    }
    for (const [clientId, move] of this.moves) check(clientId, move);
  }
}
