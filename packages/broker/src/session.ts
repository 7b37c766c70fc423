import type { ProtocolVersion } from '@flockmq/protocol';
import { RingBuffer } from './ring-buffer';
import { packetIdForSeq } from './backends/session-store';
import type {
  PendingMessage,
  SessionChanges,
  SessionState,
  StoredSubscription,
  StoredWill,
} from './backends/session-store';

const SHARE_PREFIX = '$share/';

/**
 * A session held in memory by the node that owns its live connection: subscriptions, the
 * outbound in-flight window and queue, and inbound QoS 2 state.
 *
 * A durable session (Session Expiry Interval > 0) is written through to the SessionStore: every
 * QoS 1/2 message is appended there before it is sent, and what changes here is collected in
 * `changes` and written in one step per turn of the event loop. A non-durable one lives only here.
 */
export class Session {
  readonly clientId: string;
  username: string | undefined;
  protocolVersion: ProtocolVersion;
  expiryInterval: number;
  /** Outbound QoS 1/2 messages sent and not yet completed, by packet id, in send order. */
  readonly inflight = new Map<number, PendingMessage>();
  /** Outbound messages waiting for room in the in-flight window. */
  readonly queue = new RingBuffer<PendingMessage>();
  /** Inbound QoS 2 packet ids received and not yet released by PUBREL [MQTT-4.3.3-9]. */
  readonly inboundQoS2 = new Set<number>();
  /** Sequence numbers of a non-durable session (a durable one gets them from the store). */
  lastSeq = 0;
  /** The store's last seq when this session was loaded: a message appended later is not in the load. */
  seqAtLoad = 0;
  /** Changes not yet written to the store (durable sessions only). */
  changes: SessionChanges | undefined;
  private readonly subs = new Map<string, StoredSubscription>();
  /** `{group}/{filter}` of the shared subscriptions among them, kept apart for the ack path. */
  private readonly sharedKeys = new Set<string>();

  constructor(
    clientId: string,
    username: string | undefined,
    protocolVersion: ProtocolVersion,
    expiryInterval: number,
  ) {
    this.clientId = clientId;
    this.username = username;
    this.protocolVersion = protocolVersion;
    this.expiryInterval = expiryInterval;
  }

  /** Written through to the store: it outlives its connection. */
  get durable(): boolean {
    return this.expiryInterval > 0;
  }

  static fromState(state: SessionState): Session {
    const session = new Session(state.clientId, state.username, state.protocolVersion, state.expiryInterval);
    for (const sub of state.subscriptions) session.addSubscription({ ...sub });
    for (const pending of state.pending) {
      if (pending.state === 'queued') session.queue.push({ ...pending });
      else session.inflight.set(packetIdForSeq(pending.seq), { ...pending });
    }
    for (const id of state.inboundQoS2) session.inboundQoS2.add(id);
    session.lastSeq = state.lastSeq;
    session.seqAtLoad = state.lastSeq;
    return session;
  }

  toState(disconnectedAt: number | undefined, will: StoredWill | undefined): SessionState {
    return {
      clientId: this.clientId,
      username: this.username,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      subscriptions: [...this.subs.values()].map((s) => ({ ...s })),
      pending: [...this.inflight.values(), ...this.queue.toArray()].map((p) => ({ ...p })),
      inboundQoS2: [...this.inboundQoS2],
      disconnectedAt,
      will,
      lastSeq: this.lastSeq,
    };
  }

  get subscriptions(): ReadonlyMap<string, StoredSubscription> {
    return this.subs;
  }

  addSubscription(subscription: StoredSubscription): void {
    this.subs.set(subscription.filter, subscription);
    if (subscription.filter.startsWith(SHARE_PREFIX))
      this.sharedKeys.add(subscription.filter.slice(SHARE_PREFIX.length));
  }

  removeSubscription(filter: string): boolean {
    if (filter.startsWith(SHARE_PREFIX)) this.sharedKeys.delete(filter.slice(SHARE_PREFIX.length));
    return this.subs.delete(filter);
  }

  /** Shared-subscription keys (`group/filter`) this session is a member of. */
  get sharedGroupKeys(): ReadonlySet<string> {
    return this.sharedKeys;
  }

  /** Records a change to write through; returns true when it is the first since the last write. */
  record(change: (changes: SessionChanges) => void): boolean {
    if (!this.durable) return false;
    const first = this.changes === undefined;
    this.changes ??= {};
    change(this.changes);
    return first;
  }

  /** Takes the collected changes (to write them). */
  takeChanges(): SessionChanges | undefined {
    const changes = this.changes;
    this.changes = undefined;
    return changes;
  }
}
