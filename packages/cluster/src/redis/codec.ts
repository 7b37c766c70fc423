/**
 * Compact binary encoding of what the Redis backends store: messages, pending deliveries,
 * subscription options and wills. Not JSON: payloads and binary properties stay bytes, numbers
 * are varints, MQTT 5 properties are a tag-length-value list keyed by their MQTT property id.
 *
 * Every top-level value starts with a format byte (FORMAT_V1), so a later release can read
 * what an older one wrote. Decoding errors are FlockError FLOCK_ERR_WIRE_FORMAT, never a crash.
 */
import { FlockError } from '@flockmq/protocol';
import type { Message, PendingMessage, StoredSubscription, StoredWill, SubscriptionOptions } from '@flockmq/broker';
import { FORMAT_V1, Reader, Writer, readProperties, writeProperties } from './codec-binary';

export { FORMAT_V1 };

/** What a pending message is stored as: seq and state live in their own Redis structures. */
export type PendingBody = Omit<PendingMessage, 'seq' | 'state'>;

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
