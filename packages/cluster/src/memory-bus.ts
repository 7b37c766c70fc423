/**
 * ClusterBus between nodes of one process: the semantics of the NATS bus (batching per turn,
 * acknowledged forwards, broadcasts to the others, request/reply, peers) with no network, for
 * fast multi-node tests. Frames go through the real codec by default, so nodes share no objects
 * and a codec bug shows up in in-process tests too.
 */
import { FlockError } from '@flockmq/protocol';
import type {
  ClusterBus,
  ClusterBusHandlers,
  ControlReply,
  ControlRequest,
  ForwardedMessage,
  RouteDelta,
} from '@flockmq/broker';
import { decodeFrame, encodeFrame } from './frame';
import type { Frame } from './frame';
import { ForwardBatcher } from './frame-batcher';
import type { BatchOutcome } from './frame-batcher';
import { FrameStats } from './frame-stats';

export interface MemoryBusOptions {
  /** Pass every frame through the binary codec (default true); false hands objects over as they are. */
  wire?: boolean;
}

/** A frame in transit (decoded again in wire mode) and its encoded size. */
interface Sent {
  frame: Frame;
  bytes: number;
}

/** Connects the buses of one process. */
export class MemoryBusHub {
  private readonly running = new Map<string, MemoryClusterBus>();
  private readonly wire: boolean;

  constructor(options: MemoryBusOptions = {}) {
    this.wire = options.wire ?? true;
  }

  bus(nodeId: string): MemoryClusterBus {
    return new MemoryClusterBus(this, nodeId, this.wire);
  }

  /** Node ids of the running buses. */
  nodes(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Kills a node's bus without a goodbye being any different from a close: the others see it
   * down at once, forwards to it fail, and it neither sends nor receives any more.
   */
  crash(nodeId: string): void {
    this.running.get(nodeId)?.crash();
  }

  /** @internal */
  join(bus: MemoryClusterBus): void {
    if (this.running.has(bus.nodeId)) {
      throw new FlockError('FLOCK_ERR_CONFIG_INVALID', `node ${bus.nodeId} is already on this hub`);
    }
    for (const other of this.running.values()) {
      other.peerUp(bus.nodeId);
      bus.peerUp(other.nodeId);
    }
    this.running.set(bus.nodeId, bus);
  }

  /** @internal */
  leave(bus: MemoryClusterBus): void {
    if (this.running.get(bus.nodeId) !== bus) return;
    this.running.delete(bus.nodeId);
    for (const other of this.running.values()) other.peerDown(bus.nodeId);
  }

  /** @internal */
  get(nodeId: string): MemoryClusterBus | undefined {
    return this.running.get(nodeId);
  }

  /** @internal */
  others(nodeId: string): MemoryClusterBus[] {
    return [...this.running.values()].filter((bus) => bus.nodeId !== nodeId);
  }
}

export class MemoryClusterBus implements ClusterBus {
  readonly stats = new FrameStats();
  private handlers: ClusterBusHandlers | undefined;
  private readonly alive = new Set<string>();
  private readonly batcher = new ForwardBatcher((nodeId, batch, outcome) => this.sendBatch(nodeId, batch, outcome));
  private state: 'new' | 'running' | 'closed' = 'new';

  constructor(
    private readonly hub: MemoryBusHub,
    readonly nodeId: string,
    private readonly wire: boolean,
  ) {}

  get connected(): boolean {
    return this.state === 'running';
  }

  peers(): ReadonlySet<string> {
    return this.alive;
  }

  async start(handlers: ClusterBusHandlers): Promise<void> {
    if (this.state !== 'new') throw new FlockError('FLOCK_ERR_CONFIG_INVALID', 'the bus was already started');
    this.handlers = handlers;
    this.state = 'running';
    this.hub.join(this);
  }

  async close(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'closed';
      return;
    }
    this.batcher.flush();
    this.state = 'closed';
    this.hub.leave(this);
    this.alive.clear();
  }

  /** @internal (MemoryBusHub.crash) */
  crash(): void {
    this.batcher.abort(forwardError(this.nodeId, 'crashed'));
    this.state = 'closed';
    this.hub.leave(this);
    this.alive.clear();
  }

  /** @internal */
  peerUp(nodeId: string): void {
    this.alive.add(nodeId);
    queueMicrotask(() => this.running(() => this.handlers!.nodeUp(nodeId)));
  }

  /** @internal */
  peerDown(nodeId: string): void {
    if (!this.alive.delete(nodeId)) return;
    queueMicrotask(() => this.running(() => this.handlers!.nodeDown(nodeId)));
  }

  // ---------------------------------------------------------------- forwarding

  forward(nodeId: string, message: ForwardedMessage, acknowledged: boolean): Promise<void> {
    if (this.state !== 'running') {
      return acknowledged ? Promise.reject(forwardError(nodeId, 'the bus is not running')) : Promise.resolve();
    }
    return this.batcher.add(nodeId, message, acknowledged);
  }

  private sendBatch(nodeId: string, batch: ForwardedMessage[], outcome: BatchOutcome | undefined): void {
    const fail = (error: unknown): void => {
      this.stats.forwardFailures += outcome?.acknowledged ?? 0;
      outcome?.reject(error instanceof FlockError ? error : forwardError(nodeId, describe(error), error));
    };
    const target = this.hub.get(nodeId);
    if (!target) return fail(forwardError(nodeId, 'no such node'));
    let delivered: Promise<void>;
    try {
      delivered = target.receiveForward(this.send({ kind: 'forward', from: this.nodeId, batch }));
    } catch (error) {
      return fail(error);
    }
    delivered.then(() => outcome?.resolve(), fail);
  }

  /** @internal */
  receiveForward(sent: Sent): Promise<void> {
    const frame = this.receive(sent);
    if (frame.kind !== 'forward') return Promise.reject(forwardError(this.nodeId, `unexpected ${frame.kind} frame`));
    try {
      return Promise.resolve(this.handlers!.forward(frame.from, frame.batch)).catch((error: unknown) => {
        throw forwardError(this.nodeId, `failed: ${describe(error)}`, error);
      });
    } catch (error) {
      return Promise.reject(forwardError(this.nodeId, `failed: ${describe(error)}`, error));
    }
  }

  // ---------------------------------------------------------------- routes and control

  broadcastRoutes(deltas: RouteDelta[]): void {
    if (this.state !== 'running' || deltas.length === 0) return;
    const frame = this.send({ kind: 'routes', from: this.nodeId, deltas });
    for (const other of this.hub.others(this.nodeId)) {
      queueMicrotask(() => other.receiveRoutes(frame));
    }
  }

  broadcastLoad(connections: number): void {
    if (this.state !== 'running') return;
    const frame = this.send({ kind: 'load', from: this.nodeId, connections });
    for (const other of this.hub.others(this.nodeId)) {
      queueMicrotask(() => other.receiveLoad(frame));
    }
  }

  /** @internal */
  receiveLoad(sent: Sent): void {
    if (this.state !== 'running') return;
    const frame = this.receive(sent);
    if (frame.kind === 'load') this.running(() => this.handlers!.load?.(frame.from, frame.connections));
  }

  /** @internal */
  receiveRoutes(sent: Sent): void {
    if (this.state !== 'running') return;
    const frame = this.receive(sent);
    if (frame.kind === 'routes') this.running(() => this.handlers!.routes(frame.from, frame.deltas));
  }

  async request(nodeId: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply> {
    if (this.state !== 'running') throw new FlockError('FLOCK_ERR_FORWARD_FAILED', 'the bus is not running');
    const target = this.hub.get(nodeId);
    if (!target) throw new FlockError('FLOCK_ERR_FORWARD_FAILED', `request to ${nodeId}: no such node`);
    const frame = this.send({ kind: 'control-request', from: this.nodeId, request });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FlockError('FLOCK_ERR_FORWARD_FAILED', `request to ${nodeId}: no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const reply = this.receive(await Promise.race([target.receiveControl(frame), timeout]));
      if (reply.kind !== 'control-reply') throw new FlockError('FLOCK_ERR_WIRE_FORMAT', `unexpected ${reply.kind}`);
      return reply.reply;
    } finally {
      clearTimeout(timer);
    }
  }

  /** @internal */
  async receiveControl(sent: Sent): Promise<Sent> {
    const frame = this.receive(sent);
    if (frame.kind !== 'control-request') throw new FlockError('FLOCK_ERR_WIRE_FORMAT', `unexpected ${frame.kind}`);
    let reply: ControlReply;
    try {
      reply = await this.handlers!.control(frame.from, frame.request);
    } catch (error) {
      reply = { ok: false, detail: describe(error) };
    }
    return this.send({ kind: 'control-reply', from: this.nodeId, reply });
  }

  // ---------------------------------------------------------------- plumbing

  /** A frame as it leaves this node: encoded (and counted) in wire mode. */
  private send(frame: Frame): Sent {
    if (!this.wire) return { frame, bytes: 0 };
    const bytes = encodeFrame(frame);
    this.stats.countSent(frame.kind, bytes.length, itemsOf(frame));
    return { frame: decodeFrame(bytes), bytes: bytes.length };
  }

  private receive({ frame, bytes }: Sent): Frame {
    if (this.wire) this.stats.countReceived(frame.kind, bytes, itemsOf(frame));
    return frame;
  }

  private running(call: () => void): void {
    if (this.state !== 'running') return;
    try {
      call();
    } catch {
      // A handler that throws only hurts itself, as over NATS.
    }
  }
}

function itemsOf(frame: Frame): number {
  if (frame.kind === 'forward') return frame.batch.length;
  if (frame.kind === 'routes') return frame.deltas.length;
  return 1;
}

function forwardError(nodeId: string, why: string, cause?: unknown): FlockError {
  return new FlockError(
    'FLOCK_ERR_FORWARD_FAILED',
    `forward to ${nodeId} failed: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
