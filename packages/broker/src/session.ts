import type { ProtocolVersion } from '@flockmq/protocol';
import { RingBuffer } from './ring-buffer';
import type { PendingMessage, SessionState, StoredSubscription } from './backends/session-store';

const SHARE_PREFIX = '$share/';

/**
 * A session held in memory by the node that owns its live connection: subscriptions, the
 * outbound in-flight window and queue, and inbound QoS 2 state. It is saved to the SessionStore
 * when the connection ends and rebuilt from it on the next connect.
 */
export class Session {
  readonly clientId: string;
  username: string | undefined;
  protocolVersion: ProtocolVersion;
  expiryInterval: number;
  private readonly subs = new Map<string, StoredSubscription>();
  /** `{group}/{filter}` of the shared subscriptions among them, kept apart for the ack path. */
  private readonly sharedKeys = new Set<string>();
  /** Outbound QoS 1/2 messages sent and not yet completed, by packet id, in send order. */
  readonly inflight = new Map<number, PendingMessage>();
  /** Outbound messages waiting for room in the in-flight window. */
  readonly queue = new RingBuffer<PendingMessage>();
  /** Inbound QoS 2 packet ids received and not yet released by PUBREL [MQTT-4.3.3-9]. */
  readonly inboundQoS2 = new Set<number>();
  private lastPacketId = 0;

  constructor(clientId: string, username: string | undefined, protocolVersion: ProtocolVersion, expiryInterval: number) {
    this.clientId = clientId;
    this.username = username;
    this.protocolVersion = protocolVersion;
    this.expiryInterval = expiryInterval;
  }

  static fromState(state: SessionState): Session {
    const session = new Session(state.clientId, state.username, state.protocolVersion, state.expiryInterval);
    for (const sub of state.subscriptions) session.addSubscription({ ...sub });
    for (const pending of state.pending) {
      if (pending.state !== 'queued' && pending.packetId !== undefined) {
        session.inflight.set(pending.packetId, { ...pending });
        session.lastPacketId = pending.packetId;
      } else {
        session.queue.push({ ...pending, state: 'queued', packetId: undefined });
      }
    }
    for (const id of state.inboundQoS2) session.inboundQoS2.add(id);
    return session;
  }

  toState(disconnectedAt: number | undefined): SessionState {
    return {
      clientId: this.clientId,
      username: this.username,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      subscriptions: [...this.subs.values()].map((s) => ({ ...s })),
      pending: [...this.inflight.values(), ...this.queue.toArray()].map((p) => ({ ...p })),
      inboundQoS2: [...this.inboundQoS2],
      disconnectedAt,
    };
  }

  /** The next free packet id (1–65535, skipping ids still in flight); undefined if all are in use. */
  allocatePacketId(): number | undefined {
    if (this.inflight.size >= 65535) return undefined;
    let id = this.lastPacketId;
    do {
      id = id === 65535 ? 1 : id + 1;
    } while (this.inflight.has(id));
    this.lastPacketId = id;
    return id;
  }

  get subscriptions(): ReadonlyMap<string, StoredSubscription> {
    return this.subs;
  }

  addSubscription(subscription: StoredSubscription): void {
    this.subs.set(subscription.filter, subscription);
    if (subscription.filter.startsWith(SHARE_PREFIX)) this.sharedKeys.add(subscription.filter.slice(SHARE_PREFIX.length));
  }

  removeSubscription(filter: string): boolean {
    if (filter.startsWith(SHARE_PREFIX)) this.sharedKeys.delete(filter.slice(SHARE_PREFIX.length));
    return this.subs.delete(filter);
  }

  /** Shared-subscription keys (`group/filter`) this session is a member of. */
  get sharedGroupKeys(): ReadonlySet<string> {
    return this.sharedKeys;
  }
}
