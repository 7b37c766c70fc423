/** Topic names, topic filters, wildcards and $-topics (MQTT 5.0 §4.7, §3.3.2.1; 3.1.1 §4.7). */
import type { ProtocolVersion } from '@flockmq/protocol';
import type { RawClient } from '@flockmq/testkit';
import {
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
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();
const MARKER = 'zz-marker';

/** Publishes each topic then a marker; returns the topics `filter` received, in order. */
async function matched(w: World, filter: string, topics: string[], version: ProtocolVersion = 5): Promise<string[]> {
  const subscriber = await w.raw({ protocolVersion: version });
  await subscribe(subscriber, [sub(filter, 0), sub(MARKER, 0)]);
  const publisher = await w.raw({ protocolVersion: version });
  for (const topic of topics) await publish(publisher, topic, topic);
  await publish(publisher, MARKER, MARKER);
  const got: string[] = [];
  for (;;) {
    const p = await subscriber.next('publish');
    if (p.topic === MARKER) return got;
    got.push(p.topic);
  }
}

describe('matching', () => {
  const topics = ['a', 'a/b', 'a/b/c', 'a/', 'a//c', '/a', 'ab', 'b/a', 'A/b', 'a/b/c/d'];

  test.each([
    ['a/+', ['a/b', 'a/']],
    ['a/+/c', ['a/b/c', 'a//c']],
    ['+/a', ['/a', 'b/a']],
    ['+', ['a', 'ab']],
    ['+/+', ['a/b', 'a/', '/a', 'b/a', 'A/b']],
  ])(
    'topics - [MQTT-4.7.1-2] [MQTT-4.7.1-3 (3.1.1)] %s matches exactly one level per +, an empty level included',
    async (filter, expected) => {
      const w = await start();
      expect((await matched(w, filter, topics)).sort()).toEqual([...expected].sort());
    },
  );

  test.each([
    ['a/#', ['a', 'a/b', 'a/b/c', 'a/', 'a//c', 'a/b/c/d']],
    ['a/b/#', ['a/b', 'a/b/c', 'a/b/c/d']],
    ['#', topics],
    ['+/b/#', ['a/b', 'a/b/c', 'a/b/c/d', 'A/b']],
  ])(
    'topics - [MQTT-4.7.1-1] [MQTT-4.7.1-2 (3.1.1)] %s matches the parent level and every level below',
    async (filter, expected) => {
      const w = await start();
      expect((await matched(w, filter, topics)).sort()).toEqual([...expected].sort());
    },
  );

  test.each([4, 3] as const)(
    'topics - [MQTT-4.7.1-2 (3.1.1)] [MQTT-4.7.1-3 (3.1.1)] wildcards match the same way for a level %i client',
    async (version) => {
      const w = await start();
      expect((await matched(w, 'a/+/c', topics, version)).sort()).toEqual(['a//c', 'a/b/c']);
      expect((await matched(w, 'a/#', ['a', 'a/b', 'ab'], version)).sort()).toEqual(['a', 'a/b']);
    },
  );

  test.each([
    ['#', []],
    ['+/x', []],
    ['+/+', []],
    ['$SYS/#', ['$SYS/x', '$SYS/x/y']],
    ['$foo/+', ['$foo/x']],
    ['$foo/#', ['$foo/x', '$foo/x/y']],
    ['$+/x', []],
  ])(
    'topics - [MQTT-4.7.2-1] [MQTT-4.7.2-1 (3.1.1)] %s and topics starting with $: a leading wildcard never matches them',
    async (filter, expected) => {
      const w = await start();
      const dollar = ['$SYS/x', '$SYS/x/y', '$foo/x', '$foo/x/y'];
      // $SYS topics cannot be published by clients: the broker's router is driven directly for them.
      const subscriber = await w.raw();
      await subscribe(subscriber, [sub(filter, 0), sub(MARKER, 0)]);
      const publisher = await w.raw();
      for (const topic of dollar.filter((t) => !t.startsWith('$SYS'))) await publish(publisher, topic, topic);
      for (const topic of dollar.filter((t) => t.startsWith('$SYS'))) {
        w.node.publish({
          topic,
          payload: Buffer.from(topic),
          qos: 0,
          retain: false,
          properties: undefined,
          expiresAt: undefined,
          origin: '',
          receivedAt: Date.now(),
        });
      }
      await publish(publisher, MARKER, MARKER);
      const got: string[] = [];
      for (let p = await subscriber.next('publish'); p.topic !== MARKER; p = await subscriber.next('publish'))
        got.push(p.topic);
      expect(got.sort()).toEqual([...expected].sort());
    },
  );

  test('topics - [MQTT-4.7.3-4] [MQTT-4.7.3-4 (3.1.1)] matching does not normalise: case, trailing and leading slashes, spaces and Unicode forms are distinct', async () => {
    const w = await start();
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(await matched(w, 'Top/ic', ['top/ic', 'Top/ic', 'Top/ic/', '/Top/ic', 'Top /ic'])).toEqual(['Top/ic']);
    expect(await matched(w, composed, [decomposed, composed])).toEqual([composed]);
  });

  test('topics - [MQTT-1.5.4-3] [MQTT-1.5.3-3 (3.1.1)] a U+FEFF in a topic is neither skipped nor stripped', async () => {
    const w = await start();
    const withBom = 'bom/\ufeffx';
    expect(await matched(w, withBom, ['bom/x', withBom])).toEqual([withBom]);
    expect(await matched(w, 'bom/x', [withBom, 'bom/x'])).toEqual(['bom/x']);
  });

  test('topics - [MQTT-4.7.3-3] [MQTT-4.7.3-3 (3.1.1)] a topic name of 65,535 bytes is accepted and delivered', async () => {
    const w = await start();
    const topic = `long/${'x'.repeat(65_535 - 5)}`;
    expect(await matched(w, 'long/+', [topic])).toEqual([topic]);
  });

  test('topics - [§4.7] a topic with more levels than the broker allows is refused: 0x8F in SUBACK, DISCONNECT 0x90 on PUBLISH', async () => {
    const w = await start({ limits: { maxTopicLevels: 3 } });
    const c = await w.raw();
    expect((await subscribe(c, [sub('a/b/c', 0), sub('a/b/c/d', 0)])).reasonCodes).toEqual([0, 0x8f]);
    c.send({ type: 'publish', topic: 'a/b/c/d', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false });
    await expectDisconnect(c, 0x90);
  });
});

describe('$SYS and authorisation', () => {
  test('topics - [§4.7.2] [§3.4.2.1] a client PUBLISH to $SYS is refused with 0x87 and not delivered', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, [sub('$SYS/#', 1), sub(MARKER, 1)]);
    const publisher = await w.raw();
    expect((await publish(publisher, '$SYS/broker/fake', 'spoof', { qos: 1 }))?.reasonCode).toBe(0x87);
    expect((await publish(publisher, '$SYS/broker/fake', 'spoof', { qos: 2 }))?.reasonCode).toBe(0x87);
    await publish(publisher, '$SYS/broker/fake', 'spoof', { qos: 0 });
    await publish(publisher, MARKER, MARKER, { qos: 1 });
    expect((await subscriber.next('publish')).topic).toBe(MARKER);
  });

  test('topics - [MQTT-3.3.5-2 (3.1.1)] a 3.1.1 PUBLISH to $SYS is acknowledged as usual and discarded', async () => {
    const w = await start();
    const subscriber = await w.raw({ protocolVersion: 4 });
    await subscribe(subscriber, [sub('$SYS/#', 1), sub(MARKER, 1)]);
    const publisher = await w.raw({ protocolVersion: 4 });
    const puback = await publish(publisher, '$SYS/broker/fake', 'spoof', { qos: 1 });
    expect(puback?.type).toBe('puback');
    await publish(publisher, MARKER, MARKER, { qos: 1 });
    expect((await subscriber.next('publish')).topic).toBe(MARKER);
    await ping(publisher);
  });

  test('topics - [§3.4.2.1] a PUBLISH refused by the authorisation hook gets 0x87 and is not delivered', async () => {
    const w = await start({ hooks: { authorizePublish: (_client, topic) => !topic.startsWith('locked/') } });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('#', 1));
    const publisher = await w.raw();
    expect((await publish(publisher, 'locked/x', 'no', { qos: 1 }))?.reasonCode).toBe(0x87);
    await publish(publisher, 'open/x', 'yes', { qos: 1 });
    expect((await subscriber.next('publish')).topic).toBe('open/x');
  });
});

describe('invalid topic names', () => {
  const publishBytes = (topic: Buffer, v5 = true) => frame(0x30, strBytes(topic), v5 ? [0] : [], Buffer.from('p'));

  async function bystander(w: World): Promise<RawClient> {
    const c = await w.raw();
    await subscribe(c, sub('#', 0));
    return c;
  }

  test.each(['a/+', 'a/#', '+'])(
    'topics - [MQTT-3.3.2-2] [MQTT-4.7.0-1] the topic name %j contains a wildcard: DISCONNECT 0x90, not delivered',
    async (topic) => {
      const w = await start();
      const watcher = await bystander(w);
      const c = await w.raw();
      c.sendBytes(publishBytes(Buffer.from(topic)));
      await expectDisconnect(c, 0x90);
      await expectNoPublish(watcher);
      await expectServing(w);
    },
  );

  test('topics - [MQTT-4.7.3-1] [§3.3.2.1] an empty topic name without a Topic Alias is refused with DISCONNECT', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(publishBytes(Buffer.alloc(0)));
    await expectDisconnect(c, [0x82, 0x90]);
  });

  test.each([
    ['[MQTT-3.3.2-1] [MQTT-1.5.4-1] ill-formed UTF-8', [0x61, 0x2f, 0xc0, 0xaf]],
    ['[MQTT-1.5.4-1] an encoded surrogate', [0x61, 0x2f, 0xed, 0xb0, 0x80]],
    ['[MQTT-4.7.3-2] [MQTT-1.5.4-2] U+0000', [0x61, 0x00, 0x62]],
  ])('topics - a topic name with %s is malformed: DISCONNECT 0x81, nothing delivered', async (_name, bytes) => {
    const w = await start();
    const watcher = await bystander(w);
    const c = await w.raw();
    c.sendBytes(publishBytes(Buffer.from(bytes)));
    await expectDisconnect(c, 0x81);
    await expectNoPublish(watcher);
    await expectServing(w);
  });

  test.each([
    ['[MQTT-3.3.2-2 (3.1.1)] [MQTT-4.7.1-1 (3.1.1)] a wildcard', Buffer.from('a/+')],
    ['[MQTT-1.5.3-1 (3.1.1)] ill-formed UTF-8', Buffer.from([0x61, 0xff])],
    ['[MQTT-1.5.3-2 (3.1.1)] [MQTT-4.7.3-2 (3.1.1)] U+0000', Buffer.from([0x61, 0x00])],
    ['[MQTT-4.7.3-1 (3.1.1)] nothing (empty)', Buffer.alloc(0)],
  ])('topics - a 3.1.1 topic name with %s closes the connection', async (_name, topic) => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(publishBytes(topic, false));
    await expectClosedSilently(c);
    await expectServing(w);
  });
});
