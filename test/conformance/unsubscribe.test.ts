/** UNSUBSCRIBE and UNSUBACK (MQTT 5.0 §3.10, §3.11; 3.1.1 §3.10, §3.11). */
import {
  ack,
  expectClosedSilently,
  expectDisconnect,
  expectNoPublish,
  expectServing,
  frame,
  ping,
  publish,
  strBytes,
  sub,
  subscribe,
  uniqueId,
  unsubscribe,
  useWorlds,
  persistent,
  leave,
} from './helpers';

const start = useWorlds();

describe('UNSUBACK', () => {
  test('unsubscribe - [MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-2.2.1-6] UNSUBACK carries the packet identifier; 0x00 for an existing subscription, 0x11 for none', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('u/a', 1));
    c.send({ type: 'unsubscribe', packetId: 4321, topicFilters: ['u/a'] });
    expect(await c.next('unsuback')).toMatchObject({ packetId: 4321, reasonCodes: [0x00] });
    c.send({ type: 'unsubscribe', packetId: 4322, topicFilters: ['u/a'] });
    expect(await c.next('unsuback')).toMatchObject({ packetId: 4322, reasonCodes: [0x11] });
  });

  test('unsubscribe - [MQTT-3.10.4-6] [MQTT-3.11.3-1] [MQTT-3.11.3-2] several filters get one UNSUBACK with one reason code each, in order', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, [sub('u/1', 0), sub('u/3', 0)]);
    const unsuback = await unsubscribe(c, ['u/1', 'u/2', 'u/3', 'u/#/bad']);
    expect(unsuback.reasonCodes).toEqual([0x00, 0x11, 0x00, 0x8f]);
    await ping(c);
    expect(c.unread.filter((p) => p.type === 'unsuback')).toEqual([]);
  });

  test.each([4, 3] as const)(
    'unsubscribe - [MQTT-3.10.4-4 (3.1.1)] [MQTT-3.10.4-5 (3.1.1)] a level %i UNSUBACK has the packet identifier and no reason codes, even when nothing was deleted',
    async (protocolVersion) => {
      const w = await start();
      const c = await w.raw({ protocolVersion });
      c.send({ type: 'unsubscribe', packetId: 99, topicFilters: ['u/none'] });
      const unsuback = await c.next('unsuback');
      expect(unsuback.packetId).toBe(99);
      expect(unsuback.reasonCodes).toBeUndefined();
    },
  );

  test.each([4, 5] as const)(
    'unsubscribe - [MQTT-3.10.4-4] MQTT.js unsubscribes at level %i and stops receiving',
    async (protocolVersion) => {
      const w = await start();
      const client = await w.lib({ protocolVersion });
      const topic = `u/lib/${uniqueId()}`;
      await client.subscribeAsync(topic, { qos: 1 });
      await client.unsubscribeAsync(topic);
      const got: string[] = [];
      client.on('message', (t) => got.push(t));
      await client.subscribeAsync(`${topic}/marker`, { qos: 1 });
      const marker = new Promise<void>((resolve) => client.on('message', (t) => t.endsWith('/marker') && resolve()));
      const publisher = await w.raw();
      await publish(publisher, topic, 'gone', { qos: 1 });
      await publish(publisher, `${topic}/marker`, 'marker', { qos: 1 });
      await marker;
      expect(got).toEqual([`${topic}/marker`]);
    },
  );
});

describe('unsubscribe semantics', () => {
  test('unsubscribe - [MQTT-3.10.4-1] [MQTT-3.10.4-2] after UNSUBACK no new message matching the filter is delivered; other subscriptions continue', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, [sub('u/stop', 1), sub('u/keep', 1)]);
    await unsubscribe(c, 'u/stop');
    const publisher = await w.raw();
    await publish(publisher, 'u/stop', 'x', { qos: 1 });
    await publish(publisher, 'u/keep', 'y', { qos: 1 });
    const p = await c.next('publish');
    expect(p.topic).toBe('u/keep');
    await ack(c, p);
    await expectNoPublish(c);
  });

  test('unsubscribe - [MQTT-3.10.4-1] [MQTT-3.10.4-1 (3.1.1)] filters are compared character by character: u/+ does not remove u/a or u/#', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, [sub('u/a', 0), sub('u/#', 0)]);
    expect((await unsubscribe(c, ['u/+', 'U/a', 'u/a/'])).reasonCodes).toEqual([0x11, 0x11, 0x11]);
    await publish(await w.raw(), 'u/a', 'still');
    expect((await c.next('publish')).payload.toString()).toBe('still');
  });

  test('unsubscribe - [MQTT-3.10.4-3] [MQTT-3.10.4-3 (3.1.1)] a QoS 2 delivery started before UNSUBSCRIBE is completed', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('u/q2', 2));
    await publish(await w.raw(), 'u/q2', 'in-flight', { qos: 2 });
    const p = await c.next('publish');
    await unsubscribe(c, 'u/q2');
    c.send({ type: 'pubrec', packetId: p.packetId! });
    expect((await c.next('pubrel')).packetId).toBe(p.packetId);
    c.send({ type: 'pubcomp', packetId: p.packetId! });
    await ping(c);
  });

  test('unsubscribe - [MQTT-3.10.4-1] unsubscribing a shared subscription takes the client out of its group', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, [sub('$share/g/u/shared', 1), sub('u/marker', 1)]);
    expect((await unsubscribe(c, '$share/g/u/shared')).reasonCodes).toEqual([0x00]);
    const publisher = await w.raw();
    await publish(publisher, 'u/shared', 'x', { qos: 1 });
    await publish(publisher, 'u/marker', 'marker', { qos: 1 });
    expect((await c.next('publish')).topic).toBe('u/marker');
  });

  test('unsubscribe - [MQTT-3.10.4-2] an unsubscribed filter stays removed in the resumed session: nothing is queued for it', async () => {
    const w = await start();
    const clientId = uniqueId('unsub');
    const c = await persistent(w, clientId);
    await subscribe(c, [sub('u/p/a', 1), sub('u/p/b', 1)]);
    await unsubscribe(c, 'u/p/a');
    await leave(w, c, clientId);
    const publisher = await w.raw();
    await publish(publisher, 'u/p/a', 'removed', { qos: 1 });
    await publish(publisher, 'u/p/b', 'kept', { qos: 1 });
    const again = await persistent(w, clientId);
    const p = await again.next('publish');
    expect(p.topic).toBe('u/p/b');
    await ack(again, p);
    await expectNoPublish(again);
  });
});

describe('bad UNSUBSCRIBE packets', () => {
  test('unsubscribe - [MQTT-3.10.1-1] [MQTT-2.1.3-1] UNSUBSCRIBE with wrong fixed header flags is malformed: DISCONNECT 0x81', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0xa0, Buffer.from([0, 1, 0]), strBytes('u/a')));
    await expectDisconnect(c, 0x81);
    await expectServing(w);
  });

  test('unsubscribe - [MQTT-3.10.1-1 (3.1.1)] UNSUBSCRIBE with wrong fixed header flags closes a 3.1.1 connection', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(frame(0xa3, Buffer.from([0, 1]), strBytes('u/a')));
    await expectClosedSilently(c);
  });

  test('unsubscribe - [MQTT-3.10.2-2] an UNSUBSCRIBE without any filter is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0xa2, Buffer.from([0, 1, 0])));
    await expectDisconnect(c, [0x81, 0x82]);
  });

  test('unsubscribe - [MQTT-3.10.3-2 (3.1.1)] a 3.1.1 UNSUBSCRIBE without any filter closes the connection', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(frame(0xa2, Buffer.from([0, 1])));
    await expectClosedSilently(c);
  });

  test('unsubscribe - [MQTT-3.10.2-1] [MQTT-1.5.4-2] a topic filter containing U+0000 is malformed: DISCONNECT 0x81', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0xa2, Buffer.from([0, 1, 0]), strBytes(Buffer.from([0x75, 0x00, 0x61]))));
    await expectDisconnect(c, 0x81);
  });
});
