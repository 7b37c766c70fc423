import { ReasonCode, isValidMqttUtf8, topicNameError } from '@flockmq/protocol';
import type { PubackPacket, PubcompPacket, PublishPacket, PubrecPacket, PubrelPacket } from '@flockmq/protocol';
import type { Channel } from '../channel';
import { messageFromPublish } from '../message';

/**
 * Inbound PUBLISH: check it against the limits, resolve its topic alias, authorise, route, and
 * acknowledge — after anything durable the delivery needs has completed (G1).
 */
export function handlePublish(channel: Channel, packet: PublishPacket): void | Promise<void> {
  const { broker } = channel;
  const { limits } = broker;
  const session = channel.session!;
  const v5 = channel.isV5;

  if (packet.qos > limits.maxQoS) {
    // [MQTT-3.2.2-11] A QoS above Maximum QoS is a protocol error (0x9B).
    return channel.protocolViolation(ReasonCode.QoSNotSupported, `QoS ${packet.qos} above maximum ${limits.maxQoS}`);
  }
  if (packet.retain && !limits.retainAvailable) {
    // [MQTT-3.2.2-14] RETAIN when Retain Available is 0 (0x9A).
    return channel.protocolViolation(ReasonCode.RetainNotSupported, 'retain is not supported');
  }
  const duplicateQoS2 = packet.qos === 2 && session.inboundQoS2.has(packet.packetId!);
  if (packet.qos > 0 && !duplicateQoS2 && channel.inboundUnacked + session.inboundQoS2.size >= limits.receiveMaximum) {
    // [MQTT-3.3.4-9] The client sent more unacknowledged QoS 1/2 publishes than Receive Maximum.
    return channel.protocolViolation(
      ReasonCode.ReceiveMaximumExceeded,
      `more than ${limits.receiveMaximum} unacknowledged publishes`,
    );
  }

  if (packet.properties?.subscriptionIdentifiers !== undefined) {
    // [MQTT-3.3.4-6] Subscription identifiers go from server to client only.
    return channel.protocolViolation(ReasonCode.ProtocolError, 'subscription identifier in a client PUBLISH');
  }
  const responseTopic = packet.properties?.responseTopic;
  if (responseTopic !== undefined && topicNameError(responseTopic, { maxTopicLevels: limits.maxTopicLevels })) {
    // [MQTT-3.3.2-14] The Response Topic must be a valid topic name (no wildcards).
    return channel.protocolViolation(ReasonCode.ProtocolError, 'response topic is not a valid topic name');
  }

  let topic = packet.topic;
  const alias = packet.properties?.topicAlias;
  if (alias !== undefined) {
    if (alias === 0 || alias > limits.topicAliasMaximum) {
      // [MQTT-3.3.2-8] [MQTT-3.3.2-9] [MQTT-3.3.2-10]
      return channel.protocolViolation(
        ReasonCode.TopicAliasInvalid,
        `topic alias ${alias} out of range 1-${limits.topicAliasMaximum}`,
      );
    }
    if (topic === '') {
      const known = channel.topicAliases?.get(alias);
      if (known === undefined)
        return channel.protocolViolation(ReasonCode.ProtocolError, `unknown topic alias ${alias}`);
      topic = known;
    } else {
      (channel.topicAliases ??= new Map()).set(alias, topic); // [MQTT-3.3.2-12]
    }
  }
  const topicError = topicNameError(topic, { maxTopicLevels: limits.maxTopicLevels });
  if (topicError) {
    // [MQTT-3.3.2-1] [MQTT-3.3.2-2] The topic name must be a valid name without wildcards.
    return channel.protocolViolation(ReasonCode.TopicNameInvalid, `topic name: ${topicError}`);
  }

  if (duplicateQoS2) {
    // [MQTT-4.3.3-9] A resent QoS 2 PUBLISH before PUBREL is acknowledged but not delivered again.
    channel.send({ type: 'pubrec', packetId: packet.packetId! });
    return;
  }

  const refusal = refusePublish(channel, topic, packet);
  if (refusal !== undefined) {
    acknowledge(channel, packet, refusal);
    return;
  }

  const message = messageFromPublish(packet, topic, channel.clientId, broker.clock.now());
  const { matched, done } = broker.publish(message);
  // MQTT 5: 0x10 tells the publisher nobody was subscribed (still a success).
  const reasonCode = v5 && !matched ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
  if (packet.qos === 0) {
    // The callbacks are made only when there is something to wait for (not per QoS 0 message).
    if (done)
      channel.afterPublish(
        done,
        () => undefined,
        (error) => notStored(channel, packet, topic, error),
      );
    return;
  }
  let durable = done;
  if (packet.qos === 2) {
    session.addInboundQoS2(packet.packetId!);
    // A durable session records the id before PUBREC, so a resend after a takeover is recognised.
    const written = channel.writeThrough((c) => (c.inboundQoS2Add ??= []).push(packet.packetId!));
    if (written) durable = done ? Promise.all([done, written]) : written;
  }
  channel.inboundUnacked++;
  channel.afterPublish(
    durable,
    () => {
      channel.inboundUnacked--;
      acknowledge(channel, packet, reasonCode);
    },
    (error) => notStored(channel, packet, topic, error),
  );
}

/**
 * A publish not stored or not handed over (Redis or a peer unreachable): never acknowledged, so
 * the client publishes it again after reconnecting [MQTT-4.4.0-1]; nothing it was told is lost.
 */
function notStored(channel: Channel, packet: PublishPacket, topic: string, error: unknown): void {
  if (packet.qos > 0) channel.inboundUnacked--;
  channel.log.warn({ err: (error as Error).message, topic }, 'publish_not_stored');
  channel.disconnect(ReasonCode.ServerBusy, 'the message could not be stored; publish it again');
}

/** A reason code when this publish must not be routed; undefined when it may. */
function refusePublish(channel: Channel, topic: string, packet: PublishPacket): number | undefined {
  const { hooks } = channel.broker;
  if (topic.startsWith('$SYS') || (hooks.authorizePublish && !hooks.authorizePublish(channel.info, topic))) {
    channel.log.info({ topic }, 'publish_not_authorized');
    return ReasonCode.NotAuthorized;
  }
  if (channel.isV5 && packet.properties?.payloadFormatIndicator === 1 && !isValidMqttUtf8(packet.payload)) {
    // [MQTT-3.3.2-4] The server may check a payload declared as UTF-8.
    return ReasonCode.PayloadFormatInvalid;
  }
  return undefined;
}

/**
 * PUBACK / PUBREC for a publish. 3.1.1 has no negative acknowledgement: a refused publish is
 * acknowledged and discarded there [MQTT-3.3.5-2].
 */
function acknowledge(channel: Channel, packet: PublishPacket, reasonCode: number): void {
  if (packet.qos === 0) return;
  const ack = channel.isV5 && reasonCode !== ReasonCode.Success ? { reasonCode } : {};
  // [MQTT-4.3.2-4] QoS 1 → PUBACK; [MQTT-4.3.3-8] QoS 2 → PUBREC.
  if (packet.qos === 1) channel.send({ type: 'puback', packetId: packet.packetId!, ...ack });
  else channel.send({ type: 'pubrec', packetId: packet.packetId!, ...ack });
}

/** PUBREL from the client releases an inbound QoS 2 packet id [MQTT-4.3.3-11]. */
export function handlePubrel(channel: Channel, packet: PubrelPacket): void | Promise<void> {
  const known = channel.session!.deleteInboundQoS2(packet.packetId);
  const ack: PubcompPacket = { type: 'pubcomp', packetId: packet.packetId };
  if (!known && channel.isV5) ack.reasonCode = ReasonCode.PacketIdentifierNotFound;
  // A durable session forgets the id in the store before PUBCOMP: after PUBCOMP the client may reuse it.
  const written = known ? channel.writeThrough((c) => (c.inboundQoS2Remove ??= []).push(packet.packetId)) : undefined;
  if (!written) return channel.send(ack);
  return written.then(() => channel.send(ack));
}

/** PUBACK completes an outbound QoS 1 delivery; the window has room again. */
export function handlePuback(channel: Channel, packet: PubackPacket): void {
  const session = channel.session!;
  const pending = session.inflight.get(packet.packetId);
  if (!pending || pending.qos !== 1) {
    channel.log.debug({ packetId: packet.packetId }, 'puback_unknown_packet_id');
    return;
  }
  session.deleteInflight(packet.packetId);
  channel.complete(pending);
  channel.pump();
}

/** PUBREC on an outbound QoS 2 delivery: answer PUBREL, or end the flow on an error code. */
export function handlePubrec(channel: Channel, packet: PubrecPacket): void | Promise<void> {
  const session = channel.session!;
  const pending = session.inflight.get(packet.packetId);
  if (!pending || pending.qos !== 2) {
    if (channel.isV5)
      channel.send({ type: 'pubrel', packetId: packet.packetId, reasonCode: ReasonCode.PacketIdentifierNotFound });
    else channel.send({ type: 'pubrel', packetId: packet.packetId });
    return;
  }
  if ((packet.reasonCode ?? 0) >= 0x80) {
    // A failed PUBREC ends the exchange: the packet id is free again (MQTT 5 §4.3.3).
    session.deleteInflight(packet.packetId);
    channel.complete(pending);
    channel.pump();
    return;
  }
  pending.state = 'released';
  // [MQTT-4.3.3-4] PUBREL answers PUBREC. A durable session records the release first, so a node
  // that resumes it after a crash sends PUBREL, not the message again.
  const written = channel.writeThrough((c) => (c.released ??= []).push(pending.seq));
  if (!written) return channel.send({ type: 'pubrel', packetId: packet.packetId });
  return written.then(() => channel.send({ type: 'pubrel', packetId: packet.packetId }));
}

/** PUBCOMP completes an outbound QoS 2 delivery. */
export function handlePubcomp(channel: Channel, packet: PubcompPacket): void {
  const session = channel.session!;
  const pending = session.inflight.get(packet.packetId);
  if (!pending || pending.state !== 'released') {
    channel.log.debug({ packetId: packet.packetId }, 'pubcomp_unknown_packet_id');
    return;
  }
  session.deleteInflight(packet.packetId);
  channel.complete(pending);
  channel.pump();
}
