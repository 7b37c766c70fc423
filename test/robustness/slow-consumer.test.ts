/**
 * G7 isolation: a subscriber that never reads its socket must not stall delivery to the others.
 * Its outbound buffer and queue stay bounded, what does not fit is dropped and counted in
 * broker.stats, and a normal subscriber on the same topics receives every message, in order.
 */
import mqtt from 'mqtt';
import { startTestBroker, waitFor, type TestBroker } from '@flockmq/testkit';
import type { DropReason } from '@flockmq/broker';
import { StuckSubscriber } from './helpers';

const BURST = 100;

let broker: TestBroker | undefined;
const clients: mqtt.MqttClient[] = [];
const stuck: StuckSubscriber[] = [];

afterEach(async () => {
  for (const s of stuck.splice(0)) s.destroy();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await broker?.close();
  broker = undefined;
});

async function client(b: TestBroker, clientId: string): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(b.url, { clientId, protocolVersion: 5, reconnectPeriod: 0, keepalive: 0 });
  clients.push(c);
  return c;
}

const dropped = (b: TestBroker, reason: DropReason): number => b.server.broker.stats.dropped(reason);

/** A normal subscriber that records every payload it receives on `filter` at QoS 1. */
async function normalSubscriber(b: TestBroker, filter: string): Promise<string[]> {
  const sub = await client(b, 'normal-sub');
  const got: string[] = [];
  sub.on('message', (_topic, payload) => got.push(payload.subarray(0, 16).toString().trimEnd()));
  await sub.subscribeAsync(filter, { qos: 1 });
  return got;
}

/**
 * Publishes QoS 1 messages in bursts (each burst's PUBACKs awaited) until `enough()` holds and at
 * least `min` were sent, never more than `max`. Between bursts it lets the normal subscriber come
 * within `lag` messages, so only the stuck one can fall behind. Returns the payload ids sent.
 */
async function flood(
  pub: mqtt.MqttClient,
  topic: string,
  body: Buffer,
  got: string[],
  opts: { min: number; max: number; lag: number; enough: () => boolean },
): Promise<string[]> {
  const sent: string[] = [];
  while (sent.length < opts.max && (sent.length < opts.min || !opts.enough())) {
    const burst: Promise<unknown>[] = [];
    for (let i = 0; i < BURST; i++) {
      const id = `m${sent.length}`;
      sent.push(id);
      const payload = Buffer.concat([Buffer.from(id.padEnd(16)), body]);
      burst.push(pub.publishAsync(topic, payload, { qos: 1 }));
    }
    await Promise.all(burst);
    await waitFor(() => got.length >= sent.length - opts.lag, {
      what: `the normal subscriber to keep up (${got.length}/${sent.length})`,
    });
  }
  return sent;
}

test('robustness - a subscriber that never reads does not stall QoS 0 fan-out; its messages are dropped as congested', async () => {
  broker = await startTestBroker();
  const b = broker;
  const slow = await StuckSubscriber.start(b.port, 'stuck-qos0', 'flood/#', 0);
  stuck.push(slow);
  const got = await normalSubscriber(b, 'flood/#');
  const pub = await client(b, 'publisher');
  const before = dropped(b, 'congested');

  // 16 KiB messages: the stuck socket's kernel buffers fill after a few MB, then the broker's own buffer.
  const sent = await flood(pub, 'flood/big', Buffer.alloc(16 * 1024, 0x61), got, {
    min: 1000,
    max: 4000,
    lag: 500,
    enough: () => dropped(b, 'congested') > before,
  });

  await waitFor(() => got.length >= sent.length, {
    timeoutMs: 15_000,
    what: `all ${sent.length} messages at the normal subscriber (got ${got.length})`,
  });
  // [MQTT-4.6.0-5] [MQTT-4.6.0-6] [MQTT-4.6.0-6 (3.1.1)] One publisher, one topic, QoS 1: everything, in publish order.
  expect(got).toEqual(sent);
  expect(dropped(b, 'congested')).toBeGreaterThan(before);
  // Bounded: what the broker holds for the stuck client stays near its outbound high-water mark (1 MiB).
  const channel = b.server.broker.channel('stuck-qos0');
  expect(channel).toBeDefined();
  expect(channel!.transport.writableLength).toBeLessThan(2 * 1024 * 1024);
  expect(slow.socket.destroyed).toBe(false);
}, 60_000);

test('robustness - a subscriber that never acknowledges QoS 1 does not stall others; its queue is bounded and overflow dropped', async () => {
  const maxQueuedMessages = 200;
  broker = await startTestBroker({ limits: { maxQueuedMessages, maxInflight: 32 } });
  const b = broker;
  const slow = await StuckSubscriber.start(b.port, 'stuck-qos1', 'flood/#', 1);
  stuck.push(slow);
  const got = await normalSubscriber(b, 'flood/#');
  const pub = await client(b, 'publisher');
  const before = dropped(b, 'queue_full');

  // The normal subscriber may lag by less than its window plus its queue, so it never drops.
  const sent = await flood(pub, 'flood/small', Buffer.alloc(100, 0x62), got, {
    min: 2000,
    max: 2000,
    lag: 100,
    enough: () => true,
  });

  await waitFor(() => got.length >= sent.length, {
    timeoutMs: 15_000,
    what: `all ${sent.length} messages at the normal subscriber (got ${got.length})`,
  });
  expect(got).toEqual(sent);
  // The stuck session holds a full window and a full queue; everything past that was dropped.
  const session = b.server.broker.channel('stuck-qos1')?.session;
  expect(session).toBeDefined();
  expect(session!.inflight.size).toBe(32);
  expect(session!.queue.length).toBe(maxQueuedMessages);
  expect(dropped(b, 'queue_full') - before).toBe(sent.length - 32 - maxQueuedMessages);
}, 60_000);
