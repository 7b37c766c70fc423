/**
 * A bounds-checked cursor over one packet's bytes, reused by a decoder for every packet.
 *
 * Reads never throw: a read that would cross `end`, or an invalid string or integer, records a
 * Malformed Packet violation in `error` and returns a sentinel (-1 for numbers, undefined
 * otherwise). Parsers check the sentinel and return `error`. No closures, no per-read objects.
 */
import { malformed, type ProtocolViolation } from '../errors';
import { isValidMqttUtf8Range } from './utf8';

const EMPTY = Buffer.alloc(0);

export class Reader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;
  /** The first violation recorded by a failed read, if any. */
  error: ProtocolViolation | undefined = undefined;
  /**
   * True when `buf` belongs to the decoder and is never written again (a large packet assembled
   * from several chunks): rest() may then return a view instead of a copy.
   */
  owned = false;

  reset(buf: Buffer, pos: number, end: number, owned: boolean): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.error = undefined;
    this.owned = owned;
  }

  /** Drops the reference to the packet's buffer so a chunk is not retained. */
  release(): void {
    this.buf = EMPTY;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  u8(what: string): number {
    if (this.pos >= this.end) return this.truncated(what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    const p = this.pos;
    if (p + 2 > this.end) return this.truncated(what);
    this.pos = p + 2;
    return (this.buf[p]! << 8) | this.buf[p + 1]!;
  }

  u32(what: string): number {
    const p = this.pos;
    if (p + 4 > this.end) return this.truncated(what);
    this.pos = p + 4;
    const b = this.buf;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** A Variable Byte Integer: at most four bytes, minimally encoded [MQTT-1.5.5-1]. */
  varint(what: string): number {
    let value = 0;
    let multiplier = 1;
    const b = this.buf;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) return this.truncated(what);
      const byte = b[this.pos++]!;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) return this.fail(what, 'is not minimally encoded'); // [MQTT-1.5.5-1]
        return value;
      }
      multiplier *= 128;
    }
    return this.fail(what, 'is longer than four bytes'); // [MQTT-1.5.5-1]
  }

  /** A UTF-8 Encoded String, validated [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
  str(what: string): string | undefined {
    const p = this.pos;
    if (p + 2 > this.end) return this.missing(what);
    const start = p + 2;
    const stop = start + ((this.buf[p]! << 8) | this.buf[p + 1]!);
    if (stop > this.end) return this.missing(what);
    if (!isValidMqttUtf8Range(this.buf, start, stop)) {
      this.fail(what, 'is not well-formed UTF-8 or contains U+0000'); // [MQTT-1.5.4-1] [MQTT-1.5.4-2]
      return undefined;
    }
    this.pos = stop;
    return this.buf.toString('utf8', start, stop);
  }

  /** Binary Data (two-byte length + bytes), copied so the result never aliases the input. */
  bin(what: string): Buffer | undefined {
    const p = this.pos;
    if (p + 2 > this.end) return this.missing(what);
    const start = p + 2;
    const stop = start + ((this.buf[p]! << 8) | this.buf[p + 1]!);
    if (stop > this.end) return this.missing(what);
    this.pos = stop;
    return copyOf(this.buf, start, stop);
  }

  /** The rest of the packet (a PUBLISH payload): a copy, or a view of a buffer the decoder gave up. */
  rest(): Buffer {
    const out = this.owned ? this.buf.subarray(this.pos, this.end) : copyOf(this.buf, this.pos, this.end);
    this.pos = this.end;
    return out;
  }

  fail(what: string, problem: string): -1 {
    this.error ??= malformed(`${what} ${problem}`);
    return -1;
  }

  private truncated(what: string): -1 {
    return this.fail(what, 'runs past the end of the packet');
  }

  private missing(what: string): undefined {
    this.fail(what, 'runs past the end of the packet');
    return undefined;
  }
}

/** A fresh copy of `buf[start, end)`. */
export function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}
