/**
 * Test support for the codec: a tiny wire DSL that builds packets byte by byte (independent of
 * the encoder under test) and decode helpers.
 */
import { ProtocolViolation } from '../src/errors';
import type { Packet, ProtocolVersion } from '../src/packets';
import { PacketDecoder, type DecoderOptions } from '../src/codec/decoder';

/** A piece of a packet: a byte, raw bytes, a UTF-8 run (no length prefix), or a list of those. */
export type Part = number | string | Buffer | readonly Part[];

function flatten(parts: readonly Part[], out: Buffer[]): void {
  for (const part of parts) {
    if (typeof part === 'number') out.push(Buffer.from([part]));
    else if (typeof part === 'string') out.push(Buffer.from(part, 'utf8'));
    else if (Buffer.isBuffer(part)) out.push(part);
    else flatten(part as readonly Part[], out);
  }
}

export function bytes(...parts: Part[]): Buffer {
  const out: Buffer[] = [];
  flatten(parts, out);
  return Buffer.concat(out);
}

/** A Variable Byte Integer, minimally encoded. */
export function vbi(value: number): Buffer {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

export function u16(value: number): Buffer {
  return Buffer.from([value >> 8, value & 0xff]);
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

/** A UTF-8 Encoded String: two-byte length + bytes. Raw Buffers are taken as the string's bytes. */
export function str(value: string | Buffer): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([u16(b.length), b]);
}

/** Binary Data: two-byte length + bytes. */
export function bin(value: Buffer | string): Buffer {
  return str(Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'));
}

/** A property list with its Property Length prefix. */
export function props(...parts: Part[]): Buffer {
  const body = bytes(...parts);
  return Buffer.concat([vbi(body.length), body]);
}

/** A whole packet: first byte, remaining length computed from the body, body. */
export function pkt(firstByte: number, ...body: Part[]): Buffer {
  const b = bytes(...body);
  return Buffer.concat([Buffer.from([firstByte]), vbi(b.length), b]);
}

/** Packets from `bytes`, fed in chunks of the given sizes (cycled), or as a whole. */
export function decodeAll(
  input: Buffer,
  options?: DecoderOptions,
  chunkSizes?: readonly number[],
): { packets: Packet[]; error: ProtocolViolation | undefined } {
  const decoder = new PacketDecoder(options);
  const packets: Packet[] = [];
  const onPacket = (p: Packet): void => {
    packets.push(p);
  };
  if (chunkSizes === undefined || chunkSizes.length === 0) {
    return { packets, error: decoder.push(input, onPacket) };
  }
  let off = 0;
  let i = 0;
  while (off < input.length) {
    const size = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
    const error = decoder.push(input.subarray(off, off + size), onPacket);
    if (error !== undefined) return { packets, error };
    off += size;
  }
  return { packets, error: undefined };
}

/** The single packet in `input`, decoded at `level` (undefined: learn it from a CONNECT). */
export function decodeOne(input: Buffer, level?: ProtocolVersion): Packet {
  const { packets, error } = decodeAll(input, { protocolVersion: level });
  if (error !== undefined) throw error;
  if (packets.length !== 1) throw new Error(`expected one packet, got ${packets.length}`);
  return packets[0]!;
}

/** The violation `input` yields at `level`; fails the test when it decodes. */
export function decodeError(input: Buffer, level?: ProtocolVersion): ProtocolViolation {
  const { error } = decodeAll(input, { protocolVersion: level });
  if (error === undefined) throw new Error(`expected a ProtocolViolation decoding ${input.toString('hex')}`);
  if (!(error instanceof ProtocolViolation)) throw new Error('expected a ProtocolViolation instance');
  return error;
}

export const MALFORMED = { code: 'FLOCK_ERR_MALFORMED_PACKET', reasonCode: 0x81 } as const;
export const PROTOCOL_ERROR = { code: 'FLOCK_ERR_PROTOCOL_ERROR', reasonCode: 0x82 } as const;
export const TOO_LARGE = { code: 'FLOCK_ERR_PACKET_TOO_LARGE', reasonCode: 0x95 } as const;
export const UNSUPPORTED_VERSION = { code: 'FLOCK_ERR_UNSUPPORTED_PROTOCOL_VERSION', reasonCode: 0x84 } as const;

/** `{ code, reasonCode }` of a violation, for one-line assertions. */
export function codes(error: ProtocolViolation): { code: string; reasonCode: number } {
  return { code: error.code, reasonCode: error.reasonCode };
}

/**
 * A fixture: a packet object, its protocol level and its exact wire bytes. `parseOnly` marks a
 * non-canonical encoding the decoder accepts but the encoder never produces (it writes the
 * shorter form).
 */
export interface Fixture {
  name: string;
  level: ProtocolVersion;
  packet: Packet;
  bytes: Buffer;
  parseOnly?: boolean;
}

export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** `[hex, value]` rows, so test names show bytes in hex. */
export const hexRows = (values: number[]): Array<readonly [string, number]> =>
  values.map((v) => [v.toString(16).padStart(2, '0'), v] as const);

/** A CONNECT at `level` with connect flags `flags`; `rest` follows the client id. */
export function connect(level: ProtocolVersion, flags: number, ...rest: Part[]): Buffer {
  return pkt(
    0x10,
    str(level === 3 ? 'MQIsdp' : 'MQTT'),
    level,
    flags,
    u16(60),
    level === 5 ? props() : [],
    str('cid'),
    ...rest,
  );
}

/** A level-5 CONNECT with the given CONNECT properties. */
export function connectWithProps(...properties: Part[]): Buffer {
  return pkt(0x10, str('MQTT'), 5, 0x02, u16(60), props(...properties), str('cid'));
}
