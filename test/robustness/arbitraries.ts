/**
 * fast-check generators for the fuzz tests: random byte streams, valid MQTT packet streams
 * (encoded with the project's codec) and mutations of them.
 */
import fc from 'fast-check';
import { encodePacket } from '@flockmq/protocol';
import type { ConnectPacket, Packet, ProtocolVersion, QoS } from '@flockmq/protocol';

const level = fc.constantFrom<ProtocolVersion>(3, 4, 5);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 65535 });
const word = fc.constantFrom('a', 'b', 'fuzz', 'x', 'sensor', '+', '#', '', '$SYS', 'é', 'long-level-name');
const topicName = fc
  .array(fc.constantFrom('a', 'b', 'fuzz', 'x', 'sensor', '', 'é'), { minLength: 1, maxLength: 4 })
  .map((levels) => `fuzz/${levels.join('/')}`);
const topicFilter = fc.array(word, { minLength: 1, maxLength: 4 }).map((levels) => `fuzz/${levels.join('/')}`);
const payload = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes));

/** A few client ids, so concurrent fuzz connections also take sessions over from each other. */
const clientId = fc.constantFrom('fuzz-1', 'fuzz-2', 'fuzz-3', '');

const connect = (version: ProtocolVersion): fc.Arbitrary<ConnectPacket> =>
  fc
    .record({
      clean: fc.boolean(),
      keepAlive: fc.constantFrom(0, 1, 60),
      clientId: version === 3 ? fc.constantFrom('fuzz-1', 'fuzz-2') : clientId,
      will: fc.option(fc.record({ topic: topicName, payload, qos, retain: fc.boolean() }), { nil: undefined }),
      sessionExpiry: fc.option(fc.constantFrom(0, 5, 0xffffffff), { nil: undefined }),
    })
    .map(({ clean, keepAlive, clientId: id, will, sessionExpiry }) => {
      const packet: ConnectPacket = {
        type: 'connect',
        protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion: version,
        clean,
        keepAlive,
        clientId: id,
      };
      if (will) packet.will = will;
      if (version === 5 && sessionExpiry !== undefined) packet.properties = { sessionExpiryInterval: sessionExpiry };
      return packet;
    });

const subscription = fc.record({
  topicFilter,
  qos,
  noLocal: fc.boolean(),
  retainAsPublished: fc.boolean(),
  retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
});

/** Packets a client may send after CONNECT (some valid in any state, some out of order on purpose). */
const afterConnect: fc.Arbitrary<Packet> = fc.oneof(
  fc
    .record({ topic: topicName, payload, qos, retain: fc.boolean(), dup: fc.boolean(), packetId })
    .map(({ topic, payload: body, qos: q, retain, dup, packetId: id }): Packet =>
      q === 0
        ? { type: 'publish', topic, payload: body, qos: 0, retain, dup: false }
        : { type: 'publish', topic, payload: body, qos: q, retain, dup, packetId: id },
    ),
  fc
    .record({ packetId, subscriptions: fc.array(subscription, { minLength: 1, maxLength: 3 }) })
    .map((p): Packet => ({ type: 'subscribe', ...p })),
  fc
    .record({ packetId, topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 3 }) })
    .map((p): Packet => ({ type: 'unsubscribe', ...p })),
  packetId.map((id): Packet => ({ type: 'puback', packetId: id })),
  packetId.map((id): Packet => ({ type: 'pubrec', packetId: id })),
  packetId.map((id): Packet => ({ type: 'pubrel', packetId: id })),
  packetId.map((id): Packet => ({ type: 'pubcomp', packetId: id })),
  fc.constant<Packet>({ type: 'pingreq' }),
  fc.constant<Packet>({ type: 'disconnect' }),
);

/** A CONNECT followed by up to eight more packets, encoded as one byte stream. */
export const validStream: fc.Arbitrary<Uint8Array> = level.chain((version) =>
  fc.tuple(connect(version), fc.array(afterConnect, { maxLength: 8 })).map(([first, rest]) => {
    const parts = [first, ...rest].map((packet) => encodePacket(packet, version));
    return new Uint8Array(Buffer.concat(parts));
  }),
);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number };

const at = fc.nat();
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at,
    value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x10, 0x30, 0x82, 0xe0, 0xf0),
  }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 32 }) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const buf = Buffer.from(bytes);
  if (buf.length === 0) return buf;
  const i = m.at % buf.length;
  switch (m.kind) {
    case 'flip':
      buf[i] = buf[i]! ^ (1 << m.bit);
      return buf;
    case 'set':
      buf[i] = m.value;
      return buf;
    case 'delete':
      return Buffer.concat([buf.subarray(0, i), buf.subarray(i + m.length)]);
    case 'insert':
      return Buffer.concat([buf.subarray(0, i), m.bytes, buf.subarray(i)]);
    case 'truncate':
      return buf.subarray(0, Math.max(1, i));
    case 'duplicate':
      return Buffer.concat([buf.subarray(0, i + m.length), buf.subarray(i)]);
  }
}

/** A valid stream with one to four mutations applied in turn. */
export const mutatedStream: fc.Arbitrary<Uint8Array> = fc
  .tuple(validStream, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([bytes, mutations]) => mutations.reduce(mutate, bytes));

/** Uniformly random bytes, or random bytes behind a first byte that looks like a packet type. */
export const randomStream: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 512 }),
  fc
    .tuple(fc.constantFrom(0x10, 0x20, 0x30, 0x32, 0x82, 0xc0, 0xe0, 0xf0), fc.uint8Array({ maxLength: 512 }))
    .map(([first, rest]) => new Uint8Array([first, ...rest])),
);

/** A valid CONNECT, then random bytes: the decoder's post-CONNECT paths. */
export const connectThenRandom: fc.Arbitrary<Uint8Array> = level.chain((version) =>
  fc
    .tuple(connect(version), fc.uint8Array({ minLength: 1, maxLength: 256 }))
    .map(([first, rest]) => new Uint8Array(Buffer.concat([encodePacket(first, version), rest]))),
);

/** How a fuzz connection is split into writes and how it ends. */
export const delivery = fc.record({
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  finish: fc.constantFrom<'end' | 'destroy'>('end', 'end', 'destroy'),
});

/** A batch: several streams sent at once over separate connections. */
export const batchOf = (
  stream: fc.Arbitrary<Uint8Array>,
): fc.Arbitrary<{ bytes: Uint8Array; cuts: number[]; finish: 'end' | 'destroy' }[]> =>
  fc.array(
    fc.tuple(stream, delivery).map(([bytes, d]) => ({ bytes, ...d })),
    { minLength: 1, maxLength: 6 },
  );
