import type { ForwardedMessage } from '@flockmq/broker';
import { forwardedSizeBound } from './frame-forward';

/** Settles one acknowledged forward. */
export interface ForwardWaiter {
  resolve(): void;
  reject(error: Error): void;
}

/** Sends one batch to one node; settles every waiter (the acknowledged messages of the batch). */
export type SendBatch = (nodeId: string, batch: ForwardedMessage[], waiters: ForwardWaiter[]) => void;

interface Outbox {
  batch: ForwardedMessage[];
  /** Aligned with batch: the waiter of each acknowledged message. */
  waiters: Array<ForwardWaiter | undefined>;
}

/**
 * Collects forwards per target node during one turn of the event loop and hands each node's
 * messages over as one batch (setImmediate: everything forwarded in this turn, including its
 * microtasks, goes together). A batch is split only when it could exceed `maxBytes()`.
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
    if (!outbox) this.outboxes.set(nodeId, (outbox = { batch: [], waiters: [] }));
    this.handle ??= setImmediate(() => this.flush());
    outbox.batch.push(message);
    if (!acknowledged) {
      outbox.waiters.push(undefined);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => outbox.waiters.push({ resolve, reject }));
  }

  /** Sends everything queued now. */
  flush(): void {
    if (this.handle) clearImmediate(this.handle);
    this.handle = undefined;
    const outboxes = this.outboxes;
    this.outboxes = new Map();
    const limit = this.maxBytes();
    for (const [nodeId, { batch, waiters }] of outboxes) {
      let start = 0;
      while (start < batch.length) {
        let end = start + 1;
        if (limit !== Number.POSITIVE_INFINITY) {
          let size = forwardedSizeBound(batch[start]!);
          while (end < batch.length) {
            const next = forwardedSizeBound(batch[end]!);
            if (size + next > limit) break;
            size += next;
            end += 1;
          }
        } else {
          end = batch.length;
        }
        const whole = start === 0 && end === batch.length;
        const part = whole ? waiters : waiters.slice(start, end);
        this.send(
          nodeId,
          whole ? batch : batch.slice(start, end),
          part.filter((w): w is ForwardWaiter => w !== undefined),
        );
        start = end;
      }
    }
  }

  /** Drops everything queued, failing the acknowledged forwards. */
  abort(error: Error): void {
    if (this.handle) clearImmediate(this.handle);
    this.handle = undefined;
    const outboxes = this.outboxes;
    this.outboxes = new Map();
    for (const { waiters } of outboxes.values()) for (const waiter of waiters) waiter?.reject(error);
  }
}
