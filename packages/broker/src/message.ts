import type { Properties, PublishPacket, QoS } from '@flockmq/protocol';

/**
 * An application message as the broker routes it: what a publisher sent, independent of any
 * receiver. Per-delivery fields (packet id, DUP, granted QoS, subscription identifiers, the
 * remaining expiry) are decided when it is sent to a subscriber.
 */
export interface Message {
  topic: string;
  payload: Buffer;
  qos: QoS;
  /** The RETAIN flag as published (kept for Retain As Published). */
  retain: boolean;
  /** Application properties only: no topic alias, subscription identifiers or expiry interval. */
  properties: Properties | undefined;
  /** Absolute expiry time in ms (from Message Expiry Interval), if any. */
  expiresAt: number | undefined;
  /** Client id of the publisher ('' for messages the broker itself publishes); for No Local. */
  origin: string;
  /** When the broker received it (ms), for latency metrics. */
  receivedAt: number;
}

/** Properties a PUBLISH carries that belong to the message rather than to one hop. */
export function messageFromPublish(packet: PublishPacket, topic: string, origin: string, now: number): Message {
  let properties: Properties | undefined;
  let expiresAt: number | undefined;
  const p = packet.properties;
  if (p) {
    if (p.messageExpiryInterval !== undefined) expiresAt = now + p.messageExpiryInterval * 1000;
    if (
      p.payloadFormatIndicator !== undefined ||
      p.contentType !== undefined ||
      p.responseTopic !== undefined ||
      p.correlationData !== undefined ||
      p.userProperties !== undefined
    ) {
      properties = {};
      if (p.payloadFormatIndicator !== undefined) properties.payloadFormatIndicator = p.payloadFormatIndicator;
      if (p.contentType !== undefined) properties.contentType = p.contentType;
      if (p.responseTopic !== undefined) properties.responseTopic = p.responseTopic;
      if (p.correlationData !== undefined) properties.correlationData = p.correlationData;
      if (p.userProperties !== undefined) properties.userProperties = p.userProperties;
    }
  }
  return {
    topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    properties,
    expiresAt,
    origin,
    receivedAt: now,
  };
}

/** Seconds left before expiry, rounded up; 0 means expired. undefined when the message never expires. */
export function remainingExpirySeconds(message: Message, now: number): number | undefined {
  if (message.expiresAt === undefined) return undefined;
  const left = message.expiresAt - now;
  return left <= 0 ? 0 : Math.ceil(left / 1000);
}

export function isExpired(message: Message, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
