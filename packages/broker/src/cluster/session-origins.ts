import type { Clock } from '../clock';

/**
 * How long a session moved here still takes forwards retried for the node it came from: longer
 * than a forward is retried (30 s by default) plus the time to notice a node's death.
 */
export const SESSION_ORIGIN_WINDOW_MS = 120_000;

/**
 * Which node the sessions here came from, when they came from another one: adopted from a dead
 * node, or taken over from a node by a CONNECT here (G1, G2).
 *
 * A QoS 1/2 forward to a node that died is retried once the node is cleaned up, marked with that
 * node: the receiver delivers it only to the sessions that came from there (the others already
 * had it). A session moved here by a CONNECT just before its old node went away (a drain, a
 * crash) is one of them, so it is remembered for `windowMs` after the move; an adopted offline
 * session is remembered until it is resumed, then for `windowMs` more.
 */
export class SessionOrigins {
  /** Insertion order is expiry order, except for adopted offline sessions (no expiry yet). */
  private readonly entries = new Map<string, { nodeId: string; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /** An offline session adopted from a dead node. */
  adopted(clientId: string, nodeId: string): void {
    this.entries.delete(clientId);
    this.entries.set(clientId, { nodeId, until: Number.POSITIVE_INFINITY });
  }

  /** A session now live here: taken from `from` (another node), or resumed from this node's own store. */
  connected(clientId: string, from: string | undefined): void {
    const nodeId = from ?? this.entries.get(clientId)?.nodeId;
    this.entries.delete(clientId);
    if (nodeId !== undefined) this.entries.set(clientId, { nodeId, until: this.clock.now() + this.windowMs });
    this.prune();
  }

  forget(clientId: string): void {
    this.entries.delete(clientId);
  }

  from(clientId: string): string | undefined {
    const entry = this.entries.get(clientId);
    return entry && entry.until > this.clock.now() ? entry.nodeId : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [clientId, entry] of this.entries) {
      if (entry.until > now) return;
      this.entries.delete(clientId);
    }
  }
}
