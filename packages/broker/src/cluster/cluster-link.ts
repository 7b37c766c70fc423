import { FlockError } from '@flockmq/protocol';
import type { Broker } from '../broker';
import type { TimerHandle } from '../clock';
import type { Message } from '../message';
import type { SharedGroup } from '../shared-group';
import type {
  ClusterBus,
  ControlReply,
  ControlRequest,
  ForwardedMessage,
  NodeRegistry,
  RouteDelta,
} from '../backends/cluster-bus';
import type { Ownership } from '../backends/session-store';
import { RouteReplica } from './route-replica';
import { WeightedPicker } from './weighted-picker';
import { DEFAULT_REBALANCE, Rebalancer } from './rebalancer';
import type { RebalanceOptions } from './rebalancer';

/** How often a failed acknowledged forward is tried again while its node is neither back nor cleaned up. */
const FORWARD_RETRY_PAUSE_MS = 1000;

export interface ClusterOptions {
  bus: ClusterBus;
  nodes: NodeRegistry;
  /** How often this node renews its lease in the node registry. */
  leaseRenewMs?: number;
  /** How long a lease lives without renewal: a node silent for longer is dead. */
  leaseMs?: number;
  /** How often the route replica is rebuilt from the registry (heals missed deltas). */
  reconcileMs?: number;
  /** How long a QoS 1/2 forward to an unresponsive node keeps being retried before it fails. */
  forwardRetryMs?: number;
  /** How long to wait for an old owner to hand over a session. */
  takeoverTimeoutMs?: number;
  version?: string;
  /** Moving clients off nodes that hold more than their share (defaults: DEFAULT_REBALANCE). */
  rebalance?: Partial<RebalanceOptions>;
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * Everything a node does as a member of a flock: keeps a replica of the other nodes' routes,
 * forwards publishes to the nodes that need them (once per node, G4), asks old owners to hand
 * over sessions (G2), and adopts the sessions of nodes found dead (G1, G6).
 */
export class ClusterLink {
  readonly replica = new RouteReplica();
  private readonly picker = new WeightedPicker();
  private readonly bus: ClusterBus;
  private readonly nodes: NodeRegistry;
  private readonly cleaned = new Map<string, Waiter>();
  /** Pending timers, cleared on close (each removes itself when it fires). */
  private readonly timers = new Set<TimerHandle>();
  private outbox: RouteDelta[] = [];
  private readonly options: Required<Omit<ClusterOptions, 'bus' | 'nodes' | 'rebalance'>>;
  readonly rebalancer: Rebalancer;
  private readonly startedAt: number;
  private closed = false;
  private started = false;

  constructor(
    private readonly broker: Broker,
    options: ClusterOptions,
  ) {
    this.bus = options.bus;
    this.nodes = options.nodes;
    this.options = {
      leaseRenewMs: options.leaseRenewMs ?? 1000,
      leaseMs: options.leaseMs ?? 5000,
      reconcileMs: options.reconcileMs ?? 30_000,
      forwardRetryMs: options.forwardRetryMs ?? 30_000,
      takeoverTimeoutMs: options.takeoverTimeoutMs ?? 3000,
      version: options.version ?? '0.1.0',
    };
    this.startedAt = broker.clock.now();
    this.rebalancer = new Rebalancer(broker, this.bus, { ...DEFAULT_REBALANCE, ...options.rebalance });
  }

  get connected(): boolean {
    return this.bus.connected;
  }

  async start(): Promise<void> {
    const self = this.broker.nodeId;
    await this.bus.start({
      forward: (from, batch) => this.onForward(from, batch),
      routes: (from, deltas) => this.onRoutes(from, deltas),
      control: (from, request) => this.onControl(from, request),
      nodeUp: (nodeId) => {
        // A node id seen again is a new life: a later failure must wait for a new clean-up.
        this.cleaned.delete(nodeId);
        this.broker.log.info({ peer: nodeId }, 'node_up');
        // Its routes were dropped from the replica when it went quiet (or it is new): read them now
        // rather than at the next periodic reconcile.
        if (this.started)
          void this.reconcile().catch((err: unknown) => this.broker.log.warn({ err }, 'reconcile_failed'));
      },
      nodeDown: (nodeId) => void this.onNodeDown(nodeId),
      load: (nodeId, connections) => this.rebalancer.onLoad(nodeId, connections),
    });
    await this.nodes.clearCleanup(self);
    await this.renewLease();
    // Routes left in the registry by an earlier life of this node id are stale, and the sessions
    // that life owned (it may have died and restarted before anyone noticed) are adopted here.
    await this.broker.routes.purgeNode(self);
    await this.reconcile();
    await this.adoptAll(self);
    this.started = true;
    this.every(this.options.leaseRenewMs, () => this.renewLease());
    this.every(this.options.reconcileMs, () => this.reconcile());
    this.every(this.rebalancer.options.intervalMs, async () => this.rebalancer.tick());
    this.broker.log.info({ peers: [...this.bus.peers()] }, 'cluster_joined');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) this.broker.clock.clearTimeout(timer);
    this.flushRoutes();
    await this.nodes.leave(this.broker.nodeId).catch(() => undefined);
    await this.bus.close();
  }

  private schedule(ms: number, fire: () => void): void {
    const timer = this.broker.clock.setTimeout(() => {
      this.timers.delete(timer);
      fire();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, work: () => Promise<void>): void {
    const run = (): void => {
      if (this.closed) return;
      void work()
        .catch((err: unknown) => this.broker.log.warn({ err }, 'cluster_task_failed'))
        .finally(() => {
          if (!this.closed) this.schedule(ms, run);
        });
    };
    this.schedule(ms, run);
  }

  private renewLease(): Promise<void> {
    return this.nodes.heartbeat(
      { nodeId: this.broker.nodeId, startedAt: this.startedAt, version: this.options.version },
      this.options.leaseMs,
    );
  }

  /**
   * Writes this node's routes to the registry again and rebuilds the replica: after Redis came
   * back from an outage (it may have lost data, or missed writes made while it was away).
   */
  async restoreRoutes(): Promise<void> {
    if (!this.started || this.closed) return;
    for (const { filter } of this.broker.router.routes()) await this.broker.routes.add(filter, this.broker.nodeId);
    await this.reconcile();
    this.broker.log.info({ routes: this.broker.router.routes().length }, 'routes_restored');
  }

  /** Rebuilds the replica from the registry: a delta that was missed heals here. */
  async reconcile(): Promise<void> {
    const snapshot = await this.broker.routes.snapshot();
    const perNode = new Map<string, RouteDelta[]>();
    for (const [filter, nodeIds] of snapshot) {
      for (const nodeId of nodeIds) {
        if (nodeId === this.broker.nodeId) continue;
        let list = perNode.get(nodeId);
        if (!list) perNode.set(nodeId, (list = []));
        list.push({
          op: 'add',
          filter,
          nodeId,
          members: this.replica.groupMembers(groupKey(filter))?.get(nodeId) ?? 1,
        });
      }
    }
    for (const nodeId of this.replica.nodes()) if (!perNode.has(nodeId)) this.replica.purge(nodeId);
    for (const [nodeId, deltas] of perNode) this.replica.replaceNode(nodeId, deltas);
  }

  // ---------------------------------------------------------------- routes

  /** Records a change of this node's routes: written to the registry and announced, batched per turn. */
  announce(delta: RouteDelta, registry: boolean): Promise<void> {
    if (this.outbox.length === 0) queueMicrotask(() => this.flushRoutes());
    this.outbox.push(delta);
    if (!registry) return Promise.resolve();
    return delta.op === 'add'
      ? this.broker.routes.add(delta.filter, delta.nodeId)
      : this.broker.routes.remove(delta.filter, delta.nodeId);
  }

  /** Sends the route deltas batched so far now. */
  flushRoutes(): void {
    if (this.outbox.length === 0) return;
    const deltas = this.outbox;
    this.outbox = [];
    this.bus.broadcastRoutes(deltas);
  }

  private onRoutes(_from: string, deltas: RouteDelta[]): void {
    for (const delta of deltas) {
      if (delta.nodeId === this.broker.nodeId) continue;
      this.replica.apply(delta);
      if (delta.op === 'purge') this.waiter(delta.nodeId).resolve();
    }
  }

  /** This node's own routes, as deltas (answers a peer's 'routes' request). */
  ownRoutes(): RouteDelta[] {
    return this.broker.router
      .routes()
      .map(({ filter, members }) => ({ op: 'add', filter, nodeId: this.broker.nodeId, members }));
  }

  // ---------------------------------------------------------------- publishing

  /**
   * Sends a publish to the other nodes that need it: each node with a matching ordinary
   * subscription once, and each matching shared group to one node chosen by member count.
   * Returns the acknowledgements a QoS 1/2 publisher must wait for.
   */
  publish(message: Message, localGroups: Map<string, SharedGroup> | undefined, waits: Promise<unknown>[]): boolean {
    let matched = false;
    const acknowledged = message.qos > 0;
    this.replica.matchNodes(message.topic, (nodeId) => {
      matched = true;
      waits.push(this.forward(nodeId, { message, sharedGroup: undefined }, acknowledged));
    });
    const remoteGroups = new Set<string>();
    this.replica.matchGroups(message.topic, (key) => remoteGroups.add(key));
    for (const key of remoteGroups) {
      matched = true;
      const local = localGroups?.get(key);
      localGroups?.delete(key);
      const target = this.pickNode(key, local);
      if (target === this.broker.nodeId && local) {
        const wait = this.broker.delivery.dispatchShared(local, message);
        if (wait) waits.push(wait);
      } else if (target !== undefined) {
        waits.push(this.forward(target, { message, sharedGroup: key }, acknowledged));
      }
    }
    return matched;
  }

  /** Whether the replica routes this topic to that node (a publish here is forwarded there anyway). */
  routesTo(nodeId: string, topic: string): boolean {
    let found = false;
    this.replica.matchNodes(topic, (node) => {
      if (node === nodeId) found = true;
    });
    return found;
  }

  /** Passes a message on to the node a client's session moved to (G2), for that client only. */
  passOn(nodeId: string, message: Message, clientId: string): Promise<void> {
    return this.forward(nodeId, { message, sharedGroup: undefined, forClient: clientId }, message.qos > 0);
  }

  /**
   * Hands a shared-group message to the group's members on another node (a member here left
   * without acknowledging it, and no other member here can take it now). False when the group
   * has no members elsewhere.
   */
  forwardShared(key: string, message: Message): boolean {
    const weights = new Map(this.replica.groupMembers(key) ?? []);
    weights.delete(this.broker.nodeId);
    const target = this.picker.pick(key, weights);
    if (target === undefined) return false;
    this.broker.track(
      this.forward(target, { message, sharedGroup: key }, message.qos > 0).catch((err: unknown) =>
        this.broker.log.warn({ err, group: key }, 'shared_forward_failed'),
      ),
    );
    return true;
  }

  private pickNode(key: string, local: SharedGroup | undefined): string | undefined {
    const weights = new Map(this.replica.groupMembers(key) ?? []);
    if (local && local.members.size > 0) weights.set(this.broker.nodeId, local.members.size);
    return this.picker.pick(key, weights);
  }

  /**
   * Forwards to one node. An acknowledged forward that fails (the node died or did not answer)
   * waits until the node's sessions have been adopted by a survivor, then routes the message
   * again to whoever holds the routes now (G1). QoS 1 may then be delivered twice; never lost.
   */
  private async forward(nodeId: string, forwarded: ForwardedMessage, acknowledged: boolean): Promise<void> {
    const deadline = this.broker.clock.now() + this.options.forwardRetryMs;
    let logged = false;
    for (;;) {
      try {
        await this.bus.forward(nodeId, forwarded, acknowledged);
        return;
      } catch (error) {
        if (!acknowledged) return;
        if (!logged) this.broker.log.warn({ peer: nodeId, err: (error as Error).message }, 'forward_failed');
        logged = true;
      }
      // Either the node is found dead and cleaned up (then the message goes where its sessions
      // went), or it (or this node's NATS connection) comes back and the forward is tried again.
      if (await this.waitCleaned(nodeId, Math.min(deadline, this.broker.clock.now() + FORWARD_RETRY_PAUSE_MS))) break;
      if (this.broker.clock.now() >= deadline) {
        throw new FlockError(
          'FLOCK_ERR_FORWARD_FAILED',
          `node ${nodeId} neither took the message nor was cleaned up in time`,
        );
      }
    }
    const { message, sharedGroup } = forwarded;
    const waits: Promise<unknown>[] = [];
    if (sharedGroup !== undefined) {
      const local = this.broker.router.group(sharedGroup);
      const target = this.pickNode(sharedGroup, local);
      if (target === this.broker.nodeId && local) {
        const wait = this.broker.delivery.dispatchShared(local, message);
        if (wait) waits.push(wait);
      } else if (target !== undefined) waits.push(this.forward(target, forwarded, true));
    } else {
      // Only the sessions adopted from the dead node still need it.
      const retry = { message, sharedGroup: undefined, adoptedFrom: forwarded.adoptedFrom ?? nodeId };
      const local = this.broker.delivery.deliverForwarded(message, retry.adoptedFrom);
      if (local) waits.push(local);
      this.replica.matchNodes(message.topic, (next) => waits.push(this.forward(next, retry, true)));
    }
    await Promise.all(waits);
  }

  private waiter(nodeId: string): Waiter {
    let waiter = this.cleaned.get(nodeId);
    if (!waiter) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      waiter = { promise, resolve };
      this.cleaned.set(nodeId, waiter);
    }
    return waiter;
  }

  /** True once the node has been cleaned up; false if `until` came first. */
  private waitCleaned(nodeId: string, until: number): Promise<boolean> {
    const { promise } = this.waiter(nodeId);
    return new Promise<boolean>((resolve) => {
      const timer = this.broker.clock.setTimeout(() => resolve(false), Math.max(0, until - this.broker.clock.now()));
      void promise.then(() => {
        this.broker.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async onForward(_from: string, batch: ForwardedMessage[]): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const { message, sharedGroup, adoptedFrom, forClient } of batch) {
      if (sharedGroup === undefined) {
        const wait = this.broker.delivery.deliverForwarded(message, adoptedFrom, forClient);
        if (wait) waits.push(wait);
        continue;
      }
      const group = this.broker.router.group(sharedGroup);
      if (group) {
        const wait = this.broker.delivery.dispatchShared(group, message);
        if (wait) waits.push(wait);
      } else {
        // The group's members here left meanwhile: hand it to the group elsewhere.
        const target = this.pickNode(sharedGroup, undefined);
        if (target !== undefined && target !== this.broker.nodeId) {
          waits.push(this.forward(target, { message, sharedGroup }, message.qos > 0));
        }
      }
    }
    await Promise.all(waits);
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Asks the node that owns a client id to close its connection (0x8E) and write its session,
   * before this node claims it (G2). A node that does not answer in time is treated as gone:
   * the claim's epoch fences anything it still writes.
   */
  async requestTakeover(clientId: string, owner: Ownership): Promise<void> {
    if (owner.nodeId === this.broker.nodeId || !this.bus.peers().has(owner.nodeId)) return;
    try {
      const reply = await this.bus.request(
        owner.nodeId,
        { type: 'takeover', clientId, epoch: owner.epoch },
        this.options.takeoverTimeoutMs,
      );
      if (!reply.ok) this.broker.log.warn({ clientId, peer: owner.nodeId, detail: reply.detail }, 'takeover_refused');
    } catch (error) {
      this.broker.log.warn({ clientId, peer: owner.nodeId, err: (error as Error).message }, 'takeover_unanswered');
    }
  }

  /** Answers admin requests from other nodes (set by the server; JSON in, JSON out). */
  adminHandler: ((method: string, body: string) => Promise<string>) | undefined;

  /** Other nodes currently alive. */
  peers(): ReadonlySet<string> {
    return this.bus.peers();
  }

  /** Sends an admin request to another node; resolves with its JSON answer. */
  async askAdmin(nodeId: string, method: string, body: string, timeoutMs: number): Promise<string> {
    const reply = await this.bus.request(nodeId, { type: 'admin', method, body }, timeoutMs);
    if (!reply.ok) throw new FlockError('FLOCK_ERR_ADMIN', reply.detail ?? `node ${nodeId} refused ${method}`);
    return reply.data ?? 'null';
  }

  private async onControl(_from: string, request: ControlRequest): Promise<ControlReply> {
    switch (request.type) {
      case 'admin':
        if (!this.adminHandler) return { ok: false, detail: 'this node has no admin API' };
        try {
          return { ok: true, data: await this.adminHandler(request.method, request.body) };
        } catch (error) {
          return { ok: false, detail: (error as Error).message };
        }
      case 'takeover':
        await this.broker.releaseClient(request.clientId, request.epoch, _from);
        return { ok: true };
      case 'routes':
        return { ok: true, routes: this.ownRoutes() };
      default:
        return { ok: false, detail: 'unknown request' };
    }
  }

  // ---------------------------------------------------------------- node death

  /**
   * A peer went quiet on NATS. Its routes stay in the replica (forwards to it are retried) until
   * its lease in the registry has expired too: only then is it dead, and cleaned up. A NATS blip,
   * or a node cut off from NATS but still renewing its lease, loses no route.
   */
  private async onNodeDown(nodeId: string): Promise<void> {
    this.broker.log.warn({ peer: nodeId }, 'node_down');
    await this.recheckNode(nodeId);
  }

  private async recheckNode(nodeId: string): Promise<void> {
    if (this.closed || this.bus.peers().has(nodeId)) return;
    const alive = await this.nodes.alive().catch(() => undefined);
    if (alive && !alive.some((node) => node.nodeId === nodeId)) {
      await this.cleanUp(nodeId);
      return;
    }
    // Its lease is still valid (or Redis did not answer): look again within one lease.
    const wait = Math.max(Math.min(this.options.leaseMs, 1000), 1);
    this.schedule(wait, () => void this.recheckNode(nodeId));
  }

  /** One survivor adopts a dead node's sessions, publishes its clients' wills and drops its routes. */
  private async cleanUp(nodeId: string): Promise<void> {
    // Its routes stay in the replica until its sessions have been adopted and the adopter's routes
    // announced (the 'purge' delta follows them): purged earlier, a publish in between would match
    // no node and be acknowledged to nobody (G1). Until then forwards to it fail and are retried.
    if (!(await this.nodes.claimCleanup(nodeId, this.broker.nodeId, this.options.leaseMs * 6))) return;
    this.broker.log.warn({ peer: nodeId }, 'node_cleanup_started');
    const sessions = await this.adoptAll(nodeId);
    await this.broker.routes.purgeNode(nodeId);
    this.flushRoutes();
    this.replica.purge(nodeId);
    this.bus.broadcastRoutes([{ op: 'purge', filter: '', nodeId }]);
    this.waiter(nodeId).resolve();
    this.broker.log.warn({ peer: nodeId, sessions }, 'node_cleanup_done');
  }

  /** Adopts every session a node (a dead one, or an earlier life of this one) owned; returns how many. */
  private async adoptAll(nodeId: string): Promise<number> {
    const clientIds = await this.broker.sessions.ownedBy(nodeId);
    for (const clientId of clientIds) {
      await this.broker
        .adoptSession(clientId, nodeId)
        .catch((err: unknown) => this.broker.log.error({ err, clientId }, 'adopt_failed'));
    }
    return clientIds.length;
  }
}

function groupKey(filter: string): string {
  return filter.startsWith('$share/') ? filter.slice('$share/'.length) : filter;
}
