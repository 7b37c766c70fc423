/**
 * Every limit the broker enforces, with its default. Each is a setting (see the server's config)
 * and is advertised to MQTT 5 clients in CONNACK where the protocol has a property for it.
 */
export interface BrokerLimits {
  /** Largest packet accepted from or sent to a client, in bytes (MQTT 5 Maximum Packet Size). */
  maxPacketSize: number;
  /** QoS 1/2 publishes a client may have unacknowledged towards the broker (Receive Maximum). */
  receiveMaximum: number;
  /** Upper bound of the outbound in-flight window per session; a client's Receive Maximum can only lower it. */
  maxInflight: number;
  /** Messages queued per session beyond the in-flight window (online or offline). */
  maxQueuedMessages: number;
  /** What happens when a session's queue is full: drop the oldest queued message or the new one. */
  queueDropPolicy: 'drop-oldest' | 'drop-new';
  /** Keep alive the broker accepts; a client asking for more (or 0) gets this as Server Keep Alive. 0 = no limit. */
  maxKeepAlive: number;
  /** Highest QoS the broker supports for publishes it receives (Maximum QoS). */
  maxQoS: 0 | 1 | 2;
  /** Whether retained messages are supported (Retain Available). */
  retainAvailable: boolean;
  /** Topic aliases a client may use towards the broker (Topic Alias Maximum). */
  topicAliasMaximum: number;
  /** Longest session expiry interval granted, in seconds. */
  maxSessionExpiryInterval: number;
  /** Topic levels allowed in a topic name or filter. */
  maxTopicLevels: number;
  /** Subscriptions (topic filters) one session may hold. */
  maxSubscriptionsPerSession: number;
  /** Concurrent client connections on this node. 0 = no limit. */
  maxConnections: number;
  /**
   * Takeovers of one client id within flapWindow seconds after which its next CONNECTs are
   * slowed down (G2: flapping clients do not ping-pong between connections). 0 = never.
   */
  flapThreshold: number;
  /** Seconds over which takeovers are counted for flapThreshold. */
  flapWindow: number;
  /** Seconds a new connection has to send CONNECT before it is closed. */
  connectTimeout: number;
  /** Longest client identifier accepted, in bytes. */
  maxClientIdLength: number;
  wildcardSubscriptionAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
  subscriptionIdentifiersAvailable: boolean;
}

export const DEFAULT_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPacketSize: 1024 * 1024,
  receiveMaximum: 1024,
  maxInflight: 128,
  maxQueuedMessages: 10_000,
  queueDropPolicy: 'drop-oldest',
  maxKeepAlive: 0,
  maxQoS: 2,
  retainAvailable: true,
  topicAliasMaximum: 64,
  maxSessionExpiryInterval: 0xffffffff,
  maxTopicLevels: 128,
  maxSubscriptionsPerSession: 1000,
  maxConnections: 0,
  flapThreshold: 20,
  flapWindow: 60,
  connectTimeout: 10,
  maxClientIdLength: 1024,
  wildcardSubscriptionAvailable: true,
  sharedSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: true,
});
