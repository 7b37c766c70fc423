/**
 * MQTT 3.1 / 3.1.1 / 5.0 encoder: one packet object in, one exactly-sized Buffer out.
 *
 * Each packet is measured first (validating its values), then written into a single
 * allocation. For levels 3/4 the 5.0-only fields are omitted: properties, ack / DISCONNECT
 * reason codes, UNSUBACK reason codes, subscription options other than QoS. CONNACK at levels 3/4
 * is two bytes (session present + the 3.1.1 return code the caller passes in `reasonCode`).
 * At level 5 acks, DISCONNECT and AUTH use the shortest form the spec allows (§3.4.2.1).
 *
 * Anything the decoder would reject (a packet identifier of 0, QoS 3, a reason code not defined
 * for the packet, a property not allowed on it, a string over 65,535 bytes…) throws a FlockError
 * with code FLOCK_ERR_MALFORMED_PACKET: a programmer error, never a peer's.
 */
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  ProtocolVersion,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  PubrelPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from '../packets';
import { propertiesLength, propertiesSize, writeProperties } from './properties-encode';
import { WILL_PROPERTIES } from './properties';
import { isConnackReturnCode, isReasonCodeFor, isSubackReturnCode } from './reason-code-sets';
import {
  binarySize,
  checkU16,
  encodeError,
  MAX_VARINT,
  stringSize,
  varintSize,
  writeBinary,
  writeString,
  writeU16,
  writeVarint,
} from './writer';

/** Serialises a packet for the given protocol level. Omits 5.0-only fields (properties, ack reason codes) for levels 3/4. Throws a FlockError only on programmer error (e.g. a string too long), never for valid packets. */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) {
    throw encodeError(`protocol level ${String(protocolVersion)} is not 3, 4 or 5`);
  }
  switch (packet.type) {
    case 'publish':
      return encodePublish(packet, protocolVersion);
    case 'puback':
      return encodePubAck(packet, 4, protocolVersion);
    case 'pubrec':
      return encodePubAck(packet, 5, protocolVersion);
    case 'pubrel':
      return encodePubAck(packet, 6, protocolVersion);
    case 'pubcomp':
      return encodePubAck(packet, 7, protocolVersion);
    case 'connect':
      return encodeConnect(packet, protocolVersion);
    case 'connack':
      return encodeConnack(packet, protocolVersion);
    case 'subscribe':
      return encodeSubscribe(packet, protocolVersion);
    case 'suback':
      return encodeSuback(packet, protocolVersion);
    case 'unsubscribe':
      return encodeUnsubscribe(packet, protocolVersion);
    case 'unsuback':
      return encodeUnsuback(packet, protocolVersion);
    case 'pingreq':
      return Buffer.from([0xc0, 0x00]);
    case 'pingresp':
      return Buffer.from([0xd0, 0x00]);
    case 'disconnect':
      return encodeDisconnectOrAuth(packet, 14, protocolVersion);
    case 'auth':
      if (protocolVersion !== 5) throw encodeError(`AUTH does not exist at protocol level ${protocolVersion}`);
      return encodeDisconnectOrAuth(packet, 15, protocolVersion);
    default:
      throw encodeError(`unknown packet type ${JSON.stringify((packet as { type?: unknown }).type)}`);
  }
}

/** Allocates the whole packet and writes its fixed header; the body starts at `headerSize(remaining)`. */
function allocPacket(firstByte: number, remaining: number): Buffer {
  if (remaining > MAX_VARINT) throw encodeError(`remaining length ${remaining} exceeds ${MAX_VARINT}`);
  const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  buf[0] = firstByte;
  writeVarint(buf, 1, remaining);
  return buf;
}

function headerSize(remaining: number): number {
  return 1 + varintSize(remaining);
}

function checkPacketId(id: number | undefined, what: string): number {
  if (id === undefined) throw encodeError(`${what} has no packet identifier`);
  checkU16(id, `${what} packet identifier`, 1); // [MQTT-2.2.1-3]
  return id;
}

function checkQoS(qos: number, what: string): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw encodeError(`${what} QoS ${qos} is not 0, 1 or 2`);
}

function checkReasonCode(type: number, code: number, what: string): void {
  if (!isReasonCodeFor(type, code)) throw encodeError(`${code} is not a ${what} reason code`);
}

function encodePublish(p: PublishPacket, v: ProtocolVersion): Buffer {
  const qos = p.qos;
  checkQoS(qos, 'PUBLISH');
  if (p.dup && qos === 0) throw encodeError('PUBLISH DUP is set on QoS 0'); // [MQTT-3.3.1-2]
  let remaining = stringSize(p.topic, 'PUBLISH topic') + p.payload.length;
  if (qos > 0) remaining += 2;
  let plen = 0;
  if (v === 5) {
    plen = propertiesLength(p.properties, 3);
    remaining += propertiesSize(plen);
  }
  const id = qos > 0 ? checkPacketId(p.packetId, 'PUBLISH') : 0;
  const buf = allocPacket(0x30 | (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 0x01 : 0), remaining);
  let off = writeString(buf, headerSize(remaining), p.topic);
  if (qos > 0) off = writeU16(buf, off, id);
  if (v === 5) off = writeProperties(buf, off, p.properties, plen);
  buf.set(p.payload, off);
  return buf;
}

const ACK_NAMES = ['', '', '', '', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP'];

function encodePubAck(
  p: PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket,
  type: number,
  v: ProtocolVersion,
): Buffer {
  const name = ACK_NAMES[type]!;
  const id = checkPacketId(p.packetId, name);
  const firstByte = type === 6 ? 0x62 : type << 4; // PUBREL flags 0010 [MQTT-3.6.1-1]
  if (v !== 5) {
    const short = allocPacket(firstByte, 2);
    writeU16(short, 2, id);
    return short;
  }
  const code = p.reasonCode ?? 0;
  checkReasonCode(type, code, name);
  const plen = propertiesLength(p.properties, type);
  // §3.4.2.1: reason 0x00 without properties may be omitted; a reason without properties needs no Property Length.
  const remaining = plen > 0 ? 3 + propertiesSize(plen) : code !== 0 ? 3 : 2;
  const buf = allocPacket(firstByte, remaining);
  const off = writeU16(buf, headerSize(remaining), id);
  if (remaining > 2) buf[off] = code;
  if (plen > 0) writeProperties(buf, off + 1, p.properties, plen);
  return buf;
}

const PROTOCOL_NAME_MQTT = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]); // "MQTT"
const PROTOCOL_NAME_MQISDP = Buffer.from([0x00, 0x06, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70]); // "MQIsdp"

function encodeConnect(p: ConnectPacket, v: ProtocolVersion): Buffer {
  if (p.protocolVersion !== v)
    throw encodeError(`CONNECT protocolVersion ${p.protocolVersion} differs from the encoding level ${v}`);
  const name = v === 3 ? PROTOCOL_NAME_MQISDP : PROTOCOL_NAME_MQTT;
  const expectedName = v === 3 ? 'MQIsdp' : 'MQTT';
  if (p.protocolName !== expectedName) throw encodeError(`CONNECT level ${v} needs protocol name ${expectedName}`); // [MQTT-3.1.2-1]
  checkU16(p.keepAlive, 'keepAlive');
  const will = p.will;
  const username = p.username;
  const password = p.password;
  const hasUsername = username !== undefined;
  const hasPassword = password !== undefined;
  if (v !== 5 && hasPassword && !hasUsername) throw encodeError('a password needs a user name before MQTT 5'); // 3.1.1: [MQTT-3.1.2-22]
  let remaining = name.length + 4 + stringSize(p.clientId, 'clientId'); // name, level, flags, keep alive, client id
  let plen = 0;
  let wplen = 0;
  if (v === 5) {
    plen = propertiesLength(p.properties, 1);
    remaining += propertiesSize(plen);
  }
  let flags = p.clean ? 0x02 : 0;
  if (will !== undefined) {
    checkQoS(will.qos, 'will');
    flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
    remaining += stringSize(will.topic, 'will topic') + binarySize(will.payload, 'will payload');
    if (v === 5) {
      wplen = propertiesLength(will.properties, WILL_PROPERTIES);
      remaining += propertiesSize(wplen);
    }
  }
  if (hasUsername) {
    flags |= 0x80;
    remaining += stringSize(username, 'username');
  }
  if (hasPassword) {
    flags |= 0x40;
    remaining += binarySize(password, 'password');
  }
  const buf = allocPacket(0x10, remaining);
  let off = headerSize(remaining);
  name.copy(buf, off);
  off += name.length;
  buf[off++] = v;
  buf[off++] = flags;
  off = writeU16(buf, off, p.keepAlive);
  if (v === 5) off = writeProperties(buf, off, p.properties, plen);
  off = writeString(buf, off, p.clientId);
  if (will !== undefined) {
    if (v === 5) off = writeProperties(buf, off, will.properties, wplen);
    off = writeString(buf, off, will.topic);
    off = writeBinary(buf, off, will.payload);
  }
  if (hasUsername) off = writeString(buf, off, username);
  if (hasPassword) writeBinary(buf, off, password);
  return buf;
}

function encodeConnack(p: ConnackPacket, v: ProtocolVersion): Buffer {
  const code = p.reasonCode;
  if (v === 5) checkReasonCode(2, code, 'CONNACK');
  else if (!isConnackReturnCode(code)) throw encodeError(`${code} is not a 3.1.1 CONNACK return code`);
  const plen = v === 5 ? propertiesLength(p.properties, 2) : 0;
  const remaining = v === 5 ? 2 + propertiesSize(plen) : 2;
  const buf = allocPacket(0x20, remaining);
  const off = headerSize(remaining);
  buf[off] = p.sessionPresent ? 1 : 0;
  buf[off + 1] = code;
  if (v === 5) writeProperties(buf, off + 2, p.properties, plen);
  return buf;
}

function encodeSubscribe(p: SubscribePacket, v: ProtocolVersion): Buffer {
  const id = checkPacketId(p.packetId, 'SUBSCRIBE');
  const subs = p.subscriptions;
  if (subs.length === 0) throw encodeError('SUBSCRIBE has no subscriptions'); // [MQTT-3.8.3-2]
  let remaining = 2;
  let plen = 0;
  if (v === 5) {
    plen = propertiesLength(p.properties, 8);
    remaining += propertiesSize(plen);
  }
  for (const s of subs) {
    checkQoS(s.qos, 'subscription');
    if (v === 5 && s.retainHandling !== 0 && s.retainHandling !== 1 && s.retainHandling !== 2) {
      throw encodeError(`retain handling ${String(s.retainHandling)} is not 0, 1 or 2`);
    }
    remaining += stringSize(s.topicFilter, 'topic filter') + 1;
  }
  const buf = allocPacket(0x82, remaining); // flags 0010 [MQTT-3.8.1-1]
  let off = writeU16(buf, headerSize(remaining), id);
  if (v === 5) off = writeProperties(buf, off, p.properties, plen);
  for (const s of subs) {
    off = writeString(buf, off, s.topicFilter);
    buf[off++] =
      v === 5 ? s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | (s.retainHandling << 4) : s.qos;
  }
  return buf;
}

function encodeSuback(p: SubackPacket, v: ProtocolVersion): Buffer {
  const id = checkPacketId(p.packetId, 'SUBACK');
  return encodeCodes(0x90, 9, id, p.reasonCodes, p.properties, v);
}

function encodeUnsubscribe(p: UnsubscribePacket, v: ProtocolVersion): Buffer {
  const id = checkPacketId(p.packetId, 'UNSUBSCRIBE');
  const filters = p.topicFilters;
  if (filters.length === 0) throw encodeError('UNSUBSCRIBE has no topic filters'); // [MQTT-3.10.3-2]
  let remaining = 2;
  let plen = 0;
  if (v === 5) {
    plen = propertiesLength(p.properties, 10);
    remaining += propertiesSize(plen);
  }
  for (const f of filters) remaining += stringSize(f, 'topic filter');
  const buf = allocPacket(0xa2, remaining); // flags 0010 [MQTT-3.10.1-1]
  let off = writeU16(buf, headerSize(remaining), id);
  if (v === 5) off = writeProperties(buf, off, p.properties, plen);
  for (const f of filters) off = writeString(buf, off, f);
  return buf;
}

function encodeUnsuback(p: UnsubackPacket, v: ProtocolVersion): Buffer {
  const id = checkPacketId(p.packetId, 'UNSUBACK');
  if (v !== 5) {
    const buf = allocPacket(0xb0, 2);
    writeU16(buf, 2, id);
    return buf;
  }
  if (p.reasonCodes === undefined) throw encodeError('an MQTT 5 UNSUBACK needs one reason code per topic filter');
  return encodeCodes(0xb0, 11, id, p.reasonCodes, p.properties, v);
}

/** SUBACK and level-5 UNSUBACK: packet identifier, properties (5), one code per filter. */
function encodeCodes(
  firstByte: number,
  type: number,
  id: number,
  codes: readonly number[],
  properties: SubackPacket['properties'],
  v: ProtocolVersion,
): Buffer {
  const what = type === 9 ? 'SUBACK' : 'UNSUBACK';
  if (codes.length === 0) throw encodeError(`${what} has no reason codes`); // [MQTT-3.9.3-1] [MQTT-3.11.3-1]
  for (const code of codes) {
    if (v === 5 ? !isReasonCodeFor(type, code) : !isSubackReturnCode(code)) {
      throw encodeError(`${code} is not a ${what} reason code`); // [MQTT-3.9.3-2] [MQTT-3.11.3-2]
    }
  }
  const plen = v === 5 ? propertiesLength(properties, type) : 0;
  const remaining = 2 + (v === 5 ? propertiesSize(plen) : 0) + codes.length;
  const buf = allocPacket(firstByte, remaining);
  let off = writeU16(buf, headerSize(remaining), id);
  if (v === 5) off = writeProperties(buf, off, properties, plen);
  for (const code of codes) buf[off++] = code;
  return buf;
}

/** DISCONNECT (14) and AUTH (15). Level 5: reason 0x00 without properties is the empty form (§3.14.2.1, §3.15.2.1). */
function encodeDisconnectOrAuth(p: DisconnectPacket | AuthPacket, type: number, v: ProtocolVersion): Buffer {
  const firstByte = type << 4;
  if (v !== 5) return allocPacket(firstByte, 0);
  const code = p.reasonCode ?? 0;
  checkReasonCode(type, code, type === 14 ? 'DISCONNECT' : 'AUTH');
  const plen = propertiesLength(p.properties, type);
  let remaining: number;
  if (plen > 0) remaining = 1 + propertiesSize(plen);
  else if (code === 0) remaining = 0;
  else remaining = type === 14 ? 1 : 2; // DISCONNECT may drop an empty Property Length; AUTH keeps it
  const buf = allocPacket(firstByte, remaining);
  const off = headerSize(remaining);
  if (remaining > 0) buf[off] = code;
  if (remaining > 1) writeProperties(buf, off + 1, p.properties, plen);
  return buf;
}
