/**
 * CONNECT and CONNACK bodies. Parsers read from a Reader positioned after the fixed header and
 * return the packet, or undefined with `r.error` set. Spec ids are MQTT 5.0 unless marked 3.1.1.
 */
import { malformed, protocolError } from '../errors';
import type { ConnackPacket, ConnectPacket, ProtocolVersion, QoS, Will } from '../packets';
import { readProperties, WILL_PROPERTIES } from './properties';
import type { Reader } from './reader';
import { isConnackReturnCode, isReasonCodeFor } from './reason-code-sets';
import { ConnectViolation, unsupportedProtocolVersion } from './violations';

const CONNECT = 1;
const CONNACK = 2;

/**
 * Parses a CONNECT at whatever level it announces. Any violation found after the level byte is a
 * ConnectViolation carrying that level, so the channel can answer in the right CONNACK format.
 */
export function parseConnect(r: Reader): ConnectPacket | undefined {
  const protocolName = r.str('protocol name');
  if (protocolName === undefined) return undefined;
  const level = r.u8('protocol level');
  if (level < 0) return undefined;
  if (!((level === 4 || level === 5) && protocolName === 'MQTT') && !(level === 3 && protocolName === 'MQIsdp')) {
    r.error = unsupportedProtocolVersion(protocolName, level); // [MQTT-3.1.2-1] name, [MQTT-3.1.2-2] level
    return undefined;
  }
  const packet = parseConnectBody(r, protocolName, level as ProtocolVersion);
  if (packet === undefined && r.error !== undefined) r.error = new ConnectViolation(r.error, level);
  return packet;
}

function parseConnectBody(r: Reader, protocolName: string, level: ProtocolVersion): ConnectPacket | undefined {
  const flags = r.u8('connect flags');
  if (flags < 0) return undefined;
  if ((flags & 0x01) !== 0) {
    r.error = malformed('CONNECT reserved flag is set'); // [MQTT-3.1.2-3]
    return undefined;
  }
  const hasWill = (flags & 0x04) !== 0;
  const willQoS = (flags >> 3) & 0x03;
  const willRetain = (flags & 0x20) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  const hasUsername = (flags & 0x80) !== 0;
  if (!hasWill) {
    if (willQoS !== 0) {
      r.error = malformed('will QoS is set without the will flag'); // [MQTT-3.1.2-11] (3.1.1: [MQTT-3.1.2-13])
      return undefined;
    }
    if (willRetain) {
      r.error = malformed('will retain is set without the will flag'); // [MQTT-3.1.2-13] (3.1.1: [MQTT-3.1.2-15])
      return undefined;
    }
  } else if (willQoS === 3) {
    r.error = malformed('will QoS is 3'); // [MQTT-3.1.2-12] (3.1.1: [MQTT-3.1.2-14])
    return undefined;
  }
  if (level !== 5 && hasPassword && !hasUsername) {
    r.error = protocolError('password flag is set without the user name flag'); // 3.1.1: [MQTT-3.1.2-22]; allowed in 5.0
    return undefined;
  }
  const keepAlive = r.u16('keep alive');
  if (keepAlive < 0) return undefined;
  let properties;
  if (level === 5) {
    properties = readProperties(r, CONNECT);
    if (r.error !== undefined) return undefined;
  }
  const clientId = r.str('client identifier'); // [MQTT-3.1.3-4] (3.1.1: [MQTT-3.1.3-4])
  if (clientId === undefined) return undefined;
  let will: Will | undefined;
  if (hasWill) {
    let willProperties;
    if (level === 5) {
      willProperties = readProperties(r, WILL_PROPERTIES);
      if (r.error !== undefined) return undefined;
    }
    const topic = r.str('will topic'); // [MQTT-3.1.3-11] (3.1.1: [MQTT-3.1.3-10])
    if (topic === undefined) return undefined;
    const payload = r.bin('will payload');
    if (payload === undefined) return undefined;
    will = { topic, payload, qos: willQoS as QoS, retain: willRetain, properties: willProperties };
  }
  let username;
  if (hasUsername) {
    username = r.str('user name'); // [MQTT-3.1.3-12] (3.1.1: [MQTT-3.1.3-11])
    if (username === undefined) return undefined;
  }
  let password;
  if (hasPassword) {
    password = r.bin('password');
    if (password === undefined) return undefined;
  }
  if (r.pos !== r.end) {
    r.error = malformed(`CONNECT has ${r.end - r.pos} bytes beyond its fields`); // remaining length must match the fields
    return undefined;
  }
  return {
    type: 'connect',
    protocolName,
    protocolVersion: level,
    clean: (flags & 0x02) !== 0,
    keepAlive,
    clientId,
    will,
    username,
    password,
    properties,
  };
}

export function parseConnack(r: Reader, version: ProtocolVersion): ConnackPacket | undefined {
  const ackFlags = r.u8('connect acknowledge flags');
  if (ackFlags < 0) return undefined;
  if (ackFlags > 1) {
    r.error = malformed('CONNACK reserved flags are set'); // [MQTT-3.2.2-1] (3.1.1: §3.2.2.1)
    return undefined;
  }
  const reasonCode = r.u8('CONNACK reason code');
  if (reasonCode < 0) return undefined;
  let properties;
  if (version === 5) {
    if (!isReasonCodeFor(CONNACK, reasonCode)) {
      r.error = protocolError(`CONNACK reason code ${reasonCode} is not a Connect Reason Code`); // [MQTT-3.2.2-8]
      return undefined;
    }
    properties = readProperties(r, CONNACK);
    if (r.error !== undefined) return undefined;
  } else if (!isConnackReturnCode(reasonCode)) {
    r.error = protocolError(`CONNACK return code ${reasonCode} is reserved`); // 3.1.1 §3.2.2.3
    return undefined;
  }
  return { type: 'connack', sessionPresent: ackFlags === 1, reasonCode, properties };
}
