/**
 * Cross-check against mqtt-packet as an oracle, at 3.1.1 and 5.0: packets encoded by mqtt-packet
 * decode with ours to the same packet, and packets encoded by ours parse with mqtt-packet to the
 * same packet. mqtt-packet names fields differently (cmd, messageId, granted, keepalive…), keeps
 * Byte properties as booleans and user properties as an object of name → value(s), so packets
 * are compared in a canonical form where user properties are grouped by name (mqtt-packet keeps
 * the order of values within a name, not across names).
 */
import fc from 'fast-check';
import * as mqtt from 'mqtt-packet';
import { encodePacket } from '../src/codec/encoder';
import type { Packet, Properties, ProtocolVersion } from '../src/packets';
import { packetArb } from './codec-arbitraries';
import { ALL_FIXTURES } from './codec-fixtures';
import { decodeAll } from './codec-support';

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Properties mqtt-packet stores as booleans (its 'byte' type). */
const BOOLEAN_PROPERTIES = [
  'payloadFormatIndicator',
  'requestProblemInformation',
  'requestResponseInformation',
  'retainAvailable',
  'wildcardSubscriptionAvailable',
  'subscriptionIdentifiersAvailable',
  'sharedSubscriptionAvailable',
] as const;

function toMqttProperties(p: Properties | undefined): Loose | undefined {
  if (p === undefined) return undefined;
  const out: Loose = { ...p };
  for (const k of BOOLEAN_PROPERTIES) if (p[k] !== undefined) out[k] = p[k] === 1;
  delete out.subscriptionIdentifiers;
  if (p.subscriptionIdentifiers !== undefined) {
    out.subscriptionIdentifier =
      p.subscriptionIdentifiers.length === 1 ? p.subscriptionIdentifiers[0] : p.subscriptionIdentifiers;
  }
  delete out.userProperties;
  if (p.userProperties !== undefined) {
    const grouped: Loose = Object.create(null);
    for (const [name, value] of p.userProperties) {
      const prev = grouped[name];
      grouped[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    out.userProperties = grouped;
  }
  return out;
}

function fromMqttProperties(m: Loose | undefined): Properties | undefined {
  if (m === undefined || Object.keys(m).length === 0) return undefined;
  const out: Loose = { ...m };
  for (const k of BOOLEAN_PROPERTIES) if (m[k] !== undefined) out[k] = m[k] ? 1 : 0;
  delete out.subscriptionIdentifier;
  if (m.subscriptionIdentifier !== undefined) {
    out.subscriptionIdentifiers = Array.isArray(m.subscriptionIdentifier)
      ? m.subscriptionIdentifier
      : [m.subscriptionIdentifier];
  }
  if (m.userProperties !== undefined) {
    const list: Array<[string, string]> = [];
    for (const name of Object.keys(m.userProperties)) {
      const v = m.userProperties[name];
      for (const value of Array.isArray(v) ? v : [v]) list.push([name, value]);
    }
    out.userProperties = list;
  }
  return out as Properties;
}

/** Our packet as an mqtt-packet object. */
function toMqtt(p: Packet, level: ProtocolVersion): Loose {
  switch (p.type) {
    case 'connect':
      return {
        cmd: 'connect',
        protocolId: p.protocolName,
        protocolVersion: p.protocolVersion,
        clean: p.clean,
        keepalive: p.keepAlive,
        clientId: p.clientId,
        will: p.will && { ...p.will, properties: toMqttProperties(p.will.properties) },
        username: p.username,
        password: p.password,
        properties: toMqttProperties(p.properties),
      };
    case 'connack':
      return {
        cmd: 'connack',
        sessionPresent: p.sessionPresent,
        [level === 5 ? 'reasonCode' : 'returnCode']: p.reasonCode,
        properties: toMqttProperties(p.properties),
      };
    case 'publish':
      return {
        cmd: 'publish',
        topic: p.topic,
        payload: p.payload,
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        messageId: p.packetId,
        properties: toMqttProperties(p.properties),
      };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return {
        cmd: p.type,
        messageId: p.packetId,
        reasonCode: p.reasonCode ?? 0,
        properties: toMqttProperties(p.properties),
      };
    case 'subscribe':
      return {
        cmd: 'subscribe',
        messageId: p.packetId,
        subscriptions: p.subscriptions.map((s) => ({
          topic: s.topicFilter,
          qos: s.qos,
          nl: s.noLocal,
          rap: s.retainAsPublished,
          rh: s.retainHandling,
        })),
        properties: toMqttProperties(p.properties),
      };
    case 'suback':
      return {
        cmd: 'suback',
        messageId: p.packetId,
        granted: p.reasonCodes,
        properties: toMqttProperties(p.properties),
      };
    case 'unsubscribe':
      return {
        cmd: 'unsubscribe',
        messageId: p.packetId,
        unsubscriptions: p.topicFilters,
        properties: toMqttProperties(p.properties),
      };
    case 'unsuback':
      return {
        cmd: 'unsuback',
        messageId: p.packetId,
        granted: p.reasonCodes,
        properties: toMqttProperties(p.properties),
      };
    case 'pingreq':
    case 'pingresp':
      return { cmd: p.type };
    case 'disconnect':
    case 'auth':
      return { cmd: p.type, reasonCode: p.reasonCode ?? 0, properties: toMqttProperties(p.properties) };
  }
}

/** An mqtt-packet object as our packet. */
function fromMqtt(m: Loose, level: ProtocolVersion): Packet {
  const properties = fromMqttProperties(m.properties);
  switch (m.cmd) {
    case 'connect':
      return {
        type: 'connect',
        protocolName: m.protocolId,
        protocolVersion: m.protocolVersion,
        clean: m.clean,
        keepAlive: m.keepalive,
        clientId: m.clientId,
        will: m.will && {
          topic: m.will.topic,
          payload: m.will.payload,
          qos: m.will.qos,
          retain: m.will.retain,
          properties: fromMqttProperties(m.will.properties),
        },
        username: m.username,
        password: m.password,
        properties,
      };
    case 'connack':
      return {
        type: 'connack',
        sessionPresent: m.sessionPresent,
        reasonCode: level === 5 ? m.reasonCode : m.returnCode,
        properties,
      };
    case 'publish':
      return {
        type: 'publish',
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        retain: m.retain,
        dup: m.dup,
        packetId: m.qos > 0 ? m.messageId : undefined,
        properties,
      };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { type: m.cmd, packetId: m.messageId, reasonCode: level === 5 ? m.reasonCode : undefined, properties };
    case 'subscribe':
      return {
        type: 'subscribe',
        packetId: m.messageId,
        subscriptions: m.subscriptions.map((s: Loose) => ({
          topicFilter: s.topic,
          qos: s.qos,
          noLocal: !!s.nl,
          retainAsPublished: !!s.rap,
          retainHandling: s.rh ?? 0,
        })),
        properties,
      };
    case 'suback':
      return { type: 'suback', packetId: m.messageId, reasonCodes: m.granted, properties };
    case 'unsubscribe':
      return { type: 'unsubscribe', packetId: m.messageId, topicFilters: m.unsubscriptions, properties };
    case 'unsuback':
      return { type: 'unsuback', packetId: m.messageId, reasonCodes: level === 5 ? m.granted : undefined, properties };
    case 'pingreq':
    case 'pingresp':
      return { type: m.cmd };
    default:
      return { type: m.cmd, reasonCode: level === 5 ? m.reasonCode : undefined, properties };
  }
}

/** Canonical form for comparison: user properties grouped by name, values in order. */
function canon(p: Packet): unknown {
  const group = (props: Properties | undefined): unknown => {
    if (props?.userProperties === undefined) return props;
    const grouped: Record<string, string[]> = {};
    for (const [name, value] of props.userProperties) (grouped[`#${name}`] ??= []).push(value);
    return { ...props, userProperties: grouped };
  };
  const out: Loose = { ...p, properties: group((p as { properties?: Properties }).properties) };
  if (p.type === 'connect' && p.will !== undefined) out.will = { ...p.will, properties: group(p.will.properties) };
  return out;
}

function mqttGenerate(p: Packet, level: ProtocolVersion): Buffer {
  return mqtt.generate(toMqtt(p, level) as mqtt.Packet, { protocolVersion: level });
}

function mqttParse(bytes: Buffer, level: ProtocolVersion): Loose[] {
  const parser = mqtt.parser({ protocolVersion: level });
  const out: Loose[] = [];
  let failure: unknown;
  parser.on('packet', (packet: Loose) => out.push(packet));
  parser.on('error', (e: unknown) => (failure = e));
  parser.parse(bytes);
  if (failure !== undefined) throw failure;
  return out;
}

/** Packets both libraries accept as input (mqtt-packet's generator refuses a few valid ones). */
function oracleCompatible(p: Packet, level: ProtocolVersion): boolean {
  if (p.type === 'connect') {
    if (p.password !== undefined && p.username === undefined) return false; // mqtt-packet requires a user name
    if (p.clientId === '' && !p.clean) return false; // mqtt-packet refuses; the channel rejects it anyway
    if (p.will !== undefined && p.will.topic === '') return false; // mqtt-packet requires a will topic
  }
  // mqtt-packet cannot parse the empty AUTH short form (§3.15.2.1).
  if (level === 5 && p.type === 'auth' && (p.reasonCode ?? 0) === 0 && p.properties === undefined) return false;
  const users = [
    (p as { properties?: Properties }).properties,
    p.type === 'connect' ? p.will?.properties : undefined,
  ].map((props) => props?.userProperties ?? []);
  return users.every((list) =>
    list.every(
      ([name, value]) =>
        name !== '__proto__' &&
        // mqtt-packet drops a repeated name whose earlier value is '' (it tests the value for truthiness).
        (value !== '' || list.filter(([n]) => n === name).length === 1),
    ),
  );
}

const LEVELS = [4, 5] as const;

describe.each(LEVELS)('codec - mqtt-packet oracle at level %d', (level) => {
  const fixtures = ALL_FIXTURES.filter(
    (f) => f.level === level && f.parseOnly !== true && oracleCompatible(f.packet, level),
  );

  test.each(fixtures.map((f) => [`${f.packet.type} ${f.name}`, f] as const))(
    'codec - mqtt-packet encodes, we decode: %s',
    (_name, f) => {
      const { packets, error } = decodeAll(mqttGenerate(f.packet, level), { protocolVersion: level });
      expect(error).toBeUndefined();
      expect(packets.map(canon)).toEqual([canon(f.packet)]);
    },
  );

  test.each(fixtures.map((f) => [`${f.packet.type} ${f.name}`, f] as const))(
    'codec - we encode, mqtt-packet decodes: %s',
    (_name, f) => {
      expect(mqttParse(encodePacket(f.packet, level), level).map((m) => canon(fromMqtt(m, level)))).toEqual([
        canon(f.packet),
      ]);
    },
  );

  test('codec - mqtt-packet encodes arbitrary valid packets, we decode them to the same packets', () => {
    fc.assert(
      fc.property(
        packetArb(level).filter((p) => oracleCompatible(p, level)),
        (p) => {
          const { packets, error } = decodeAll(mqttGenerate(p, level), { protocolVersion: level });
          expect(error).toBeUndefined();
          expect(packets.map(canon)).toEqual([canon(p)]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('codec - we encode arbitrary valid packets, mqtt-packet decodes them to the same packets', () => {
    fc.assert(
      fc.property(
        packetArb(level).filter((p) => oracleCompatible(p, level)),
        (p) => {
          expect(mqttParse(encodePacket(p, level), level).map((m) => canon(fromMqtt(m, level)))).toEqual([canon(p)]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
