/**
 * Bodies of the rare frames (version 1): route deltas, control requests and replies. Compact
 * binary like the forward frame, so one reader and one versioning rule cover every frame.
 */
import type { ControlReply, ControlRequest, RouteDelta } from '@flockmq/broker';
import { FrameReader, FrameWriter, wireError } from './frame-io';

const OP_ADD = 1;
const OP_REMOVE = 2;
const OP_PURGE = 3;
const OP_MASK = 0x0f;
const DELTA_HAS_MEMBERS = 0x80;
const DELTA_RESERVED = 0x70;

const REQUEST_TAKEOVER = 1;
const REQUEST_ROUTES = 2;
const REQUEST_ADMIN = 3;

const REPLY_OK = 0x01;
const REPLY_HAS_DETAIL = 0x02;
const REPLY_HAS_ROUTES = 0x04;
const REPLY_HAS_DATA = 0x08;
const REPLY_RESERVED = 0xf0;

export function writeRouteDeltas(w: FrameWriter, deltas: readonly RouteDelta[]): void {
  w.varint(deltas.length);
  for (const delta of deltas) {
    const op = delta.op === 'add' ? OP_ADD : delta.op === 'remove' ? OP_REMOVE : delta.op === 'purge' ? OP_PURGE : 0;
    if (op === 0) throw wireError(`cannot encode route op ${String(delta.op)}`);
    w.u8(delta.members === undefined ? op : op | DELTA_HAS_MEMBERS);
    w.str(delta.filter);
    w.str(delta.nodeId);
    if (delta.members !== undefined) w.varint(delta.members);
  }
}

export function readRouteDeltas(r: FrameReader): RouteDelta[] {
  const count = r.count('route delta', 3);
  const deltas: RouteDelta[] = new Array<RouteDelta>(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u8('route op');
    if (flags & DELTA_RESERVED) throw wireError('reserved route delta flag set');
    const code = flags & OP_MASK;
    const op = code === OP_ADD ? 'add' : code === OP_REMOVE ? 'remove' : code === OP_PURGE ? 'purge' : undefined;
    if (op === undefined) throw wireError(`unknown route op ${code}`);
    const filter = r.str('route filter');
    const nodeId = r.str('route node');
    deltas[i] =
      flags & DELTA_HAS_MEMBERS ? { op, filter, nodeId, members: r.varint('route members') } : { op, filter, nodeId };
  }
  return deltas;
}

export function writeControlRequest(w: FrameWriter, request: ControlRequest): void {
  switch (request.type) {
    case 'takeover':
      w.u8(REQUEST_TAKEOVER);
      w.str(request.clientId);
      w.f64(request.epoch);
      return;
    case 'routes':
      w.u8(REQUEST_ROUTES);
      return;
    case 'admin':
      w.u8(REQUEST_ADMIN);
      w.str(request.method);
      w.str(request.body);
      return;
    default:
      throw wireError(`cannot encode control request ${String((request as { type: unknown }).type)}`);
  }
}

export function readControlRequest(r: FrameReader): ControlRequest {
  const type = r.u8('control request type');
  switch (type) {
    case REQUEST_TAKEOVER:
      return { type: 'takeover', clientId: r.str('clientId'), epoch: r.f64('epoch') };
    case REQUEST_ROUTES:
      return { type: 'routes' };
    case REQUEST_ADMIN:
      return { type: 'admin', method: r.str('admin method'), body: r.str('admin body') };
    default:
      throw wireError(`unknown control request type ${type}`);
  }
}

export function writeControlReply(w: FrameWriter, reply: ControlReply): void {
  let flags = reply.ok ? REPLY_OK : 0;
  if (reply.detail !== undefined) flags |= REPLY_HAS_DETAIL;
  if (reply.routes !== undefined) flags |= REPLY_HAS_ROUTES;
  if (reply.data !== undefined) flags |= REPLY_HAS_DATA;
  w.u8(flags);
  if (reply.detail !== undefined) w.str(reply.detail);
  if (reply.routes !== undefined) writeRouteDeltas(w, reply.routes);
  if (reply.data !== undefined) w.str(reply.data);
}

export function readControlReply(r: FrameReader): ControlReply {
  const flags = r.u8('control reply flags');
  if (flags & REPLY_RESERVED) throw wireError('reserved control reply flag set');
  const reply: ControlReply = { ok: (flags & REPLY_OK) !== 0 };
  if (flags & REPLY_HAS_DETAIL) reply.detail = r.str('detail');
  if (flags & REPLY_HAS_ROUTES) reply.routes = readRouteDeltas(r);
  if (flags & REPLY_HAS_DATA) reply.data = r.str('admin data');
  return reply;
}
