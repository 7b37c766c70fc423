/**
 * MQTT 5 properties (§2.2.2): which packet carries which property, and their decoding.
 * Encoding lives in properties-encode.ts.
 *
 * A property context is the fixed-header packet type number (1 = CONNECT … 15 = AUTH), or
 * WILL_PROPERTIES (0, the reserved type number) for the will properties inside CONNECT.
 */
import { protocolError } from '../errors';
import type { Properties } from '../packets';
import type { Reader } from './reader';

export const WILL_PROPERTIES = 0;

const CONNECT = 1 << 1;
const CONNACK = 1 << 2;
const PUBLISH = 1 << 3;
const PUBACK = 1 << 4;
const PUBREC = 1 << 5;
const PUBREL = 1 << 6;
const PUBCOMP = 1 << 7;
const SUBSCRIBE = 1 << 8;
const SUBACK = 1 << 9;
const UNSUBSCRIBE = 1 << 10;
const UNSUBACK = 1 << 11;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;
const WILL = 1 << WILL_PROPERTIES;
const ACKS = PUBACK | PUBREC | PUBREL | PUBCOMP;

/** Property identifier → bit set of the contexts allowed to carry it (MQTT 5 §2.2.2.2); 0 = unknown. */
export const PROPERTY_CONTEXTS: Readonly<Uint16Array> = (() => {
  const t = new Uint16Array(256);
  t[0x01] = PUBLISH | WILL; // payloadFormatIndicator
  t[0x02] = PUBLISH | WILL; // messageExpiryInterval
  t[0x03] = PUBLISH | WILL; // contentType
  t[0x08] = PUBLISH | WILL; // responseTopic
  t[0x09] = PUBLISH | WILL; // correlationData
  t[0x0b] = PUBLISH | SUBSCRIBE; // subscriptionIdentifier
  t[0x11] = CONNECT | CONNACK | DISCONNECT; // sessionExpiryInterval
  t[0x12] = CONNACK; // assignedClientIdentifier
  t[0x13] = CONNACK; // serverKeepAlive
  t[0x15] = CONNECT | CONNACK | AUTH; // authenticationMethod
  t[0x16] = CONNECT | CONNACK | AUTH; // authenticationData
  t[0x17] = CONNECT; // requestProblemInformation
  t[0x18] = WILL; // willDelayInterval
  t[0x19] = CONNECT; // requestResponseInformation
  t[0x1a] = CONNACK; // responseInformation
  t[0x1c] = CONNACK | DISCONNECT; // serverReference
  t[0x1f] = CONNACK | ACKS | SUBACK | UNSUBACK | DISCONNECT | AUTH; // reasonString
  t[0x21] = CONNECT | CONNACK; // receiveMaximum
  t[0x22] = CONNECT | CONNACK; // topicAliasMaximum
  t[0x23] = PUBLISH; // topicAlias
  t[0x24] = CONNACK; // maximumQoS
  t[0x25] = CONNACK; // retainAvailable
  // userProperty: every packet with properties
  t[0x26] = CONNECT | CONNACK | PUBLISH | WILL | ACKS | SUBSCRIBE | SUBACK | UNSUBSCRIBE | UNSUBACK | DISCONNECT | AUTH;
  t[0x27] = CONNECT | CONNACK; // maximumPacketSize
  t[0x28] = CONNACK; // wildcardSubscriptionAvailable
  t[0x29] = CONNACK; // subscriptionIdentifiersAvailable
  t[0x2a] = CONNACK; // sharedSubscriptionAvailable
  return t;
})();

/** Property identifier → name in `Properties`, for messages. */
export const PROPERTY_NAMES: ReadonlyMap<number, keyof Properties> = new Map<number, keyof Properties>([
  [0x01, 'payloadFormatIndicator'],
  [0x02, 'messageExpiryInterval'],
  [0x03, 'contentType'],
  [0x08, 'responseTopic'],
  [0x09, 'correlationData'],
  [0x0b, 'subscriptionIdentifiers'],
  [0x11, 'sessionExpiryInterval'],
  [0x12, 'assignedClientIdentifier'],
  [0x13, 'serverKeepAlive'],
  [0x15, 'authenticationMethod'],
  [0x16, 'authenticationData'],
  [0x17, 'requestProblemInformation'],
  [0x18, 'willDelayInterval'],
  [0x19, 'requestResponseInformation'],
  [0x1a, 'responseInformation'],
  [0x1c, 'serverReference'],
  [0x1f, 'reasonString'],
  [0x21, 'receiveMaximum'],
  [0x22, 'topicAliasMaximum'],
  [0x23, 'topicAlias'],
  [0x24, 'maximumQoS'],
  [0x25, 'retainAvailable'],
  [0x26, 'userProperties'],
  [0x27, 'maximumPacketSize'],
  [0x28, 'wildcardSubscriptionAvailable'],
  [0x29, 'subscriptionIdentifiersAvailable'],
  [0x2a, 'sharedSubscriptionAvailable'],
]);

const CONTEXT_NAMES = [
  'will',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
];

export function contextName(context: number): string {
  return CONTEXT_NAMES[context] ?? String(context);
}

export function propertyName(id: number): string {
  return PROPERTY_NAMES.get(id) ?? `0x${id.toString(16).padStart(2, '0')}`;
}

/**
 * Reads a Property Length and the properties it covers. Returns undefined when there are none,
 * or on failure, which sets `r.error`: an unknown identifier is malformed; a property not allowed
 * in `context`, repeated where only one is allowed, or out of range is a protocol error.
 */
export function readProperties(r: Reader, context: number): Properties | undefined {
  const length = r.varint('property length');
  if (length <= 0) return undefined; // 0: none; -1: r.error is set
  const stop = r.pos + length;
  if (stop > r.end) {
    r.fail('property length', 'runs past the end of the packet');
    return undefined;
  }
  const outerEnd = r.end;
  r.end = stop;
  const props: Properties = {};
  const allowed = 1 << context;
  while (r.pos < stop) {
    const id = r.buf[r.pos++]!;
    const contexts = PROPERTY_CONTEXTS[id]!;
    if (contexts === 0) {
      r.fail(`property identifier ${propertyName(id)}`, 'is unknown'); // MQTT 5 §2.2.2.2: malformed
      break;
    }
    if ((contexts & allowed) === 0) {
      r.error = protocolError(`property ${propertyName(id)} is not allowed in ${contextName(context)}`); // §2.2.2.2
      break;
    }
    if (!readProperty(r, id, context, props)) break;
  }
  r.end = outerEnd;
  return r.error === undefined ? props : undefined;
}

function duplicate(r: Reader, id: number): false {
  r.error ??= protocolError(`property ${propertyName(id)} appears more than once`);
  return false;
}

function outOfRange(r: Reader, id: number, value: number): false {
  r.error ??= protocolError(`property ${propertyName(id)} has the invalid value ${value}`);
  return false;
}

/** A Byte property whose only valid values are 0 and 1. Returns -1 on failure. */
function flag(r: Reader, id: number): number {
  const v = r.u8('property value');
  if (v > 1) {
    outOfRange(r, id, v);
    return -1;
  }
  return v;
}

/** Reads one property value into `p`. "It is a Protocol Error to include X more than once" (§3.x.2.2). */
function readProperty(r: Reader, id: number, context: number, p: Properties): boolean {
  switch (id) {
    case 0x01: {
      if (p.payloadFormatIndicator !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.payloadFormatIndicator = v as 0 | 1;
      return true;
    }
    case 0x02: {
      if (p.messageExpiryInterval !== undefined) return duplicate(r, id);
      const v = r.u32('message expiry interval');
      if (v < 0) return false;
      p.messageExpiryInterval = v;
      return true;
    }
    case 0x03: {
      if (p.contentType !== undefined) return duplicate(r, id);
      const v = r.str('content type');
      if (v === undefined) return false;
      p.contentType = v;
      return true;
    }
    case 0x08: {
      if (p.responseTopic !== undefined) return duplicate(r, id);
      const v = r.str('response topic'); // [MQTT-3.3.2-13]
      if (v === undefined) return false;
      p.responseTopic = v;
      return true;
    }
    case 0x09: {
      if (p.correlationData !== undefined) return duplicate(r, id);
      const v = r.bin('correlation data');
      if (v === undefined) return false;
      p.correlationData = v;
      return true;
    }
    case 0x0b: {
      const ids = p.subscriptionIdentifiers;
      // PUBLISH carries one per matching subscription [MQTT-3.3.4-4]; SUBSCRIBE at most one (§3.8.2.1.2).
      if (ids !== undefined && context !== 3) return duplicate(r, id);
      const v = r.varint('subscription identifier');
      if (v < 0) return false;
      if (v === 0) return outOfRange(r, id, v); // §3.8.2.1.2: "a Protocol Error if the Subscription Identifier has a value of 0"
      if (ids === undefined) p.subscriptionIdentifiers = [v];
      else ids.push(v);
      return true;
    }
    case 0x11: {
      if (p.sessionExpiryInterval !== undefined) return duplicate(r, id);
      const v = r.u32('session expiry interval');
      if (v < 0) return false;
      p.sessionExpiryInterval = v;
      return true;
    }
    case 0x12: {
      if (p.assignedClientIdentifier !== undefined) return duplicate(r, id);
      const v = r.str('assigned client identifier');
      if (v === undefined) return false;
      p.assignedClientIdentifier = v;
      return true;
    }
    case 0x13: {
      if (p.serverKeepAlive !== undefined) return duplicate(r, id);
      const v = r.u16('server keep alive');
      if (v < 0) return false;
      p.serverKeepAlive = v;
      return true;
    }
    case 0x15: {
      if (p.authenticationMethod !== undefined) return duplicate(r, id);
      const v = r.str('authentication method');
      if (v === undefined) return false;
      p.authenticationMethod = v;
      return true;
    }
    case 0x16: {
      if (p.authenticationData !== undefined) return duplicate(r, id);
      const v = r.bin('authentication data');
      if (v === undefined) return false;
      p.authenticationData = v;
      return true;
    }
    case 0x17: {
      if (p.requestProblemInformation !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.requestProblemInformation = v as 0 | 1;
      return true;
    }
    case 0x18: {
      if (p.willDelayInterval !== undefined) return duplicate(r, id);
      const v = r.u32('will delay interval');
      if (v < 0) return false;
      p.willDelayInterval = v;
      return true;
    }
    case 0x19: {
      if (p.requestResponseInformation !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.requestResponseInformation = v as 0 | 1;
      return true;
    }
    case 0x1a: {
      if (p.responseInformation !== undefined) return duplicate(r, id);
      const v = r.str('response information');
      if (v === undefined) return false;
      p.responseInformation = v;
      return true;
    }
    case 0x1c: {
      if (p.serverReference !== undefined) return duplicate(r, id);
      const v = r.str('server reference');
      if (v === undefined) return false;
      p.serverReference = v;
      return true;
    }
    case 0x1f: {
      if (p.reasonString !== undefined) return duplicate(r, id);
      const v = r.str('reason string');
      if (v === undefined) return false;
      p.reasonString = v;
      return true;
    }
    case 0x21: {
      if (p.receiveMaximum !== undefined) return duplicate(r, id);
      const v = r.u16('receive maximum');
      if (v < 0) return false;
      if (v === 0) return outOfRange(r, id, v); // §3.1.2.11.3 / §3.2.2.3.3: "a Protocol Error to include ... value of 0"
      p.receiveMaximum = v;
      return true;
    }
    case 0x22: {
      if (p.topicAliasMaximum !== undefined) return duplicate(r, id);
      const v = r.u16('topic alias maximum');
      if (v < 0) return false;
      p.topicAliasMaximum = v;
      return true;
    }
    case 0x23: {
      if (p.topicAlias !== undefined) return duplicate(r, id);
      const v = r.u16('topic alias');
      if (v < 0) return false;
      if (v === 0) return outOfRange(r, id, v); // [MQTT-3.3.2-8] a Topic Alias of 0 is not permitted
      p.topicAlias = v;
      return true;
    }
    case 0x24: {
      if (p.maximumQoS !== undefined) return duplicate(r, id);
      const v = flag(r, id); // §3.2.2.3.4: a value other than 0 or 1 is a Protocol Error
      if (v < 0) return false;
      p.maximumQoS = v as 0 | 1;
      return true;
    }
    case 0x25: {
      if (p.retainAvailable !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.retainAvailable = v as 0 | 1;
      return true;
    }
    case 0x26: {
      const name = r.str('user property name');
      if (name === undefined) return false;
      const value = r.str('user property value');
      if (value === undefined) return false;
      // User properties may repeat, names included; their order is kept [MQTT-3.3.2-18].
      if (p.userProperties === undefined) p.userProperties = [[name, value]];
      else p.userProperties.push([name, value]);
      return true;
    }
    case 0x27: {
      if (p.maximumPacketSize !== undefined) return duplicate(r, id);
      const v = r.u32('maximum packet size');
      if (v < 0) return false;
      if (v === 0) return outOfRange(r, id, v); // §3.1.2.11.4: "a Protocol Error ... to be set to zero"
      p.maximumPacketSize = v;
      return true;
    }
    case 0x28: {
      if (p.wildcardSubscriptionAvailable !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.wildcardSubscriptionAvailable = v as 0 | 1;
      return true;
    }
    case 0x29: {
      if (p.subscriptionIdentifiersAvailable !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.subscriptionIdentifiersAvailable = v as 0 | 1;
      return true;
    }
    case 0x2a: {
      if (p.sharedSubscriptionAvailable !== undefined) return duplicate(r, id);
      const v = flag(r, id);
      if (v < 0) return false;
      p.sharedSubscriptionAvailable = v as 0 | 1;
      return true;
    }
    default:
      r.fail(`property identifier ${propertyName(id)}`, 'is unknown');
      return false;
  }
}
