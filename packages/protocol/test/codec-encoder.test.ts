/** encodePacket: level-specific omissions, short forms, stable order, programmer errors. */
import { encodePacket } from '../src/codec/encoder';
import { FlockError } from '../src/errors';
import type { Packet, ProtocolVersion, PublishPacket } from '../src/packets';
import { decodeOne, pkt, props, str, u16, u32 } from './codec-support';

const hex = (p: Packet, level: ProtocolVersion): string => encodePacket(p, level).toString('hex');

function expectEncodeError(p: Packet, level: ProtocolVersion): void {
  let thrown: unknown;
  try {
    encodePacket(p, level);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(FlockError);
  expect((thrown as FlockError).code).toBe('FLOCK_ERR_MALFORMED_PACKET');
}

describe('codec - encoder omits 5.0-only fields for levels 3 and 4', () => {
  test.each([3, 4] as const)('codec - PUBLISH properties are dropped at level %d', (level) => {
    const p: Packet = {
      type: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { contentType: 'c' },
    };
    expect(hex(p, level)).toBe(pkt(0x30, str('t'), 'x').toString('hex'));
  });

  test.each(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const)(
    'codec - %s reason code and properties are dropped at level 4',
    (type) => {
      const bytes = encodePacket({ type, packetId: 7, reasonCode: 0x80, properties: { reasonString: 'r' } }, 4);
      expect(bytes.subarray(1).toString('hex')).toBe('020007');
    },
  );

  test('codec - CONNACK at level 4 is session present + return code', () => {
    expect(hex({ type: 'connack', sessionPresent: true, reasonCode: 0, properties: { receiveMaximum: 5 } }, 4)).toBe(
      '20020100',
    );
  });

  test('codec - SUBSCRIBE options beyond QoS are dropped at level 4', () => {
    const p: Packet = {
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'a', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 }],
      properties: { subscriptionIdentifiers: [3] },
    };
    expect(hex(p, 4)).toBe(pkt(0x82, u16(1), str('a'), 1).toString('hex'));
  });

  test('codec - UNSUBACK reason codes and DISCONNECT reason code are dropped at level 4', () => {
    expect(hex({ type: 'unsuback', packetId: 2, reasonCodes: [0x11], properties: { reasonString: 'x' } }, 4)).toBe(
      'b0020002',
    );
    expect(hex({ type: 'disconnect', reasonCode: 0x04, properties: { reasonString: 'x' } }, 4)).toBe('e000');
  });

  test('codec - AUTH does not exist before 5.0', () => {
    expectEncodeError({ type: 'auth', reasonCode: 0 }, 4);
  });
});

describe('codec - encoder short forms at level 5', () => {
  test('codec - §3.4.2.1 an ack with reason 0 and no properties is two bytes of packet id', () => {
    expect(hex({ type: 'puback', packetId: 1 }, 5)).toBe('40020001');
    expect(hex({ type: 'pubrel', packetId: 1, reasonCode: 0, properties: {} }, 5)).toBe('62020001');
    expect(hex({ type: 'pubcomp', packetId: 1, reasonCode: 0, properties: { userProperties: [] } }, 5)).toBe(
      '70020001',
    );
  });

  test('codec - §3.4.2.1 an ack with a reason code and no properties omits the Property Length', () => {
    expect(hex({ type: 'pubrec', packetId: 1, reasonCode: 0x10 }, 5)).toBe('5003000110');
  });

  test('codec - §3.14.2.1 DISCONNECT with reason 0 and no properties is empty, with a reason only one byte', () => {
    expect(hex({ type: 'disconnect' }, 5)).toBe('e000');
    expect(hex({ type: 'disconnect', reasonCode: 0x8e }, 5)).toBe('e0018e');
  });

  test('codec - §3.15.2.1 AUTH with reason 0 and no properties is empty; with a reason it keeps the Property Length', () => {
    expect(hex({ type: 'auth' }, 5)).toBe('f000');
    expect(hex({ type: 'auth', reasonCode: 0x18 }, 5)).toBe('f0021800');
  });

  test('codec - an ack with properties of 128+ bytes gets a two-byte remaining length', () => {
    const p: Packet = { type: 'puback', packetId: 1, reasonCode: 0x80, properties: { reasonString: 'r'.repeat(200) } };
    const bytes = encodePacket(p, 5);
    expect(bytes[1]! & 0x80).toBe(0x80);
    expect(decodeOne(bytes, 5)).toEqual(p);
  });
});

describe('codec - encoder layout', () => {
  test('codec - PUBLISH QoS 0 carries no packet id even when one is given', () => {
    const p: PublishPacket = {
      type: 'publish',
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      packetId: 5,
    };
    expect(hex(p, 4)).toBe(pkt(0x30, str('t')).toString('hex'));
  });

  test('codec - properties are written in identifier order whatever the key order', () => {
    const a = encodePacket(
      { type: 'disconnect', reasonCode: 0, properties: { reasonString: 'r', sessionExpiryInterval: 1 } },
      5,
    );
    const b = encodePacket(
      { type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 1, reasonString: 'r' } },
      5,
    );
    expect(a.toString('hex')).toBe(b.toString('hex'));
    expect(a.toString('hex')).toBe(pkt(0xe0, 0, props([0x11, u32(1)], [0x1f, str('r')])).toString('hex'));
  });

  test('codec - user properties keep their given order', () => {
    const userProperties: Array<[string, string]> = [
      ['z', '1'],
      ['a', '2'],
      ['z', '0'],
    ];
    const bytes = encodePacket({ type: 'disconnect', reasonCode: 0, properties: { userProperties } }, 5);
    expect(bytes.toString('hex')).toBe(
      pkt(0xe0, 0, props([0x26, str('z'), str('1')], [0x26, str('a'), str('2')], [0x26, str('z'), str('0')])).toString(
        'hex',
      ),
    );
  });

  test.each([
    [0, 2],
    [124, 2],
    [125, 3],
    [16380, 3],
    [16381, 4],
  ])('codec - PUBLISH with a %d-byte payload has a %d-byte fixed header', (size, header) => {
    // topic 't' takes 3 bytes: remaining length = 3 + size
    const bytes = encodePacket(
      { type: 'publish', topic: 't', payload: Buffer.alloc(size), qos: 0, retain: false, dup: false },
      4,
    );
    expect(bytes.length).toBe(header + 3 + size);
  });

  test('codec - a 65535-byte topic encodes', () => {
    const topic = 'a'.repeat(65535);
    const bytes = encodePacket(
      { type: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false },
      4,
    );
    expect((decodeOne(bytes, 4) as PublishPacket).topic).toBe(topic);
  });
});

describe('codec - encoder programmer errors throw FlockError', () => {
  const publish = (over: Partial<PublishPacket>): PublishPacket => ({
    type: 'publish',
    topic: 't',
    payload: Buffer.alloc(0),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 1,
    ...over,
  });

  test.each<[string, Packet, ProtocolVersion]>([
    ['a topic over 65535 bytes', publish({ topic: 'é'.repeat(32768) }), 4],
    ['PUBLISH QoS 1 without packet id', publish({ packetId: undefined }), 4],
    ['PUBLISH QoS 1 with packet id 0', publish({ packetId: 0 }), 4],
    ['PUBLISH packet id 65536', publish({ packetId: 65536 }), 4],
    ['PUBLISH QoS 3', publish({ qos: 3 as 0 }), 4],
    ['PUBLISH DUP on QoS 0', publish({ qos: 0, dup: true }), 4],
    ['a property not allowed on the packet', publish({ properties: { sessionExpiryInterval: 1 } }), 5],
    ['topic alias 0', publish({ properties: { topicAlias: 0 } }), 5],
    ['subscription identifier 0', publish({ properties: { subscriptionIdentifiers: [0] } }), 5],
    ['payload format indicator 2', publish({ properties: { payloadFormatIndicator: 2 as 1 } }), 5],
    ['message expiry interval 2^32', publish({ properties: { messageExpiryInterval: 2 ** 32 } }), 5],
    ['correlation data over 65535 bytes', publish({ properties: { correlationData: Buffer.alloc(65536) } }), 5],
    ['a PUBACK reason code not allowed', { type: 'puback', packetId: 1, reasonCode: 0x92 }, 5],
    ['an ack with packet id 0', { type: 'pubrel', packetId: 0 }, 4],
    ['a 3.1.1 CONNACK return code 0x87', { type: 'connack', sessionPresent: false, reasonCode: 0x87 }, 4],
    ['a 5.0 CONNACK reason code 0x01', { type: 'connack', sessionPresent: false, reasonCode: 0x01 }, 5],
    [
      'receive maximum 0',
      { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 0 } },
      5,
    ],
    ['SUBSCRIBE without subscriptions', { type: 'subscribe', packetId: 1, subscriptions: [] }, 4],
    [
      'two subscription identifiers on SUBSCRIBE',
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
        properties: { subscriptionIdentifiers: [1, 2] },
      },
      5,
    ],
    [
      'retain handling 3',
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 3 as 0 }],
      },
      5,
    ],
    ['UNSUBSCRIBE without filters', { type: 'unsubscribe', packetId: 1, topicFilters: [] }, 5],
    ['SUBACK without codes', { type: 'suback', packetId: 1, reasonCodes: [] }, 4],
    ['a 3.1.1 SUBACK code 0x87', { type: 'suback', packetId: 1, reasonCodes: [0x87] }, 4],
    ['a 5.0 UNSUBACK without reason codes', { type: 'unsuback', packetId: 1 }, 5],
    ['a DISCONNECT reason code not allowed', { type: 'disconnect', reasonCode: 0x01 }, 5],
    [
      'CONNECT level differing from the encoding level',
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepAlive: 0, clientId: 'c' },
      5,
    ],
    [
      'CONNECT level 3 named MQTT',
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 3, clean: true, keepAlive: 0, clientId: 'c' },
      3,
    ],
    [
      'CONNECT keep alive 70000',
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepAlive: 70000, clientId: 'c' },
      4,
    ],
    [
      '3.1.1 CONNECT password without user name',
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: 'c',
        password: Buffer.from('p'),
      },
      4,
    ],
    [
      'will QoS 3',
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: 'c',
        will: { topic: 'w', payload: Buffer.alloc(0), qos: 3 as 0, retain: false },
      },
      4,
    ],
    ['an unknown packet type', { type: 'bogus' } as unknown as Packet, 4],
  ])('codec - %s', (_name, p, level) => {
    expectEncodeError(p, level);
  });

  test('codec - an unknown protocol level', () => {
    expectEncodeError({ type: 'pingreq' }, 6 as ProtocolVersion);
  });
});
