/** Sessions: Clean Start, Session Present, Session Expiry, takeover (MQTT 5.0 §3.1.2.4, §3.1.2.11.2, §3.1.4, §4.1; 3.1.1 §3.1.2.4). */
import { FakeClock, RawClient, startTestBroker, waitFor } from '@flockmq/testkit';
import {
  ack,
  connectPersistent,
  expectClosedSilently,
  expectDisconnect,
  leave,
  persistent,
  ping,
  publish,
  publishPacket,
  publishes,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
} from './helpers';
import type { World } from './helpers';

const start = useWorlds();

/** Publishes QoS 1 to `topic` then to a marker; returns what `c` (subscribed to both) gets first. */
async function firstOf(w: World, c: RawClient, topic: string): Promise<string> {
  const publisher = await w.raw();
  await publish(publisher, topic, 'message', { qos: 1 });
  await publish(publisher, 's/marker', 'marker', { qos: 1 });
  return (await c.next('publish')).topic;
}

describe('Clean Start and Session Present', () => {
  test('session - [MQTT-3.1.2-6] [MQTT-3.1.4-4] [MQTT-3.2.2-3] Clean Start 0 without a stored session creates one: Session Present 0', async () => {
    const w = await start();
    const { connack } = await connectPersistent(w, uniqueId('new'));
    expect(connack.sessionPresent).toBe(false);
  });

  test('session - [MQTT-3.1.2-5] [MQTT-3.1.4-4] [MQTT-3.2.2-3] [MQTT-3.1.3-2] Clean Start 0 resumes the stored session: Session Present 1 and its subscriptions in force', async () => {
    const w = await start();
    const clientId = uniqueId('resume');
    const c = await persistent(w, clientId);
    await subscribe(c, sub('s/kept', 1));
    await leave(w, c, clientId);
    const { client, connack } = await connectPersistent(w, clientId);
    expect(connack.sessionPresent).toBe(true);
    await subscribe(client, sub('s/marker', 1));
    expect(await firstOf(w, client, 's/kept')).toBe('s/kept');
  });

  test('session - [MQTT-3.1.2-4] [MQTT-3.1.4-4] [MQTT-3.2.2-2] Clean Start 1 discards the stored session: Session Present 0, no subscriptions, nothing queued', async () => {
    const w = await start();
    const clientId = uniqueId('clean');
    const c = await persistent(w, clientId);
    await subscribe(c, sub('s/dropped', 1));
    await leave(w, c, clientId);
    await publish(await w.raw(), 's/dropped', 'queued', { qos: 1 });
    const { client, connack } = await w.connect({ clientId, clean: true, properties: { sessionExpiryInterval: 600 } });
    expect(connack).toMatchObject({ reasonCode: 0, sessionPresent: false });
    await subscribe(client, sub('s/marker', 1));
    expect(await firstOf(w, client, 's/dropped')).toBe('s/marker');
  });

  test('session - [MQTT-3.2.0-1] [MQTT-4.5.0-1] CONNACK comes first, then the messages queued while the client was away, in order', async () => {
    const w = await start();
    const clientId = uniqueId('queued');
    const c = await persistent(w, clientId);
    await subscribe(c, sub('s/q/#', 2));
    await leave(w, c, clientId, 'drop');
    const publisher = await w.raw();
    for (let i = 0; i < 6; i++) await publish(publisher, `s/q/${i % 2}`, String(i), { qos: i % 2 === 0 ? 1 : 2 });
    const back = await w.open(5);
    back.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: false,
      keepAlive: 0,
      clientId,
      properties: { sessionExpiryInterval: 600 },
    });
    const first = await back.next();
    expect(first).toMatchObject({ type: 'connack', sessionPresent: true });
    const got = await publishes(back, 6);
    expect(got.map((p) => p.payload.toString())).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(got.map((p) => p.qos)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  test('session - [MQTT-3.1.2-4 (3.1.1)] [MQTT-3.1.2-5 (3.1.1)] [MQTT-3.2.2-2 (3.1.1)] [MQTT-4.1.0-1 (3.1.1)] a 3.1.1 Clean Session 0 session keeps its subscriptions and stores QoS 1/2 messages while away', async () => {
    const w = await start();
    const clientId = uniqueId('v4');
    const c = await persistent(w, clientId, { protocolVersion: 4 });
    await subscribe(c, sub('s/v4', 2));
    await leave(w, c, clientId);
    const publisher = await w.raw({ protocolVersion: 4 });
    await publish(publisher, 's/v4', 'q1', { qos: 1 });
    await publish(publisher, 's/v4', 'q2', { qos: 2 });
    const { client, connack } = await connectPersistent(w, clientId, { protocolVersion: 4 });
    expect(connack.sessionPresent).toBe(true);
    expect((await publishes(client, 2)).map((p) => p.payload.toString())).toEqual(['q1', 'q2']);
  });

  test('session - [MQTT-3.1.2-6 (3.1.1)] [MQTT-3.2.2-1 (3.1.1)] a 3.1.1 Clean Session 1 session ends with the connection', async () => {
    const w = await start();
    const clientId = uniqueId('v4clean');
    const c = await w.raw({ protocolVersion: 4, clientId, clean: true });
    await subscribe(c, sub('s/gone', 1));
    await leave(w, c, clientId);
    const { connack } = await connectPersistent(w, clientId, { protocolVersion: 4 });
    expect(connack.sessionPresent).toBe(false);
  });

  test('session - [MQTT-3.1.4-3 (3.1.1)] [MQTT-3.2.2-3 (3.1.1)] 3.1.1 Clean Session 0 is accepted with return code 0 and Session Present 0 without stored state, 1 with it', async () => {
    const w = await start();
    const clientId = uniqueId('v4present');
    const fields = { protocolVersion: 4, clientId } as const;
    const first = await w.connect({ ...fields, clean: false });
    expect(first.connack).toMatchObject({ reasonCode: 0, sessionPresent: false });
    await subscribe(first.client, sub('s/v4present', 1));
    await leave(w, first.client, clientId);
    const again = await w.connect({ ...fields, clean: false });
    expect(again.connack).toMatchObject({ reasonCode: 0, sessionPresent: true });
    await leave(w, again.client, clientId);
    // Clean Session 1 throws the stored session away: the next Clean Session 0 finds none.
    await leave(w, (await w.connect({ ...fields, clean: true })).client, clientId);
    const fresh = await w.connect({ ...fields, clean: false });
    expect(fresh.connack).toMatchObject({ reasonCode: 0, sessionPresent: false });
    await subscribe(fresh.client, sub('s/marker', 1));
    expect(await firstOf(w, fresh.client, 's/v4present')).toBe('s/marker');
  });

  test('session - [MQTT-4.3.3-10] [MQTT-4.4.0-1] inbound QoS 2 state survives a reconnect: the resent PUBLISH is not delivered twice', async () => {
    const w = await start();
    const watcher = await w.raw();
    await subscribe(watcher, sub('s/in2', 2));
    const clientId = uniqueId('in2');
    const c = await persistent(w, clientId);
    const packet = publishPacket(c, 's/in2', 'once', { qos: 2, packetId: 17 });
    c.send(packet);
    await c.next('pubrec');
    await leave(w, c, clientId, 'drop');
    const back = await persistent(w, clientId);
    back.send({ ...packet, dup: true });
    expect((await back.next('pubrec')).packetId).toBe(17);
    back.send({ type: 'pubrel', packetId: 17 });
    expect((await back.next('pubcomp')).packetId).toBe(17);
    await publish(back, 's/in2', 'marker', { qos: 2 });
    const got = await publishes(watcher, 2);
    expect(got.map((p) => p.payload.toString())).toEqual(['once', 'marker']);
  });

  test('session - [MQTT-3.1.2-5] MQTT.js: a client reconnecting with clean false and a Session Expiry Interval resumes its subscriptions', async () => {
    const w = await start();
    const clientId = uniqueId('libsession');
    const options = { protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 600 } };
    const first = await w.lib(options);
    await first.subscribeAsync('s/lib', { qos: 1 });
    await first.endAsync();
    await w.offline(clientId);
    const second = await w.lib(options);
    const got = new Promise<string>((resolve) => second.on('message', (_t, payload) => resolve(payload.toString())));
    await publish(await w.raw(), 's/lib', 'resumed', { qos: 1 });
    expect(await got).toBe('resumed');
  });
});

describe('Session Expiry Interval', () => {
  test('session - [MQTT-3.1.2-23] [§3.1.2.11.2] without a Session Expiry Interval the session ends when the connection closes', async () => {
    const w = await start();
    const clientId = uniqueId('zero');
    const c = await w.raw({ clientId, clean: false });
    await subscribe(c, sub('s/zero', 1));
    await leave(w, c, clientId, 'drop');
    const { connack } = await w.connect({ clientId, clean: false });
    expect(connack.sessionPresent).toBe(false);
  });

  test('session - [MQTT-3.1.2-23] [MQTT-4.1.0-2] a session is kept until its Session Expiry Interval has passed, then discarded', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const kept = uniqueId('kept');
    const gone = uniqueId('gone');
    for (const id of [kept, gone]) {
      const c = await persistent(w, id, { properties: { sessionExpiryInterval: 60 } });
      await subscribe(c, sub('s/expiry', 1));
      await leave(w, c, id, 'drop');
    }
    clock.advance(59_999);
    expect(
      (await connectPersistent(w, kept, { properties: { sessionExpiryInterval: 60 } })).connack.sessionPresent,
    ).toBe(true);
    clock.advance(1);
    const { client, connack } = await connectPersistent(w, gone, { properties: { sessionExpiryInterval: 60 } });
    expect(connack.sessionPresent).toBe(false);
    await subscribe(client, sub('s/marker', 1));
    expect(await firstOf(w, client, 's/expiry')).toBe('s/marker');
  });

  test('session - [§3.1.2.11.2] a Session Expiry Interval of 0xFFFFFFFF never expires', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const clientId = uniqueId('forever');
    await leave(
      w,
      await persistent(w, clientId, { properties: { sessionExpiryInterval: 0xffffffff } }),
      clientId,
      'drop',
    );
    clock.advance(365 * 24 * 3600 * 1000);
    expect((await connectPersistent(w, clientId)).connack.sessionPresent).toBe(true);
  });

  test('session - [§3.2.2.3.2] the session expires after the interval granted in CONNACK, not the one asked for', async () => {
    const clock = new FakeClock();
    const w = await start({ clock, limits: { maxSessionExpiryInterval: 10 } });
    const clientId = uniqueId('capped');
    const { client, connack } = await connectPersistent(w, clientId, { properties: { sessionExpiryInterval: 3600 } });
    expect(connack.properties?.sessionExpiryInterval).toBe(10);
    await leave(w, client, clientId, 'drop');
    clock.advance(10_000);
    expect((await connectPersistent(w, clientId)).connack.sessionPresent).toBe(false);
  });

  test('session - [MQTT-4.1.0-1] a session is not discarded while its connection is open, however long', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const clientId = uniqueId('open');
    const c = await persistent(w, clientId, { properties: { sessionExpiryInterval: 5 } });
    await subscribe(c, sub('s/open', 1));
    clock.advance(3600_000);
    await ping(c);
    await publish(await w.raw(), 's/open', 'still', { qos: 1 });
    expect((await c.next('publish')).payload.toString()).toBe('still');
  });

  test('session - [MQTT-4.1.0-2 (3.1.1)] a 3.1.1 Clean Session 1 session lasts as long as its connection, however long', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await w.raw({ protocolVersion: 4, clean: true });
    await subscribe(c, sub('s/v4open', 1));
    clock.advance(7 * 24 * 3600_000);
    await ping(c);
    await publish(await w.raw({ protocolVersion: 4 }), 's/v4open', 'still', { qos: 1 });
    expect((await c.next('publish')).payload.toString()).toBe('still');
  });

  test('session - [§3.14.2.2.2] a Session Expiry Interval of 0 on DISCONNECT ends the session at once', async () => {
    const w = await start();
    const clientId = uniqueId('dis0');
    const c = await persistent(w, clientId);
    c.send({ type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await c.closed();
    await w.offline(clientId);
    expect((await connectPersistent(w, clientId)).connack.sessionPresent).toBe(false);
  });

  test('session - [§3.14.2.2.2] a longer Session Expiry Interval on DISCONNECT replaces the one from CONNECT', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const clientId = uniqueId('longer');
    const c = await persistent(w, clientId, { properties: { sessionExpiryInterval: 10 } });
    c.send({ type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 3600 } });
    await c.closed();
    await w.offline(clientId);
    clock.advance(100_000);
    expect((await connectPersistent(w, clientId)).connack.sessionPresent).toBe(true);
  });

  test('session - [§3.14.2.2.2] a non-zero Session Expiry Interval on DISCONNECT after 0 on CONNECT is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const clientId = uniqueId('zero2');
    const c = await w.raw({ clientId });
    c.send({ type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
    await expectDisconnect(c, 0x82);
    await w.offline(clientId);
    expect((await connectPersistent(w, clientId)).connack.sessionPresent).toBe(false);
  });
});

describe('session takeover', () => {
  test('session - [MQTT-3.1.4-3] a second connection with the same client id gets the session; the first gets DISCONNECT 0x8E and is closed', async () => {
    const w = await start();
    const clientId = uniqueId('take');
    const old = await w.raw({ clientId });
    const fresh = await w.raw({ clientId });
    await expectDisconnect(old, 0x8e);
    await ping(fresh);
  });

  test('session - [G2] each takeover is counted by result and reported with its duration', async () => {
    const w = await start();
    const stats = w.broker.server.broker.stats;
    const reported: [string, number][] = [];
    stats.onTakeover = (result, durationMs) => reported.push([result, durationMs]);
    const clientId = uniqueId('counted');
    const old = await w.raw({ clientId });
    await w.raw({ clientId });
    await expectDisconnect(old, 0x8e);
    expect(stats.takeoverResults.get('local')).toBe(1);
    expect(reported).toEqual([['local', expect.any(Number)]]);
    expect(reported[0]![1]).toBeGreaterThanOrEqual(0);
  });

  test('session - [MQTT-3.1.4-2 (3.1.1)] taking over a 3.1.1 connection closes it without a packet', async () => {
    const w = await start();
    const clientId = uniqueId('take4');
    const old = await w.raw({ clientId, protocolVersion: 4 });
    const fresh = await w.raw({ clientId, protocolVersion: 4 });
    await expectClosedSilently(old);
    await ping(fresh);
  });

  test('session - [MQTT-3.1.4-3] [MQTT-4.4.0-1] [G2] a takeover with Clean Start 0 resumes the session: subscriptions and unacknowledged messages move to the new connection', async () => {
    const w = await start();
    const clientId = uniqueId('move');
    const old = await persistent(w, clientId);
    await subscribe(old, sub('s/move', 1));
    await publish(await w.raw(), 's/move', 'in-flight', { qos: 1 });
    const sent = await old.next('publish');
    const { client, connack } = await connectPersistent(w, clientId);
    expect(connack.sessionPresent).toBe(true);
    await expectDisconnect(old, 0x8e);
    const resent = await client.next('publish');
    expect(resent).toMatchObject({ packetId: sent.packetId, dup: true });
    await ack(client, resent);
    await publish(await w.raw(), 's/move', 'after', { qos: 1 });
    expect((await client.next('publish')).payload.toString()).toBe('after');
  });

  test('session - [MQTT-3.1.4-3] [MQTT-3.1.2-4] a takeover with Clean Start 1 starts a new session', async () => {
    const w = await start();
    const clientId = uniqueId('takeclean');
    const old = await persistent(w, clientId);
    await subscribe(old, sub('s/old', 1));
    const { client, connack } = await w.connect({ clientId, clean: true });
    expect(connack.sessionPresent).toBe(false);
    await expectDisconnect(old, 0x8e);
    await subscribe(client, sub('s/marker', 1));
    expect(await firstOf(w, client, 's/old')).toBe('s/marker');
  });

  test('session - [G2] another user cannot take over a client id: CONNACK 0x87, the session owner stays connected', async () => {
    const w = await start({ hooks: { authenticate: () => ({ ok: true }) } });
    const clientId = uniqueId('owned');
    const owner = await w.raw({ clientId, username: 'alice' });
    const { client, connack } = await w.connect({ clientId, username: 'mallory' });
    expect(connack.reasonCode).toBe(0x87);
    await client.closed();
    await ping(owner);
    expect(owner.unread).toEqual([]);
  });

  test('session - [G2] concurrent CONNECTs for one client id leave exactly one live connection', async () => {
    const w = await start();
    const clientId = uniqueId('race');
    const results = await Promise.all(Array.from({ length: 5 }, () => w.connect({ clientId })));
    expect(results.every((r) => r.connack.reasonCode === 0)).toBe(true);
    const clients = results.map((r) => r.client);
    await waitFor(() => clients.filter((c) => c.isClosed).length === clients.length - 1, {
      what: 'all but one to be closed',
    });
    const survivor = clients.find((c) => !c.isClosed)!;
    await ping(survivor);
    expect(clients.filter((c) => !c.isClosed)).toEqual([survivor]);
    expect(w.node.channel(clientId)).toBeDefined();
  });
});

describe('flapping client ids (G2)', () => {
  test('session - [G2] a client id taken over more than flapThreshold times waits before the next takeover', async () => {
    const clock = new FakeClock();
    const broker = await startTestBroker({ clock, limits: { flapThreshold: 2, flapWindow: 60 } });
    const clients: RawClient[] = [];
    try {
      // The first CONNECT is not a takeover; the next two are within the threshold.
      for (let i = 0; i < 3; i++) clients.push(await RawClient.connect(broker.port, { clientId: 'flappy' }));
      expect(broker.server.broker.stats.flapDelays).toBe(0);
      const slowed = await RawClient.open(broker.port, 5);
      clients.push(slowed);
      slowed.send({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepAlive: 0,
        clientId: 'flappy',
      });
      await waitFor(() => broker.server.broker.stats.flapDelays === 1, { what: 'the takeover to be held back' });
      // Held: the live connection is still the previous one until the delay passes.
      expect(clients[2]!.isClosed).toBe(false);
      clock.advance(10_000);
      const connack = await slowed.next('connack');
      expect(connack.reasonCode).toBe(0);
      expect(await clients[2]!.next('disconnect')).toMatchObject({ reasonCode: 0x8e });
    } finally {
      for (const c of clients) c.destroy();
      await broker.close();
    }
  });
});
