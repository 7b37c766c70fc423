import { ReasonCode } from '@flockmq/protocol';
import type { Properties } from '@flockmq/protocol';
import type { Broker } from './broker';
import type { Channel } from './channel';

export interface DrainOptions {
  /** Clients disconnected per second: a load balancer's other nodes take the reconnections in a stream, not a storm. */
  ratePerSecond: number;
  /** MQTT 5 clients get 0x9C Use another server with this Server Reference instead of 0x8B Server shutting down. */
  serverReference?: string;
}

/** Disconnections are issued in slices this far apart: smooth enough, and few timers. */
const SLICE_MS = 100;

/**
 * Disconnects `connections` at `ratePerSecond` (connections that have not finished CONNECT are
 * simply closed: there is nobody to tell yet) and resolves once all of them have closed.
 */
export async function drainConnections(
  broker: Broker,
  connections: ReadonlySet<Channel>,
  options: DrainOptions,
): Promise<void> {
  const waiting = [...connections];
  const closed = waiting.map((channel) => channel.closed());
  // Slices of SLICE_MS; below 10 per second, one connection per slice, slices further apart.
  const sliceMs = Math.max(SLICE_MS, 1000 / options.ratePerSecond);
  const perSlice = Math.max(1, Math.round((options.ratePerSecond * sliceMs) / 1000));
  const reasonCode = options.serverReference ? ReasonCode.UseAnotherServer : ReasonCode.ServerShuttingDown;
  const properties: Properties | undefined = options.serverReference
    ? { serverReference: options.serverReference }
    : undefined;
  broker.log.info({ connections: waiting.length, ratePerSecond: options.ratePerSecond, reasonCode }, 'drain_started');
  const started = broker.clock.now();
  let next = 0;
  while (next < waiting.length) {
    for (const channel of waiting.slice(next, next + perSlice)) {
      if (channel.state === 'connected') channel.disconnect(reasonCode, 'server shutting down', properties);
      else channel.destroy();
    }
    next += perSlice;
    if (next < waiting.length) await new Promise<void>((resolve) => broker.clock.setTimeout(resolve, sliceMs));
  }
  await Promise.all(closed);
  broker.log.info({ connections: waiting.length, ms: broker.clock.now() - started }, 'drain_done');
}
