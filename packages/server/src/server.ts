/**
 * One FlockMQ node: the broker, its MQTT listeners, the operations port (metrics, health), the
 * admin API and the `$SYS` topics. Start order is broker, then listeners (so no connection
 * reaches a broker that is not ready).
 *
 * Shutdown is a drain (G5): readiness goes false, listeners stop accepting, clients are
 * disconnected at a bounded rate and their sessions written to the store (other nodes resume
 * them), the node leaves the cluster, then everything closes. It is bounded by the drain timeout.
 */
import { Broker, LabelledCounter, type BrokerOptions, type DrainOptions, type Logger } from '@flockmq/broker';
import { PORT_OFF, type LogLevel, type ServerConfig } from './config';
import { listenTcp } from './listeners/tcp';
import { listenWs } from './listeners/ws';
import { DEFAULT_CLOSE_GRACE_MS, type Listener } from './listeners/listener';
import { createLogger } from './logging';
import { connectCluster, isClusterMode, type ClusterConnection } from './cluster-mode';
import { createNodeMetrics, type NodeMetrics } from './metrics/node-metrics';
import type { OperationObserver } from './metrics/instrument';
import { Registry } from 'prom-client';
import { startOpsHttp, type OpsHttp } from './ops-http';
import { startSysTopics, type SysTopics } from './sys-topics';
import { startAdminApi, type AdminApi } from './admin-api';
import { version } from './version';
import { readCertificates, watchCertificates } from './certificate-watch';

export interface StartServerOptions {
  /** Default: a pino logger built from config.logLevel and config.nodeId. */
  logger?: Logger;
  /** How long close() lets connections finish before destroying them. Default 2 s. */
  closeGraceMs?: number;
  /** Broker options not covered by the config (hooks, an injected clock, backends). */
  brokerOptions?: Omit<BrokerOptions, 'nodeId' | 'limits' | 'logger'>;
  /** Cancels a start that is still waiting for Redis or NATS (a SIGTERM during start-up). */
  signal?: AbortSignal;
  /**
   * Called when a shutdown outlives config.drainTimeout (the CLI exits the process at once).
   * Without it, the remaining connections are destroyed and the shutdown completes.
   */
  onDrainTimeout?: () => void;
  /** How often the TLS certificate files are checked for a rotation. Default 10 s. */
  certificateCheckMs?: number;
}

const CERTIFICATE_CHECK_MS = 10_000;

export type ShutdownTrigger = 'signal' | 'admin' | 'api';

export interface FlockServer {
  readonly broker: Broker;
  readonly config: ServerConfig;
  /** The bound MQTT/TCP port (the real one when config.port is 0). */
  readonly tcpPort: number;
  /** The bound MQTT/WebSocket port, or null when config.wsPort is 'off'. */
  readonly wsPort: number | null;
  /** The bound MQTT/TLS and MQTT/secure WebSocket ports, or null when off. */
  readonly tlsPort: number | null;
  readonly wssPort: number | null;
  /** The bound metrics/health HTTP port, or null when off. */
  readonly httpPort: number | null;
  /** The bound admin API port, or null when off. */
  readonly adminPort: number | null;
  /** Whether the node takes clients: listening, not draining, and in cluster mode Redis and NATS reachable. */
  readonly ready: boolean;
  /** Why it is not ready (undefined when it is). */
  notReadyReason(): string | undefined;
  readonly metrics: NodeMetrics;
  /**
   * Drains (G5) and closes: MQTT 5 clients get 0x8B (or 0x9C with a Server Reference) at the
   * configured rate, sessions are handed to the cluster, then the node stops. Idempotent.
   */
  shutdown(trigger?: ShutdownTrigger, options?: Partial<DrainOptions>): Promise<void>;
  /** Stops at once: clients get 0x8B without pacing. Idempotent (joins a shutdown under way). */
  close(): Promise<void>;
  /** Resolves when the node has stopped, however it was stopped. */
  closed(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const displayHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** The pino logger's level, when the logger is pino (it is unless a test injects another). */
function levelControl(logger: Logger): { get(): string; set(level: LogLevel): void } {
  const pinoLike = logger as Logger & { level?: string };
  return {
    get: () => pinoLike.level ?? 'unknown',
    set: (level) => {
      if (typeof pinoLike.level === 'string') pinoLike.level = level;
    },
  };
}

export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<FlockServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, nodeId: config.nodeId });
  const graceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const startedAt = Date.now();
  const level = levelControl(logger);

  let state: 'starting' | 'running' | 'draining' | 'closing' | 'closed' = 'starting';
  let metrics: NodeMetrics | undefined = undefined; // set once the broker exists
  const notReadyReason = (): string | undefined => {
    if (state === 'starting') return 'starting';
    if (state !== 'running') return state;
    if (cluster && !cluster.redisUp) return 'redis unreachable';
    if (cluster && !cluster.natsUp) return 'nats unreachable';
    return undefined;
  };
  // The operations port comes first: /healthz answers, and /readyz says why not, while the node
  // waits for Redis or NATS.
  const ops: OpsHttp | undefined =
    config.httpPort === PORT_OFF
      ? undefined
      : await startOpsHttp({
          host: config.host,
          port: config.httpPort,
          logger,
          scrape: () => metrics?.scrape() ?? Promise.resolve(''),
          contentType: Registry.PROMETHEUS_CONTENT_TYPE,
          notReadyReason,
        });

  // Metrics exist after the broker; backend operations are timed from the start through this.
  let observeOperation: OperationObserver = () => undefined;
  let cluster: ClusterConnection | undefined;
  try {
    if (isClusterMode(config)) {
      cluster = await connectCluster(config, logger, options.signal, (...args) => observeOperation(...args));
    }
  } catch (error) {
    await ops?.close();
    throw error;
  }
  const broker = new Broker({
    ...options.brokerOptions,
    ...cluster?.brokerOptions,
    nodeId: config.nodeId,
    limits: config.limits,
    logger,
  });

  const drains = new LabelledCounter();
  const clusterLink = cluster;
  const nodeMetrics = createNodeMetrics({
    broker,
    version: version(),
    startedAt,
    ready: () => notReadyReason() === undefined,
    draining: () => state === 'draining',
    drains,
    ...(clusterLink && {
      cluster: {
        peers: () => clusterLink.bus.peers().size,
        frames: clusterLink.bus.stats,
        redisUp: () => clusterLink.redisUp,
        natsUp: () => clusterLink.natsUp,
      },
    }),
  });
  metrics = nodeMetrics;
  observeOperation = nodeMetrics.observeOperation;

  // Redis may have lost this node's routes (a restart without persistence) or missed writes.
  cluster?.onRedisBack(() => {
    void broker.cluster
      ?.restoreRoutes()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'routes_restore_failed'));
  });

  const listeners: Listener[] = [];
  let stopWatchingCertificates: () => void = () => undefined;
  let admin: AdminApi | undefined;
  const stopAll = async (): Promise<void> => {
    stopWatchingCertificates();
    await Promise.allSettled(listeners.map((listener) => listener.close(0)));
    await Promise.allSettled([admin?.close(), ops?.close()]);
    await broker.close();
    await cluster?.close();
    nodeMetrics.stop();
  };

  try {
    if (cluster) await cluster.startWhenReachable(() => broker.start());
    else await broker.start();
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
    const certificateFiles = {
      cert: config.tlsCert,
      key: config.tlsKey,
      ...(config.tlsCa !== '' && { ca: config.tlsCa }),
    };
    const tls =
      config.tlsCert === ''
        ? undefined
        : readCertificates(certificateFiles, { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca' });
    if (config.tlsPort !== PORT_OFF) {
      listeners.push(
        await listenTcp({ host: config.host, port: config.tlsPort, acceptor: broker, logger, ...(tls && { tls }) }),
      );
    }
    if (config.wssPort !== PORT_OFF) {
      listeners.push(
        await listenWs({
          host: config.host,
          port: config.wssPort,
          path: config.wsPath,
          maxPacketSize: config.limits.maxPacketSize,
          acceptor: broker,
          logger,
          ...(tls && { tls }),
        }),
      );
    }
    if (tls && (config.tlsPort !== PORT_OFF || config.wssPort !== PORT_OFF)) {
      stopWatchingCertificates = watchCertificates(
        certificateFiles,
        options.certificateCheckMs ?? CERTIFICATE_CHECK_MS,
        (material) => listeners.forEach((listener) => listener.replaceCertificate?.(material)),
        logger,
      );
    }
    if (config.adminPort !== PORT_OFF) {
      admin = await startAdminApi({
        config,
        broker,
        logger,
        version: version(),
        startedAt,
        ready: () => notReadyReason() === undefined,
        logLevel: level.get,
        setLogLevel: (newLevel) => {
          level.set(newLevel);
          logger.info({ logLevel: newLevel }, 'log_level_changed');
        },
        drain: (drainOptions) => void shutdown('admin', drainOptions),
      });
    }
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
  const sys: SysTopics = startSysTopics({
    broker,
    version: version(),
    startedAt,
    intervalSeconds: config.sysInterval,
    peers: () => [...(broker.cluster?.peers() ?? [])],
  });
  state = 'running';

  const tcp = listeners.find((l) => l.name === 'tcp');
  const ws = listeners.find((l) => l.name === 'ws');
  const mqtts = listeners.find((l) => l.name === 'tls');
  const wss = listeners.find((l) => l.name === 'wss');
  const host = displayHost(config.host);
  logger.info(
    {
      tcp: tcp && `mqtt://${host}:${tcp.port}`,
      ws: ws ? `ws://${host}:${ws.port}${config.wsPath}` : PORT_OFF,
      tls: mqtts ? `mqtts://${host}:${mqtts.port}` : PORT_OFF,
      wss: wss ? `wss://${host}:${wss.port}${config.wsPath}` : PORT_OFF,
      http: ops ? `http://${host}:${ops.port}/metrics` : PORT_OFF,
      admin: admin ? `${displayHost(config.adminHost)}:${admin.port}` : PORT_OFF,
    },
    'listening',
  );

  let markClosed: () => void = () => undefined;
  const closedPromise = new Promise<void>((resolve) => (markClosed = resolve));
  let stopping: Promise<void> | undefined;

  /** Stops the node, draining first when `drain` is given. */
  const stop = (drain: DrainOptions | undefined, trigger: ShutdownTrigger): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ connections: broker.connectionCount, trigger, drain: drain !== undefined }, 'server_closing');
      for (const listener of listeners) listener.stopAccepting();
      const deadline = setTimeout(() => {
        logger.warn({ timeoutSeconds: config.drainTimeout, connections: broker.connectionCount }, 'drain_timeout');
        if (options.onDrainTimeout) options.onDrainTimeout();
        else for (const channel of broker.openConnections) channel.destroy();
      }, config.drainTimeout * 1000);
      deadline.unref();
      try {
        if (drain) {
          state = 'draining';
          drains.inc(trigger);
          await broker.drain(drain);
        }
        state = 'closing';
        await sys.stop();
        // The broker disconnects whoever is left while the listeners give those connections
        // graceMs to close before destroying them, so a client that never closes cannot hold it up.
        const [brokerClosed] = await Promise.allSettled([
          broker.close(),
          ...listeners.map((listener) => listener.close(graceMs)),
        ]);
        await Promise.allSettled([admin?.close(), ops?.close()]);
        await cluster?.close();
        nodeMetrics.stop();
        stopWatchingCertificates();
        if (brokerClosed.status === 'rejected') throw brokerClosed.reason;
      } finally {
        clearTimeout(deadline);
        state = 'closed';
        logger.info({}, 'server_closed');
        markClosed();
      }
    })();
    return stopping;
  };

  const shutdown = (trigger: ShutdownTrigger = 'api', drainOptions: Partial<DrainOptions> = {}): Promise<void> => {
    const serverReference = drainOptions.serverReference ?? config.drainServerReference;
    return stop(
      {
        ratePerSecond: drainOptions.ratePerSecond ?? config.drainRate,
        ...(serverReference !== '' && { serverReference }),
      },
      trigger,
    );
  };
  const close = (): Promise<void> => stop(undefined, 'api');

  return {
    broker,
    config,
    tcpPort: tcp?.port ?? config.port,
    wsPort: ws?.port ?? null,
    tlsPort: mqtts?.port ?? null,
    wssPort: wss?.port ?? null,
    httpPort: ops?.port ?? null,
    adminPort: admin?.port ?? null,
    get ready() {
      return notReadyReason() === undefined;
    },
    notReadyReason,
    metrics: nodeMetrics,
    shutdown,
    close,
    closed: () => closedPromise,
    [Symbol.asyncDispose]: close,
  };
}
