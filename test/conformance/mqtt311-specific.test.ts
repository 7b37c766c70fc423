/**
 * Where MQTT 3.1.1 and 3.1 ("MQIsdp") differ from 5.0: exact packet formats, return codes
 * instead of reason codes, no server DISCONNECT, and mixed-version delivery.
 */
import type { AuthenticateRequest } from '@flockmq/broker';
import type { QoS } from '@flockmq/protocol';
import type { RawClient } from '@flockmq/testkit';
import {
  ack,
  connectBytes,
  connectPacket,
  expectClosedSilently,
  expectDisconnect,
  expectNoPublish,
  leave,
  persistent,
  ping,
  publish,
  publishPacket,
  publishes,
  strBytes,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();

describe('exact 3.1.1 packet formats', () => {
  test.each([4, 3] as const)(
    '311 - [§3.2 (3.1.1)] [MQTT-3.2.0-1 (3.1.1)] the CONNACK to a level %i client is exactly 20 02 00 00',
    async (protocolVersion) => {
      const w = await start();
      const c = await w.bytes();
      c.send(connectPacket({ protocolVersion }), protocolVersion);
      expect([...(await c.packet())]).toEqual([0x20, 0x02, 0x00, 0x00]);
    },
  );

  test('311 - [§3.4 (3.1.1)] [§3.5 (3.1.1)] [§3.7 (3.1.1)] [§3.11 (3.1.1)] [§3.9 (3.1.1)] acks are in the 3.1.1 format: no reason codes, no properties', async () => {
    const w = await start();
    const c = await w.bytes();
    c.send(connectPacket({ protocolVersion: 4 }), 4);
    await c.packet();
    const toNobody = {
      type: 'publish',
      topic: 'nobody/here',
      payload: Buffer.from('x'),
      retain: false,
      dup: false,
    } as const;
    c.send({ ...toNobody, qos: 1, packetId: 0x0102 }, 4);
    expect([...(await c.packet())]).toEqual([0x40, 0x02, 0x01, 0x02]);
    c.send({ ...toNobody, qos: 2, packetId: 0x0203 }, 4);
    expect([...(await c.packet())]).toEqual([0x50, 0x02, 0x02, 0x03]);
    c.send({ type: 'pubrel', packetId: 0x0203 }, 4);
    expect([...(await c.packet())]).toEqual([0x70, 0x02, 0x02, 0x03]);
    c.send({ type: 'subscribe', packetId: 7, subscriptions: [sub('a/#', 1), sub('a/#/bad', 0)] }, 4);
    expect([...(await c.packet())]).toEqual([0x90, 0x04, 0x00, 0x07, 0x01, 0x80]);
    c.send({ type: 'unsubscribe', packetId: 8, topicFilters: ['never/subscribed'] }, 4);
    expect([...(await c.packet())]).toEqual([0xb0, 0x02, 0x00, 0x08]);
  });

  test('311 - [§3.3 (3.1.1)] an MQTT 5 message with properties reaches a 3.1.1 subscriber as a plain 3.1.1 PUBLISH', async () => {
    const w = await start();
    const c = await w.bytes();
    c.send(connectPacket({ protocolVersion: 4 }), 4);
    await c.packet();
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('m/x', 0)] }, 4);
    await c.packet();
    await publish(await w.raw(), 'm/x', 'hi', {
      properties: {
        contentType: 'text/plain',
        userProperties: [['k', 'v']],
        messageExpiryInterval: 60,
        payloadFormatIndicator: 1,
      },
    });
    expect([...(await c.packet())]).toEqual([0x30, 0x07, 0x00, 0x03, 0x6d, 0x2f, 0x78, 0x68, 0x69]);
  });
});

describe('CONNECT that does not conform', () => {
  test.each([
    ['the reserved flag set', connectBytes({ flags: 0x03 })],
    ['will QoS 3', connectBytes({ flags: 0x1e, payload: [strBytes('w/t'), strBytes('x')] })],
    ['a password without a user name', connectBytes({ flags: 0x42, payload: [strBytes('pw')] })],
    ['a client identifier that is not UTF-8', connectBytes({ clientId: Buffer.from([0x61, 0xff]) })],
    ['a will topic that is not UTF-8', connectBytes({ flags: 0x06, payload: [strBytes([0x77, 0xc0]), strBytes('x')] })],
  ])(
    '311 - [MQTT-3.1.4-1 (3.1.1)] [MQTT-3.2.2-6 (3.1.1)] a 3.1.1 CONNECT with %s, for which no return code fits, is closed without any CONNACK',
    async (_name, bytes) => {
      const w = await start();
      const c = await w.open(4);
      c.sendBytes(bytes);
      await expectClosedSilently(c);
    },
  );
});

describe('the broker as a 3.1.1 sender', () => {
  async function away(w: World, clientId: string, qos: QoS): Promise<RawClient> {
    const c = await persistent(w, clientId, { protocolVersion: 4 });
    await subscribe(c, sub('v4/out', qos));
    return c;
  }
  async function reconnect(w: World, c: RawClient, clientId: string): Promise<RawClient> {
    await leave(w, c, clientId, 'drop');
    return persistent(w, clientId, { protocolVersion: 4 });
  }

  test('311 - [MQTT-4.3.2-1 (3.1.1)] [MQTT-2.3.1-4 (3.1.1)] QoS 1 goes out with DUP 0 and packet identifiers not in use, each held until its PUBACK', async () => {
    const w = await start();
    const clientId = uniqueId('v4q1');
    const c = await away(w, clientId, 1);
    const publisher = await w.raw({ protocolVersion: 4 });
    for (let i = 0; i < 4; i++) await publish(publisher, 'v4/out', String(i), { qos: 1 });
    const sent = await publishes(c, 4);
    expect(sent.map((p) => [p.qos, p.dup])).toEqual(sent.map(() => [1, false]));
    expect(sent.every((p) => p.packetId! > 0)).toBe(true);
    expect(new Set(sent.map((p) => p.packetId)).size).toBe(4);
    await ack(c, sent[0]!);
    await ack(c, sent[2]!);
    await ping(c);
    const back = await reconnect(w, c, clientId);
    // Only the two never acknowledged are still unacknowledged: resent, same identifiers, DUP 1.
    const resent = await publishes(back, 2);
    expect(resent.map((p) => [p.packetId, p.payload.toString(), p.dup])).toEqual([
      [sent[1]!.packetId, '1', true],
      [sent[3]!.packetId, '3', true],
    ]);
    // A new message while those are in flight gets an identifier they do not use.
    await publish(publisher, 'v4/out', '4', { qos: 1 });
    const fresh = await back.next('publish');
    expect(fresh.dup).toBe(false);
    expect(resent.map((p) => p.packetId)).not.toContain(fresh.packetId);
  });

  test('311 - [MQTT-4.3.3-1 (3.1.1)] [MQTT-2.3.1-4 (3.1.1)] QoS 2 goes out with DUP 0, PUBREC is answered with PUBREL, and after PUBREL the PUBLISH is never sent again', async () => {
    const w = await start();
    const clientId = uniqueId('v4q2');
    const c = await away(w, clientId, 2);
    await publish(await w.raw({ protocolVersion: 4 }), 'v4/out', 'exactly once', { qos: 2 });
    const p = await c.next('publish');
    expect(p).toMatchObject({ qos: 2, dup: false });
    expect(p.packetId).toBeGreaterThan(0);
    c.send({ type: 'pubrec', packetId: p.packetId! });
    expect((await c.next('pubrel')).packetId).toBe(p.packetId);
    const back = await reconnect(w, c, clientId);
    expect(await back.next()).toMatchObject({ type: 'pubrel', packetId: p.packetId });
    back.send({ type: 'pubcomp', packetId: p.packetId! });
    await expectNoPublish(back);
  });

  test.each([0, 1, 2] as const)(
    '311 - [MQTT-4.6.0-5 (3.1.1)] messages of one 3.1.1 publisher on one topic reach a 3.1.1 subscriber in the order published (QoS %i)',
    async (qos) => {
      const w = await start();
      const subscriber = await w.raw({ protocolVersion: 4 });
      await subscribe(subscriber, sub('v4/order', 2));
      const publisher = await w.raw({ protocolVersion: 4 });
      const n = 40;
      for (let i = 0; i < n; i++) {
        if (qos === 2) await publish(publisher, 'v4/order', String(i), { qos });
        else publisher.send(publishPacket(publisher, 'v4/order', String(i), { qos }));
      }
      await ping(publisher);
      const got: string[] = [];
      for (let i = 0; i < n; i++) {
        const p = await subscriber.next('publish');
        got.push(p.payload.toString());
        await ack(subscriber, p);
      }
      expect(got).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    },
  );
});

describe('return codes instead of reason codes', () => {
  test.each([
    ['0x85 client identifier not valid', 0x85, 0x02],
    ['0x88 server unavailable', 0x88, 0x03],
    ['0x89 server busy', 0x89, 0x03],
    ['0x8A banned', 0x8a, 0x05],
    ['0x8C bad authentication method', 0x8c, 0x03],
  ])(
    '311 - [§3.2.2.3 (3.1.1)] [MQTT-3.2.2-4 (3.1.1)] a refusal with %s reaches a 3.1.1 client as return code %i',
    async (_name, reasonCode, expected) => {
      const w = await start({ hooks: { authenticate: (_r: AuthenticateRequest) => ({ ok: false, reasonCode }) } });
      const { client, connack } = await w.connect({ protocolVersion: 4 });
      expect(connack).toMatchObject({ reasonCode: expected, sessionPresent: false });
      await client.closed();
    },
  );

  test('311 - [MQTT-3.9.3-2 (3.1.1)] every subscription failure is 0x80 on 3.1.1, whatever its MQTT 5 reason', async () => {
    const w = await start({
      limits: {
        wildcardSubscriptionAvailable: false,
        sharedSubscriptionAvailable: false,
        maxSubscriptionsPerSession: 2,
      },
      hooks: { authorizeSubscribe: (_client, filter) => filter !== 'denied' },
    });
    const c = await w.raw({ protocolVersion: 4 });
    const suback = await subscribe(c, [
      sub('ok', 1),
      sub('a/+', 1),
      sub('$share/g/x', 1),
      sub('denied', 1),
      sub('ok2', 0),
      sub('over', 0),
    ]);
    expect(suback.reasonCodes).toEqual([1, 0x80, 0x80, 0x80, 0, 0x80]);
  });

  test('311 - [MQTT-3.3.5-2 (3.1.1)] a PUBLISH refused by authorisation is acknowledged as usual at QoS 1 and 2 and discarded', async () => {
    const w = await start({ hooks: { authorizePublish: (_client, topic) => topic !== 'denied' } });
    const watcher = await w.raw();
    await subscribe(watcher, [sub('denied', 1), sub('allowed', 1)]);
    const c = await w.raw({ protocolVersion: 4 });
    expect(await publish(c, 'denied', 'x', { qos: 1 })).toMatchObject({ type: 'puback' });
    expect(await publish(c, 'denied', 'x', { qos: 2 })).toMatchObject({ type: 'pubrec' });
    await publish(c, 'allowed', 'marker', { qos: 1 });
    expect((await watcher.next('publish')).topic).toBe('allowed');
  });
});

describe('no DISCONNECT from the server', () => {
  test('311 - [§3.14 (3.1.1)] [G5] on shutdown a 3.1.1 connection is closed without a packet while MQTT 5 gets DISCONNECT 0x8B', async () => {
    const w = await start();
    const v4 = await w.raw({ protocolVersion: 4 });
    const v5 = await w.raw();
    const closing = w.broker.close();
    await expectDisconnect(v5, 0x8b);
    await expectClosedSilently(v4);
    await closing;
  });

  test('311 - [MQTT-3.1.4-2 (3.1.1)] a 3.1.1 connection taken over by an MQTT 5 one is closed without a packet', async () => {
    const w = await start();
    const clientId = uniqueId('mixed');
    const old = await w.raw({ protocolVersion: 4, clientId });
    await w.raw({ protocolVersion: 5, clientId });
    await expectClosedSilently(old);
  });
});

describe('MQTT 3.1 (MQIsdp) and mixed versions', () => {
  test('311 - [§3 MQTT 3.1] an MQIsdp client subscribes and exchanges QoS 2 messages', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 3 });
    expect((await subscribe(c, sub('v3/#', 2))).reasonCodes).toEqual([2]);
    await publish(c, 'v3/self', 'loop', { qos: 2 });
    const p = await c.next('publish');
    expect([p.topic, p.qos, p.payload.toString()]).toEqual(['v3/self', 2, 'loop']);
    await ack(c, p);
  });

  test('311 - [§3.8.3.1] a 3.1.1 client, which has no No Local option, receives its own messages', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    await subscribe(c, sub('own/#', 1));
    await publish(c, 'own/echo', 'echo', { qos: 1 });
    expect((await c.next('publish')).payload.toString()).toBe('echo');
  });

  test('311 - [§4.1] messages flow between levels 3, 4 and 5 at every QoS', async () => {
    const w = await start();
    const clients = [
      await w.raw({ protocolVersion: 3 }),
      await w.raw({ protocolVersion: 4 }),
      await w.raw({ protocolVersion: 5 }),
    ];
    for (const c of clients) await subscribe(c, sub('mix/#', 2));
    for (const [i, c] of clients.entries())
      await publish(c, `mix/${i}`, `from-${c.protocolVersion}`, { qos: (i % 3) as 0 | 1 | 2 });
    for (const c of clients) {
      const got = await publishes(c, 3);
      expect(got.map((p) => p.payload.toString()).sort()).toEqual(['from-3', 'from-4', 'from-5']);
      expect(got.map((p) => p.qos)).toEqual([0, 1, 2]);
      for (const p of got) await ack(c, p);
    }
  });
});
