/**
 * Shared pieces of the robustness tests (G7 over real sockets): raw byte streams sent by plain
 * TCP connections, a healthy MQTT.js client whose QoS 1 round trips prove the node still serves,
 * and a subscriber that never reads its socket.
 */
import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { PacketDecoder, encodePacket } from '@flockmq/protocol';
import type { Packet, ProtocolVersion, QoS } from '@flockmq/protocol';
import { WaitTimeoutError, waitFor, withTimeout, type TestBroker } from '@flockmq/testkit';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export type Finish = 'end' | 'destroy';

export interface StreamOutcome {
  /** The broker closed the connection before we had finished sending. */
  closedByBroker: boolean;
}

/**
 * Sends `chunks` over a fresh TCP connection (each chunk one write, written after the previous one
 * was handed to the OS), discarding whatever the broker answers, then finishes: 'end' half-closes and
 * waits until the broker has closed its side too (a node that leaves such a connection open leaks
 * it); 'destroy' resets the connection at once.
 */
export async function sendStream(
  port: number,
  chunks: Uint8Array[],
  finish: Finish,
  timeoutMs = 5000,
): Promise<StreamOutcome> {
  const socket = await openSocket(port);
  let closed = false;
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  socket.on('error', () => undefined); // ECONNRESET / EPIPE once the broker hung up
  socket.resume(); // read and drop the answers so the broker is never blocked on us
  for (const chunk of chunks) {
    if (closed || socket.destroyed) break;
    await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
  }
  const closedByBroker = closed;
  if (finish === 'destroy') {
    socket.destroy();
    return { closedByBroker };
  }
  socket.end();
  await withTimeout(closedPromise, timeoutMs, 'the broker to close a connection whose client half-closed it');
  return { closedByBroker };
}

/** Sends `bytes` and keeps the connection open until the broker closes it; fails if it does not in time. */
export async function sendAndAwaitClose(port: number, bytes: Uint8Array, timeoutMs = 5000): Promise<void> {
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(bytes);
  try {
    await withTimeout(closed, timeoutMs, `the broker to close the connection after ${hex(bytes)}`);
  } finally {
    socket.destroy();
  }
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
export function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) out.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return out.length > 0 ? out : [bytes];
}

/**
 * One MQTT.js client subscribed to its own topic: each round trip publishes a unique QoS 1
 * message and waits for it to come back.
 */
export class HealthyClient {
  private seq = 0;
  private waiting = new Map<string, () => void>();

  private constructor(
    readonly client: mqtt.MqttClient,
    private readonly topic: string,
  ) {
    client.on('message', (_topic, payload) => {
      const key = payload.toString();
      this.waiting.get(key)?.();
      this.waiting.delete(key);
    });
  }

  static async start(broker: TestBroker, name = 'healthy'): Promise<HealthyClient> {
    const clientId = `${name}-${Math.random().toString(36).slice(2, 10)}`;
    const client = await mqtt.connectAsync(broker.url, {
      clientId,
      protocolVersion: 5,
      reconnectPeriod: 0,
      keepalive: 0,
    });
    const topic = `health/${clientId}`;
    await client.subscribeAsync(topic, { qos: 1 });
    return new HealthyClient(client, topic);
  }

  /** A QoS 1 publish that comes back through the broker; fails if the client was disconnected. */
  async roundTrip(what = 'a QoS 1 round trip of the healthy client'): Promise<void> {
    if (!this.client.connected) throw new Error(`the healthy client lost its connection before ${what}`);
    const payload = `ping-${++this.seq}`;
    const back = new Promise<void>((resolve) => this.waiting.set(payload, resolve));
    await withTimeout(this.client.publishAsync(this.topic, payload, { qos: 1 }), 5000, `PUBACK for ${what}`);
    await withTimeout(back, 5000, what);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Waits until the node's connection count is back to `baseline`, naming the count seen last. */
export async function connectionsBackTo(broker: TestBroker, baseline: number): Promise<void> {
  try {
    await waitFor(() => broker.server.broker.connectionCount === baseline, { timeoutMs: 5000 });
  } catch (error) {
    if (error instanceof WaitTimeoutError) {
      throw new Error(
        `connection count stayed at ${broker.server.broker.connectionCount}, baseline ${baseline}: connections leaked`,
      );
    }
    throw error;
  }
}

/**
 * A subscriber that completes CONNECT and SUBSCRIBE and then stops reading its socket
 * (socket.pause()): the kernel buffers fill, then the broker's writes to it back up.
 */
export class StuckSubscriber {
  private constructor(readonly socket: Socket) {}

  static async start(
    port: number,
    clientId: string,
    filter: string,
    qos: QoS,
    protocolVersion: ProtocolVersion = 5,
  ): Promise<StuckSubscriber> {
    const socket = await openSocket(port);
    socket.on('error', () => undefined);
    const decoder = new PacketDecoder({ protocolVersion });
    const packets: Packet[] = [];
    let wake: () => void = () => undefined;
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (packet) => packets.push(packet));
      wake();
    });
    const next = async (type: Packet['type']): Promise<Packet> => {
      const found = (): Packet | undefined => packets.find((p) => p.type === type);
      await withTimeout(
        new Promise<void>((resolve) => {
          wake = () => found() && resolve();
          wake();
        }),
        5000,
        `${type} for the stuck subscriber`,
      );
      return found()!;
    };
    const send = (packet: Packet): void => void socket.write(encodePacket(packet, protocolVersion));
    send({ type: 'connect', protocolName: 'MQTT', protocolVersion, clean: true, keepAlive: 0, clientId });
    const connack = await next('connack');
    if (connack.type !== 'connack' || connack.reasonCode !== 0) throw new Error('stuck subscriber: CONNACK refused');
    send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    });
    const suback = await next('suback');
    if (suback.type !== 'suback' || suback.reasonCodes[0] !== qos)
      throw new Error(`stuck subscriber: SUBACK ${JSON.stringify(suback)}`);
    socket.removeAllListeners('data');
    socket.pause();
    return new StuckSubscriber(socket);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
