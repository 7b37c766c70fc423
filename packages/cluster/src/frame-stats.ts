import { FRAME_KINDS } from './frame';
import type { FrameKind } from './frame';

export interface FrameCounters {
  /** Frames (one NATS message each). */
  frames: number;
  /** Encoded bytes of those frames. */
  bytes: number;
  /** Items carried: forwarded messages in forward frames, deltas in route frames, else 1 per frame. */
  items: number;
}

function counters(): Record<FrameKind, FrameCounters> {
  const out = {} as Record<FrameKind, FrameCounters>;
  for (const kind of Object.keys(FRAME_KINDS) as FrameKind[]) out[kind] = { frames: 0, bytes: 0, items: 0 };
  return out;
}

/** What a bus sent and received, per frame kind; plain counters the metrics module reads. */
export class FrameStats {
  readonly sent = counters();
  readonly received = counters();
  /** Frames received that could not be decoded (unknown version or kind, malformed): logged and dropped. */
  dropped = 0;
  /** Acknowledged forwards that failed (timeout, no responder, handler rejected): counted per message. */
  forwardFailures = 0;

  countSent(kind: FrameKind, bytes: number, items = 1): void {
    const c = this.sent[kind];
    c.frames += 1;
    c.bytes += bytes;
    c.items += items;
  }

  countReceived(kind: FrameKind, bytes: number, items = 1): void {
    const c = this.received[kind];
    c.frames += 1;
    c.bytes += bytes;
    c.items += items;
  }
}
