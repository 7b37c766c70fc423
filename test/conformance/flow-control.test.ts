/** Flow control, maximum QoS and bounded queues (MQTT 5.0 §3.3.4, §4.9, §3.2.2.3.3–4; G7). */
import type { PublishPacket } from '@flockmq/protocol';
import type { RawClient } from '@flockmq/testkit';
import {
  ack,
  expectDisconnect,
  expectNoPublish,
  expectServing,
  leave,
  persistent,
  ping,
  publish,
  publishPacket,
  publishes,
  sub,
  subscribe,
  unreadPublishes,
  unsubscribe,
  uniqueId,
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();

/** Publishes `n` QoS 1 messages 0..n-1 on `topic`, each acknowledged by the broker (so routed). */
async function publishMany(w: World, topic: string, n: number, qos: 1 | 2 = 1): Promise<void> {
  const publisher = await w.raw();
  for (let i = 0; i < n; i++) await publish(publisher, topic, String(i), { qos });
}

/** Everything the broker has sent so far, once a ping round trip proves it is all here. */
async function sentSoFar(c: RawClient): Promise<PublishPacket[]> {
  await ping(c);
  const got = unreadPublishes(c);
  for (let i = 0; i < got.length; i++) await c.next('publish');
  return got;
}

describe("outbound window (the client's Receive Maximum)", () => {
  test("flow - [MQTT-3.3.4-9] [MQTT-4.9.0-2] the broker never has more unacknowledged QoS 1 messages out than the client's Receive Maximum", async () => {
    const w = await start();
    const c = await w.raw({ properties: { receiveMaximum: 2 } });
    await subscribe(c, sub('f/win', 1));
    await publishMany(w, 'f/win', 6);
    const received: string[] = [];
    let outstanding = await sentSoFar(c);
    expect(outstanding.length).toBe(2);
    while (outstanding.length > 0) {
      const [first, ...rest] = outstanding;
      received.push(first!.payload.toString());
      await ack(c, first!);
      outstanding = [...rest, ...(await sentSoFar(c))];
      expect(outstanding.length).toBeLessThanOrEqual(2);
    }
    expect(received).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  test.each([1, 3])(
    "flow - [MQTT-4.9.0-1] a new connection starts with a send quota of the client's Receive Maximum (%i): that many of its queued messages go out at once, no more and not none",
    async (receiveMaximum) => {
      const w = await start();
      const clientId = uniqueId('quota');
      const away = await persistent(w, clientId);
      await subscribe(away, sub('f/quota', 2));
      await leave(w, away, clientId);
      const publisher = await w.raw();
      for (let i = 0; i < 6; i++) await publish(publisher, 'f/quota', String(i), { qos: i % 2 === 0 ? 1 : 2 });
      const back = await persistent(w, clientId, { properties: { receiveMaximum } });
      const sent = await sentSoFar(back);
      expect(sent.map((p) => p.payload.toString())).toEqual(['0', '1', '2'].slice(0, receiveMaximum));
    },
  );

  test('flow - [MQTT-3.3.4-10] [MQTT-4.9.0-3] with the quota at zero the broker still answers PINGREQ, SUBSCRIBE, UNSUBSCRIBE and PUBREL', async () => {
    const w = await start();
    const c = await w.raw({ properties: { receiveMaximum: 1 } });
    await subscribe(c, sub('f/zero', 1));
    await publishMany(w, 'f/zero', 3);
    await c.next('publish');
    await ping(c);
    expect((await subscribe(c, sub('f/other', 0))).reasonCodes).toEqual([0]);
    expect((await unsubscribe(c, 'f/other')).reasonCodes).toEqual([0]);
    await publish(c, 'f/mine', 'x', { qos: 2 });
    expect(unreadPublishes(c)).toEqual([]);
  });

  test('flow - [§4.9] [MQTT-3.3.4-9] a QoS 2 message holds its place in the window until PUBCOMP', async () => {
    const w = await start();
    const c = await w.raw({ properties: { receiveMaximum: 1 } });
    await subscribe(c, sub('f/q2', 2));
    await publishMany(w, 'f/q2', 2, 2);
    const first = await c.next('publish');
    c.send({ type: 'pubrec', packetId: first.packetId! });
    await c.next('pubrel');
    expect(await sentSoFar(c)).toEqual([]);
    c.send({ type: 'pubcomp', packetId: first.packetId! });
    expect((await c.next('publish')).payload.toString()).toBe('1');
  });

  test('flow - [MQTT-3.3.4-9] [MQTT-4.4.0-2] a PUBREC with a failure reason frees the slot, and the message is not sent again', async () => {
    const w = await start();
    const c = await w.raw({ properties: { receiveMaximum: 1 } });
    await subscribe(c, sub('f/rec', 2));
    await publishMany(w, 'f/rec', 2, 2);
    const first = await c.next('publish');
    c.send({ type: 'pubrec', packetId: first.packetId!, reasonCode: 0x80 });
    const second = await c.next('publish');
    expect(second.payload.toString()).toBe('1');
    expect(second.dup).toBe(false);
    await ack(c, second);
    await expectNoPublish(c);
  });

  test('flow - [MQTT-4.4.0-2] a PUBACK with a failure reason completes the message: it is not resent after reconnect', async () => {
    const w = await start();
    const clientId = uniqueId('nack');
    const c = await persistent(w, clientId);
    await subscribe(c, sub('f/nack', 1));
    await publishMany(w, 'f/nack', 1);
    const p = await c.next('publish');
    c.send({ type: 'puback', packetId: p.packetId!, reasonCode: 0x80 });
    await ping(c);
    await leave(w, c, clientId, 'drop');
    await expectNoPublish(await persistent(w, clientId));
  });

  test("flow - [§3.3.4] the broker's own in-flight limit caps the window below a larger client Receive Maximum", async () => {
    const w = await start({ limits: { maxInflight: 3 } });
    const c = await w.raw({ properties: { receiveMaximum: 100 } });
    await subscribe(c, sub('f/cap', 1));
    await publishMany(w, 'f/cap', 5);
    expect((await sentSoFar(c)).length).toBe(3);
  });

  test("flow - [§4.9] a 3.1.1 subscriber gets at most the broker's in-flight limit of unacknowledged messages, then the rest in order", async () => {
    const w = await start({ limits: { maxInflight: 2 } });
    const c = await w.raw({ protocolVersion: 4 });
    await subscribe(c, sub('f/old', 1));
    await publishMany(w, 'f/old', 4);
    const first = await sentSoFar(c);
    expect(first.map((p) => p.payload.toString())).toEqual(['0', '1']);
    for (const p of first) await ack(c, p);
    expect((await publishes(c, 2)).map((p) => p.payload.toString())).toEqual(['2', '3']);
  });

  test('flow - [G7] a subscriber that never acknowledges holds up neither the publisher nor other subscribers', async () => {
    const w = await start();
    const stuck = await w.raw({ properties: { receiveMaximum: 1 } });
    const fast = await w.raw();
    await subscribe(stuck, sub('f/g7', 1));
    await subscribe(fast, sub('f/g7', 1));
    await publishMany(w, 'f/g7', 50);
    const got = await publishes(fast, 50);
    expect(got.map((p) => p.payload.toString())).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect((await sentSoFar(stuck)).length).toBe(1);
  });
});

describe('inbound limits', () => {
  test("flow - [MQTT-3.3.4-7] [§3.3.4] more unacknowledged QoS 2 publishes than the broker's Receive Maximum get DISCONNECT 0x93", async () => {
    const w = await start({ limits: { receiveMaximum: 2 } });
    const { client, connack } = await w.connect();
    expect(connack.properties?.receiveMaximum).toBe(2);
    for (const id of [1, 2]) {
      client.send(publishPacket(client, 'f/in', 'x', { qos: 2, packetId: id }));
      expect((await client.next('pubrec')).packetId).toBe(id);
    }
    client.send(publishPacket(client, 'f/in', 'x', { qos: 2, packetId: 3 }));
    await expectDisconnect(client, 0x93);
    await expectServing(w);
  });

  test('flow - [§4.9] a PUBREL frees the inbound slot: the Receive Maximum counts only messages not yet released', async () => {
    const w = await start({ limits: { receiveMaximum: 1 } });
    const c = await w.raw();
    for (let i = 0; i < 5; i++) await publish(c, 'f/in', String(i), { qos: 2 });
    await ping(c);
  });

  test.each([
    [1, 2],
    [0, 1],
  ] as const)(
    'flow - [MQTT-3.2.2-9] [MQTT-3.2.2-11] with Maximum QoS %i a PUBLISH at QoS %i gets DISCONNECT 0x9B and is not delivered',
    async (maxQoS, qos) => {
      const w = await start({ limits: { maxQoS } });
      const watcher = await w.raw();
      await subscribe(watcher, sub('f/qos', 0));
      const { client, connack } = await w.connect();
      expect(connack.properties?.maximumQoS).toBe(maxQoS);
      client.send(publishPacket(client, 'f/qos', 'too-high', { qos }));
      await expectDisconnect(client, 0x9b);
      await expectNoPublish(watcher);
    },
  );
});

describe('bounded queues', () => {
  test.each([
    ['drop-oldest', ['2', '3', '4']],
    ['drop-new', ['0', '1', '2']],
  ] as const)(
    'queue - [G7] [§4.1] an offline session queues at most the limit, dropping by %s',
    async (queueDropPolicy, expected) => {
      const w = await start({ limits: { maxQueuedMessages: 3, queueDropPolicy } });
      const clientId = uniqueId('queue');
      const c = await persistent(w, clientId);
      await subscribe(c, sub('f/queue', 1));
      await leave(w, c, clientId);
      await publishMany(w, 'f/queue', 5);
      const back = await persistent(w, clientId);
      const got = await publishes(back, 3);
      expect(got.map((p) => p.payload.toString())).toEqual(expected);
      for (const p of got) await ack(back, p);
      await expectNoPublish(back);
    },
  );

  test.each([
    ['drop-oldest', ['0', '2', '3', '4']],
    ['drop-new', ['0', '1', '2', '3']],
  ] as const)(
    'queue - [G7] a connected client behind a full window has its queue bounded, dropping by %s',
    async (queueDropPolicy, expected) => {
      const w = await start({ limits: { maxQueuedMessages: 3, queueDropPolicy } });
      const c = await w.raw({ properties: { receiveMaximum: 1 } });
      await subscribe(c, sub('f/online', 1));
      await publishMany(w, 'f/online', 5);
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const p = await c.next('publish');
        got.push(p.payload.toString());
        await ack(c, p);
      }
      expect(got).toEqual(expected);
      await expectNoPublish(c);
    },
  );
});
