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
// Most sessions are in no shared group: they share this empty set instead of holding one each.
const NO_KEYS: ReadonlySet<string> = new Set();
const NO_IDS: ReadonlySet<number> = new Set();
const NO_INFLIGHT: ReadonlyMap<number, PendingMessage> = new Map();
const NO_SUBSCRIPTIONS: ReadonlyMap<string, StoredSubscription> = new Map();

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
  // The maps and sets below are made on first use: an idle connection's session holds none of
  // them (an empty Map costs about 200 bytes, and a node holds sessions by the hundred thousand).
  private inflightById: Map<number, PendingMessage> | undefined;
  /** Outbound messages waiting for room in the in-flight window. */
  readonly queue = new RingBuffer<PendingMessage>();
  private inboundQoS2Ids: Set<number> | undefined;
  /** Sequence numbers of a non-durable session (a durable one gets them from the store). */
  lastSeq = 0;
  /** The store's last seq when this session was loaded: a message appended later is not in the load. */
  seqAtLoad = 0;
  /** Changes not yet written to the store (durable sessions only). */
  changes: SessionChanges | undefined;
  private subs: Map<string, StoredSubscription> | undefined;
  /** `{group}/{filter}` of the shared subscriptions among them, kept apart for the ack path. */
  private sharedKeys: Set<string> | undefined;

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
      else session.setInflight(packetIdForSeq(pending.seq), { ...pending });
    }
    for (const id of state.inboundQoS2) session.addInboundQoS2(id);
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
      subscriptions: [...this.subscriptions.values()].map((s) => ({ ...s })),
      pending: [...this.inflight.values(), ...this.queue.toArray()].map((p) => ({ ...p })),
      inboundQoS2: [...this.inboundQoS2],
      disconnectedAt,
      will,
      lastSeq: this.lastSeq,
    };
  }

  /** Outbound QoS 1/2 messages sent and not yet completed, by packet id, in send order. */
  get inflight(): ReadonlyMap<number, PendingMessage> {
    return this.inflightById ?? NO_INFLIGHT;
  }

  setInflight(packetId: number, pending: PendingMessage): void {
    (this.inflightById ??= new Map()).set(packetId, pending);
  }

  deleteInflight(packetId: number): boolean {
    return this.inflightById?.delete(packetId) ?? false;
  }

  /** Inbound QoS 2 packet ids received and not yet released by PUBREL [MQTT-4.3.3-9]. */
  get inboundQoS2(): ReadonlySet<number> {
    return this.inboundQoS2Ids ?? NO_IDS;
  }

  addInboundQoS2(packetId: number): void {
    (this.inboundQoS2Ids ??= new Set()).add(packetId);
  }

  deleteInboundQoS2(packetId: number): boolean {
    return this.inboundQoS2Ids?.delete(packetId) ?? false;
  }

  get subscriptions(): ReadonlyMap<string, StoredSubscription> {
    return this.subs ?? NO_SUBSCRIPTIONS;
  }

  addSubscription(subscription: StoredSubscription): void {
    (this.subs ??= new Map()).set(subscription.filter, subscription);
    if (subscription.filter.startsWith(SHARE_PREFIX))
      (this.sharedKeys ??= new Set()).add(subscription.filter.slice(SHARE_PREFIX.length));
  }

  removeSubscription(filter: string): boolean {
    if (filter.startsWith(SHARE_PREFIX)) this.sharedKeys?.delete(filter.slice(SHARE_PREFIX.length));
    return this.subs?.delete(filter) ?? false;
  }

  /** Shared-subscription keys (`group/filter`) this session is a member of. */
  get sharedGroupKeys(): ReadonlySet<string> {
    return this.sharedKeys ?? NO_KEYS;
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
