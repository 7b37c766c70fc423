/**
 * The admin API's messages as @grpc/proto-loader decodes them (see proto.ts for the options):
 * camelCase names, every scalar present (proto3 defaults), unset messages as null, 64-bit
 * integers (the *Ms times) as numbers, bytes as Buffers. Kept by hand next to admin.proto; the tests catch drift
 * since they go through real serialisation.
 */

export interface NodeStatusMessage {
  nodeId: string;
  version: string;
  /** Milliseconds since the epoch. */
  startedAtMs: number;
  uptimeSeconds: number;
  connections: number;
  clients: number;
  offlineSessions: number;
  ready: boolean;
  draining: boolean;
  logLevel: string;
}

export interface GetStatusResponse {
  nodes: NodeStatusMessage[];
  unreachableNodes: string[];
}

export interface ListClientsRequest {
  pageSize?: number;
  pageToken?: string;
  nodeId?: string;
  clientIdPrefix?: string;
  username?: string;
}

export interface ClientMessage {
  clientId: string;
  nodeId: string;
  username: string;
  protocol: string;
  listener: string;
  remote: string;
  connectedAtMs: number;
  keepAlive: number;
  sessionExpiryInterval: number;
  subscriptions: number;
  queued: number;
  inflight: number;
}

export interface ListClientsResponse {
  clients: ClientMessage[];
  nextPageToken: string;
  unreachableNodes: string[];
}

export interface SubscriptionMessage {
  filter: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionId: number;
}

export interface SessionMessage {
  clientId: string;
  nodeId: string;
  connected: boolean;
  username: string;
  protocol: string;
  sessionExpiryInterval: number;
  disconnectedAtMs: number;
  subscriptions: SubscriptionMessage[];
  queued: number;
  inflight: number;
  client: ClientMessage | null;
}

export interface GetSessionResponse {
  session: SessionMessage | null;
  unreachableNodes: string[];
}

export interface NodesAffectedResponse {
  nodeIds: string[];
  unreachableNodes: string[];
}
export type KickClientResponse = NodesAffectedResponse;
export type DeleteSessionResponse = NodesAffectedResponse;
export type SetLogLevelResponse = NodesAffectedResponse;

export interface ListSubscriptionsRequest {
  pageSize?: number;
  pageToken?: string;
  nodeId?: string;
  clientIdPrefix?: string;
  topicFilter?: string;
}

export interface SubscriptionEntryMessage {
  clientId: string;
  nodeId: string;
  connected: boolean;
  subscription: SubscriptionMessage | null;
}

export interface ListSubscriptionsResponse {
  subscriptions: SubscriptionEntryMessage[];
  nextPageToken: string;
  unreachableNodes: string[];
}

export interface SharedGroupMessage {
  group: string;
  filter: string;
  members: number;
  backlog: number;
  nodes: { nodeId: string; members: number; backlog: number }[];
}

export interface ListSharedGroupsResponse {
  groups: SharedGroupMessage[];
  unreachableNodes: string[];
}

export interface UserProperty {
  key: string;
  value: string;
}

export interface PublishRequest {
  topic: string;
  payload?: Buffer;
  qos?: number;
  retain?: boolean;
  contentType?: string;
  messageExpiryInterval?: number;
  userProperties?: UserProperty[];
}

export interface PublishResponse {
  nodeId: string;
}

export interface ListRetainedRequest {
  filter?: string;
  limit?: number;
}

export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  receivedAtMs: number;
}

export interface ListRetainedResponse {
  messages: RetainedMessage[];
  truncated: boolean;
}

export interface DrainNodeRequest {
  nodeId?: string;
  ratePerSecond?: number;
  serverReference?: string;
}

export interface DrainNodeResponse {
  nodeId: string;
}

export interface SetLogLevelRequest {
  level: string;
  nodeId?: string;
}

export interface RebalanceRequest {
  nodeId?: string;
}

export interface RebalanceResult {
  nodeId: string;
  moved: number;
}

export interface RebalanceResponse {
  /** Sorted by node id. */
  results: RebalanceResult[];
  unreachableNodes: string[];
}

/**
 * What a server handler receives: proto-loader fills in every default, so nothing is optional.
 * (Clients may leave fields out, hence the optional fields in the request types above.)
 */
export type Decoded<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export interface ClientIdRequest {
  clientId: string;
}

export interface DeleteRetainedRequest {
  topic: string;
}
