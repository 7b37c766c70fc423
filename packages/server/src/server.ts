/**
 * One FlockMQ node: the broker plus its listeners. Start order is broker, then listeners (so no
 * connection reaches a broker that is not ready); close order is stop accepting, then close the
 * broker (it tells clients why) while the listeners wait for those connections to go.
 */
import { Broker, type BrokerOptions, type Logger } from '@flockmq/broker';
import { PORT_OFF, type ServerConfig } from './config';
import { listenTcp } from './listeners/tcp';
import { listenWs } from './listeners/ws';
import { DEFAULT_CLOSE_GRACE_MS, type Listener } from './listeners/listener';
import { createLogger } from './logging';
import { connectCluster, isClusterMode, type ClusterConnection } from './cluster-mode';

export interface StartServerOptions {
  /** Default: a pino logger built from config.logLevel and config.nodeId. */
  logger?: Logger;
  /** How long close() lets connections finish before destroying them. Default 2 s. */
  closeGraceMs?: number;
  /** Broker options not covered by the config (hooks, an injected clock, backends). */
  brokerOptions?: Omit<BrokerOptions, 'nodeId' | 'limits' | 'logger'>;
  /** Cancels a start that is still waiting for Redis or NATS (a SIGTERM during start-up). */
  signal?: AbortSignal;
}

export interface FlockServer {
  readonly broker: Broker;
  readonly config: ServerConfig;
  /** The bound MQTT/TCP port (the real one when config.port is 0). */
  readonly tcpPort: number;
  /** The bound MQTT/WebSocket port, or null when config.wsPort is 'off'. */
  readonly wsPort: number | null;
  /** Whether the node can take clients: listening, not closing, and in cluster mode Redis and NATS reachable. */
  readonly ready: boolean;
  /** Stops accepting, closes the broker (MQTT 5 clients get 0x8B), closes the listeners. Idempotent. */
  close(): Promise<void>;
  /** Resolves when close() has finished, however it was started. */
  closed(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const displayHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<FlockServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, nodeId: config.nodeId });
  const graceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;

  const cluster: ClusterConnection | undefined = isClusterMode(config)
    ? await connectCluster(config, logger, options.signal)
    : undefined;
  const broker = new Broker({
    ...options.brokerOptions,
    ...cluster?.brokerOptions,
    nodeId: config.nodeId,
    limits: config.limits,
    logger,
  });
  // Redis may have lost this node's routes (a restart without persistence) or missed writes.
  cluster?.onRedisBack(() => {
    void broker.cluster
      ?.restoreRoutes()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'routes_restore_failed'));
  });
  try {
    if (cluster) await cluster.startWhenReachable(() => broker.start());
    else await broker.start();
  } catch (error) {
    await cluster?.close();
    throw error;
  }

  const listeners: Listener[] = [];
  try {
    listeners.push(await listenTcp({ host: config.host, port: config.port, acceptor: broker, logger }));
    if (config.wsPort !== PORT_OFF) {
      listeners.push(
        await listenWs({
          host: config.host,
          port: config.wsPort,
          path: config.wsPath,
          maxPacketSize: config.limits.maxPacketSize,
          acceptor: broker,
          logger,
        }),
      );
    }
  } catch (error) {
    await Promise.allSettled(listeners.map((listener) => listener.close(0)));
    await broker.close();
    await cluster?.close();
    throw error;
  }

  const tcp = listeners.find((l) => l.name === 'tcp');
  const ws = listeners.find((l) => l.name === 'ws');
  const host = displayHost(config.host);
  logger.info(
    {
      tcp: tcp && `mqtt://${host}:${tcp.port}`,
      ws: ws ? `ws://${host}:${ws.port}${config.wsPath}` : PORT_OFF,
    },
    'listening',
  );

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => undefined;
  const closedPromise = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info({ connections: broker.connectionCount }, 'server_closing');
      for (const listener of listeners) listener.stopAccepting();
      // The broker disconnects its clients while the listeners give those connections graceMs
      // to close before destroying them, so a client that never closes cannot hold up shutdown.
      const [brokerClosed] = await Promise.allSettled([
        broker.close(),
        ...listeners.map((listener) => listener.close(graceMs)),
      ]);
      await cluster?.close();
      logger.info({}, 'server_closed');
      markClosed();
      if (brokerClosed.status === 'rejected') throw brokerClosed.reason;
    })();
    return closing;
  };

  return {
    broker,
    config,
    tcpPort: tcp?.port ?? config.port,
    wsPort: ws?.port ?? null,
    get ready() {
      return closing === undefined && (cluster?.healthy ?? true);
    },
    close,
    closed: () => closedPromise,
    [Symbol.asyncDispose]: close,
  };
}
