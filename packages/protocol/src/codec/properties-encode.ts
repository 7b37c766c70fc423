/**
 * MQTT 5 property encoding. Properties are written in ascending identifier order, user
 * properties in their given order [MQTT-3.3.2-18], so equal objects encode to equal bytes.
 *
 * `propertiesLength` measures and validates (a property not allowed in the context, or a value
 * the decoder would reject, throws a FlockError: a programmer error); `writeProperties` writes.
 */
import type { Properties } from '../packets';
import { contextName, PROPERTY_CONTEXTS, propertyName } from './properties';
import {
  binarySize,
  checkU16,
  checkU32,
  encodeError,
  MAX_VARINT,
  stringSize,
  varintSize,
  writeBinary,
  writeString,
  writeU16,
  writeU32,
  writeVarint,
} from './writer';

function allow(id: number, context: number): void {
  if ((PROPERTY_CONTEXTS[id]! & (1 << context)) === 0) {
    throw encodeError(`property ${propertyName(id)} is not allowed in ${contextName(context)}`);
  }
}

function checkFlag(value: number, id: number): void {
  if (value !== 0 && value !== 1) throw encodeError(`property ${propertyName(id)} must be 0 or 1, not ${value}`);
}

/** Byte length of the property list (without its Property Length prefix). 0 when there is nothing to write. */
export function propertiesLength(p: Properties | undefined, context: number): number {
  if (p === undefined) return 0;
  let n = 0;
  if (p.payloadFormatIndicator !== undefined) {
    allow(0x01, context);
    checkFlag(p.payloadFormatIndicator, 0x01);
    n += 2;
  }
  if (p.messageExpiryInterval !== undefined) {
    allow(0x02, context);
    checkU32(p.messageExpiryInterval, 'messageExpiryInterval');
    n += 5;
  }
  if (p.contentType !== undefined) {
    allow(0x03, context);
    n += 1 + stringSize(p.contentType, 'contentType');
  }
  if (p.responseTopic !== undefined) {
    allow(0x08, context);
    n += 1 + stringSize(p.responseTopic, 'responseTopic');
  }
  if (p.correlationData !== undefined) {
    allow(0x09, context);
    n += 1 + binarySize(p.correlationData, 'correlationData');
  }
  const ids = p.subscriptionIdentifiers;
  if (ids !== undefined && ids.length > 0) {
    allow(0x0b, context);
    if (context !== 3 && ids.length > 1)
      throw encodeError(`${contextName(context)} carries at most one subscription identifier`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 1 || id > MAX_VARINT)
        throw encodeError(`subscription identifier ${id} is not in 1..${MAX_VARINT}`);
      n += 1 + varintSize(id);
    }
  }
  if (p.sessionExpiryInterval !== undefined) {
    allow(0x11, context);
    checkU32(p.sessionExpiryInterval, 'sessionExpiryInterval');
    n += 5;
  }
  if (p.assignedClientIdentifier !== undefined) {
    allow(0x12, context);
    n += 1 + stringSize(p.assignedClientIdentifier, 'assignedClientIdentifier');
  }
  if (p.serverKeepAlive !== undefined) {
    allow(0x13, context);
    checkU16(p.serverKeepAlive, 'serverKeepAlive');
    n += 3;
  }
  if (p.authenticationMethod !== undefined) {
    allow(0x15, context);
    n += 1 + stringSize(p.authenticationMethod, 'authenticationMethod');
  }
  if (p.authenticationData !== undefined) {
    allow(0x16, context);
    n += 1 + binarySize(p.authenticationData, 'authenticationData');
  }
  if (p.requestProblemInformation !== undefined) {
    allow(0x17, context);
    checkFlag(p.requestProblemInformation, 0x17);
    n += 2;
  }
  if (p.willDelayInterval !== undefined) {
    allow(0x18, context);
    checkU32(p.willDelayInterval, 'willDelayInterval');
    n += 5;
  }
  if (p.requestResponseInformation !== undefined) {
    allow(0x19, context);
    checkFlag(p.requestResponseInformation, 0x19);
    n += 2;
  }
  if (p.responseInformation !== undefined) {
    allow(0x1a, context);
    n += 1 + stringSize(p.responseInformation, 'responseInformation');
  }
  if (p.serverReference !== undefined) {
    allow(0x1c, context);
    n += 1 + stringSize(p.serverReference, 'serverReference');
  }
  if (p.reasonString !== undefined) {
    allow(0x1f, context);
    n += 1 + stringSize(p.reasonString, 'reasonString');
  }
  if (p.receiveMaximum !== undefined) {
    allow(0x21, context);
    checkU16(p.receiveMaximum, 'receiveMaximum', 1);
    n += 3;
  }
  if (p.topicAliasMaximum !== undefined) {
    allow(0x22, context);
    checkU16(p.topicAliasMaximum, 'topicAliasMaximum');
    n += 3;
  }
  if (p.topicAlias !== undefined) {
    allow(0x23, context);
    checkU16(p.topicAlias, 'topicAlias', 1);
    n += 3;
  }
  if (p.maximumQoS !== undefined) {
    allow(0x24, context);
    checkFlag(p.maximumQoS, 0x24);
    n += 2;
  }
  if (p.retainAvailable !== undefined) {
    allow(0x25, context);
    checkFlag(p.retainAvailable, 0x25);
    n += 2;
  }
  const users = p.userProperties;
  if (users !== undefined && users.length > 0) {
    allow(0x26, context);
    for (const [name, value] of users) {
      n += 1 + stringSize(name, 'user property name') + stringSize(value, 'user property value');
    }
  }
  if (p.maximumPacketSize !== undefined) {
    allow(0x27, context);
    checkU32(p.maximumPacketSize, 'maximumPacketSize', 1);
    n += 5;
  }
  if (p.wildcardSubscriptionAvailable !== undefined) {
    allow(0x28, context);
    checkFlag(p.wildcardSubscriptionAvailable, 0x28);
    n += 2;
  }
  if (p.subscriptionIdentifiersAvailable !== undefined) {
    allow(0x29, context);
    checkFlag(p.subscriptionIdentifiersAvailable, 0x29);
    n += 2;
  }
  if (p.sharedSubscriptionAvailable !== undefined) {
    allow(0x2a, context);
    checkFlag(p.sharedSubscriptionAvailable, 0x2a);
    n += 2;
  }
  if (n > MAX_VARINT) throw encodeError(`properties of ${n} bytes do not fit a packet`);
  return n;
}

/** Size of a Property Length field plus the properties it covers. */
export function propertiesSize(length: number): number {
  return varintSize(length) + length;
}

function byteProp(buf: Buffer, off: number, id: number, value: number): number {
  buf[off] = id;
  buf[off + 1] = value;
  return off + 2;
}

function u16Prop(buf: Buffer, off: number, id: number, value: number): number {
  buf[off] = id;
  return writeU16(buf, off + 1, value);
}

function u32Prop(buf: Buffer, off: number, id: number, value: number): number {
  buf[off] = id;
  return writeU32(buf, off + 1, value);
}

function stringProp(buf: Buffer, off: number, id: number, value: string): number {
  buf[off] = id;
  return writeString(buf, off + 1, value);
}

function binaryProp(buf: Buffer, off: number, id: number, value: Buffer): number {
  buf[off] = id;
  return writeBinary(buf, off + 1, value);
}

/** Writes the Property Length `length` (from propertiesLength) and the properties. Returns the new offset. */
export function writeProperties(buf: Buffer, off: number, p: Properties | undefined, length: number): number {
  off = writeVarint(buf, off, length);
  if (p === undefined || length === 0) return off;
  if (p.payloadFormatIndicator !== undefined) off = byteProp(buf, off, 0x01, p.payloadFormatIndicator);
  if (p.messageExpiryInterval !== undefined) off = u32Prop(buf, off, 0x02, p.messageExpiryInterval);
  if (p.contentType !== undefined) off = stringProp(buf, off, 0x03, p.contentType);
  if (p.responseTopic !== undefined) off = stringProp(buf, off, 0x08, p.responseTopic);
  if (p.correlationData !== undefined) off = binaryProp(buf, off, 0x09, p.correlationData);
  if (p.subscriptionIdentifiers !== undefined) {
    for (const id of p.subscriptionIdentifiers) {
      buf[off] = 0x0b;
      off = writeVarint(buf, off + 1, id);
    }
  }
  if (p.sessionExpiryInterval !== undefined) off = u32Prop(buf, off, 0x11, p.sessionExpiryInterval);
  if (p.assignedClientIdentifier !== undefined) off = stringProp(buf, off, 0x12, p.assignedClientIdentifier);
  if (p.serverKeepAlive !== undefined) off = u16Prop(buf, off, 0x13, p.serverKeepAlive);
  if (p.authenticationMethod !== undefined) off = stringProp(buf, off, 0x15, p.authenticationMethod);
  if (p.authenticationData !== undefined) off = binaryProp(buf, off, 0x16, p.authenticationData);
  if (p.requestProblemInformation !== undefined) off = byteProp(buf, off, 0x17, p.requestProblemInformation);
  if (p.willDelayInterval !== undefined) off = u32Prop(buf, off, 0x18, p.willDelayInterval);
  if (p.requestResponseInformation !== undefined) off = byteProp(buf, off, 0x19, p.requestResponseInformation);
  if (p.responseInformation !== undefined) off = stringProp(buf, off, 0x1a, p.responseInformation);
  if (p.serverReference !== undefined) off = stringProp(buf, off, 0x1c, p.serverReference);
  if (p.reasonString !== undefined) off = stringProp(buf, off, 0x1f, p.reasonString);
  if (p.receiveMaximum !== undefined) off = u16Prop(buf, off, 0x21, p.receiveMaximum);
  if (p.topicAliasMaximum !== undefined) off = u16Prop(buf, off, 0x22, p.topicAliasMaximum);
  if (p.topicAlias !== undefined) off = u16Prop(buf, off, 0x23, p.topicAlias);
  if (p.maximumQoS !== undefined) off = byteProp(buf, off, 0x24, p.maximumQoS);
  if (p.retainAvailable !== undefined) off = byteProp(buf, off, 0x25, p.retainAvailable);
  if (p.userProperties !== undefined) {
    for (const [name, value] of p.userProperties) {
      buf[off] = 0x26;
      off = writeString(buf, off + 1, name);
      off = writeString(buf, off, value);
    }
  }
  if (p.maximumPacketSize !== undefined) off = u32Prop(buf, off, 0x27, p.maximumPacketSize);
  if (p.wildcardSubscriptionAvailable !== undefined) off = byteProp(buf, off, 0x28, p.wildcardSubscriptionAvailable);
  if (p.subscriptionIdentifiersAvailable !== undefined)
    off = byteProp(buf, off, 0x29, p.subscriptionIdentifiersAvailable);
  if (p.sharedSubscriptionAvailable !== undefined) off = byteProp(buf, off, 0x2a, p.sharedSubscriptionAvailable);
  return off;
}
