import type { Clock } from './clock';

const MAX_TRACKED = 100_000;

/**
 * G2: a client id taken over more than `threshold` times within `windowSeconds` waits before each
 * further takeover, doubling from 200 ms up to 10 s, so two clients fighting over one id do not
 * ping-pong between connections (or nodes).
 */
export class FlapGuard {
  private readonly takeovers = new Map<string, { since: number; count: number }>();

  constructor(private readonly clock: Clock) {}

  /** Counts one takeover of the client id; returns how long it should wait (0: not flapping). */
  delayFor(clientId: string, threshold: number, windowSeconds: number): { delayMs: number; takeovers: number } {
    if (threshold === 0) return { delayMs: 0, takeovers: 0 };
    const now = this.clock.now();
    let record = this.takeovers.get(clientId);
    if (!record || now - record.since > windowSeconds * 1000) {
      if (this.takeovers.size >= MAX_TRACKED) this.takeovers.clear(); // bounded: losing history only forgives
      record = { since: now, count: 0 };
      this.takeovers.set(clientId, record);
    }
    record.count++;
    const excess = record.count - threshold;
    return { delayMs: excess <= 0 ? 0 : Math.min(100 * 2 ** Math.min(excess, 7), 10_000), takeovers: record.count };
  }
}
