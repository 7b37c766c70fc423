/**
 * Byte-level reading and writing for the inter-node frames (see frame.ts and docs/cluster-wire.md).
 *
 * Integers that carry lengths and counts are MQTT Variable Byte Integers (1–4 bytes, at most
 * 268,435,455). Times and epochs are IEEE 754 doubles, big-endian, so any JavaScript number
 * round-trips exactly. Strings are a length then UTF-8; byte strings a length then the bytes.
 */
import { FlockError } from '@flockmq/protocol';

/** The largest length or count a Variable Byte Integer can carry. */
export const MAX_VARINT = 268_435_455;

/** The error every malformed, truncated or unknown frame yields: the receiver logs it and drops the frame. */
export function wireError(message: string, cause?: unknown): FlockError {
  return new FlockError('FLOCK_ERR_WIRE_FORMAT', message, cause === undefined ? undefined : { cause });
}

const INITIAL_SCRATCH = 64 * 1024;
/** A scratch buffer that grew past this is dropped after use instead of being kept for the next frame. */
const MAX_RETAINED_SCRATCH = 4 * 1024 * 1024;

/**
 * Writes one frame into a shared scratch buffer (encoding is synchronous, so one suffices),
 * growing it as needed, and copies the result out in `finish()`. One pass over every string:
 * short strings (whose UTF-8 length is known to fit one length byte) are written straight after
 * a one-byte length slot; longer ones measure first.
 */
export class FrameWriter {
  private static scratch = Buffer.allocUnsafe(INITIAL_SCRATCH);
  private buf: Buffer;
  private pos = 0;

  constructor() {
    this.buf = FrameWriter.scratch;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    FrameWriter.scratch = bigger;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(value >>> 0, this.pos);
    this.pos += 4;
  }

  f64(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(value, this.pos);
    this.pos += 8;
  }

  varint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
      throw wireError(`cannot encode ${value} as a variable byte integer`);
    }
    this.ensure(4);
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) byte |= 0x80;
      this.buf[this.pos++] = byte;
    } while (value > 0);
  }

  str(value: string): void {
    // At most 3 UTF-8 bytes per UTF-16 code unit: under 43 units the length fits one byte.
    if (value.length < 43) {
      this.ensure(1 + value.length * 3);
      const written = this.buf.write(value, this.pos + 1, 'utf8');
      this.buf[this.pos] = written;
      this.pos += 1 + written;
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.ensure(length);
    this.buf.write(value, this.pos, length, 'utf8');
    this.pos += length;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** The frame, in a Buffer of its own. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    if (this.buf.length > MAX_RETAINED_SCRATCH) FrameWriter.scratch = Buffer.allocUnsafe(INITIAL_SCRATCH);
    return out;
  }
}

/**
 * Reads a frame, checking every bound: running past the end, an overlong varint or a count that
 * cannot fit in what is left throws a wire error (never a RangeError or an oversized allocation).
 * Byte strings are copied out, so decoded messages do not pin the transport's read buffer.
 */
export class FrameReader {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(data: Uint8Array) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) throw wireError(`frame truncated reading ${what} at byte ${this.pos}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  f64(what: string): number {
    this.need(8, what);
    const value = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return value;
  }

  varint(what: string): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw wireError(`variable byte integer too long reading ${what}`);
  }

  /** A count of items each at least `minBytes` long: one that cannot fit in the rest of the frame is refused. */
  count(what: string, minBytes: number): number {
    const n = this.varint(what);
    if (n * minBytes > this.remaining) throw wireError(`${what} count ${n} exceeds the frame`);
    return n;
  }

  str(what: string): string {
    const length = this.varint(what);
    this.need(length, what);
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  bytes(what: string): Buffer {
    const length = this.varint(what);
    this.need(length, what);
    const value = Buffer.allocUnsafe(length);
    this.buf.copy(value, 0, this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** Trailing bytes mean the frame is not what this version says it is. */
  end(): void {
    if (this.pos !== this.buf.length) throw wireError(`${this.buf.length - this.pos} unexpected bytes after the frame`);
  }
}
