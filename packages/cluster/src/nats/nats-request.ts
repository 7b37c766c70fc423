/** NATS request/reply helpers for the bus. */
import { ErrorCode } from 'nats';
import type { Msg, NatsConnection } from 'nats';
import { FlockError } from '@flockmq/protocol';

/**
 * A request that tolerates "no responders" until its deadline: the target may be resubscribing
 * after a NATS reconnect, or its interest may not have crossed a NATS cluster route yet. Nobody
 * received a request that had no responders, so sending it again is safe. Every failure is a
 * FlockError `FLOCK_ERR_FORWARD_FAILED` (timeout, closed connection, payload too large…).
 */
export async function requestWithRetry(
  connection: () => NatsConnection | undefined,
  subject: string,
  data: Uint8Array,
  timeoutMs: number,
  stopped: () => boolean,
): Promise<Msg> {
  const deadline = Date.now() + timeoutMs;
  let pause = 10;
  for (;;) {
    const nc = connection();
    if (!nc || nc.isClosed()) throw new FlockError('FLOCK_ERR_FORWARD_FAILED', `${subject}: the bus is closed`);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new FlockError('FLOCK_ERR_FORWARD_FAILED', `${subject}: nobody answered`);
    try {
      return await nc.request(subject, data, { timeout: remaining });
    } catch (error) {
      if (natsCode(error) === ErrorCode.NoResponders && !stopped()) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
        pause = Math.min(pause * 2, 250);
        continue;
      }
      const why = natsCode(error) === ErrorCode.Timeout ? `no answer within ${timeoutMs} ms` : describe(error);
      throw new FlockError('FLOCK_ERR_FORWARD_FAILED', `${subject}: ${why}`, { cause: error });
    }
  }
}

function natsCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Waits for the promises to settle, or for `ms`, whichever comes first. */
export async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
