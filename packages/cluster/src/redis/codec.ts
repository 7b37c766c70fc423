/**
 * Compact binary encoding of what the Redis backends store: messages, pending deliveries,
 * subscription options and wills. Not JSON: payloads and binary properties stay bytes, numbers
 * are varints, MQTT 5 properties are a tag-length-value list keyed by their MQTT property id.
 *
 * Every top-level value starts with a format byte (FORMAT_V1), so a later release can read
 * what an older one wrote. Decoding errors are FlockError FLOCK_ERR_WIRE_FORMAT, never a crash.
 */
import { FlockError } from '@flockmq/protocol';
import type { Properties, QoS, UserProperty } from '@flockmq/protocol';
import type { Message, PendingMessage, StoredSubscription, StoredWill, SubscriptionOptions } from '@flockmq/broker';

export const FORMAT_V1 = 1;

/** What a pending message is stored as: seq and state live in their own Redis structures. */
export type PendingBody = Omit<PendingMessage, 'seq' | 'state'>;

// ---------------------------------------------------------------------------------------------
// Writer and reader

class Writer {
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

class Reader {
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

function writeProperties(w: Writer, properties: Properties): void {
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

function readProperties(r: Reader): Properties {
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

// ---------------------------------------------------------------------------------------------
// Message: flags (qos:2, retain, has properties, has expiresAt), topic, payload, origin,
// receivedAt, [expiresAt], [properties].

const M_RETAIN = 0x04;
const M_PROPERTIES = 0x08;
const M_EXPIRES = 0x10;

function writeMessage(w: Writer, m: Message): void {
  let flags = m.qos;
  if (m.retain) flags |= M_RETAIN;
  if (m.properties !== undefined) flags |= M_PROPERTIES;
  if (m.expiresAt !== undefined) flags |= M_EXPIRES;
  w.u8(flags);
  w.string(m.topic);
  w.bytes(m.payload);
  w.string(m.origin);
  w.number(m.receivedAt);
  if (m.expiresAt !== undefined) w.number(m.expiresAt);
  if (m.properties !== undefined) writeProperties(w, m.properties);
}

function readMessage(r: Reader): Message {
  const flags = r.u8();
  const qos = r.qos(flags & 0x03);
  const topic = r.string();
  const payload = r.bytes();
  const origin = r.string();
  const receivedAt = r.number();
  const expiresAt = flags & M_EXPIRES ? r.number() : undefined;
  const properties = flags & M_PROPERTIES ? readProperties(r) : undefined;
  return { topic, payload, qos, retain: (flags & M_RETAIN) !== 0, properties, expiresAt, origin, receivedAt };
}

export function encodeMessage(message: Message): Buffer {
  const w = new Writer();
  w.u8(FORMAT_V1);
  writeMessage(w, message);
  return w.finish();
}

export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf, 'message');
  r.format();
  const message = readMessage(r);
  r.end();
  return message;
}

// ---------------------------------------------------------------------------------------------
// Pending message body: flags (qos:2, retain, has subscription ids, has shared group), message,
// [subscription ids], [shared group]. Seq and state are stored beside it, not in it.

const P_RETAIN = 0x04;
const P_SUB_IDS = 0x08;
const P_SHARED = 0x10;

export function encodePendingBody(p: PendingBody): Buffer {
  const w = new Writer();
  w.u8(FORMAT_V1);
  let flags = p.qos;
  if (p.retain) flags |= P_RETAIN;
  if (p.subscriptionIds !== undefined) flags |= P_SUB_IDS;
  if (p.sharedGroup !== undefined) flags |= P_SHARED;
  w.u8(flags);
  writeMessage(w, p.message);
  if (p.subscriptionIds !== undefined) {
    w.varuint(p.subscriptionIds.length);
    for (const id of p.subscriptionIds) w.number(id);
  }
  if (p.sharedGroup !== undefined) w.string(p.sharedGroup);
  return w.finish();
}

export function decodePendingBody(buf: Buffer): PendingBody {
  const r = new Reader(buf, 'pending message');
  r.format();
  const flags = r.u8();
  const qos = r.qos(flags & 0x03);
  const message = readMessage(r);
  let subscriptionIds: number[] | undefined;
  if (flags & P_SUB_IDS) {
    subscriptionIds = [];
    const n = r.varuint();
    for (let i = 0; i < n; i++) subscriptionIds.push(r.number());
  }
  const sharedGroup = flags & P_SHARED ? r.string() : undefined;
  r.end();
  return { message, qos, retain: (flags & P_RETAIN) !== 0, subscriptionIds, sharedGroup };
}

const STATES = ['queued', 'sent', 'released'] as const;

/** A whole PendingMessage, seq and state included (for callers that store it as one value). */
export function encodePendingMessage(p: PendingMessage): Buffer {
  const body = encodePendingBody(p);
  const w = new Writer();
  w.u8(FORMAT_V1);
  w.number(p.seq);
  w.u8(STATES.indexOf(p.state));
  w.bytes(body);
  return w.finish();
}

export function decodePendingMessage(buf: Buffer): PendingMessage {
  const r = new Reader(buf, 'pending message');
  r.format();
  const seq = r.number();
  const state = STATES[r.u8()];
  if (state === undefined) throw new FlockError('FLOCK_ERR_WIRE_FORMAT', 'stored pending message: unknown state');
  const body = decodePendingBody(r.bytes());
  r.end();
  return { ...body, seq, state };
}

// ---------------------------------------------------------------------------------------------
// Subscription options: flags (qos:2, noLocal, retainAsPublished, retainHandling:2, has id), [id].

const S_NO_LOCAL = 0x04;
const S_RAP = 0x08;
const S_HAS_ID = 0x40;

export function encodeSubscriptionOptions(s: SubscriptionOptions): Buffer {
  const w = new Writer();
  w.u8(FORMAT_V1);
  let flags = s.qos | (s.retainHandling << 4);
  if (s.noLocal) flags |= S_NO_LOCAL;
  if (s.retainAsPublished) flags |= S_RAP;
  if (s.subscriptionId !== undefined) flags |= S_HAS_ID;
  w.u8(flags);
  if (s.subscriptionId !== undefined) w.number(s.subscriptionId);
  return w.finish();
}

export function decodeSubscriptionOptions(buf: Buffer): SubscriptionOptions {
  const r = new Reader(buf, 'subscription');
  r.format();
  const flags = r.u8();
  const qos = r.qos(flags & 0x03);
  const retainHandling = (flags >> 4) & 0x03;
  if (retainHandling > 2) throw new FlockError('FLOCK_ERR_WIRE_FORMAT', 'stored subscription: retain handling 3');
  const subscriptionId = flags & S_HAS_ID ? r.number() : undefined;
  r.end();
  return {
    qos,
    noLocal: (flags & S_NO_LOCAL) !== 0,
    retainAsPublished: (flags & S_RAP) !== 0,
    retainHandling: retainHandling as 0 | 1 | 2,
    subscriptionId,
  };
}

/** A whole subscription, filter included. */
export function encodeSubscription(s: StoredSubscription): Buffer {
  const w = new Writer();
  w.u8(FORMAT_V1);
  w.string(s.filter);
  w.bytes(encodeSubscriptionOptions(s));
  return w.finish();
}

export function decodeSubscription(buf: Buffer): StoredSubscription {
  const r = new Reader(buf, 'subscription');
  r.format();
  const filter = r.string();
  const options = decodeSubscriptionOptions(r.bytes());
  r.end();
  return { filter, ...options };
}

// ---------------------------------------------------------------------------------------------
// Will: flags (qos:2, retain, has properties), topic, payload, delayInterval, [properties].
// `properties` is optional on StoredWill: absent stays absent.

const W_RETAIN = 0x04;
const W_PROPERTIES = 0x08;

export function encodeWill(will: StoredWill): Buffer {
  const w = new Writer();
  w.u8(FORMAT_V1);
  let flags = will.qos;
  if (will.retain) flags |= W_RETAIN;
  if (will.properties !== undefined) flags |= W_PROPERTIES;
  w.u8(flags);
  w.string(will.topic);
  w.bytes(will.payload);
  w.number(will.delayInterval);
  if (will.properties !== undefined) writeProperties(w, will.properties);
  return w.finish();
}

export function decodeWill(buf: Buffer): StoredWill {
  const r = new Reader(buf, 'will');
  r.format();
  const flags = r.u8();
  const qos = r.qos(flags & 0x03);
  const topic = r.string();
  const payload = r.bytes();
  const delayInterval = r.number();
  const will: StoredWill = { topic, payload, qos, retain: (flags & W_RETAIN) !== 0, delayInterval };
  if (flags & W_PROPERTIES) will.properties = readProperties(r);
  r.end();
  return will;
}
