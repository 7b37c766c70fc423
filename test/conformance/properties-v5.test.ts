/** MQTT 5 properties on the wire, end to end (MQTT 5.0 §2.2.2, §3.1.2.11, §3.3.2.3). */
import type { Properties, QoS } from '@flockmq/protocol';
import {
  ack,
  connectPacket,
  expectDisconnect,
  expectNoPublish,
  expectServing,
  frame,
  ping,
  publish,
  publishPacket,
  publishes,
  strBytes,
  sub,
  subscribe,
  unsubscribe,
  uniqueId,
  useWorlds,
  persistent,
  leave,
  varint,
} from './helpers';

const start = useWorlds();

const application: Properties = {
  payloadFormatIndicator: 1,
  contentType: 'application/json; charset=utf-8',
  responseTopic: 'reply/to/me',
  correlationData: Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x00]),
  userProperties: [
    ['b', '2'],
    ['a', '1'],
    ['a', '1'],
    ['a', 'other'],
    ['', ''],
    ['ünï', 'cødé'],
  ],
};

function expectApplicationProperties(properties: Properties | undefined): void {
  expect(properties?.payloadFormatIndicator).toBe(1);
  expect(properties?.contentType).toBe(application.contentType);
  expect(properties?.responseTopic).toBe(application.responseTopic);
  expect(Buffer.compare(properties!.correlationData!, application.correlationData!)).toBe(0);
  // [MQTT-3.3.2-17] [MQTT-3.3.2-18] every user property, duplicates included, in order.
  expect(properties?.userProperties).toEqual(application.userProperties);
}

describe('application message properties', () => {
  test.each([0, 1, 2] as const)(
    'properties - [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] payload format, content type, response topic, correlation data and user properties reach every subscriber unaltered (QoS %i)',
    async (qos: QoS) => {
      const w = await start();
      const a = await w.raw();
      const b = await w.raw();
      await subscribe(a, sub('p/app', 2));
      await subscribe(b, sub('p/+', qos));
      await publish(await w.raw(), 'p/app', '{"ok":true}', { qos, properties: application });
      for (const c of [a, b]) {
        const p = await c.next('publish');
        expectApplicationProperties(p.properties);
        expect(p.payload.toString()).toBe('{"ok":true}');
      }
    },
  );

  test('properties - [MQTT-3.3.2-4] a Payload Format Indicator of 0 is forwarded as sent', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('p/pfi', 1));
    await publish(await w.raw(), 'p/pfi', Buffer.from([0xff, 0xfe]), {
      qos: 1,
      properties: { payloadFormatIndicator: 0 },
    });
    expect((await c.next('publish')).properties?.payloadFormatIndicator).toBe(0);
  });

  test('properties - [MQTT-3.3.2-17] [MQTT-3.3.2-18] properties are kept on retained messages and on messages queued for an offline session', async () => {
    const w = await start();
    const publisher = await w.raw();
    await publish(publisher, 'p/kept/retained', 'r', { qos: 1, retain: true, properties: application });
    const clientId = uniqueId('props');
    const offline = await persistent(w, clientId);
    await subscribe(offline, sub('p/kept/queued', 1));
    await leave(w, offline, clientId);
    await publish(publisher, 'p/kept/queued', 'q', { qos: 1, properties: application });

    const retained = await w.raw();
    await subscribe(retained, sub('p/kept/retained', 1));
    expectApplicationProperties((await retained.next('publish')).properties);
    const back = await persistent(w, clientId);
    expectApplicationProperties((await back.next('publish')).properties);
  });

  test('properties - [§3.3.2.3] a 3.1.1 subscriber receives an MQTT 5 message with its properties left out', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    await subscribe(c, sub('p/old', 1));
    await publish(await w.raw(), 'p/old', 'payload', { qos: 1, properties: application });
    const p = await c.next('publish');
    expect(p.payload.toString()).toBe('payload');
    expect(p.properties).toBeUndefined();
    expect(c.decodeError).toBeUndefined();
  });

  test('properties - [§3.3.2.3.2] a payload declared UTF-8 that is not valid UTF-8 gets PUBACK 0x99 and is not delivered', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('p/utf8', 1));
    const publisher = await w.raw();
    const ackPacket = await publish(publisher, 'p/utf8', Buffer.from([0x61, 0xc3]), {
      qos: 1,
      properties: { payloadFormatIndicator: 1 },
    });
    expect(ackPacket?.reasonCode).toBe(0x99);
    await publish(publisher, 'p/utf8', 'valid-ü', { qos: 1, properties: { payloadFormatIndicator: 1 } });
    expect((await c.next('publish')).payload.toString()).toBe('valid-ü');
  });
});

describe('properties a client must not send', () => {
  test('properties - [MQTT-3.3.4-6] a PUBLISH from a client carrying a Subscription Identifier is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const watcher = await w.raw();
    await subscribe(watcher, sub('p/subid', 1));
    const c = await w.raw();
    c.sendBytes(frame(0x32, strBytes('p/subid'), [0, 1], [2, 0x0b, 7], Buffer.from('x')));
    await expectDisconnect(c, 0x82);
    await expectNoPublish(watcher);
  });

  test('properties - [MQTT-3.3.2-14] a Response Topic with a wildcard is refused with DISCONNECT', async () => {
    const w = await start();
    const c = await w.raw();
    c.send(publishPacket(c, 'p/rt', 'x', { qos: 1, properties: { responseTopic: 'reply/#' } }));
    await expectDisconnect(c, [0x82, 0x90]);
  });

  test.each([
    ['[MQTT-3.3.2-13] a Response Topic', 0x08],
    ['[MQTT-3.3.2-19] a Content Type', 0x03],
  ])('properties - %s that is not valid UTF-8 is malformed: DISCONNECT 0x81', async (_name, id) => {
    const w = await start();
    const c = await w.raw();
    const bad = Buffer.from([id, 0, 2, 0xc3, 0x28]);
    c.sendBytes(frame(0x30, strBytes('p/bad'), varint(bad.length), bad, Buffer.from('x')));
    await expectDisconnect(c, 0x81);
    await expectServing(w);
  });

  test.each([
    ['name', 'ill-formed UTF-8', [0xc3, 0x28], [0x6b]],
    ['value', 'ill-formed UTF-8', [0x6b], [0xc3, 0x28]],
    ['name', 'U+0000', [0x6b, 0x00], [0x6b]],
    ['value', 'an encoded surrogate', [0x6b], [0xed, 0xa0, 0x80]],
  ])(
    'properties - [MQTT-1.5.7-1] a User Property whose %s is %s is malformed: DISCONNECT 0x81, not delivered',
    async (_part, _what, name, value) => {
      const w = await start();
      const watcher = await w.raw();
      await subscribe(watcher, sub('p/pair', 0));
      const c = await w.raw();
      const pair = Buffer.concat([Buffer.from([0x26]), strBytes(name), strBytes(value)]);
      c.sendBytes(frame(0x30, strBytes('p/pair'), varint(pair.length), pair, Buffer.from('x')));
      await expectDisconnect(c, 0x81);
      await expectNoPublish(watcher);
    },
  );

  test('properties - [§2.2.2.2] [§3.3.2.3.9] a property given twice where only one is allowed is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const c = await w.raw();
    const twice = Buffer.concat([Buffer.from([0x03]), strBytes('a'), Buffer.from([0x03]), strBytes('b')]);
    c.sendBytes(frame(0x30, strBytes('p/dup'), varint(twice.length), twice, Buffer.from('x')));
    await expectDisconnect(c, 0x82);
  });

  test('properties - [§2.2.2.2] a property that does not belong to PUBLISH (Session Expiry Interval) is refused with DISCONNECT', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0x30, strBytes('p/wrong'), [5, 0x11, 0, 0, 0, 1], Buffer.from('x')));
    await expectDisconnect(c, [0x81, 0x82]);
  });

  test('properties - [§2.2.2.2] an unknown property identifier is malformed: DISCONNECT 0x81', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0x30, strBytes('p/unknown'), [2, 0x7f, 0], Buffer.from('x')));
    await expectDisconnect(c, 0x81);
  });

  test('properties - [§2.2.2.2] user properties on CONNECT, SUBSCRIBE, UNSUBSCRIBE and acks are accepted', async () => {
    const w = await start();
    const userProperties: [string, string][] = [['k', 'v']];
    const c = await w.raw({ properties: { userProperties } });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('p/up', 1)], properties: { userProperties } });
    await c.next('suback');
    await publish(await w.raw(), 'p/up', 'x', { qos: 1 });
    const p = await c.next('publish');
    c.send({ type: 'puback', packetId: p.packetId!, reasonCode: 0, properties: { userProperties } });
    c.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['p/up'], properties: { userProperties } });
    await c.next('unsuback');
    await ping(c);
  });
});

describe('property length', () => {
  test('properties - [MQTT-2.2.2-1] SUBACK, PUBLISH and UNSUBACK without properties carry a Property Length of 0', async () => {
    const w = await start();
    const c = await w.bytes();
    c.send(connectPacket(), 5);
    expect((await c.packet())[0]).toBe(0x20);
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('p/len', 1)] }, 5);
    // packet id 1, property length 0, granted QoS 1
    expect([...(await c.packet())]).toEqual([0x90, 0x04, 0x00, 0x01, 0x00, 0x01]);
    const publisher = await w.raw();
    await publish(publisher, 'p/len', 'hi');
    // topic "p/len", property length 0, payload "hi"
    expect([...(await c.packet())]).toEqual([
      0x30,
      0x0a,
      0x00,
      0x05,
      ...Buffer.from('p/len'),
      0x00,
      ...Buffer.from('hi'),
    ]);
    await publish(publisher, 'p/len', 'hi', { qos: 1 });
    const qos1 = await c.packet();
    // topic "p/len", a packet id, property length 0, payload "hi"
    expect([...qos1.subarray(0, 9)]).toEqual([0x32, 0x0c, 0x00, 0x05, ...Buffer.from('p/len')]);
    expect([...qos1.subarray(11)]).toEqual([0x00, ...Buffer.from('hi')]);
    c.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['p/len'] }, 5);
    // packet id 2, property length 0, reason code 0x00
    expect([...(await c.packet())]).toEqual([0xb0, 0x04, 0x00, 0x02, 0x00, 0x00]);
  });
});

describe('Request Problem Information and Maximum Packet Size', () => {
  test('properties - [MQTT-3.1.2-29] with Request Problem Information 0 no reason string or user property is sent on PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK', async () => {
    const w = await start();
    const c = await w.raw({ properties: { requestProblemInformation: 0 } });
    const acks = [
      await publish(c, '$SYS/x', 'x', { qos: 1 }),
      await publish(c, '$SYS/x', 'x', { qos: 2 }),
      await publish(c, 'p/nobody', 'x', { qos: 1 }),
    ];
    c.send({ type: 'pubrel', packetId: 999 });
    const pubcomp = await c.next('pubcomp');
    const suback = await subscribe(c, [sub('p/#/bad', 1), sub('$share/g+/x', 1)]);
    const unsuback = await unsubscribe(c, ['p/none', 'p/#/bad']);
    expect(acks.map((a) => a?.reasonCode)).toEqual([0x87, 0x87, 0x10]);
    expect(pubcomp.reasonCode).toBe(0x92);
    expect(suback.reasonCodes).toEqual([0x8f, 0x8f]);
    expect(unsuback.reasonCodes).toEqual([0x11, 0x8f]);
    for (const packet of [...acks, pubcomp, suback, unsuback]) {
      expect(packet?.properties?.reasonString).toBeUndefined();
      expect(packet?.properties?.userProperties).toBeUndefined();
    }
  });

  test("properties - [MQTT-3.1.2-24] [MQTT-3.1.2-25] a message larger than the client's Maximum Packet Size is not sent to it, and counts as delivered", async () => {
    const w = await start();
    const small = await w.raw({ properties: { maximumPacketSize: 200, receiveMaximum: 1 } });
    const large = await w.raw();
    await subscribe(small, sub('p/size/#', 1));
    await subscribe(large, sub('p/size/#', 1));
    const publisher = await w.raw();
    await publish(publisher, 'p/size/big', Buffer.alloc(500, 0x61), { qos: 1 });
    await publish(publisher, 'p/size/small', 'fits', { qos: 1 });
    // The large client gets both; the small one only the one that fits, although its window is 1.
    expect((await publishes(large, 2)).map((p) => p.topic)).toEqual(['p/size/big', 'p/size/small']);
    const p = await small.next('publish');
    expect(p.topic).toBe('p/size/small');
    await ack(small, p);
    await expectNoPublish(small);
  });
});
