/**
 * Shared harness of the conformance suite: a broker per test with every client it opened torn
 * down after the test, and small helpers over RawClient for the exchanges tests repeat.
 *
 * Statement ids in test titles: `[MQTT-x.y.z-n]` is an MQTT 5.0 normative statement,
 * `[MQTT-x.y.z-n (3.1.1)]` one of MQTT 3.1.1, `[§x.y.z]` a section without a numbered statement,
 * and `[G3]` a FlockMQ guarantee of docs (DESIGN.md).
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { encodePacket } from '@flockmq/protocol';
import { RawClient, startTestBroker, waitFor } from '@flockmq/testkit';
import type { TestBroker, TestBrokerOptions } from '@flockmq/testkit';
import type {
  ConnackPacket,
  ConnectPacket,
  Packet,
  Properties,
  ProtocolVersion,
  PubackPacket,
  PublishPacket,
  PubrecPacket,
  QoS,
  SubackPacket,
  Subscription,
  UnsubackPacket,
} from '@flockmq/protocol';

let clientSeq = 0;
/** A client id unique in this process, readable in logs. */
export const uniqueId = (prefix = 'c'): string => `${prefix}-${process.pid}-${++clientSeq}`;

/** One broker and every client opened on it during a test. */
export class World {
  private readonly raws: RawClient[] = [];
  private readonly libs: MqttClient[] = [];
  private readonly byteClients: ByteClient[] = [];

  private constructor(readonly broker: TestBroker) {}

  static async start(options: TestBrokerOptions = {}): Promise<World> {
    return new World(await startTestBroker(options));
  }

  get port(): number {
    return this.broker.port;
  }

  /** The broker core of the node (for waiting on its state, never for driving the protocol). */
  get node(): TestBroker['server']['broker'] {
    return this.broker.server.broker;
  }

  /** A TCP connection that has sent nothing yet. */
  async open(version: ProtocolVersion = 5): Promise<RawClient> {
    const client = await RawClient.open(this.port, version);
    this.raws.push(client);
    return client;
  }

  /** A TCP connection that has sent nothing yet and records the broker's bytes as they are. */
  async bytes(): Promise<ByteClient> {
    const client = await ByteClient.open(this.port);
    this.byteClients.push(client);
    return client;
  }

  /** Sends a CONNECT (defaults: clean, keep alive 0, a fresh client id) and returns the CONNACK, whatever its code. */
  async connect(fields: Partial<ConnectPacket> = {}): Promise<{ client: RawClient; connack: ConnackPacket }> {
    const version = fields.protocolVersion ?? 5;
    const client = await this.open(version);
    client.send(connectPacket(fields));
    const connack = await client.next('connack');
    return { client, connack };
  }

  /** A connected RawClient; fails the test unless the CONNACK is a success. */
  async raw(fields: Partial<ConnectPacket> = {}): Promise<RawClient> {
    const { client, connack } = await this.connect(fields);
    if (connack.reasonCode !== 0) throw new Error(`CONNACK refused: 0x${connack.reasonCode.toString(16)}`);
    return client;
  }

  /** An MQTT.js client, connected (no automatic reconnect). */
  async lib(options: IClientOptions = {}, url = this.broker.url): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clientId: uniqueId('lib'),
      ...options,
    });
    this.libs.push(client);
    return client;
  }

  /** Resolves once the broker no longer has a live connection for this client id. */
  async offline(clientId: string): Promise<void> {
    await waitFor(() => this.node.channel(clientId) === undefined, { what: `${clientId} to be offline` });
  }

  async close(): Promise<void> {
    for (const c of this.raws) c.destroy();
    for (const c of this.byteClients) c.destroy();
    await Promise.all(this.libs.map((c) => c.endAsync(true).catch(() => undefined)));
    await this.broker.close();
  }
}

/** Registers teardown and returns a function that starts a World for the current test. */
export function useWorlds(): (options?: TestBrokerOptions) => Promise<World> {
  const open: World[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
  });
  return async (options) => {
    const world = await World.start(options);
    open.push(world);
    return world;
  };
}

export function connectPacket(fields: Partial<ConnectPacket> = {}): ConnectPacket {
  const version = fields.protocolVersion ?? 5;
  return {
    type: 'connect',
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: true,
    keepAlive: 0,
    clientId: uniqueId('raw'),
    ...fields,
  };
}

// ------------------------------------------------------------------ sessions

/**
 * Connects with a persistent session: Clean Start 0 and (MQTT 5) a Session Expiry Interval of
 * 600 s unless `fields` say otherwise. Returns the client and its CONNACK.
 */
export async function connectPersistent(
  world: World,
  clientId: string,
  fields: Partial<ConnectPacket> = {},
): Promise<{ client: RawClient; connack: ConnackPacket }> {
  const version = fields.protocolVersion ?? 5;
  const properties = version === 5 ? { sessionExpiryInterval: 600, ...fields.properties } : fields.properties;
  const result = await world.connect({ clientId, clean: false, ...fields, ...(properties && { properties }) });
  if (result.connack.reasonCode !== 0) throw new Error(`CONNACK refused: 0x${result.connack.reasonCode.toString(16)}`);
  return result;
}

export async function persistent(
  world: World,
  clientId: string,
  fields: Partial<ConnectPacket> = {},
): Promise<RawClient> {
  return (await connectPersistent(world, clientId, fields)).client;
}

/** Ends a connection (DISCONNECT 0x00, or abruptly) and waits until the broker has let go of it. */
export async function leave(
  world: World,
  client: RawClient,
  clientId: string,
  how: 'disconnect' | 'drop' = 'disconnect',
): Promise<void> {
  if (how === 'disconnect') {
    client.send({ type: 'disconnect' });
    await client.closed();
  } else {
    client.destroy();
  }
  await world.offline(clientId);
}

// ------------------------------------------------------------------ packet exchanges

const packetIds = new WeakMap<RawClient, number>();
/** The next packet identifier this client uses (1, 2, 3, ...). */
export function nextId(client: RawClient): number {
  const id = (packetIds.get(client) ?? 0) + 1;
  packetIds.set(client, id);
  return id;
}

export function sub(
  topicFilter: string,
  qos: QoS = 0,
  options: Partial<Omit<Subscription, 'topicFilter' | 'qos'>> = {},
): Subscription {
  return { topicFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0, ...options };
}

/** SUBSCRIBE and wait for its SUBACK. */
export async function subscribe(
  client: RawClient,
  subscriptions: string | Subscription | (string | Subscription)[],
  properties?: Properties,
): Promise<SubackPacket> {
  const list = (Array.isArray(subscriptions) ? subscriptions : [subscriptions]).map((s) =>
    typeof s === 'string' ? sub(s, 2) : s,
  );
  const packetId = nextId(client);
  client.send({ type: 'subscribe', packetId, subscriptions: list, ...(properties && { properties }) });
  const suback = await client.next('suback');
  expect(suback.packetId).toBe(packetId);
  return suback;
}

export async function unsubscribe(client: RawClient, filters: string | string[]): Promise<UnsubackPacket> {
  const packetId = nextId(client);
  client.send({ type: 'unsubscribe', packetId, topicFilters: Array.isArray(filters) ? filters : [filters] });
  const unsuback = await client.next('unsuback');
  expect(unsuback.packetId).toBe(packetId);
  return unsuback;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  properties?: Properties;
}

export function publishPacket(
  client: RawClient,
  topic: string,
  payload: string | Buffer,
  options: PublishOptions = {},
): PublishPacket {
  const qos = options.qos ?? 0;
  const packet: PublishPacket = {
    type: 'publish',
    topic,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
    qos,
    retain: options.retain ?? false,
    dup: options.dup ?? false,
  };
  if (qos > 0) packet.packetId = options.packetId ?? nextId(client);
  if (options.properties) packet.properties = options.properties;
  return packet;
}

/**
 * Publishes and completes the flow: QoS 1 returns the PUBACK, QoS 2 the PUBREC (after
 * PUBREL/PUBCOMP, unless the PUBREC is a failure), QoS 0 returns once a PINGRESP proves the
 * broker has processed it.
 */
export async function publish(
  client: RawClient,
  topic: string,
  payload: string | Buffer,
  options: PublishOptions = {},
): Promise<PubackPacket | PubrecPacket | undefined> {
  const packet = publishPacket(client, topic, payload, options);
  client.send(packet);
  if (packet.qos === 0) {
    await ping(client);
    return undefined;
  }
  if (packet.qos === 1) {
    const puback = await client.next('puback');
    expect(puback.packetId).toBe(packet.packetId);
    return puback;
  }
  const pubrec = await client.next('pubrec');
  expect(pubrec.packetId).toBe(packet.packetId);
  if ((pubrec.reasonCode ?? 0) < 0x80) {
    client.send({ type: 'pubrel', packetId: packet.packetId! });
    const pubcomp = await client.next('pubcomp');
    expect(pubcomp.packetId).toBe(packet.packetId);
  }
  return pubrec;
}

/** Acknowledges a received PUBLISH as its QoS requires (QoS 2: PUBREC, PUBREL, PUBCOMP). */
export async function ack(client: RawClient, packet: PublishPacket): Promise<void> {
  if (packet.qos === 1) client.send({ type: 'puback', packetId: packet.packetId! });
  if (packet.qos === 2) {
    client.send({ type: 'pubrec', packetId: packet.packetId! });
    const pubrel = await client.next('pubrel');
    expect(pubrel.packetId).toBe(packet.packetId);
    client.send({ type: 'pubcomp', packetId: packet.packetId! });
  }
}

/** PINGREQ/PINGRESP: once it returns, the broker has handled everything this client sent before. */
export async function ping(client: RawClient): Promise<void> {
  client.send({ type: 'pingreq' });
  await client.next('pingresp');
}

/** Publishes received and not yet taken, in arrival order. */
export function unreadPublishes(client: RawClient): PublishPacket[] {
  return client.unread.filter((p): p is PublishPacket => p.type === 'publish');
}

/** Takes the next `n` PUBLISH packets, in order. */
export async function publishes(client: RawClient, n: number): Promise<PublishPacket[]> {
  const out: PublishPacket[] = [];
  for (let i = 0; i < n; i++) out.push(await client.next('publish'));
  return out;
}

/** Asserts (after a ping round trip on this connection) that no PUBLISH is waiting. */
export async function expectNoPublish(client: RawClient): Promise<void> {
  await ping(client);
  expect(unreadPublishes(client).map((p) => p.topic)).toEqual([]);
}

/** MQTT 5: the broker sends DISCONNECT with this reason code, then closes the connection. */
export async function expectDisconnect(client: RawClient, reasonCode: number | number[]): Promise<Packet> {
  const disconnect = await client.next('disconnect');
  const allowed = Array.isArray(reasonCode) ? reasonCode : [reasonCode];
  expect(allowed).toContain(disconnect.reasonCode);
  await client.closed();
  return disconnect;
}

/** MQTT 3.1.1: the broker closes the connection and sends nothing first (3.1.1 has no server DISCONNECT). */
export async function expectClosedSilently(client: RawClient): Promise<void> {
  await client.closed();
  expect(client.unread.map((p) => p.type)).toEqual([]);
}

/**
 * A bad CONNECT: the connection is closed and no session starts. 3.1.1 and 3.1 get no packet at
 * all ([MQTT-3.1.4-1 (3.1.1)]); MQTT 5 may first get one CONNACK with a failure reason code among
 * `codes` and Session Present 0 ([MQTT-3.1.4-1], §4.13.1, [MQTT-3.2.2-6]).
 */
export async function expectConnectRefused(client: RawClient, codes: number[] = [0x81, 0x82]): Promise<void> {
  await client.closed();
  const packets = client.unread;
  if (client.protocolVersion !== 5) {
    expect(packets.map((p) => p.type)).toEqual([]);
    return;
  }
  expect(packets.length).toBeLessThanOrEqual(1);
  for (const p of packets) {
    expect(p.type).toBe('connack');
    if (p.type !== 'connack') continue;
    expect(codes).toContain(p.reasonCode);
    expect(p.sessionPresent).toBe(false);
  }
}

/**
 * G7: the node still serves others. A fresh client subscribes and gets a QoS 1 message published
 * by another fresh client.
 */
export async function expectServing(world: World): Promise<void> {
  const subscriber = await world.raw();
  const publisher = await world.raw();
  const topic = `alive/${uniqueId('t')}`;
  await subscribe(subscriber, sub(topic, 1));
  await publish(publisher, topic, 'still-serving', { qos: 1 });
  const message = await subscriber.next('publish');
  expect(message.payload.toString()).toBe('still-serving');
  subscriber.destroy();
  publisher.destroy();
}

// ------------------------------------------------------------------ raw bytes

export function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** A length-prefixed UTF-8 string field from raw bytes (which need not be valid UTF-8). */
export function strBytes(value: string | Buffer | number[]): Buffer {
  const body = Buffer.isBuffer(value) ? value : typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  return Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
}

/** A whole packet: first byte, remaining length, body. */
export function frame(firstByte: number, ...body: (Buffer | number[])[]): Buffer {
  const content = Buffer.concat(body.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b))));
  return Buffer.concat([Buffer.from([firstByte, ...varint(content.length)]), content]);
}

/** A CONNECT as raw bytes, for values the encoder refuses to produce. */
export function connectBytes(options: {
  protocolName?: string;
  level?: number;
  flags?: number;
  keepAlive?: number;
  clientId?: string | Buffer;
  /** MQTT 5 property bytes (without their length); an empty property list when omitted at level 5. */
  properties?: number[];
  payload?: Buffer[];
}): Buffer {
  const level = options.level ?? 4;
  const props = level === 5 ? [...varint((options.properties ?? []).length), ...(options.properties ?? [])] : [];
  return frame(
    0x10,
    strBytes(options.protocolName ?? 'MQTT'),
    [level, options.flags ?? 0x02, (options.keepAlive ?? 0) >> 8, (options.keepAlive ?? 0) & 0xff],
    props,
    strBytes(options.clientId ?? uniqueId('bytes')),
    ...(options.payload ?? []),
  );
}

/**
 * A TCP connection that keeps every byte the broker sends, for checks on the exact encoding
 * (RawClient decodes, and a decoder accepts more than one encoding of some packets).
 */
export class ByteClient {
  private buffered = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.buffered = Buffer.concat([this.buffered, chunk])));
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<ByteClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true });
      socket.once('connect', () => resolve(new ByteClient(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  send(packet: Packet, version: ProtocolVersion): void {
    this.write(encodePacket(packet, version));
  }

  /** The next whole packet the broker sent, fixed header included, byte for byte. */
  async packet(): Promise<Buffer> {
    const size = await waitFor(() => this.completeSize(), { what: 'a whole packet from the broker' });
    const out = Buffer.from(this.buffered.subarray(0, size));
    this.buffered = this.buffered.subarray(size);
    return out;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Size of the first packet buffered, once all of it is here; 0 until then. */
  private completeSize(): number {
    let length = 0;
    for (let i = 1; i <= 4 && i < this.buffered.length; i++) {
      const byte = this.buffered[i]!;
      length += (byte & 0x7f) * 128 ** (i - 1);
      if ((byte & 0x80) === 0) return this.buffered.length >= 1 + i + length ? 1 + i + length : 0;
    }
    return 0;
  }
}
