/**
 * In-memory nodes for the admin tests: each holds a few clients, sessions, subscriptions and
 * shared groups; they share one retained store, as real nodes share Redis. `linkNodes` joins them
 * with an in-process PeerLink whose ask() runs answerPeer on the target node after a JSON round
 * trip (what the NATS link does), and can add nodes that never answer.
 */
import {
  answerPeer,
  startAdminServer,
  type AdminServer,
  type AdminServerOptions,
  type ClientFilter,
  type ClientSummary,
  type DrainOptions,
  type NodeAdmin,
  type NodeStatus,
  type PeerLink,
  type PublishRequest,
  type RetainedEntry,
  type SessionDetail,
  type SharedGroupEntry,
  type SubscriptionEntry,
  type SubscriptionFilter,
  type SubscriptionInfo,
} from '@flockmq/admin';

export const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

interface Held {
  clientId: string;
  connected: boolean;
  username?: string;
  subscriptions: SubscriptionInfo[];
  client?: ClientSummary;
  disconnectedAt?: number;
}

export function sub(filter: string, qos = 1): SubscriptionInfo {
  return { filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 };
}

function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export class MemoryNode implements NodeAdmin {
  readonly sessions = new Map<string, Held>();
  readonly groups: SharedGroupEntry[] = [];
  readonly published: PublishRequest[] = [];
  readonly drains: DrainOptions[] = [];
  /** Names of the NodeAdmin methods called on this node, in order. */
  readonly calls: string[] = [];
  logLevel = 'info';
  draining = false;
  /** What rebalance() resolves with (clients asked to move), and how long it takes. */
  rebalanceMoves = 0;
  rebalanceDelayMs = 0;

  constructor(
    readonly nodeId: string,
    readonly retainedStore: Map<string, RetainedEntry> = new Map(),
  ) {}

  connect(clientId: string, options: { username?: string; subscriptions?: SubscriptionInfo[] } = {}): this {
    const subscriptions = options.subscriptions ?? [];
    const client: ClientSummary = {
      clientId,
      nodeId: this.nodeId,
      protocol: '5.0',
      listener: 'tcp',
      remote: `10.0.0.1:${40000 + this.sessions.size}`,
      connectedAt: T0,
      keepAlive: 60,
      sessionExpiryInterval: 3600,
      subscriptions: subscriptions.length,
      queued: 0,
      inflight: 0,
    };
    if (options.username !== undefined) client.username = options.username;
    this.sessions.set(clientId, { clientId, connected: true, username: options.username, subscriptions, client });
    return this;
  }

  offline(clientId: string, subscriptions: SubscriptionInfo[] = []): this {
    this.sessions.set(clientId, { clientId, connected: false, subscriptions, disconnectedAt: T0 + 60_000 });
    return this;
  }

  status(): NodeStatus {
    this.calls.push('status');
    const connected = [...this.sessions.values()].filter((s) => s.connected).length;
    return {
      nodeId: this.nodeId,
      version: '0.1.0',
      startedAt: T0,
      uptimeSeconds: 7384,
      connections: connected + 1,
      clients: connected,
      offlineSessions: this.sessions.size - connected,
      ready: true,
      draining: this.draining,
      logLevel: this.logLevel,
    };
  }

  clients(filter: ClientFilter): ClientSummary[] {
    this.calls.push('clients');
    return [...this.sessions.values()]
      .filter((s) => s.client !== undefined)
      .filter((s) => filter.clientIdPrefix === undefined || s.clientId.startsWith(filter.clientIdPrefix))
      .filter((s) => filter.username === undefined || s.username === filter.username)
      .map((s) => s.client!);
  }

  async session(clientId: string): Promise<SessionDetail | undefined> {
    this.calls.push('session');
    const held = this.sessions.get(clientId);
    if (held === undefined) return undefined;
    const detail: SessionDetail = {
      clientId,
      nodeId: this.nodeId,
      connected: held.connected,
      protocol: '5.0',
      sessionExpiryInterval: 3600,
      subscriptions: held.subscriptions,
      queued: held.connected ? 0 : 4,
      inflight: 0,
    };
    if (held.username !== undefined) detail.username = held.username;
    if (held.client) detail.client = held.client;
    if (held.disconnectedAt !== undefined) detail.disconnectedAt = held.disconnectedAt;
    return detail;
  }

  kick(clientId: string): boolean {
    this.calls.push('kick');
    const held = this.sessions.get(clientId);
    if (!held?.connected) return false;
    held.connected = false;
    delete held.client;
    held.disconnectedAt = T0 + 120_000;
    return true;
  }

  async deleteSession(clientId: string): Promise<boolean> {
    this.calls.push('deleteSession');
    return this.sessions.delete(clientId);
  }

  async subscriptions(filter: SubscriptionFilter): Promise<SubscriptionEntry[]> {
    this.calls.push('subscriptions');
    return [...this.sessions.values()]
      .filter((s) => filter.clientIdPrefix === undefined || s.clientId.startsWith(filter.clientIdPrefix))
      .flatMap((s) =>
        s.subscriptions.map((info) => ({ ...info, clientId: s.clientId, nodeId: this.nodeId, connected: s.connected })),
      )
      .filter((entry) => filter.topicFilter === undefined || entry.filter === filter.topicFilter);
  }

  sharedGroups(): SharedGroupEntry[] {
    this.calls.push('sharedGroups');
    return this.groups;
  }

  async publish(request: PublishRequest): Promise<void> {
    this.calls.push('publish');
    this.published.push(request);
    if (request.retain) {
      this.retainedStore.set(request.topic, {
        topic: request.topic,
        payload: request.payload,
        qos: request.qos,
        receivedAt: T0,
      });
    }
  }

  async retained(filter: string, limit: number): Promise<RetainedEntry[]> {
    this.calls.push('retained');
    return [...this.retainedStore.values()].filter((r) => topicMatches(filter, r.topic)).slice(0, limit);
  }

  async deleteRetained(topic: string): Promise<boolean> {
    this.calls.push('deleteRetained');
    return this.retainedStore.delete(topic);
  }

  drain(options: DrainOptions): void {
    this.calls.push('drain');
    this.drains.push(options);
    this.draining = true;
  }

  async rebalance(): Promise<number> {
    this.calls.push('rebalance');
    if (this.rebalanceDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.rebalanceDelayMs).unref());
    }
    return this.rebalanceMoves;
  }

  setLogLevel(level: string): void {
    this.calls.push('setLogLevel');
    this.logLevel = level;
  }
}

/** 25 numbered devices spread over the nodes, a few named clients, one client id on two nodes. */
export function buildCluster(): { a: MemoryNode; b: MemoryNode; c: MemoryNode; all: MemoryNode[] } {
  const retained = new Map();
  const a = new MemoryNode('node-a', retained);
  const b = new MemoryNode('node-b', retained);
  const c = new MemoryNode('node-c', retained);
  const all = [a, b, c];
  for (let i = 0; i < 25; i++) {
    all[i % 3]!.connect(`dev-${String(i).padStart(2, '0')}`, { username: i % 2 === 0 ? 'even' : 'odd' });
  }
  a.connect('alpha', { username: 'alice', subscriptions: [sub('sensors/#'), sub('$share/workers/jobs/+', 2)] });
  b.connect('bravo', { username: 'bob', subscriptions: [sub('sensors/#', 0), sub('cmd/bravo')] });
  c.offline('charlie', [sub('alerts/#', 2), sub('$share/workers/jobs/+', 1)]);
  a.connect('twin');
  b.connect('twin');
  a.groups.push({ group: 'workers', filter: 'jobs/+', nodeId: 'node-a', members: 1, backlog: 0 });
  c.groups.push({ group: 'workers', filter: 'jobs/+', nodeId: 'node-c', members: 2, backlog: 5 });
  c.groups.push({ group: 'audit', filter: 'logs/#', nodeId: 'node-c', members: 1, backlog: 0 });
  return { a, b, c, all };
}

const jsonRoundTrip = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/**
 * One PeerLink per node. `silent` nodes are listed as peers but never answer (their ask() never
 * settles, like a request to a node that died without leaving the cluster).
 */
export function linkNodes(nodes: MemoryNode[], silent: string[] = []): Map<string, PeerLink> {
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  const links = new Map<string, PeerLink>();
  for (const node of nodes) {
    links.set(node.nodeId, {
      peers: () => [...nodes.map((n) => n.nodeId).filter((id) => id !== node.nodeId), ...silent],
      ask: async (nodeId, method, args) => {
        const target = byId.get(nodeId);
        if (target === undefined) return new Promise<never>(() => {});
        return jsonRoundTrip(await answerPeer(target, method, jsonRoundTrip(args)));
      },
    });
  }
  return links;
}

export interface LogLine {
  level: 'info' | 'warn';
  msg: string;
  obj: Record<string, unknown>;
}

export function memoryLogger(): {
  lines: LogLine[];
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
} {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
  };
}

/** Starts an admin server for `node` on 127.0.0.1, any free port; short peer timeouts for tests. */
export function serve(node: NodeAdmin, options: Partial<AdminServerOptions> = {}): Promise<AdminServer> {
  return startAdminServer({
    node,
    host: '127.0.0.1',
    port: 0,
    peerTimeoutMs: 250,
    rebalanceTimeoutMs: 250,
    ...options,
  });
}

/** Captures what ctlMain writes. */
export function captureIo(env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  return {
    io: { env, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}
