import { RingBuffer } from './ring-buffer';

/** A publish whose acknowledgement waits for its durable part and for the publishes before it. */
interface PendingAck {
  state: 'waiting' | 'done' | 'failed';
  error: unknown;
  done: () => void;
  failed: (error: unknown) => void;
}

/**
 * The publishes of one connection whose durable part (store appends, acknowledged forwards,
 * retained writes) is still under way. Each is acknowledged once its own work and every earlier
 * one's acknowledgement are done: PUBACKs go out in the order the PUBLISHes came [MQTT-4.6.0-2],
 * while the publishes themselves are routed at once (a publisher's window is not cut to one
 * message per store or cluster round trip).
 */
export class PublishAcks {
  private readonly queue = new RingBuffer<PendingAck>(8);
  private onIdle: (() => void) | undefined;

  /** Whether a publish is still waiting to be acknowledged. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Queues a publish: `done` (or `failed`) runs once `work` settled, after the publishes before it. */
  after(work: Promise<unknown> | undefined, done: () => void, failed: (error: unknown) => void): void {
    const ack: PendingAck = { state: work ? 'waiting' : 'done', error: undefined, done, failed };
    this.queue.push(ack);
    if (!work) {
      this.release();
      return;
    }
    work.then(
      () => {
        ack.state = 'done';
        this.release();
      },
      (error: unknown) => {
        ack.state = 'failed';
        ack.error = error;
        this.release();
      },
    );
  }

  /** Runs `then` once no publish is waiting (at once if none is); one waiter at a time. */
  whenIdle(then: () => void): void {
    if (!this.pending) then();
    else this.onIdle = then;
  }

  private release(): void {
    const queue = this.queue;
    while (queue.length > 0 && queue.peek()!.state !== 'waiting') {
      const ack = queue.shift()!;
      if (ack.state === 'done') ack.done();
      else ack.failed(ack.error);
    }
    if (queue.length === 0 && this.onIdle) {
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle();
    }
  }
}
