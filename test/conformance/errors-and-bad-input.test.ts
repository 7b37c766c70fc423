/** Malformed, oversized and out-of-order input (MQTT 5.0 §1.5, §2.1, §4.13; 3.1.1 §4.8; G7). */
import { encodePacket } from '@flockmq/protocol';
import type { ConnectPacket } from '@flockmq/protocol';
import type { AuthenticateRequest, AuthenticateResult } from '@flockmq/broker';
import { FakeClock, waitFor } from '@flockmq/testkit';
import type { RawClient } from '@flockmq/testkit';
import {
  connectPacket,
  expectClosedSilently,
  expectConnectRefused,
  expectDisconnect,
  expectServing,
  frame,
  publish,
  publishPacket,
  strBytes,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
  varint,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();

/** A client connected before the bad input arrives, to show it keeps being served afterwards. */
async function bystander(w: World): Promise<RawClient> {
  const c = await w.raw();
  await subscribe(c, sub('by/stander', 1));
  return c;
}

async function stillServed(w: World, c: RawClient): Promise<void> {
  await publish(await w.raw(), 'by/stander', 'served', { qos: 1 });
  expect((await c.next('publish')).payload.toString()).toBe('served');
}

/** Each case: the bytes a connected MQTT 5 client sends, and the DISCONNECT reason codes accepted. */
const v5Cases: [string, Buffer, number[]][] = [
  ['[MQTT-1.5.5-1] a Remaining Length of five bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), [0x81]],
  ['[MQTT-1.5.5-1] a Remaining Length not minimally encoded', Buffer.from([0xc0, 0x80, 0x00]), [0x81]],
  ['[§2.1.2] the reserved packet type 0', Buffer.from([0x00, 0x00]), [0x81]],
  ['[MQTT-2.1.3-1] PINGREQ with flag bits set', Buffer.from([0xc1, 0x00]), [0x81]],
  ['[MQTT-2.1.3-1] PUBACK with flag bits set', Buffer.from([0x42, 0x02, 0x00, 0x01]), [0x81]],
  ['[MQTT-3.6.1-1] PUBREL with flags 0000', Buffer.from([0x60, 0x02, 0x00, 0x01]), [0x81]],
  ['[MQTT-3.14.1-1] DISCONNECT with flag bits set', Buffer.from([0xe2, 0x00]), [0x81]],
  ['[MQTT-3.3.1-4] PUBLISH with QoS 3', frame(0x36, strBytes('e/q3'), [0, 1, 0], Buffer.from('x')), [0x81]],
  ['[MQTT-3.3.1-2] PUBLISH QoS 0 with DUP 1', frame(0x38, strBytes('e/dup'), [0], Buffer.from('x')), [0x81]],
  [
    '[MQTT-2.2.1-3] PUBLISH QoS 1 with packet identifier 0',
    frame(0x32, strBytes('e/id0'), [0, 0, 0], Buffer.from('x')),
    [0x81, 0x82],
  ],
  ['[§2.1.4] PINGREQ with bytes beyond its fields', Buffer.from([0xc0, 0x01, 0x00]), [0x81]],
  ['[§3.3.2] a PUBLISH whose topic length runs past the packet', Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61]), [0x81]],
  [
    '[§2.2.2.1] a Property Length that runs past the packet',
    frame(0x30, strBytes('e/p'), [0x20], Buffer.from('x')),
    [0x81],
  ],
  [
    '[MQTT-3.4.2-1] PUBACK with a reason code PUBACK does not have',
    Buffer.from([0x40, 0x03, 0x00, 0x01, 0x05]),
    [0x81, 0x82],
  ],
  [
    '[MQTT-3.14.2-1] DISCONNECT with a reason code DISCONNECT does not have',
    Buffer.from([0xe0, 0x01, 0x03]),
    [0x81, 0x82],
  ],
  ['[§3.2] CONNACK sent by a client', Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]), [0x82]],
  ['[§3.9] SUBACK sent by a client', Buffer.from([0x90, 0x04, 0x00, 0x01, 0x00, 0x00]), [0x82]],
  ['[§3.13] PINGRESP sent by a client', Buffer.from([0xd0, 0x00]), [0x82]],
  ['[MQTT-4.12.0-7] AUTH without an Authentication Method in CONNECT', Buffer.from([0xf0, 0x00]), [0x82]],
  // Malformed (0x81), not the protocol error (0x82) that a well-formed AUTH gets in the row above.
  ['[MQTT-3.15.1-1] [MQTT-2.1.3-1] AUTH with a reserved flag bit set', Buffer.from([0xf1, 0x00]), [0x81]],
  ['[MQTT-3.15.1-1] AUTH with every reserved flag bit set', Buffer.from([0xff, 0x00]), [0x81]],
];

describe('MQTT 5: DISCONNECT with a reason, then close', () => {
  test.each(v5Cases)('errors - %s gets DISCONNECT and closes only that connection', async (_name, bytes, codes) => {
    const w = await start();
    const other = await bystander(w);
    const c = await w.raw();
    c.sendBytes(bytes);
    const disconnect = await expectDisconnect(c, codes);
    // [MQTT-3.14.2-2] The server never sends a Session Expiry Interval on DISCONNECT.
    expect(disconnect.type === 'disconnect' && disconnect.properties?.sessionExpiryInterval).toBeFalsy();
    await stillServed(w, other);
  });

  test('errors - [MQTT-4.13.1-1] [MQTT-3.14.4-1] nothing after the bad packet is processed: a PUBLISH in the same write is not delivered', async () => {
    const w = await start();
    const other = await bystander(w);
    const c = await w.raw();
    c.sendBytes(
      Buffer.concat([
        Buffer.from([0xc1, 0x00]),
        encodePacket(publishPacket(c, 'by/stander', 'after-bad', { qos: 1 }), 5),
      ]),
    );
    await expectDisconnect(c, 0x81);
    expect(c.unread.map((p) => p.type)).toEqual([]);
    await stillServed(w, other);
  });

  test('errors - [§3.2.2.3.6] a packet larger than the Maximum Packet Size gets DISCONNECT 0x95, known from its header alone', async () => {
    const w = await start({ limits: { maxPacketSize: 1024 } });
    const other = await bystander(w);
    const c = await w.raw();
    c.sendBytes(Buffer.from([0x30, ...varint(10 * 1024 * 1024)])); // announces 10 MB, sends none of it
    await expectDisconnect(c, 0x95);
    await stillServed(w, other);
  });

  test('errors - [§3.2.2.3.6] a packet of exactly the Maximum Packet Size is accepted', async () => {
    const w = await start({ limits: { maxPacketSize: 1024 } });
    const c = await w.raw();
    await subscribe(c, sub('e/max', 1));
    const topic = 'e/max';
    const overhead = encodePacket(publishPacket(c, topic, '', { qos: 1, packetId: 1 }), 5).length;
    // The remaining length needs two bytes here, one more than for the empty payload.
    const payload = Buffer.alloc(1024 - overhead - 1, 0x61);
    const packet = encodePacket(publishPacket(c, topic, payload, { qos: 1, packetId: 1 }), 5);
    expect(packet.length).toBe(1024);
    c.sendBytes(packet);
    expect((await c.next('puback')).packetId).toBe(1);
    expect((await c.next('publish')).payload.length).toBe(payload.length);
  });

  test('errors - [MQTT-3.1.4-1] [§3.2.2.3.6] an oversized CONNECT closes the connection without CONNACK', async () => {
    const w = await start({ limits: { maxPacketSize: 512 } });
    const c = await w.open(5);
    c.sendBytes(
      encodePacket(
        {
          type: 'connect',
          protocolName: 'MQTT',
          protocolVersion: 5,
          clean: true,
          keepAlive: 0,
          clientId: 'x'.repeat(600),
        },
        5,
      ),
    );
    await expectConnectRefused(c, [0x95]);
    await expectServing(w);
  });
});

describe('MQTT 5: who closes the connection, and when the broker may send DISCONNECT', () => {
  /** CONNECTs the broker refuses with a CONNACK of 0x80 or above. */
  const refusals: [string, string, number, Partial<ConnectPacket>][] = [
    ['refused by the authentication hook', '0x87', 0x87, { username: 'bad' }],
    [
      'with an unsupported Authentication Method',
      '0x8C',
      0x8c,
      { properties: { authenticationMethod: 'SCRAM-SHA-1' } },
    ],
    [
      'with a Will QoS above the Maximum QoS',
      '0x9B',
      0x9b,
      { will: { topic: 'e/will', payload: Buffer.from('x'), qos: 2, retain: false } },
    ],
  ];
  const refuseBad = (r: AuthenticateRequest): AuthenticateResult =>
    r.username === 'bad' ? { ok: false, reasonCode: 0x87 } : { ok: true };

  test.each(refusals)(
    'errors - [MQTT-4.13.2-1] [MQTT-3.14.0-1] a CONNECT %s gets CONNACK %s, then the broker closes the connection without DISCONNECT',
    async (_name, _hex, code, fields) => {
      const w = await start({ hooks: { authenticate: refuseBad }, limits: { maxQoS: 1 } });
      const { client, connack } = await w.connect(fields);
      expect(connack.reasonCode).toBe(code);
      await client.closed(); // the client never ends the connection: the broker does
      expect(client.unread.map((p) => p.type)).toEqual([]);
    },
  );

  /** A broker whose authentication hook holds the CONNECT of user 'held' until release(). */
  async function holdingAuthentication() {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const w = await start({
      hooks: {
        authenticate: async (r: AuthenticateRequest): Promise<AuthenticateResult> => {
          if (r.username === 'held') {
            holding = true;
            await held;
          }
          return { ok: true };
        },
      },
    });
    const connected = await w.raw();
    const c = await w.open(5);
    c.send(connectPacket({ username: 'held' }));
    await waitFor(() => holding, { what: 'the CONNECT to reach the authentication hook' });
    return { w, connected, c, release };
  }

  test('errors - [MQTT-3.14.0-1] a malformed packet arriving before the CONNACK closes the connection without DISCONNECT', async () => {
    const { c, release } = await holdingAuthentication();
    c.sendBytes([0xc1, 0x00]); // PINGREQ with a flag bit set
    await c.closed();
    release();
    expect(c.unread.map((p) => p.type)).toEqual([]);
  });

  test('errors - [MQTT-3.14.0-1] on shutdown a connected client gets DISCONNECT 0x8B, one still waiting for its CONNACK gets nothing', async () => {
    const { w, connected, c, release } = await holdingAuthentication();
    const closing = w.broker.close();
    await expectDisconnect(connected, 0x8b);
    await c.closed();
    release();
    await closing;
    expect(c.unread.map((p) => p.type)).toEqual([]);
  });

  const serverDisconnects: [string, number, (w: World, c: RawClient, clientId: string, clock: FakeClock) => unknown][] =
    [
      ['0x81 for a malformed packet', 0x81, (_w, c) => c.sendBytes([0xc1, 0x00])],
      ['0x82 for a second CONNECT', 0x82, (_w, c) => c.send(connectPacket())],
      ['0x8D when the keep alive runs out', 0x8d, (_w, _c, _id, clock) => clock.advance(15_000)],
      ['0x8E when another connection takes the session over', 0x8e, (w, _c, clientId) => w.raw({ clientId })],
    ];

  test.each(serverDisconnects)(
    'errors - [MQTT-4.13.2-1] [MQTT-3.14.4-2] after DISCONNECT %s the broker closes the connection itself',
    async (_name, code, provoke) => {
      const clock = new FakeClock();
      const w = await start({ clock });
      const clientId = uniqueId('closes');
      const c = await w.raw({ clientId, keepAlive: 10 });
      await provoke(w, c, clientId, clock);
      expect((await c.next('disconnect')).reasonCode).toBe(code);
      await c.closed(); // the client never ends the connection: the broker does
    },
  );
});

describe('MQTT 3.1.1: close without a packet', () => {
  const v4Cases: [string, Buffer][] = [
    ['[MQTT-2.2.2-2 (3.1.1)] PINGREQ with flag bits set', Buffer.from([0xc1, 0x00])],
    ['[MQTT-2.2.2-2 (3.1.1)] PUBREL with flags 0000', Buffer.from([0x60, 0x02, 0x00, 0x01])],
    ['[MQTT-3.3.1-4 (3.1.1)] PUBLISH with QoS 3', frame(0x36, strBytes('e/q3'), [0, 1], Buffer.from('x'))],
    ['[MQTT-3.14.1-1 (3.1.1)] DISCONNECT with flag bits set', Buffer.from([0xe1, 0x00])],
    [
      '[MQTT-2.3.1-1 (3.1.1)] PUBLISH QoS 1 with packet identifier 0',
      frame(0x32, strBytes('e/id0'), [0, 0], Buffer.from('x')),
    ],
    ['[§2.2.1 (3.1.1)] the packet type 15, reserved before MQTT 5', Buffer.from([0xf0, 0x00])],
    ['[MQTT-4.8.0-1 (3.1.1)] CONNACK sent by a client', Buffer.from([0x20, 0x02, 0x00, 0x00])],
    ['[MQTT-4.8.0-1 (3.1.1)] a Remaining Length of five bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
  ];

  test.each(v4Cases)('errors - %s closes the 3.1.1 connection, and only that one', async (_name, bytes) => {
    const w = await start();
    const other = await bystander(w);
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(bytes);
    await expectClosedSilently(c);
    await stillServed(w, other);
  });

  test.each([
    ['PUBLISH', (c: RawClient) => c.send(publishPacket(c, 'e/flaky', 'x', { qos: 1 }))],
    ['SUBSCRIBE', (c: RawClient) => c.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('e/flaky', 1)] })],
  ])(
    'errors - [MQTT-4.8.0-2 (3.1.1)] a transient failure while handling a %s (its authorisation hook throws) closes that 3.1.1 connection, and only that one',
    async (_type, send) => {
      const unreachable = (_client: unknown, topic: string): boolean => {
        if (topic === 'e/flaky') throw new Error('authorisation service unreachable');
        return true;
      };
      const w = await start({ hooks: { authorizePublish: unreachable, authorizeSubscribe: unreachable } });
      const other = await bystander(w);
      const c = await w.raw({ protocolVersion: 4 });
      send(c);
      await expectClosedSilently(c);
      await stillServed(w, other);
    },
  );

  test('errors - [MQTT-4.8.0-1 (3.1.1)] an oversized packet closes a 3.1.1 connection', async () => {
    const w = await start({ limits: { maxPacketSize: 1024 } });
    const other = await bystander(w);
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(Buffer.from([0x30, ...varint(5000)]));
    await expectClosedSilently(c);
    await stillServed(w, other);
  });
});

describe('framing and robustness', () => {
  test('errors - [MQTT-4.2-1] [§4.2] a packet split into one-byte writes is decoded and delivered', async () => {
    const w = await start();
    const other = await bystander(w);
    const c = await w.raw();
    const bytes = encodePacket(publishPacket(c, 'by/stander', 'served', { qos: 1 }), 5);
    for (const byte of bytes) {
      c.sendBytes([byte]);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect((await c.next('puback')).reasonCode).toBe(0);
    expect((await other.next('publish')).payload.toString()).toBe('served');
  });

  test('errors - [MQTT-4.2-1] many packets in one write are each handled, in order', async () => {
    const w = await start();
    const other = await bystander(w);
    const c = await w.raw();
    const packets = Array.from({ length: 50 }, (_, i) =>
      encodePacket(publishPacket(c, 'by/stander', String(i), { qos: 1 }), 5),
    );
    c.sendBytes(Buffer.concat([...packets, encodePacket({ type: 'pingreq' }, 5)]));
    await c.next('pingresp');
    const got: string[] = [];
    for (let i = 0; i < 50; i++) got.push((await other.next('publish')).payload.toString());
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  test('errors - [G7] random bytes after CONNECT close only their connection; the node keeps serving', async () => {
    const w = await start({ limits: { maxPacketSize: 1024 } });
    const other = await bystander(w);
    let seed = 0x2545f491;
    const random = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x1_0000_0000;
    };
    for (let round = 0; round < 40; round++) {
      const c = await w.raw({ protocolVersion: round % 2 === 0 ? 5 : 4 });
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      // Zeros after the junk complete any packet it started (none may exceed 1024 bytes), then
      // read as the reserved packet type 0: whatever the junk was, the connection must end.
      c.sendBytes(Buffer.concat([junk, Buffer.alloc(1100)]));
      await c.closed();
    }
    await stillServed(w, other);
    await expectServing(w);
  });
});
