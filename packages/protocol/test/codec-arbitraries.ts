/**
 * fast-check arbitraries of valid packets, per protocol level, in the decoder's canonical form
 * (so parse(serialize(p)) ≡ p holds with toEqual): at level 5 acks, DISCONNECT and AUTH always
 * carry a reason code and `properties` is undefined or non-empty; at levels 3/4 the 5.0-only
 * fields are absent. The allowed properties and reason codes are restated from the spec here,
 * independently of the codec's own tables.
 */
import fc from 'fast-check';
import type { Packet, Properties, ProtocolVersion, QoS, Subscription, Will } from '../src/packets';

/** A string the MQTT UTF-8 rules accept: no U+0000, no lone surrogates. */
export const mqttString = (maxLength = 12): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ unit: 'binary-ascii', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
    )
    .map((s) => s.replace(/\u0000/g, '_'))
    .filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s);

const binary = (maxLength = 16): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const u16 = (min = 0): fc.Arbitrary<number> => fc.integer({ min, max: 0xffff });
const u32 = (min = 0): fc.Arbitrary<number> =>
  fc.oneof(
    fc.integer({ min, max: 1000 }),
    fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
      .map(([h, l]) => Math.max(min, h * 0x10000 + l)),
  );
const flag = fc.constantFrom<0 | 1>(0, 1);
const subscriptionId = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 268435455 }));
const userProperties = fc.array(fc.tuple(mqttString(6), mqttString(6)), { minLength: 1, maxLength: 4 });
const packetId = fc.integer({ min: 1, max: 0xffff });
const qos = fc.constantFrom<QoS>(0, 1, 2);

type PropertyArbs = { [K in keyof Properties]?: fc.Arbitrary<Properties[K]> };

/** Properties each packet may carry (MQTT 5 §2.2.2.2), restated for the tests. */
const PROPERTY_ARBS: Record<string, PropertyArbs> = {
  will: {
    payloadFormatIndicator: flag,
    messageExpiryInterval: u32(),
    contentType: mqttString(),
    responseTopic: mqttString(),
    correlationData: binary(),
    willDelayInterval: u32(),
    userProperties,
  },
  connect: {
    sessionExpiryInterval: u32(),
    authenticationMethod: mqttString(),
    authenticationData: binary(),
    requestProblemInformation: flag,
    requestResponseInformation: flag,
    receiveMaximum: u16(1),
    topicAliasMaximum: u16(),
    userProperties,
    maximumPacketSize: u32(1),
  },
  connack: {
    sessionExpiryInterval: u32(),
    assignedClientIdentifier: mqttString(),
    serverKeepAlive: u16(),
    authenticationMethod: mqttString(),
    authenticationData: binary(),
    responseInformation: mqttString(),
    serverReference: mqttString(),
    reasonString: mqttString(),
    receiveMaximum: u16(1),
    topicAliasMaximum: u16(),
    maximumQoS: flag,
    retainAvailable: flag,
    userProperties,
    maximumPacketSize: u32(1),
    wildcardSubscriptionAvailable: flag,
    subscriptionIdentifiersAvailable: flag,
    sharedSubscriptionAvailable: flag,
  },
  publish: {
    payloadFormatIndicator: flag,
    messageExpiryInterval: u32(),
    contentType: mqttString(),
    responseTopic: mqttString(),
    correlationData: binary(),
    subscriptionIdentifiers: fc.array(subscriptionId, { minLength: 1, maxLength: 3 }),
    topicAlias: u16(1),
    userProperties,
  },
  ack: { reasonString: mqttString(), userProperties },
  subscribe: { subscriptionIdentifiers: subscriptionId.map((id) => [id]), userProperties },
  unsubscribe: { userProperties },
  disconnect: {
    sessionExpiryInterval: u32(),
    reasonString: mqttString(),
    serverReference: mqttString(),
    userProperties,
  },
  auth: {
    authenticationMethod: mqttString(),
    authenticationData: binary(),
    reasonString: mqttString(),
    userProperties,
  },
};

/** Properties for `context` at level 5 (undefined or non-empty), always undefined below 5. */
export function propertiesArb(
  context: keyof typeof PROPERTY_ARBS,
  level: ProtocolVersion,
): fc.Arbitrary<Properties | undefined> {
  if (level !== 5) return fc.constant(undefined);
  const arbs = PROPERTY_ARBS[context]! as Record<string, fc.Arbitrary<unknown>>;
  return fc
    .record(arbs, { requiredKeys: [] })
    .map((p) => (Object.keys(p).length === 0 ? undefined : (p as Properties)));
}

/** Reason codes per packet (MQTT 5 §3.2.2.2 … §3.15.2.1), restated for the tests. */
export const REASON_CODES = {
  connack: [
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b,
    0x9c, 0x9d, 0x9f,
  ],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
    0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
  auth: [0x00, 0x18, 0x19],
} as const;

const code = (codes: readonly number[]): fc.Arbitrary<number> => fc.constantFrom(...codes);

function willArb(level: ProtocolVersion): fc.Arbitrary<Will> {
  return fc.record({
    topic: mqttString(),
    payload: binary(),
    qos,
    retain: fc.boolean(),
    properties: propertiesArb('will', level),
  });
}

function connectArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc
    .record({
      clean: fc.boolean(),
      keepAlive: u16(),
      clientId: mqttString(23),
      will: fc.option(willArb(level), { nil: undefined }),
      username: fc.option(mqttString(), { nil: undefined }),
      password: fc.option(binary(), { nil: undefined }),
      properties: propertiesArb('connect', level),
    })
    .map((r) => ({
      type: 'connect' as const,
      protocolName: level === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: level,
      ...r,
      // Before 5.0 a password needs a user name [MQTT-3.1.2-22].
      username: level !== 5 && r.password !== undefined && r.username === undefined ? 'user' : r.username,
    }));
}

function connackArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    type: fc.constant('connack' as const),
    sessionPresent: fc.boolean(),
    reasonCode: level === 5 ? code(REASON_CODES.connack) : fc.integer({ min: 0, max: 5 }),
    properties: propertiesArb('connack', level),
  });
}

function publishArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc
    .record({
      topic: mqttString(20),
      payload: binary(64),
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId,
      properties: propertiesArb('publish', level),
    })
    .map((r) => ({
      type: 'publish' as const,
      ...r,
      dup: r.qos > 0 && r.dup, // [MQTT-3.3.1-2]
      packetId: r.qos > 0 ? r.packetId : undefined,
    }));
}

function ackArb(type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', level: ProtocolVersion): fc.Arbitrary<Packet> {
  if (level !== 5) return packetId.map((id) => ({ type, packetId: id }));
  return fc.record({
    type: fc.constant(type),
    packetId,
    reasonCode: code(REASON_CODES[type]),
    properties: propertiesArb('ack', level),
  });
}

function subscriptionArb(level: ProtocolVersion): fc.Arbitrary<Subscription> {
  if (level !== 5) {
    return fc
      .record({ topicFilter: mqttString(), qos })
      .map((s) => ({ ...s, noLocal: false, retainAsPublished: false, retainHandling: 0 as const }));
  }
  return fc.record({
    topicFilter: mqttString(),
    qos,
    noLocal: fc.boolean(),
    retainAsPublished: fc.boolean(),
    retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  });
}

function subscribeArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    type: fc.constant('subscribe' as const),
    packetId,
    subscriptions: fc.array(subscriptionArb(level), { minLength: 1, maxLength: 4 }),
    properties: propertiesArb('subscribe', level),
  });
}

function subackArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    type: fc.constant('suback' as const),
    packetId,
    reasonCodes: fc.array(level === 5 ? code(REASON_CODES.suback) : code([0, 1, 2, 0x80]), {
      minLength: 1,
      maxLength: 5,
    }),
    properties: propertiesArb('ack', level),
  });
}

function unsubscribeArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    type: fc.constant('unsubscribe' as const),
    packetId,
    topicFilters: fc.array(mqttString(), { minLength: 1, maxLength: 4 }),
    properties: propertiesArb('unsubscribe', level),
  });
}

function unsubackArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  if (level !== 5) return packetId.map((id) => ({ type: 'unsuback' as const, packetId: id }));
  return fc.record({
    type: fc.constant('unsuback' as const),
    packetId,
    reasonCodes: fc.array(code(REASON_CODES.unsuback), { minLength: 1, maxLength: 5 }),
    properties: propertiesArb('ack', level),
  });
}

function disconnectArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  if (level !== 5) return fc.constant({ type: 'disconnect' as const });
  return fc.record({
    type: fc.constant('disconnect' as const),
    reasonCode: code(REASON_CODES.disconnect),
    properties: propertiesArb('disconnect', level),
  });
}

function authArb(): fc.Arbitrary<Packet> {
  return fc.record({
    type: fc.constant('auth' as const),
    reasonCode: code(REASON_CODES.auth),
    properties: propertiesArb('auth', 5),
  });
}

/** Any valid packet of `level`, every type equally likely. */
export function packetArb(level: ProtocolVersion): fc.Arbitrary<Packet> {
  const arbs: Array<fc.Arbitrary<Packet>> = [
    connectArb(level),
    connackArb(level),
    publishArb(level),
    ackArb('puback', level),
    ackArb('pubrec', level),
    ackArb('pubrel', level),
    ackArb('pubcomp', level),
    subscribeArb(level),
    subackArb(level),
    unsubscribeArb(level),
    unsubackArb(level),
    fc.constant({ type: 'pingreq' as const }),
    fc.constant({ type: 'pingresp' as const }),
    disconnectArb(level),
  ];
  if (level === 5) arbs.push(authArb());
  return fc.oneof(...arbs);
}

export const levelArb = fc.constantFrom<ProtocolVersion>(3, 4, 5);

/** A level and a packet of that level. */
export const leveledPacketArb: fc.Arbitrary<[ProtocolVersion, Packet]> = levelArb.chain((level) =>
  packetArb(level).map((p) => [level, p] as [ProtocolVersion, Packet]),
);
