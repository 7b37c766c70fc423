/**
 * What the admin API needs from one node. The server package implements it over its broker; the
 * admin service asks this node directly and every other node through a PeerLink, and merges.
 *
 * Everything here is plain JSON-safe data (payloads are base64 strings): the same values travel
 * between nodes inside control frames.
 */

export interface NodeStatus {
  nodeId: string;
  version: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  uptimeSeconds: number;
  /** Open network connections (CONNECT or not). */
  connections: number;
  /** Connected clients (CONNACK sent). */
  clients: number;
  /** Persistent sessions this node holds without a connection. */
  offlineSessions: number;
  ready: boolean;
  draining: boolean;
  logLevel: string;
}

export interface ClientFilter {
  clientIdPrefix?: string;
  username?: string;
}

export interface ClientSummary {
  clientId: string;
  nodeId: string;
  username?: string;
  /** '3.1', '3.1.1' or '5.0'. */
  protocol: string;
  /** 'tcp', 'tls', 'ws', 'wss'. */
  listener: string;
  /** `address:port`. */
  remote: string;
  /** Milliseconds since the epoch. */
  connectedAt: number;
  keepAlive: number;
  /** Session expiry interval in seconds (0: the session ends with the connection). */
  sessionExpiryInterval: number;
  subscriptions: number;
  /** Outbound messages waiting for room in the in-flight window. */
  queued: number;
  /** Outbound QoS 1/2 messages sent and not yet acknowledged. */
  inflight: number;
}

export interface SubscriptionInfo {
  /** As subscribed, `$share/{group}/…` included. */
  filter: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionId?: number;
}

export interface SessionDetail {
  clientId: string;
  /** The node holding the session (its connection, or the offline session). */
  nodeId: string;
  connected: boolean;
  username?: string;
  protocol: string;
  sessionExpiryInterval: number;
  /** Milliseconds since the epoch, for an offline session. */
  disconnectedAt?: number;
  subscriptions: SubscriptionInfo[];
  queued: number;
  inflight: number;
  /** Set when connected. */
  client?: ClientSummary;
}

export interface SubscriptionFilter {
  clientIdPrefix?: string;
  /** Only subscriptions whose filter is exactly this one. */
  topicFilter?: string;
}

export interface SubscriptionEntry extends SubscriptionInfo {
  clientId: string;
  nodeId: string;
  connected: boolean;
}

export interface SharedGroupEntry {
  group: string;
  /** The filter after `$share/{group}/`. */
  filter: string;
  nodeId: string;
  /** Members of the group on this node. */
  members: number;
  /** Messages held for the group on this node, waiting for a member with room. */
  backlog: number;
}

export interface PublishRequest {
  topic: string;
  /** base64. */
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** MQTT 5 properties the admin may set. */
  contentType?: string;
  messageExpiryInterval?: number;
  userProperties?: Record<string, string>;
}

export interface RetainedEntry {
  topic: string;
  /** base64. */
  payload: string;
  qos: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

export interface DrainOptions {
  /** Clients disconnected per second (default: the node's configured drain rate). */
  ratePerSecond?: number;
  /** MQTT 5 clients get 0x9C Use another server with this Server Reference instead of 0x8B. */
  serverReference?: string;
}

/** One node, as the admin API sees it. Methods that name a client act on this node only. */
export interface NodeAdmin {
  readonly nodeId: string;
  status(): NodeStatus;
  /** Connected clients on this node. */
  clients(filter: ClientFilter): ClientSummary[];
  /** The session if this node holds it (connected or offline); undefined otherwise. */
  session(clientId: string): Promise<SessionDetail | undefined>;
  /** Disconnects the client if it is connected here (MQTT 5: 0x98 Administrative action); its session stays. */
  kick(clientId: string): boolean;
  /** Ends the session if this node holds it: disconnects the client and deletes its state everywhere. */
  deleteSession(clientId: string): Promise<boolean>;
  /** Subscriptions of the sessions this node holds. */
  subscriptions(filter: SubscriptionFilter): Promise<SubscriptionEntry[]>;
  /** Shared groups with members on this node. */
  sharedGroups(): SharedGroupEntry[];
  /** Publishes as the broker would a client's message (cluster-wide routing). Resolves once routed. */
  publish(request: PublishRequest): Promise<void>;
  /** Retained messages matching a filter (the retained store is shared: any node answers for all). */
  retained(filter: string, limit: number): Promise<RetainedEntry[]>;
  deleteRetained(topic: string): Promise<boolean>;
  /** Starts draining this node (returns at once; progress shows in status()). */
  drain(options: DrainOptions): void;
  /**
   * Rebalances now, as the periodic check would: if this node holds more than its share of the
   * flock's connections it asks the excess to move (MQTT 5: 0x9C). Resolves with how many clients
   * were asked, once they have gone (0 in single-node mode or when balanced).
   */
  rebalance(): Promise<number>;
  setLogLevel(level: string): void;
}

/**
 * How the admin service reaches the other nodes: the server wires it to the cluster bus (NATS).
 * `ask` sends a method name and JSON arguments to one node, which answers with
 * `answerPeer(itsNodeAdmin, method, args)`; it rejects when the node does not answer in time.
 */
export interface PeerLink {
  peers(): string[];
  ask(nodeId: string, method: string, args: unknown, timeoutMs: number): Promise<unknown>;
}
