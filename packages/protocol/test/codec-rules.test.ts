/**
 * One test per decoder rule, named after the MQTT 5.0 statement (3.1.1 ids where they differ).
 * Assertions are on `code` and `reasonCode`, never on message text.
 */
import { ConnectViolation } from '../src/codec/violations';
import type { ProtocolVersion } from '../src/packets';
import {
  bin,
  codes,
  decodeAll,
  decodeError,
  decodeOne,
  MALFORMED,
  pkt,
  props,
  PROTOCOL_ERROR,
  str,
  u16,
  u32,
  UNSUPPORTED_VERSION,
  vbi,
  type Part,
} from './codec-support';

/** `[hex, value]` rows, so test names show bytes in hex. */
const hexRows = (values: number[]): Array<readonly [string, number]> =>
  values.map((v) => [v.toString(16).padStart(2, '0'), v] as const);

/** A CONNECT at `level` with connect flags `flags`; `rest` follows the client id. */
function connect(level: ProtocolVersion, flags: number, ...rest: Part[]): Buffer {
  return pkt(
    0x10,
    str(level === 3 ? 'MQIsdp' : 'MQTT'),
    level,
    flags,
    u16(60),
    level === 5 ? props() : [],
    str('cid'),
    ...rest,
  );
}

/** A level-5 CONNECT with the given CONNECT properties. */
function connectWithProps(...properties: Part[]): Buffer {
  return pkt(0x10, str('MQTT'), 5, 0x02, u16(60), props(...properties), str('cid'));
}

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
    'codec - [MQTT-3.10.3-2] UNSUBSCRIBE with no topic filter is a protocol error (level %d)',
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
    'codec - [MQTT-3.1.2-22] password flag without user name flag is a protocol error at level %d',
    (level) => {
      expect(codes(decodeError(connect(level, 0x42, bin('pw'))))).toEqual(PROTOCOL_ERROR);
    },
  );

  test('codec - [MQTT-3.1.2-22] does not apply to 5.0: a password without a user name decodes', () => {
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

describe('codec - UTF-8 strings', () => {
  const invalid: Array<[string, Buffer]> = [
    ['an overlong NUL (C0 80)', Buffer.from([0x61, 0xc0, 0x80])],
    ['a UTF-16 surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a stray continuation byte', Buffer.from([0x80])],
    ['a truncated sequence', Buffer.from([0x61, 0xe2, 0x82])],
    ['byte FF', Buffer.from([0xff])],
    ['a code point above U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
  ];
  const fields: Array<[string, (s: Buffer) => Buffer, ProtocolVersion | undefined]> = [
    ['PUBLISH topic', (s) => pkt(0x30, str(s)), 4],
    ['CONNECT client id', (s) => pkt(0x10, str('MQTT'), 4, 0x02, u16(60), str(s)), undefined],
    ['will topic', (s) => connect(4, 0x06, str(s), bin('x')), undefined],
    ['user name', (s) => connect(4, 0x82, str(s)), undefined],
    ['SUBSCRIBE filter', (s) => pkt(0x82, u16(1), str(s), 0), 4],
    ['UNSUBSCRIBE filter', (s) => pkt(0xa2, u16(1), str(s)), 4],
    ['user property name', (s) => pkt(0x30, str('t'), props(0x26, str(s), str('v'))), 5],
    ['user property value', (s) => pkt(0x30, str('t'), props(0x26, str('k'), str(s))), 5],
    ['content type', (s) => pkt(0x30, str('t'), props(0x03, str(s))), 5],
    ['reason string', (s) => pkt(0x40, u16(1), 0x80, props(0x1f, str(s))), 5],
  ];

  test.each(
    fields.flatMap(([field, build, level]) => invalid.map(([what, bad]) => [field, what, build, bad, level] as const)),
  )('codec - [MQTT-1.5.4-1] %s with %s is malformed', (_field, _what, build, bad, level) => {
    expect(codes(decodeError(build(bad), level))).toEqual(MALFORMED);
  });

  test.each(fields)('codec - [MQTT-1.5.4-2] %s containing U+0000 is malformed', (_field, build, level) => {
    expect(codes(decodeError(build(Buffer.from('a\u0000b', 'utf8')), level))).toEqual(MALFORMED);
  });

  test('codec - [MQTT-1.5.4-3] a leading U+FEFF is kept, not stripped', () => {
    expect(decodeOne(pkt(0x30, str('\ufefftopic')), 4)).toMatchObject({ topic: '\ufefftopic' });
  });

  test('codec - [MQTT-1.5.4-1] long non-ASCII strings (past the short-string fast path) decode', () => {
    const topic = 'é'.repeat(100) + '/' + '😀'.repeat(50);
    expect(decodeOne(pkt(0x30, str(topic)), 4)).toMatchObject({ topic });
  });
});

describe('codec - MQTT 5 properties', () => {
  test.each(hexRows([0x00, 0x04, 0x0a, 0x10, 0x14, 0x1b, 0x20, 0x2b, 0x7f, 0x80, 0xff]))(
    'codec - §2.2.2.2 unknown property identifier 0x%s is malformed',
    (_hex, id) => {
      expect(codes(decodeError(pkt(0x30, str('t'), props(id, 0, 0, 0, 0)), 5))).toEqual(MALFORMED);
    },
  );

  const notAllowed: Array<[string, Buffer, ProtocolVersion | undefined]> = [
    ['topic alias in CONNECT', connectWithProps(0x23, u16(1)), undefined],
    ['will delay interval in CONNECT', connectWithProps(0x18, u32(1)), undefined],
    ['maximum QoS in CONNECT', connectWithProps(0x24, 1), undefined],
    [
      'session expiry interval in the will',
      pkt(0x10, str('MQTT'), 5, 0x06, u16(1), props(), str('c'), props(0x11, u32(1)), str('w'), bin('')),
      undefined,
    ],
    ['request problem information in CONNACK', pkt(0x20, 0, 0, props(0x17, 1)), 5],
    ['session expiry interval in PUBLISH', pkt(0x30, str('t'), props(0x11, u32(1))), 5],
    ['will delay interval in PUBLISH', pkt(0x30, str('t'), props(0x18, u32(1))), 5],
    ['payload format indicator in PUBACK', pkt(0x40, u16(1), 0, props(0x01, 1)), 5],
    ['reason string in SUBSCRIBE', pkt(0x82, u16(1), props(0x1f, str('r')), str('a'), 0), 5],
    ['subscription identifier in UNSUBSCRIBE', pkt(0xa2, u16(1), props(0x0b, 1), str('a')), 5],
    ['subscription identifier in SUBACK', pkt(0x90, u16(1), props(0x0b, 1), 0), 5],
    ['authentication method in DISCONNECT', pkt(0xe0, 0, props(0x15, str('m'))), 5],
    ['server reference in AUTH', pkt(0xf0, 0x18, props(0x1c, str('s'))), 5],
    ['topic alias in DISCONNECT', pkt(0xe0, 0, props(0x23, u16(1))), 5],
  ];
  test.each(notAllowed)(
    'codec - §2.2.2.2 a property not allowed on the packet is a protocol error: %s',
    (_name, bytes, level) => {
      expect(codes(decodeError(bytes, level))).toEqual(PROTOCOL_ERROR);
    },
  );

  // Every single-valued property, a valid encoding of it, and a packet that allows it.
  const single: Array<[string, Part, (p: Buffer) => Buffer, ProtocolVersion | undefined]> = [
    ['payloadFormatIndicator', [0x01, 1], (p) => pkt(0x30, str('t'), p), 5],
    ['messageExpiryInterval', [0x02, u32(1)], (p) => pkt(0x30, str('t'), p), 5],
    ['contentType', [0x03, str('c')], (p) => pkt(0x30, str('t'), p), 5],
    ['responseTopic', [0x08, str('r')], (p) => pkt(0x30, str('t'), p), 5],
    ['correlationData', [0x09, bin('d')], (p) => pkt(0x30, str('t'), p), 5],
    ['subscriptionIdentifier (SUBSCRIBE)', [0x0b, 7], (p) => pkt(0x82, u16(1), p, str('a'), 0), 5],
    ['sessionExpiryInterval', [0x11, u32(1)], (p) => pkt(0xe0, 0, p), 5],
    ['assignedClientIdentifier', [0x12, str('a')], (p) => pkt(0x20, 0, 0, p), 5],
    ['serverKeepAlive', [0x13, u16(1)], (p) => pkt(0x20, 0, 0, p), 5],
    ['authenticationMethod', [0x15, str('m')], (p) => pkt(0xf0, 0x18, p), 5],
    ['authenticationData', [0x16, bin('d')], (p) => pkt(0xf0, 0x18, p), 5],
    ['requestProblemInformation', [0x17, 1], (p) => pkt(0x10, str('MQTT'), 5, 0x02, u16(1), p, str('c')), undefined],
    [
      'willDelayInterval',
      [0x18, u32(1)],
      (p) => pkt(0x10, str('MQTT'), 5, 0x06, u16(1), props(), str('c'), p, str('w'), bin('')),
      undefined,
    ],
    ['requestResponseInformation', [0x19, 1], (p) => pkt(0x10, str('MQTT'), 5, 0x02, u16(1), p, str('c')), undefined],
    ['responseInformation', [0x1a, str('r')], (p) => pkt(0x20, 0, 0, p), 5],
    ['serverReference', [0x1c, str('s')], (p) => pkt(0xe0, 0x9c, p), 5],
    ['reasonString', [0x1f, str('r')], (p) => pkt(0x40, u16(1), 0x80, p), 5],
    ['receiveMaximum', [0x21, u16(1)], (p) => pkt(0x20, 0, 0, p), 5],
    ['topicAliasMaximum', [0x22, u16(1)], (p) => pkt(0x20, 0, 0, p), 5],
    ['topicAlias', [0x23, u16(1)], (p) => pkt(0x30, str('t'), p), 5],
    ['maximumQoS', [0x24, 0], (p) => pkt(0x20, 0, 0, p), 5],
    ['retainAvailable', [0x25, 1], (p) => pkt(0x20, 0, 0, p), 5],
    ['maximumPacketSize', [0x27, u32(100)], (p) => pkt(0x10, str('MQTT'), 5, 0x02, u16(1), p, str('c')), undefined],
    ['wildcardSubscriptionAvailable', [0x28, 1], (p) => pkt(0x20, 0, 0, p), 5],
    ['subscriptionIdentifiersAvailable', [0x29, 1], (p) => pkt(0x20, 0, 0, p), 5],
    ['sharedSubscriptionAvailable', [0x2a, 1], (p) => pkt(0x20, 0, 0, p), 5],
  ];

  test.each(single)('codec - §2.2.2.2 %s once decodes', (_name, prop, build, level) => {
    expect(decodeAll(build(props(prop)), { protocolVersion: level }).error).toBeUndefined();
  });

  test.each(single)('codec - §2.2.2.2 %s twice is a protocol error', (_name, prop, build, level) => {
    expect(codes(decodeError(build(props(prop, prop)), level))).toEqual(PROTOCOL_ERROR);
  });

  test('codec - [MQTT-3.3.2-18] user properties may repeat, names included, and keep their order', () => {
    const bytes = pkt(
      0x30,
      str('t'),
      props([0x26, str('a'), str('2')], [0x26, str('b'), str('1')], [0x26, str('a'), str('1')]),
    );
    expect(decodeOne(bytes, 5)).toMatchObject({
      properties: {
        userProperties: [
          ['a', '2'],
          ['b', '1'],
          ['a', '1'],
        ],
      },
    });
  });

  test('codec - [MQTT-3.3.4-4] PUBLISH may carry several subscription identifiers', () => {
    const bytes = pkt(0x30, str('t'), props([0x0b, 1], [0x0b, vbi(200)], [0x0b, 1]));
    expect(decodeOne(bytes, 5)).toMatchObject({ properties: { subscriptionIdentifiers: [1, 200, 1] } });
  });

  const outOfRange: Array<[string, Buffer, ProtocolVersion | undefined]> = [
    ['receiveMaximum 0 in CONNECT', connectWithProps(0x21, u16(0)), undefined],
    ['receiveMaximum 0 in CONNACK', pkt(0x20, 0, 0, props(0x21, u16(0))), 5],
    ['maximumPacketSize 0 in CONNECT', connectWithProps(0x27, u32(0)), undefined],
    ['maximumPacketSize 0 in CONNACK', pkt(0x20, 0, 0, props(0x27, u32(0))), 5],
    ['subscriptionIdentifier 0 in PUBLISH', pkt(0x30, str('t'), props(0x0b, 0)), 5],
    ['subscriptionIdentifier 0 in SUBSCRIBE', pkt(0x82, u16(1), props(0x0b, 0), str('a'), 0), 5],
    ['topicAlias 0', pkt(0x30, str('t'), props(0x23, u16(0))), 5],
    ['payloadFormatIndicator 2', pkt(0x30, str('t'), props(0x01, 2)), 5],
    ['requestProblemInformation 2', connectWithProps(0x17, 2), undefined],
    ['requestResponseInformation 2', connectWithProps(0x19, 2), undefined],
    ['maximumQoS 2', pkt(0x20, 0, 0, props(0x24, 2)), 5],
    ['retainAvailable 2', pkt(0x20, 0, 0, props(0x25, 2)), 5],
    ['wildcardSubscriptionAvailable 2', pkt(0x20, 0, 0, props(0x28, 2)), 5],
    ['subscriptionIdentifiersAvailable 255', pkt(0x20, 0, 0, props(0x29, 255)), 5],
    ['sharedSubscriptionAvailable 2', pkt(0x20, 0, 0, props(0x2a, 2)), 5],
  ];
  test.each(outOfRange)(
    'codec - §2.2.2.2 an out-of-range property value is a protocol error: %s',
    (_name, bytes, level) => {
      expect(codes(decodeError(bytes, level))).toEqual(PROTOCOL_ERROR);
    },
  );
});

describe('codec - reason codes', () => {
  test.each<[string, Buffer]>([
    ['[MQTT-3.4.2-1] PUBACK 0x92', pkt(0x40, u16(1), 0x92)],
    ['[MQTT-3.5.2-1] PUBREC 0x92', pkt(0x50, u16(1), 0x92)],
    ['[MQTT-3.6.2-1] PUBREL 0x10', pkt(0x62, u16(1), 0x10)],
    ['[MQTT-3.7.2-1] PUBCOMP 0x80', pkt(0x70, u16(1), 0x80)],
    ['[MQTT-3.9.3-2] SUBACK 0x03', pkt(0x90, u16(1), props(), 0x03)],
    ['[MQTT-3.11.3-2] UNSUBACK 0x01', pkt(0xb0, u16(1), props(), 0x01)],
    ['[MQTT-3.14.2-1] DISCONNECT 0x01', pkt(0xe0, 0x01)],
    ['[MQTT-3.15.2-1] AUTH 0x01', pkt(0xf0, 0x01, props())],
  ])('codec - %s is not a reason code of the packet: protocol error', (_name, bytes) => {
    expect(codes(decodeError(bytes, 5))).toEqual(PROTOCOL_ERROR);
  });

  test('codec - 3.1.1 [MQTT-3.9.3-2] SUBACK return code 0x03 is a protocol error', () => {
    expect(codes(decodeError(pkt(0x90, u16(1), 0x03), 4))).toEqual(PROTOCOL_ERROR);
  });

  test.each<[string, Buffer, ProtocolVersion]>([
    ['SUBACK', pkt(0x90, u16(1), props()), 5],
    ['3.1.1 SUBACK', pkt(0x90, u16(1)), 4],
    ['UNSUBACK', pkt(0xb0, u16(1), props()), 5],
  ])('codec - [MQTT-3.9.3-1] [MQTT-3.11.3-1] %s without reason codes is a protocol error', (_name, bytes, level) => {
    expect(codes(decodeError(bytes, level))).toEqual(PROTOCOL_ERROR);
  });
});

describe('codec - short forms', () => {
  test.each([
    ['PUBACK', 0x40, 'puback'],
    ['PUBREC', 0x50, 'pubrec'],
    ['PUBREL', 0x62, 'pubrel'],
    ['PUBCOMP', 0x70, 'pubcomp'],
  ] as const)(
    'codec - §3.4.2.1 a 5.0 %s with remaining length 2 means reason 0x00 and no properties',
    (_name, first, type) => {
      expect(decodeOne(pkt(first, u16(9)), 5)).toEqual({ type, packetId: 9, reasonCode: 0 });
    },
  );

  test('codec - §3.14.2.1 a 5.0 DISCONNECT with remaining length 0 means normal disconnection, no properties', () => {
    expect(decodeOne(pkt(0xe0), 5)).toEqual({ type: 'disconnect', reasonCode: 0 });
  });

  test('codec - §3.15.2.1 a 5.0 AUTH with remaining length 0 means success, no properties', () => {
    expect(decodeOne(pkt(0xf0), 5)).toEqual({ type: 'auth', reasonCode: 0 });
  });

  test('codec - 3.1.1 acks, UNSUBACK and DISCONNECT carry no reason codes', () => {
    expect(decodeOne(pkt(0x40, u16(1)), 4)).toEqual({
      type: 'puback',
      packetId: 1,
      reasonCode: undefined,
      properties: undefined,
    });
    expect(decodeOne(pkt(0xb0, u16(1)), 4)).toEqual({
      type: 'unsuback',
      packetId: 1,
      reasonCodes: undefined,
      properties: undefined,
    });
    expect(decodeOne(pkt(0xe0), 4)).toEqual({ type: 'disconnect', reasonCode: undefined, properties: undefined });
  });
});
