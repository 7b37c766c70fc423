/**
 * The admin API for the whole cluster, in the broker's terms (no gRPC here). Each method asks
 * this node and its peers through a ClusterAsker and merges the answers; the gRPC layer
 * (grpc-handlers.ts) only translates messages.
 */
import type {
  ClientSummary,
  NodeStatus,
  PublishRequest,
  RetainedEntry,
  SessionDetail,
  SharedGroupEntry,
  SubscriptionEntry,
  NodeAdmin,
} from './node-admin';
import { DEFAULT_REBALANCE_TIMEOUT_MS, type ClusterAsker, type Gathered } from './fanout';
import { clientKey, subscriptionKey, type PeerArgs } from './peer';
import { cutPage, decodePageToken, encodePageToken, type SortKey } from './pagination';
import { invalidArgument, notFound } from './errors';
import {
  pageSize,
  requireClientId,
  requireLogLevel,
  requireQos,
  requireTopicFilter,
  requireTopicName,
} from './validate';

export interface Listed<T> {
  items: T[];
  /** Empty on the last page. */
  nextPageToken: string;
  unreachable: string[];
}

export interface ListClientsQuery {
  pageSize: number;
  pageToken: string;
  nodeId: string;
  clientIdPrefix: string;
  username: string;
}

export interface ListSubscriptionsQuery {
  pageSize: number;
  pageToken: string;
  nodeId: string;
  clientIdPrefix: string;
  topicFilter: string;
}

export interface SharedGroup {
  group: string;
  filter: string;
  members: number;
  backlog: number;
  nodes: { nodeId: string; members: number; backlog: number }[];
}

export interface PublishCommand {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  contentType: string;
  messageExpiryInterval: number;
  userProperties: { key: string; value: string }[];
}

export interface RebalanceResult {
  nodeId: string;
  /** Clients the node asked to move. */
  moved: number;
}

export interface AdminServiceOptions {
  /** How long Rebalance waits for each node (default DEFAULT_REBALANCE_TIMEOUT_MS). */
  rebalanceTimeoutMs?: number;
}

const isArray = (value: unknown): boolean => Array.isArray(value);
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;
const isObjectOrNull = (value: unknown): boolean => typeof value === 'object';
const movedOf = (value: unknown): number => (value as { moved: number }).moved;
const isMoved = (value: unknown): boolean =>
  isObject(value) && Number.isSafeInteger(movedOf(value)) && movedOf(value) >= 0;

/** Names the nodes that did not answer: a "not found" may be wrong when some were left out. */
function unreachableNote(unreachable: string[]): string {
  return unreachable.length === 0 ? '' : ` (${unreachable.join(', ')} did not answer)`;
}

/** A proto3 string left empty means "not set". */
const orUndefined = (value: string): string | undefined => (value === '' ? undefined : value);

export class AdminService {
  private readonly rebalanceTimeoutMs: number;

  constructor(
    private readonly node: NodeAdmin,
    private readonly cluster: ClusterAsker,
    options: AdminServiceOptions = {},
  ) {
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? DEFAULT_REBALANCE_TIMEOUT_MS;
  }

  async status(): Promise<{ nodes: NodeStatus[]; unreachable: string[] }> {
    const { answers, unreachable } = await this.cluster.all('status', {}, isObject);
    return { nodes: answers.map((answer) => answer.value as NodeStatus), unreachable };
  }

  /** From one named node (NOT_FOUND / UNAVAILABLE if unknown / silent), or from all when nodeId is empty. */
  private async gather<M extends 'clients' | 'subscriptions'>(
    nodeId: string,
    method: M,
    args: PeerArgs[M],
  ): Promise<Gathered> {
    if (nodeId === '') return this.cluster.all(method, args, isArray);
    const value = await this.cluster.one(nodeId, method, args);
    return { answers: [{ nodeId, value: isArray(value) ? value : [] }], unreachable: [] };
  }

  async listClients(query: ListClientsQuery): Promise<Listed<ClientSummary>> {
    const size = pageSize(query.pageSize);
    const after = decodePageToken('clients', query.pageToken, 2) as [string, string] | undefined;
    const args = {
      filter: { clientIdPrefix: orUndefined(query.clientIdPrefix), username: orUndefined(query.username) },
      after,
      limit: size + 1,
    };
    const gathered = await this.gather(query.nodeId, 'clients', args);
    const all = gathered.answers.flatMap((answer) => answer.value as ClientSummary[]);
    return this.paged('clients', all, clientKey, after, size, gathered.unreachable);
  }

  async listSubscriptions(query: ListSubscriptionsQuery): Promise<Listed<SubscriptionEntry>> {
    const size = pageSize(query.pageSize);
    const after = decodePageToken('subscriptions', query.pageToken, 3) as [string, string, string] | undefined;
    if (query.topicFilter !== '') requireTopicFilter(query.topicFilter.replace(/^\$share\/[^/]+\//, ''));
    const args = {
      filter: { clientIdPrefix: orUndefined(query.clientIdPrefix), topicFilter: orUndefined(query.topicFilter) },
      after,
      limit: size + 1,
    };
    const gathered = await this.gather(query.nodeId, 'subscriptions', args);
    const all = gathered.answers.flatMap((answer) => answer.value as SubscriptionEntry[]);
    return this.paged('subscriptions', all, subscriptionKey, after, size, gathered.unreachable);
  }

  private paged<T>(
    list: string,
    all: T[],
    keyOf: (item: T) => SortKey,
    after: SortKey | undefined,
    size: number,
    unreachable: string[],
  ): Listed<T> {
    const page = cutPage(all, keyOf, after, size);
    const nextPageToken = page.nextAfter === undefined ? '' : encodePageToken(list, page.nextAfter);
    return { items: page.items, nextPageToken, unreachable };
  }

  /** The session wherever it is; a connected one wins over an offline copy during a takeover. */
  async getSession(clientId: string): Promise<{ session: SessionDetail; unreachable: string[] }> {
    requireClientId(clientId);
    const { answers, unreachable } = await this.cluster.all('session', { clientId }, isObjectOrNull);
    const sessions = answers.map((answer) => answer.value as SessionDetail | null).filter((s) => s !== null);
    const session = sessions.find((s) => s.connected) ?? sessions[0];
    if (session === undefined) {
      throw notFound(
        `no client '${clientId}' on any node: no connection and no session${unreachableNote(unreachable)}`,
      );
    }
    return { session, unreachable };
  }

  /**
   * Asked of every node at once rather than "find it, then ask its node": one round trip, and a
   * client caught connected on two nodes mid-takeover is kicked from both.
   */
  async kick(clientId: string): Promise<{ nodeIds: string[]; unreachable: string[] }> {
    requireClientId(clientId);
    const { answers, unreachable } = await this.cluster.all('kick', { clientId }, isObject);
    const nodeIds = answers.filter((a) => (a.value as { kicked?: unknown }).kicked === true).map((a) => a.nodeId);
    if (nodeIds.length === 0) {
      throw notFound(`no client '${clientId}' connected to any node${unreachableNote(unreachable)}`);
    }
    return { nodeIds, unreachable };
  }

  async deleteSession(clientId: string): Promise<{ nodeIds: string[]; unreachable: string[] }> {
    requireClientId(clientId);
    const { answers, unreachable } = await this.cluster.all('deleteSession', { clientId }, isObject);
    const nodeIds = answers.filter((a) => (a.value as { deleted?: unknown }).deleted === true).map((a) => a.nodeId);
    if (nodeIds.length === 0) {
      throw notFound(`no session for client '${clientId}' on any node${unreachableNote(unreachable)}`);
    }
    return { nodeIds, unreachable };
  }

  async listSharedGroups(): Promise<{ groups: SharedGroup[]; unreachable: string[] }> {
    const { answers, unreachable } = await this.cluster.all('sharedGroups', {}, isArray);
    const byGroup = new Map<string, SharedGroup>();
    for (const entry of answers.flatMap((answer) => answer.value as SharedGroupEntry[])) {
      // The NUL byte cannot occur in a group name or filter, so the map key is unambiguous.
      const key = `${entry.group}\u0000${entry.filter}`;
      let group = byGroup.get(key);
      if (group === undefined) {
        group = { group: entry.group, filter: entry.filter, members: 0, backlog: 0, nodes: [] };
        byGroup.set(key, group);
      }
      group.members += entry.members;
      group.backlog += entry.backlog;
      group.nodes.push({ nodeId: entry.nodeId, members: entry.members, backlog: entry.backlog });
    }
    const groups = [...byGroup.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, group]) => group);
    for (const group of groups) group.nodes.sort((x, y) => (x.nodeId < y.nodeId ? -1 : x.nodeId > y.nodeId ? 1 : 0));
    return { groups, unreachable };
  }

  /** Publishing is local: the broker routes the message to every node, as for a client's PUBLISH. */
  async publish(command: PublishCommand): Promise<{ nodeId: string }> {
    const request: PublishRequest = {
      topic: requireTopicName(command.topic),
      payload: command.payload.toString('base64'),
      qos: requireQos(command.qos),
      retain: command.retain,
    };
    if (command.contentType !== '') request.contentType = command.contentType;
    if (command.messageExpiryInterval > 0) request.messageExpiryInterval = command.messageExpiryInterval;
    if (command.userProperties.length > 0) {
      // NodeAdmin takes a record: a key given twice keeps its last value.
      request.userProperties = Object.fromEntries(command.userProperties.map(({ key, value }) => [key, value]));
    }
    await this.node.publish(request);
    return { nodeId: this.node.nodeId };
  }

  /** The retained store is shared by all nodes, so this node answers alone. */
  async listRetained(filter: string, limit: number): Promise<{ messages: RetainedEntry[]; truncated: boolean }> {
    const topicFilter = requireTopicFilter(filter === '' ? '#' : filter);
    const max = pageSize(limit, 'limit');
    // One more than asked tells whether the list was cut.
    const found = await this.node.retained(topicFilter, max + 1);
    const sorted = [...found].sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0));
    return { messages: sorted.slice(0, max), truncated: sorted.length > max };
  }

  async deleteRetained(topic: string): Promise<void> {
    requireTopicName(topic);
    if (!(await this.node.deleteRetained(topic))) throw notFound(`no retained message on topic '${topic}'`);
  }

  async drain(nodeId: string, ratePerSecond: number, serverReference: string): Promise<{ nodeId: string }> {
    if (serverReference !== '' && !/^[^\s:]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(serverReference)) {
      throw invalidArgument(`server_reference '${serverReference}' is not a host or host:port`);
    }
    await this.cluster.one(nodeId, 'drain', { ratePerSecond, serverReference });
    return { nodeId: nodeId === '' ? this.node.nodeId : nodeId };
  }

  async setLogLevel(level: string, nodeId: string): Promise<{ nodeIds: string[]; unreachable: string[] }> {
    requireLogLevel(level);
    if (nodeId !== '') {
      await this.cluster.one(nodeId, 'setLogLevel', { level });
      return { nodeIds: [nodeId], unreachable: [] };
    }
    const { answers, unreachable } = await this.cluster.all('setLogLevel', { level }, isObject);
    return { nodeIds: answers.map((answer) => answer.nodeId), unreachable };
  }

  /**
   * Every node (or the named one) sheds its excess connections now. Each answers once the clients
   * it asked have gone, so this waits up to `rebalanceTimeoutMs` for each node, this one included;
   * a node still moving clients then is reported as not answering while its rebalance goes on.
   */
  async rebalance(nodeId: string): Promise<{ results: RebalanceResult[]; unreachable: string[] }> {
    const options = { timeoutMs: this.rebalanceTimeoutMs };
    if (nodeId !== '') {
      const value = await this.cluster.one(nodeId, 'rebalance', {}, options);
      if (!isMoved(value)) throw new Error(`node '${nodeId}' gave an unexpected answer (different FlockMQ version?)`);
      return { results: [{ nodeId, moved: movedOf(value) }], unreachable: [] };
    }
    const { answers, unreachable } = await this.cluster.all('rebalance', {}, isMoved, options);
    return { results: answers.map((answer) => ({ nodeId: answer.nodeId, moved: movedOf(answer.value) })), unreachable };
  }
}
