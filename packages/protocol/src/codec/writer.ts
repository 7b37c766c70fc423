/** Low-level writes shared by the encoder and the property encoder. Offsets in, offsets out. */
import { FlockError } from '../errors';

/** Largest value of a Variable Byte Integer, and so of a remaining length (MQTT 5 §1.5.5). */
export const MAX_VARINT = 268_435_455;

/** An encoder input that cannot be serialised: a programmer error, never a peer's fault. */
export function encodeError(message: string): FlockError {
  return new FlockError('FLOCK_ERR_MALFORMED_PACKET', `cannot encode: ${message}`);
}

export function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : 4;
}

export function writeVarint(buf: Buffer, off: number, value: number): number {
  while (value >= 0x80) {
    buf[off++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[off++] = value;
  return off;
}

export function writeU16(buf: Buffer, off: number, value: number): number {
  buf[off] = value >>> 8;
  buf[off + 1] = value & 0xff;
  return off + 2;
}

export function writeU32(buf: Buffer, off: number, value: number): number {
  buf.writeUInt32BE(value, off);
  return off + 4;
}

/** Writes a UTF-8 Encoded String whose byte length was measured with `stringSize`. */
export function writeString(buf: Buffer, off: number, value: string): number {
  const n = value.length === 0 ? 0 : buf.write(value, off + 2, 'utf8');
  writeU16(buf, off, n);
  return off + 2 + n;
}

export function writeBinary(buf: Buffer, off: number, value: Buffer): number {
  writeU16(buf, off, value.length);
  value.copy(buf, off + 2);
  return off + 2 + value.length;
}

/** Encoded size of a UTF-8 Encoded String (length prefix included); throws when over 65,535 bytes. */
export function stringSize(value: string, what: string): number {
  if (typeof value !== 'string') throw encodeError(`${what} is not a string`);
  // A UTF-16 code unit never encodes to more than 3 bytes, so short strings need no measuring pass.
  const n = value.length * 3 <= 0xffff ? Buffer.byteLength(value, 'utf8') : checkedByteLength(value, what);
  return 2 + n;
}

function checkedByteLength(value: string, what: string): number {
  const n = Buffer.byteLength(value, 'utf8');
  if (n > 0xffff) throw encodeError(`${what} is ${n} bytes, over the 65535 limit`); // [MQTT-1.5.4-1] length prefix
  return n;
}

export function binarySize(value: Buffer, what: string): number {
  if (!Buffer.isBuffer(value)) throw encodeError(`${what} is not a Buffer`);
  if (value.length > 0xffff) throw encodeError(`${what} is ${value.length} bytes, over the 65535 limit`);
  return 2 + value.length;
}

export function checkU16(value: number, what: string, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > 0xffff)
    throw encodeError(`${what} ${value} is not in ${min}..65535`);
}

export function checkU32(value: number, what: string, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw encodeError(`${what} ${value} is not in ${min}..4294967295`);
  }
}

export function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw encodeError(`${what} ${value} is not a byte`);
}
