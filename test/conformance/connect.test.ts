/** CONNECT and CONNACK (MQTT 5.0 §3.1, §3.2; MQTT 3.1.1 §3.1, §3.2; MQTT 3.1 "MQIsdp"). */
import { encodePacket } from '@flockmq/protocol';
import type { AuthenticateRequest } from '@flockmq/broker';
import { FakeClock, waitFor } from '@flockmq/testkit';
import {
  connectBytes,
  connectPacket,
  expectConnectRefused,
  expectClosedSilently,
  expectDisconnect,
  expectServing,
  ping,
  publish,
  sub,
  subscribe,
  uniqueId,
  useWorlds,
} from './helpers';

const start = useWorlds();

describe('first packet and repeated CONNECT', () => {
  test.each([5, 4] as const)(
    'connect - [MQTT-3.1.0-1] a first packet other than CONNECT closes the connection without CONNACK (level %i)',
    async (version) => {
      const w = await start();
      const c = await w.open(version);
      c.send({ type: 'pingreq' });
      await expectClosedSilently(c);
      await expectServing(w);
    },
  );

  test('connect - [MQTT-3.1.0-1] a PUBLISH before CONNECT is not routed and closes the connection', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('first/packet', 0));
    const c = await w.open(5);
    c.sendBytes(
      Buffer.concat([Buffer.from([0x30, 0x0f]), Buffer.from('\u0000\u000cfirst/packet'), Buffer.from([0x68])]),
    );
    await expectClosedSilently(c);
    await publish(await w.raw(), 'first/packet', 'marker');
    expect((await subscriber.next('publish')).payload.toString()).toBe('marker');
  });

  test('connect - [MQTT-3.1.0-2] [MQTT-3.2.0-2] a second CONNECT is a protocol error: DISCONNECT 0x82, no second CONNACK', async () => {
    const w = await start();
    const c = await w.raw();
    c.send(connectPacket());
    await expectDisconnect(c, 0x82);
    expect(c.unread.filter((p) => p.type === 'connack')).toEqual([]);
    await expectServing(w);
  });

  test('connect - [MQTT-3.1.0-2 (3.1.1)] a second CONNECT closes a 3.1.1 connection without any packet', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.send(connectPacket({ protocolVersion: 4 }));
    await expectClosedSilently(c);
  });
});

describe('protocol name, level and flags', () => {
  test.each([0, 1, 2, 6, 255])(
    'connect - [MQTT-3.1.2-2] [MQTT-3.1.2-2 (3.1.1)] unsupported protocol level %i gets CONNACK 0x01 in the 3.1.1 format, then the connection is closed',
    async (level) => {
      const w = await start();
      const c = await w.open(4);
      c.sendBytes(connectBytes({ level }));
      const connack = await c.next('connack');
      expect(connack).toMatchObject({ sessionPresent: false, reasonCode: 0x01 });
      await c.closed();
      expect(c.decodeError).toBeUndefined();
    },
  );

  test.each([
    ['MQTX', 4],
    ['MQTX', 5],
    ['mqtt', 4],
    ['MQTT', 3],
    ['MQIsdp', 4],
    ['MQIsdp', 5],
  ])(
    'connect - [MQTT-3.1.2-1] [MQTT-3.1.2-1 (3.1.1)] protocol name %s with level %i is not accepted: the connection is closed without a successful CONNACK',
    async (protocolName, level) => {
      const w = await start();
      const c = await w.open(4);
      c.sendBytes(connectBytes({ protocolName, level }));
      await c.closed();
      expect(c.unread.filter((p) => p.type === 'connack' && p.reasonCode === 0)).toEqual([]);
      expect(c.unread.filter((p) => p.type !== 'connack')).toEqual([]);
    },
  );

  test.each([3, 4, 5])(
    'connect - [MQTT-3.1.2-3] [MQTT-3.1.2-3 (3.1.1)] the reserved CONNECT flag set closes the connection without CONNACK (level %i)',
    async (level) => {
      const w = await start();
      const c = await w.open(level as 3 | 4 | 5);
      c.sendBytes(connectBytes({ level, protocolName: level === 3 ? 'MQIsdp' : 'MQTT', flags: 0x03 }));
      await expectConnectRefused(c);
      await expectServing(w);
    },
  );

  test.each([
    ['[MQTT-3.1.2-11] [MQTT-3.1.2-13 (3.1.1)] will QoS 1 without the will flag', 0x0a],
    ['[MQTT-3.1.2-13] [MQTT-3.1.2-15 (3.1.1)] will retain without the will flag', 0x22],
  ])('connect - %s is malformed: closed without CONNACK', async (_name, flags) => {
    for (const level of [4, 5]) {
      const w = await start();
      const c = await w.open(level as 4 | 5);
      c.sendBytes(connectBytes({ level, flags }));
      await expectConnectRefused(c);
    }
  });

  test('connect - [MQTT-3.1.2-12] [MQTT-3.1.2-14 (3.1.1)] will QoS 3 is malformed: closed without CONNACK', async () => {
    const w = await start();
    const c = await w.open(4);
    // Will flag + will QoS 3 + clean session, then will topic and payload.
    c.sendBytes(connectBytes({ level: 4, flags: 0x1e, payload: [Buffer.from([0, 1, 0x77, 0, 0])] }));
    await expectConnectRefused(c);
  });

  test('connect - [MQTT-3.1.3-4] [MQTT-1.5.4-1] a client identifier that is not valid UTF-8 closes the connection without CONNACK', async () => {
    const w = await start();
    const c = await w.open(5);
    c.sendBytes(connectBytes({ level: 5, clientId: Buffer.from([0x61, 0xc3, 0x28]) }));
    await expectConnectRefused(c);
  });

  test('connect - [MQTT-3.1.2-22 (3.1.1)] a password without a user name closes a 3.1.1 connection without CONNACK', async () => {
    const w = await start();
    const c = await w.open(4);
    c.sendBytes(connectBytes({ level: 4, flags: 0x42, payload: [Buffer.from([0, 2, 0x70, 0x77])] }));
    await expectConnectRefused(c);
  });

  test('connect - [§3.1.2.9] MQTT 5 accepts a password without a user name', async () => {
    const w = await start();
    const { connack } = await w.connect({ password: Buffer.from('secret') });
    expect(connack.reasonCode).toBe(0);
  });
});

describe('client identifier', () => {
  test('connect - [MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16] an empty client id gets a unique Assigned Client Identifier', async () => {
    const w = await start();
    const first = await w.connect({ clientId: '' });
    const second = await w.connect({ clientId: '' });
    const a = first.connack.properties?.assignedClientIdentifier;
    const b = second.connack.properties?.assignedClientIdentifier;
    expect(first.connack.reasonCode).toBe(0);
    expect(a).toEqual(expect.any(String));
    expect(a!.length).toBeGreaterThan(0);
    expect(b).toEqual(expect.any(String));
    expect(a).not.toBe(b);
    // [MQTT-3.1.3-7] processed as if the client had sent that id: the broker knows both.
    expect(w.node.channel(a!)).toBeDefined();
    expect(w.node.channel(b!)).toBeDefined();
  });

  test('connect - [MQTT-3.2.2-16] a client that sends its own client id gets no Assigned Client Identifier', async () => {
    const w = await start();
    const { connack } = await w.connect({ clientId: 'own-id' });
    expect(connack.properties?.assignedClientIdentifier).toBeUndefined();
  });

  test('connect - [MQTT-3.1.3-6 (3.1.1)] a 3.1.1 empty client id with clean session 1 is accepted', async () => {
    const w = await start();
    const { client, connack } = await w.connect({ protocolVersion: 4, clientId: '', clean: true });
    expect(connack).toMatchObject({ reasonCode: 0, sessionPresent: false });
    await ping(client);
  });

  test('connect - [MQTT-3.1.3-8 (3.1.1)] a 3.1.1 empty client id with clean session 0 gets CONNACK 0x02 and is closed', async () => {
    const w = await start();
    const { client, connack } = await w.connect({ protocolVersion: 4, clientId: '', clean: false });
    expect(connack).toMatchObject({ reasonCode: 0x02, sessionPresent: false });
    await client.closed();
  });

  test.each([true, false])(
    'connect - [§3.1 MQTT 3.1] an MQIsdp empty client id gets CONNACK 0x02 (identifier rejected), clean session %s',
    async (clean) => {
      const w = await start();
      const { client, connack } = await w.connect({ protocolVersion: 3, clientId: '', clean });
      expect(connack).toMatchObject({ reasonCode: 0x02, sessionPresent: false });
      await client.closed();
    },
  );

  test.each([3, 4, 5] as const)(
    'connect - [MQTT-3.1.3-5] [MQTT-3.1.3-5 (3.1.1)] a 23-character alphanumeric client id is accepted (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const { connack } = await w.connect({ protocolVersion, clientId: 'abcdefghijklmnopqrstuvW' });
      expect(connack.reasonCode).toBe(0);
    },
  );

  test('connect - [MQTT-3.1.3-8] [MQTT-3.1.3-9 (3.1.1)] a rejected client id gets 0x85 (MQTT 5) or 0x02 (3.1.1) and the connection is closed', async () => {
    const w = await start({ limits: { maxClientIdLength: 30 } });
    const v5 = await w.connect({ clientId: 'x'.repeat(31) });
    expect(v5.connack).toMatchObject({ reasonCode: 0x85, sessionPresent: false });
    await v5.client.closed();
    const v4 = await w.connect({ protocolVersion: 4, clientId: 'x'.repeat(31) });
    expect(v4.connack).toMatchObject({ reasonCode: 0x02, sessionPresent: false });
    await v4.client.closed();
  });
});

describe('CONNACK properties', () => {
  test('connect - [§3.2.2.3] CONNACK advertises Receive Maximum, Maximum Packet Size and Topic Alias Maximum from the limits', async () => {
    const w = await start({ limits: { receiveMaximum: 7, maxPacketSize: 4096, topicAliasMaximum: 5 } });
    const { connack } = await w.connect();
    expect(connack.properties).toMatchObject({ receiveMaximum: 7, maximumPacketSize: 4096, topicAliasMaximum: 5 });
  });

  test('connect - [MQTT-3.2.2-9] a broker without QoS 2 sends Maximum QoS in CONNACK', async () => {
    const w = await start({ limits: { maxQoS: 1 } });
    const { connack } = await w.connect();
    expect(connack.properties?.maximumQoS).toBe(1);
  });

  test('connect - [§3.2.2.3.5] [§3.2.2.3.11] [§3.2.2.3.12] [§3.2.2.3.13] unavailable features are advertised as 0', async () => {
    const w = await start({
      limits: {
        retainAvailable: false,
        wildcardSubscriptionAvailable: false,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: false,
      },
    });
    const { connack } = await w.connect();
    expect(connack.properties).toMatchObject({
      retainAvailable: 0,
      wildcardSubscriptionAvailable: 0,
      subscriptionIdentifiersAvailable: 0,
      sharedSubscriptionAvailable: 0,
    });
  });

  test.each([
    [100, 30],
    [0, 30],
  ])(
    'connect - [MQTT-3.2.2-21] with a maximum keep alive of 30 s a client asking for %i s gets Server Keep Alive %i',
    async (keepAlive, expected) => {
      const w = await start({ limits: { maxKeepAlive: 30 } });
      const { connack } = await w.connect({ keepAlive });
      expect(connack.properties?.serverKeepAlive).toBe(expected);
    },
  );

  test('connect - [MQTT-3.2.2-22] a keep alive within the maximum is kept: no Server Keep Alive', async () => {
    const w = await start({ limits: { maxKeepAlive: 30 } });
    const { connack } = await w.connect({ keepAlive: 20 });
    expect(connack.properties?.serverKeepAlive).toBeUndefined();
  });

  test('connect - [§3.2.2.3.2] a Session Expiry Interval above the maximum is lowered and the granted value sent in CONNACK', async () => {
    const w = await start({ limits: { maxSessionExpiryInterval: 60 } });
    const { connack } = await w.connect({ properties: { sessionExpiryInterval: 3600 } });
    expect(connack.properties?.sessionExpiryInterval).toBe(60);
  });

  test('connect - [MQTT-4.12.0-6] [MQTT-3.1.2-28] without an authentication method or with Request Response Information 0 the CONNACK has neither', async () => {
    const w = await start();
    const { connack } = await w.connect({ properties: { requestResponseInformation: 0 } });
    expect(connack.properties?.authenticationMethod).toBeUndefined();
    expect(connack.properties?.responseInformation).toBeUndefined();
  });

  test('connect - [§3.2] a 3.1.1 CONNACK carries no properties', async () => {
    const w = await start();
    const { connack } = await w.connect({ protocolVersion: 4 });
    expect(connack).toMatchObject({ reasonCode: 0, sessionPresent: false });
    expect(connack.properties).toBeUndefined();
  });
});

describe('authentication', () => {
  const refuseBad = (reasonCode: number) => ({
    authenticate: (request: AuthenticateRequest) =>
      request.username === 'bad'
        ? { ok: false as const, reasonCode, reason: 'refused by test' }
        : { ok: true as const },
  });

  test.each([
    ['0x86', 0x86],
    ['0x87', 0x87],
  ])(
    'connect - [MQTT-3.1.4-2] [MQTT-3.2.2-6] [MQTT-3.2.2-7] an authentication refusal gets CONNACK %s with Session Present 0, then the connection is closed',
    async (_hex, code) => {
      const w = await start({ hooks: refuseBad(code) });
      const { client, connack } = await w.connect({ username: 'bad', password: Buffer.from('pw') });
      expect(connack).toMatchObject({ reasonCode: code, sessionPresent: false });
      await client.closed();
      await expectServing(w);
    },
  );

  test.each([
    ['0x86', 0x86, 4, 0x04],
    ['0x87', 0x87, 4, 0x05],
    ['0x86', 0x86, 3, 0x04],
    ['0x87', 0x87, 3, 0x05],
  ] as const)(
    'connect - [MQTT-3.2.2-4 (3.1.1)] [MQTT-3.2.2-5 (3.1.1)] refusal %s at level %i gets return code %i and the connection is closed',
    async (_hex, code, protocolVersion, expected) => {
      const w = await start({ hooks: refuseBad(code) });
      const { client, connack } = await w.connect({ protocolVersion, username: 'bad', password: Buffer.from('pw') });
      expect(connack).toMatchObject({ reasonCode: expected, sessionPresent: false });
      await client.closed();
    },
  );

  test('connect - [MQTT-3.1.4-2] the authentication hook sees the client id, user name and password', async () => {
    const seen: AuthenticateRequest[] = [];
    const w = await start({ hooks: { authenticate: (r) => (seen.push(r), { ok: true }) } });
    await w.lib({ protocolVersion: 5, clientId: 'hooked', username: 'alice', password: 'pw5' });
    await w.lib({ protocolVersion: 4, clientId: 'hooked4', username: 'bob', password: 'pw4' });
    expect(seen.map((r) => [r.clientId, r.username, r.password?.toString(), r.protocolVersion])).toEqual([
      ['hooked', 'alice', 'pw5', 5],
      ['hooked4', 'bob', 'pw4', 4],
    ]);
  });

  test('connect - [MQTT-3.1.4-6] [MQTT-3.1.4-5 (3.1.1)] packets after a refused CONNECT are not processed', async () => {
    const w = await start({ hooks: refuseBad(0x87) });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('refused/topic', 1));
    const c = await w.open(5);
    c.sendBytes(
      Buffer.concat([
        encodePacket(connectPacket({ username: 'bad' }), 5),
        encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [sub('refused/#', 1)] }, 5),
        encodePacket(
          {
            type: 'publish',
            topic: 'refused/topic',
            payload: Buffer.from('x'),
            qos: 1,
            retain: false,
            dup: false,
            packetId: 2,
          },
          5,
        ),
      ]),
    );
    expect((await c.next('connack')).reasonCode).toBe(0x87);
    await c.closed();
    expect(c.unread.map((p) => p.type)).toEqual([]);
    await publish(await w.raw(), 'refused/topic', 'marker', { qos: 1 });
    expect((await subscriber.next('publish')).payload.toString()).toBe('marker');
  });

  test('connect - [MQTT-4.12.0-1] an unsupported Authentication Method gets CONNACK 0x8C and the connection is closed', async () => {
    const w = await start();
    const { client, connack } = await w.connect({ properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    expect(connack).toMatchObject({ reasonCode: 0x8c, sessionPresent: false });
    await client.closed();
  });
});

describe('connect timeout and transports', () => {
  test('connect - [§3.1.4] a connection that sends no CONNECT within the connect timeout is closed', async () => {
    const clock = new FakeClock();
    const w = await start({ clock, limits: { connectTimeout: 10 } });
    const idle = await w.open(5);
    const late = await w.open(5);
    await waitFor(() => w.node.connectionCount === 2);
    clock.advance(9_999);
    late.send(connectPacket());
    expect((await late.next('connack')).reasonCode).toBe(0);
    clock.advance(1);
    await expectClosedSilently(idle);
    await ping(late);
  });

  test.each([4, 5] as const)(
    'connect - [MQTT-3.1.4-5] [MQTT-3.1.4-4 (3.1.1)] MQTT.js connects at protocol level %i and round-trips a message',
    async (protocolVersion) => {
      const w = await start();
      const client = await w.lib({ protocolVersion });
      const topic = `lib/${uniqueId()}`;
      await client.subscribeAsync(topic, { qos: 1 });
      const got = new Promise<string>((resolve) => client.on('message', (_t, payload) => resolve(payload.toString())));
      await client.publishAsync(topic, 'hello', { qos: 1 });
      expect(await got).toBe('hello');
    },
  );

  test('connect - [§6] [MQTT-6.0.0-4] MQTT over WebSocket: an MQTT.js client connects on the ws listener and exchanges messages with a TCP client', async () => {
    const w = await start();
    const ws = await w.lib({ protocolVersion: 5 }, w.broker.wsUrl);
    const tcp = await w.raw();
    await ws.subscribeAsync('ws/topic', { qos: 1 });
    const got = new Promise<string>((resolve) => ws.on('message', (_t, payload) => resolve(payload.toString())));
    await publish(tcp, 'ws/topic', 'over websocket', { qos: 1 });
    expect(await got).toBe('over websocket');
    await subscribe(tcp, sub('ws/back', 1));
    await ws.publishAsync('ws/back', 'to tcp', { qos: 1 });
    expect((await tcp.next('publish')).payload.toString()).toBe('to tcp');
  });
});
