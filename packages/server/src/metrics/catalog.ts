/**
 * Every metric a FlockMQ node exports, defined once: name, type, labels and meaning. The
 * collectors in node-metrics.ts must cover exactly these (the compiler checks), and
 * docs/metrics.md is generated from this table (`node scripts/metrics-table.mjs`; a test checks
 * it is current).
 *
 * Names follow `flockmq_<subsystem>_<noun>_<unit>[_total]`. Labels only ever take bounded values
 * (listener names, protocol levels, reason codes, QoS, packet types, store operations): never
 * client ids or topics, so the series count of a node does not grow with its clients.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /** Histograms: bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** Seconds: from 0.5 ms (a Redis round trip on a LAN) to 10 s (a takeover waiting for a dead node). */
export const OPERATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const spec = (type: MetricType, name: string, help: string, labels: readonly string[] = [], buckets?: number[]) => ({
  name,
  type,
  help,
  labels,
  ...(buckets && { buckets }),
});

export const METRICS = {
  nodeInfo: spec('gauge', 'flockmq_node_info', 'Always 1; its labels name the node and its version', [
    'node_id',
    'version',
  ]),
  nodeUptime: spec('gauge', 'flockmq_node_uptime_seconds', 'Seconds since this node started'),
  nodeReady: spec(
    'gauge',
    'flockmq_node_ready',
    '1 when the node takes clients (listeners up, Redis and NATS reachable, not draining), else 0',
  ),
  nodeDraining: spec('gauge', 'flockmq_node_draining', '1 while the node drains its clients before it stops'),
  nodeDrains: spec('counter', 'flockmq_node_drains_total', 'Drains started (SIGTERM or the admin API)', ['trigger']),

  connectionsCurrent: spec(
    'gauge',
    'flockmq_connections_current',
    'Open client connections; protocol is "none" until CONNECT names it',
    ['listener', 'protocol'],
  ),
  connectionsOpened: spec('counter', 'flockmq_connections_opened_total', 'Client connections accepted', ['listener']),
  connectionsClosed: spec(
    'counter',
    'flockmq_connections_closed_total',
    'Client connections closed, by who closed them (client, server, network) and the MQTT reason code ("none" when no reason was sent)',
    ['listener', 'protocol', 'initiator', 'reason'],
  ),
  connacks: spec(
    'counter',
    'flockmq_connections_connack_total',
    'CONNACKs sent, by MQTT 5 reason code (3.1.1 return codes counted as their MQTT 5 equivalents)',
    ['protocol', 'reason'],
  ),
  authentications: spec(
    'counter',
    'flockmq_auth_attempts_total',
    'Authentications of CONNECTs: success, failure, or none when no authenticator is configured',
    ['result'],
  ),

  packetsReceived: spec('counter', 'flockmq_packets_received_total', 'MQTT packets received from clients', ['type']),
  packetsSent: spec('counter', 'flockmq_packets_sent_total', 'MQTT packets sent to clients', ['type']),
  packetBytesReceived: spec(
    'counter',
    'flockmq_packets_received_bytes_total',
    'Bytes of the MQTT packets received from clients, by packet type',
    ['type'],
  ),
  packetBytesSent: spec(
    'counter',
    'flockmq_packets_sent_bytes_total',
    'Bytes of the MQTT packets sent to clients, by packet type',
    ['type'],
  ),
  bytesReceived: spec(
    'counter',
    'flockmq_network_received_bytes_total',
    'Bytes received from clients (incomplete and malformed input included)',
  ),
  bytesSent: spec('counter', 'flockmq_network_sent_bytes_total', 'Bytes written to client connections'),

  messagesPublished: spec(
    'counter',
    'flockmq_messages_published_total',
    'PUBLISHes received from clients, wills and the admin API, by their QoS (not the $SYS statistics)',
    ['qos'],
  ),
  messagesDelivered: spec(
    'counter',
    'flockmq_messages_delivered_total',
    'PUBLISHes written to subscribers, by granted QoS (resends included)',
    ['qos'],
  ),
  messagesDropped: spec(
    'counter',
    'flockmq_messages_dropped_total',
    'Messages not delivered to one subscriber: congested (slow QoS 0 reader), queue_full, packet_too_large, offline_qos0, not_authorized, no_member (shared group left empty)',
    ['reason', 'qos'],
  ),
  messagesExpired: spec(
    'counter',
    'flockmq_messages_expired_total',
    'Messages discarded because their Message Expiry Interval passed before delivery',
    ['qos'],
  ),
  messagesQueuedOffline: spec(
    'counter',
    'flockmq_messages_offline_queued_total',
    'QoS 1/2 messages queued for persistent sessions without a connection',
  ),
  deliveryLatency: spec(
    'histogram',
    'flockmq_delivery_latency_seconds',
    'From a PUBLISH reaching the cluster to its delivery being written to a subscriber socket (time queued for an offline session included)',
  ),
  retainedMessages: spec('gauge', 'flockmq_retained_messages', 'Retained messages in the (shared) retained store'),
  willsPublished: spec('counter', 'flockmq_wills_published_total', 'Will messages published'),

  sessionsLive: spec('gauge', 'flockmq_sessions_live', 'Sessions with a connected client on this node'),
  sessionsOffline: spec(
    'gauge',
    'flockmq_sessions_offline',
    'Persistent sessions this node holds without a connection (their expiry and will run here)',
  ),
  sessionsExpired: spec(
    'counter',
    'flockmq_sessions_expired_total',
    'Persistent sessions ended by their expiry interval',
  ),
  sessionsQueued: spec(
    'gauge',
    'flockmq_sessions_queued_messages',
    'Messages waiting in live sessions for room in the in-flight window',
  ),
  sessionsInflight: spec(
    'gauge',
    'flockmq_sessions_inflight_messages',
    'QoS 1/2 messages sent to live sessions and not yet acknowledged',
  ),
  takeovers: spec(
    'counter',
    'flockmq_sessions_takeovers_total',
    'Session takeovers: local (from a connection on this node), remote (from another node), lost_race (a later CONNECT elsewhere won)',
    ['result'],
  ),
  takeoverDuration: spec(
    'histogram',
    'flockmq_sessions_takeover_duration_seconds',
    'From a CONNECT asking for a session held elsewhere to the session being ready',
    ['result'],
    OPERATION_BUCKETS_S,
  ),
  flapDelays: spec(
    'counter',
    'flockmq_sessions_flap_delays_total',
    'CONNECTs delayed because their client id kept being taken over',
  ),

  subscriptions: spec('gauge', 'flockmq_subscriptions_current', 'Subscriptions of the sessions on this node'),
  sharedGroups: spec('gauge', 'flockmq_shared_groups_current', 'Shared subscription groups with members on this node'),
  sharedMembers: spec(
    'gauge',
    'flockmq_shared_group_members_current',
    'Members of shared subscription groups on this node',
  ),
  routesLocal: spec('gauge', 'flockmq_routes_local_filters', 'Distinct filters subscribed on this node'),
  routesRemote: spec(
    'gauge',
    'flockmq_routes_remote_entries',
    'Entries of the replica of the other nodes\u2019 routes (filter, node)',
  ),

  clusterPeers: spec('gauge', 'flockmq_cluster_peers', 'Other nodes this node hears on NATS'),
  clusterForwarded: spec(
    'counter',
    'flockmq_cluster_forwarded_messages_total',
    'Messages forwarded to (out) and from (in) other nodes',
    ['direction'],
  ),
  clusterForwardedBytes: spec(
    'counter',
    'flockmq_cluster_forwarded_bytes_total',
    'Bytes of forward frames sent to (out) and received from (in) other nodes',
    ['direction'],
  ),
  clusterFrames: spec('counter', 'flockmq_cluster_frames_total', 'Cluster frames (NATS messages) by kind', [
    'direction',
    'kind',
  ]),
  clusterFramesDropped: spec(
    'counter',
    'flockmq_cluster_frames_dropped_total',
    'Cluster frames received that could not be decoded (logged and dropped)',
  ),
  clusterRebalanced: spec(
    'counter',
    'flockmq_cluster_rebalanced_clients_total',
    'Clients this node asked to move to another node (MQTT 5: 0x9C) because it held more than its share',
  ),
  clusterForwardFailures: spec(
    'counter',
    'flockmq_cluster_forward_failures_total',
    'Acknowledged forwards that failed (retried until the node is back or cleaned up)',
  ),

  redisDuration: spec(
    'histogram',
    'flockmq_redis_operation_duration_seconds',
    'Duration of Redis operations by store and operation (one operation may be several commands or a script)',
    ['store', 'op'],
    OPERATION_BUCKETS_S,
  ),
  redisErrors: spec('counter', 'flockmq_redis_operation_errors_total', 'Redis operations that failed', ['store', 'op']),
  redisUp: spec('gauge', 'flockmq_redis_up', '1 while Redis answers (cluster mode)'),
  natsDuration: spec(
    'histogram',
    'flockmq_nats_operation_duration_seconds',
    'Duration of NATS round trips: acknowledged forward batches and control requests (takeover, routes, admin)',
    ['op'],
    OPERATION_BUCKETS_S,
  ),
  natsErrors: spec('counter', 'flockmq_nats_operation_errors_total', 'NATS round trips that failed or timed out', [
    'op',
  ]),
  natsUp: spec('gauge', 'flockmq_nats_up', '1 while the NATS connection is up (cluster mode)'),
} satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** Node.js runtime metrics (prom-client's defaults), kept under their standard names so existing dashboards work. */
export const RUNTIME_METRICS: readonly { name: string; help: string }[] = [
  { name: 'process_cpu_seconds_total', help: 'CPU time of the process (user + system)' },
  { name: 'process_resident_memory_bytes', help: 'Resident memory' },
  { name: 'process_open_fds', help: 'Open file descriptors (each client connection holds one)' },
  { name: 'nodejs_eventloop_lag_seconds', help: 'Event loop lag (also _p50, _p90, _p99, _min, _max, _mean)' },
  { name: 'nodejs_heap_size_used_bytes', help: 'V8 heap in use' },
  { name: 'nodejs_heap_size_total_bytes', help: 'V8 heap size' },
  { name: 'nodejs_gc_duration_seconds', help: 'Garbage collection pauses, by kind (histogram)' },
  { name: 'nodejs_active_handles_total', help: 'libuv handles (sockets, timers)' },
];
