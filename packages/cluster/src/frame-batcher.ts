import type { ForwardedMessage } from '@flockmq/broker';
import { forwardedSizeBound } from './frame-forward';

/**
 * How a sent batch reports back on the acknowledged messages in it (undefined when it holds
 * none: it is published without waiting for an answer).
 */
export interface BatchOutcome {
  /** Acknowledged messages in this batch. */
  readonly acknowledged: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Sends one batch to one node and settles its outcome. */
export type SendBatch = (nodeId: string, batch: ForwardedMessage[], outcome: BatchOutcome | undefined) => void;

interface Outbox {
  batch: ForwardedMessage[];
  /** Aligned with batch: whether each message is acknowledged. */
  acknowledged: boolean[];
  /** What every acknowledged message of this outbox waits for: one promise, not one per message. */
  settled: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;
}

const SENT: Promise<void> = Promise.resolve();

/**
 * Collects forwards per target node during one turn of the event loop and hands each node's
 * messages over as one batch (setImmediate: everything forwarded in this turn, including its
 * microtasks, goes together). A batch is split only when it could exceed `maxBytes()`; its
 * acknowledged messages settle together, once every part is answered.
 */
export class ForwardBatcher {
  private outboxes = new Map<string, Outbox>();
  private handle: NodeJS.Immediate | undefined;

  constructor(
    private readonly send: SendBatch,
    private readonly maxBytes: () => number = () => Number.POSITIVE_INFINITY,
  ) {}

  /** Queues a message; acknowledged: settles with its batch, otherwise resolves at once. */
  add(nodeId: string, message: ForwardedMessage, acknowledged: boolean): Promise<void> {
    let outbox = this.outboxes.get(nodeId);
    if (!outbox) this.outboxes.set(nodeId, (outbox = { batch: [], acknowledged: [], settled: undefined }));
    this.handle ??= setImmediate(() => this.flush());
    outbox.batch.push(message);
    outbox.acknowledged.push(acknowledged);
    if (!acknowledged) return SENT;
    if (!outbox.settled) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      outbox.settled = { promise, resolve, reject };
    }
    return outbox.settled.promise;
  }

  /** Sends everything queued now. */
  flush(): void {
    if (this.handle) clearImmediate(this.handle);
    this.handle = undefined;
    const outboxes = this.outboxes;
    this.outboxes = new Map();
    const limit = this.maxBytes();
    for (const [nodeId, outbox] of outboxes) {
      const parts = limit === Number.POSITIVE_INFINITY ? [outbox.batch.length] : splitEnds(outbox.batch, limit);
      let unanswered = 0;
      let start = 0;
      const outcomes = parts.map((end) => {
        let acknowledged = 0;
        for (let i = start; i < end; i++) if (outbox.acknowledged[i]) acknowledged++;
        start = end;
        if (acknowledged > 0) unanswered++;
        return acknowledged;
      });
      const settled = outbox.settled;
      start = 0;
      parts.forEach((end, i) => {
        const acknowledged = outcomes[i]!;
        const part = start === 0 && end === outbox.batch.length ? outbox.batch : outbox.batch.slice(start, end);
        start = end;
        this.send(
          nodeId,
          part,
          acknowledged > 0 && settled
            ? {
                acknowledged,
                resolve: () => {
                  if (--unanswered === 0) settled.resolve();
                },
                reject: (error) => settled.reject(error),
              }
            : undefined,
        );
      });
    }
  }

  /** Drops everything queued, failing the acknowledged forwards. */
  abort(error: Error): void {
    if (this.handle) clearImmediate(this.handle);
    this.handle = undefined;
    const outboxes = this.outboxes;
    this.outboxes = new Map();
    for (const { settled } of outboxes.values()) settled?.reject(error);
  }
}

/** Where each part of a batch ends, so that no part could exceed `limit` bytes (each holds one message at least). */
function splitEnds(batch: ForwardedMessage[], limit: number): number[] {
  const ends: number[] = [];
  let start = 0;
  while (start < batch.length) {
    let size = forwardedSizeBound(batch[start]!);
    let end = start + 1;
    while (end < batch.length) {
      const next = forwardedSizeBound(batch[end]!);
      if (size + next > limit) break;
      size += next;
      end += 1;
    }
    ends.push(end);
    start = end;
  }
  return ends;
}
