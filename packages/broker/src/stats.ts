/** Why a message was not delivered to one subscriber. */
export type DropReason =
  'congested' | 'queue_full' | 'packet_too_large' | 'offline_qos0' | 'not_authorized' | 'no_member';

/** How a takeover ended: from a connection on this node, from another node, or lost to a racing CONNECT. */
export type TakeoverResult = 'local' | 'remote' | 'lost_race';

/**
 * Plain counters the broker keeps on its hot paths (cheap increments); the server's metrics
 * and `$SYS` topics read them.
 */
export class BrokerStats {
  connectionsOpened = 0;
  connectionsClosed = 0;
  messagesPublished = 0;
  messagesDelivered = 0;
  messagesQueued = 0;
  messagesExpired = 0;
  takeovers = 0;
  /** CONNECTs delayed because their client id was flapping. */
  flapDelays = 0;
  willsPublished = 0;
  sessionsExpired = 0;
  readonly dropped = new Map<DropReason, number>();
  readonly takeoverResults = new Map<TakeoverResult, number>();
  /** Told of every takeover with how long the CONNECT took to get its session (for a histogram). */
  onTakeover: ((result: TakeoverResult, durationMs: number) => void) | undefined;

  takeover(result: TakeoverResult, durationMs: number): void {
    this.takeoverResults.set(result, (this.takeoverResults.get(result) ?? 0) + 1);
    this.onTakeover?.(result, durationMs);
  }

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  droppedTotal(): number {
    let total = 0;
    for (const n of this.dropped.values()) total += n;
    return total;
  }
}
