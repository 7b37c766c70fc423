/**
 * Which other nodes are alive, from their heartbeats: pure bookkeeping on a clock's time, so it
 * is tested exactly; the bus feeds it frames and timer ticks and turns its events into
 * nodeUp/nodeDown calls.
 */
export interface LivenessEvent {
  type: 'up' | 'down';
  nodeId: string;
}

interface Peer {
  incarnation: number;
  lastSeen: number;
  /** Said goodbye: heartbeats of this incarnation still in flight are ignored. */
  left: boolean;
}

/** Entries of nodes that are down are forgotten after this many dead windows. */
const FORGET_AFTER_WINDOWS = 10;

export class PeerLiveness {
  private readonly known = new Map<string, Peer>();
  private readonly alive = new Set<string>();

  constructor(private readonly deadAfterMs: number) {}

  /** Nodes currently up. */
  get peers(): ReadonlySet<string> {
    return this.alive;
  }

  /** The life (incarnation) of a node that is up, 'gone' for one known to be down, undefined if never heard. */
  lifeOf(nodeId: string): number | 'gone' | undefined {
    const peer = this.known.get(nodeId);
    if (!peer) return undefined;
    return this.alive.has(nodeId) ? peer.incarnation : 'gone';
  }

  /**
   * A heartbeat. A new node, or one heard again after being down, comes up; a node heard with a
   * new incarnation restarted without being noticed: it goes down (its old life is over) and up.
   */
  heard(nodeId: string, incarnation: number, now: number): LivenessEvent[] {
    const peer = this.known.get(nodeId);
    if (!peer) {
      this.known.set(nodeId, { incarnation, lastSeen: now, left: false });
      this.alive.add(nodeId);
      return [{ type: 'up', nodeId }];
    }
    if (peer.incarnation !== incarnation) {
      const wasUp = this.alive.has(nodeId);
      peer.incarnation = incarnation;
      peer.lastSeen = now;
      peer.left = false;
      this.alive.add(nodeId);
      return wasUp
        ? [
            { type: 'down', nodeId },
            { type: 'up', nodeId },
          ]
        : [{ type: 'up', nodeId }];
    }
    if (peer.left) return [];
    peer.lastSeen = now;
    if (this.alive.has(nodeId)) return [];
    this.alive.add(nodeId);
    return [{ type: 'up', nodeId }];
  }

  /** A goodbye: the node is down at once (only the incarnation that said it). */
  goodbye(nodeId: string, incarnation: number, now: number): LivenessEvent[] {
    const peer = this.known.get(nodeId);
    if (!peer || peer.incarnation !== incarnation) return [];
    peer.left = true;
    peer.lastSeen = now;
    if (!this.alive.delete(nodeId)) return [];
    return [{ type: 'down', nodeId }];
  }

  /** Nodes not heard within the window go down. */
  expire(now: number): LivenessEvent[] {
    const events: LivenessEvent[] = [];
    for (const [nodeId, peer] of this.known) {
      const silent = now - peer.lastSeen;
      if (this.alive.has(nodeId)) {
        if (silent > this.deadAfterMs) {
          this.alive.delete(nodeId);
          events.push({ type: 'down', nodeId });
        }
      } else if (silent > this.deadAfterMs * FORGET_AFTER_WINDOWS) {
        this.known.delete(nodeId);
      }
    }
    return events;
  }

  /**
   * Restarts every live node's window: after this node's own transport was down, not having
   * heard from the others says nothing about them.
   */
  refresh(now: number): void {
    for (const nodeId of this.alive) {
      const peer = this.known.get(nodeId);
      if (peer) peer.lastSeen = now;
    }
  }

  clear(): void {
    this.known.clear();
    this.alive.clear();
  }
}
