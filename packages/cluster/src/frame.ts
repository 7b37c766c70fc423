/**
 * The versioned binary frames nodes exchange (docs/cluster-wire.md has the byte layout).
 *
 *   version u8 | kind u8 | from: string | body (by kind)
 *
 * A receiver decodes only the versions it knows (SUPPORTED_WIRE_VERSIONS); anything else —
 * an unknown version or kind, a truncated or malformed frame, trailing bytes — is a FlockError
 * `FLOCK_ERR_WIRE_FORMAT` that the receiver logs and drops. Decoding never throws anything else.
 */
import { FlockError } from '@flockmq/protocol';
import type { ControlReply, ControlRequest, ForwardedMessage, RouteDelta } from '@flockmq/broker';
import {
  readControlReply,
  readControlRequest,
  readRouteDeltas,
  writeControlReply,
  writeControlRequest,
  writeRouteDeltas,
} from './frame-control';
import { readForwardBatch, writeForwardBatch } from './frame-forward';
import { FrameReader, FrameWriter, wireError } from './frame-io';

/** The version this release writes. */
export const WIRE_VERSION = 1;
/** The versions this release reads. A release that writes v(n+1) keeps reading v(n). */
export const SUPPORTED_WIRE_VERSIONS: ReadonlySet<number> = new Set([1]);

/** Kind bytes of version 1. */
export const FRAME_KINDS = {
  forward: 1,
  'forward-ack': 2,
  routes: 3,
  'control-request': 4,
  'control-reply': 5,
  heartbeat: 6,
  goodbye: 7,
  load: 8,
} as const;

/**
 * The answer to an acknowledged forward: `delivered` once the receiver's forward handler
 * resolved, `failed` if it rejected, `rejected` if the receiver could not read the frame.
 */
export type ForwardAckStatus = 'delivered' | 'failed' | 'rejected';
const ACK_STATUS: readonly ForwardAckStatus[] = ['delivered', 'failed', 'rejected'];

export type Frame =
  | { kind: 'forward'; from: string; batch: ForwardedMessage[] }
  | { kind: 'forward-ack'; from: string; status: ForwardAckStatus; detail?: string }
  | { kind: 'routes'; from: string; deltas: RouteDelta[] }
  | { kind: 'control-request'; from: string; request: ControlRequest }
  | { kind: 'control-reply'; from: string; reply: ControlReply }
  /** "I am alive": `incarnation` changes when the node restarts; `maxVersion` is the newest wire version it reads. */
  | { kind: 'heartbeat'; from: string; incarnation: number; maxVersion: number }
  /** "I am leaving": peers mark the node down at once. */
  | { kind: 'goodbye'; from: string; incarnation: number }
  /** "I hold this many client connections": nodes compare loads to rebalance. */
  | { kind: 'load'; from: string; connections: number };

export type FrameKind = Frame['kind'];

const KIND_BY_BYTE = new Map<number, FrameKind>(
  Object.entries(FRAME_KINDS).map(([name, byte]) => [byte, name as FrameKind]),
);

/** Encodes a frame in the current version. Throws a wire error only for values no frame can carry (a programmer error). */
export function encodeFrame(frame: Frame): Buffer {
  const w = new FrameWriter();
  w.u8(WIRE_VERSION);
  w.u8(FRAME_KINDS[frame.kind]);
  w.str(frame.from);
  switch (frame.kind) {
    case 'forward':
      writeForwardBatch(w, frame.batch);
      break;
    case 'forward-ack': {
      const status = ACK_STATUS.indexOf(frame.status);
      if (status < 0) throw wireError(`cannot encode forward ack status ${String(frame.status)}`);
      w.u8(status);
      if (frame.status !== 'delivered') w.str(frame.detail ?? '');
      break;
    }
    case 'routes':
      writeRouteDeltas(w, frame.deltas);
      break;
    case 'control-request':
      writeControlRequest(w, frame.request);
      break;
    case 'control-reply':
      writeControlReply(w, frame.reply);
      break;
    case 'heartbeat':
      w.u32(frame.incarnation);
      w.u8(frame.maxVersion);
      break;
    case 'goodbye':
      w.u32(frame.incarnation);
      break;
    case 'load':
      w.varint(frame.connections);
      break;
  }
  return w.finish();
}

/** Decodes a frame of a supported version; anything else throws a FlockError `FLOCK_ERR_WIRE_FORMAT`. */
export function decodeFrame(data: Uint8Array): Frame {
  try {
    return decode(new FrameReader(data));
  } catch (error) {
    if (error instanceof FlockError) throw error;
    throw wireError('undecodable frame', error);
  }
}

function decode(r: FrameReader): Frame {
  const version = r.u8('version');
  if (!SUPPORTED_WIRE_VERSIONS.has(version)) throw wireError(`unsupported wire version ${version}`);
  const kindByte = r.u8('kind');
  const kind = KIND_BY_BYTE.get(kindByte);
  if (kind === undefined) throw wireError(`unknown frame kind ${kindByte} in version ${version}`);
  const from = r.str('from');
  let frame: Frame;
  switch (kind) {
    case 'forward':
      frame = { kind, from, batch: readForwardBatch(r) };
      break;
    case 'forward-ack': {
      const status = ACK_STATUS[r.u8('ack status')];
      if (status === undefined) throw wireError('unknown forward ack status');
      frame = status === 'delivered' ? { kind, from, status } : { kind, from, status, detail: r.str('ack detail') };
      break;
    }
    case 'routes':
      frame = { kind, from, deltas: readRouteDeltas(r) };
      break;
    case 'control-request':
      frame = { kind, from, request: readControlRequest(r) };
      break;
    case 'control-reply':
      frame = { kind, from, reply: readControlReply(r) };
      break;
    case 'heartbeat':
      frame = { kind, from, incarnation: r.u32('incarnation'), maxVersion: r.u8('maxVersion') };
      break;
    case 'goodbye':
      frame = { kind, from, incarnation: r.u32('incarnation') };
      break;
    case 'load':
      frame = { kind, from, connections: r.varint('connections') };
      break;
  }
  r.end();
  return frame;
}

/** The kind named by a frame's header, without decoding the body (stats for frames that fail to decode). */
export function peekFrameKind(data: Uint8Array): FrameKind | undefined {
  if (data.length < 2 || !SUPPORTED_WIRE_VERSIONS.has(data[0]!)) return undefined;
  return KIND_BY_BYTE.get(data[1]!);
}
