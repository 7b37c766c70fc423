/** Will messages and the will delay (MQTT 5.0 §3.1.2.5, §3.1.3.2, §3.14.4; 3.1.1 §3.1.2.5). */
import type { ConnectPacket, Properties, ProtocolVersion, QoS, Will } from '@flockmq/protocol';
import type { RawClient } from '@flockmq/testkit';
import { FakeClock } from '@flockmq/testkit';
import {
  connectPacket,
  expectDisconnect,
  frame,
  strBytes,
  expectNoPublish,
  leave,
  persistent,
  publish,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();
const WILL_TOPIC = 'will/topic';
const MARKER = 'will/marker';

function will(fields: Partial<Will> = {}, properties?: Properties): Will {
  return {
    topic: WILL_TOPIC,
    payload: Buffer.from('last words'),
    qos: 1,
    retain: false,
    ...fields,
    ...(properties && { properties }),
  };
}

async function watcher(w: World, qos: QoS = 2, version: ProtocolVersion = 5): Promise<RawClient> {
  const c = await w.raw({ protocolVersion: version });
  await subscribe(c, [sub(`${WILL_TOPIC}/#`, qos, version === 5 ? { retainAsPublished: true } : {}), sub(MARKER, 1)]);
  return c;
}

/** Publishes a marker and returns the topic of the first message the watcher gets: the will's or the marker's. */
async function firstSeen(w: World, c: RawClient): Promise<string> {
  await publish(await w.raw(), MARKER, 'marker', { qos: 1 });
  return (await c.next('publish')).topic;
}

async function withWill(w: World, fields: Partial<ConnectPacket>): Promise<{ client: RawClient; clientId: string }> {
  const clientId = fields.clientId ?? uniqueId('will');
  return { client: await w.raw({ clientId, will: will(), ...fields }), clientId };
}

describe('when the will is published', () => {
  test.each([5, 4, 3] as const)(
    'will - [MQTT-3.1.2-7] [MQTT-3.1.2-8] [MQTT-3.1.2-8 (3.1.1)] a connection closed without DISCONNECT publishes the will (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const c = await watcher(w);
      const { client } = await withWill(w, { protocolVersion });
      client.destroy();
      const p = await c.next('publish');
      expect([p.topic, p.payload.toString()]).toEqual([WILL_TOPIC, 'last words']);
    },
  );

  test.each([5, 4] as const)(
    'will - [MQTT-3.14.4-3] [MQTT-3.1.2-10] [MQTT-3.14.4-3 (3.1.1)] [MQTT-3.1.2-10 (3.1.1)] a normal DISCONNECT discards the will (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const c = await watcher(w);
      const { client, clientId } = await withWill(w, { protocolVersion });
      await leave(w, client, clientId, 'disconnect');
      expect(await firstSeen(w, c)).toBe(MARKER);
    },
  );

  test('will - [§3.14.2.1] DISCONNECT with reason 0x04 closes the connection and publishes the will', async () => {
    const w = await start();
    const c = await watcher(w);
    const { client } = await withWill(w, {});
    client.send({ type: 'disconnect', reasonCode: 0x04 });
    await client.closed();
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.2-8] a connection the broker closes for a protocol error publishes the will', async () => {
    const w = await start();
    const c = await watcher(w);
    const { client } = await withWill(w, {});
    client.sendBytes(frame(0x30, strBytes('a/+'), [0])); // a topic name with a wildcard
    await expectDisconnect(client, 0x90);
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.4-3] a session takeover publishes the will of the connection taken over', async () => {
    const w = await start();
    const c = await watcher(w);
    const { client, clientId } = await withWill(w, {});
    await w.raw({ clientId });
    await expectDisconnect(client, 0x8e);
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.2-10] a will is published once: a later connection of the session without a will publishes nothing', async () => {
    const w = await start();
    const c = await watcher(w);
    const clientId = uniqueId('once');
    const first = await persistent(w, clientId, { will: will() });
    await leave(w, first, clientId, 'drop');
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
    await leave(w, await persistent(w, clientId), clientId, 'drop');
    expect(await firstSeen(w, c)).toBe(MARKER);
  });

  test('will - [MQTT-3.1.2-10 (3.1.1)] [MQTT-3.1.2-12 (3.1.1)] a 3.1.1 will is published once: a later connection of the session without the will flag publishes nothing', async () => {
    const w = await start();
    const c = await watcher(w, 2, 4);
    const clientId = uniqueId('once4');
    const first = await persistent(w, clientId, { protocolVersion: 4, will: will() });
    await leave(w, first, clientId, 'drop');
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
    await leave(w, await persistent(w, clientId, { protocolVersion: 4 }), clientId, 'drop');
    expect(await firstSeen(w, c)).toBe(MARKER);
  });

  test('will - [MQTT-3.1.2-8] MQTT.js: a client whose socket dies has its will published', async () => {
    const w = await start();
    const c = await watcher(w);
    const client = await w.lib({
      protocolVersion: 5,
      will: { topic: WILL_TOPIC, payload: Buffer.from('lib'), qos: 1, retain: false },
    });
    client.stream.destroy();
    expect((await c.next('publish')).payload.toString()).toBe('lib');
  });
});

describe('will QoS, retain and properties', () => {
  test.each([
    [0, 0],
    [1, 1],
    [2, 2],
  ] as const)(
    'will - [MQTT-3.1.2-12] [MQTT-3.1.2-14 (3.1.1)] a will with QoS %i is published at QoS %i',
    async (willQoS, expected) => {
      const w = await start();
      const c = await watcher(w, 2);
      const { client } = await withWill(w, { will: will({ qos: willQoS }) });
      client.destroy();
      expect((await c.next('publish')).qos).toBe(expected);
    },
  );

  test.each([5, 4] as const)(
    'will - [MQTT-3.1.2-15] [MQTT-3.1.2-17 (3.1.1)] a will with Will Retain 1 is published as a retained message (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const { client } = await withWill(w, { protocolVersion, will: will({ retain: true }) });
      const c = await watcher(w);
      client.destroy();
      const live = await c.next('publish');
      expect(live.retain).toBe(true); // the watcher subscribed with Retain As Published
      const later = await w.raw();
      await subscribe(later, sub(WILL_TOPIC, 1));
      const stored = await later.next('publish');
      expect([stored.retain, stored.payload.toString()]).toEqual([true, 'last words']);
    },
  );

  test.each([5, 4] as const)(
    'will - [MQTT-3.1.2-14] [MQTT-3.1.2-16 (3.1.1)] a will with Will Retain 0 is published as a non-retained message (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const c = await watcher(w);
      const { client } = await withWill(w, { protocolVersion, will: will({ retain: false }) });
      client.destroy();
      expect((await c.next('publish')).retain).toBe(false);
      const later = await w.raw();
      await subscribe(later, sub(WILL_TOPIC, 1));
      await expectNoPublish(later);
    },
  );

  test('will - [MQTT-3.1.3-10] [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-20] will properties reach subscribers unaltered, user properties in order', async () => {
    const w = await start();
    const c = await watcher(w);
    const properties: Properties = {
      payloadFormatIndicator: 1,
      contentType: 'text/plain',
      responseTopic: 'will/reply',
      correlationData: Buffer.from([0, 1, 2]),
      userProperties: [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
      ],
    };
    const { client } = await withWill(w, { will: will({}, properties) });
    client.destroy();
    const p = await c.next('publish');
    expect(p.properties).toMatchObject({
      payloadFormatIndicator: 1,
      contentType: 'text/plain',
      responseTopic: 'will/reply',
      userProperties: properties.userProperties,
    });
    expect(Buffer.compare(p.properties!.correlationData!, properties.correlationData!)).toBe(0);
    expect(p.properties?.willDelayInterval).toBeUndefined();
  });

  test('will - [MQTT-3.3.2-6] a retained will is sent later with what is left of its Message Expiry Interval', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { client } = await withWill(w, { will: will({ retain: true }, { messageExpiryInterval: 30 }) });
    client.destroy();
    const c = await watcher(w);
    await c.next('publish');
    clock.advance(10_000);
    const later = await w.raw();
    await subscribe(later, sub(WILL_TOPIC, 1));
    expect((await later.next('publish')).properties?.messageExpiryInterval).toBe(20);
  });
});

describe('refused wills', () => {
  test("will - [MQTT-3.2.2-12] a Will QoS above the broker's Maximum QoS gets CONNACK 0x9B", async () => {
    const w = await start({ limits: { maxQoS: 1 } });
    const { client, connack } = await w.connect({ will: will({ qos: 2 }) });
    expect(connack.reasonCode).toBe(0x9b);
    await client.closed();
  });

  test('will - [MQTT-3.2.2-13] a retained will when retain is not available gets CONNACK 0x9A', async () => {
    const w = await start({ limits: { retainAvailable: false } });
    const { client, connack } = await w.connect({ will: will({ retain: true }) });
    expect(connack.reasonCode).toBe(0x9a);
    await client.closed();
  });

  test('will - [MQTT-4.7.0-1] [MQTT-3.3.2-2] [§3.1.3.3] a will topic with a wildcard is refused: CONNACK 0x90 (MQTT 5), no successful CONNACK (3.1.1)', async () => {
    const w = await start();
    const v5 = await w.connect({ will: will({ topic: 'will/#' }) });
    expect(v5.connack.reasonCode).toBe(0x90);
    await v5.client.closed();
    const v4 = await w.open(4);
    v4.send(connectPacket({ protocolVersion: 4, will: will({ topic: 'will/+' }) }));
    await v4.closed();
    expect(v4.unread.filter((p) => p.type === 'connack' && p.reasonCode === 0)).toEqual([]);
  });
});

describe('will delay', () => {
  const SESSION = { sessionExpiryInterval: 100 };

  async function delayed(w: World, delay: number, expiry = SESSION.sessionExpiryInterval) {
    const clientId = uniqueId('delay');
    const client = await persistent(w, clientId, {
      properties: { sessionExpiryInterval: expiry },
      will: will({}, { willDelayInterval: delay }),
    });
    await leave(w, client, clientId, 'drop');
    return clientId;
  }

  test('will - [MQTT-3.1.2-8] [§3.1.3.2.2] the will is published when the Will Delay Interval has passed, not before', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await watcher(w);
    await delayed(w, 10);
    clock.advance(9_999);
    expect(await firstSeen(w, c)).toBe(MARKER);
    clock.advance(1);
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.3-9] a reconnect to the session before the Will Delay Interval passes means the will is never sent', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await watcher(w);
    const clientId = await delayed(w, 10);
    clock.advance(5_000);
    await persistent(w, clientId, { properties: SESSION });
    clock.advance(60_000);
    expect(await firstSeen(w, c)).toBe(MARKER);
  });

  test('will - [MQTT-3.1.2-8] a reconnect with Clean Start 1 before the delay ends the old session: its will is published at once', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await watcher(w);
    const clientId = await delayed(w, 10);
    clock.advance(1_000);
    await w.raw({ clientId, clean: true });
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.2-8] [§3.1.3.2.2] a Will Delay longer than the Session Expiry Interval: the will is published when the session ends', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await watcher(w);
    await delayed(w, 60, 5);
    clock.advance(4_999);
    expect(await firstSeen(w, c)).toBe(MARKER);
    clock.advance(1);
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.2-8] with Session Expiry 0 a delayed will is published as soon as the connection closes', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await watcher(w);
    const { client } = await withWill(w, { will: will({}, { willDelayInterval: 30 }) });
    client.destroy();
    expect((await c.next('publish')).topic).toBe(WILL_TOPIC);
  });

  test('will - [MQTT-3.1.3-9] a takeover with Clean Start 0 before the will delay passes does not publish the will', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await watcher(w);
    const clientId = uniqueId('takeover');
    const first = await persistent(w, clientId, { properties: SESSION, will: will({}, { willDelayInterval: 10 }) });
    await persistent(w, clientId, { properties: SESSION });
    await expectDisconnect(first, 0x8e);
    clock.advance(60_000);
    expect(await firstSeen(w, c)).toBe(MARKER);
  });
});
