/** Why a message was not delivered to one subscriber. */
export type DropReason =
  'congested' | 'queue_full' | 'packet_too_large' | 'offline_qos0' | 'not_authorized' | 'no_member';

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

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  droppedTotal(): number {
    let total = 0;
    for (const n of this.dropped.values()) total += n;
    return total;
  }
}
