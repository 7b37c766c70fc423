import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ReasonCode } from '@flockmq/protocol';
import { Channel } from './channel';
import { systemClock } from './clock';
import type { Clock } from './clock';
import type { BrokerHooks } from './hooks';
import { DEFAULT_LIMITS } from './limits';
import type { BrokerLimits } from './limits';
import { silentLogger } from './logger';
import type { Logger } from './logger';
import type { Message } from './message';
import { Delivery } from './delivery';
import { Router } from './router';
import { Session } from './session';
import type { Transport } from './transport';
import { MemoryRetainStore } from './backends/memory-retain-store';
import { MemoryRouteRegistry } from './backends/memory-route-registry';
import { MemorySessionStore } from './backends/memory-session-store';
import type { RetainStore } from './backends/retain-store';
import type { RouteRegistry } from './backends/route-registry';
import type { Ownership, SessionState, SessionStore, StoredWill, SubscriptionOptions } from './backends/session-store';
import { ClusterLink } from './cluster/cluster-link';
import { MovedSessions } from './cluster/moved-sessions';
import { SESSION_ORIGIN_WINDOW_MS, SessionOrigins } from './cluster/session-origins';
import { FlapGuard } from './flap-guard';
import { OfflineSessions } from './offline-sessions';
import { drainConnections } from './drain';
import type { DrainOptions } from './drain';
import type { ClusterOptions } from './cluster/cluster-link';
import { BrokerStats } from './stats';

export interface Backends {
  sessions: SessionStore;
  retained: RetainStore;
  routes: RouteRegistry;
}

export interface BrokerOptions {
  /** This node's identity in the cluster; defaults to the host name. */
  nodeId?: string;
  limits?: Partial<BrokerLimits>;
  logger?: Logger;
  hooks?: BrokerHooks;
  clock?: Clock;
  /** Storage backends; the in-memory embedded default when omitted. */
  backends?: Partial<Backends>;
  /** Makes client identifiers for clients that connect without one. */
  assignClientId?: () => string;
  /** Cluster mode: how this node reaches the others. Without it the node runs alone. */
  cluster?: ClusterOptions;
}

export interface OpenedSession {
  session: Session;
  sessionPresent: boolean;
  /** Set when the session was taken over from a live connection here or from another node. */
  takenOver?: 'local' | 'remote';
}

/**
 * One FlockMQ node: accepts client transports, owns the live sessions on this node, routes
 * publishes to local subscribers, shared groups and offline persistent sessions, and runs
 * wills and session expiry.
 */
export class Broker {
  readonly nodeId: string;
  readonly limits: BrokerLimits;
  readonly log: Logger;
  readonly clock: Clock;
  readonly hooks: BrokerHooks;
  readonly sessions: SessionStore;
  readonly retained: RetainStore;
  readonly routes: RouteRegistry;
  readonly router = new Router();
  readonly delivery = new Delivery(this);
  readonly stats = new BrokerStats();
  /** Every open transport, connected or not. */
  private readonly connections = new Set<Channel>();
  /** Connected clients by client id: at most one connection per client id (G2). */
  private readonly channels = new Map<string, Channel>();
  /** Durable sessions this node holds without a connection (their expiry and will run here). */
  private readonly parked: OfflineSessions;
  /** Serialises CONNECT handling per client id, so racing CONNECTs resolve in arrival order. */
  private readonly connectLocks = new Map<string, Promise<unknown>>();
  private readonly makeClientId: () => string;
  private readonly writes = new Set<Promise<void>>();
  private state: 'new' | 'running' | 'draining' | 'closing' | 'closed' = 'new';
  /** Set in cluster mode. */
  readonly cluster: ClusterLink | undefined;
  /** Sessions that came here from another node (adopted, or taken over), for retried forwards (G1). */
  private readonly origins: SessionOrigins;
  /** Recent takeovers per client id (G2 flapping). */
  private readonly flaps: FlapGuard;
  /** Sessions that just moved to another node (G2). */
  readonly movedAway: MovedSessions;
  /** Filters routed here for a client id whose takeover from another node is under way (G2). */
  private readonly routedAhead = new Map<string, string[]>();

  constructor(options: BrokerOptions = {}) {
    this.nodeId = options.nodeId ?? hostname();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    // The logger comes bound to the node (the server's carries `node` already).
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.movedAway = new MovedSessions(this.clock);
    this.flaps = new FlapGuard(this.clock);
    this.origins = new SessionOrigins(this.clock, SESSION_ORIGIN_WINDOW_MS);
    this.parked = new OfflineSessions(this, (clientId) => void this.endOfflineSession(clientId, 'expiry'));
    this.hooks = options.hooks ?? {};
    this.sessions = options.backends?.sessions ?? new MemorySessionStore();
    this.retained = options.backends?.retained ?? new MemoryRetainStore();
    this.routes = options.backends?.routes ?? new MemoryRouteRegistry();
    this.makeClientId = options.assignClientId ?? (() => `flockmq-${randomUUID()}`);
    this.cluster = options.cluster && new ClusterLink(this, options.cluster);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get clientCount(): number {
    return this.channels.size;
  }

  /** Every open transport, connected or not (metrics, admin). */
  get openConnections(): ReadonlySet<Channel> {
    return this.connections;
  }

  /** Connected clients by client id. */
  get clients(): ReadonlyMap<string, Channel> {
    return this.channels;
  }

  /** Client ids of the durable sessions this node holds without a connection. */
  get offlineSessions(): ReadonlySet<string> {
    return this.parked.clientIds;
  }

  get draining(): boolean {
    return this.state === 'draining';
  }

  async start(): Promise<void> {
    if (this.cluster) await this.cluster.start();
    this.state = 'running';
  }

  /** Takes a newly accepted client transport. */
  accept(transport: Transport): void {
    const max = this.limits.maxConnections;
    if (this.state !== 'running' || (max > 0 && this.connections.size >= max)) {
      this.log.warn({ connections: this.connections.size, max }, 'connection_refused');
      transport.destroy();
      return;
    }
    this.connections.add(new Channel(this, transport));
    this.stats.connectionsOpened.inc(transport.listener);
  }

  assignClientId(): string {
    return this.makeClientId();
  }

  channel(clientId: string): Channel | undefined {
    return this.channels.get(clientId);
  }

  /**
   * Stops taking connections and disconnects the clients at a bounded rate (G5), each told why
   * (MQTT 5: 0x8B, or 0x9C with a Server Reference); resolves once every connection has closed
   * and the sessions they leave are written to the store, so another node can resume them.
   */
  async drain(options: DrainOptions): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'draining';
    await drainConnections(this, this.connections, options);
    await Promise.all([...this.writes]);
  }

  /** Disconnects a connected client (MQTT 5: 0x98 Administrative action); its session stays. */
  kick(clientId: string): boolean {
    const channel = this.channels.get(clientId);
    if (!channel) return false;
    channel.log.info({}, 'client_kicked');
    channel.disconnect(ReasonCode.AdministrativeAction, 'disconnected by an administrator');
    return true;
  }

  /**
   * Ends a session this node holds, connected (the client is disconnected with 0x98) or offline:
   * its state is deleted and its will, if any, published. False when this node does not hold it.
   */
  async endSession(clientId: string): Promise<boolean> {
    const channel = this.channels.get(clientId);
    if (channel?.session) {
      channel.session.expiryInterval = 0; // the close below then deletes it
      channel.log.info({}, 'session_ended_by_admin');
      channel.disconnect(ReasonCode.AdministrativeAction, 'session ended by an administrator');
      await channel.closed();
      await Promise.all([...this.writes]);
      return true;
    }
    if (!this.parked.clientIds.has(clientId)) return false;
    this.parked.unpark(clientId);
    await this.endOfflineSession(clientId, 'admin');
    return true;
  }

  /** Disconnects every client (MQTT 5: 0x8B server shutting down) and stops timers. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    const closing = [...this.connections].map((channel) => {
      channel.disconnect(ReasonCode.ServerShuttingDown, 'server shutting down');
      return channel.closed();
    });
    await Promise.all(closing);
    await Promise.all([...this.writes]);
    this.parked.clear();
    if (this.cluster) await this.cluster.close();
    this.state = 'closed';
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Claims a client id for a connecting channel and returns its session: taken over from a live
   * connection (which gets 0x8E), or resumed from the store, or new. Returns a reason code when
   * the client may not have this client id.
   */
  openSession(
    channel: Channel,
    clean: boolean,
    expiryInterval: number,
    will: StoredWill | undefined,
  ): Promise<OpenedSession | number> {
    const clientId = channel.clientId;
    const previous = this.connectLocks.get(clientId) ?? Promise.resolve();
    const open = (): Promise<OpenedSession | number> => {
      const started = this.clock.now();
      return this.openSessionNow(channel, clean, expiryInterval, will)
        .catch((error: unknown) => {
          // G2: a CONNECT for this client id on another node claimed the session after this one
          // did; the later claim wins, as if it had taken this connection over.
          if ((error as { code?: unknown }).code !== 'FLOCK_ERR_FENCED') throw error;
          this.log.info({ clientId }, 'connect_lost_race');
          this.stats.takeover('lost_race', this.clock.now() - started);
          return ReasonCode.SessionTakenOver;
        })
        .then((opened) => {
          if (typeof opened !== 'number' && opened.takenOver) {
            this.stats.takeover(opened.takenOver, this.clock.now() - started);
          }
          return opened;
        })
        .finally(() => {
          // Routes taken ahead of a takeover that did not happen are given up again.
          const ahead = this.routedAhead.get(clientId);
          this.routedAhead.delete(clientId);
          if (ahead && this.channels.get(clientId) !== channel)
            for (const filter of ahead) this.removeRoute(clientId, filter);
        });
    };
    const next = previous.then(open, open);
    this.connectLocks.set(clientId, next);
    next
      .finally(() => {
        if (this.connectLocks.get(clientId) === next) this.connectLocks.delete(clientId);
      })
      .catch(() => undefined); // the caller handles the rejection of `next` itself
    return next;
  }

  private async openSessionNow(
    channel: Channel,
    clean: boolean,
    expiryInterval: number,
    will: StoredWill | undefined,
  ): Promise<OpenedSession | number> {
    const clientId = channel.clientId;
    if (channel.state !== 'connecting') return ReasonCode.UnspecifiedError;
    if (this.channels.has(clientId)) await this.slowDownFlapping(clientId);
    if (channel.state !== 'connecting') return ReasonCode.UnspecifiedError;
    const existing = this.channels.get(clientId);
    const stored = existing ? undefined : await this.sessions.load(clientId);
    const owner = existing ? existing.username : stored?.username;
    if ((existing || stored) && owner !== channel.username) {
      // G2: a session is bound to the identity that created it.
      this.log.warn({ clientId, username: channel.username }, 'takeover_refused_identity');
      return ReasonCode.NotAuthorized;
    }
    let previousFilters: string[] = stored?.subscriptions.map((s) => s.filter) ?? [];
    let asked: Ownership | undefined;
    if (existing) previousFilters = await this.evict(existing, !clean);
    else if (this.cluster) {
      // G2: the node that owns the client id closes its connection and writes the session first.
      asked = await this.sessions.owner(clientId);
      if (asked && asked.nodeId !== this.nodeId) {
        await this.slowDownFlapping(clientId);
        // G2: this node routes the session's messages before the old owner stops doing so, so a
        // publish racing with the move reaches one of the two (stored here until it registers).
        if (!clean && stored) this.routeAhead(clientId, stored.subscriptions);
        // The route delta goes out before the request: peers see the new route before the old
        // one goes (the request would otherwise overtake the delta batched for later in this turn).
        this.cluster.flushRoutes();
        await this.cluster.requestTakeover(clientId, asked);
      }
    }
    const claim = await this.sessions.claim(clientId, this.nodeId);
    channel.epoch = claim.epoch;
    if (this.cluster && claim.previous && claim.previous.epoch !== asked?.epoch) {
      // Another node claimed it in between: the later claim (this one) wins.
      await this.cluster.requestTakeover(clientId, claim.previous);
    }
    const durable = expiryInterval > 0;
    const fresh = (): SessionState =>
      new Session(clientId, channel.username, channel.protocolVersion, expiryInterval).toState(undefined, will);
    let resumable = !clean;
    if (clean) {
      // [MQTT-3.1.2-4] Clean Start discards any existing session (a durable one is replaced below).
      for (const filter of previousFilters) this.removeRoute(clientId, filter);
      if (!durable) await this.sessions.delete(clientId, claim.epoch);
    }
    if (durable) {
      const connected = {
        disconnectedAt: null,
        expiryInterval,
        will: will ?? null,
        protocolVersion: channel.protocolVersion,
      };
      if (clean) await this.sessions.save(fresh(), claim.epoch);
      else {
        try {
          await this.sessions.update(clientId, claim.epoch, connected);
        } catch (error) {
          if ((error as { code?: string }).code !== 'FLOCK_ERR_SESSION_NOT_FOUND') throw error;
          await this.sessions.save(fresh(), claim.epoch);
          resumable = false;
        }
      }
    }
    // The last read: whatever was appended for this client id until now is in it, and from the
    // end of this await on, deliveries find the channel registered below.
    const state = resumable ? await this.sessions.load(clientId) : undefined;
    if (!durable && will && this.cluster) {
      // Kept so a survivor can publish it if this node dies (G6).
      await this.sessions.save({ ...fresh(), expiryInterval: 0 }, claim.epoch);
    }
    if (channel.state !== 'connecting') {
      // The client went away while its session was being claimed; leave the session as it was.
      void this.sessions.release(clientId, claim.epoch).catch(() => undefined);
      return ReasonCode.UnspecifiedError;
    }
    this.parked.unpark(clientId);
    this.parked.takePendingWill(clientId, !clean);
    const session = state
      ? Session.fromState(state)
      : new Session(clientId, channel.username, channel.protocolVersion, expiryInterval);
    session.protocolVersion = channel.protocolVersion;
    session.expiryInterval = expiryInterval;
    session.username = channel.username;
    // Routes of a resumed session (idempotent here; needed when it was last owned elsewhere).
    for (const sub of session.subscriptions.values()) this.addRoute(clientId, sub.filter, sub);
    if (!durable && state) {
      // Resumed, but from now on it lives only as long as this connection.
      void this.sessions
        .delete(clientId, claim.epoch)
        .catch((err: unknown) => this.log.error({ err, clientId }, 'session_delete_failed'));
    }
    const previous = claim.previous?.nodeId;
    this.origins.connected(clientId, previous !== undefined && previous !== this.nodeId ? previous : undefined);
    this.movedAway.forget(clientId);
    this.channels.set(clientId, channel);
    if (this.cluster) void this.confirmOwnership(channel);
    const takenOver = existing ? 'local' : asked && asked.nodeId !== this.nodeId ? 'remote' : undefined;
    return { session, sessionPresent: state !== undefined, ...(takenOver && { takenOver }) };
  }

  /**
   * Two CONNECTs for one client id racing on two nodes both get to here; the later claim wins
   * (its node asks this one to close), and this check closes the earlier one if that request
   * arrived before it was registered (G2: never two live connections).
   */
  private async confirmOwnership(channel: Channel): Promise<void> {
    const owner = await this.sessions.owner(channel.clientId).catch(() => undefined);
    if (owner && owner.epoch !== channel.epoch && this.channels.get(channel.clientId) === channel) {
      await this.releaseClient(channel.clientId, owner.epoch);
    }
  }

  /**
   * Another node takes this client id over: close its live connection here (0x8E) after writing
   * its session, or forget the offline session this node held, and drop its routes here.
   */
  async releaseClient(clientId: string, _epoch: number, movedTo?: string): Promise<void> {
    // A CONNECT for this client id still opening here is let finish first, so its connection is
    // the one closed (two CONNECTs racing on two nodes, G2).
    await this.connectLocks.get(clientId)?.catch(() => undefined);
    const channel = this.channels.get(clientId);
    let filters: string[];
    if (channel) {
      filters = await this.evict(channel, true);
    } else {
      this.parked.unpark(clientId);
      this.parked.takePendingWill(clientId, true);
      filters = (await this.sessions.load(clientId))?.subscriptions.map((s) => s.filter) ?? [];
    }
    this.origins.forget(clientId);
    for (const filter of filters) this.removeRoute(clientId, filter);
    if (movedTo !== undefined && movedTo !== this.nodeId) this.movedAway.remember(clientId, movedTo, filters);
    // Messages this node acknowledged for the session reach the store before the new owner loads it.
    await this.delivery.appendsSettled(clientId);
  }

  /**
   * Takes over the session of a client whose node died (run by the one survivor that cleans up
   * after it): a durable session becomes an offline session of this node, so messages for it are
   * queued (G1) and its will and expiry run here (G6); a non-durable one ends, with its will.
   */
  async adoptSession(clientId: string, deadNode: string): Promise<void> {
    const owner = await this.sessions.owner(clientId);
    if (owner?.nodeId !== deadNode) return;
    const claim = await this.sessions.claim(clientId, this.nodeId);
    const state = await this.sessions.load(clientId);
    if (this.channels.has(clientId) || claim.previous?.epoch !== owner.epoch) return;
    if (!state || state.expiryInterval === 0) {
      if (state) await this.sessions.delete(clientId, claim.epoch);
      await this.sessions.release(clientId, claim.epoch);
      if (state?.will) this.parked.publishWill(clientId, state.will);
      return;
    }
    const disconnectedAt = state.disconnectedAt ?? this.clock.now();
    await this.sessions.update(clientId, claim.epoch, { disconnectedAt });
    this.origins.adopted(clientId, deadNode);
    for (const sub of state.subscriptions) this.addRoute(clientId, sub.filter, sub);
    this.parked.park(clientId, state.expiryInterval, state.will);
    this.log.info({ clientId, from: deadNode }, 'session_adopted');
  }

  /** G2: a client id that keeps being taken over waits before each further takeover. */
  private async slowDownFlapping(clientId: string): Promise<void> {
    const { delayMs, takeovers } = this.flaps.delayFor(clientId, this.limits.flapThreshold, this.limits.flapWindow);
    if (delayMs === 0) return;
    this.stats.flapDelays++;
    this.log.info({ clientId, takeovers, delayMs }, 'takeover_slowed_down');
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delayMs));
  }

  /**
   * Session takeover on this node: the old connection is closed with 0x8E [MQTT-3.1.4-3] after
   * its pending writes reach the store. Returns the filters of its session.
   */
  private async evict(existing: Channel, resumed: boolean): Promise<string[]> {
    const session = existing.session;
    this.channels.delete(existing.clientId);
    // A connection that closed while this CONNECT waited has already had its will handled.
    const will = existing.state === 'closed' ? undefined : existing.will;
    existing.will = undefined;
    existing.log.info({}, 'session_taken_over');
    existing.disconnect(ReasonCode.SessionTakenOver, 'session taken over');
    // [MQTT-3.1.3-9] A delayed will is not sent if the session resumes before the delay is over.
    if (will && (will.delayInterval === 0 || !resumed)) this.parked.publishWill(existing.clientId, will);
    if (!session) return [];
    const filters = [...session.subscriptions.keys()];
    if (session.durable) await existing.flushForHandOff().catch(() => undefined);
    else if (resumed) for (const filter of filters) this.removeRoute(existing.clientId, filter);
    existing.session = undefined;
    return filters;
  }

  /** Called by a channel when its transport has closed. */
  onChannelClosed(channel: Channel, hadSession: boolean): void {
    this.connections.delete(channel);
    const session = channel.session;
    if (!hadSession || !session || this.channels.get(channel.clientId) !== channel) return;
    this.channels.delete(channel.clientId);
    const clientId = channel.clientId;
    this.delivery.returnSharedInflight(channel, session);
    const will = channel.will;
    if (session.expiryInterval === 0) {
      for (const filter of session.subscriptions.keys()) this.removeRoute(clientId, filter);
      this.track(
        this.sessions.delete(clientId, channel.epoch).then(() => this.sessions.release(clientId, channel.epoch)),
      );
      if (will) this.parked.publishWill(clientId, will);
      return;
    }
    this.track(channel.flushForHandOff(this.clock.now()));
    this.parked.park(clientId, session.expiryInterval, will);
  }

  /** Keeps track of store writes in progress, so close() can wait for them. */
  track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      (err: unknown) => this.log.warn({ err }, 'session_write_failed'),
    );
    this.writes.add(tracked);
    void tracked.finally(() => this.writes.delete(tracked));
  }

  /** Ends a durable session held offline here (its expiry passed, or an administrator asked). */
  private async endOfflineSession(clientId: string, endedBy: 'expiry' | 'admin'): Promise<void> {
    if (this.channels.has(clientId)) return;
    const state = await this.sessions.load(clientId);
    if (this.channels.has(clientId)) return;
    const owner = await this.sessions.owner(clientId);
    await this.sessions.delete(clientId);
    if (owner?.nodeId === this.nodeId) await this.sessions.release(clientId, owner.epoch);
    this.origins.forget(clientId);
    if (state) for (const sub of state.subscriptions) this.removeRoute(clientId, sub.filter);
    this.parked.takePendingWill(clientId, false);
    if (endedBy === 'expiry') this.stats.sessionsExpired++;
    this.log.debug({ clientId, endedBy }, 'session_expired');
  }

  // ---------------------------------------------------------------- subscriptions

  /** Adds or replaces a subscription of a connected session; returns whether it is new. */
  async subscribe(channel: Channel, filter: string, options: SubscriptionOptions): Promise<boolean> {
    const subscription = { filter, ...options };
    channel.session!.addSubscription(subscription);
    const written = channel.writeThrough((c) => (c.subscribe ??= []).push(subscription));
    const isNew = this.addRoute(channel.clientId, filter, options);
    await written;
    return isNew;
  }

  async unsubscribe(channel: Channel, filter: string): Promise<boolean> {
    channel.session!.removeSubscription(filter);
    const written = channel.writeThrough((c) => (c.unsubscribe ??= []).push(filter));
    const existed = this.removeRoute(channel.clientId, filter);
    await written;
    return existed;
  }

  private routeAhead(clientId: string, subscriptions: readonly ({ filter: string } & SubscriptionOptions)[]): void {
    const added = subscriptions.filter((sub) => this.addRoute(clientId, sub.filter, sub)).map((sub) => sub.filter);
    if (added.length > 0) this.routedAhead.set(clientId, added);
  }

  private addRoute(clientId: string, filter: string, options: SubscriptionOptions): boolean {
    const { isNew, firstForFilter } = this.router.subscribe(clientId, filter, options);
    if (isNew) this.routeChanged('add', filter, firstForFilter);
    return isNew;
  }

  private removeRoute(clientId: string, filter: string): boolean {
    const { existed, lastForFilter } = this.router.unsubscribe(clientId, filter);
    if (existed) this.routeChanged('remove', filter, lastForFilter);
    return existed;
  }

  /**
   * Keeps the registry (first and last local subscriber of a filter, STYLE habit 3) and, in a
   * cluster, the other nodes' replicas current. Shared groups also announce member counts, by
   * which publishers spread the group's messages over nodes (G3).
   */
  private routeChanged(op: 'add' | 'remove', filter: string, firstOrLast: boolean): void {
    const shared = filter.startsWith('$share/');
    if (!firstOrLast && !shared) return;
    const logFailure = (err: unknown): void => this.log.error({ err, filter }, `route_${op}_failed`);
    if (!this.cluster) {
      if (firstOrLast)
        void (op === 'add' ? this.routes.add(filter, this.nodeId) : this.routes.remove(filter, this.nodeId)).catch(
          logFailure,
        );
      return;
    }
    const members = shared ? this.router.group(filter.slice('$share/'.length))?.members.size : undefined;
    const announced = op === 'remove' && !firstOrLast ? 'add' : op;
    void this.cluster
      .announce({ op: announced, filter, nodeId: this.nodeId, ...(members !== undefined && { members }) }, firstOrLast)
      .catch(logFailure);
  }

  // ---------------------------------------------------------------- publishing

  /**
   * Routes a message to every matching subscription. `done` is set when part of the work is
   * asynchronous (retained store, offline queues, other nodes); a QoS 1/2 publisher is
   * acknowledged after it. Counted as a published message (the broker's own `$SYS` statistics
   * go through `delivery.publish` and are not).
   */
  publish(message: Message): { matched: boolean; done: Promise<unknown> | undefined } {
    this.stats.messagesPublished[message.qos]!++;
    return this.delivery.publish(message);
  }

  /** The node a session here came from (adopted, or taken over by a CONNECT here), while that still matters. */
  adoptedFrom(clientId: string): string | undefined {
    return this.origins.from(clientId);
  }
}
