/**
 * Copies of the records a NodeAdmin returns, keeping only the documented fields. What crosses the
 * cluster bus is then plain JSON whatever the broker's objects carry (class instances, sockets,
 * Buffers), and an optional field that is absent stays absent instead of becoming `null`.
 */
import type {
  ClientSummary,
  NodeStatus,
  SessionDetail,
  SharedGroupEntry,
  SubscriptionEntry,
  SubscriptionInfo,
} from './node-admin';

function withOptional<T extends object, K extends string, V>(target: T, key: K, value: V | undefined): T {
  if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target;
}

export function nodeStatusRecord(s: NodeStatus): NodeStatus {
  return {
    nodeId: s.nodeId,
    version: s.version,
    startedAt: s.startedAt,
    uptimeSeconds: s.uptimeSeconds,
    connections: s.connections,
    clients: s.clients,
    offlineSessions: s.offlineSessions,
    ready: s.ready,
    draining: s.draining,
    logLevel: s.logLevel,
  };
}

export function clientRecord(c: ClientSummary): ClientSummary {
  const record: ClientSummary = {
    clientId: c.clientId,
    nodeId: c.nodeId,
    protocol: c.protocol,
    listener: c.listener,
    remote: c.remote,
    connectedAt: c.connectedAt,
    keepAlive: c.keepAlive,
    sessionExpiryInterval: c.sessionExpiryInterval,
    subscriptions: c.subscriptions,
    queued: c.queued,
    inflight: c.inflight,
  };
  return withOptional(record, 'username', c.username);
}

export function subscriptionInfoRecord(s: SubscriptionInfo): SubscriptionInfo {
  const record: SubscriptionInfo = {
    filter: s.filter,
    qos: s.qos,
    noLocal: s.noLocal,
    retainAsPublished: s.retainAsPublished,
    retainHandling: s.retainHandling,
  };
  return withOptional(record, 'subscriptionId', s.subscriptionId);
}

export function subscriptionEntryRecord(s: SubscriptionEntry): SubscriptionEntry {
  return { ...subscriptionInfoRecord(s), clientId: s.clientId, nodeId: s.nodeId, connected: s.connected };
}

export function sessionRecord(s: SessionDetail): SessionDetail {
  const record: SessionDetail = {
    clientId: s.clientId,
    nodeId: s.nodeId,
    connected: s.connected,
    protocol: s.protocol,
    sessionExpiryInterval: s.sessionExpiryInterval,
    subscriptions: s.subscriptions.map(subscriptionInfoRecord),
    queued: s.queued,
    inflight: s.inflight,
  };
  withOptional(record, 'username', s.username);
  withOptional(record, 'disconnectedAt', s.disconnectedAt);
  return withOptional(record, 'client', s.client && clientRecord(s.client));
}

export function sharedGroupRecord(g: SharedGroupEntry): SharedGroupEntry {
  return { group: g.group, filter: g.filter, nodeId: g.nodeId, members: g.members, backlog: g.backlog };
}
