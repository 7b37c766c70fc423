/** The codec's ProtocolViolations beyond `malformed()` and `protocolError()` of errors.ts. */
import { ProtocolViolation } from '../errors';
import { ReasonCode } from '../reason-codes';

/**
 * A violation found while decoding a CONNECT whose protocol level byte was already read. It
 * carries that byte so the channel can answer in the client's format: a 3.1.1 CONNACK return
 * code 0x01 or a 5.0 CONNACK reason code [MQTT-3.1.2-2]. Same shape as any ProtocolViolation.
 */
export class ConnectViolation extends ProtocolViolation {
  /** The protocol level byte of the CONNECT, as sent (e.g. 4, 5, or an unsupported 6). */
  readonly protocolVersion: number;
  constructor(violation: ProtocolViolation, protocolVersion: number) {
    super(violation.code, violation.reasonCode, violation.message);
    this.name = 'ConnectViolation';
    this.protocolVersion = protocolVersion;
  }
}

/** The remaining length announces a packet larger than the receiver accepts (0x95). */
export function packetTooLarge(size: number, maxPacketSize: number): ProtocolViolation {
  return new ProtocolViolation(
    'FLOCK_ERR_PACKET_TOO_LARGE',
    ReasonCode.PacketTooLarge,
    `packet of ${size} bytes exceeds the maximum packet size ${maxPacketSize}`,
  );
}

/** A CONNECT whose level is not 3/4/5, or whose protocol name does not match its level (0x84). */
export function unsupportedProtocolVersion(protocolName: string, level: number): ConnectViolation {
  const violation = new ProtocolViolation(
    'FLOCK_ERR_UNSUPPORTED_PROTOCOL_VERSION',
    ReasonCode.UnsupportedProtocolVersion,
    `unsupported protocol ${JSON.stringify(protocolName)} level ${level}`,
  );
  return new ConnectViolation(violation, level);
}
