/**
 * The body of a version 1 forward frame: a count, then each forwarded message (layout in
 * docs/cluster-wire.md). This is the hot path between nodes: no JSON, one pass, one buffer.
 */
import type { Properties, QoS, UserProperty } from '@flockmq/protocol';
import type { ForwardedMessage, Message } from '@flockmq/broker';
import { FrameReader, FrameWriter, wireError } from './frame-io';

// Message flags (one byte).
const QOS_MASK = 0x03;
const RETAIN = 0x04;
const HAS_EXPIRY = 0x08;
const HAS_SHARED_GROUP = 0x10;
const HAS_PROPERTIES = 0x20;
const HAS_ADOPTED_FROM = 0x40;
const HAS_FOR_CLIENT = 0x80;

// Property flags (one byte, present when HAS_PROPERTIES).
const P_PAYLOAD_FORMAT = 0x01;
const P_CONTENT_TYPE = 0x02;
const P_RESPONSE_TOPIC = 0x04;
const P_CORRELATION_DATA = 0x08;
const P_USER_PROPERTIES = 0x10;
const PROPERTIES_RESERVED = 0xe0;

/** flags, topic length, payload length, origin length, receivedAt: the least a message takes. */
const MIN_MESSAGE_BYTES = 1 + 1 + 1 + 1 + 8;

export function writeForwardBatch(w: FrameWriter, batch: readonly ForwardedMessage[]): void {
  w.varint(batch.length);
  for (const forwarded of batch) writeForwarded(w, forwarded);
}

function writeForwarded(w: FrameWriter, forwarded: ForwardedMessage): void {
  const { message, sharedGroup, adoptedFrom, forClient } = forwarded;
  const { qos, properties, expiresAt } = message;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw wireError(`cannot encode QoS ${String(qos)}`);
  let flags: number = qos;
  if (message.retain) flags |= RETAIN;
  if (expiresAt !== undefined) flags |= HAS_EXPIRY;
  if (sharedGroup !== undefined) flags |= HAS_SHARED_GROUP;
  if (properties !== undefined) flags |= HAS_PROPERTIES;
  if (adoptedFrom !== undefined) flags |= HAS_ADOPTED_FROM;
  if (forClient !== undefined) flags |= HAS_FOR_CLIENT;
  w.u8(flags);
  w.str(message.topic);
  w.bytes(message.payload);
  w.str(message.origin);
  w.f64(message.receivedAt);
  if (expiresAt !== undefined) w.f64(expiresAt);
  if (sharedGroup !== undefined) w.str(sharedGroup);
  if (adoptedFrom !== undefined) w.str(adoptedFrom);
  if (forClient !== undefined) w.str(forClient);
  if (properties !== undefined) writeProperties(w, properties);
}

/** Only the application properties a Message carries; any other property is not part of a message. */
function writeProperties(w: FrameWriter, p: Properties): void {
  let flags = 0;
  if (p.payloadFormatIndicator !== undefined) flags |= P_PAYLOAD_FORMAT;
  if (p.contentType !== undefined) flags |= P_CONTENT_TYPE;
  if (p.responseTopic !== undefined) flags |= P_RESPONSE_TOPIC;
  if (p.correlationData !== undefined) flags |= P_CORRELATION_DATA;
  if (p.userProperties !== undefined) flags |= P_USER_PROPERTIES;
  w.u8(flags);
  if (p.payloadFormatIndicator !== undefined) w.u8(p.payloadFormatIndicator);
  if (p.contentType !== undefined) w.str(p.contentType);
  if (p.responseTopic !== undefined) w.str(p.responseTopic);
  if (p.correlationData !== undefined) w.bytes(p.correlationData);
  if (p.userProperties !== undefined) {
    w.varint(p.userProperties.length);
    for (const [name, value] of p.userProperties) {
      w.str(name);
      w.str(value);
    }
  }
}

export function readForwardBatch(r: FrameReader): ForwardedMessage[] {
  const count = r.count('message', MIN_MESSAGE_BYTES);
  const batch: ForwardedMessage[] = new Array<ForwardedMessage>(count);
  for (let i = 0; i < count; i++) batch[i] = readForwarded(r);
  return batch;
}

function readForwarded(r: FrameReader): ForwardedMessage {
  const flags = r.u8('message flags');
  const qos = flags & QOS_MASK;
  if (qos === 3) throw wireError('QoS 3 in a forwarded message');
  const topic = r.str('topic');
  const payload = r.bytes('payload');
  const origin = r.str('origin');
  const receivedAt = r.f64('receivedAt');
  const expiresAt = flags & HAS_EXPIRY ? r.f64('expiresAt') : undefined;
  const sharedGroup = flags & HAS_SHARED_GROUP ? r.str('sharedGroup') : undefined;
  const adoptedFrom = flags & HAS_ADOPTED_FROM ? r.str('adoptedFrom') : undefined;
  const forClient = flags & HAS_FOR_CLIENT ? r.str('forClient') : undefined;
  const properties = flags & HAS_PROPERTIES ? readProperties(r) : undefined;
  const message: Message = {
    topic,
    payload,
    qos: qos as QoS,
    retain: (flags & RETAIN) !== 0,
    properties,
    expiresAt,
    origin,
    receivedAt,
  };
  const forwarded: ForwardedMessage = { message, sharedGroup };
  if (adoptedFrom !== undefined) forwarded.adoptedFrom = adoptedFrom;
  if (forClient !== undefined) forwarded.forClient = forClient;
  return forwarded;
}

function readProperties(r: FrameReader): Properties {
  const flags = r.u8('property flags');
  if (flags & PROPERTIES_RESERVED) throw wireError('reserved property flag set');
  const p: Properties = {};
  if (flags & P_PAYLOAD_FORMAT) {
    const indicator = r.u8('payloadFormatIndicator');
    if (indicator !== 0 && indicator !== 1) throw wireError(`payloadFormatIndicator ${indicator}`);
    p.payloadFormatIndicator = indicator;
  }
  if (flags & P_CONTENT_TYPE) p.contentType = r.str('contentType');
  if (flags & P_RESPONSE_TOPIC) p.responseTopic = r.str('responseTopic');
  if (flags & P_CORRELATION_DATA) p.correlationData = r.bytes('correlationData');
  if (flags & P_USER_PROPERTIES) {
    const count = r.count('user property', 2);
    const list: UserProperty[] = new Array<UserProperty>(count);
    for (let i = 0; i < count; i++) list[i] = [r.str('user property name'), r.str('user property value')];
    p.userProperties = list;
  }
  return p;
}

/**
 * An upper bound of a message's encoded size, without measuring UTF-8: used to split a batch
 * so that no frame exceeds the transport's maximum payload.
 */
export function forwardedSizeBound(forwarded: ForwardedMessage): number {
  const { message, sharedGroup, adoptedFrom, forClient } = forwarded;
  let size = 1 + 4 + message.topic.length * 3 + 4 + message.payload.length + 4 + message.origin.length * 3 + 8;
  if (message.expiresAt !== undefined) size += 8;
  if (sharedGroup !== undefined) size += 4 + sharedGroup.length * 3;
  if (adoptedFrom !== undefined) size += 4 + adoptedFrom.length * 3;
  if (forClient !== undefined) size += 4 + forClient.length * 3;
  const p = message.properties;
  if (p !== undefined) {
    size += 2;
    if (p.contentType !== undefined) size += 4 + p.contentType.length * 3;
    if (p.responseTopic !== undefined) size += 4 + p.responseTopic.length * 3;
    if (p.correlationData !== undefined) size += 4 + p.correlationData.length;
    if (p.userProperties !== undefined) {
      size += 4;
      for (const [name, value] of p.userProperties) size += 8 + (name.length + value.length) * 3;
    }
  }
  return size;
}
