import type { QoS } from '@flockmq/protocol';
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

/** A message owned by one session on its way out: queued, or in flight with a packet id. */
export interface PendingMessage {
  message: Message;
  /** Granted QoS for this delivery: min(message QoS, subscription QoS). */
  qos: QoS;
  /** The RETAIN flag to send. */
  retain: boolean;
  subscriptionIds: number[] | undefined;
  /** Set once sent (QoS > 0). */
  packetId: number | undefined;
  /** 'queued' → 'sent' (PUBLISH sent) → 'released' (QoS 2: PUBREC received, PUBREL sent). */
  state: 'queued' | 'sent' | 'released';
  /** Shared group `{group}/{filter}` the message was handed out by, if any. */
  sharedGroup: string | undefined;
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
  /** In flight first (in packet-id send order), then queued, oldest first. */
  pending: PendingMessage[];
  /** Inbound QoS 2 packet ids received (PUBREC sent) and not yet released by PUBREL. */
  inboundQoS2: number[];
  /** When the last connection closed (ms); undefined while connected. */
  disconnectedAt: number | undefined;
}

export interface Ownership {
  /** Fencing token: grows with every claim of the client id. */
  epoch: number;
  nodeId: string;
}

export type AppendResult = 'queued' | 'dropped-oldest' | 'dropped-new' | 'no-session';

/**
 * Durable state of persistent sessions. The owner of a live connection holds its session in
 * memory and saves it here when the connection ends; messages for a session that has no live
 * connection are appended here. Writes are fenced by the epoch from claim(): a node that lost
 * ownership cannot change the session any more.
 */
export interface SessionStore {
  /** Takes ownership of a client id for a node; returns the new epoch (strictly greater than any before). */
  claim(clientId: string, nodeId: string): Promise<Ownership>;
  /** Current owner, if any. */
  owner(clientId: string): Promise<Ownership | undefined>;
  load(clientId: string): Promise<SessionState | undefined>;
  /** Stores the session; rejects with FLOCK_ERR_FENCED when epoch is not the current one. */
  save(state: SessionState, epoch: number): Promise<void>;
  /** Appends to a stored session's queue, bounded by maxQueued with the given policy. */
  append(
    clientId: string,
    message: PendingMessage,
    maxQueued: number,
    policy: 'drop-oldest' | 'drop-new',
  ): Promise<AppendResult>;
  /** Deletes a session; with an epoch, only if that epoch still owns it. Returns whether one existed. */
  delete(clientId: string, epoch?: number): Promise<boolean>;
  /** Client ids of stored sessions (for expiry sweeps and the admin API). */
  list(): Promise<string[]>;
}
