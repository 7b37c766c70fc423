import type { QoS } from '@flockmq/protocol';
import type { Broker } from './broker';
import type { Channel } from './channel';
import { isExpired } from './message';
import type { Message } from './message';
import type { DirectDelivery } from './router';
import type { Session } from './session';
import type { SharedGroup } from './shared-group';
import type { PendingMessage } from './backends/session-store';

/**
 * Where a published message goes: this node's subscribers (each once, with the highest QoS of
 * its matching subscriptions), its shared groups (one member each, G3), the other nodes that
 * need it (once per node, G4), and the queues of offline persistent sessions (G1).
 */
export class Delivery {
  constructor(private readonly broker: Broker) {}

  /**
   * Routes a message to every matching subscription. `done` is set when part of the work is
   * asynchronous (retained store, offline queues); a QoS 1/2 publisher is acknowledged after it.
   */
  publish(message: Message): { matched: boolean; done: Promise<unknown> | undefined } {
    let waits: Promise<unknown>[] | undefined;
    if (message.retain) {
      // [MQTT-3.3.1-5] store (or, with an empty payload, clear [MQTT-3.3.1-6]) the retained message.
      (waits ??= []).push(this.broker.retained.put(message));
    }
    let matched = false;
    let localGroups: Map<string, SharedGroup> | undefined;
    this.broker.router.match(
      message,
      (clientId, delivery) => {
        matched = true;
        const wait = this.deliverDirect(clientId, message, delivery);
        if (wait) (waits ??= []).push(wait);
      },
      (group) => {
        matched = true;
        (localGroups ??= new Map()).set(group.key, group);
      },
    );
    const cluster = this.broker.cluster;
    if (cluster) {
      const remote: Promise<unknown>[] = [];
      // Groups with members elsewhere are picked among nodes there; the rest stay below.
      if (cluster.publish(message, localGroups, remote)) matched = true;
      // G2: a session that just moved from here, to a node this replica does not route to yet.
      this.broker.movedAway.matching(message.topic, undefined, (clientId, nodeId) => {
        if (cluster.routesTo(nodeId, message.topic)) return;
        matched = true;
        remote.push(cluster.passOn(nodeId, message, clientId));
      });
      if (remote.length > 0) (waits ??= []).push(...remote);
    }
    if (localGroups) {
      for (const group of localGroups.values()) {
        const wait = this.dispatchShared(group, message);
        if (wait) (waits ??= []).push(wait);
      }
    }
    // One wait (the usual: this message's forward batch, shared by its other messages) needs no Promise.all.
    return { matched, done: waits && (waits.length === 1 ? waits[0] : Promise.all(waits)) };
  }

  /**
   * A message forwarded by another node: delivered to this node's ordinary subscribers (shared
   * groups were decided by the sender). With adoptedFrom (a retry after that node died), only to sessions that moved here lately.
   */
  deliverForwarded(
    message: Message,
    adoptedFrom: string | undefined,
    forClient?: string,
  ): Promise<unknown> | undefined {
    let waits: Promise<unknown>[] | undefined;
    let matchedHere: Set<string> | undefined;
    this.broker.router.match(
      message,
      (clientId, delivery) => {
        if (forClient !== undefined && clientId !== forClient) return;
        // A retry after a node died goes to the sessions that moved here lately (from that node,
        // or through it: adopted by one survivor, then taken over here); the others already had it.
        if (adoptedFrom !== undefined && this.broker.adoptedFrom(clientId) === undefined) return;
        (matchedHere ??= new Set()).add(clientId);
        const wait = this.deliverDirect(clientId, message, delivery);
        if (wait) (waits ??= []).push(wait);
      },
      () => undefined,
    );
    // G2: the sender routed this by a route that has just moved with its session: pass it on.
    if (adoptedFrom === undefined) {
      this.broker.movedAway.matching(message.topic, forClient, (clientId, nodeId) => {
        if (matchedHere?.has(clientId) || !this.broker.cluster) return;
        (waits ??= []).push(this.broker.cluster.passOn(nodeId, message, clientId));
      });
    }
    return waits && Promise.all(waits);
  }

  private deliverDirect(clientId: string, message: Message, delivery: DirectDelivery): Promise<unknown> | undefined {
    const qos = (message.qos < delivery.qos ? message.qos : delivery.qos) as QoS;
    return this.handTo(clientId, {
      message,
      qos,
      // [MQTT-3.3.1-12] [MQTT-3.3.1-13] RETAIN is kept only with Retain As Published.
      retain: delivery.retainAsPublished ? message.retain : false,
      subscriptionIds: delivery.subscriptionIds,
      seq: 0,
      state: 'queued',
      sharedGroup: undefined,
    });
  }

  /**
   * Gives a message to one session. QoS 1/2 for a durable session is appended to the store
   * first (G1: the publisher is acknowledged after that); the returned promise says when.
   */
  private handTo(clientId: string, pending: PendingMessage): Promise<unknown> | undefined {
    const channel = this.broker.channel(clientId);
    const session = channel?.session;
    if (channel && session && (pending.qos === 0 || !session.durable)) {
      channel.deliver(pending);
      return undefined;
    }
    if (!channel && pending.qos === 0) {
      this.broker.stats.drop('offline_qos0', pending.qos);
      return undefined;
    }
    // Online durable sessions bound their queue in memory (where sent and queued are known).
    const bound = channel ? Number.MAX_SAFE_INTEGER : this.broker.limits.maxQueuedMessages;
    const appending = this.broker.sessions.append(clientId, pending, bound, this.broker.limits.queueDropPolicy);
    this.trackAppend(clientId, appending);
    return appending.then((outcome) => {
      if (outcome.result === 'no-session') {
        this.broker.log.warn({ clientId }, 'append_no_session');
        return;
      }
      if (outcome.result !== 'queued') this.broker.stats.drop('queue_full', pending.qos);
      if (outcome.result === 'dropped-new') return;
      pending.seq = outcome.seq;
      const live = this.broker.channel(clientId);
      const liveSession = live?.session;
      if (live && live === channel && session && liveSession === session) live.deliver(pending);
      else if (live && liveSession?.durable && outcome.seq > liveSession.seqAtLoad) {
        // Appended while this session was being opened, after its load: it would otherwise wait
        // in the store until the next takeover.
        live.deliver(pending);
      } else if (live && !liveSession && live.state === 'connecting') {
        // The same, a moment earlier: registered, CONNACK not yet sent. Queued behind the load.
        (live.earlyArrivals ??= []).push(pending);
      } else this.broker.stats.messagesQueued++;
    });
  }

  /**
   * Appends under way per client id. A node handing a session to another waits for them (G2):
   * the new owner's load must see every message this node acknowledged for the session.
   */
  private readonly appending = new Map<string, Set<Promise<unknown>>>();

  private trackAppend(clientId: string, append: Promise<unknown>): void {
    let set = this.appending.get(clientId);
    if (!set) this.appending.set(clientId, (set = new Set()));
    set.add(append);
    const done = (): void => {
      set.delete(append);
      if (set.size === 0 && this.appending.get(clientId) === set) this.appending.delete(clientId);
    };
    append.then(done, done);
  }

  /** Resolves once the appends to this client's session started so far have settled. */
  async appendsSettled(clientId: string): Promise<void> {
    const set = this.appending.get(clientId);
    if (set) await Promise.allSettled([...set]);
  }

  /** Hands a message to one online member of a shared group with room, or keeps it in the group's backlog (G3). */
  dispatchShared(group: SharedGroup, message: Message): Promise<unknown> | undefined {
    const offered = this.offerShared(group, message);
    if (offered !== false) return offered;
    if (group.backlog.length >= this.broker.limits.maxQueuedMessages) {
      this.broker.stats.drop('queue_full', message.qos);
      if (this.broker.limits.queueDropPolicy === 'drop-new') return undefined;
      group.backlog.shift();
    }
    group.backlog.push(message);
    return undefined;
  }

  /** False when no member can take the message now; else what handTo returned. */
  private offerShared(group: SharedGroup, message: Message): Promise<unknown> | undefined | false {
    const memberId = group.pick(
      message.qos,
      (clientId, qos) => this.broker.channel(clientId)?.canTakeNow(qos) ?? false,
    );
    if (memberId === undefined) return false;
    const options = group.members.get(memberId)!;
    return this.handTo(memberId, {
      message,
      qos: (message.qos < options.qos ? message.qos : options.qos) as QoS,
      retain: options.retainAsPublished ? message.retain : false,
      subscriptionIds: options.subscriptionId === undefined ? undefined : [options.subscriptionId],
      seq: 0,
      state: 'queued',
      sharedGroup: group.key,
    });
  }

  /** A member has room again: hand it (or other members) what waits in its groups' backlogs. */
  pumpSharedGroups(channel: Channel): void {
    const session = channel.session;
    if (!session || session.sharedGroupKeys.size === 0) return;
    for (const key of session.sharedGroupKeys) {
      const group = this.broker.router.group(key);
      if (group) this.drainGroup(group);
    }
  }

  private drainGroup(group: SharedGroup): void {
    const now = this.broker.clock.now();
    while (group.backlog.length > 0) {
      const message = group.backlog.peek()!;
      if (isExpired(message, now)) {
        group.backlog.shift();
        this.broker.stats.messagesExpired[message.qos]!++;
        continue;
      }
      const offered = this.offerShared(group, message);
      if (offered === false) return;
      group.backlog.shift();
      if (offered) this.broker.track(offered);
    }
  }

  /**
   * [G3] QoS 1 messages a departing member had not acknowledged go back to their group at once
   * (and queued shared messages too); QoS 2 ones stay with the member (MQTT 5 §4.8.2). Each goes
   * to another member here that can take it now, else to the group's members on another node,
   * else to the front of the group's backlog here.
   */
  returnSharedInflight(channel: Channel, session: Session): void {
    const returned: PendingMessage[] = [];
    const giveBack = (pending: PendingMessage): boolean => {
      if (pending.sharedGroup === undefined || pending.qos === 2) return false;
      returned.push(pending);
      channel.complete(pending);
      return true;
    };
    for (const [packetId, pending] of [...session.inflight]) {
      if (giveBack(pending)) session.deleteInflight(packetId);
    }
    session.queue.removeWhere(giveBack);
    const backlogged = new Map<SharedGroup, Message[]>();
    for (const { sharedGroup: key, message } of returned) {
      const group = this.broker.router.group(key!);
      const offered = group ? this.offerShared(group, message) : false;
      if (offered !== false) {
        if (offered) this.broker.track(offered);
      } else if (this.broker.cluster?.forwardShared(key!, message)) {
        // Taken by the group on another node.
      } else if (group) {
        let list = backlogged.get(group);
        if (!list) backlogged.set(group, (list = []));
        list.push(message);
      } else {
        this.broker.stats.drop('no_member', message.qos);
      }
    }
    for (const [group, messages] of backlogged) {
      for (let i = messages.length - 1; i >= 0; i--) group.backlog.unshift(messages[i]!);
      this.drainGroup(group);
    }
  }
}
