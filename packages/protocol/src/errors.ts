import { ReasonCode } from './reason-codes';

/** Stable error codes. Tests assert these, never the message text. */
export type FlockErrorCode =
  | 'FLOCK_ERR_MALFORMED_PACKET'
  | 'FLOCK_ERR_PROTOCOL_ERROR'
  | 'FLOCK_ERR_PACKET_TOO_LARGE'
  | 'FLOCK_ERR_UNSUPPORTED_PROTOCOL_VERSION'
  | 'FLOCK_ERR_TOPIC_NAME_INVALID'
  | 'FLOCK_ERR_TOPIC_FILTER_INVALID'
  | 'FLOCK_ERR_CONFIG_INVALID'
  | 'FLOCK_ERR_PORT_IN_USE'
  | 'FLOCK_ERR_FENCED'
  | 'FLOCK_ERR_SESSION_NOT_FOUND'
  | 'FLOCK_ERR_FORWARD_FAILED'
  | 'FLOCK_ERR_ADMIN'
  | 'FLOCK_ERR_WIRE_FORMAT'
  /** A backend (Redis, NATS) could not be reached. */
  | 'FLOCK_ERR_UNREACHABLE'
  /** Work given up because the node is shutting down. */
  | 'FLOCK_ERR_CANCELLED';

/** Base class of every error FlockMQ raises on purpose. */
export class FlockError extends Error {
  readonly code: FlockErrorCode;
  constructor(code: FlockErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlockError';
    this.code = code;
  }
}

/**
 * A violation of the MQTT protocol by the peer. Carries the MQTT 5 reason code the channel sends
 * in DISCONNECT (or CONNACK) before closing; 3.1.1 connections are just closed.
 */
export class ProtocolViolation extends FlockError {
  readonly reasonCode: number;
  constructor(code: FlockErrorCode, reasonCode: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtocolViolation';
    this.reasonCode = reasonCode;
  }
}

export const malformed = (message: string): ProtocolViolation =>
  new ProtocolViolation('FLOCK_ERR_MALFORMED_PACKET', ReasonCode.MalformedPacket, message);

export const protocolError = (message: string): ProtocolViolation =>
  new ProtocolViolation('FLOCK_ERR_PROTOCOL_ERROR', ReasonCode.ProtocolError, message);
