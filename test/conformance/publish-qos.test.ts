/** PUBLISH and the QoS 0/1/2 flows in both directions (MQTT 5.0 §3.3–§3.7, §4.3, §4.4, §4.6). */
import type { QoS } from '@flockmq/protocol';
import {
  ack,
  expectNoPublish,
  nextId,
  ping,
  publish,
  publishPacket,
  publishes,
  sub,
  subscribe,
  uniqueId,
  unreadPublishes,
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();

async function pair(w: World, version: 4 | 5 = 5, qos: QoS = 2, filter = 'q/#') {
  const subscriber = await w.raw({ protocolVersion: version });
  const publisher = await w.raw({ protocolVersion: version });
  await subscribe(subscriber, sub(filter, qos));
  return { subscriber, publisher };
}

describe('QoS 0', () => {
  test.each([5, 4] as const)(
    'publish - [MQTT-4.3.1-1] [MQTT-2.2.1-2] [MQTT-2.3.1-5 (3.1.1)] [MQTT-3.3.1-2] QoS 0 is delivered with DUP 0 and no packet identifier (level %i)',
    async (version) => {
      const w = await start();
      const { subscriber, publisher } = await pair(w, version);
      await publish(publisher, 'q/zero', 'm0');
      const p = await subscriber.next('publish');
      expect(p).toMatchObject({ topic: 'q/zero', qos: 0, dup: false, retain: false });
      expect(p.packetId).toBeUndefined();
      expect(p.payload.toString()).toBe('m0');
    },
  );

  test('publish - [§3.3.3] a zero-length payload and a binary payload are delivered byte for byte', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    const binary = Buffer.from([0x00, 0xff, 0xef, 0xbb, 0xbf, 0x00, 0x80]);
    await publish(publisher, 'q/empty', Buffer.alloc(0), { qos: 1 });
    await publish(publisher, 'q/binary', binary, { qos: 1 });
    const [empty, bin] = await publishes(subscriber, 2);
    expect(empty!.payload.length).toBe(0);
    expect(Buffer.compare(bin!.payload, binary)).toBe(0);
  });
});

describe('QoS 1', () => {
  test.each([5, 4] as const)(
    'publish - [MQTT-4.3.2-4] [MQTT-2.2.1-5] [MQTT-3.3.4-1] an inbound QoS 1 PUBLISH is answered by PUBACK with its packet identifier (level %i)',
    async (version) => {
      const w = await start();
      const { subscriber, publisher } = await pair(w, version);
      publisher.send(publishPacket(publisher, 'q/one', 'm1', { qos: 1, packetId: 4242 }));
      const puback = await publisher.next('puback');
      expect(puback.packetId).toBe(4242);
      expect(puback.reasonCode ?? 0).toBe(0);
      expect((await subscriber.next('publish')).payload.toString()).toBe('m1');
    },
  );

  test('publish - [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-2.2.1-4] outbound QoS 1 messages carry distinct non-zero packet identifiers and DUP 0', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    for (let i = 0; i < 5; i++) await publish(publisher, 'q/one', `m${i}`, { qos: 1 });
    const got = await publishes(subscriber, 5);
    expect(got.map((p) => p.qos)).toEqual([1, 1, 1, 1, 1]);
    expect(got.every((p) => p.dup === false && p.packetId! > 0)).toBe(true);
    expect(new Set(got.map((p) => p.packetId)).size).toBe(5);
  });

  test('publish - [MQTT-4.3.2-3] [MQTT-4.4.0-1] an unacknowledged QoS 1 message is not resent on the same connection', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    await publish(publisher, 'q/one', 'once', { qos: 1 });
    await subscriber.next('publish');
    await publish(publisher, 'q/one', 'marker', { qos: 1 });
    expect((await subscriber.next('publish')).payload.toString()).toBe('marker');
    await expectNoPublish(subscriber);
  });

  test('publish - [MQTT-4.3.2-5] after PUBACK the same packet identifier is a new message, even with DUP 1', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    await publish(publisher, 'q/one', 'first', { qos: 1, packetId: 7 });
    await publish(publisher, 'q/one', 'second', { qos: 1, packetId: 7, dup: true });
    expect((await publishes(subscriber, 2)).map((p) => p.payload.toString())).toEqual(['first', 'second']);
  });
});

describe('QoS 2', () => {
  test.each([5, 4] as const)(
    'publish - [MQTT-4.3.3-8] [MQTT-4.3.3-11] inbound QoS 2: PUBREC then PUBCOMP with the packet identifier, delivered once (level %i)',
    async (version) => {
      const w = await start();
      const { subscriber, publisher } = await pair(w, version);
      publisher.send(publishPacket(publisher, 'q/two', 'm2', { qos: 2, packetId: 99 }));
      const pubrec = await publisher.next('pubrec');
      expect(pubrec.packetId).toBe(99);
      expect(pubrec.reasonCode ?? 0).toBe(0);
      publisher.send({ type: 'pubrel', packetId: 99 });
      const pubcomp = await publisher.next('pubcomp');
      expect(pubcomp.packetId).toBe(99);
      expect(pubcomp.reasonCode ?? 0).toBe(0);
      const p = await subscriber.next('publish');
      expect(p).toMatchObject({ topic: 'q/two', qos: 2, dup: false });
      await ack(subscriber, p);
      await expectNoPublish(subscriber);
    },
  );

  test('publish - [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-4] [MQTT-4.3.3-5] outbound QoS 2: PUBLISH with DUP 0, PUBREL with the same packet identifier after PUBREC', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    await publish(publisher, 'q/two', 'out', { qos: 2 });
    const p = await subscriber.next('publish');
    expect(p).toMatchObject({ qos: 2, dup: false });
    expect(p.packetId).toBeGreaterThan(0);
    subscriber.send({ type: 'pubrec', packetId: p.packetId! });
    const pubrel = await subscriber.next('pubrel');
    expect(pubrel.packetId).toBe(p.packetId);
    expect(pubrel.reasonCode ?? 0).toBe(0);
    // [MQTT-4.3.3-6] Until PUBCOMP the broker resends nothing on this connection.
    await expectNoPublish(subscriber);
    subscriber.send({ type: 'pubcomp', packetId: p.packetId! });
    await ping(subscriber);
    expect(subscriber.unread.map((x) => x.type)).toEqual([]);
  });

  test('publish - [MQTT-4.3.3-10] a QoS 2 PUBLISH resent before PUBREL is acknowledged with PUBREC again and not delivered twice', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    const first = publishPacket(publisher, 'q/two', 'exactly-once', { qos: 2, packetId: 11 });
    publisher.send(first);
    expect((await publisher.next('pubrec')).packetId).toBe(11);
    publisher.send({ ...first, dup: true });
    expect((await publisher.next('pubrec')).packetId).toBe(11);
    publisher.send({ type: 'pubrel', packetId: 11 });
    expect((await publisher.next('pubcomp')).packetId).toBe(11);
    await publish(publisher, 'q/two', 'marker', { qos: 2 });
    const got = await publishes(subscriber, 2);
    expect(got.map((p) => p.payload.toString())).toEqual(['exactly-once', 'marker']);
  });

  test('publish - [MQTT-4.3.3-12] after PUBCOMP the same packet identifier starts a new message', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    await publish(publisher, 'q/two', 'first', { qos: 2, packetId: 5 });
    await publish(publisher, 'q/two', 'second', { qos: 2, packetId: 5 });
    expect((await publishes(subscriber, 2)).map((p) => p.payload.toString())).toEqual(['first', 'second']);
  });

  test.each([
    ['0x87 (a publish to $SYS)', '$SYS/q', 'refused', {}, 0x87],
    [
      '0x99 (a payload that is not the UTF-8 it claims)',
      'q/two',
      Buffer.from([0xff]),
      { payloadFormatIndicator: 1 },
      0x99,
    ],
  ] as const)(
    'publish - [MQTT-4.3.3-9] after a PUBREC of %s a PUBLISH with the same packet identifier, even with DUP 1, is a new message',
    async (_name, topic, payload, properties, code) => {
      const w = await start();
      const { subscriber, publisher } = await pair(w);
      publisher.send(publishPacket(publisher, topic, payload, { qos: 2, packetId: 9, properties }));
      expect(await publisher.next('pubrec')).toMatchObject({ packetId: 9, reasonCode: code });
      publisher.send(publishPacket(publisher, 'q/two', 'new', { qos: 2, packetId: 9, dup: true }));
      const pubrec = await publisher.next('pubrec');
      expect(pubrec.packetId).toBe(9);
      expect(pubrec.reasonCode ?? 0).toBe(0);
      publisher.send({ type: 'pubrel', packetId: 9 });
      const pubcomp = await publisher.next('pubcomp');
      expect(pubcomp.packetId).toBe(9);
      expect(pubcomp.reasonCode ?? 0).toBe(0);
      const p = await subscriber.next('publish');
      expect(p.payload.toString()).toBe('new');
      await ack(subscriber, p);
      await expectNoPublish(subscriber);
    },
  );

  test('publish - [MQTT-4.3.3-11] [§3.7.2.1] PUBREL for an unknown packet identifier gets PUBCOMP 0x92 (MQTT 5) and the connection stays up', async () => {
    const w = await start();
    const c = await w.raw();
    c.send({ type: 'pubrel', packetId: 321 });
    const pubcomp = await c.next('pubcomp');
    expect(pubcomp).toMatchObject({ packetId: 321, reasonCode: 0x92 });
    await ping(c);
  });

  test('publish - [MQTT-4.3.3-2 (3.1.1)] PUBREL for an unknown packet identifier gets PUBCOMP on 3.1.1', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.send({ type: 'pubrel', packetId: 321 });
    expect((await c.next('pubcomp')).packetId).toBe(321);
    await ping(c);
  });
});

describe('flags, QoS and ordering', () => {
  test('publish - [MQTT-3.3.1-3] the DUP flag of an incoming PUBLISH is not propagated to subscribers', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    await publish(publisher, 'q/dup', 'dup-in', { qos: 1, dup: true });
    await publish(publisher, 'q/dup', 'dup-in-2', { qos: 2, dup: true });
    const got = await publishes(subscriber, 2);
    expect(got.map((p) => p.dup)).toEqual([false, false]);
  });

  test.each([
    [0, 1, 0],
    [0, 2, 0],
    [1, 2, 1],
    [2, 1, 1],
    [2, 0, 0],
    [1, 0, 0],
  ] as const)(
    'publish - [MQTT-3.8.4-8] a subscription granted QoS %i receives a QoS %i publish at QoS %i',
    async (granted, published, expected) => {
      const w = await start();
      const { subscriber, publisher } = await pair(w, 5, granted);
      await publish(publisher, 'q/downgrade', 'm', { qos: published });
      const p = await subscriber.next('publish');
      expect(p.qos).toBe(expected);
      expect(p.packetId === undefined).toBe(expected === 0);
    },
  );

  test.each([0, 1, 2] as const)(
    'publish - [MQTT-4.6.0-5] [MQTT-4.6.0-6] messages of one publisher on one topic at QoS %i arrive in publish order',
    async (qos) => {
      const w = await start();
      const { subscriber, publisher } = await pair(w);
      const n = 100;
      for (let i = 0; i < n; i++)
        publisher.send(publishPacket(publisher, 'q/order', String(i), { qos: qos === 2 ? 1 : qos }));
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

  test('publish - [MQTT-4.6.0-5] QoS 2 messages of one publisher on one topic arrive in order', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w);
    for (let i = 0; i < 20; i++) await publish(publisher, 'q/order2', String(i), { qos: 2 });
    const got: string[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await subscriber.next('publish');
      got.push(p.payload.toString());
      await ack(subscriber, p);
    }
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  test('publish - [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4] overlapping subscriptions get one message at the highest QoS with every subscription identifier', async () => {
    const w = await start();
    const subscriber = await w.raw();
    const publisher = await w.raw();
    await subscribe(subscriber, sub('ov/+', 0), { subscriptionIdentifiers: [1] });
    await subscribe(subscriber, sub('ov/#', 2), { subscriptionIdentifiers: [2] });
    await subscribe(subscriber, sub('ov/x', 1));
    await publish(publisher, 'ov/x', 'overlap', { qos: 2 });
    const p = await subscriber.next('publish');
    expect(p.qos).toBe(2);
    expect([...(p.properties?.subscriptionIdentifiers ?? [])].sort()).toEqual([1, 2]);
    await ack(subscriber, p);
    await expectNoPublish(subscriber);
  });

  test('publish - [MQTT-3.3.5-1 (3.1.1)] [MQTT-3.8.4-6 (3.1.1)] a 3.1.1 subscriber with overlapping subscriptions receives the message at the highest granted QoS', async () => {
    const w = await start();
    const subscriber = await w.raw({ protocolVersion: 4 });
    const publisher = await w.raw({ protocolVersion: 4 });
    await subscribe(subscriber, [sub('ov/+', 0), sub('ov/#', 1)]);
    await publish(publisher, 'ov/y', 'overlap', { qos: 1 });
    const got = [await subscriber.next('publish')];
    await ping(subscriber);
    got.push(...unreadPublishes(subscriber));
    // Either one copy at QoS 1, or (3.1.1 allows it) one copy per subscription; at least one at QoS 1.
    expect(got.some((p) => p.qos === 1)).toBe(true);
    expect(got.length).toBeLessThanOrEqual(2);
  });

  test('publish - [MQTT-3.3.2-3] a message is delivered under the topic name it was published to, not the filter', async () => {
    const w = await start();
    const { subscriber, publisher } = await pair(w, 5, 1, 'q/+/leaf');
    await publish(publisher, 'q/branch/leaf', 'm', { qos: 1 });
    expect((await subscriber.next('publish')).topic).toBe('q/branch/leaf');
  });

  test('publish - [§3.4.2.1] [§3.5.2.1] with no matching subscriber the acknowledgement is 0x10 (MQTT 5) and the flow completes', async () => {
    const w = await start();
    const c = await w.raw();
    expect((await publish(c, 'nobody/here', 'x', { qos: 1 }))?.reasonCode).toBe(0x10);
    expect((await publish(c, 'nobody/here', 'x', { qos: 2 }))?.reasonCode).toBe(0x10);
    await ping(c);
  });

  test('publish - [MQTT-4.3.2-2 (3.1.1)] with no matching subscriber a 3.1.1 publisher gets a plain PUBACK', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    const puback = await publish(c, 'nobody/here', 'x', { qos: 1 });
    expect(puback?.reasonCode).toBeUndefined();
  });

  test.each([4, 5] as const)(
    'publish - [MQTT-4.3.1-1] [MQTT-4.3.2-1] [MQTT-4.3.3-1] MQTT.js clients exchange messages at QoS 0, 1 and 2 (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const subscriber = await w.lib({ protocolVersion });
      const publisher = await w.lib({ protocolVersion });
      const topic = `lib/${uniqueId()}`;
      await subscriber.subscribeAsync(`${topic}/#`, { qos: 2 });
      const got: string[] = [];
      const all = new Promise<void>((resolve) =>
        subscriber.on('message', (t, payload, packet) => {
          got.push(`${t.slice(topic.length)}:${payload.toString()}:${packet.qos}`);
          if (got.length === 3) resolve();
        }),
      );
      for (const qos of [0, 1, 2] as const) await publisher.publishAsync(`${topic}/${qos}`, `m${qos}`, { qos });
      await all;
      expect(got.sort()).toEqual(['/0:m0:0', '/1:m1:1', '/2:m2:2']);
    },
  );
});

describe('resending after reconnect', () => {
  async function persistentSubscriber(w: World, version: 4 | 5, clientId: string, qos: QoS) {
    const fields = version === 5 ? { properties: { sessionExpiryInterval: 600 } } : {};
    const subscriber = await w.raw({ protocolVersion: version, clientId, clean: false, ...fields });
    await subscribe(subscriber, sub('resend/#', qos));
    const reconnect = async () => {
      subscriber.destroy();
      await w.offline(clientId);
      const { client, connack } = await w.connect({ protocolVersion: version, clientId, clean: false, ...fields });
      expect(connack.sessionPresent).toBe(true);
      return client;
    };
    return { subscriber, reconnect };
  }

  test.each([5, 4] as const)(
    'publish - [MQTT-4.4.0-1] [MQTT-3.3.1-1] an unacknowledged QoS 1 message is resent with DUP 1 and its original packet identifier after reconnect (level %i)',
    async (version) => {
      const w = await start();
      const clientId = uniqueId('dup');
      const { subscriber, reconnect } = await persistentSubscriber(w, version, clientId, 1);
      const publisher = await w.raw({ protocolVersion: version });
      await publish(publisher, 'resend/a', 'unacked', { qos: 1 });
      const first = await subscriber.next('publish');
      expect(first.dup).toBe(false);
      const again = await (await reconnect()).next('publish');
      expect(again).toMatchObject({ dup: true, packetId: first.packetId, qos: 1, topic: 'resend/a' });
      expect(again.payload.toString()).toBe('unacked');
    },
  );

  test('publish - [MQTT-4.4.0-1] [MQTT-4.6.0-1] several unacknowledged messages are resent in their original order', async () => {
    const w = await start();
    const clientId = uniqueId('order');
    const { subscriber, reconnect } = await persistentSubscriber(w, 5, clientId, 2);
    const publisher = await w.raw();
    for (let i = 0; i < 5; i++) await publish(publisher, 'resend/o', String(i), { qos: i % 2 === 0 ? 1 : 2 });
    const sent = await publishes(subscriber, 5);
    const resent = await publishes(await reconnect(), 5);
    expect(resent.map((p) => [p.packetId, p.payload.toString(), p.dup])).toEqual(
      sent.map((p) => [p.packetId, p.payload.toString(), true]),
    );
  });

  test('publish - [MQTT-4.4.0-1] [MQTT-4.3.3-6] after PUBREC the broker resends PUBREL, not the PUBLISH, on reconnect', async () => {
    const w = await start();
    const clientId = uniqueId('rel');
    const { subscriber, reconnect } = await persistentSubscriber(w, 5, clientId, 2);
    const publisher = await w.raw();
    await publish(publisher, 'resend/two', 'released', { qos: 2 });
    const p = await subscriber.next('publish');
    subscriber.send({ type: 'pubrec', packetId: p.packetId! });
    expect((await subscriber.next('pubrel')).packetId).toBe(p.packetId);
    const again = await reconnect();
    expect((await again.next('pubrel')).packetId).toBe(p.packetId);
    again.send({ type: 'pubcomp', packetId: p.packetId! });
    await expectNoPublish(again);
  });

  test('publish - [MQTT-4.4.0-1] [MQTT-4.3.3-3] a QoS 2 PUBLISH not yet acknowledged by PUBREC is resent with DUP 1 on reconnect', async () => {
    const w = await start();
    const clientId = uniqueId('q2');
    const { subscriber, reconnect } = await persistentSubscriber(w, 5, clientId, 2);
    const publisher = await w.raw();
    await publish(publisher, 'resend/two', 'not-received', { qos: 2 });
    const p = await subscriber.next('publish');
    const again = await (await reconnect()).next('publish');
    expect(again).toMatchObject({ dup: true, qos: 2, packetId: p.packetId });
  });

  test('publish - [MQTT-4.4.0-2] a message acknowledged with PUBACK is not resent after reconnect', async () => {
    const w = await start();
    const clientId = uniqueId('acked');
    const { subscriber, reconnect } = await persistentSubscriber(w, 5, clientId, 1);
    const publisher = await w.raw();
    await publish(publisher, 'resend/a', 'acked', { qos: 1 });
    await ack(subscriber, await subscriber.next('publish'));
    await ping(subscriber);
    const again = await reconnect();
    await expectNoPublish(again);
    expect(nextId(again)).toBe(1);
  });
});
