/**
 * Byte-level building blocks of the storage codec (codec.ts): a growing writer, a bounds-checked
 * reader whose failures are FlockError FLOCK_ERR_WIRE_FORMAT, and MQTT 5 properties as a
 * tag-length-value list keyed by their MQTT property id.
 */
import { FlockError } from '@flockmq/protocol';
import type { Properties, QoS, UserProperty } from '@flockmq/protocol';

export const FORMAT_V1 = 1;

// ---------------------------------------------------------------------------------------------
// Writer and reader

export class Writer {
  private buf = Buffer.allocUnsafe(256);
  private off = 0;

  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  u8(value: number): void {
    this.room(1);
    this.buf[this.off++] = value;
  }

  /** Unsigned LEB128 of a safe integer. */
  varuint(value: number): void {
    this.room(8);
    while (value >= 0x80) {
      this.buf[this.off++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.off++] = value;
  }

  /** Any number, exactly: a kind byte, then a varuint, a negated varuint or a float64. */
  number(value: number): void {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      this.u8(value >= 0 ? 0 : 1);
      this.varuint(Math.abs(value));
    } else {
      this.u8(2);
      this.room(8);
      this.buf.writeDoubleBE(value, this.off);
      this.off += 8;
    }
  }

  bytes(value: Buffer): void {
    this.varuint(value.length);
    this.room(value.length);
    value.copy(this.buf, this.off);
    this.off += value.length;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.varuint(length);
    this.room(length);
    this.off += this.buf.write(value, this.off, 'utf8');
  }

  finish(): Buffer {
    // A copy sized to the content: the working buffer may be much larger.
    return Buffer.from(this.buf.subarray(0, this.off));
  }
}

export class Reader {
  private off = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  private fail(detail: string): never {
    throw new FlockError('FLOCK_ERR_WIRE_FORMAT', `stored ${this.what} is corrupt: ${detail} at byte ${this.off}`);
  }

  private need(n: number): void {
    if (this.off + n > this.buf.length) this.fail('truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }

  varuint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) this.fail('varint too long');
    }
    return value;
  }

  number(): number {
    const kind = this.u8();
    if (kind === 0) return this.varuint();
    if (kind === 1) return -this.varuint();
    if (kind !== 2) this.fail(`number kind ${kind}`);
    this.need(8);
    const value = this.buf.readDoubleBE(this.off);
    this.off += 8;
    return value;
  }

  bytes(): Buffer {
    const length = this.varuint();
    this.need(length);
    // A copy: the caller must not keep the whole stored value alive through a slice of it.
    const value = Buffer.from(this.buf.subarray(this.off, this.off + length));
    this.off += length;
    return value;
  }

  string(): string {
    const length = this.varuint();
    this.need(length);
    const value = this.buf.toString('utf8', this.off, this.off + length);
    this.off += length;
    return value;
  }

  format(): void {
    const format = this.u8();
    if (format !== FORMAT_V1) this.fail(`unknown format ${format}`);
  }

  qos(bits: number): QoS {
    if (bits > 2) this.fail(`QoS ${bits}`);
    return bits as QoS;
  }

  end(): void {
    if (this.off !== this.buf.length) this.fail(`${this.buf.length - this.off} bytes left over`);
  }
}

// ---------------------------------------------------------------------------------------------
// MQTT 5 properties: tag (the MQTT property id), then the value. Repeatable properties
// (subscription identifiers, user properties) are one tag with a count, so an empty list
// survives and order and duplicates are kept.

type Kind = 'number' | 'string' | 'binary' | 'numbers' | 'pairs';

const PROPERTY_TAGS: ReadonlyArray<readonly [keyof Properties, number, Kind]> = [
  ['payloadFormatIndicator', 0x01, 'number'],
  ['messageExpiryInterval', 0x02, 'number'],
  ['contentType', 0x03, 'string'],
  ['responseTopic', 0x08, 'string'],
  ['correlationData', 0x09, 'binary'],
  ['subscriptionIdentifiers', 0x0b, 'numbers'],
  ['sessionExpiryInterval', 0x11, 'number'],
  ['assignedClientIdentifier', 0x12, 'string'],
  ['serverKeepAlive', 0x13, 'number'],
  ['authenticationMethod', 0x15, 'string'],
  ['authenticationData', 0x16, 'binary'],
  ['requestProblemInformation', 0x17, 'number'],
  ['willDelayInterval', 0x18, 'number'],
  ['requestResponseInformation', 0x19, 'number'],
  ['responseInformation', 0x1a, 'string'],
  ['serverReference', 0x1c, 'string'],
  ['reasonString', 0x1f, 'string'],
  ['receiveMaximum', 0x21, 'number'],
  ['topicAliasMaximum', 0x22, 'number'],
  ['topicAlias', 0x23, 'number'],
  ['maximumQoS', 0x24, 'number'],
  ['retainAvailable', 0x25, 'number'],
  ['userProperties', 0x26, 'pairs'],
  ['maximumPacketSize', 0x27, 'number'],
  ['wildcardSubscriptionAvailable', 0x28, 'number'],
  ['subscriptionIdentifiersAvailable', 0x29, 'number'],
  ['sharedSubscriptionAvailable', 0x2a, 'number'],
];

const BY_TAG = new Map(PROPERTY_TAGS.map(([name, tag, kind]) => [tag, { name, kind }] as const));

export function writeProperties(w: Writer, properties: Properties): void {
  const present = PROPERTY_TAGS.filter(([name]) => properties[name] !== undefined);
  w.varuint(present.length);
  const values = properties as Record<string, unknown>;
  for (const [name, tag, kind] of present) {
    const value = values[name];
    w.u8(tag);
    switch (kind) {
      case 'number':
        w.number(value as number);
        break;
      case 'string':
        w.string(value as string);
        break;
      case 'binary':
        w.bytes(value as Buffer);
        break;
      case 'numbers':
        w.varuint((value as number[]).length);
        for (const n of value as number[]) w.number(n);
        break;
      case 'pairs':
        w.varuint((value as UserProperty[]).length);
        for (const [k, v] of value as UserProperty[]) {
          w.string(k);
          w.string(v);
        }
        break;
    }
  }
}

export function readProperties(r: Reader): Properties {
  const out: Record<string, unknown> = {};
  const count = r.varuint();
  for (let i = 0; i < count; i++) {
    const tag = r.u8();
    const entry = BY_TAG.get(tag);
    if (!entry) throw new FlockError('FLOCK_ERR_WIRE_FORMAT', `stored properties: unknown property tag ${tag}`);
    switch (entry.kind) {
      case 'number':
        out[entry.name] = r.number();
        break;
      case 'string':
        out[entry.name] = r.string();
        break;
      case 'binary':
        out[entry.name] = r.bytes();
        break;
      case 'numbers': {
        const n = r.varuint();
        const list: number[] = [];
        for (let j = 0; j < n; j++) list.push(r.number());
        out[entry.name] = list;
        break;
      }
      case 'pairs': {
        const n = r.varuint();
        const list: UserProperty[] = [];
        for (let j = 0; j < n; j++) list.push([r.string(), r.string()]);
        out[entry.name] = list;
        break;
      }
    }
  }
  return out as Properties;
}
