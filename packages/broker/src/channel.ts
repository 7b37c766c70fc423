import {
  PACKET_TYPE_CODES,
  PacketDecoder,
  ProtocolViolation,
  ReasonCode,
  encodePacket,
  reasonCodeName,
} from '@flockmq/protocol';
import type { Packet, Properties, ProtocolVersion, PublishPacket, QoS } from '@flockmq/protocol';
import type { Broker } from './broker';
import type { ClientInfo } from './hooks';
import { LazyChildLogger, type Logger } from './logger';
import type { TimerHandle } from './clock';
import type { Transport } from './transport';
import { packetIdForSeq } from './backends/session-store';
import type { PendingMessage, SessionChanges, StoredWill } from './backends/session-store';
import { isExpired, remainingExpirySeconds } from './message';
import type { Session } from './session';
import { PublishAcks } from './publish-acks';
import { protocolLabel } from './stats';
import type { CloseInitiator } from './stats';
import { handleConnect } from './handlers/connect';
import { handlePublish, handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './handlers/publish';
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe';
import { handleDisconnect } from './handlers/disconnect';
import { fitProperties } from './handlers/fit-properties';

/** 'closing': a close was decided (refused CONNECT, DISCONNECT sent or received); inbound is ignored. */
export type ChannelState = 'awaiting-connect' | 'connecting' | 'connected' | 'closing' | 'closed';

/** Inbound packets buffered while an earlier one is still being handled, before reading pauses. */
const INBOX_HIGH_WATER = 1000;

/** Outbound bytes buffered for a client beyond which QoS 0 is dropped and QoS 1/2 queued (G7). */
const OUTBOUND_HIGH_WATER = 1024 * 1024;
const PUBLISH_TYPE_CODE = PACKET_TYPE_CODES.publish;
/** Largest packet a client may receive when it sets no Maximum Packet Size. */
const PROTOCOL_MAX_PACKET = 268_435_460;

/**
 * One client connection: decodes its bytes, runs the MQTT state machine for it, and writes
 * its outbound packets in batches (one socket write per turn of the event loop, however many
 * packets). Handlers for each packet type live in handlers/.
 */
export class Channel {
  state: ChannelState = 'awaiting-connect';
  protocolVersion: ProtocolVersion = 4;
  /** Set once a CONNECT named the protocol level (metrics label the connection with it from then on). */
  protocolKnown = false;
  clientId = '';
  username: string | undefined;
  session: Session | undefined;
  /** Fencing token of this connection's claim on the session. */
  epoch = 0;
  keepAlive = 0;
  will: StoredWill | undefined;
  /** Set once the client sent DISCONNECT; decides whether the will is published. */
  disconnectReason: number | undefined;
  /** Limits the client declared in CONNECT (MQTT 5). */
  clientReceiveMaximum = 65535;
  clientMaxPacketSize = PROTOCOL_MAX_PACKET;
  requestProblemInformation = true;
  /** Inbound topic aliases [MQTT-3.3.2-12], made when the client first uses one. */
  topicAliases: Map<number, string> | undefined;
  /** Inbound QoS 1/2 publishes not yet acknowledged, against the server's Receive Maximum. */
  inboundUnacked = 0;
  log: Logger;
  readonly connectedAt: number;
  lastReceivedAt: number;

  private readonly decoder: PacketDecoder;
  private inbox: Packet[] = [];
  private busy = false;
  private paused = false;
  /** Messages for this client appended to the store between its session's load and CONNACK. */
  earlyArrivals: PendingMessage[] | undefined;
  private outbox: Buffer[] | undefined;
  private outboxBytes = 0;
  private flushScheduled = false;
  private keepAliveTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;
  private closeListeners: (() => void)[] | undefined;
  private changesWritten: Promise<void> | undefined;
  /** Who closed the connection and with which reason code, once decided (for metrics). */
  private closedBy: { initiator: CloseInitiator; reasonCode: number | undefined } | undefined;

  constructor(
    readonly broker: Broker,
    readonly transport: Transport,
  ) {
    this.log = new LazyChildLogger(broker.log, () => ({
      remote: `${transport.remoteAddress}:${transport.remotePort}`,
    }));
    this.connectedAt = broker.clock.now();
    this.lastReceivedAt = this.connectedAt;
    this.decoder = new PacketDecoder({ maxPacketSize: broker.limits.maxPacketSize });
    transport.onData((chunk) => this.onData(chunk));
    transport.onDrain(() => this.onDrain());
    transport.onClose((error) => this.onTransportClose(error));
    this.connectTimer = broker.clock.setTimeout(() => {
      if (this.state === 'awaiting-connect') {
        this.log.info({ timeoutSeconds: broker.limits.connectTimeout }, 'connect_timeout');
        this.destroy();
      }
    }, broker.limits.connectTimeout * 1000);
  }

  get info(): ClientInfo {
    return {
      clientId: this.clientId,
      username: this.username,
      protocolVersion: this.protocolVersion,
      listener: this.transport.listener,
      remoteAddress: this.transport.remoteAddress,
    };
  }

  /** The protocol level as metrics label it ('none' until a CONNECT names it). */
  get protocol(): string {
    return this.protocolKnown ? protocolLabel(this.protocolVersion) : 'none';
  }

  get isV5(): boolean {
    return this.protocolVersion === 5;
  }

  /** Resolves once the channel is closed (for takeover and shutdown). */
  closed(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => (this.closeListeners ??= []).push(resolve));
  }

  // ---------------------------------------------------------------- inbound

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.lastReceivedAt = this.broker.clock.now();
    this.broker.stats.bytesIn += chunk.length;
    const error = this.decoder.push(chunk, (packet, size) => this.onPacket(packet, size));
    if (error) this.onViolation(error);
    this.updateReading();
  }

  /**
   * Reads from the client only while it keeps up (G7): not while packets wait to be handled,
   * nor while its answers pile up unread, so what the node holds for one client stays bounded.
   */
  private updateReading(): void {
    if (this.state === 'closed') return;
    if (!this.paused && (this.inbox.length >= INBOX_HIGH_WATER || this.congested)) {
      this.paused = true;
      this.transport.pause();
    } else if (this.paused && this.inbox.length === 0 && !this.congested) {
      this.paused = false;
      this.transport.resume();
    }
  }

  private onPacket(packet: Packet, size: number): void {
    const type = PACKET_TYPE_CODES[packet.type];
    this.broker.stats.packetsIn[type]!++;
    this.broker.stats.packetBytesIn[type]! += size;
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.busy || this.inbox.length > 0) {
      this.inbox.push(packet);
      if (this.inbox.length >= INBOX_HIGH_WATER) this.updateReading();
      return;
    }
    this.run(packet);
  }

  /**
   * Handles packets in order: an async handler holds back the ones after it. PUBLISH is the
   * exception: it is routed at once, and only its acknowledgement waits for what is durable
   * (afterPublish), so a publisher's window is not cut to one message per store or cluster round
   * trip. Other packets wait until the publishes before them have completed (waitsForPublishes).
   */
  private run(packet: Packet): void {
    if (this.acks?.pending && this.waitsForPublishes(packet)) {
      this.inbox.unshift(packet);
      this.busy = true;
      this.acks.whenIdle(() => {
        this.busy = false;
        this.drainInbox();
      });
      return;
    }
    let pending: void | Promise<void>;
    try {
      pending = this.dispatch(packet);
    } catch (error) {
      this.onHandlerError(error);
      return;
    }
    if (pending) this.holdUntil(pending);
  }

  private holdUntil(pending: Promise<void>): void {
    this.busy = true;
    pending.then(
      () => {
        this.busy = false;
        this.drainInbox();
      },
      (error: unknown) => {
        this.busy = false;
        this.onHandlerError(error);
      },
    );
  }

  /** Publishes routed and not yet acknowledged (made on the first that must wait). */
  private acks: PublishAcks | undefined;

  /**
   * Runs `done` once `work` has settled and every earlier publish of this connection is
   * acknowledged (PublishAcks); at once when there is nothing to wait for.
   */
  afterPublish(work: Promise<unknown> | undefined, done: () => void, failed: (error: unknown) => void): void {
    if (!work && !this.acks?.pending) {
      done();
      return;
    }
    (this.acks ??= new PublishAcks()).after(work, done, failed);
  }

  /**
   * Whether a packet must wait until the publishes before it have completed: anything but a
   * PUBLISH or an acknowledgement of a message sent to the client (those concern other flows).
   * A PUBLISH waits too past our Receive Maximum when the client is on MQTT 3.1.1, which has
   * none: the publisher is slowed down rather than queued for without bound.
   */
  private waitsForPublishes(packet: Packet): boolean {
    switch (packet.type) {
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        return false;
      case 'publish':
        return packet.qos > 0 && !this.isV5 && this.inboundUnacked >= this.broker.limits.receiveMaximum;
      default:
        return true;
    }
  }

  private drainInbox(): void {
    while (!this.busy && this.inbox.length > 0 && this.state !== 'closed' && this.state !== 'closing') {
      this.run(this.inbox.shift()!);
    }
    this.updateReading();
  }

  private dispatch(packet: Packet): void | Promise<void> {
    if (this.state === 'awaiting-connect') {
      if (packet.type !== 'connect') {
        // [MQTT-3.1.0-1] The first packet from the client must be CONNECT.
        this.log.info({ packet: packet.type }, 'first_packet_not_connect');
        this.destroy();
        return;
      }
      if (this.connectTimer) this.broker.clock.clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.state = 'connecting';
      return handleConnect(this, packet);
    }
    switch (packet.type) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
        return handlePuback(this, packet);
      case 'pubrec':
        return handlePubrec(this, packet);
      case 'pubrel':
        return handlePubrel(this, packet);
      case 'pubcomp':
        return handlePubcomp(this, packet);
      case 'subscribe':
        return handleSubscribe(this, packet);
      case 'unsubscribe':
        return handleUnsubscribe(this, packet);
      case 'pingreq':
        this.send({ type: 'pingresp' }); // [MQTT-3.12.4-1]
        return;
      case 'disconnect':
        return handleDisconnect(this, packet);
      case 'connect':
        // [MQTT-3.1.0-2] A second CONNECT is a protocol violation.
        return this.protocolViolation(ReasonCode.ProtocolError, 'second CONNECT on one connection');
      case 'auth':
        // No enhanced authentication method is negotiated, so AUTH is never expected [MQTT-4.12.0-1].
        return this.protocolViolation(ReasonCode.ProtocolError, 'AUTH without an authentication method');
      default:
        // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-to-client only.
        return this.protocolViolation(ReasonCode.ProtocolError, `${packet.type} is not sent by clients`);
    }
  }

  private onViolation(error: ProtocolViolation): void {
    this.log.info(
      { code: error.code, reason: reasonCodeName(error.reasonCode), detail: error.message },
      'malformed_input',
    );
    if (error.code === 'FLOCK_ERR_UNSUPPORTED_PROTOCOL_VERSION' && this.state === 'awaiting-connect') {
      // [MQTT-3.1.2-2] Reply in the 3.1.1 format, the one every client level can read, then close.
      this.send({ type: 'connack', sessionPresent: false, reasonCode: 0x01 }); // level 4 until a CONNECT is parsed
      this.end();
      return;
    }
    if (this.state === 'awaiting-connect' && (error as { protocolVersion?: number }).protocolVersion === 5) {
      // An MQTT 5 client whose CONNECT is bad may be told why in CONNACK before the close (MQTT 5 §3.2.2.2).
      this.protocolVersion = 5;
      this.protocolKnown = true;
      this.send({ type: 'connack', sessionPresent: false, reasonCode: error.reasonCode });
      this.end();
      return;
    }
    if (this.state === 'awaiting-connect' || this.state === 'connecting') {
      this.destroy(); // [MQTT-4.13.1-1] before CONNACK there is nobody to tell
      return;
    }
    this.disconnect(error.reasonCode, error.message);
  }

  private onHandlerError(error: unknown): void {
    if (error instanceof ProtocolViolation) {
      this.onViolation(error);
      return;
    }
    this.log.error({ err: error }, 'channel_error');
    this.disconnect(ReasonCode.UnspecifiedError, 'internal error');
  }

  /** Closes the connection for a protocol violation by the client (logged), with an MQTT 5 reason. */
  protocolViolation(reasonCode: number, detail: string): void {
    this.log.info({ reason: reasonCodeName(reasonCode), detail }, 'protocol_violation');
    this.disconnect(reasonCode, detail);
  }

  // ---------------------------------------------------------------- outbound

  /** Encodes and queues a packet; everything queued in one turn goes out in one write. */
  send(packet: Packet): void {
    if (this.state === 'closed') return;
    if (packet.type === 'connack') {
      this.broker.stats.countConnack(this.protocol, packet.reasonCode, this.isV5);
    }
    const fitted = this.isV5 ? fitProperties(packet, this.requestProblemInformation, this.clientMaxPacketSize) : packet;
    const bytes = encodePacket(fitted, this.protocolVersion);
    const type = PACKET_TYPE_CODES[packet.type];
    this.broker.stats.packetsOut[type]!++;
    this.broker.stats.packetBytesOut[type]! += bytes.length;
    this.sendRaw(bytes);
  }

  sendRaw(bytes: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    (this.outbox ??= []).push(bytes);
    this.outboxBytes += bytes.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const outbox = this.outbox;
    if (!outbox) return;
    const data = outbox.length === 1 ? outbox[0]! : Buffer.concat(outbox, this.outboxBytes);
    const wasCongested = this.congested;
    this.outbox = undefined;
    this.outboxBytes = 0;
    this.broker.stats.bytesOut += data.length;
    this.transport.write(data);
    // A large batch can go straight to the kernel: write() then returns true and no 'drain'
    // follows, so what waited on the congestion (queued messages, paused reading) resumes here.
    if (wasCongested && !this.congested) this.onDrain();
  }

  /** True when the client is reading too slowly to take more right now. */
  get congested(): boolean {
    return this.transport.writableLength + this.outboxBytes > OUTBOUND_HIGH_WATER;
  }

  // ---------------------------------------------------------------- delivery

  /** In-flight window: the client's Receive Maximum capped by the broker's limit [MQTT-3.3.4-9]. */
  get window(): number {
    return Math.min(this.clientReceiveMaximum, this.broker.limits.maxInflight);
  }

  /** Whether a message at this QoS would go out now rather than wait (used by shared groups). */
  canTakeNow(qos: QoS): boolean {
    if (this.state !== 'connected' || this.congested) return false;
    return qos === 0 || (this.session!.inflight.size < this.window && this.session!.queue.length === 0);
  }

  /**
   * Takes a message for this client: sends it now if the window and the socket allow, queues
   * QoS 1/2 otherwise (bounded, with the drop policy), and drops QoS 0 when the client is
   * congested (G7: a slow subscriber never stalls the others). A durable session's QoS 1/2
   * messages arrive here already appended to the store, with their seq.
   */
  deliver(pending: PendingMessage): void {
    const session = this.session!;
    if (pending.qos === 0) {
      if (this.congested) {
        this.broker.stats.drop('congested', pending.qos);
        return;
      }
      this.transmit(pending, false);
      return;
    }
    if (pending.seq === 0) pending.seq = ++session.lastSeq;
    if (session.queue.length === 0 && session.inflight.size < this.window && !this.congested) {
      if (this.transmit(pending, false)) return;
    }
    this.enqueue(pending);
  }

  private enqueue(pending: PendingMessage): void {
    const session = this.session!;
    if (session.queue.length >= this.broker.limits.maxQueuedMessages) {
      const dropped = this.broker.limits.queueDropPolicy === 'drop-new' ? pending : session.queue.shift()!;
      this.broker.stats.drop('queue_full', dropped.qos);
      this.complete(dropped);
      if (dropped === pending) return;
    }
    session.queue.push(pending);
  }

  /** Sends queued messages while the window and the socket have room. */
  pump(): void {
    const session = this.session;
    if (!session || this.state !== 'connected') return;
    while (session.queue.length > 0 && session.inflight.size < this.window && !this.congested) {
      if (!this.transmit(session.queue.peek()!, false)) break;
      session.queue.shift();
    }
    if (session.queue.length === 0) this.broker.delivery.pumpSharedGroups(this);
  }

  /**
   * Writes one PUBLISH (a first send, or a resend with DUP set [MQTT-4.4.0-1]). Returns false
   * when it cannot go yet: its packet id (derived from its seq) is still in flight.
   */
  transmit(pending: PendingMessage, resend: boolean): boolean {
    const session = this.session!;
    const now = this.broker.clock.now();
    if (!resend && isExpired(pending.message, now)) {
      // [MQTT-3.3.2-5] An expired message is not delivered; one already sent completes its flow.
      if (pending.qos > 0) session.deleteInflight(packetIdForSeq(pending.seq));
      this.broker.stats.messagesExpired[pending.qos]!++;
      this.complete(pending);
      return true;
    }
    if (pending.qos > 0 && !resend) {
      const packetId = packetIdForSeq(pending.seq);
      if (session.inflight.has(packetId)) return false;
      pending.state = 'sent';
      session.setInflight(packetId, pending);
    }
    const packet = this.publishPacket(pending, now, resend);
    const bytes = encodePacket(packet, this.protocolVersion);
    if (bytes.length > this.clientMaxPacketSize) {
      // [MQTT-3.1.2-25] Too large for this client: discard as if delivered.
      if (pending.qos > 0) session.deleteInflight(packetIdForSeq(pending.seq));
      this.broker.stats.drop('packet_too_large', pending.qos);
      this.complete(pending);
      return true;
    }
    this.sendRaw(bytes);
    this.broker.stats.packetsOut[PUBLISH_TYPE_CODE]!++;
    this.broker.stats.packetBytesOut[PUBLISH_TYPE_CODE]! += bytes.length;
    this.broker.stats.countDelivery(pending.qos, pending.message.receivedAt, now);
    return true;
  }

  /** A QoS 1/2 delivery is over (acknowledged, dropped or expired): the store forgets it. */
  complete(pending: PendingMessage): void {
    if (pending.qos === 0 || pending.seq === 0) return;
    void this.writeThrough((changes) => (changes.completed ??= []).push(pending.seq))?.catch(() => undefined);
  }

  /**
   * Records a change of a durable session to write to the store; changes made in the same turn
   * of the event loop are written in one step. Returns when that step is done (undefined for a
   * session that is not durable).
   */
  writeThrough(change: (changes: SessionChanges) => void): Promise<void> | undefined {
    const session = this.session;
    if (!session || !session.durable) return undefined;
    if (session.record(change) || !this.changesWritten) {
      this.changesWritten = Promise.resolve().then(() => this.writeChanges(session));
    }
    return this.changesWritten;
  }

  /**
   * Writes what the store must know before another connection resumes a durable session: the
   * messages sent and not yet acknowledged (resent with DUP) and, once this connection has
   * ended, when, with which expiry and which will.
   */
  flushForHandOff(disconnectedAt?: number): Promise<void> {
    const session = this.session;
    if (!session?.durable) return Promise.resolve();
    const sent = [...session.inflight.values()].filter((p) => p.state === 'sent').map((p) => p.seq);
    const written = this.writeThrough((c) => {
      if (sent.length > 0) (c.sent ??= []).push(...sent);
      if (disconnectedAt !== undefined) {
        c.disconnectedAt = disconnectedAt;
        c.expiryInterval = session.expiryInterval;
        c.will = this.will ?? null;
      }
    });
    return written ?? Promise.resolve();
  }

  private async writeChanges(session: Session): Promise<void> {
    const changes = session.takeChanges();
    if (!changes) return;
    try {
      await this.broker.sessions.update(session.clientId, this.epoch, changes);
    } catch (error) {
      if ((error as { code?: string }).code === 'FLOCK_ERR_FENCED') {
        // Another connection owns this client id now (G2): this one must stop.
        this.log.info({}, 'session_fenced');
        this.disconnect(ReasonCode.SessionTakenOver, 'session taken over');
      } else {
        this.log.error({ err: error }, 'session_write_failed');
      }
      throw error;
    }
  }

  private publishPacket(pending: PendingMessage, now: number, dup: boolean): PublishPacket {
    const { message } = pending;
    const packet: PublishPacket = {
      type: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos: pending.qos,
      retain: pending.retain,
      dup: dup && pending.qos > 0,
    };
    if (pending.qos > 0) packet.packetId = packetIdForSeq(pending.seq);
    if (this.isV5) {
      const expiry = remainingExpirySeconds(message, now);
      if (message.properties || pending.subscriptionIds || expiry !== undefined) {
        const properties: Properties = message.properties ? { ...message.properties } : {};
        if (expiry !== undefined) properties.messageExpiryInterval = expiry; // [MQTT-3.3.2-6]
        if (pending.subscriptionIds) properties.subscriptionIdentifiers = pending.subscriptionIds; // [MQTT-3.3.4-3]
        packet.properties = properties;
      }
    }
    return packet;
  }

  /** Resends what was in flight when the session was last connected [MQTT-4.4.0-1]. */
  resumeInflight(): void {
    const session = this.session!;
    for (const pending of [...session.inflight.values()]) {
      if (pending.state === 'released') {
        this.send({ type: 'pubrel', packetId: packetIdForSeq(pending.seq) });
      } else {
        this.transmit(pending, true);
      }
    }
    this.pump();
  }

  private onDrain(): void {
    this.pump();
    this.updateReading();
  }

  // ---------------------------------------------------------------- keep alive

  startKeepAlive(seconds: number): void {
    this.keepAlive = seconds;
    if (seconds === 0) return;
    const limit = seconds * 1500; // [MQTT-3.1.2-22] one and a half times the keep alive
    const check = (): void => {
      if (this.state === 'closed') return;
      const idle = this.broker.clock.now() - this.lastReceivedAt;
      if (idle >= limit) {
        this.log.info({ keepAlive: seconds }, 'keep_alive_timeout');
        this.disconnect(ReasonCode.KeepAliveTimeout, 'keep alive timeout');
        return;
      }
      this.keepAliveTimer = this.broker.clock.setTimeout(check, limit - idle);
    };
    this.keepAliveTimer = this.broker.clock.setTimeout(check, limit);
  }

  // ---------------------------------------------------------------- closing

  /**
   * Server-initiated close: MQTT 5 clients get DISCONNECT with the reason first
   * [MQTT-3.14.2-1]; 3.1.1 has no server DISCONNECT, so the connection is just closed.
   */
  disconnect(reasonCode: number, reasonString?: string, properties?: Properties): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.state === 'connected' && this.isV5) {
      const props: Properties = { ...properties };
      if (reasonString !== undefined) props.reasonString = reasonString;
      this.send({ type: 'disconnect', reasonCode, properties: props });
    }
    this.closedBy ??= { initiator: 'server', reasonCode };
    this.log.debug({ reasonCode }, 'server_disconnect');
    this.end();
  }

  /** The client sent DISCONNECT with this reason code. */
  clientDisconnected(reasonCode: number): void {
    this.closedBy ??= { initiator: 'client', reasonCode };
    this.end();
  }

  /** Flushes queued bytes, then closes. */
  end(): void {
    this.flush();
    if (this.state !== 'closed') this.state = 'closing';
    this.transport.end();
  }

  /** Closes at once, without telling the client why (it is before CONNACK, or the client broke the protocol). */
  destroy(): void {
    this.closedBy ??= { initiator: 'server', reasonCode: undefined };
    this.transport.destroy();
  }

  private onTransportClose(error?: Error): void {
    if (this.state === 'closed') return;
    const wasConnected = this.session !== undefined;
    this.state = 'closed';
    this.outbox = undefined;
    if (this.keepAliveTimer) this.broker.clock.clearTimeout(this.keepAliveTimer);
    if (this.connectTimer) this.broker.clock.clearTimeout(this.connectTimer);
    if (error) this.log.debug({ err: error.message }, 'transport_error');
    const { initiator, reasonCode } = this.closedBy ?? { initiator: 'network', reasonCode: undefined };
    this.broker.stats.countClose(this.transport.listener, this.protocol, initiator, reasonCode);
    this.broker.onChannelClosed(this, wasConnected);
    const listeners = this.closeListeners;
    this.closeListeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}
