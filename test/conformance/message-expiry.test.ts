/** Message Expiry Interval, timed with a FakeClock (MQTT 5.0 §3.3.2.3.3, §4.3.3). */
import { FakeClock } from '@flockmq/testkit';
import {
  ack,
  expectNoPublish,
  leave,
  persistent,
  ping,
  publish,
  publishes,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();
/** A session that never expires, so advancing the clock only ages messages. */
const NEVER = { properties: { sessionExpiryInterval: 0xffffffff } };

async function offlineSubscriber(w: World, filter: string, qos: 0 | 1 | 2 = 1, version: 4 | 5 = 5) {
  const clientId = uniqueId('exp');
  const fields = version === 5 ? NEVER : { protocolVersion: version };
  const c = await persistent(w, clientId, fields);
  await subscribe(c, sub(filter, qos));
  await leave(w, c, clientId);
  return { clientId, back: () => persistent(w, clientId, fields) };
}

describe('queued messages', () => {
  test('message expiry - [MQTT-3.3.2-6] a message sent at once carries the Message Expiry Interval it was published with', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await w.raw();
    await subscribe(c, sub('e/now', 1));
    await publish(await w.raw(), 'e/now', 'm', { qos: 1, properties: { messageExpiryInterval: 30 } });
    expect((await c.next('publish')).properties?.messageExpiryInterval).toBe(30);
  });

  test('message expiry - [MQTT-3.3.2-6] a message queued for an offline session is delivered with the interval minus the time it waited', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { back } = await offlineSubscriber(w, 'e/q');
    await publish(await w.raw(), 'e/q', 'm', { qos: 1, properties: { messageExpiryInterval: 60 } });
    clock.advance(25_000);
    const p = await (await back()).next('publish');
    expect(p.properties?.messageExpiryInterval).toBe(35);
  });

  test('message expiry - [MQTT-3.3.2-5] a message that expired while queued for an offline session is not delivered', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { back } = await offlineSubscriber(w, 'e/q');
    const publisher = await w.raw();
    await publish(publisher, 'e/q', 'short', { qos: 1, properties: { messageExpiryInterval: 10 } });
    await publish(publisher, 'e/q', 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await publish(publisher, 'e/q', 'forever', { qos: 1 });
    clock.advance(10_000);
    const c = await back();
    const got = await publishes(c, 2);
    expect(got.map((p) => p.payload.toString())).toEqual(['long', 'forever']);
    expect(got.map((p) => p.properties?.messageExpiryInterval)).toEqual([90, undefined]);
    for (const p of got) await ack(c, p);
    await expectNoPublish(c);
  });

  test('message expiry - [MQTT-3.3.2-5] a message waiting behind a full in-flight window expires there and is not delivered', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await w.raw({ properties: { receiveMaximum: 1 } });
    await subscribe(c, sub('e/window', 1));
    const publisher = await w.raw();
    await publish(publisher, 'e/window', 'first', { qos: 1 });
    await publish(publisher, 'e/window', 'expires', { qos: 1, properties: { messageExpiryInterval: 5 } });
    await publish(publisher, 'e/window', 'last', { qos: 1, properties: { messageExpiryInterval: 50 } });
    const first = await c.next('publish');
    clock.advance(6_000);
    await ack(c, first);
    const next = await c.next('publish');
    expect(next.payload.toString()).toBe('last');
    expect(next.properties?.messageExpiryInterval).toBe(44);
  });

  test('message expiry - [MQTT-3.3.2-5] expiry applies to a 3.1.1 subscriber too: the expired message is not delivered', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { back } = await offlineSubscriber(w, 'e/old', 1, 4);
    const publisher = await w.raw();
    await publish(publisher, 'e/old', 'expired', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await publish(publisher, 'e/old', 'kept', { qos: 1 });
    clock.advance(2_000);
    const c = await back();
    expect((await c.next('publish')).payload.toString()).toBe('kept');
  });

  test('message expiry - [§3.3.2.3.3] a message without a Message Expiry Interval does not expire', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { back } = await offlineSubscriber(w, 'e/never');
    await publish(await w.raw(), 'e/never', 'timeless', { qos: 1 });
    clock.advance(30 * 24 * 3600 * 1000);
    const p = await (await back()).next('publish');
    expect(p.payload.toString()).toBe('timeless');
    expect(p.properties?.messageExpiryInterval).toBeUndefined();
  });
});

describe('retained messages', () => {
  test('message expiry - [MQTT-3.3.2-6] [§3.3.2.3.3] a retained message is sent with its remaining lifetime, and not at all once expired', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    await publish(await w.raw(), 'e/retained', 'r', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 10 },
    });
    clock.advance(4_000);
    const early = await w.raw();
    await subscribe(early, sub('e/retained', 1));
    const p = await early.next('publish');
    expect(p.retain).toBe(true);
    expect(p.properties?.messageExpiryInterval).toBe(6);
    clock.advance(6_000);
    const late = await w.raw();
    await subscribe(late, sub('e/retained', 1));
    await expectNoPublish(late);
  });
});

describe('messages already sent', () => {
  async function inFlight(w: World, qos: 1 | 2) {
    const clientId = uniqueId('sent');
    const c = await persistent(w, clientId, NEVER);
    await subscribe(c, sub('e/sent', qos));
    await publish(await w.raw(), 'e/sent', 'started', { qos, properties: { messageExpiryInterval: 5 } });
    const p = await c.next('publish');
    return { clientId, c, p };
  }

  test('message expiry - [MQTT-4.3.3-7] [MQTT-4.4.0-1] a QoS 2 PUBLISH already sent is resent after reconnect even though its expiry has passed', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { clientId, c, p } = await inFlight(w, 2);
    await leave(w, c, clientId, 'drop');
    clock.advance(60_000);
    const again = await (await persistent(w, clientId, NEVER)).next('publish');
    expect(again).toMatchObject({ packetId: p.packetId, dup: true, qos: 2 });
  });

  test('message expiry - [MQTT-3.3.2-5] [MQTT-4.4.0-1] a QoS 1 PUBLISH whose onward delivery had started is resent after reconnect even though its expiry has passed', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { clientId, c, p } = await inFlight(w, 1);
    await leave(w, c, clientId, 'drop');
    clock.advance(60_000);
    const again = await (await persistent(w, clientId, NEVER)).next('publish');
    expect(again).toMatchObject({ packetId: p.packetId, dup: true, qos: 1 });
  });

  test('message expiry - [MQTT-4.3.3-13] the QoS 2 acknowledgement sequence continues (PUBREL is resent) after the message expired', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const { clientId, c, p } = await inFlight(w, 2);
    c.send({ type: 'pubrec', packetId: p.packetId! });
    await c.next('pubrel');
    await leave(w, c, clientId, 'drop');
    clock.advance(60_000);
    const again = await persistent(w, clientId, NEVER);
    expect((await again.next('pubrel')).packetId).toBe(p.packetId);
    again.send({ type: 'pubcomp', packetId: p.packetId! });
    await ping(again);
  });
});
