/**
 * The two ways the generator offers load.
 *
 * Closed loop (throughput): publishers send as fast as the broker takes messages, bounded by a
 * budget of deliveries in flight (published × fan-out − received), so that a broker is measured
 * at the rate it sustains rather than at how much it can buffer; QoS 1/2 publishers also keep at
 * most `window` publishes unacknowledged. Deliveries that never arrive (a QoS 0 drop) are
 * written off after a second of silence and counted as lost.
 *
 * Open loop (latency): publishes at a fixed rate whatever the broker does, each stamped with its
 * send time; the receiver records send-to-receive time in an HdrHistogram.
 */
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import type { BenchClient, PublishTemplate } from './client.ts';

export interface Publisher {
  client: BenchClient;
  template: PublishTemplate;
  /** `batch` copies of a QoS 0 frame, written as one buffer. */
  prebuilt?: Buffer;
}

export interface ClosedLoopOptions {
  publishers: Publisher[];
  subscribers: BenchClient[];
  /** Deliveries each publish makes (subscribers matching it). */
  fanOut: number;
  /** Deliveries allowed in flight across all publishers. */
  budget: number;
  /** QoS 1/2 publishes a publisher may have unacknowledged. */
  window: number;
  /** Frames per socket write. */
  batch: number;
  /** Stop after this many publishes (default: until stop()). */
  limit?: number;
}

const STALL_MS = 1000;

export class ClosedLoop {
  published = 0;
  lost = 0;
  private running = false;
  private scheduled = false;
  private next = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private lastReceived = 0;

  private readonly options: ClosedLoopOptions;

  constructor(options: ClosedLoopOptions) {
    this.options = options;
    for (const publisher of options.publishers) {
      if (publisher.template.qos === 0) publisher.prebuilt = repeat(publisher.template.frame, options.batch);
    }
  }

  private readonly tally = { received: 0 };

  received(): number {
    return this.tally.received;
  }

  start(): void {
    this.running = true;
    // Subscribers' reads wake the publishers only once a good part of the budget is free again:
    // a pump per read would cost the generator more than the broker spends on the message.
    const refill = Math.max(this.options.fanOut, this.options.budget / 4);
    const onDelivery = (): void => {
      if (this.options.budget - this.outstanding() >= refill) this.wake();
    };
    for (const subscriber of this.options.subscribers) {
      this.tally.received += subscriber.received;
      subscriber.tally = this.tally;
      subscriber.onActivity = onDelivery;
    }
    const wake = (): void => this.wake();
    for (const publisher of this.options.publishers) publisher.client.onActivity = wake;
    this.stallTimer = setInterval(() => this.checkStall(), STALL_MS);
    this.wake();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.stallTimer);
  }

  /** Deliveries expected but not yet received (lost ones written off). */
  outstanding(): number {
    return this.published * this.options.fanOut - this.lost - this.received();
  }

  private wake(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (!this.running) return;
    const { publishers, fanOut, batch, window } = this.options;
    let credit = this.options.budget - this.outstanding();
    let left = (this.options.limit ?? Infinity) - this.published;
    let sentAny = false;
    const count = publishers.length;
    let resumeAt = this.next;
    for (let i = 0; i < count && credit >= fanOut && left > 0; i++) {
      const publisher = publishers[(this.next + i) % count]!;
      const client = publisher.client;
      if (!client.writable) continue;
      const room = publisher.template.qos === 0 ? batch : window - client.inflight;
      const n = Math.min(batch, room, left, fanOut === 0 ? batch : Math.floor(credit / fanOut));
      if (n <= 0) continue;
      if (publisher.prebuilt) client.sendPrebuilt(publisher.prebuilt, n, publisher.template.frame.length);
      else client.sendCopies(publisher.template, n);
      this.published += n;
      resumeAt = this.next + i + 1;
      left -= n;
      credit -= n * fanOut;
      sentAny = true;
    }
    // The next pump starts where this one stopped, so every publisher gets its turn.
    this.next = resumeAt % Math.max(count, 1);
    // More can go now: yield to I/O first, then go on. Otherwise a read, an ack or a drain wakes us.
    if (sentAny) this.wake();
  }

  private checkStall(): void {
    const received = this.received();
    const outstanding = this.outstanding();
    if (received === this.lastReceived && outstanding > 0) {
      this.lost += outstanding;
      this.wake();
    }
    this.lastReceived = received;
  }
}

function repeat(frame: Buffer, times: number): Buffer {
  const out = Buffer.allocUnsafe(frame.length * times);
  for (let i = 0; i < times; i++) frame.copy(out, i * frame.length);
  return out;
}

export interface OpenLoopOptions {
  publisher: Publisher;
  subscriber: BenchClient;
  /** Messages per second. */
  rate: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class OpenLoop {
  sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

  private readonly options: OpenLoopOptions;

  constructor(options: OpenLoopOptions) {
    this.options = options;
    if (options.publisher.template.frame.length - options.publisher.template.payloadOffset < 8) {
      throw new Error('latency payloads need at least 8 bytes for the send time');
    }
    options.subscriber.onMessage = (frame, payloadStart) => {
      if (!this.recording) return;
      const micros = Math.round((performance.now() - frame.readDoubleLE(payloadStart)) * 1000);
      this.histogram.recordValue(Math.max(1, micros));
    };
  }

  /** Records only once the warm-up is over. */
  recording = false;

  start(): void {
    this.startedAt = performance.now();
    const tick = (): void => {
      const due = Math.floor(((performance.now() - this.startedAt) / 1000) * this.options.rate) - this.sent;
      const client = this.options.publisher.client;
      if (due > 0 && !client.isClosed) {
        client.sendCopies(this.options.publisher.template, due, (frame, at) =>
          frame.writeDoubleLE(performance.now(), at),
        );
        this.sent += due;
      }
      this.timer = setTimeout(tick, 1);
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  reset(): void {
    this.histogram.reset();
  }

  summary(): LatencySummary {
    const ms = (micros: number): number => Math.round(micros) / 1000;
    return {
      count: this.histogram.totalCount,
      p50: ms(this.histogram.getValueAtPercentile(50)),
      p90: ms(this.histogram.getValueAtPercentile(90)),
      p99: ms(this.histogram.getValueAtPercentile(99)),
      p999: ms(this.histogram.getValueAtPercentile(99.9)),
      max: ms(this.histogram.maxValue),
      mean: ms(this.histogram.mean),
    };
  }
}
