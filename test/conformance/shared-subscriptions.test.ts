/** Shared subscriptions on one node (MQTT 5.0 §4.8.2; G3). */
import type { PublishPacket } from '@flockmq/protocol';
import type { RawClient } from '@flockmq/testkit';
import { FakeClock, waitFor } from '@flockmq/testkit';
import {
  ack,
  expectDisconnect,
  expectNoPublish,
  leave,
  persistent,
  ping,
  publish,
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

async function members(
  w: World,
  n: number,
  filter = '$share/g/sh/t',
  qos: 0 | 1 | 2 = 1,
  fields = {},
): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await w.raw(fields);
    await subscribe(c, sub(filter, qos));
    out.push(c);
  }
  return out;
}

async function publishN(w: World, topic: string, n: number, qos: 0 | 1 | 2 = 1): Promise<void> {
  const publisher = await w.raw();
  for (let i = 0; i < n; i++) await publish(publisher, topic, String(i), { qos });
}

/** Collects what each client has been sent so far (after a ping round trip), acknowledging it. */
async function drain(clients: RawClient[]): Promise<PublishPacket[][]> {
  const out: PublishPacket[][] = [];
  for (const c of clients) {
    await ping(c);
    const got = unreadPublishes(c);
    for (const p of got) {
      await c.next('publish');
      await ack(c, p);
    }
    out.push(got);
  }
  return out;
}

describe('distribution', () => {
  test('shared - [§4.8.2] [G3] each message goes to exactly one member of the group', async () => {
    const w = await start();
    const group = await members(w, 2);
    await publishN(w, 'sh/t', 20);
    const got = await drain(group);
    const all = got.flat().map((p) => p.payload.toString());
    expect(all.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  test('shared - [G3] messages are spread evenly over the members', async () => {
    const w = await start();
    const group = await members(w, 3);
    await publishN(w, 'sh/t', 30, 0);
    const counts = (await drain(group)).map((g) => g.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  test('shared - [§4.8.2] each group, and each non-shared subscriber, gets its own copy', async () => {
    const w = await start();
    const g1 = await members(w, 2, '$share/one/sh/t');
    const g2 = await members(w, 2, '$share/two/sh/+');
    const [plain] = await members(w, 1, 'sh/t');
    await publishN(w, 'sh/t', 4);
    expect((await drain(g1)).flat().length).toBe(4);
    expect((await drain(g2)).flat().length).toBe(4);
    expect((await drain([plain!])).flat().length).toBe(4);
  });

  test('shared - [MQTT-4.8.2-3] a member gets messages at the QoS granted to its subscription', async () => {
    const w = await start();
    const [member] = await members(w, 1, '$share/g/sh/t', 0);
    await publishN(w, 'sh/t', 2, 2);
    expect((await publishes(member!, 2)).map((p) => p.qos)).toEqual([0, 0]);
  });

  test('shared - [G3] a member whose window is full is passed over for one with room', async () => {
    const w = await start();
    const slow = await w.raw({ properties: { receiveMaximum: 1 } });
    await subscribe(slow, sub('$share/g/sh/t', 1));
    const [fast] = await members(w, 1);
    await publishN(w, 'sh/t', 6);
    await ping(slow);
    expect(unreadPublishes(slow).length).toBe(1);
    expect((await drain([fast!]))[0]!.length).toBe(5);
  });

  test('shared - [G3] with a single slow member, messages wait for the group and arrive in order as it acknowledges', async () => {
    const w = await start();
    const slow = await w.raw({ properties: { receiveMaximum: 1 } });
    await subscribe(slow, sub('$share/g/sh/t', 1));
    await publishN(w, 'sh/t', 5);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await slow.next('publish');
      got.push(p.payload.toString());
      await ack(slow, p);
    }
    expect(got).toEqual(['0', '1', '2', '3', '4']);
  });

  test('shared - [§4.8.2] a member that unsubscribes leaves the group; the others get everything', async () => {
    const w = await start();
    const [a, b] = await members(w, 2);
    await unsubscribe(a!, '$share/g/sh/t');
    await publishN(w, 'sh/t', 4);
    const [fromA, fromB] = await drain([a!, b!]);
    expect(fromA).toEqual([]);
    expect(fromB!.length).toBe(4);
  });

  test('shared - [§4.8.2] MQTT.js members at levels 4 and 5 share one group', async () => {
    const w = await start();
    const counts = [0, 0];
    const libs = [await w.lib({ protocolVersion: 4 }), await w.lib({ protocolVersion: 5 })];
    for (const [i, lib] of libs.entries()) {
      await lib.subscribeAsync('$share/lib/sh/lib', { qos: 1 });
      lib.on('message', () => counts[i]!++);
    }
    await publishN(w, 'sh/lib', 10);
    await waitFor(() => counts[0]! + counts[1]! === 10, { what: '10 messages over the group' });
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
  });
});

describe('members leaving', () => {
  test('shared - [G3] [§4.8.2] QoS 1 messages a departing member had not acknowledged go to another member', async () => {
    const w = await start();
    const [a, b] = await members(w, 2);
    await publishN(w, 'sh/t', 4);
    await ping(a!);
    const unacked = unreadPublishes(a!).map((p) => p.payload.toString());
    expect(unacked.length).toBeGreaterThan(0);
    a!.destroy();
    const expected = 4;
    const got: string[] = [];
    while (got.length < expected) {
      const p = await b!.next('publish');
      got.push(p.payload.toString());
      await ack(b!, p);
    }
    expect(got.sort()).toEqual(['0', '1', '2', '3']);
    await expectNoPublish(b!);
  });

  test('shared - [MQTT-4.8.2-4] [G3] a QoS 2 message offered to a member stays with it and is completed when it reconnects', async () => {
    const w = await start();
    const ids = [uniqueId('q2a'), uniqueId('q2b')];
    const group: RawClient[] = [];
    for (const id of ids) {
      const c = await persistent(w, id);
      await subscribe(c, sub('$share/g/sh/t', 2));
      group.push(c);
    }
    await publishN(w, 'sh/t', 1, 2);
    for (const c of group) await ping(c);
    const holder = group.findIndex((c) => unreadPublishes(c).length > 0);
    expect(holder).toBeGreaterThanOrEqual(0);
    const [offered] = unreadPublishes(group[holder]!);
    const other = group[1 - holder]!;
    await leave(w, group[holder]!, ids[holder]!, 'drop');
    await expectNoPublish(other);
    const back = await persistent(w, ids[holder]!);
    const again = await back.next('publish');
    expect(again).toMatchObject({ packetId: offered!.packetId, dup: true, qos: 2 });
  });

  test.each([
    ['Session Expiry 0: the session ends with the connection', 0],
    ['Session Expiry 10 s: the session expires while the member is away', 10],
  ])(
    "shared - [MQTT-4.8.2-5] a QoS 2 message whose member's session ends before it reconnects is not sent to another member (%s)",
    async (_name, sessionExpiryInterval) => {
      const clock = new FakeClock();
      const w = await start({ clock });
      const ids = [uniqueId('end-a'), uniqueId('end-b')];
      const group: RawClient[] = [];
      for (const id of ids) {
        const c = await persistent(w, id, { properties: { sessionExpiryInterval } });
        await subscribe(c, sub('$share/g/sh/end', 2));
        group.push(c);
      }
      await publishN(w, 'sh/end', 1, 2);
      for (const c of group) await ping(c);
      const holder = group.findIndex((c) => unreadPublishes(c).length > 0);
      expect(holder).toBeGreaterThanOrEqual(0);
      const other = group[1 - holder]!;
      await leave(w, group[holder]!, ids[holder]!, 'drop');
      clock.advance(sessionExpiryInterval * 1000);
      await waitFor(async () => (await w.node.sessions.load(ids[holder]!)) === undefined, {
        what: "the holder's session to end",
      });
      await expectNoPublish(other);
      // The group still works: the next message goes to the member that is left, and only it.
      await publish(await w.raw(), 'sh/end', 'next', { qos: 2 });
      const next = await other.next('publish');
      expect(next.payload.toString()).toBe('next');
      await ack(other, next);
      await expectNoPublish(other);
    },
  );

  test('shared - [MQTT-4.8.2-6] a message refused by a member with a PUBACK of 0x80 or above is discarded, not sent to another member', async () => {
    const w = await start();
    const [a, b] = await members(w, 2);
    await publishN(w, 'sh/t', 1);
    const refused = await a!.next('publish');
    a!.send({ type: 'puback', packetId: refused.packetId!, reasonCode: 0x80 });
    await ping(a!);
    await publish(await w.raw(), 'sh/t', 'next', { qos: 1 });
    const [fromA, fromB] = await drain([a!, b!]);
    expect([...fromA!, ...fromB!].map((p) => p.payload.toString())).toEqual(['next']);
  });
});

describe('rules for shared subscriptions', () => {
  test('shared - [§3.3.1.3] [§4.8.2] no retained messages are sent when a shared subscription is made', async () => {
    const w = await start();
    await publish(await w.raw(), 'sh/retained', 'kept', { qos: 1, retain: true });
    const c = await w.raw();
    await subscribe(c, sub('$share/g/sh/retained', 1));
    await expectNoPublish(c);
  });

  test('shared - [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const c = await w.raw();
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('$share/g/sh/t', 1, { noLocal: true })] });
    await expectDisconnect(c, 0x82);
  });

  test('shared - [MQTT-3.3.4-3] a member gets the Subscription Identifier of its shared subscription', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('$share/g/sh/id', 1), { subscriptionIdentifiers: [9] });
    await publishN(w, 'sh/id', 1);
    expect((await c.next('publish')).properties?.subscriptionIdentifiers).toEqual([9]);
  });

  test('shared - [MQTT-3.3.4-5] when a client gets one copy through its shared and one through its non-shared subscription, each carries its own Subscription Identifier', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('$share/g/sh/ids', 1), { subscriptionIdentifiers: [1] });
    await subscribe(c, sub('sh/ids', 1), { subscriptionIdentifiers: [2] });
    await subscribe(c, sub('sh/+', 1), { subscriptionIdentifiers: [3] });
    await publishN(w, 'sh/ids', 1);
    const copies = await publishes(c, 2);
    const ids = copies.map((p) => [...(p.properties?.subscriptionIdentifiers ?? [])].sort());
    // The shared copy names the shared subscription only; the other copy the non-shared ones.
    expect(ids.sort((a, b) => a[0]! - b[0]!)).toEqual([[1], [2, 3]]);
    for (const p of copies) await ack(c, p);
    await expectNoPublish(c);
  });

  test('shared - [MQTT-4.8.2-1] [MQTT-4.8.2-2] [§4.8.2] a client with a shared and a non-shared subscription matching a topic gets a copy for each', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, [sub('$share/g/sh/both', 1), sub('sh/both', 1)]);
    await publishN(w, 'sh/both', 1);
    const got = await publishes(c, 2);
    expect(got.map((p) => p.payload.toString())).toEqual(['0', '0']);
  });
});
