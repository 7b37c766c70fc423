/** Transports: MQTT over WebSocket framing (MQTT 5.0 §6) and ordered, lossless byte streams (3.1.1 §7.1.1). */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type WebSocketModule from 'ws';
import { PacketDecoder, encodePacket } from '@flockmq/protocol';
import type { Packet, PacketType, ProtocolVersion, PublishPacket } from '@flockmq/protocol';
import { waitFor } from '@flockmq/testkit';
import { connectPacket, ping, sub, subscribe, useWorlds } from './helpers';

// `ws` is a dependency of the server package (its WebSocket listener), not of the repository root.
const WebSocket = createRequire(join(__dirname, '..', '..', 'packages', 'server', 'package.json'))(
  'ws',
) as typeof WebSocketModule;

const start = useWorlds();
const opened: WsClient[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** An MQTT client over a WebSocket (subprotocol "mqtt") that sends exactly the frames a test asks for. */
class WsClient {
  private readonly received: Packet[] = [];
  private readonly decoder: PacketDecoder;

  private constructor(
    private readonly socket: WebSocketModule,
    readonly protocolVersion: ProtocolVersion,
  ) {
    this.decoder = new PacketDecoder({ protocolVersion });
    socket.on('message', (data: Buffer) => {
      this.decoder.push(data, (packet) => this.received.push(packet));
    });
  }

  static open(url: string, protocolVersion: ProtocolVersion = 5): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'mqtt');
      socket.once('open', () => {
        const client = new WsClient(socket, protocolVersion);
        opened.push(client);
        resolve(client);
      });
      socket.once('error', reject);
    });
  }

  encode(packet: Packet): Buffer {
    return encodePacket(packet, this.protocolVersion);
  }

  /** Sends each chunk as a binary WebSocket message of its own. */
  messages(...chunks: Buffer[]): void {
    for (const chunk of chunks) this.socket.send(chunk, { binary: true });
  }

  /** Sends the chunks as the frames of one fragmented binary message (a first frame, then continuation frames). */
  fragments(...chunks: Buffer[]): void {
    chunks.forEach((chunk, i) => this.socket.send(chunk, { binary: true, fin: i === chunks.length - 1 }));
  }

  /** The next packet (of a type, if given) not taken before, in arrival order. */
  async next<T extends PacketType>(type?: T): Promise<Extract<Packet, { type: T }>> {
    const index = (): number => this.received.findIndex((p) => type === undefined || p.type === type);
    await waitFor(() => index() >= 0, { what: `a ${type ?? 'packet'} over WebSocket` });
    return this.received.splice(index(), 1)[0] as Extract<Packet, { type: T }>;
  }

  close(): void {
    this.socket.terminate();
  }
}

const qos1 = (topic: string, payload: string | Buffer, packetId: number): PublishPacket => ({
  type: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos: 1,
  retain: false,
  dup: false,
  packetId,
});

/** Splits bytes at the given offsets. */
const cut = (bytes: Buffer, ...at: number[]): Buffer[] =>
  [0, ...at].map((from, i) => bytes.subarray(from, i < at.length ? at[i] : bytes.length));

describe('MQTT over WebSocket', () => {
  test.each([
    ['separate WebSocket messages', 'messages'],
    ['the frames of one fragmented WebSocket message', 'fragments'],
  ] as const)(
    'transports - [MQTT-6.0.0-2] MQTT packets split across %s are put together and handled',
    async (_name, how) => {
      const w = await start();
      const c = await WsClient.open(w.broker.wsUrl);
      const send = (chunks: Buffer[]): void => (how === 'messages' ? c.messages(...chunks) : c.fragments(...chunks));
      // CONNECT cut inside the protocol name.
      send(cut(c.encode(connectPacket()), 5));
      expect((await c.next('connack')).reasonCode).toBe(0);
      // SUBSCRIBE cut after its first byte and after its remaining length.
      send(cut(c.encode({ type: 'subscribe', packetId: 1, subscriptions: [sub('ws/split', 1)] }), 1, 2));
      expect(await c.next('suback')).toMatchObject({ packetId: 1, reasonCodes: [1] });
      // PUBLISH cut inside its topic and inside its payload, one byte at a time at the end.
      const publish = c.encode(qos1('ws/split', 'split payload', 2));
      send(cut(publish, 4, publish.length - 3, publish.length - 2, publish.length - 1));
      expect(await c.next('puback')).toMatchObject({ packetId: 2 });
      const echoed = await c.next('publish');
      expect([echoed.topic, echoed.payload.toString()]).toEqual(['ws/split', 'split payload']);
    },
  );

  test('transports - [MQTT-6.0.0-2] several MQTT packets in one WebSocket message, and a message that ends one packet and starts the next, are each handled in order', async () => {
    const w = await start();
    const c = await WsClient.open(w.broker.wsUrl);
    c.messages(
      Buffer.concat([
        c.encode(connectPacket()),
        c.encode({ type: 'subscribe', packetId: 1, subscriptions: [sub('ws/many', 1)] }),
        c.encode({ type: 'pingreq' }),
      ]),
    );
    expect((await c.next()).type).toBe('connack');
    expect((await c.next()).type).toBe('suback');
    expect((await c.next()).type).toBe('pingresp');
    const a = c.encode(qos1('ws/many', 'a', 2));
    const b = c.encode(qos1('ws/many', 'b', 3));
    const [bHead, bTail] = cut(b, 6);
    c.messages(Buffer.concat([a, bHead!]), Buffer.concat([bTail!, c.encode({ type: 'pingreq' })]));
    const answers: Packet[] = [];
    for (let i = 0; i < 5; i++) answers.push(await c.next());
    const acks = answers.filter((p) => p.type !== 'publish');
    expect(acks.map((p) => [p.type, 'packetId' in p ? p.packetId : undefined])).toEqual([
      ['puback', 2],
      ['puback', 3],
      ['pingresp', undefined],
    ]);
    const delivered = answers.filter((p): p is PublishPacket => p.type === 'publish');
    expect(delivered.map((p) => p.payload.toString())).toEqual(['a', 'b']);
  });
});

describe('byte-stream transports', () => {
  test('transports - [MQTT-7.1.1-1 (3.1.1)] over TCP and over WebSocket, 3.1.1 packets arrive in order and intact in both directions', async () => {
    const w = await start();
    const ws = await WsClient.open(w.broker.wsUrl, 4);
    ws.messages(ws.encode(connectPacket({ protocolVersion: 4 })));
    expect((await ws.next('connack')).reasonCode).toBe(0);
    ws.messages(ws.encode({ type: 'subscribe', packetId: 1, subscriptions: [sub('bytes/to-ws', 1)] }));
    await ws.next('suback');
    const tcp = await w.raw({ protocolVersion: 4 });
    await subscribe(tcp, sub('bytes/to-tcp', 1));

    const n = 64;
    // Every byte value, in payloads of growing size.
    const payload = (i: number): Buffer => Buffer.from(Array.from({ length: i * 4 + 1 }, (_, j) => (i * 31 + j) % 256));
    for (let i = 0; i < n; i++) {
      tcp.send(qos1('bytes/to-ws', payload(i), i + 1));
      ws.messages(ws.encode(qos1('bytes/to-tcp', payload(i), i + 1)));
    }
    await ping(tcp);
    for (let i = 0; i < n; i++) {
      const toWs = await ws.next('publish');
      expect(Buffer.compare(toWs.payload, payload(i))).toBe(0);
      ws.messages(ws.encode({ type: 'puback', packetId: toWs.packetId! }));
      const toTcp = await tcp.next('publish');
      expect(Buffer.compare(toTcp.payload, payload(i))).toBe(0);
      tcp.send({ type: 'puback', packetId: toTcp.packetId! });
    }
  });
});
