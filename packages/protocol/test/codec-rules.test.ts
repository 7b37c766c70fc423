/**
 * One test per decoder rule, named after the MQTT 5.0 statement (3.1.1 ids where they differ):
 * framing, packet identifiers, SUBSCRIBE, CONNECT, CONNACK. UTF-8, properties, reason codes and
 * short forms are in codec-rules-properties.test.ts. Assertions are on `code` and `reasonCode`,
 * never on message text.
 */
import { ConnectViolation } from '../src/codec/violations';
import type { ProtocolVersion } from '../src/packets';
import {
  bin,
  codes,
  connect,
  decodeAll,
  decodeError,
  decodeOne,
  hexRows,
  MALFORMED,
  pkt,
  props,
  PROTOCOL_ERROR,
  str,
  u16,
  UNSUPPORTED_VERSION,
  vbi,
} from './codec-support';

describe('codec - fixed header', () => {
  // A valid level-5 packet of every type but PUBLISH, with its required flags in the low nibble.
  const valid: Array<[string, Buffer]> = [
    ['CONNECT', connect(5, 0x02)],
    ['CONNACK', pkt(0x20, 0, 0, props())],
    ['PUBACK', pkt(0x40, u16(1))],
    ['PUBREC', pkt(0x50, u16(1))],
    ['PUBREL', pkt(0x62, u16(1))],
    ['PUBCOMP', pkt(0x70, u16(1))],
    ['SUBSCRIBE', pkt(0x82, u16(1), props(), str('a'), 0)],
    ['SUBACK', pkt(0x90, u16(1), props(), 0)],
    ['UNSUBSCRIBE', pkt(0xa2, u16(1), props(), str('a'))],
    ['UNSUBACK', pkt(0xb0, u16(1), props(), 0)],
    ['PINGREQ', pkt(0xc0)],
    ['PINGRESP', pkt(0xd0)],
    ['DISCONNECT', pkt(0xe0)],
    ['AUTH', pkt(0xf0)],
  ];

  test.each(valid)('codec - [MQTT-2.1.3-1] %s with its required flags decodes', (_name, bytes) => {
    const level = bytes[0] === 0x10 ? undefined : 5;
    expect(decodeAll(bytes, { protocolVersion: level }).error).toBeUndefined();
  });

  test.each(valid.flatMap(([name, bytes]) => [1, 2, 4, 8].map((bit) => [name, bit, bytes] as const)))(
    'codec - [MQTT-2.1.3-1] %s with flag bit %d flipped is malformed (3.1.1 [MQTT-2.2.2-1])',
    (_name, bit, bytes) => {
      const bad = Buffer.from(bytes);
      bad[0] = bad[0]! ^ bit;
      expect(codes(decodeError(bad, bytes[0] === 0x10 ? undefined : 5))).toEqual(MALFORMED);
    },
  );

  test('codec - [MQTT-2.1.3-1] a bad flag is rejected from the first byte, before the body arrives', () => {
    expect(decodeAll(Buffer.from([0x41]), { protocolVersion: 4 }).error?.code).toBe(MALFORMED.code);
  });

  test('codec - packet type 0 is reserved: malformed', () => {
    expect(codes(decodeError(pkt(0x00), 5))).toEqual(MALFORMED);
  });

  test.each([3, 4] as const)('codec - packet type 15 (AUTH) at level %d is malformed', (level) => {
    expect(codes(decodeError(pkt(0xf0), level))).toEqual(MALFORMED);
  });
});

describe('codec - variable byte integers', () => {
  test('codec - [MQTT-1.5.5-1] a remaining length longer than four bytes is malformed', () => {
    expect(codes(decodeError(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 4))).toEqual(MALFORMED);
  });

  test('codec - [MQTT-1.5.5-1] a five-byte remaining length fed one byte at a time is malformed', () => {
    const { error } = decodeAll(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), { protocolVersion: 4 }, [1]);
    expect(error && codes(error)).toEqual(MALFORMED);
  });

  test('codec - [MQTT-1.5.5-1] a remaining length not minimally encoded is malformed', () => {
    expect(codes(decodeError(Buffer.from([0xc0, 0x80, 0x00]), 4))).toEqual(MALFORMED);
  });

  test('codec - [MQTT-1.5.5-1] the largest remaining length, 268435455, has four bytes and is accepted up to the size check', () => {
    // No body follows: the decoder waits for it rather than failing.
    expect(decodeAll(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), { protocolVersion: 4 }).error).toBeUndefined();
  });

  test('codec - [MQTT-1.5.5-1] a property length longer than four bytes is malformed', () => {
    const bytes = pkt(0x40, u16(1), 0x10, [0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(codes(decodeError(bytes, 5))).toEqual(MALFORMED);
  });

  test('codec - [MQTT-1.5.5-1] a subscription identifier not minimally encoded is malformed', () => {
    const bytes = pkt(0x30, str('t'), props(0x0b, [0x81, 0x00]), 'x');
    expect(codes(decodeError(bytes, 5))).toEqual(MALFORMED);
  });
});

describe('codec - remaining length must exactly cover the fields', () => {
  test.each<[string, ProtocolVersion | undefined, Buffer]>([
    ['CONNECT cut inside the client id', undefined, pkt(0x10, str('MQTT'), 4, 0x02, u16(60), u16(5), 'ab')],
    ['CONNECT without keep alive', undefined, pkt(0x10, str('MQTT'), 4, 0x02)],
    ['CONNECT with will flag but no will payload', undefined, connect(4, 0x06, str('w'))],
    ['CONNECT with user name flag but no user name', undefined, connect(4, 0x82)],
    ['CONNECT with password flag but no password', undefined, connect(5, 0x42)],
    ['CONNACK with one byte', 4, pkt(0x20, 0)],
    ['5.0 CONNACK without Property Length', 5, pkt(0x20, 0, 0)],
    ['PUBLISH topic length past the end', 4, pkt(0x30, u16(10), 'abc')],
    ['PUBLISH QoS 1 without packet id', 4, pkt(0x32, str('t'))],
    ['PUBLISH property length past the end', 5, pkt(0x30, str('t'), vbi(10), 0x01)],
    ['PUBLISH property value past the property length', 5, pkt(0x30, str('t'), vbi(2), 0x02, 0, 0, 0, 0)],
    ['PUBACK with one byte', 4, pkt(0x40, 0x01)],
    ['SUBSCRIBE filter without options byte', 4, pkt(0x82, u16(1), str('a'))],
    ['SUBSCRIBE user property without value', 5, pkt(0x82, u16(1), props(0x26, str('k')), str('a'), 0)],
    ['UNSUBSCRIBE filter past the end', 4, pkt(0xa2, u16(1), u16(3), 'a')],
    ['SUBACK without packet id', 4, pkt(0x90, 0x01)],
    ['DISCONNECT property length past the end', 5, pkt(0xe0, 0x00, vbi(5))],
  ])('codec - a packet shorter than its fields is malformed: %s', (_name, level, bytes) => {
    expect(codes(decodeError(bytes, level))).toEqual(MALFORMED);
  });

  test.each<[string, ProtocolVersion | undefined, Buffer]>([
    ['CONNECT with a trailing byte', undefined, connect(4, 0x02, 0x00)],
    ['3.1.1 CONNACK with three bytes', 4, pkt(0x20, 0, 0, 0)],
    ['3.1.1 PUBACK with a reason code', 4, pkt(0x40, u16(1), 0x00)],
    ['3.1.1 PUBREL with a reason code', 4, pkt(0x62, u16(1), 0x00)],
    ['3.1.1 UNSUBACK with reason codes', 4, pkt(0xb0, u16(1), 0x00)],
    ['3.1.1 DISCONNECT with a reason code', 4, pkt(0xe0, 0x00)],
    ['PINGREQ with a body', 5, pkt(0xc0, 0x00)],
    ['PINGRESP with a body', 4, pkt(0xd0, 0x00)],
    ['5.0 PUBACK with bytes after its properties', 5, pkt(0x40, u16(1), 0x00, props(), 0x00)],
    ['5.0 DISCONNECT with bytes after its properties', 5, pkt(0xe0, 0x00, props(), 0x00)],
    ['5.0 CONNACK with bytes after its properties', 5, pkt(0x20, 0, 0, props(), 0x00)],
  ])('codec - a packet longer than its fields is malformed: %s', (_name, level, bytes) => {
    expect(codes(decodeError(bytes, level))).toEqual(MALFORMED);
  });
});

describe('codec - PUBLISH', () => {
  test.each([4, 5] as const)('codec - [MQTT-3.3.1-4] PUBLISH with QoS 3 is malformed (level %d)', (level) => {
    expect(codes(decodeError(pkt(0x36, str('t'), u16(1), level === 5 ? props() : []), level))).toEqual(MALFORMED);
  });

  test.each([4, 5] as const)('codec - [MQTT-3.3.1-2] PUBLISH QoS 0 with DUP set is malformed (level %d)', (level) => {
    expect(codes(decodeError(pkt(0x38, str('t'), level === 5 ? props() : []), level))).toEqual(MALFORMED);
  });

  test.each([
    [4, 1],
    [4, 2],
    [5, 1],
    [5, 2],
  ] as const)(
    'codec - [MQTT-2.2.1-3] PUBLISH (level %d, QoS %d) with packet id 0 is a protocol error (3.1.1 [MQTT-2.3.1-1])',
    (level, qos) => {
      expect(codes(decodeError(pkt(0x30 | (qos << 1), str('t'), u16(0), level === 5 ? props() : []), level))).toEqual(
        PROTOCOL_ERROR,
      );
    },
  );

  test('codec - [MQTT-2.2.1-3] a QoS 0 PUBLISH has no packet id: the bytes after the topic are payload', () => {
    expect(decodeOne(pkt(0x30, str('t'), u16(0)), 4)).toMatchObject({
      packetId: undefined,
      payload: Buffer.from([0, 0]),
    });
  });

  test('codec - [MQTT-3.3.2-8] a topic alias of 0 is a protocol error', () => {
    expect(codes(decodeError(pkt(0x30, str(''), props(0x23, u16(0))), 5))).toEqual(PROTOCOL_ERROR);
  });
});

describe('codec - packet identifiers of acks', () => {
  test.each([
    ['PUBACK', 0x40],
    ['PUBREC', 0x50],
    ['PUBREL', 0x62],
    ['PUBCOMP', 0x70],
  ] as const)(
    'codec - [MQTT-2.2.1-5] %s with packet id 0 is a protocol error (3.1.1 [MQTT-2.3.1-6])',
    (_name, first) => {
      expect(codes(decodeError(pkt(first, u16(0)), 4))).toEqual(PROTOCOL_ERROR);
      expect(codes(decodeError(pkt(first, u16(0)), 5))).toEqual(PROTOCOL_ERROR);
    },
  );

  test.each([4, 5] as const)(
    'codec - [MQTT-2.2.1-6] SUBACK and UNSUBACK with packet id 0 are protocol errors (level %d)',
    (level) => {
      const p = level === 5 ? props() : [];
      expect(codes(decodeError(pkt(0x90, u16(0), p, 0), level))).toEqual(PROTOCOL_ERROR);
      expect(codes(decodeError(pkt(0xb0, u16(0), level === 5 ? [p, 0] : []), level))).toEqual(PROTOCOL_ERROR);
    },
  );
});

describe('codec - SUBSCRIBE and UNSUBSCRIBE', () => {
  test.each([4, 5] as const)(
    'codec - [MQTT-2.2.1-3] SUBSCRIBE with packet id 0 is a protocol error (level %d)',
    (level) => {
      expect(codes(decodeError(pkt(0x82, u16(0), level === 5 ? props() : [], str('a'), 0), level))).toEqual(
        PROTOCOL_ERROR,
      );
    },
  );

  test.each([4, 5] as const)(
    'codec - [MQTT-2.2.1-3] UNSUBSCRIBE with packet id 0 is a protocol error (level %d)',
    (level) => {
      expect(codes(decodeError(pkt(0xa2, u16(0), level === 5 ? props() : [], str('a')), level))).toEqual(
        PROTOCOL_ERROR,
      );
    },
  );

  test.each([3, 4, 5] as const)(
    'codec - [MQTT-3.8.3-2] SUBSCRIBE with no topic filter is a protocol error (level %d; 3.1.1 [MQTT-3.8.3-3])',
    (level) => {
      expect(codes(decodeError(pkt(0x82, u16(1), level === 5 ? props() : []), level))).toEqual(PROTOCOL_ERROR);
    },
  );

  test.each([3, 4, 5] as const)(
    'codec - [MQTT-3.10.3-2 (3.1.1)] [MQTT-3.10.2-2] UNSUBSCRIBE with no topic filter is a protocol error (level %d)',
    (level) => {
      expect(codes(decodeError(pkt(0xa2, u16(1), level === 5 ? props() : []), level))).toEqual(PROTOCOL_ERROR);
    },
  );

  test.each(hexRows([0x40, 0x80, 0xc0]))(
    'codec - [MQTT-3.8.3-5] subscription options reserved bits (0x%s) are malformed',
    (_hex, bits) => {
      expect(codes(decodeError(pkt(0x82, u16(1), props(), str('a'), bits | 0x01), 5))).toEqual(MALFORMED);
    },
  );

  test('codec - [MQTT-3.8.3-5] §3.8.3.1 subscription maximum QoS 3 is a protocol error at level 5', () => {
    expect(codes(decodeError(pkt(0x82, u16(1), props(), str('a'), 0x03), 5))).toEqual(PROTOCOL_ERROR);
  });

  test('codec - [MQTT-3.8.3-5] §3.8.3.1 subscription retain handling 3 is a protocol error at level 5', () => {
    expect(codes(decodeError(pkt(0x82, u16(1), props(), str('a'), 0x30), 5))).toEqual(PROTOCOL_ERROR);
  });

  test.each(hexRows([0x04, 0x08, 0x10, 0x80, 0x03]))(
    'codec - 3.1.1 [MQTT-3-8.3-4] requested QoS byte 0x%s (reserved bits or QoS 3) is malformed',
    (_hex, options) => {
      expect(codes(decodeError(pkt(0x82, u16(1), str('a'), options), 4))).toEqual(MALFORMED);
    },
  );

  test('codec - 3.1.1 SUBSCRIBE options decode with MQTT 5 options off', () => {
    expect(decodeOne(pkt(0x82, u16(1), str('a'), 2), 4)).toEqual({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'a', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    });
  });
});

describe('codec - CONNECT', () => {
  test.each([3, 4, 5] as const)('codec - [MQTT-3.1.2-3] CONNECT reserved flag set is malformed (level %d)', (level) => {
    expect(codes(decodeError(connect(level, 0x03)))).toEqual(MALFORMED);
  });

  test.each(hexRows([0x08, 0x10, 0x18]))(
    'codec - [MQTT-3.1.2-11] will QoS bits 0x%s without the will flag are malformed (3.1.1 [MQTT-3.1.2-13])',
    (_hex, bits) => {
      expect(codes(decodeError(connect(4, 0x02 | bits)))).toEqual(MALFORMED);
      expect(codes(decodeError(connect(5, 0x02 | bits)))).toEqual(MALFORMED);
    },
  );

  test('codec - [MQTT-3.1.2-13] will retain without the will flag is malformed (3.1.1 [MQTT-3.1.2-15])', () => {
    expect(codes(decodeError(connect(4, 0x22)))).toEqual(MALFORMED);
    expect(codes(decodeError(connect(5, 0x22)))).toEqual(MALFORMED);
  });

  test('codec - [MQTT-3.1.2-12] will QoS 3 is malformed (3.1.1 [MQTT-3.1.2-14])', () => {
    expect(codes(decodeError(connect(4, 0x1e, str('w'), bin('x'))))).toEqual(MALFORMED);
    expect(codes(decodeError(connect(5, 0x1e, props(), str('w'), bin('x'))))).toEqual(MALFORMED);
  });

  test.each([3, 4] as const)(
    'codec - [MQTT-3.1.2-22 (3.1.1)] password flag without user name flag is a protocol error at level %d',
    (level) => {
      expect(codes(decodeError(connect(level, 0x42, bin('pw'))))).toEqual(PROTOCOL_ERROR);
    },
  );

  test('codec - [MQTT-3.1.2-22 (3.1.1)] does not apply to 5.0: a password without a user name decodes', () => {
    expect(decodeOne(connect(5, 0x42, bin('pw')))).toMatchObject({ username: undefined, password: Buffer.from('pw') });
  });

  test.each<[string, string, number]>([
    ['level 6', 'MQTT', 6],
    ['level 0', 'MQTT', 0],
    ['level 2', 'MQIsdp', 2],
    ['"MQTT" with level 3', 'MQTT', 3],
    ['"MQIsdp" with level 4', 'MQIsdp', 4],
    ['"MQIsdp" with level 5', 'MQIsdp', 5],
    ['an unknown protocol name', 'MQTX', 4],
    ['a bridge-mode level (0x84)', 'MQTT', 0x84],
  ])(
    'codec - [MQTT-3.1.2-2] [MQTT-3.1.2-1] CONNECT with %s is an unsupported protocol version',
    (_name, name, level) => {
      const error = decodeError(pkt(0x10, str(name), level, 0x02, u16(60), str('c')));
      expect(codes(error)).toEqual(UNSUPPORTED_VERSION);
      expect(error).toBeInstanceOf(ConnectViolation);
      expect((error as ConnectViolation).protocolVersion).toBe(level);
    },
  );

  test('codec - [MQTT-3.1.2-2] a violation later in a CONNECT carries the level it announced', () => {
    const error = decodeError(connect(5, 0x03));
    expect(error).toBeInstanceOf(ConnectViolation);
    expect((error as ConnectViolation).protocolVersion).toBe(5);
    expect(codes(error)).toEqual(MALFORMED);
  });

  test('codec - [MQTT-3.1.0-1] a first packet other than CONNECT is a protocol error', () => {
    expect(codes(decodeError(pkt(0x30, str('t'), 'x')))).toEqual(PROTOCOL_ERROR);
    expect(codes(decodeError(pkt(0xc0)))).toEqual(PROTOCOL_ERROR);
  });

  test('codec - [MQTT-3.1.0-1] a first packet other than CONNECT is rejected from its first byte', () => {
    expect(decodeAll(Buffer.from([0x82]), {}).error?.code).toBe(PROTOCOL_ERROR.code);
  });

  test('codec - the decoder learns level 5 from CONNECT and parses what follows with properties', () => {
    const { packets, error } = decodeAll(
      Buffer.concat([connect(5, 0x02), pkt(0x30, str('t'), props(0x23, u16(2)), 'x')]),
    );
    expect(error).toBeUndefined();
    expect(packets[1]).toMatchObject({
      type: 'publish',
      topic: 't',
      properties: { topicAlias: 2 },
      payload: Buffer.from('x'),
    });
  });

  test('codec - the decoder learns level 4 from CONNECT and parses what follows without properties', () => {
    const { packets, error } = decodeAll(Buffer.concat([connect(4, 0x02), pkt(0x30, str('t'), 0x00, 'x')]));
    expect(error).toBeUndefined();
    expect(packets[1]).toMatchObject({ type: 'publish', properties: undefined, payload: Buffer.from([0x00, 0x78]) });
  });
});

describe('codec - CONNACK', () => {
  test.each([4, 5] as const)(
    'codec - [MQTT-3.2.2-1] CONNACK reserved acknowledge flags are malformed (level %d)',
    (level) => {
      expect(codes(decodeError(pkt(0x20, 0x02, 0, level === 5 ? props() : []), level))).toEqual(MALFORMED);
    },
  );

  test('codec - [MQTT-3.2.2-8] a 5.0 CONNACK reason code outside the Connect Reason Codes is a protocol error', () => {
    expect(codes(decodeError(pkt(0x20, 0, 0x01, props()), 5))).toEqual(PROTOCOL_ERROR);
  });

  test('codec - 3.1.1 §3.2.2.3 CONNACK return codes 6 and up are reserved: protocol error', () => {
    expect(codes(decodeError(pkt(0x20, 0, 6), 4))).toEqual(PROTOCOL_ERROR);
  });
});
