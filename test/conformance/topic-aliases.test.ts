/** Topic aliases (MQTT 5.0 §3.3.2.3.4, §3.1.2.11.5, §3.2.2.3.8). */
import type { PublishPacket } from '@flockmq/protocol';
import {
  expectDisconnect,
  expectServing,
  frame,
  ping,
  publish,
  publishes,
  strBytes,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
  persistent,
  leave,
} from './helpers';

const start = useWorlds();

/** A QoS 0 PUBLISH with a Topic Alias, as raw bytes (the encoder refuses alias 0). */
const aliased = (topic: string, alias: number, payload = 'x') =>
  frame(0x30, strBytes(topic), [3, 0x23, alias >> 8, alias & 0xff], Buffer.from(payload));

describe('inbound topic aliases', () => {
  test.each([0, 1] as const)(
    'topic aliases - [MQTT-3.3.2-12] an alias set with a topic name is then used with an empty topic name; subscribers see the full topic (QoS %i)',
    async (qos) => {
      const w = await start({ limits: { topicAliasMaximum: 10 } });
      const subscriber = await w.raw();
      await subscribe(subscriber, sub('ta/#', 1));
      const c = await w.raw();
      await publish(c, 'ta/long/topic/name', 'first', { qos, properties: { topicAlias: 10 } });
      await publish(c, '', 'second', { qos, properties: { topicAlias: 10 } });
      const got = await publishes(subscriber, 2);
      expect(got.map((p) => [p.topic, p.payload.toString()])).toEqual([
        ['ta/long/topic/name', 'first'],
        ['ta/long/topic/name', 'second'],
      ]);
      expect(got.map((p) => p.properties?.topicAlias)).toEqual([undefined, undefined]);
    },
  );

  test('topic aliases - [§3.3.2.3.4] sending an alias with another topic name remaps it', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('ta/#', 0));
    const c = await w.raw();
    await publish(c, 'ta/one', 'a', { properties: { topicAlias: 1 } });
    await publish(c, 'ta/two', 'b', { properties: { topicAlias: 1 } });
    await publish(c, '', 'c', { properties: { topicAlias: 1 } });
    expect((await publishes(subscriber, 3)).map((p) => p.topic)).toEqual(['ta/one', 'ta/two', 'ta/two']);
  });

  test('topic aliases - [§3.3.2.3.4] alias mappings belong to one connection: two clients may map the same alias differently', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('ta/#', 0));
    const a = await w.raw();
    const b = await w.raw();
    await publish(a, 'ta/a', 'a1', { properties: { topicAlias: 3 } });
    await publish(b, 'ta/b', 'b1', { properties: { topicAlias: 3 } });
    await publish(a, '', 'a2', { properties: { topicAlias: 3 } });
    await publish(b, '', 'b2', { properties: { topicAlias: 3 } });
    expect((await publishes(subscriber, 4)).map((p) => `${p.topic}:${p.payload.toString()}`)).toEqual([
      'ta/a:a1',
      'ta/b:b1',
      'ta/a:a2',
      'ta/b:b2',
    ]);
  });

  test('topic aliases - [MQTT-3.3.2-12] a retained message published through an alias is stored under its topic name', async () => {
    const w = await start();
    const c = await w.raw();
    await publish(c, 'ta/retained', 'first', { qos: 1, properties: { topicAlias: 2 } });
    await publish(c, '', 'kept', { qos: 1, retain: true, properties: { topicAlias: 2 } });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('ta/retained', 1));
    const p = await subscriber.next('publish');
    expect([p.topic, p.payload.toString(), p.retain]).toEqual(['ta/retained', 'kept', true]);
  });

  test('topic aliases - [MQTT-3.3.2-7] alias mappings are not carried over to a new connection of the same session', async () => {
    const w = await start();
    const clientId = uniqueId('alias');
    const first = await persistent(w, clientId);
    await publish(first, 'ta/session', 'x', { properties: { topicAlias: 4 } });
    await leave(w, first, clientId);
    const second = await persistent(w, clientId);
    second.sendBytes(aliased('', 4));
    await expectDisconnect(second, 0x82);
  });
});

describe('invalid topic aliases', () => {
  test('topic aliases - [MQTT-3.3.2-8] a Topic Alias of 0 is refused with DISCONNECT', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(aliased('ta/zero', 0));
    await expectDisconnect(c, [0x82, 0x94]);
    await expectServing(w);
  });

  test('topic aliases - [MQTT-3.3.2-9] [MQTT-3.2.2-17] a Topic Alias above the Topic Alias Maximum in CONNACK gets DISCONNECT 0x94', async () => {
    const w = await start({ limits: { topicAliasMaximum: 5 } });
    const { client, connack } = await w.connect();
    expect(connack.properties?.topicAliasMaximum).toBe(5);
    client.sendBytes(aliased('ta/ok', 5));
    await ping(client);
    client.sendBytes(aliased('ta/high', 6));
    await expectDisconnect(client, 0x94);
    await expectServing(w);
  });

  test('topic aliases - [MQTT-3.2.2-18] with a Topic Alias Maximum of 0 any Topic Alias gets DISCONNECT 0x94', async () => {
    const w = await start({ limits: { topicAliasMaximum: 0 } });
    const { client, connack } = await w.connect();
    expect(connack.properties?.topicAliasMaximum ?? 0).toBe(0);
    client.sendBytes(aliased('ta/none', 1));
    await expectDisconnect(client, 0x94);
  });

  test('topic aliases - [§3.3.2.3.4] an empty topic name with an alias that has no mapping is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(aliased('', 9));
    await expectDisconnect(c, 0x82);
    await expectServing(w);
  });
});

describe('outbound topic aliases', () => {
  function resolveAliases(packets: PublishPacket[], maximum: number): string[] {
    const map = new Map<number, string>();
    return packets.map((p) => {
      const alias = p.properties?.topicAlias;
      if (alias === undefined) return p.topic;
      expect(alias).toBeGreaterThan(0);
      expect(alias).toBeLessThanOrEqual(maximum); // [MQTT-3.3.2-11]
      if (p.topic !== '') map.set(alias, p.topic);
      expect(map.has(alias)).toBe(true);
      return map.get(alias)!;
    });
  }

  test('topic aliases - [MQTT-3.1.2-27] [MQTT-3.3.2-11] the broker sends no Topic Alias to a client without Topic Alias Maximum, and none above the maximum to one with it', async () => {
    const w = await start();
    const none = await w.raw();
    const some = await w.raw({ properties: { topicAliasMaximum: 2 } });
    await subscribe(none, sub('ta/out/#', 0));
    await subscribe(some, sub('ta/out/#', 0));
    const publisher = await w.raw();
    const topics = ['ta/out/a', 'ta/out/b', 'ta/out/c', 'ta/out/a', 'ta/out/b', 'ta/out/a'];
    for (const topic of topics) await publish(publisher, topic, 'x');
    const plain = await publishes(none, topics.length);
    expect(plain.map((p) => p.properties?.topicAlias)).toEqual(topics.map(() => undefined));
    expect(plain.map((p) => p.topic)).toEqual(topics);
    expect(resolveAliases(await publishes(some, topics.length), 2)).toEqual(topics);
  });

  test.each([1, 5])(
    'topic aliases - [MQTT-3.1.2-26] across many messages on more topics than its Topic Alias Maximum (%i), a client never gets an alias above it',
    async (maximum) => {
      const w = await start();
      const c = await w.raw({ properties: { topicAliasMaximum: maximum } });
      await subscribe(c, sub('ta/many/#', 1));
      const publisher = await w.raw();
      const topics = Array.from({ length: 120 }, (_, i) => `ta/many/${(i * 7) % 13}`);
      for (const [i, topic] of topics.entries()) await publish(publisher, topic, String(i), { qos: (i % 2) as 0 | 1 });
      const got: PublishPacket[] = [];
      for (let i = 0; i < topics.length; i++) {
        const p = await c.next('publish');
        if (p.qos === 1) c.send({ type: 'puback', packetId: p.packetId! });
        got.push(p);
      }
      // FlockMQ sends no Topic Alias at all today; any it sent would have to be within the maximum.
      expect(resolveAliases(got, maximum)).toEqual(topics);
      expect(got.map((p) => p.payload.toString())).toEqual(topics.map((_, i) => String(i)));
    },
  );

  test('topic aliases - [MQTT-3.3.2-12] MQTT.js with automatic topic aliases publishes through the broker', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('ta/lib', 1));
    const client = await w.lib({ protocolVersion: 5, autoAssignTopicAlias: true });
    for (let i = 0; i < 3; i++) await client.publishAsync('ta/lib', `m${i}`, { qos: 1 });
    expect((await publishes(subscriber, 3)).map((p) => `${p.topic}:${p.payload.toString()}`)).toEqual([
      'ta/lib:m0',
      'ta/lib:m1',
      'ta/lib:m2',
    ]);
  });
});
