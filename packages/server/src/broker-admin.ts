/**
 * The admin API's view of this node (NodeAdmin), read from and acting on the broker. The admin
 * package asks it directly and asks the other nodes' through the cluster bus.
 */
import type {
  ClientFilter,
  ClientSummary,
  DrainOptions,
  NodeAdmin,
  NodeStatus,
  PublishRequest,
  RetainedEntry,
  SessionDetail,
  SharedGroupEntry,
  SubscriptionEntry,
  SubscriptionFilter,
  SubscriptionInfo,
} from '@flockmq/admin';
import type { Broker, Channel, StoredSubscription } from '@flockmq/broker';
import { protocolLabel } from '@flockmq/broker';
import { FlockError, topicNameError, type Properties } from '@flockmq/protocol';
import { LOG_LEVELS, type LogLevel } from './config';

export interface BrokerAdminOptions {
  broker: Broker;
  version: string;
  startedAt: number;
  ready(): boolean;
  logLevel(): string;
  setLogLevel(level: LogLevel): void;
  drain(options: DrainOptions): void;
}

const subscriptionInfo = (sub: StoredSubscription): SubscriptionInfo => ({
  filter: sub.filter,
  qos: sub.qos,
  noLocal: sub.noLocal,
  retainAsPublished: sub.retainAsPublished,
  retainHandling: sub.retainHandling,
  ...(sub.subscriptionId !== undefined && { subscriptionId: sub.subscriptionId }),
});

function clientSummary(nodeId: string, channel: Channel): ClientSummary {
  const session = channel.session;
  return {
    clientId: channel.clientId,
    nodeId,
    ...(channel.username !== undefined && { username: channel.username }),
    protocol: protocolLabel(channel.protocolVersion),
    listener: channel.transport.listener,
    remote: `${channel.transport.remoteAddress}:${channel.transport.remotePort}`,
    connectedAt: channel.connectedAt,
    keepAlive: channel.keepAlive,
    sessionExpiryInterval: session?.expiryInterval ?? 0,
    subscriptions: session?.subscriptions.size ?? 0,
    queued: session?.queue.length ?? 0,
    inflight: session?.inflight.size ?? 0,
  };
}

const matchesClient = (filter: ClientFilter, clientId: string, username: string | undefined): boolean =>
  (filter.clientIdPrefix === undefined || clientId.startsWith(filter.clientIdPrefix)) &&
  (filter.username === undefined || username === filter.username);

export function brokerAdmin(options: BrokerAdminOptions): NodeAdmin {
  const { broker } = options;
  const nodeId = broker.nodeId;

  return {
    nodeId,

    status(): NodeStatus {
      return {
        nodeId,
        version: options.version,
        startedAt: options.startedAt,
        uptimeSeconds: Math.floor((Date.now() - options.startedAt) / 1000),
        connections: broker.connectionCount,
        clients: broker.clientCount,
        offlineSessions: broker.offlineSessions.size,
        ready: options.ready(),
        draining: broker.draining,
        logLevel: options.logLevel(),
      };
    },

    clients(filter) {
      const out: ClientSummary[] = [];
      for (const channel of broker.clients.values()) {
        if (matchesClient(filter, channel.clientId, channel.username)) out.push(clientSummary(nodeId, channel));
      }
      return out;
    },

    async session(clientId): Promise<SessionDetail | undefined> {
      const channel = broker.clients.get(clientId);
      if (channel?.session) {
        const session = channel.session;
        return {
          clientId,
          nodeId,
          connected: true,
          ...(session.username !== undefined && { username: session.username }),
          protocol: protocolLabel(session.protocolVersion),
          sessionExpiryInterval: session.expiryInterval,
          subscriptions: [...session.subscriptions.values()].map(subscriptionInfo),
          queued: session.queue.length,
          inflight: session.inflight.size,
          client: clientSummary(nodeId, channel),
        };
      }
      if (!broker.offlineSessions.has(clientId)) return undefined;
      const state = await broker.sessions.load(clientId);
      if (!state) return undefined;
      const inflight = state.pending.filter((p) => p.state !== 'queued').length;
      return {
        clientId,
        nodeId,
        connected: false,
        ...(state.username !== undefined && { username: state.username }),
        protocol: protocolLabel(state.protocolVersion),
        sessionExpiryInterval: state.expiryInterval,
        ...(state.disconnectedAt != null && { disconnectedAt: state.disconnectedAt }),
        subscriptions: state.subscriptions.map(subscriptionInfo),
        queued: state.pending.length - inflight,
        inflight,
      };
    },

    kick: (clientId) => broker.kick(clientId),

    deleteSession: (clientId) => broker.endSession(clientId),

    async subscriptions(filter: SubscriptionFilter): Promise<SubscriptionEntry[]> {
      const out: SubscriptionEntry[] = [];
      const add = (clientId: string, connected: boolean, subs: Iterable<StoredSubscription>): void => {
        if (filter.clientIdPrefix !== undefined && !clientId.startsWith(filter.clientIdPrefix)) return;
        for (const sub of subs) {
          if (filter.topicFilter !== undefined && sub.filter !== filter.topicFilter) continue;
          out.push({ clientId, nodeId, connected, ...subscriptionInfo(sub) });
        }
      };
      for (const channel of broker.clients.values()) {
        if (channel.session) add(channel.clientId, true, channel.session.subscriptions.values());
      }
      for (const clientId of broker.offlineSessions) {
        if (filter.clientIdPrefix !== undefined && !clientId.startsWith(filter.clientIdPrefix)) continue;
        const state = await broker.sessions.load(clientId);
        if (state) add(clientId, false, state.subscriptions);
      }
      return out;
    },

    sharedGroups(): SharedGroupEntry[] {
      return [...broker.router.sharedGroups.values()].map((group) => {
        const slash = group.key.indexOf('/');
        return {
          group: group.key.slice(0, slash),
          filter: group.key.slice(slash + 1),
          nodeId,
          members: group.members.size,
          backlog: group.backlog.length,
        };
      });
    },

    async publish(request: PublishRequest): Promise<void> {
      const error = topicNameError(request.topic, { maxTopicLevels: broker.limits.maxTopicLevels });
      if (error) throw new FlockError('FLOCK_ERR_CONFIG_INVALID', `topic ${JSON.stringify(request.topic)}: ${error}`);
      if (request.topic.startsWith('$')) {
        throw new FlockError('FLOCK_ERR_CONFIG_INVALID', 'topics starting with $ are reserved for the broker');
      }
      const now = broker.clock.now();
      const properties: Properties = {};
      if (request.contentType !== undefined) properties.contentType = request.contentType;
      if (request.userProperties) properties.userProperties = Object.entries(request.userProperties);
      const routed = broker.publish({
        topic: request.topic,
        payload: Buffer.from(request.payload, 'base64'),
        qos: request.qos,
        retain: request.retain,
        properties: Object.keys(properties).length > 0 ? properties : undefined,
        expiresAt: request.messageExpiryInterval !== undefined ? now + request.messageExpiryInterval * 1000 : undefined,
        origin: '',
        receivedAt: now,
      });
      await routed.done;
    },

    async retained(filter, limit): Promise<RetainedEntry[]> {
      const messages = await broker.retained.match(filter);
      return messages
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
        .slice(0, limit)
        .map((m) => ({ topic: m.topic, payload: m.payload.toString('base64'), qos: m.qos, receivedAt: m.receivedAt }));
    },

    deleteRetained: (topic) => broker.retained.delete(topic),

    drain: (drainOptions) => options.drain(drainOptions),

    rebalance: () => broker.cluster?.rebalancer.rebalance() ?? Promise.resolve(0),

    setLogLevel(level) {
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        throw new FlockError(
          'FLOCK_ERR_CONFIG_INVALID',
          `unknown log level ${JSON.stringify(level)}; one of ${LOG_LEVELS.join(', ')}`,
        );
      }
      options.setLogLevel(level as LogLevel);
    },
  };
}
