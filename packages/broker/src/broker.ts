import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ReasonCode } from '@flockmq/protocol';
import type { Properties, QoS } from '@flockmq/protocol';
import { Channel } from './channel';
import type { WillState } from './channel';
import { systemClock } from './clock';
import type { Clock, TimerHandle } from './clock';
import type { BrokerHooks } from './hooks';
import { DEFAULT_LIMITS } from './limits';
import type { BrokerLimits } from './limits';
import { silentLogger } from './logger';
import type { Logger } from './logger';
import { isExpired } from './message';
import type { Message } from './message';
import { Router } from './router';
import type { DirectDelivery } from './router';
import { Session } from './session';
import type { SharedGroup } from './shared-group';
import type { Transport } from './transport';
import { MemoryRetainStore } from './backends/memory-retain-store';
import { MemoryRouteRegistry } from './backends/memory-route-registry';
import { MemorySessionStore } from './backends/memory-session-store';
import type { RetainStore } from './backends/retain-store';
import type { RouteRegistry } from './backends/route-registry';
import type { PendingMessage, SessionState, SessionStore, SubscriptionOptions } from './backends/session-store';
import { BrokerStats } from './stats';
import type { DropReason } from './stats';

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
}

export interface OpenedSession {
  session: Session;
  sessionPresent: boolean;
}

const NEVER_EXPIRES = 0xffffffff;

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
  readonly stats = new BrokerStats();
  /** Every open transport, connected or not. */
  private readonly connections = new Set<Channel>();
  /** Connected clients by client id: at most one connection per client id (G2). */
  private readonly channels = new Map<string, Channel>();
  private readonly willTimers = new Map<string, { timer: TimerHandle; will: WillState }>();
  private readonly expiryTimers = new Map<string, TimerHandle>();
  /** Serialises CONNECT handling per client id, so racing CONNECTs resolve in arrival order. */
  private readonly connectLocks = new Map<string, Promise<unknown>>();
  private readonly makeClientId: () => string;
  private state: 'new' | 'running' | 'closing' | 'closed' = 'new';

  constructor(options: BrokerOptions = {}) {
    this.nodeId = options.nodeId ?? hostname();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.log = (options.logger ?? silentLogger).child({ node: this.nodeId });
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.sessions = options.backends?.sessions ?? new MemorySessionStore();
    this.retained = options.backends?.retained ?? new MemoryRetainStore();
    this.routes = options.backends?.routes ?? new MemoryRouteRegistry();
    this.makeClientId = options.assignClientId ?? (() => `flockmq-${randomUUID()}`);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get clientCount(): number {
    return this.channels.size;
  }

  async start(): Promise<void> {
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
    this.stats.connectionsOpened++;
  }

  assignClientId(): string {
    return this.makeClientId();
  }

  channel(clientId: string): Channel | undefined {
    return this.channels.get(clientId);
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
    for (const { timer } of this.willTimers.values()) this.clock.clearTimeout(timer);
    for (const timer of this.expiryTimers.values()) this.clock.clearTimeout(timer);
    this.willTimers.clear();
    this.expiryTimers.clear();
    this.state = 'closed';
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Claims a client id for a connecting channel and returns its session: taken over from a live
   * connection (which gets 0x8E) or loaded from the store, or new. Returns a reason code when the
   * client may not have this client id.
   */
  openSession(channel: Channel, clean: boolean, expiryInterval: number): Promise<OpenedSession | number> {
    const clientId = channel.clientId;
    const previous = this.connectLocks.get(clientId) ?? Promise.resolve();
    const next = previous.then(
      () => this.openSessionNow(channel, clean, expiryInterval),
      () => this.openSessionNow(channel, clean, expiryInterval),
    );
    this.connectLocks.set(clientId, next);
    void next.finally(() => {
      if (this.connectLocks.get(clientId) === next) this.connectLocks.delete(clientId);
    });
    return next;
  }

  private async openSessionNow(channel: Channel, clean: boolean, expiryInterval: number): Promise<OpenedSession | number> {
    const clientId = channel.clientId;
    if (channel.state !== 'connecting') return ReasonCode.UnspecifiedError;
    const existing = this.channels.get(clientId);
    const owner = existing ? existing.username : (await this.sessions.load(clientId))?.username;
    if ((existing || owner !== undefined) && owner !== channel.username) {
      // G2: a session is bound to the identity that created it.
      this.log.warn({ clientId, username: channel.username }, 'takeover_refused_identity');
      return ReasonCode.NotAuthorized;
    }
    const ownership = await this.sessions.claim(clientId, this.nodeId);
    let state: SessionState | undefined;
    if (existing && existing.session) {
      state = existing.session.toState(undefined);
      this.evict(existing, !clean);
    } else {
      state = await this.sessions.load(clientId);
    }
    // From here on no await: deliveries for this client id must find either the store or this channel.
    if (channel.state !== 'connecting') {
      // The client went away while its session was being claimed; leave the session as it was.
      if (state) await this.sessions.save(state, ownership.epoch);
      return ReasonCode.UnspecifiedError;
    }
    this.cancelExpiry(clientId);
    this.takePendingWill(clientId, !clean);
    if (clean && state) {
      this.endSessionSubscriptions(clientId, state.subscriptions.map((s) => s.filter));
      state = undefined;
      void this.sessions.delete(clientId, ownership.epoch).catch((err: unknown) => this.log.error({ err, clientId }, 'session_delete_failed'));
    }
    const session = state ? Session.fromState(state) : new Session(clientId, channel.username, channel.protocolVersion, expiryInterval);
    session.protocolVersion = channel.protocolVersion;
    session.expiryInterval = expiryInterval;
    session.username = channel.username;
    channel.epoch = ownership.epoch;
    this.channels.set(clientId, channel);
    return { session, sessionPresent: state !== undefined };
  }

  /** Session takeover on this node: the old connection is closed with 0x8E [MQTT-3.1.4-3]. */
  private evict(existing: Channel, resumed: boolean): void {
    this.channels.delete(existing.clientId);
    // A connection that closed while the claim was in progress has already had its will handled.
    const will = existing.state === 'closed' ? undefined : existing.will;
    existing.will = undefined;
    existing.session = undefined;
    this.stats.takeovers++;
    existing.log.info({ clientId: existing.clientId }, 'session_taken_over');
    existing.disconnect(ReasonCode.SessionTakenOver, 'session taken over');
    // [MQTT-3.1.3-9] A delayed will is not sent if the session resumes before the delay is over.
    if (will && (will.delayInterval === 0 || !resumed)) this.publishWill(existing.clientId, will);
  }

  /** Called by a channel when its transport has closed. */
  onChannelClosed(channel: Channel, hadSession: boolean): void {
    this.connections.delete(channel);
    this.stats.connectionsClosed++;
    const session = channel.session;
    if (!hadSession || !session || this.channels.get(channel.clientId) !== channel) return;
    this.channels.delete(channel.clientId);
    const clientId = channel.clientId;
    this.returnSharedInflight(session);
    const will = channel.will;
    if (session.expiryInterval === 0) {
      this.endSessionSubscriptions(clientId, session.subscriptions.keys());
      void this.sessions
        .delete(clientId, channel.epoch)
        .catch((err: unknown) => this.log.error({ err, clientId }, 'session_delete_failed'));
      if (will) this.publishWill(clientId, will);
      return;
    }
    const state = session.toState(this.clock.now());
    this.sessions.save(state, channel.epoch).then(
      () => undefined,
      (err: unknown) => this.log.warn({ err, clientId }, 'session_save_failed'),
    );
    if (will) {
      const delay = Math.min(will.delayInterval, session.expiryInterval);
      if (delay === 0) this.publishWill(clientId, will);
      else {
        const timer = this.clock.setTimeout(() => {
          this.willTimers.delete(clientId);
          this.publishWill(clientId, will);
        }, delay * 1000);
        this.willTimers.set(clientId, { timer, will });
      }
    }
    if (session.expiryInterval !== NEVER_EXPIRES) {
      const timer = this.clock.setTimeout(() => void this.expireSession(clientId), session.expiryInterval * 1000);
      this.expiryTimers.set(clientId, timer);
    }
  }

  private async expireSession(clientId: string): Promise<void> {
    this.expiryTimers.delete(clientId);
    if (this.channels.has(clientId)) return;
    const state = await this.sessions.load(clientId);
    if (this.channels.has(clientId)) return;
    await this.sessions.delete(clientId);
    if (state) this.endSessionSubscriptions(clientId, state.subscriptions.map((s) => s.filter));
    this.takePendingWill(clientId, false);
    this.stats.sessionsExpired++;
    this.log.debug({ clientId }, 'session_expired');
  }

  private cancelExpiry(clientId: string): void {
    const timer = this.expiryTimers.get(clientId);
    if (timer) this.clock.clearTimeout(timer);
    this.expiryTimers.delete(clientId);
  }

  /** A new connection to a session: its pending delayed will is cancelled if it resumes, else sent now. */
  private takePendingWill(clientId: string, resumed: boolean): void {
    const pending = this.willTimers.get(clientId);
    if (!pending) return;
    this.clock.clearTimeout(pending.timer);
    this.willTimers.delete(clientId);
    if (!resumed) this.publishWill(clientId, pending.will);
  }

  private endSessionSubscriptions(clientId: string, filters: Iterable<string>): void {
    for (const filter of [...filters]) this.removeRoute(clientId, filter);
  }

  private publishWill(clientId: string, will: WillState): void {
    const now = this.clock.now();
    const p = will.properties;
    let properties: Properties | undefined;
    if (p) {
      properties = { ...p };
      delete properties.messageExpiryInterval;
      delete properties.willDelayInterval;
      if (Object.keys(properties).length === 0) properties = undefined;
    }
    const message: Message = {
      topic: will.topic,
      payload: will.payload,
      qos: will.qos,
      retain: will.retain,
      properties,
      expiresAt: p?.messageExpiryInterval !== undefined ? now + p.messageExpiryInterval * 1000 : undefined,
      origin: clientId,
      receivedAt: now,
    };
    this.stats.willsPublished++;
    this.log.debug({ clientId, topic: will.topic }, 'will_published');
    void this.publish(message).done?.catch((err: unknown) => this.log.error({ err, clientId }, 'will_publish_failed'));
  }

  // ---------------------------------------------------------------- subscriptions

  /** Adds or replaces a subscription of a connected session; returns whether it is new. */
  async subscribe(channel: Channel, filter: string, options: SubscriptionOptions): Promise<boolean> {
    const session = channel.session!;
    session.addSubscription({ filter, ...options });
    const { isNew, firstForFilter } = this.router.subscribe(channel.clientId, filter, options);
    if (firstForFilter) await this.routes.add(filter, this.nodeId);
    return isNew;
  }

  async unsubscribe(channel: Channel, filter: string): Promise<boolean> {
    const session = channel.session!;
    session.removeSubscription(filter);
    return this.removeRoute(channel.clientId, filter);
  }

  private removeRoute(clientId: string, filter: string): boolean {
    const { existed, lastForFilter } = this.router.unsubscribe(clientId, filter);
    if (lastForFilter) {
      void this.routes.remove(filter, this.nodeId).catch((err: unknown) => this.log.error({ err, filter }, 'route_remove_failed'));
    }
    return existed;
  }

  // ---------------------------------------------------------------- publishing

  /**
   * Routes a message to every matching subscription. `done` is set when part of the work is
   * asynchronous (retained store, offline queues); a QoS 1/2 publisher is acknowledged after it.
   */
  publish(message: Message): { matched: boolean; done: Promise<unknown> | undefined } {
    this.stats.messagesPublished++;
    let waits: Promise<unknown>[] | undefined;
    if (message.retain) {
      // [MQTT-3.3.1-5] store (or, with an empty payload, clear [MQTT-3.3.1-6]) the retained message.
      (waits ??= []).push(this.retained.put(message));
    }
    let matched = false;
    this.router.match(
      message,
      (clientId, delivery) => {
        matched = true;
        const wait = this.deliverDirect(clientId, message, delivery);
        if (wait) (waits ??= []).push(wait);
      },
      (group) => {
        matched = true;
        this.dispatchShared(group, message);
      },
    );
    return { matched, done: waits && Promise.all(waits) };
  }

  private deliverDirect(clientId: string, message: Message, delivery: DirectDelivery): Promise<unknown> | undefined {
    const qos = (message.qos < delivery.qos ? message.qos : delivery.qos) as QoS;
    const pending: PendingMessage = {
      message,
      qos,
      // [MQTT-3.3.1-12] [MQTT-3.3.1-13] RETAIN is kept only with Retain As Published.
      retain: delivery.retainAsPublished ? message.retain : false,
      subscriptionIds: delivery.subscriptionIds,
      packetId: undefined,
      state: 'queued',
      sharedGroup: undefined,
    };
    const channel = this.channels.get(clientId);
    if (channel && channel.session) {
      channel.deliver(pending);
      return undefined;
    }
    if (qos === 0) {
      this.dropped(pending, 'offline_qos0');
      return undefined;
    }
    return this.sessions
      .append(clientId, pending, this.limits.maxQueuedMessages, this.limits.queueDropPolicy)
      .then((result) => {
        if (result === 'dropped-new' || result === 'dropped-oldest') this.stats.drop('queue_full');
        else if (result === 'queued') this.stats.messagesQueued++;
      });
  }

  /** Hands a message to one online member of a shared group with room, or keeps it in the group's backlog (G3). */
  private dispatchShared(group: SharedGroup, message: Message): void {
    if (!this.offerShared(group, message)) {
      if (group.backlog.length >= this.limits.maxQueuedMessages) {
        if (this.limits.queueDropPolicy === 'drop-new') {
          this.stats.drop('queue_full');
          return;
        }
        group.backlog.shift();
        this.stats.drop('queue_full');
      }
      group.backlog.push(message);
    }
  }

  private offerShared(group: SharedGroup, message: Message): boolean {
    const memberId = group.pick(message.qos, (clientId, qos) => this.channels.get(clientId)?.canTakeNow(qos) ?? false);
    if (memberId === undefined) return false;
    const options = group.members.get(memberId)!;
    const channel = this.channels.get(memberId)!;
    channel.deliver({
      message,
      qos: (message.qos < options.qos ? message.qos : options.qos) as QoS,
      retain: options.retainAsPublished ? message.retain : false,
      subscriptionIds: options.subscriptionId === undefined ? undefined : [options.subscriptionId],
      packetId: undefined,
      state: 'queued',
      sharedGroup: group.key,
    });
    return true;
  }

  /** A member has room again: hand it (or other members) what waits in its groups' backlogs. */
  pumpSharedGroups(channel: Channel): void {
    const session = channel.session;
    if (!session || session.sharedGroupKeys.size === 0) return;
    for (const key of session.sharedGroupKeys) {
      const group = this.router.group(key);
      if (group) this.drainGroup(group);
    }
  }

  private drainGroup(group: SharedGroup): void {
    const now = this.clock.now();
    while (group.backlog.length > 0) {
      const message = group.backlog.peek()!;
      if (isExpired(message, now)) {
        group.backlog.shift();
        this.stats.messagesExpired++;
        continue;
      }
      if (!this.offerShared(group, message)) return;
      group.backlog.shift();
    }
  }

  /**
   * [G3] QoS 1 messages a departing member had not acknowledged go back to their group at once
   * (and queued shared messages too); QoS 2 ones stay with the member [MQTT-4.8.2-?] (MQTT 5 §4.8.2).
   */
  private returnSharedInflight(session: Session): void {
    const groups = new Set<SharedGroup>();
    const giveBack = (pending: PendingMessage): boolean => {
      if (pending.sharedGroup === undefined || pending.qos === 2) return false;
      const group = this.router.group(pending.sharedGroup);
      if (!group) return false;
      group.backlog.unshift(pending.message);
      groups.add(group);
      return true;
    };
    for (const [packetId, pending] of [...session.inflight].reverse()) {
      if (pending.qos === 1 && giveBack(pending)) session.inflight.delete(packetId);
    }
    session.queue.removeWhere((pending) => pending.qos !== 2 && giveBack(pending));
    for (const group of groups) this.drainGroup(group);
  }

  // ---------------------------------------------------------------- accounting

  delivered(_pending: PendingMessage): void {
    this.stats.messagesDelivered++;
  }

  dropped(_pending: PendingMessage, reason: DropReason): void {
    this.stats.drop(reason);
  }

  expired(_pending: PendingMessage): void {
    this.stats.messagesExpired++;
  }

  recordServerDisconnect(channel: Channel, reasonCode: number): void {
    channel.log.debug({ reasonCode }, 'server_disconnect');
  }
}
