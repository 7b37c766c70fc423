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

export interface PacedDisconnect {
  ratePerSecond: number;
  /** MQTT 5 DISCONNECT reason code (3.1.1 clients are just closed). */
  reasonCode: number;
  reasonString: string;
  serverReference?: string;
}

/** Disconnections are issued in slices this far apart: smooth enough, and few timers. */
const SLICE_MS = 100;

/**
 * Disconnects `channels` at `ratePerSecond` (those that have not finished CONNECT are simply
 * closed: there is nobody to tell yet) and resolves once all of them have closed.
 */
export async function disconnectPaced(
  broker: Broker,
  channels: readonly Channel[],
  how: PacedDisconnect,
): Promise<void> {
  const closed = channels.map((channel) => channel.closed());
  // Slices of SLICE_MS; below 10 per second, one connection per slice, slices further apart.
  const sliceMs = Math.max(SLICE_MS, 1000 / how.ratePerSecond);
  const perSlice = Math.max(1, Math.round((how.ratePerSecond * sliceMs) / 1000));
  const properties: Properties | undefined = how.serverReference ? { serverReference: how.serverReference } : undefined;
  let next = 0;
  while (next < channels.length) {
    for (const channel of channels.slice(next, next + perSlice)) {
      if (channel.state === 'connected') channel.disconnect(how.reasonCode, how.reasonString, properties);
      else channel.destroy();
    }
    next += perSlice;
    if (next < channels.length) await new Promise<void>((resolve) => broker.clock.setTimeout(resolve, sliceMs));
  }
  await Promise.all(closed);
}

/** Drains every connection (G5): 0x8B Server shutting down, or 0x9C with the Server Reference when set. */
export async function drainConnections(
  broker: Broker,
  connections: ReadonlySet<Channel>,
  options: DrainOptions,
): Promise<void> {
  const channels = [...connections];
  const reasonCode = options.serverReference ? ReasonCode.UseAnotherServer : ReasonCode.ServerShuttingDown;
  broker.log.info({ connections: channels.length, ratePerSecond: options.ratePerSecond, reasonCode }, 'drain_started');
  const started = broker.clock.now();
  await disconnectPaced(broker, channels, {
    ratePerSecond: options.ratePerSecond,
    reasonCode,
    reasonString: 'server shutting down',
    ...(options.serverReference && { serverReference: options.serverReference }),
  });
  broker.log.info({ connections: channels.length, ms: broker.clock.now() - started }, 'drain_done');
}
