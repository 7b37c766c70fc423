/**
 * Bodies of every packet but CONNECT/CONNACK. Parsers read from a Reader positioned after the
 * fixed header and return the packet, or undefined with `r.error` set. The fixed-header flags
 * were checked by the decoder; whether the fields exactly fill the remaining length is checked
 * by the caller. Spec ids are MQTT 5.0 unless marked 3.1.1.
 */
import { malformed, protocolError } from '../errors';
import type {
  AuthPacket,
  DisconnectPacket,
  ProtocolVersion,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  PubrelPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
} from '../packets';
import { readProperties } from './properties';
import type { Reader } from './reader';
import { isReasonCodeFor, isSubackReturnCode } from './reason-code-sets';

const PUBLISH = 3;
const SUBSCRIBE = 8;
const SUBACK = 9;
const UNSUBSCRIBE = 10;
const UNSUBACK = 11;

const ACK_TYPES = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const;
const ACK_ID_NAMES = [
  'PUBACK packet identifier',
  'PUBREC packet identifier',
  'PUBREL packet identifier',
  'PUBCOMP packet identifier',
];

/** A non-zero Packet Identifier. Returns -1 and sets r.error otherwise. */
function packetId(r: Reader, what: string): number {
  const id = r.u16(what);
  if (id === 0) {
    r.error = protocolError(`${what} is 0`);
    return -1;
  }
  return id;
}

export function parsePublish(r: Reader, flags: number, version: ProtocolVersion): PublishPacket | undefined {
  const qos = ((flags >> 1) & 0x03) as QoS; // 3 and DUP on QoS 0 were rejected with the fixed header
  const topic = r.str('PUBLISH topic name'); // [MQTT-3.3.2-1]
  if (topic === undefined) return undefined;
  let id: number | undefined;
  if (qos > 0) {
    id = packetId(r, 'PUBLISH packet identifier'); // [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1])
    if (id < 0) return undefined;
  }
  let properties;
  if (version === 5) {
    properties = readProperties(r, PUBLISH);
    if (r.error !== undefined) return undefined;
  }
  return {
    type: 'publish',
    topic,
    payload: r.rest(),
    qos,
    retain: (flags & 0x01) !== 0,
    dup: (flags & 0x08) !== 0,
    packetId: id,
    properties,
  };
}

/**
 * PUBACK (4), PUBREC (5), PUBREL (6), PUBCOMP (7). At level 5 a remaining length of 2 means
 * reason 0x00 and no properties, 3 means no properties (§3.4.2.1); the reason code is always set.
 */
export function parsePubAck(
  r: Reader,
  type: number,
  version: ProtocolVersion,
): PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket | undefined {
  const name = ACK_TYPES[type - 4]!;
  const id = packetId(r, ACK_ID_NAMES[type - 4]!); // [MQTT-2.2.1-5] (3.1.1: [MQTT-2.3.1-6])
  if (id < 0) return undefined;
  if (version !== 5) return { type: name, packetId: id, reasonCode: undefined, properties: undefined };
  let reasonCode = 0;
  let properties;
  if (r.remaining() > 0) {
    reasonCode = r.u8('reason code');
    if (!isReasonCodeFor(type, reasonCode)) {
      // [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1]
      r.error = protocolError(`${name} reason code ${reasonCode} is not allowed`);
      return undefined;
    }
    if (r.remaining() > 0) {
      properties = readProperties(r, type);
      if (r.error !== undefined) return undefined;
    }
  }
  return { type: name, packetId: id, reasonCode, properties };
}

export function parseSubscribe(r: Reader, version: ProtocolVersion): SubscribePacket | undefined {
  const id = packetId(r, 'SUBSCRIBE packet identifier'); // [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1])
  if (id < 0) return undefined;
  let properties;
  if (version === 5) {
    properties = readProperties(r, SUBSCRIBE);
    if (r.error !== undefined) return undefined;
  }
  const subscriptions: Subscription[] = [];
  while (r.pos < r.end) {
    const topicFilter = r.str('SUBSCRIBE topic filter'); // [MQTT-3.8.3-1]
    if (topicFilter === undefined) return undefined;
    const options = r.u8('subscription options');
    if (options < 0) return undefined;
    const qos = options & 0x03;
    if (version === 5) {
      if ((options & 0xc0) !== 0) {
        r.error = malformed('subscription options reserved bits are set'); // [MQTT-3.8.3-5]
        return undefined;
      }
      if (qos === 3) {
        r.error = protocolError('subscription maximum QoS is 3'); // §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3"
        return undefined;
      }
      const retainHandling = (options >> 4) & 0x03;
      if (retainHandling === 3) {
        r.error = protocolError('subscription retain handling is 3'); // §3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3"
        return undefined;
      }
      subscriptions.push({
        topicFilter,
        qos: qos as QoS,
        noLocal: (options & 0x04) !== 0,
        retainAsPublished: (options & 0x08) !== 0,
        retainHandling: retainHandling as 0 | 1 | 2,
      });
    } else {
      if ((options & 0xfc) !== 0 || qos === 3) {
        r.error = malformed('SUBSCRIBE requested QoS has reserved bits set or is 3'); // 3.1.1: [MQTT-3-8.3-4]
        return undefined;
      }
      subscriptions.push({ topicFilter, qos: qos as QoS, noLocal: false, retainAsPublished: false, retainHandling: 0 });
    }
  }
  if (subscriptions.length === 0) {
    r.error = protocolError('SUBSCRIBE has no topic filter'); // [MQTT-3.8.3-2] (3.1.1: [MQTT-3.8.3-3])
    return undefined;
  }
  return { type: 'subscribe', packetId: id, subscriptions, properties };
}

export function parseSuback(r: Reader, version: ProtocolVersion): SubackPacket | undefined {
  const id = packetId(r, 'SUBACK packet identifier'); // [MQTT-2.2.1-6] (3.1.1: [MQTT-2.3.1-7])
  if (id < 0) return undefined;
  let properties;
  if (version === 5) {
    properties = readProperties(r, SUBACK);
    if (r.error !== undefined) return undefined;
  }
  const reasonCodes = readReasonCodes(r, SUBACK, version);
  if (reasonCodes === undefined) return undefined;
  return { type: 'suback', packetId: id, reasonCodes, properties };
}

export function parseUnsubscribe(r: Reader, version: ProtocolVersion): UnsubscribePacket | undefined {
  const id = packetId(r, 'UNSUBSCRIBE packet identifier'); // [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1])
  if (id < 0) return undefined;
  let properties;
  if (version === 5) {
    properties = readProperties(r, UNSUBSCRIBE);
    if (r.error !== undefined) return undefined;
  }
  const topicFilters: string[] = [];
  while (r.pos < r.end) {
    const filter = r.str('UNSUBSCRIBE topic filter'); // [MQTT-3.10.3-1]
    if (filter === undefined) return undefined;
    topicFilters.push(filter);
  }
  if (topicFilters.length === 0) {
    r.error = protocolError('UNSUBSCRIBE has no topic filter'); // [MQTT-3.10.3-2]
    return undefined;
  }
  return { type: 'unsubscribe', packetId: id, topicFilters, properties };
}

/** Levels 3/4: the packet identifier only. Level 5: properties and one reason code per filter. */
export function parseUnsuback(r: Reader, version: ProtocolVersion): UnsubackPacket | undefined {
  const id = packetId(r, 'UNSUBACK packet identifier'); // [MQTT-2.2.1-6] (3.1.1: [MQTT-2.3.1-7])
  if (id < 0) return undefined;
  if (version !== 5) return { type: 'unsuback', packetId: id, reasonCodes: undefined, properties: undefined };
  const properties = readProperties(r, UNSUBACK);
  if (r.error !== undefined) return undefined;
  const reasonCodes = readReasonCodes(r, UNSUBACK, version);
  if (reasonCodes === undefined) return undefined;
  return { type: 'unsuback', packetId: id, reasonCodes, properties };
}

/** The SUBACK / UNSUBACK payload: at least one code, each valid for the packet [MQTT-3.9.3-2] [MQTT-3.11.3-2]. */
function readReasonCodes(r: Reader, type: number, version: ProtocolVersion): number[] | undefined {
  const what = type === SUBACK ? 'SUBACK' : 'UNSUBACK';
  if (r.pos >= r.end) {
    // One code per topic filter of the acknowledged packet, which has at least one [MQTT-3.9.3-1] [MQTT-3.11.3-1]
    r.error = protocolError(`${what} has no reason codes`);
    return undefined;
  }
  const codes: number[] = [];
  const buf = r.buf;
  for (let i = r.pos; i < r.end; i++) {
    const code = buf[i]!;
    if (version === 5 ? !isReasonCodeFor(type, code) : !isSubackReturnCode(code)) {
      r.error = protocolError(`${what} reason code ${code} is not allowed`); // [MQTT-3.9.3-2] [MQTT-3.11.3-2]
      return undefined;
    }
    codes.push(code);
  }
  r.pos = r.end;
  return codes;
}

/**
 * DISCONNECT (14) and AUTH (15). Level 5: a remaining length of 0 means reason 0x00 and no
 * properties, 1 means no properties (§3.14.2.1, §3.15.2.1). Levels 3/4: no fields (DISCONNECT only).
 */
export function parseDisconnectOrAuth(
  r: Reader,
  type: number,
  version: ProtocolVersion,
): DisconnectPacket | AuthPacket | undefined {
  const name = type === 14 ? 'disconnect' : 'auth';
  if (version !== 5) return { type: name, reasonCode: undefined, properties: undefined };
  let reasonCode = 0;
  let properties;
  if (r.remaining() > 0) {
    reasonCode = r.u8('reason code');
    if (!isReasonCodeFor(type, reasonCode)) {
      r.error = protocolError(`${name} reason code ${reasonCode} is not allowed`); // [MQTT-3.14.2-1] [MQTT-3.15.2-1]
      return undefined;
    }
    if (r.remaining() > 0) {
      properties = readProperties(r, type);
      if (r.error !== undefined) return undefined;
    }
  }
  return { type: name, reasonCode, properties };
}
