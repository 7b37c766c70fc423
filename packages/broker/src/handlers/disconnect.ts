import { ReasonCode } from '@flockmq/protocol';
import type { DisconnectPacket } from '@flockmq/protocol';
import type { Channel } from '../channel';

/** DISCONNECT from the client: a normal close drops the will [MQTT-3.14.4-3]; 0x04 keeps it. */
export function handleDisconnect(channel: Channel, packet: DisconnectPacket): void {
  const session = channel.session!;
  const reasonCode = packet.reasonCode ?? ReasonCode.NormalDisconnection;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined) {
    if (session.expiryInterval === 0 && expiry !== 0) {
      // [MQTT-3.14.2-2] Session Expiry cannot go from 0 to non-zero at DISCONNECT.
      return channel.protocolViolation(ReasonCode.ProtocolError, 'session expiry interval was 0 at CONNECT');
    }
    session.expiryInterval = Math.min(expiry, channel.broker.limits.maxSessionExpiryInterval);
  }
  channel.disconnectReason = reasonCode;
  if (reasonCode !== ReasonCode.DisconnectWithWillMessage) channel.will = undefined;
  channel.log.debug({ reasonCode }, 'client_disconnected');
  channel.clientDisconnected(reasonCode); // [MQTT-3.14.4-1]
}
