import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import type { ClusterBus, ClusterBusHandlers, ControlReply, ForwardedMessage, Logger } from '@flockmq/broker';
import { makeTempDir, removeTempDir, startNats, startNatsCluster, waitFor } from '@flockmq/testkit';
import type { NatsClusterFixture, NatsFixture } from '@flockmq/testkit';
import { describeClusterBusContract } from '../../broker/test/contracts/cluster-bus.contract';
import { encodeFrame } from '../src/frame';
import { NatsClusterBus } from '../src/nats/nats-cluster-bus';
import type { NatsClusterBusOptions } from '../src/nats/nats-cluster-bus';
import { controlSubject, forwardSubject, HEARTBEAT_SUBJECT, ROUTES_SUBJECT } from '../src/nats/subjects';

// ------------------------------------------------------------------ helpers

/** A logger that keeps every line (msg and fields), for asserting on logged events. */
class RecordingLogger implements Logger {
  readonly lines: Array<{ msg: string; fields: object }> = [];
  child(): Logger {
    return this;
  }
  private record = (fields: object, msg: string): void => {
    this.lines.push({ msg, fields });
  };
  trace = this.record;
  debug = this.record;
  info = this.record;
  warn = this.record;
  error = this.record;
  count(msg: string): number {
    return this.lines.filter((line) => line.msg === msg).length;
  }
}

class Recorder implements ClusterBusHandlers {
  readonly batches: ForwardedMessage[][] = [];
  readonly ups: string[] = [];
  readonly downs: string[] = [];
  onForward: () => Promise<void> | void = () => undefined;
  forward(_from: string, batch: ForwardedMessage[]): Promise<void> | void {
    this.batches.push(batch);
    return this.onForward();
  }
  routes(): void {}
  async control(): Promise<ControlReply> {
    return { ok: true };
  }
  nodeUp(nodeId: string): void {
    this.ups.push(nodeId);
  }
  nodeDown(nodeId: string): void {
    this.downs.push(nodeId);
  }
  get topics(): string[] {
    return this.batches.flat().map((f) => f.message.topic);
  }
}

function forwarded(topic: string, payload: Buffer | string = topic): ForwardedMessage {
  return {
    message: {
      topic,
      payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
      qos: 1,
      retain: false,
      properties: undefined,
      expiresAt: undefined,
      origin: 'publisher',
      receivedAt: 1,
    },
    sharedGroup: undefined,
  };
}

let run = 0;
const uniqueId = (name: string): string => `${name}-${process.pid}-${run++}`;

/** Buses made in a test, closed in afterEach whatever happened. */
const open: ClusterBus[] = [];
const rawConnections: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()));
  await Promise.all(rawConnections.splice(0).map((nc) => nc.close()));
});

async function startBus(
  servers: string | string[],
  options: Partial<NatsClusterBusOptions> = {},
): Promise<{ bus: NatsClusterBus; node: Recorder; log: RecordingLogger }> {
  const log = new RecordingLogger();
  const bus = new NatsClusterBus({
    nodeId: uniqueId('node'),
    servers,
    heartbeatMs: 100,
    forwardTimeoutMs: 2000,
    reconnectWaitMs: 100,
    logger: log,
    ...options,
  });
  open.push(bus);
  const node = new Recorder();
  await bus.start(node);
  return { bus, node, log };
}

async function rawConnection(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  rawConnections.push(nc);
  return nc;
}

// ------------------------------------------------------------------ the contract

describe('NATS cluster bus on one server', () => {
  let server: NatsFixture;
  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(async () => {
    await server?.close();
  });

  describeClusterBusContract('nats', async () => {
    const buses: ClusterBus[] = [];
    return {
      bus(nodeId: string): ClusterBus {
        const bus = new NatsClusterBus({ nodeId, servers: server.url, heartbeatMs: 100, forwardTimeoutMs: 1000 });
        buses.push(bus);
        return bus;
      },
      close: async () => {
        await Promise.all(buses.map((bus) => bus.close()));
      },
    };
  });

  test('nats bus - one NATS message per batch per node, counted in stats', async () => {
    const a = await startBus(server.url);
    const b = await startBus(server.url);
    const c = await startBus(server.url);
    await waitFor(() => a.bus.peers().has(b.bus.nodeId) && a.bus.peers().has(c.bus.nodeId));
    const before = a.bus.stats.sent.forward.frames;
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      waits.push(a.bus.forward(b.bus.nodeId, forwarded(`b/${i}`), i % 2 === 0));
      waits.push(a.bus.forward(c.bus.nodeId, forwarded(`c/${i}`), false));
    }
    await Promise.all(waits);
    await waitFor(() => c.node.topics.length === 50, { what: 'the unacknowledged batch' });
    expect(a.bus.stats.sent.forward.frames - before).toBe(2);
    expect(a.bus.stats.sent.forward.items).toBe(100);
    expect(b.bus.stats.received.forward).toMatchObject({ frames: 1, items: 50 });
    expect(c.bus.stats.received.forward).toMatchObject({ frames: 1, items: 50 });
    expect(b.bus.stats.sent['forward-ack'].frames).toBe(1);
    expect(a.bus.stats.received['forward-ack'].frames).toBe(1);
    expect(a.bus.stats.sent.heartbeat.frames).toBeGreaterThan(0);
  });

  test('nats bus - an acknowledged forward to a node that is stuck rejects after the forward timeout', async () => {
    const a = await startBus(server.url, { forwardTimeoutMs: 300 });
    const b = await startBus(server.url);
    b.node.onForward = () => new Promise<void>(() => undefined);
    const started = Date.now();
    await expect(a.bus.forward(b.bus.nodeId, forwarded('x'), true)).rejects.toMatchObject({
      code: 'FLOCK_ERR_FORWARD_FAILED',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(a.bus.stats.forwardFailures).toBe(1);
  });

  test('nats bus - an acknowledged forward to a node that said goodbye rejects at once, not after the forward timeout', async () => {
    const a = await startBus(server.url, { forwardTimeoutMs: 10_000 });
    const b = await startBus(server.url);
    await waitFor(() => a.bus.peers().has(b.bus.nodeId));
    await b.bus.close();
    await waitFor(() => !a.bus.peers().has(b.bus.nodeId), { what: 'the goodbye' });
    const started = Date.now();
    // Retrying "no responders" would reach a new life of that node, which holds none of the old one's sessions.
    await expect(a.bus.forward(b.bus.nodeId, forwarded('x'), true)).rejects.toMatchObject({
      code: 'FLOCK_ERR_FORWARD_FAILED',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('nats bus - an acknowledged forward to a silent node rejects after the forward timeout', async () => {
    const a = await startBus(server.url, { forwardTimeoutMs: 300 });
    const raw = await rawConnection(server.url);
    const silent = uniqueId('silent');
    raw.subscribe(forwardSubject(silent)); // takes the request and never answers
    await raw.flush();
    const started = Date.now();
    await expect(a.bus.forward(silent, forwarded('x'), true)).rejects.toMatchObject({
      code: 'FLOCK_ERR_FORWARD_FAILED',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('nats bus - a node that starts late still gets a forward sent before, within the timeout', async () => {
    const a = await startBus(server.url, { forwardTimeoutMs: 5000 });
    const lateId = uniqueId('late');
    const pending = a.bus.forward(lateId, forwarded('early'), true);
    // Retries "no responders" until the target subscribes.
    await waitFor(() => a.bus.stats.sent.forward.frames === 1);
    const late = await startBus(server.url, { nodeId: lateId });
    await pending;
    expect(late.node.topics).toEqual(['early']);
  });

  test('nats bus - garbage, unknown versions and wrong kinds are logged and dropped, never fatal', async () => {
    const b = await startBus(server.url);
    const a = await startBus(server.url);
    const raw = await rawConnection(server.url);
    const fwd = forwardSubject(b.bus.nodeId);
    raw.publish(fwd, Buffer.from('not a frame'));
    raw.publish(fwd, Buffer.from([2, 1, 0, 0])); // version 2
    raw.publish(fwd, encodeFrame({ kind: 'goodbye', from: 'x', incarnation: 1 })); // wrong kind
    raw.publish(ROUTES_SUBJECT, Buffer.from([1, 99]));
    raw.publish(HEARTBEAT_SUBJECT, Buffer.from([]));
    // A request gets an answer saying the frame was rejected, instead of waiting for a timeout.
    const answer = await raw.request(fwd, Buffer.from([9, 9, 9]), { timeout: 2000 });
    expect(Buffer.from(answer.data).subarray(0, 2)).toEqual(Buffer.from([1, 2])); // v1 forward-ack
    const control = await raw.request(controlSubject(b.bus.nodeId), Buffer.from([1]), { timeout: 2000 });
    expect(Buffer.from(control.data).subarray(0, 2)).toEqual(Buffer.from([1, 5])); // v1 control-reply
    await waitFor(() => b.bus.stats.dropped >= 7, { what: 'every bad frame to be dropped' });
    expect(b.log.count('cluster_frame_dropped')).toBe(b.bus.stats.dropped);
    expect(b.node.batches).toEqual([]);
    // Still working.
    await a.bus.forward(b.bus.nodeId, forwarded('fine'), true);
    expect(b.node.topics).toEqual(['fine']);
  });

  test('nats bus - a node that stops sending heartbeats goes down after deadAfterMs; a new incarnation is a restart', async () => {
    const a = await startBus(server.url, { heartbeatMs: 50, deadAfterMs: 200 });
    const raw = await rawConnection(server.url);
    const ghost = uniqueId('ghost');
    const beat = (incarnation: number): void =>
      raw.publish(HEARTBEAT_SUBJECT, encodeFrame({ kind: 'heartbeat', from: ghost, incarnation, maxVersion: 1 }));
    beat(1);
    await waitFor(() => a.bus.peers().has(ghost));
    expect(a.node.ups).toEqual([ghost]);
    // Silence: down once the window has passed without a heartbeat.
    await waitFor(() => a.node.downs.includes(ghost), { timeoutMs: 5000, what: 'the ghost to go down' });
    expect(a.bus.peers().has(ghost)).toBe(false);
    beat(1);
    await waitFor(() => a.node.ups.length === 2);
    beat(2); // restarted between two heartbeats
    await waitFor(() => a.node.ups.length === 3);
    expect(a.node.downs).toEqual([ghost, ghost]);
    expect(a.node.ups).toEqual([ghost, ghost, ghost]);
    // A goodbye from an older incarnation is ignored; from the current one, down at once.
    raw.publish(HEARTBEAT_SUBJECT, encodeFrame({ kind: 'goodbye', from: ghost, incarnation: 1 }));
    raw.publish(HEARTBEAT_SUBJECT, encodeFrame({ kind: 'goodbye', from: ghost, incarnation: 2 }));
    await waitFor(() => a.node.downs.length === 3);
    expect(a.bus.peers().has(ghost)).toBe(false);
  });

  test('nats bus - two buses with one node id are reported', async () => {
    const a = await startBus(server.url);
    await startBus(server.url, { nodeId: a.bus.nodeId });
    await waitFor(() => a.log.count('duplicate_node_id') === 1, { what: 'the duplicate to be logged' });
  });

  test('nats bus - start refuses an unreachable NATS with a typed error', async () => {
    const bus = new NatsClusterBus({ nodeId: uniqueId('x'), servers: 'nats://127.0.0.1:1' });
    await expect(bus.start(new Recorder())).rejects.toMatchObject({ code: 'FLOCK_ERR_UNREACHABLE' });
    await bus.close();
  });
});

// ------------------------------------------------------------------ faults and limits

describe('NATS cluster bus - server restart', () => {
  let server: NatsFixture;
  beforeEach(async () => {
    server = await startNats();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((bus) => bus.close()));
    await server?.close();
  });

  test('nats bus - reconnects after the NATS server restarts and forwards again', async () => {
    const a = await startBus(server.url);
    const b = await startBus(server.url);
    await waitFor(() => a.bus.peers().has(b.bus.nodeId) && b.bus.peers().has(a.bus.nodeId));
    await a.bus.forward(b.bus.nodeId, forwarded('before'), true);
    await server.stop();
    await waitFor(() => !a.bus.connected && !b.bus.connected, { what: 'both buses to notice' });
    expect(a.log.count('nats_disconnected')).toBeGreaterThan(0);
    await server.restart();
    await waitFor(() => a.bus.connected && b.bus.connected, { timeoutMs: 15_000, what: 'both to reconnect' });
    await a.bus.forward(b.bus.nodeId, forwarded('after'), true);
    expect(b.node.topics).toEqual(['before', 'after']);
    expect(await a.bus.request(b.bus.nodeId, { type: 'routes' }, 2000)).toEqual({ ok: true });
    await waitFor(() => a.bus.peers().has(b.bus.nodeId) && b.bus.peers().has(a.bus.nodeId));
  });
});

describe('NATS cluster bus - max_payload', () => {
  let server: NatsFixture;
  let dir: string;
  beforeAll(async () => {
    dir = makeTempDir('nats-conf');
    const conf = join(dir, 'nats.conf');
    writeFileSync(conf, 'max_payload: 65536\n');
    server = await startNats({ backend: 'local', args: ['-c', conf] });
  });
  afterAll(async () => {
    await server?.close();
    removeTempDir(dir);
  });

  test('nats bus - a batch over max_payload is split into frames that fit, in order', async () => {
    const a = await startBus(server.url);
    const b = await startBus(server.url);
    const payload = Buffer.alloc(20_000, 1);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => a.bus.forward(b.bus.nodeId, forwarded(`big/${i}`, payload), i !== 5)),
    );
    await waitFor(() => b.node.topics.length === 10);
    expect(b.node.topics).toEqual(Array.from({ length: 10 }, (_, i) => `big/${i}`));
    expect(b.node.batches.length).toBeGreaterThanOrEqual(4);
    expect(a.bus.stats.sent.forward.frames).toBe(b.node.batches.length);
  });

  test('nats bus - a message larger than max_payload fails its forward', async () => {
    const a = await startBus(server.url);
    const b = await startBus(server.url);
    await expect(a.bus.forward(b.bus.nodeId, forwarded('huge', Buffer.alloc(70_000)), true)).rejects.toMatchObject({
      code: 'FLOCK_ERR_FORWARD_FAILED',
    });
    await a.bus.forward(b.bus.nodeId, forwarded('small'), true);
    expect(b.node.topics).toEqual(['small']);
  });
});

describe('NATS cluster bus - NATS cluster', () => {
  let cluster: NatsClusterFixture;
  beforeAll(async () => {
    cluster = await startNatsCluster({ servers: 3 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  test('nats bus - nodes on different NATS servers forward, broadcast and see each other', async () => {
    const [u0, u1, u2] = cluster.urls;
    const a = await startBus(u0!);
    const b = await startBus(u1!);
    const c = await startBus(u2!);
    const ids = [a, b, c].map((n) => n.bus.nodeId);
    await waitFor(() => [a, b, c].every((n) => ids.every((id) => id === n.bus.nodeId || n.bus.peers().has(id))), {
      timeoutMs: 10_000,
      what: 'every node to see the others across the NATS cluster',
    });
    await Promise.all([
      a.bus.forward(b.bus.nodeId, forwarded('to-b'), true),
      a.bus.forward(c.bus.nodeId, forwarded('to-c'), true),
    ]);
    expect(b.node.topics).toEqual(['to-b']);
    expect(c.node.topics).toEqual(['to-c']);
    expect(await c.bus.request(a.bus.nodeId, { type: 'routes' }, 2000)).toEqual({ ok: true });
  });
});
