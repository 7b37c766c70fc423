/**
 * gRPC handlers: decode a request, call the AdminService, encode the answer, turn errors into
 * gRPC statuses. Mutating calls are logged here (one line each) because only here is the caller's
 * address known.
 */
import * as grpc from '@grpc/grpc-js';
import type {
  ClientSummary,
  NodeStatus,
  RetainedEntry,
  SessionDetail,
  SubscriptionEntry,
  SubscriptionInfo,
} from './node-admin';
import type * as api from './api-types';
import type { AdminService } from './service';
import type { AdminLogger } from './fanout';
import { AdminError, errorMessage } from './errors';

/** Trailer set on statuses the admin service itself sends, so a client can tell them from transport errors. */
export const ADMIN_ERROR_TRAILER = 'flockmq-admin-error';

const nodeStatusMessage = (s: NodeStatus): api.NodeStatusMessage => ({
  nodeId: s.nodeId,
  version: s.version,
  startedAtMs: s.startedAt,
  uptimeSeconds: s.uptimeSeconds,
  connections: s.connections,
  clients: s.clients,
  offlineSessions: s.offlineSessions,
  ready: s.ready,
  draining: s.draining,
  logLevel: s.logLevel,
});

const clientMessage = (c: ClientSummary): api.ClientMessage => ({
  clientId: c.clientId,
  nodeId: c.nodeId,
  username: c.username ?? '',
  protocol: c.protocol,
  listener: c.listener,
  remote: c.remote,
  connectedAtMs: c.connectedAt,
  keepAlive: c.keepAlive,
  sessionExpiryInterval: c.sessionExpiryInterval,
  subscriptions: c.subscriptions,
  queued: c.queued,
  inflight: c.inflight,
});

const subscriptionMessage = (s: SubscriptionInfo): api.SubscriptionMessage => ({
  filter: s.filter,
  qos: s.qos,
  noLocal: s.noLocal,
  retainAsPublished: s.retainAsPublished,
  retainHandling: s.retainHandling,
  subscriptionId: s.subscriptionId ?? 0,
});

const sessionMessage = (s: SessionDetail): api.SessionMessage => ({
  clientId: s.clientId,
  nodeId: s.nodeId,
  connected: s.connected,
  username: s.username ?? '',
  protocol: s.protocol,
  sessionExpiryInterval: s.sessionExpiryInterval,
  disconnectedAtMs: s.disconnectedAt ?? 0,
  subscriptions: s.subscriptions.map(subscriptionMessage),
  queued: s.queued,
  inflight: s.inflight,
  client: s.client ? clientMessage(s.client) : null,
});

const subscriptionEntryMessage = (s: SubscriptionEntry): api.SubscriptionEntryMessage => ({
  clientId: s.clientId,
  nodeId: s.nodeId,
  connected: s.connected,
  subscription: subscriptionMessage(s),
});

const retainedMessage = (r: RetainedEntry): api.RetainedMessage => ({
  topic: r.topic,
  payload: Buffer.from(r.payload, 'base64'),
  qos: r.qos,
  receivedAtMs: r.receivedAt,
});

interface HandlerContext {
  service: AdminService;
  nodeId: string;
  logger: AdminLogger | undefined;
}

function toServiceError(err: unknown, ctx: HandlerContext, method: string): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(ADMIN_ERROR_TRAILER, '1');
  if (err instanceof AdminError) return { code: err.code, details: err.message, metadata };
  ctx.logger?.warn({ method, err: errorMessage(err) }, 'admin_call_failed');
  return { code: grpc.status.INTERNAL, details: `node '${ctx.nodeId}' failed: ${errorMessage(err)}`, metadata };
}

/** A unary handler over an async function; `audit` (for mutating calls) logs one line per call. */
function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  run: (request: Req) => Promise<Res>,
  audit?: { msg: string; fields: (request: Req) => object; result?: (response: Res) => object },
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    run(call.request).then(
      (response) => {
        if (audit) {
          ctx.logger?.info(
            { ...audit.fields(call.request), ...audit.result?.(response), peer: call.getPeer() },
            audit.msg,
          );
        }
        callback(null, response);
      },
      (err: unknown) => {
        if (audit) {
          ctx.logger?.warn({ ...audit.fields(call.request), peer: call.getPeer(), err: errorMessage(err) }, audit.msg);
        }
        callback(toServiceError(err, ctx, method));
      },
    );
  };
}

const affected = (res: api.NodesAffectedResponse) => ({
  node_ids: res.nodeIds,
  unreachable_nodes: res.unreachableNodes,
});

/** Implementations of every admin service, keyed by service name (as in ADMIN_SERVICES). */
export function adminHandlers(ctx: HandlerContext): Record<string, grpc.UntypedServiceImplementation> {
  const { service } = ctx;
  return {
    ClusterService: {
      GetStatus: unary(ctx, 'GetStatus', async (): Promise<api.GetStatusResponse> => {
        const { nodes, unreachable } = await service.status();
        return { nodes: nodes.map(nodeStatusMessage), unreachableNodes: unreachable };
      }),
    },
    ClientService: {
      ListClients: unary(
        ctx,
        'ListClients',
        async (r: api.Decoded<api.ListClientsRequest>): Promise<api.ListClientsResponse> => {
          const page = await service.listClients(r);
          const { items, nextPageToken, unreachable } = page;
          return { clients: items.map(clientMessage), nextPageToken, unreachableNodes: unreachable };
        },
      ),
      GetSession: unary(ctx, 'GetSession', async (r: api.ClientIdRequest): Promise<api.GetSessionResponse> => {
        const { session, unreachable } = await service.getSession(r.clientId);
        return { session: sessionMessage(session), unreachableNodes: unreachable };
      }),
      KickClient: unary(
        ctx,
        'KickClient',
        async (r: api.ClientIdRequest): Promise<api.KickClientResponse> => {
          const { nodeIds, unreachable } = await service.kick(r.clientId);
          return { nodeIds, unreachableNodes: unreachable };
        },
        { msg: 'admin_kick', fields: (r) => ({ client_id: r.clientId }), result: affected },
      ),
      DeleteSession: unary(
        ctx,
        'DeleteSession',
        async (r: api.ClientIdRequest): Promise<api.DeleteSessionResponse> => {
          const { nodeIds, unreachable } = await service.deleteSession(r.clientId);
          return { nodeIds, unreachableNodes: unreachable };
        },
        { msg: 'admin_delete_session', fields: (r) => ({ client_id: r.clientId }), result: affected },
      ),
    },
    SubscriptionService: {
      ListSubscriptions: unary(
        ctx,
        'ListSubscriptions',
        async (r: api.Decoded<api.ListSubscriptionsRequest>): Promise<api.ListSubscriptionsResponse> => {
          const { items, nextPageToken, unreachable } = await service.listSubscriptions(r);
          return { subscriptions: items.map(subscriptionEntryMessage), nextPageToken, unreachableNodes: unreachable };
        },
      ),
      ListSharedGroups: unary(ctx, 'ListSharedGroups', async (): Promise<api.ListSharedGroupsResponse> => {
        const { groups, unreachable } = await service.listSharedGroups();
        return { groups, unreachableNodes: unreachable };
      }),
    },
    MessageService: {
      Publish: unary(
        ctx,
        'Publish',
        async (r: api.Decoded<api.PublishRequest>): Promise<api.PublishResponse> => service.publish(r),
        {
          msg: 'admin_publish',
          // The payload itself is not logged: it may be large or confidential.
          fields: (r) => ({ topic: r.topic, qos: r.qos, retain: r.retain, bytes: r.payload.length }),
        },
      ),
      ListRetained: unary(
        ctx,
        'ListRetained',
        async (r: api.Decoded<api.ListRetainedRequest>): Promise<api.ListRetainedResponse> => {
          const { messages, truncated } = await service.listRetained(r.filter, r.limit);
          return { messages: messages.map(retainedMessage), truncated };
        },
      ),
      DeleteRetained: unary(
        ctx,
        'DeleteRetained',
        async (r: api.DeleteRetainedRequest) => {
          await service.deleteRetained(r.topic);
          return {};
        },
        { msg: 'admin_delete_retained', fields: (r) => ({ topic: r.topic }) },
      ),
    },
    NodeService: {
      DrainNode: unary(
        ctx,
        'DrainNode',
        async (r: api.Decoded<api.DrainNodeRequest>): Promise<api.DrainNodeResponse> =>
          service.drain(r.nodeId, r.ratePerSecond, r.serverReference),
        {
          msg: 'admin_drain',
          fields: (r) => ({
            target_node: r.nodeId === '' ? ctx.nodeId : r.nodeId,
            rate_per_second: r.ratePerSecond,
            server_reference: r.serverReference,
          }),
        },
      ),
      SetLogLevel: unary(
        ctx,
        'SetLogLevel',
        async (r: api.Decoded<api.SetLogLevelRequest>): Promise<api.SetLogLevelResponse> => {
          const { nodeIds, unreachable } = await service.setLogLevel(r.level, r.nodeId);
          return { nodeIds, unreachableNodes: unreachable };
        },
        {
          msg: 'admin_set_log_level',
          fields: (r) => ({ level: r.level, target_node: r.nodeId === '' ? 'all' : r.nodeId }),
          result: affected,
        },
      ),
      Rebalance: unary(
        ctx,
        'Rebalance',
        async (r: api.Decoded<api.RebalanceRequest>): Promise<api.RebalanceResponse> => {
          const { results, unreachable } = await service.rebalance(r.nodeId);
          return { results, unreachableNodes: unreachable };
        },
        {
          msg: 'admin_rebalance',
          fields: (r) => ({ target_node: r.nodeId === '' ? 'all' : r.nodeId }),
          result: (res) => ({
            moved: res.results.reduce((sum, result) => sum + result.moved, 0),
            node_ids: res.results.map((result) => result.nodeId),
            unreachable_nodes: res.unreachableNodes,
          }),
        },
      ),
    },
  };
}
