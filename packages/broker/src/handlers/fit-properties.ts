import { encodePacket } from '@flockmq/protocol';
import type { Packet, Properties } from '@flockmq/protocol';

/**
 * An MQTT 5 packet as it may go to this client: without its reason string and user properties when
 * the client asked for no problem information [MQTT-3.1.2-29], or when they would push the packet
 * over the client's Maximum Packet Size [MQTT-3.1.2-25] (for acks and DISCONNECT the rest of the
 * packet must still go out).
 */
export function fitProperties(packet: Packet, requestProblemInformation: boolean, maxPacketSize: number): Packet {
  if (packet.type === 'publish' || !('properties' in packet) || !packet.properties) return packet;
  const { reasonString, userProperties } = packet.properties;
  if (reasonString === undefined && userProperties === undefined) return packet;
  const allowed = requestProblemInformation || packet.type === 'connack' || packet.type === 'disconnect';
  if (allowed && encodePacket(packet, 5).length <= maxPacketSize) return packet;
  const properties: Properties = { ...packet.properties };
  delete properties.reasonString;
  delete properties.userProperties;
  return { ...packet, properties } as Packet;
}
