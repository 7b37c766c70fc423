/**
 * Fixture tables, one per packet type: a packet object, the protocol level, and its exact wire
 * bytes written with the DSL of codec-support.ts (independent of the encoder under test).
 * CONNECT and CONNACK tables are in codec-fixtures-connect.ts.
 */
import { CONNACK_FIXTURES, CONNECT_FIXTURES } from './codec-fixtures-connect';
import { bin, pkt, props, str, u16, u32, utf8 as buf, vbi, type Fixture } from './codec-support';

export type { Fixture } from './codec-support';
export { CONNACK_FIXTURES, CONNECT_FIXTURES };

const payload200 = Buffer.alloc(200, 0x61);
const payload20000 = Buffer.alloc(20000, 0x62);

export const PUBLISH_FIXTURES: Fixture[] = [
  {
    name: '3.1.1 QoS 0',
    level: 4,
    packet: { type: 'publish', topic: 'a/b', payload: buf('hello'), qos: 0, retain: false, dup: false },
    bytes: pkt(0x30, str('a/b'), 'hello'),
  },
  {
    name: '3.1.1 QoS 1 retained',
    level: 4,
    packet: { type: 'publish', topic: 'a/b', payload: buf('x'), qos: 1, retain: true, dup: false, packetId: 10 },
    bytes: pkt(0x33, str('a/b'), u16(10), 'x'),
  },
  {
    name: '3.1.1 QoS 2 duplicate, packet id 65535',
    level: 4,
    packet: { type: 'publish', topic: 't', payload: buf('dup'), qos: 2, retain: false, dup: true, packetId: 65535 },
    bytes: pkt(0x3c, str('t'), u16(65535), 'dup'),
  },
  {
    name: '3.1.1 empty payload (retained delete)',
    level: 4,
    packet: { type: 'publish', topic: 'r', payload: Buffer.alloc(0), qos: 0, retain: true, dup: false },
    bytes: pkt(0x31, str('r')),
  },
  {
    name: '3.1.1 200-byte payload (two-byte remaining length)',
    level: 4,
    packet: { type: 'publish', topic: 'big', payload: payload200, qos: 0, retain: false, dup: false },
    bytes: pkt(0x30, str('big'), payload200),
  },
  {
    name: '3.1.1 20000-byte payload (three-byte remaining length)',
    level: 4,
    packet: { type: 'publish', topic: 'bigger', payload: payload20000, qos: 1, retain: false, dup: false, packetId: 1 },
    bytes: pkt(0x32, str('bigger'), u16(1), payload20000),
  },
  {
    name: '3.1 QoS 1',
    level: 3,
    packet: { type: 'publish', topic: 'old/school', payload: buf('1'), qos: 1, retain: false, dup: false, packetId: 7 },
    bytes: pkt(0x32, str('old/school'), u16(7), '1'),
  },
  {
    name: '5.0 QoS 0, no properties',
    level: 5,
    packet: { type: 'publish', topic: 'a', payload: buf('p'), qos: 0, retain: false, dup: false },
    bytes: pkt(0x30, str('a'), props(), 'p'),
  },
  {
    name: '5.0 QoS 1 with every PUBLISH property, repeated subscription ids and user properties',
    level: 5,
    packet: {
      type: 'publish',
      topic: 'sensors/temp',
      payload: buf('21.5'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 42,
      properties: {
        payloadFormatIndicator: 1,
        messageExpiryInterval: 60,
        contentType: 'text/plain',
        responseTopic: 'sensors/reply',
        correlationData: Buffer.from([0, 1, 2]),
        subscriptionIdentifiers: [1, 268435455],
        topicAlias: 3,
        userProperties: [
          ['unit', 'C'],
          ['unit', 'F'],
        ],
      },
    },
    bytes: pkt(
      0x32,
      str('sensors/temp'),
      u16(42),
      props(
        [0x01, 1],
        [0x02, u32(60)],
        [0x03, str('text/plain')],
        [0x08, str('sensors/reply')],
        [0x09, bin(Buffer.from([0, 1, 2]))],
        [0x0b, vbi(1)],
        [0x0b, vbi(268435455)],
        [0x23, u16(3)],
        [0x26, str('unit'), str('C')],
        [0x26, str('unit'), str('F')],
      ),
      '21.5',
    ),
  },
  {
    name: '5.0 empty topic with a topic alias',
    level: 5,
    packet: {
      type: 'publish',
      topic: '',
      payload: buf('aliased'),
      qos: 2,
      retain: true,
      dup: true,
      packetId: 9,
      properties: { topicAlias: 1 },
    },
    bytes: pkt(0x3d, str(''), u16(9), props([0x23, u16(1)]), 'aliased'),
  },
  {
    name: '5.0 non-ASCII topic',
    level: 5,
    packet: { type: 'publish', topic: 'maison/étage/温度', payload: buf('☃'), qos: 0, retain: false, dup: false },
    bytes: pkt(0x30, str('maison/étage/温度'), props(), '☃'),
  },
];

type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';
const ACK_FIRST_BYTES: Record<AckType, number> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };
/** A reason code other than 0x00 that each ack allows. */
const ACK_CODES: Record<AckType, number> = { puback: 0x10, pubrec: 0x80, pubrel: 0x92, pubcomp: 0x92 };

function ackFixtures(type: AckType): Fixture[] {
  const first = ACK_FIRST_BYTES[type];
  const code = ACK_CODES[type];
  return [
    { name: `3.1.1 ${type}`, level: 4, packet: { type, packetId: 1 }, bytes: pkt(first, u16(1)) },
    { name: `3.1 ${type}`, level: 3, packet: { type, packetId: 300 }, bytes: pkt(first, u16(300)) },
    {
      name: `5.0 ${type} short form (reason 0, no properties)`,
      level: 5,
      packet: { type, packetId: 2, reasonCode: 0 },
      bytes: pkt(first, u16(2)),
    },
    {
      name: `5.0 ${type} reason code without properties`,
      level: 5,
      packet: { type, packetId: 3, reasonCode: code },
      bytes: pkt(first, u16(3), code),
    },
    {
      name: `5.0 ${type} reason code and properties`,
      level: 5,
      packet: {
        type,
        packetId: 4,
        reasonCode: code,
        properties: { reasonString: 'why', userProperties: [['k', 'v']] },
      },
      bytes: pkt(first, u16(4), code, props([0x1f, str('why')], [0x26, str('k'), str('v')])),
    },
    {
      name: `5.0 ${type} reason 0 with properties`,
      level: 5,
      packet: { type, packetId: 5, reasonCode: 0, properties: { userProperties: [['trace', 'abc']] } },
      bytes: pkt(first, u16(5), 0, props([0x26, str('trace'), str('abc')])),
    },
    {
      name: `5.0 ${type} explicit reason 0 and empty properties`,
      level: 5,
      packet: { type, packetId: 6, reasonCode: 0 },
      bytes: pkt(first, u16(6), 0, props()),
      parseOnly: true,
    },
    {
      name: `5.0 ${type} explicit reason 0 without properties`,
      level: 5,
      packet: { type, packetId: 7, reasonCode: 0 },
      bytes: pkt(first, u16(7), 0),
      parseOnly: true,
    },
  ];
}

export const PUBACK_FIXTURES = ackFixtures('puback');
export const PUBREC_FIXTURES = ackFixtures('pubrec');
export const PUBREL_FIXTURES = ackFixtures('pubrel');
export const PUBCOMP_FIXTURES = ackFixtures('pubcomp');

const sub = (
  topicFilter: string,
  qos: 0 | 1 | 2,
  noLocal = false,
  retainAsPublished = false,
  retainHandling: 0 | 1 | 2 = 0,
) => ({
  topicFilter,
  qos,
  noLocal,
  retainAsPublished,
  retainHandling,
});

export const SUBSCRIBE_FIXTURES: Fixture[] = [
  {
    name: '3.1.1 one filter',
    level: 4,
    packet: { type: 'subscribe', packetId: 1, subscriptions: [sub('a/+', 1)] },
    bytes: pkt(0x82, u16(1), str('a/+'), 1),
  },
  {
    name: '3.1.1 three filters, QoS 0/1/2',
    level: 4,
    packet: { type: 'subscribe', packetId: 2, subscriptions: [sub('a', 0), sub('b/#', 1), sub('$share/g/c', 2)] },
    bytes: pkt(0x82, u16(2), str('a'), 0, str('b/#'), 1, str('$share/g/c'), 2),
  },
  {
    name: '3.1 one filter',
    level: 3,
    packet: { type: 'subscribe', packetId: 3, subscriptions: [sub('#', 2)] },
    bytes: pkt(0x82, u16(3), str('#'), 2),
  },
  {
    name: '5.0 no properties',
    level: 5,
    packet: { type: 'subscribe', packetId: 4, subscriptions: [sub('x', 0)] },
    bytes: pkt(0x82, u16(4), props(), str('x'), 0),
  },
  {
    name: '5.0 every subscription option, subscription identifier, user properties',
    level: 5,
    packet: {
      type: 'subscribe',
      packetId: 5,
      subscriptions: [sub('a', 2, true, false, 0), sub('b', 1, false, true, 1), sub('c', 0, true, true, 2)],
      properties: {
        subscriptionIdentifiers: [16384],
        userProperties: [
          ['k', '1'],
          ['k', '2'],
        ],
      },
    },
    bytes: pkt(
      0x82,
      u16(5),
      props([0x0b, vbi(16384)], [0x26, str('k'), str('1')], [0x26, str('k'), str('2')]),
      str('a'),
      0x06,
      str('b'),
      0x19,
      str('c'),
      0x2c,
    ),
  },
];

export const SUBACK_FIXTURES: Fixture[] = [
  {
    name: '3.1.1 granted QoS and failure',
    level: 4,
    packet: { type: 'suback', packetId: 1, reasonCodes: [0, 1, 2, 0x80] },
    bytes: pkt(0x90, u16(1), 0, 1, 2, 0x80),
  },
  {
    name: '3.1 one granted QoS',
    level: 3,
    packet: { type: 'suback', packetId: 2, reasonCodes: [1] },
    bytes: pkt(0x90, u16(2), 1),
  },
  {
    name: '5.0 no properties',
    level: 5,
    packet: { type: 'suback', packetId: 3, reasonCodes: [2] },
    bytes: pkt(0x90, u16(3), props(), 2),
  },
  {
    name: '5.0 reason string, user property, failure codes',
    level: 5,
    packet: {
      type: 'suback',
      packetId: 4,
      reasonCodes: [0, 1, 2, 0x80, 0x87, 0x8f, 0x9e, 0xa1, 0xa2],
      properties: { reasonString: 'partial', userProperties: [['a', 'b']] },
    },
    bytes: pkt(
      0x90,
      u16(4),
      props([0x1f, str('partial')], [0x26, str('a'), str('b')]),
      0,
      1,
      2,
      0x80,
      0x87,
      0x8f,
      0x9e,
      0xa1,
      0xa2,
    ),
  },
];

export const UNSUBSCRIBE_FIXTURES: Fixture[] = [
  {
    name: '3.1.1 two filters',
    level: 4,
    packet: { type: 'unsubscribe', packetId: 1, topicFilters: ['a/+', 'b/#'] },
    bytes: pkt(0xa2, u16(1), str('a/+'), str('b/#')),
  },
  {
    name: '3.1 one filter',
    level: 3,
    packet: { type: 'unsubscribe', packetId: 2, topicFilters: ['x'] },
    bytes: pkt(0xa2, u16(2), str('x')),
  },
  {
    name: '5.0 no properties',
    level: 5,
    packet: { type: 'unsubscribe', packetId: 3, topicFilters: ['y'] },
    bytes: pkt(0xa2, u16(3), props(), str('y')),
  },
  {
    name: '5.0 user properties',
    level: 5,
    packet: {
      type: 'unsubscribe',
      packetId: 4,
      topicFilters: ['z', '$share/g/z'],
      properties: { userProperties: [['why', 'done']] },
    },
    bytes: pkt(0xa2, u16(4), props([0x26, str('why'), str('done')]), str('z'), str('$share/g/z')),
  },
];

export const UNSUBACK_FIXTURES: Fixture[] = [
  { name: '3.1.1 packet id only', level: 4, packet: { type: 'unsuback', packetId: 5 }, bytes: pkt(0xb0, u16(5)) },
  { name: '3.1 packet id only', level: 3, packet: { type: 'unsuback', packetId: 6 }, bytes: pkt(0xb0, u16(6)) },
  {
    name: '5.0 reason codes, no properties',
    level: 5,
    packet: { type: 'unsuback', packetId: 7, reasonCodes: [0x00, 0x11] },
    bytes: pkt(0xb0, u16(7), props(), 0x00, 0x11),
  },
  {
    name: '5.0 reason string and failure codes',
    level: 5,
    packet: {
      type: 'unsuback',
      packetId: 8,
      reasonCodes: [0x80, 0x83, 0x87, 0x8f, 0x91],
      properties: { reasonString: 'no' },
    },
    bytes: pkt(0xb0, u16(8), props([0x1f, str('no')]), 0x80, 0x83, 0x87, 0x8f, 0x91),
  },
];

export const PINGREQ_FIXTURES: Fixture[] = ([3, 4, 5] as const).map((level) => ({
  name: `level ${level}`,
  level,
  packet: { type: 'pingreq' },
  bytes: Buffer.from([0xc0, 0x00]),
}));

export const PINGRESP_FIXTURES: Fixture[] = ([3, 4, 5] as const).map((level) => ({
  name: `level ${level}`,
  level,
  packet: { type: 'pingresp' },
  bytes: Buffer.from([0xd0, 0x00]),
}));

export const DISCONNECT_FIXTURES: Fixture[] = [
  { name: '3.1.1', level: 4, packet: { type: 'disconnect' }, bytes: pkt(0xe0) },
  { name: '3.1', level: 3, packet: { type: 'disconnect' }, bytes: pkt(0xe0) },
  {
    name: '5.0 short form (normal disconnection)',
    level: 5,
    packet: { type: 'disconnect', reasonCode: 0 },
    bytes: pkt(0xe0),
  },
  { name: '5.0 reason code only', level: 5, packet: { type: 'disconnect', reasonCode: 0x04 }, bytes: pkt(0xe0, 0x04) },
  {
    name: '5.0 every DISCONNECT property',
    level: 5,
    packet: {
      type: 'disconnect',
      reasonCode: 0x9c,
      properties: {
        sessionExpiryInterval: 0,
        serverReference: 'b:1883',
        reasonString: 'moved',
        userProperties: [['n', '1']],
      },
    },
    bytes: pkt(
      0xe0,
      0x9c,
      props([0x11, u32(0)], [0x1c, str('b:1883')], [0x1f, str('moved')], [0x26, str('n'), str('1')]),
    ),
  },
  {
    name: '5.0 explicit reason 0 and empty properties',
    level: 5,
    packet: { type: 'disconnect', reasonCode: 0 },
    bytes: pkt(0xe0, 0, props()),
    parseOnly: true,
  },
];

export const AUTH_FIXTURES: Fixture[] = [
  { name: '5.0 short form (success)', level: 5, packet: { type: 'auth', reasonCode: 0 }, bytes: pkt(0xf0) },
  {
    name: '5.0 continue authentication',
    level: 5,
    packet: {
      type: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: buf('client-first') },
    },
    bytes: pkt(0xf0, 0x18, props([0x15, str('SCRAM-SHA-256')], [0x16, bin('client-first')])),
  },
  {
    name: '5.0 re-authenticate with reason string and user properties',
    level: 5,
    packet: {
      type: 'auth',
      reasonCode: 0x19,
      properties: {
        authenticationMethod: 'm',
        reasonString: 'again',
        userProperties: [
          ['a', '1'],
          ['a', '1'],
        ],
      },
    },
    bytes: pkt(
      0xf0,
      0x19,
      props([0x15, str('m')], [0x1f, str('again')], [0x26, str('a'), str('1')], [0x26, str('a'), str('1')]),
    ),
  },
  {
    name: '5.0 reason without properties',
    level: 5,
    packet: { type: 'auth', reasonCode: 0x18 },
    bytes: pkt(0xf0, 0x18, props()),
  },
  {
    name: '5.0 reason without Property Length',
    level: 5,
    packet: { type: 'auth', reasonCode: 0x18 },
    bytes: pkt(0xf0, 0x18),
    parseOnly: true,
  },
];

/** Every table, by packet type. */
export const FIXTURE_TABLES: ReadonlyArray<[string, Fixture[]]> = [
  ['CONNECT', CONNECT_FIXTURES],
  ['CONNACK', CONNACK_FIXTURES],
  ['PUBLISH', PUBLISH_FIXTURES],
  ['PUBACK', PUBACK_FIXTURES],
  ['PUBREC', PUBREC_FIXTURES],
  ['PUBREL', PUBREL_FIXTURES],
  ['PUBCOMP', PUBCOMP_FIXTURES],
  ['SUBSCRIBE', SUBSCRIBE_FIXTURES],
  ['SUBACK', SUBACK_FIXTURES],
  ['UNSUBSCRIBE', UNSUBSCRIBE_FIXTURES],
  ['UNSUBACK', UNSUBACK_FIXTURES],
  ['PINGREQ', PINGREQ_FIXTURES],
  ['PINGRESP', PINGRESP_FIXTURES],
  ['DISCONNECT', DISCONNECT_FIXTURES],
  ['AUTH', AUTH_FIXTURES],
];

export const ALL_FIXTURES: Fixture[] = FIXTURE_TABLES.flatMap(([, table]) => table);
