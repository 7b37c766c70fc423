/**
 * `$SYS/brokers/<node>/…`: the usual broker statistics as retained messages, for people who watch
 * with an MQTT client. Each node publishes its own tree through the normal routing, so a
 * subscriber on any node sees every node (`$SYS/brokers/+/clients/connected`). A node that stops
 * gracefully clears its tree; `$SYS/brokers/<node>/uptime` stops moving on a node that died.
 */
import type { Broker, Message } from '@flockmq/broker';

export interface SysTopicsOptions {
  broker: Broker;
  version: string;
  startedAt: number;
  intervalSeconds: number;
  /** Other nodes of the flock (cluster mode). */
  peers(): string[];
}

export interface SysTopics {
  /** Publishes the current values now (also done every interval). */
  publishNow(): Promise<void>;
  /** Stops the updates and clears this node's retained tree. */
  stop(): Promise<void>;
}

/** Topic (below `$SYS/brokers/<node>/`) → value. */
function snapshot(options: SysTopicsOptions, retainedCount: number | undefined): Record<string, string> {
  const { broker } = options;
  const stats = broker.stats;
  const peers = options.peers();
  const values: Record<string, string> = {
    version: `flockmq ${options.version}`,
    uptime: String(Math.floor((Date.now() - options.startedAt) / 1000)),
    'clients/connected': String(broker.clientCount),
    'clients/connections': String(broker.connectionCount),
    'clients/offline': String(broker.offlineSessions.size),
    'clients/opened': String(stats.connectionsOpened.total()),
    'clients/closed': String(stats.connectionsClosed.total()),
    'messages/received': String(stats.published),
    'messages/sent': String(stats.delivered),
    'messages/dropped': String(stats.droppedTotal()),
    'messages/expired': String(stats.expired),
    'bytes/received': String(stats.bytesIn),
    'bytes/sent': String(stats.bytesOut),
    'subscriptions/count': String(broker.router.subscriptions),
    'cluster/nodes': JSON.stringify([broker.nodeId, ...peers].sort()),
    'cluster/peers': String(peers.length),
  };
  if (retainedCount !== undefined) values['retained/count'] = String(retainedCount);
  return values;
}

export function startSysTopics(options: SysTopicsOptions): SysTopics {
  const { broker } = options;
  const prefix = `$SYS/brokers/${broker.nodeId}/`;
  const published = new Set<string>();

  const publish = (topic: string, payload: Buffer): Promise<unknown> => {
    const message: Message = {
      topic,
      payload,
      qos: 0,
      retain: true,
      properties: undefined,
      expiresAt: undefined,
      origin: '',
      receivedAt: broker.clock.now(),
    };
    // Routed like any message, but not counted as traffic in the statistics it carries.
    return broker.delivery.publish(message).done ?? Promise.resolve();
  };

  const publishNow = async (): Promise<void> => {
    const retained = await broker.retained.size().catch(() => undefined);
    const writes: Promise<unknown>[] = [];
    for (const [suffix, value] of Object.entries(snapshot(options, retained))) {
      published.add(prefix + suffix);
      writes.push(publish(prefix + suffix, Buffer.from(value)));
    }
    await Promise.all(writes);
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.intervalSeconds > 0) {
    const tick = (): void => {
      publishNow()
        .catch((err: unknown) => broker.log.warn({ err: (err as Error).message }, 'sys_publish_failed'))
        .finally(() => {
          if (timer) timer.refresh();
        });
    };
    timer = setTimeout(tick, options.intervalSeconds * 1000);
    timer.unref();
    queueMicrotask(tick);
  }

  return {
    publishNow,
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      // An empty retained payload clears the topic [MQTT-3.3.1-6].
      await Promise.allSettled([...published].map((topic) => publish(topic, Buffer.alloc(0))));
    },
  };
}
