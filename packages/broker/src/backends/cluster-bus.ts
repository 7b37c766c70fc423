import type { Message } from '../message';

/** A message one node hands to another because the other has matching subscribers (G4). */
export interface ForwardedMessage {
  message: Message;
  /**
   * `{group}/{filter}` when the message belongs to a shared group and the receiving node was
   * chosen to hand it to one of its members (G3); undefined for ordinary subscriptions.
   */
  sharedGroup: string | undefined;
  /**
   * Set when a forward to a node that died is retried: the receiver delivers only to the
   * sessions it adopted from that node (the others already had the message).
   */
  adoptedFrom?: string;
  /**
   * Set when the node a client's session just moved away from passes on a message that reached it
   * after the move (G2): the receiver delivers it to this client only.
   */
  forClient?: string;
}

/**
 * A change in one node's part of the route table. 'purge' drops every route of `nodeId` (filter
 * is ''): sent when a dead node has been cleaned up and its sessions adopted by the sender.
 */
export interface RouteDelta {
  op: 'add' | 'remove' | 'purge';
  /** The filter as subscribed, `$share/{group}/…` included ('' for purge). */
  filter: string;
  nodeId: string;
  /** Shared filters: how many members of the group this node has after the change. */
  members?: number;
}

/** Requests one node makes of another, answered with a reply. */
export type ControlRequest =
  /** "Close your connection for this client id (MQTT 5: 0x8E), write its session, then answer." */
  | { type: 'takeover'; clientId: string; epoch: number }
  /** "Send me your whole part of the route table" (a joining node warms its replica). */
  | { type: 'routes' }
  /** An admin API query or command for the receiving node; `body` is JSON (the admin package defines both). */
  | { type: 'admin'; method: string; body: string };

export interface ControlReply {
  ok: boolean;
  detail?: string;
  /** The answer to 'routes'. */
  routes?: RouteDelta[];
  /** The answer to 'admin' (JSON). */
  data?: string;
}

/** What a bus calls on its node. */
export interface ClusterBusHandlers {
  /** Messages forwarded to this node. The sender's acknowledged forward resolves once this does. */
  forward(from: string, batch: ForwardedMessage[]): Promise<void> | void;
  /** Route-table changes announced by another node. */
  routes(from: string, deltas: RouteDelta[]): void;
  control(from: string, request: ControlRequest): Promise<ControlReply>;
  /** A node was seen for the first time (or again after being down). */
  nodeUp(nodeId: string): void;
  /** A node missed its heartbeats (or said goodbye). */
  nodeDown(nodeId: string): void;
  /** Another node's connection count (rebalancing). */
  load?(nodeId: string, connections: number): void;
}

/**
 * How nodes talk to each other: forwarded publishes, route deltas, control requests and
 * heartbeats. The NATS implementation puts these on versioned subjects; the in-memory one
 * connects nodes of one process (tests).
 */
export interface ClusterBus {
  readonly nodeId: string;
  start(handlers: ClusterBusHandlers): Promise<void>;
  close(): Promise<void>;
  /**
   * Forwards a message to a node, batched with others going there in the same turn of the event
   * loop. `acknowledged` (QoS ≥ 1): the promise resolves once the node's forward handler has
   * resolved for the batch, and rejects if it does not answer in time; otherwise it resolves at once.
   */
  forward(nodeId: string, message: ForwardedMessage, acknowledged: boolean): Promise<void>;
  /** Announces changes to this node's routes to every other node. */
  broadcastRoutes(deltas: RouteDelta[]): void;
  /** Tells every other node how many client connections this one holds (rebalancing). */
  broadcastLoad(connections: number): void;
  request(nodeId: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply>;
  /** Other nodes currently alive (heard from within the heartbeat window). */
  peers(): ReadonlySet<string>;
  /** Whether the bus is connected to its transport (readiness). */
  readonly connected: boolean;
}

/** Facts a node publishes about itself. */
export interface NodeInfo {
  nodeId: string;
  startedAt: number;
  version: string;
}

/** Node liveness kept in shared storage: a lease each node renews. */
export interface NodeRegistry {
  /** Registers or renews this node's lease. */
  heartbeat(info: NodeInfo, leaseMs: number): Promise<void>;
  /** Removes this node's lease at once (graceful leave). */
  leave(nodeId: string): Promise<void>;
  /** Nodes whose lease has not expired. */
  alive(): Promise<NodeInfo[]>;
  /** Lets exactly one surviving node clean up after a dead one (lock with a TTL). */
  claimCleanup(deadNodeId: string, byNodeId: string, ttlMs: number): Promise<boolean>;
  /**
   * Drops the clean-up claim on a node id (called by the node when it starts a new life): a
   * claim left from its previous death must not stop the clean-up after its next one.
   */
  clearCleanup(nodeId: string): Promise<void>;
}
