import type { BrokerHooks, BrokerLimits, Clock, Logger } from '@flockmq/broker';
import { silentLogger } from '@flockmq/broker';
import { loadConfig, startServer } from '@flockmq/server';
import type { FlockServer } from '@flockmq/server';

export interface TestBrokerOptions {
  limits?: Partial<BrokerLimits>;
  hooks?: BrokerHooks;
  clock?: Clock;
  logger?: Logger;
  nodeId?: string;
  /** Also open the metrics/health HTTP port and the admin API (on free ports). Default: off. */
  ops?: boolean;
  /** Extra `flockmq start` flags. */
  args?: string[];
}

export interface TestBroker {
  server: FlockServer;
  host: string;
  port: number;
  wsPort: number;
  /** mqtt://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/mqtt */
  wsUrl: string;
  close(): Promise<void>;
}

/** A real FlockMQ node (embedded default) on free loopback ports, as `flockmq start` would run it. */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const config = loadConfig({
    argv: [
      ...['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--node-id', options.nodeId ?? 'test-node'],
      ...(options.ops ? ['--http-port', '0', '--admin-port', '0'] : ['--http-port', 'off', '--admin-port', 'off']),
      ...['--sys-interval', '0'],
      ...(options.args ?? []),
    ],
  });
  config.limits = { ...config.limits, ...options.limits };
  const server = await startServer(config, {
    logger: options.logger ?? silentLogger,
    closeGraceMs: 500,
    brokerOptions: { ...(options.hooks && { hooks: options.hooks }), ...(options.clock && { clock: options.clock }) },
  });
  const host = '127.0.0.1';
  const wsPort = server.wsPort ?? 0;
  return {
    server,
    host,
    port: server.tcpPort,
    wsPort,
    url: `mqtt://${host}:${server.tcpPort}`,
    wsUrl: `ws://${host}:${wsPort}/mqtt`,
    close: () => server.close(),
  };
}
