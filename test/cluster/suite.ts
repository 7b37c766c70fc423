/**
 * Cluster mode end to end: three FlockMQ processes over real Redis and real NATS, real MQTT
 * clients over TCP. Each guarantee of DESIGN.md that cluster mode owns is a test here (G1, G2,
 * G3, G4, G6); the same suite runs on one Redis + one NATS and on a Redis Cluster + NATS cluster.
 */
import type mqtt from 'mqtt';
import { RawClient, waitFor, type Flock, type FlockNode } from '@flockmq/testkit';
import {
  Clients,
  natsBytesTo,
  record,
  startBackends,
  startFlock,
  waitForRoute,
  type Backends,
  type Topology,
} from './harness';

/** Each test's own topic and client-id space. */
let seq = 0;
const unique = (name: string): string => `${name}-${process.pid}-${++seq}`;

const PERSISTENT: mqtt.IClientOptions = { clean: false, properties: { sessionExpiryInterval: 300 } };

export function clusterSuite(topology: Topology): void {
  let backends: Backends;
  let flock: Flock;
  const clients = new Clients();
  let A: FlockNode;
  let B: FlockNode;
  let C: FlockNode;

  beforeAll(async () => {
    backends = await startBackends(topology);
    flock = await startFlock(backends, 3, `${topology}-${process.pid}`);
    [A, B, C] = [flock.node(0), flock.node(1), flock.node(2)];
  }, 120_000);

  afterEach(async () => {
    await clients.closeAll();
    if (process.env.TEST_DUMP_NODE_LOGS) {
      for (const node of flock.nodes) console.log(`--- ${node.nodeId}\n${node.output().slice(-40).join('\n')}`);
    }
  });

  afterAll(async () => {
    await flock?.close();
    await backends?.close();
  }, 60_000);

  /** Brings a killed node back (same id, same port) so later tests have three nodes. */
  async function revive(node: FlockNode): Promise<void> {
    if (!node.running) await node.restart();
  }

  test(`cluster (${topology}) - a publish on A reaches subscribers on B and C at every QoS, through + and #, with its MQTT 5 properties`, async () => {
    const t = unique('fan');
    const pub = await clients.connect(A);
    const onB = await clients.connect(B);
    const onC = await clients.connect(C);
    const gotB = record(onB);
    const gotC = record(onC);
    await onB.subscribeAsync(`${t}/+/reading`, { qos: 2 });
    await onC.subscribeAsync(`${t}/#`, { qos: 2 });
    await waitForRoute(onB, `${t}/probe/reading`, [pub]);
    await waitForRoute(onC, `${t}/probe`, [pub]);

    const properties: mqtt.IClientPublishOptions['properties'] = {
      contentType: 'application/json',
      payloadFormatIndicator: true,
      responseTopic: `${t}/reply`,
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: { site: 'north', unit: 'c' },
    };
    for (const qos of [0, 1, 2] as const) {
      await pub.publishAsync(`${t}/s${qos}/reading`, `{"qos":${qos}}`, { qos, properties });
    }
    await waitFor(() => gotB.length === 3 && gotC.length === 3, {
      timeoutMs: 10_000,
      what: `3 messages on B and C (got ${gotB.length}, ${gotC.length})`,
    });
    for (const got of [gotB, gotC]) {
      expect(got.map((m) => [m.topic, m.payload, m.qos, m.retain])).toEqual(
        [0, 1, 2].map((qos) => [`${t}/s${qos}/reading`, `{"qos":${qos}}`, qos, false]),
      );
      for (const m of got) {
        expect(m.properties).toMatchObject({
          contentType: 'application/json',
          payloadFormatIndicator: true,
          responseTopic: `${t}/reply`,
          correlationData: Buffer.from([1, 2, 3]),
          userProperties: { site: 'north', unit: 'c' },
        });
      }
    }
  }, 60_000);

  test(`cluster (${topology}) - G6: a retained message set on A reaches a new subscriber on C; an empty one clears it`, async () => {
    const t = unique('retained');
    const pub = await clients.connect(A);
    await pub.publishAsync(`${t}/state`, 'on', { qos: 1, retain: true });

    const late = await clients.connect(C);
    const got = record(late);
    await late.subscribeAsync(`${t}/#`, { qos: 1 });
    await waitFor(() => got.length === 1, { what: 'the retained message on C' });
    expect(got[0]).toMatchObject({ topic: `${t}/state`, payload: 'on', qos: 1, retain: true });

    await pub.publishAsync(`${t}/state`, '', { qos: 1, retain: true });
    const later = await clients.connect(B);
    const after = record(later);
    const granted = await later.subscribeAsync(`${t}/#`, { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    // Nothing retained any more: a fresh publish is the first thing this subscriber sees.
    await waitForRoute(later, `${t}/probe`, [pub]);
    expect(after).toEqual([]);
  }, 60_000);

  test(`cluster (${topology}) - G4: a message crosses to a node once, however many of its clients subscribe`, async () => {
    const t = unique('g4');
    const pub = await clients.connect(A);
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => clients.connect(B)));
    const counts = subscribers.map((s) => record(s));
    for (const s of subscribers) await s.subscribeAsync(`${t}/#`, { qos: 1 });
    for (const s of subscribers) await waitForRoute(s, `${t}/probe`, [pub]);

    const messages = 200;
    const body = 'x'.repeat(1000);
    const toB = await natsBytesTo(backends, B.nodeId);
    const toC = await natsBytesTo(backends, C.nodeId);
    await Promise.all(
      Array.from({ length: messages }, (_, i) => pub.publishAsync(`${t}/m`, `${i}:${body}`, { qos: 1 })),
    );
    await waitFor(() => counts.every((c) => c.length === messages), {
      timeoutMs: 20_000,
      what: `${messages} messages at each of 5 subscribers on B`,
    });
    const carriedToB = (await natsBytesTo(backends, B.nodeId)) - toB;
    const carriedToC = (await natsBytesTo(backends, C.nodeId)) - toC;
    const payloadBytes = messages * body.length;
    // Once per node: at least every payload once, far from five times (framing and heartbeats are small).
    expect(carriedToB).toBeGreaterThanOrEqual(payloadBytes);
    expect(carriedToB).toBeLessThan(1.5 * payloadBytes);
    // C has no subscriber: the messages are not sent there at all.
    expect(carriedToC).toBeLessThan(payloadBytes / 10);
  }, 60_000);

  test(`cluster (${topology}) - G2: a session taken over on another node closes the old connection with 0x8E and resumes subscriptions and queued messages`, async () => {
    const t = unique('takeover');
    const clientId = unique('owner');
    const pub = await clients.connect(C);
    const first = await clients.connect(A, { clientId, ...PERSISTENT });
    await first.subscribeAsync(`${t}/#`, { qos: 1 });
    await waitForRoute(first, `${t}/probe`, [pub]);
    const disconnected = new Promise<number | undefined>((resolve) =>
      first.on('disconnect', (packet) => resolve(packet.reasonCode)),
    );

    const second = await clients.connect(B, { clientId, ...PERSISTENT });
    expect(await disconnected).toBe(0x8e);
    const got = record(second);
    await pub.publishAsync(`${t}/after`, 'resumed', { qos: 1 });
    await waitFor(() => got.some((m) => m.payload === 'resumed'), { what: 'the message at the new connection' });
  }, 60_000);

  test(`cluster (${topology}) - G2: 100 hops across 3 nodes under a QoS 1 stream lose no acknowledged message; each old connection gets 0x8E`, async () => {
    const t = unique('hops');
    const clientId = unique('hopper');
    const pub = await clients.connect(A);
    const received = new Set<string>();
    const onMessage = (_topic: string, payload: Buffer): void => void received.add(payload.toString());
    const takenOver: (number | undefined)[] = [];
    const hop = async (node: FlockNode): Promise<mqtt.MqttClient> => {
      const client = await clients.connect(node, { clientId, ...PERSISTENT }, onMessage);
      client.once('disconnect', (packet) => takenOver.push(packet.reasonCode));
      return client;
    };
    let current = await hop(A);
    await current.subscribeAsync(`${t}/#`, { qos: 1 });
    await waitForRoute(current, `${t}/probe`, [pub]);

    // The stream: QoS 1 publishes one after another from node A, bounded in count, until the hops end.
    const acked: string[] = [];
    let hopping = true;
    const stream = (async () => {
      for (let i = 0; hopping && i < 20_000; i++) {
        await pub.publishAsync(`${t}/m`, `s-${i}`, { qos: 1 });
        acked.push(`s-${i}`);
      }
    })();
    for (let n = 1; n <= 100; n++) {
      const old = current;
      current = await hop(flock.node(n % 3));
      // The old connection was closed by the takeover, not by us.
      await waitFor(() => !old.connected, { what: `hop ${n}: the old connection to close` });
    }
    hopping = false;
    await stream;
    expect(acked.length).toBeGreaterThan(100);
    await waitFor(() => acked.every((id) => received.has(id)), {
      timeoutMs: 20_000,
      what: `every acknowledged message delivered (missing ${acked.filter((id) => !received.has(id)).join(',')} of ${acked.length})`,
    });
    expect(takenOver).toEqual(Array.from({ length: 100 }, () => 0x8e));
  }, 120_000);

  test(`cluster (${topology}) - G2: two CONNECTs racing on two nodes leave exactly one connection, every time`, async () => {
    for (let round = 0; round < 10; round++) {
      const clientId = unique('racer');
      const connect = { clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
      const [onA, onB] = await Promise.all([RawClient.connect(A.port, connect), RawClient.connect(B.port, connect)]);
      try {
        // One of the two is told 0x8E and closed; which one depends on who claimed last.
        const loser = await Promise.race([
          onA.next('disconnect', 10_000).then((packet) => ({ client: onA, packet, winner: onB })),
          onB.next('disconnect', 10_000).then((packet) => ({ client: onB, packet, winner: onA })),
        ]);
        expect(loser.packet.reasonCode).toBe(0x8e);
        await loser.client.closed();
        // The winner still serves: a PINGREQ is answered, and it was never told to go.
        loser.winner.send({ type: 'pingreq' });
        await expect(loser.winner.next('pingresp')).resolves.toMatchObject({ type: 'pingresp' });
        expect(loser.winner.unread.filter((p) => p.type === 'disconnect')).toEqual([]);
      } finally {
        onA.destroy();
        onB.destroy();
      }
    }
  }, 120_000);

  test(`cluster (${topology}) - G3: a shared group spread over 3 nodes gets each message once, evenly (within 20%)`, async () => {
    const t = unique('shared');
    const group = `$share/workers/${t}/jobs/#`;
    const pub = await clients.connect(A);
    const members = [
      ...(await Promise.all([0, 1].map(() => clients.connect(A)))),
      ...(await Promise.all([0, 1].map(() => clients.connect(B)))),
      ...(await Promise.all([0, 1].map(() => clients.connect(C)))),
    ];
    const got = members.map((m) => record(m));
    for (const m of members) await m.subscribeAsync(group, { qos: 1 });
    // Each probe goes to one member: wait until every member, on every node, has been picked once.
    const seenBy = members.map(() => 0);
    members.forEach((m, i) =>
      m.on('message', (_topic, payload) => payload.toString().startsWith('probe-') && seenBy[i]!++),
    );
    await waitFor(
      async () => {
        await pub.publishAsync(`${t}/jobs/probe`, `probe-${Math.random()}`, { qos: 1 });
        return seenBy.every((n) => n > 0);
      },
      { timeoutMs: 15_000, what: 'every member to receive a probe' },
    );

    const total = 10_000;
    const batch = 500;
    for (let i = 0; i < total; i += batch) {
      await Promise.all(
        Array.from({ length: batch }, (_, j) =>
          pub.publishAsync(`${t}/jobs/${(i + j) % 7}`, `job-${i + j}`, { qos: 1 }),
        ),
      );
    }
    const sum = (): number => got.reduce((n, g) => n + g.length, 0);
    await waitFor(() => sum() >= total, { timeoutMs: 60_000, what: `${total} jobs delivered (got ${sum()})` });
    const all = got.flatMap((g) => g.map((m) => m.payload));
    expect(new Set(all).size).toBe(total);
    expect(all.length).toBe(total);
    const mean = total / members.length;
    for (const g of got) {
      expect(g.length).toBeGreaterThanOrEqual(0.8 * mean);
      expect(g.length).toBeLessThanOrEqual(1.2 * mean);
    }
  }, 180_000);

  test(`cluster (${topology}) - G3: QoS 1 messages a member leaves unacknowledged go to a member on another node`, async () => {
    const t = unique('shared-leave');
    const group = `$share/g/${t}`;
    const pub = await clients.connect(A);
    const silent = await RawClient.connect(B.port, { clientId: unique('silent'), properties: { receiveMaximum: 100 } });
    silent.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: group, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    } as never);
    await silent.next('suback');
    const steady = await clients.connect(C);
    const gotSteady = record(steady);
    await steady.subscribeAsync(group, { qos: 1 });

    // Publish until the silent member holds some messages it will never acknowledge.
    const held = new Set<string>();
    let n = 0;
    await waitFor(
      async () => {
        await pub.publishAsync(t, `m-${n++}`, { qos: 1 });
        for (const p of silent.unread) if (p.type === 'publish') held.add(Buffer.from(p.payload).toString());
        return held.size >= 5;
      },
      { timeoutMs: 15_000, what: 'the silent member to hold 5 messages' },
    );
    silent.destroy();
    await waitFor(() => [...held].every((id) => gotSteady.some((m) => m.payload === id)), {
      timeoutMs: 15_000,
      what: 'the messages the silent member held to reach the steady one',
    });
  }, 60_000);

  test(`cluster (${topology}) - G6: the will of a client on a SIGKILLed node is published`, async () => {
    const t = unique('will');
    const watcher = await clients.connect(C);
    const got = record(watcher);
    await watcher.subscribeAsync(`${t}/#`, { qos: 1 });
    const onB = await clients.connect(B, {
      will: { topic: `${t}/status`, payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    await waitForRoute(watcher, `${t}/probe`, [onB]);
    await B.kill();
    await waitFor(() => got.some((m) => m.topic === `${t}/status` && m.payload === 'gone'), {
      timeoutMs: 30_000,
      what: 'the will of the client on the killed node',
    });
    await revive(B);
  }, 90_000);

  test(`cluster (${topology}) - G1: a node SIGKILLed during a QoS 1 stream to persistent sessions loses no acknowledged message`, async () => {
    const t = unique('g1');
    const ids = [unique('durable'), unique('durable')];
    const received = ids.map(() => new Set<string>());
    const pub = await clients.connect(A);
    for (const [i, clientId] of ids.entries()) {
      const s = await clients.connect(B, { clientId, ...PERSISTENT }, (_topic, payload) =>
        received[i]!.add(payload.toString()),
      );
      await s.subscribeAsync(`${t}/#`, { qos: 1 });
      await waitForRoute(s, `${t}/probe`, [pub]);
    }
    const acked: string[] = [];
    const stream = (async () => {
      for (let i = 0; i < 1500; i++) {
        const id = `m-${i}`;
        try {
          await pub.publishAsync(`${t}/m`, id, { qos: 1 });
          acked.push(id);
        } catch {
          // Not acknowledged: the publisher would resend; not counted.
        }
      }
    })();
    await waitFor(() => acked.length >= 300, { timeoutMs: 20_000, what: '300 acknowledged messages' });
    await B.kill();
    await stream;

    await Promise.all(
      ids.map(async (clientId, i) => {
        const node = i === 0 ? C : A;
        await clients.connect(node, { clientId, ...PERSISTENT }, (_topic, payload) =>
          received[i]!.add(payload.toString()),
        );
      }),
    );
    for (const [i, got] of received.entries()) {
      await waitFor(() => acked.every((id) => got.has(id)), {
        timeoutMs: 30_000,
        what: `every acknowledged message at ${ids[i]} (missing ${acked.filter((id) => !got.has(id)).length} of ${acked.length})`,
      });
    }
    await revive(B);
  }, 120_000);
}
