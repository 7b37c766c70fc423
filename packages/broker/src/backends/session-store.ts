import type { Properties, QoS, Will } from '@flockmq/protocol';
import type { Message } from '../message';

/** Options of one subscription, as granted. */
export interface SubscriptionOptions {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId: number | undefined;
}

export interface StoredSubscription extends SubscriptionOptions {
  /** The filter as the client sent it, `$share/{group}/…` included. */
  filter: string;
}

/** A message owned by one session on its way out: queued, or in flight. */
export interface PendingMessage {
  message: Message;
  /** Granted QoS for this delivery: min(message QoS, subscription QoS). */
  qos: QoS;
  /** The RETAIN flag to send. */
  retain: boolean;
  subscriptionIds: number[] | undefined;
  /**
   * Position in the session's outbound order, assigned when the session takes the message (by
   * the store for durable sessions). The packet id is derived from it (packetIdForSeq), so a
   * node that resumes the session after a crash resends with the same packet id and a QoS 2
   * receiver recognises the duplicate. 0 until assigned.
   */
  seq: number;
  /** 'queued' → 'sent' (PUBLISH sent) → 'released' (QoS 2: PUBREC received, PUBREL sent). */
  state: 'queued' | 'sent' | 'released';
  /** Shared group `{group}/{filter}` the message was handed out by, if any. */
  sharedGroup: string | undefined;
}

/** Packet id of the message at a sequence number: 1–65535, cycling. */
export function packetIdForSeq(seq: number): number {
  return ((seq - 1) % 65535) + 1;
}

/** A will as stored with its session, so any node can publish it if the owner dies (G6). */
export interface StoredWill extends Will {
  delayInterval: number;
  properties?: Properties;
}

/** Everything needed to resume a session on any node. */
export interface SessionState {
  clientId: string;
  /** The authenticated identity that owns this client id (G2: another user cannot take it over). */
  username: string | undefined;
  protocolVersion: 3 | 4 | 5;
  /** Session Expiry Interval in seconds; 0xFFFFFFFF never expires. */
  expiryInterval: number;
  subscriptions: StoredSubscription[];
  /** Outbound messages not yet completed, in seq order. */
  pending: PendingMessage[];
  /** Inbound QoS 2 packet ids received (PUBREC sent) and not yet released by PUBREL. */
  inboundQoS2: number[];
  /** When the last connection closed (ms); undefined while connected. */
  disconnectedAt: number | undefined;
  /** The will of the live connection, kept so it can be published if its node dies. */
  will: StoredWill | undefined;
  /** Highest seq handed out so far (the next message gets lastSeq + 1). */
  lastSeq: number;
}

export interface Ownership {
  /** Fencing token: grows with every claim of the client id. */
  epoch: number;
  nodeId: string;
}

export interface Claim extends Ownership {
  /** Who owned the client id before this claim, if anyone. */
  previous: Ownership | undefined;
}

/** What the owner of a live session changes in it, written through in one step. */
export interface SessionChanges {
  /** Subscriptions to add or replace. */
  subscribe?: StoredSubscription[];
  /** Filters to remove. */
  unsubscribe?: string[];
  /** Seqs whose delivery completed (PUBACK, PUBCOMP, or dropped): removed. */
  completed?: number[];
  /**
   * Seqs that were sent and are still unacknowledged when a connection ends, so the next one
   * resends them with DUP set [MQTT-3.3.1-1]. (After a crash they are resent without DUP.)
   */
  sent?: number[];
  /** Seqs of QoS 2 deliveries the client acknowledged with PUBREC (PUBREL now due). */
  released?: number[];
  inboundQoS2Add?: number[];
  inboundQoS2Remove?: number[];
  expiryInterval?: number;
  /** null: connected again. */
  disconnectedAt?: number | null;
  /** null: no will (cleared by a normal DISCONNECT, or published). */
  will?: StoredWill | null;
}

export type AppendOutcome =
  | { result: 'queued'; seq: number }
  /** The queue was full: the oldest queued message was dropped to make room. */
  | { result: 'dropped-oldest'; seq: number }
  /** The queue was full: this message was not stored. */
  | { result: 'dropped-new' }
  | { result: 'no-session' };

/**
 * Durable state of persistent sessions, written through by the node that owns each session's
 * connection, and appended to by any node that routes a message to it. Owner writes are fenced
 * by the epoch from claim(): a node that lost ownership can no longer change the session (G2).
 */
export interface SessionStore {
  /** Takes ownership of a client id for a node; the new epoch is strictly greater than any before. */
  claim(clientId: string, nodeId: string): Promise<Claim>;
  /** Current owner, if any. */
  owner(clientId: string): Promise<Ownership | undefined>;
  /** Gives up ownership (the session stays). False when the epoch no longer owns it. */
  release(clientId: string, epoch: number): Promise<boolean>;
  load(clientId: string): Promise<SessionState | undefined>;
  /** Creates or replaces the whole session; rejects with FLOCK_ERR_FENCED when epoch is not current. */
  save(state: SessionState, epoch: number): Promise<void>;
  /** Applies the owner's changes in one step; rejects with FLOCK_ERR_FENCED when epoch is not current. */
  update(clientId: string, epoch: number, changes: SessionChanges): Promise<void>;
  /**
   * Appends a message (its seq and state are assigned here) to a session's queue, bounded by
   * maxQueued queued (not in-flight) messages with the given policy.
   */
  append(
    clientId: string,
    message: PendingMessage,
    maxQueued: number,
    policy: 'drop-oldest' | 'drop-new',
  ): Promise<AppendOutcome>;
  /**
   * Deletes a session's state (not its ownership: see release); with an epoch, only if that epoch
   * still owns it. Returns whether one existed.
   */
  delete(clientId: string, epoch?: number): Promise<boolean>;
  /** Client ids of stored sessions (for expiry sweeps and the admin API). */
  list(): Promise<string[]>;
  /** Client ids a node owns (to clean up after it when it dies). */
  ownedBy(nodeId: string): Promise<string[]>;
}
