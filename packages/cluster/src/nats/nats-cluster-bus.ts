/**
 * The ClusterBus over NATS: forwarded publishes, route deltas, control requests and heartbeats
 * on the versioned subjects of subjects.ts, in the binary frames of frame.ts.
 *
 * - forward(): batched per target node per turn of the event loop (one NATS message per batch
 *   per node, split only when a batch would exceed the server's max_payload). A batch with an
 *   acknowledged message goes as a request, answered once the receiver's forward handler settled;
 *   other batches are plain publishes.
 * - Heartbeats on one subject; a node silent for deadAfterMs is down; a goodbye on close() makes
 *   peers notice at once; a new incarnation of a node id means it restarted (down, then up).
 * - The client reconnects forever; subscriptions come back by themselves after a NATS restart.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connect, Events } from 'nats';
import type { ConnectionOptions, Msg, NatsConnection, Subscription } from 'nats';
import { FlockError } from '@flockmq/protocol';
import { silentLogger, systemClock } from '@flockmq/broker';
import type {
  Clock,
  ClusterBus,
  ClusterBusHandlers,
  ControlReply,
  ControlRequest,
  ForwardedMessage,
  Logger,
  RouteDelta,
  TimerHandle,
} from '@flockmq/broker';
import { decodeFrame, encodeFrame, peekFrameKind, WIRE_VERSION } from '../frame';
import type { Frame, FrameKind } from '../frame';
import { ForwardBatcher } from '../frame-batcher';
import type { BatchOutcome } from '../frame-batcher';
import { FrameStats } from '../frame-stats';
import { describe, requestWithRetry, settledWithin } from './nats-request';
import { PeerLiveness } from './peer-liveness';
import type { LivenessEvent } from './peer-liveness';
import {
  controlSubject,
  escapeToken,
  forwardSubject,
  HEARTBEAT_SUBJECT,
  LOAD_SUBJECT,
  ROUTES_SUBJECT,
} from './subjects';

export interface NatsClusterBusOptions {
  nodeId: string;
  /** NATS server URL(s), e.g. `nats://nats:4222`. */
  servers: string | string[];
  /** How often this node says it is alive (default 1000 ms). */
  heartbeatMs?: number;
  /** A node not heard from for this long is down (default 3 × heartbeatMs). */
  deadAfterMs?: number;
  /** How long an acknowledged forward waits for the receiver's answer (default 5000 ms). */
  forwardTimeoutMs?: number;
  /**
   * How long start() listens for the other nodes before resolving, so peers() is complete when it
   * does (default heartbeatMs: every live node beats within one period; 0 resolves at once).
   */
  discoveryMs?: number;
  /** Pause between reconnection attempts to NATS (default 500 ms, plus jitter). */
  reconnectWaitMs?: number;
  /** Drives heartbeats and liveness (network timeouts use real time). */
  clock?: Clock;
  logger?: Logger;
  /** Identifies this life of the node id in heartbeats (default: random). */
  incarnation?: number;
  /**
   * Told of every round trip: an acknowledged forward batch ('forward') or a control request (its
   * type), with its duration in seconds and whether it was answered. Once per request, not per
   * message: a batch carries hundreds of messages under load.
   */
  onRoundTrip?: (op: string, seconds: number, ok: boolean) => void;
  /** More NATS client options (credentials, TLS, name…); reconnection settings are the bus's own. */
  connection?: Omit<ConnectionOptions, 'servers' | 'reconnect' | 'maxReconnectAttempts' | 'waitOnFirstConnect'>;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const CLOSE_DRAIN_MS = 2000;

export class NatsClusterBus implements ClusterBus {
  readonly nodeId: string;
  /** Frames and bytes sent and received per kind (exposed as metrics). */
  readonly stats = new FrameStats();
  readonly incarnation: number;
  private readonly servers: string[];
  private readonly heartbeatMs: number;
  private readonly forwardTimeoutMs: number;
  private readonly onRoundTrip: NatsClusterBusOptions['onRoundTrip'];
  private readonly reconnectWaitMs: number;
  private readonly discoveryMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly connectionOptions: NatsClusterBusOptions['connection'];
  private readonly liveness: PeerLiveness;
  private readonly subjects = new Map<string, string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly duplicates = new Set<number>();
  private nc: NatsConnection | undefined;
  private handlers: ClusterBusHandlers | undefined;
  private subscriptions: Subscription[] = [];
  private readonly batcher = new ForwardBatcher(
    (nodeId, batch, outcome) => this.sendBatch(nodeId, batch, outcome),
    () => this.maxFrameBytes(),
  );
  private timer: TimerHandle | undefined;
  private isConnected = false;
  private closing: Promise<void> | undefined;

  constructor(options: NatsClusterBusOptions) {
    escapeToken(options.nodeId); // refuses an empty node id up front
    this.nodeId = options.nodeId;
    this.servers = Array.isArray(options.servers) ? options.servers : [options.servers];
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 5000;
    this.reconnectWaitMs = options.reconnectWaitMs ?? 500;
    this.discoveryMs = options.discoveryMs ?? this.heartbeatMs;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'nats_bus' });
    this.connectionOptions = options.connection;
    this.onRoundTrip = options.onRoundTrip;
    this.incarnation = options.incarnation ?? randomInt(0, 0xffffffff);
    this.liveness = new PeerLiveness(options.deadAfterMs ?? this.heartbeatMs * 3);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  peers(): ReadonlySet<string> {
    return this.liveness.peers;
  }

  async start(handlers: ClusterBusHandlers): Promise<void> {
    if (this.nc || this.closing) throw new FlockError('FLOCK_ERR_CONFIG_INVALID', 'the bus was already started');
    this.handlers = handlers;
    let nc: NatsConnection;
    try {
      nc = await connect({
        name: `flockmq-${this.nodeId}`,
        ...this.connectionOptions,
        servers: this.servers,
        reconnect: true,
        maxReconnectAttempts: -1,
        waitOnFirstConnect: false,
        reconnectTimeWait: this.reconnectWaitMs,
        pingInterval: this.connectionOptions?.pingInterval ?? 10_000,
        maxPingOut: this.connectionOptions?.maxPingOut ?? 2,
        // Each request would otherwise capture a stack trace up front, in case it fails: a
        // measurable cost per forward batch when batches are small (one message at low rates).
        noAsyncTraces: this.connectionOptions?.noAsyncTraces ?? true,
      });
    } catch (error) {
      throw new FlockError('FLOCK_ERR_UNREACHABLE', `cannot connect to NATS at ${this.servers.join(', ')}`, {
        cause: error,
      });
    }
    if (this.closing) {
      await nc.close();
      throw new FlockError('FLOCK_ERR_CONFIG_INVALID', 'the bus was closed while starting');
    }
    this.nc = nc;
    const on = (subject: string, handle: (msg: Msg) => void): void => {
      this.subscriptions.push(
        nc.subscribe(subject, {
          callback: (error, msg) => {
            if (error) this.log.warn({ err: error, subject }, 'nats_subscription_error');
            else handle(msg);
          },
        }),
      );
    };
    on(forwardSubject(this.nodeId), (msg) => this.onForward(msg));
    on(controlSubject(this.nodeId), (msg) => this.onControl(msg));
    on(ROUTES_SUBJECT, (msg) => this.onRoutes(msg));
    on(HEARTBEAT_SUBJECT, (msg) => this.onHeartbeat(msg));
    on(LOAD_SUBJECT, (msg) => this.onLoad(msg));
    await nc.flush(); // the server has our subscriptions before anyone hears we exist
    this.isConnected = true;
    void this.watchStatus(nc);
    void nc.closed().then(() => (this.isConnected = false));
    this.tick();
    // Peers answer a newcomer's first heartbeat at once; within one period every live node has beaten.
    if (this.discoveryMs > 0) await new Promise((resolve) => setTimeout(resolve, this.discoveryMs));
    this.log.info(
      { servers: this.servers, incarnation: this.incarnation, peers: this.liveness.peers.size },
      'nats_bus_started',
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------- forwarding

  forward(nodeId: string, message: ForwardedMessage, acknowledged: boolean): Promise<void> {
    if (!this.nc || this.closing) {
      return acknowledged ? Promise.reject(this.forwardError(nodeId, 'the bus is not running')) : Promise.resolve();
    }
    return this.batcher.add(nodeId, message, acknowledged);
  }

  private maxFrameBytes(): number {
    const header = 2 + 4 + this.nodeId.length * 3 + 4;
    return (this.nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - header;
  }

  private sendBatch(nodeId: string, batch: ForwardedMessage[], outcome: BatchOutcome | undefined): void {
    const nc = this.nc!;
    const subject = this.forwardSubjectOf(nodeId);
    const fail = (error: unknown): void => {
      this.stats.forwardFailures += outcome?.acknowledged ?? 0;
      outcome?.reject(error instanceof FlockError ? error : this.forwardError(nodeId, describe(error), error));
    };
    let frame: Buffer;
    try {
      frame = encodeFrame({ kind: 'forward', from: this.nodeId, batch });
    } catch (error) {
      this.log.error({ err: error, peer: nodeId }, 'forward_encode_failed');
      fail(error);
      return;
    }
    this.stats.countSent('forward', frame.length, batch.length);
    if (!outcome) {
      try {
        nc.publish(subject, frame);
      } catch (error) {
        this.log.warn({ err: describe(error), peer: nodeId, messages: batch.length }, 'forward_publish_failed');
      }
      return;
    }
    this.track(
      this.timedRequest('forward', nodeId, subject, frame, this.forwardTimeoutMs)
        .then((reply) => {
          if (reply.kind !== 'forward-ack') throw this.forwardError(nodeId, `answered with a ${reply.kind} frame`);
          if (reply.status !== 'delivered') throw this.forwardError(nodeId, `${reply.status}: ${reply.detail ?? ''}`);
          outcome.resolve();
        })
        .catch(fail),
    );
  }

  /** requestFrame, reported to onRoundTrip as `op`. */
  private timedRequest(op: string, nodeId: string, subject: string, frame: Buffer, timeoutMs: number): Promise<Frame> {
    const pending = this.requestFrame(nodeId, subject, frame, timeoutMs);
    const observe = this.onRoundTrip;
    if (!observe) return pending;
    const started = performance.now();
    pending.then(
      () => observe(op, (performance.now() - started) / 1000, true),
      () => observe(op, (performance.now() - started) / 1000, false),
    );
    return pending;
  }

  /**
   * A request to one node. "No responders" is retried only while the node is in the life it was
   * in when the request was made (or, never heard of, until it is heard): a request meant for a node that is gone (it said goodbye,
   * or restarted) must fail, so the caller routes it again, rather than reach a new life of that
   * node that holds none of the old one's sessions.
   */
  private async requestFrame(nodeId: string, subject: string, frame: Buffer, timeoutMs: number): Promise<Frame> {
    const life = this.liveness.lifeOf(nodeId);
    const msg = await requestWithRetry(
      () => this.nc,
      subject,
      frame,
      timeoutMs,
      () => {
        if (this.closing !== undefined || life === 'gone') return true;
        const now = this.liveness.lifeOf(nodeId);
        // Never heard of yet: it may be starting (its first life is the right one to reach).
        return life === undefined ? now === 'gone' : now !== life;
      },
    );
    const reply = this.decode(msg);
    if (reply instanceof FlockError) throw reply;
    return reply;
  }

  private onForward(msg: Msg): void {
    const frame = this.decode(msg);
    if (frame instanceof FlockError || frame.kind !== 'forward') {
      const detail = frame instanceof FlockError ? frame.message : `unexpected ${frame.kind} frame`;
      if (!(frame instanceof FlockError)) this.dropped(msg, detail);
      if (msg.reply) this.respond(msg, { kind: 'forward-ack', from: this.nodeId, status: 'rejected', detail });
      return;
    }
    const { from, batch } = frame;
    let result: Promise<void> | void;
    try {
      result = this.handlers!.forward(from, batch);
    } catch (error) {
      result = Promise.reject(error);
    }
    const done = Promise.resolve(result);
    if (!msg.reply) {
      done.catch((error: unknown) => this.log.warn({ err: describe(error), peer: from }, 'forward_handler_failed'));
      return;
    }
    this.track(
      done.then(
        () => this.respond(msg, { kind: 'forward-ack', from: this.nodeId, status: 'delivered' }),
        (error: unknown) => {
          this.log.warn({ err: describe(error), peer: from }, 'forward_handler_failed');
          this.respond(msg, { kind: 'forward-ack', from: this.nodeId, status: 'failed', detail: describe(error) });
        },
      ),
    );
  }

  // ---------------------------------------------------------------- routes and control

  broadcastRoutes(deltas: RouteDelta[]): void {
    if (!this.nc || this.closing || deltas.length === 0) return;
    const frame = encodeFrame({ kind: 'routes', from: this.nodeId, deltas });
    if (frame.length > this.maxFrameBytes() && deltas.length > 1) {
      const half = Math.ceil(deltas.length / 2);
      this.broadcastRoutes(deltas.slice(0, half));
      this.broadcastRoutes(deltas.slice(half));
      return;
    }
    this.publish(ROUTES_SUBJECT, frame, 'routes', deltas.length);
  }

  private onRoutes(msg: Msg): void {
    const frame = this.decode(msg);
    if (frame instanceof FlockError) return;
    if (frame.kind !== 'routes') return this.dropped(msg, `unexpected ${frame.kind} frame`);
    if (frame.from === this.nodeId) return;
    try {
      this.handlers!.routes(frame.from, frame.deltas);
    } catch (error) {
      this.log.error({ err: describe(error), peer: frame.from }, 'routes_handler_failed');
    }
  }

  broadcastLoad(connections: number): void {
    if (!this.nc || this.closing) return;
    this.publish(LOAD_SUBJECT, encodeFrame({ kind: 'load', from: this.nodeId, connections }), 'load');
  }

  private onLoad(msg: Msg): void {
    const frame = this.decode(msg);
    if (frame instanceof FlockError) return;
    if (frame.kind !== 'load') return this.dropped(msg, `unexpected ${frame.kind} frame`);
    if (frame.from === this.nodeId) return;
    this.handlers!.load?.(frame.from, frame.connections);
  }

  async request(nodeId: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply> {
    if (!this.nc || this.closing) throw new FlockError('FLOCK_ERR_FORWARD_FAILED', 'the bus is not running');
    const frame = encodeFrame({ kind: 'control-request', from: this.nodeId, request });
    this.stats.countSent('control-request', frame.length);
    const pending = this.timedRequest(request.type, nodeId, controlSubject(nodeId), frame, timeoutMs);
    this.track(pending.catch(() => undefined));
    const reply = await pending;
    if (reply.kind !== 'control-reply') {
      throw new FlockError('FLOCK_ERR_WIRE_FORMAT', `node ${nodeId} answered with a ${reply.kind} frame`);
    }
    return reply.reply;
  }

  private onControl(msg: Msg): void {
    const frame = this.decode(msg);
    if (frame instanceof FlockError || frame.kind !== 'control-request') {
      const detail = frame instanceof FlockError ? frame.message : `unexpected ${frame.kind} frame`;
      if (!(frame instanceof FlockError)) this.dropped(msg, detail);
      if (msg.reply) this.respond(msg, { kind: 'control-reply', from: this.nodeId, reply: { ok: false, detail } });
      return;
    }
    const { from, request } = frame;
    const answer = async (): Promise<ControlReply> => {
      try {
        return await this.handlers!.control(from, request);
      } catch (error) {
        this.log.warn({ err: describe(error), peer: from, request: request.type }, 'control_handler_failed');
        return { ok: false, detail: describe(error) };
      }
    };
    this.track(
      answer().then((reply) => {
        if (!msg.reply) return;
        let frameOut: Frame = { kind: 'control-reply', from: this.nodeId, reply };
        if (encodeFrame(frameOut).length > this.maxFrameBytes()) {
          frameOut = { kind: 'control-reply', from: this.nodeId, reply: { ok: false, detail: 'reply too large' } };
        }
        this.respond(msg, frameOut);
      }),
    );
  }

  // ---------------------------------------------------------------- liveness

  private tick(): void {
    if (this.closing) return;
    this.sendHeartbeat();
    // While this node's own link is down, silence says nothing about the others.
    if (this.isConnected) this.emit(this.liveness.expire(this.clock.now()));
    this.timer = this.clock.setTimeout(() => this.tick(), this.heartbeatMs);
  }

  private sendHeartbeat(): void {
    if (!this.nc || this.nc.isClosed()) return;
    const frame = encodeFrame({
      kind: 'heartbeat',
      from: this.nodeId,
      incarnation: this.incarnation,
      maxVersion: WIRE_VERSION,
    });
    this.publish(HEARTBEAT_SUBJECT, frame, 'heartbeat');
  }

  private onHeartbeat(msg: Msg): void {
    const frame = this.decode(msg);
    if (frame instanceof FlockError) return;
    if (frame.kind !== 'heartbeat' && frame.kind !== 'goodbye') return this.dropped(msg, `unexpected ${frame.kind}`);
    if (frame.from === this.nodeId) {
      if (frame.incarnation !== this.incarnation && !this.duplicates.has(frame.incarnation)) {
        this.duplicates.add(frame.incarnation);
        this.log.error({ incarnation: frame.incarnation }, 'duplicate_node_id');
      }
      return;
    }
    const now = this.clock.now();
    const events =
      frame.kind === 'heartbeat'
        ? this.liveness.heard(frame.from, frame.incarnation, now)
        : this.liveness.goodbye(frame.from, frame.incarnation, now);
    // A newcomer learns of this node at once instead of a heartbeat period later.
    if (events.some((event) => event.type === 'up')) this.sendHeartbeat();
    this.emit(events);
  }

  private emit(events: LivenessEvent[]): void {
    for (const { type, nodeId } of events) {
      this.log.info({ peer: nodeId }, type === 'up' ? 'peer_up' : 'peer_down');
      try {
        if (type === 'up') this.handlers!.nodeUp(nodeId);
        else this.handlers!.nodeDown(nodeId);
      } catch (error) {
        this.log.error({ err: describe(error), peer: nodeId }, 'liveness_handler_failed');
      }
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      switch (status.type) {
        case Events.Disconnect:
          this.isConnected = false;
          this.log.warn({ server: status.data }, 'nats_disconnected');
          break;
        case Events.Reconnect:
          this.isConnected = true;
          this.liveness.refresh(this.clock.now());
          this.log.info({ server: status.data }, 'nats_reconnected');
          this.sendHeartbeat();
          break;
        case Events.LDM:
          this.log.warn({ server: status.data }, 'nats_lame_duck_mode');
          break;
        case Events.Error:
          this.log.warn({ err: status.data }, 'nats_async_error');
          break;
        default:
          break;
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  private async shutdown(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    const nc = this.nc;
    if (!nc) return;
    this.batcher.flush(); // what was forwarded before close still goes out
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    if (!nc.isClosed()) {
      this.publish(
        HEARTBEAT_SUBJECT,
        encodeFrame({ kind: 'goodbye', from: this.nodeId, incarnation: this.incarnation }),
        'goodbye',
      );
    }
    // Answers to requests being handled here, and to ours, until the forward timeout at most.
    await settledWithin([...this.inflight], this.forwardTimeoutMs);
    if (!nc.isClosed()) {
      const drained = this.isConnected ? settledWithin([nc.drain()], CLOSE_DRAIN_MS) : Promise.resolve();
      await drained;
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    }
    await nc.closed();
    this.isConnected = false;
    this.liveness.clear();
    this.log.info({}, 'nats_bus_closed');
  }

  private publish(subject: string, frame: Buffer, kind: FrameKind, items = 1): void {
    try {
      this.nc!.publish(subject, frame);
      this.stats.countSent(kind, frame.length, items);
    } catch (error) {
      this.log.warn({ err: describe(error), subject }, 'nats_publish_failed');
    }
  }

  private respond(msg: Msg, frame: Frame): void {
    try {
      const bytes = encodeFrame(frame);
      if (msg.respond(bytes)) this.stats.countSent(frame.kind, bytes.length);
    } catch (error) {
      // The connection closed meanwhile: the requester times out and retries elsewhere.
      this.log.warn({ err: describe(error), kind: frame.kind }, 'nats_reply_failed');
    }
  }

  /** Decodes and counts a received frame; one that cannot be read is logged, counted and returned as the error. */
  private decode(msg: Msg): Frame | FlockError {
    try {
      const frame = decodeFrame(msg.data);
      this.stats.countReceived(frame.kind, msg.data.length, itemsOf(frame));
      return frame;
    } catch (error) {
      const wire = error instanceof FlockError ? error : new FlockError('FLOCK_ERR_WIRE_FORMAT', describe(error));
      this.stats.dropped += 1;
      this.log.warn(
        { subject: msg.subject, bytes: msg.data.length, kind: peekFrameKind(msg.data), err: wire.message },
        'cluster_frame_dropped',
      );
      return wire;
    }
  }

  private dropped(msg: Msg, reason: string): void {
    this.stats.dropped += 1;
    this.log.warn({ subject: msg.subject, err: reason }, 'cluster_frame_dropped');
  }

  private track(promise: Promise<unknown>): void {
    this.inflight.add(promise);
    const done = (): void => void this.inflight.delete(promise);
    promise.then(done, (error: unknown) => {
      done();
      this.log.error({ err: describe(error) }, 'cluster_bus_task_failed');
    });
  }

  private forwardSubjectOf(nodeId: string): string {
    let subject = this.subjects.get(nodeId);
    if (subject === undefined) this.subjects.set(nodeId, (subject = forwardSubject(nodeId)));
    return subject;
  }

  private forwardError(nodeId: string, why: string, cause?: unknown): FlockError {
    return new FlockError(
      'FLOCK_ERR_FORWARD_FAILED',
      `forward to ${nodeId} failed: ${why}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

function itemsOf(frame: Frame): number {
  if (frame.kind === 'forward') return frame.batch.length;
  if (frame.kind === 'routes') return frame.deltas.length;
  return 1;
}
