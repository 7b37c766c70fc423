/**
 * One test per decoder rule, named after the MQTT 5.0 statement (3.1.1 ids where they differ):
 * UTF-8 strings, MQTT 5 properties, reason codes and short forms. Assertions are on `code` and
 * `reasonCode`, never on message text.
 */
import type { ProtocolVersion } from '../src/packets';
import {
  bin,
  codes,
  connect,
  connectWithProps,
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
  u32,
  vbi,
  type Part,
} from './codec-support';

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
