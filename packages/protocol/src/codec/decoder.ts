/**
 * Streaming MQTT 3.1 / 3.1.1 / 5.0 decoder: bytes in, packets out, no I/O.
 *
 * Framing keeps one pending buffer. Whole packets inside a chunk are parsed in place (no copy,
 * no concat); only a packet split across chunks is assembled in the pending buffer, which grows
 * geometrically up to that packet's size, so a packet fed one byte at a time costs O(n). Field
 * parsing is in parse-connect.ts and parse-packets.ts; strings come out as JS strings and binary
 * fields as fresh Buffers, so nothing aliases the caller's chunk (the payload of a packet over
 * 64 KiB assembled from several chunks is a view of the pending buffer, which is then dropped).
 *
 * Decoded packets: optional fields a packet does not carry are present with the value
 * undefined. At level 5, acks, DISCONNECT and AUTH always have a numeric `reasonCode` (0x00 for
 * the short forms) and `properties` is undefined when the Property Length is 0. At levels 3/4
 * reason codes and properties are undefined (CONNACK and SUBACK carry the 3.1.1 return codes).
 *
 * Spec ids in comments are MQTT 5.0; 3.1.1 ids are given where they differ.
 */
import { malformed, protocolError, ProtocolViolation } from '../errors';
import type { Packet, ProtocolVersion } from '../packets';
import { ReasonCode } from '../reason-codes';
import { parseConnack, parseConnect } from './parse-connect';
import {
  parseDisconnectOrAuth,
  parsePubAck,
  parsePublish,
  parseSuback,
  parseSubscribe,
  parseUnsuback,
  parseUnsubscribe,
} from './parse-packets';
import { Reader } from './reader';
import { packetTooLarge } from './violations';

export interface DecoderOptions {
  maxPacketSize?: number;
  protocolVersion?: ProtocolVersion;
}

/** 1 byte of packet type + 4 bytes of remaining length + the largest remaining length (268,435,455). */
export const DEFAULT_MAX_PACKET_SIZE = 268_435_460;

/** A pending buffer grown past this is dropped once its packet is delivered, not kept for reuse. */
const KEEP_PENDING_BYTES = 64 * 1024;
const MIN_PENDING_BYTES = 256;
const EMPTY = Buffer.alloc(0);

/** Required fixed-header flags per packet type [MQTT-2.1.3-1] (3.1.1: [MQTT-2.2.2-1]); -1 = PUBLISH, checked apart. */
const HEADER_FLAGS = [0, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];
const TYPE_NAMES = [
  'reserved',
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

export class PacketDecoder {
  /** Level used to parse non-CONNECT packets. Learned from a decoded CONNECT, or set by the owner (e.g. a client-side decoder). */
  protocolVersion: ProtocolVersion | undefined;
  /** Largest accepted packet (whole packet incl. fixed header); default 268435460. Mutable. */
  maxPacketSize: number;

  private readonly reader = new Reader();
  private error: ProtocolViolation | undefined = undefined;
  /** True while onPacket runs, so an exception from it is told apart from a decoder bug. */
  private delivering = false;
  /** Bytes of an incomplete packet: `pending[0, pendingLength)`. */
  private pending: Buffer = EMPTY;
  private pendingLength = 0;
  /** Total size of the pending packet, or 0 while its fixed header is incomplete. */
  private pendingTotal = 0;
  private pendingHeaderLength = 0;
  /** Remaining length read by the last successful readHeader(). */
  private remainingLength = 0;

  constructor(options?: DecoderOptions) {
    this.protocolVersion = options?.protocolVersion;
    this.maxPacketSize = options?.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  }

  /**
   * Feed bytes (any chunking, down to 1 byte at a time). Calls onPacket for each complete packet,
   * in order. On the first bad packet returns a ProtocolViolation and the decoder stays failed
   * (further push() returns the same error without decoding). Never throws, whatever the bytes.
   *
   * An exception thrown by onPacket propagates to the caller; the decoder is then failed with a
   * FLOCK_ERR_PROTOCOL_ERROR / 0x83 violation whose `cause` is that exception.
   */
  push(chunk: Buffer, onPacket: (packet: Packet, size: number) => void): ProtocolViolation | undefined {
    if (this.error !== undefined) return this.error;
    try {
      return this.feed(chunk, onPacket);
    } catch (cause) {
      this.reader.release();
      this.pending = EMPTY;
      this.pendingLength = 0;
      if (this.delivering) {
        this.delivering = false;
        this.error = new ProtocolViolation(
          'FLOCK_ERR_PROTOCOL_ERROR',
          ReasonCode.ImplementationSpecificError,
          'decoder stopped: onPacket threw',
          { cause },
        );
        throw cause;
      }
      // Safety net: the parsers bound-check every read, so this is a decoder bug, reported as malformed.
      this.error = new ProtocolViolation(
        'FLOCK_ERR_MALFORMED_PACKET',
        ReasonCode.MalformedPacket,
        'undecodable packet',
        { cause },
      );
      return this.error;
    }
  }

  private feed(chunk: Buffer, onPacket: (packet: Packet, size: number) => void): ProtocolViolation | undefined {
    const length = chunk.length;
    let off = 0;
    if (this.pendingLength > 0) {
      off = this.fillPending(chunk);
      if (this.error !== undefined) return this.fail();
      if (this.pendingTotal === 0 || this.pendingLength < this.pendingTotal) return undefined;
      // A large pending buffer is not kept for reuse, so the payload may be a view of it (no second copy).
      const giveUp = this.pending.length > KEEP_PENDING_BYTES;
      const packet = this.parse(this.pending, 0, this.pendingHeaderLength, this.pendingTotal, giveUp);
      const size = this.pendingTotal;
      this.pendingLength = 0;
      this.pendingTotal = 0;
      if (giveUp) this.pending = EMPTY;
      if (packet === undefined) return this.fail();
      this.deliver(packet, onPacket, size);
    }
    while (off < length) {
      const headerLength = this.readHeader(chunk, off, length);
      if (headerLength < 0) return this.fail();
      if (headerLength === 0) {
        this.stash(chunk, off, 0, 0);
        return undefined;
      }
      const total = headerLength + this.remainingLength;
      if (length - off < total) {
        this.stash(chunk, off, headerLength, total);
        return undefined;
      }
      const packet = this.parse(chunk, off, off + headerLength, off + total, false);
      if (packet === undefined) return this.fail();
      off += total;
      this.deliver(packet, onPacket, total);
    }
    return undefined;
  }

  private deliver(packet: Packet, onPacket: (packet: Packet, size: number) => void, size: number): void {
    this.delivering = true;
    onPacket(packet, size);
    this.delivering = false;
  }

  private fail(): ProtocolViolation {
    this.pending = EMPTY;
    this.pendingLength = 0;
    this.error ??= malformed('undecodable packet');
    return this.error;
  }

  /**
   * Reads the fixed header at `buf[off, end)`. Returns its length, 0 when incomplete, or -1 on a
   * violation (set in this.error). Checks type, flags, level and size before any body is buffered.
   */
  private readHeader(buf: Buffer, off: number, end: number): number {
    const first = this.checkFirstByte(buf[off]!);
    if (first !== undefined) {
      this.error = first;
      return -1;
    }
    let value = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (off + i >= end) return 0;
      const byte = buf[off + i]!;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        if (byte === 0 && i > 1) {
          this.error = malformed('remaining length is not minimally encoded'); // [MQTT-1.5.5-1]
          return -1;
        }
        const total = i + 1 + value;
        if (total > this.maxPacketSize) {
          this.error = packetTooLarge(total, this.maxPacketSize); // §3.1.2.11.4 Maximum Packet Size; 0x95
          return -1;
        }
        this.remainingLength = value;
        return i + 1;
      }
      multiplier *= 128;
    }
    this.error = malformed('remaining length is longer than four bytes'); // [MQTT-1.5.5-1]
    return -1;
  }

  private checkFirstByte(byte: number): ProtocolViolation | undefined {
    const type = byte >> 4;
    const flags = byte & 0x0f;
    if (this.protocolVersion === undefined && type !== 1) {
      // [MQTT-3.1.0-1]: the first packet must be CONNECT, and without it there is no level to parse with.
      return protocolError(`expected CONNECT, got ${TYPE_NAMES[type]}`);
    }
    if (type === 0) return malformed('packet type 0 is reserved'); // §2.1.2
    if (type === 15 && this.protocolVersion !== 5) return malformed('packet type 15 is reserved before MQTT 5'); // 3.1.1 §2.2.1
    const required = HEADER_FLAGS[type]!;
    if (required >= 0) {
      if (flags !== required) return malformed(`${TYPE_NAMES[type]} fixed header flags are ${flags}`); // [MQTT-2.1.3-1] (3.1.1: [MQTT-2.2.2-1])
      return undefined;
    }
    const qos = (flags >> 1) & 0x03;
    if (qos === 3) return malformed('PUBLISH QoS is 3'); // [MQTT-3.3.1-4]
    if (qos === 0 && (flags & 0x08) !== 0) return malformed('PUBLISH DUP is set on QoS 0'); // [MQTT-3.3.1-2]
    return undefined;
  }

  /** Keeps `chunk[off, end)`: an incomplete header (headerLength 0) or an incomplete packet of `total` bytes. */
  private stash(chunk: Buffer, off: number, headerLength: number, total: number): void {
    const n = chunk.length - off;
    this.pendingTotal = total;
    this.pendingHeaderLength = headerLength;
    this.pendingLength = 0;
    this.reserve(n);
    chunk.copy(this.pending, 0, off);
    this.pendingLength = n;
  }

  /** Appends from `chunk` towards the pending packet; returns the bytes of `chunk` used. */
  private fillPending(chunk: Buffer): number {
    const length = chunk.length;
    let off = 0;
    while (this.pendingTotal === 0) {
      // The fixed header is incomplete: take bytes one by one until it parses (at most 4 more).
      if (off >= length) return off;
      this.reserve(this.pendingLength + 1);
      this.pending[this.pendingLength++] = chunk[off++]!;
      const headerLength = this.readHeader(this.pending, 0, this.pendingLength);
      if (headerLength < 0) return off;
      if (headerLength > 0) {
        this.pendingHeaderLength = headerLength;
        this.pendingTotal = headerLength + this.remainingLength;
      }
    }
    const n = Math.min(this.pendingTotal - this.pendingLength, length - off);
    if (n > 0) {
      this.reserve(this.pendingLength + n);
      chunk.copy(this.pending, this.pendingLength, off, off + n);
      this.pendingLength += n;
      off += n;
    }
    return off;
  }

  /** Grows the pending buffer to hold `min` bytes: doubling, but never past the pending packet's size. */
  private reserve(min: number): void {
    const old = this.pending;
    if (old.length >= min) return;
    let capacity = Math.max(min, old.length * 2, MIN_PENDING_BYTES);
    if (this.pendingTotal > 0 && capacity > this.pendingTotal) capacity = Math.max(min, this.pendingTotal);
    const next = Buffer.allocUnsafe(capacity);
    old.copy(next, 0, 0, this.pendingLength);
    this.pending = next;
  }

  /**
   * Parses the packet `buf[start, end)` whose body starts at `bodyStart`; undefined with
   * this.error set on a violation. `owned`: `buf` is the decoder's and will not be reused.
   */
  private parse(buf: Buffer, start: number, bodyStart: number, end: number, owned: boolean): Packet | undefined {
    const byte = buf[start]!;
    const type = byte >> 4;
    const r = this.reader;
    r.reset(buf, bodyStart, end, owned);
    // CONNECT carries its own level; checkFirstByte() guarantees a level for every other type.
    const version: ProtocolVersion = this.protocolVersion ?? 5;
    let packet: Packet | undefined;
    switch (type) {
      case 1:
        packet = parseConnect(r);
        break;
      case 2:
        packet = parseConnack(r, version);
        break;
      case 3:
        packet = parsePublish(r, byte & 0x0f, version);
        break;
      case 4:
      case 5:
      case 6:
      case 7:
        packet = parsePubAck(r, type, version);
        break;
      case 8:
        packet = parseSubscribe(r, version);
        break;
      case 9:
        packet = parseSuback(r, version);
        break;
      case 10:
        packet = parseUnsubscribe(r, version);
        break;
      case 11:
        packet = parseUnsuback(r, version);
        break;
      case 12:
        packet = { type: 'pingreq' };
        break;
      case 13:
        packet = { type: 'pingresp' };
        break;
      default:
        packet = parseDisconnectOrAuth(r, type, version);
    }
    if (packet !== undefined && r.pos !== r.end) {
      packet = undefined;
      r.error = malformed(`${TYPE_NAMES[type]} has ${r.end - r.pos} bytes beyond its fields`); // remaining length must match the fields
    }
    r.release();
    if (packet === undefined) {
      this.error = r.error ?? malformed(`undecodable ${TYPE_NAMES[type]}`);
      return undefined;
    }
    if (packet.type === 'connect') this.protocolVersion = packet.protocolVersion;
    return packet;
  }
}
