/**
 * The gRPC admin API of this node: the admin package's server over this broker (NodeAdmin), with
 * the other nodes reached over the cluster bus, so whichever node is asked answers for the flock.
 */
import { answerPeer, startAdminServer, type DrainOptions, type PeerLink } from '@flockmq/admin';
import type { Broker, Logger } from '@flockmq/broker';
import { brokerAdmin } from './broker-admin';
import { readPem } from './pem';
import { PORT_OFF, type LogLevel, type ServerConfig } from './config';

export interface AdminApiOptions {
  config: ServerConfig;
  broker: Broker;
  logger: Logger;
  version: string;
  startedAt: number;
  ready(): boolean;
  logLevel(): string;
  setLogLevel(level: LogLevel): void;
  drain(options: DrainOptions): void;
}

export interface AdminApi {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminApi(options: AdminApiOptions): Promise<AdminApi> {
  const { config, broker, logger } = options;
  if (config.adminPort === PORT_OFF) throw new Error('the admin API is off');
  const node = brokerAdmin({
    broker,
    version: options.version,
    startedAt: options.startedAt,
    ready: options.ready,
    logLevel: options.logLevel,
    setLogLevel: options.setLogLevel,
    drain: (drain) => {
      logger.info({ ...drain }, 'drain_requested');
      options.drain(drain);
    },
  });
  const link = broker.cluster;
  let peers: PeerLink | undefined;
  if (link) {
    link.adminHandler = async (method, body) =>
      JSON.stringify((await answerPeer(node, method, JSON.parse(body) as unknown)) ?? null);
    peers = {
      peers: () => [...link.peers()],
      ask: async (nodeId, method, args, timeoutMs) =>
        JSON.parse(await link.askAdmin(nodeId, method, JSON.stringify(args ?? null), timeoutMs)) as unknown,
    };
  }
  const tls =
    config.adminTlsCert === ''
      ? undefined
      : {
          cert: readPem(config.adminTlsCert, '--admin-tls-cert'),
          key: readPem(config.adminTlsKey, '--admin-tls-key'),
          ...(config.adminTlsCa !== '' && { ca: readPem(config.adminTlsCa, '--admin-tls-ca') }),
        };
  if (config.adminToken === '' && !isLoopback(config.adminHost)) {
    logger.warn({ adminHost: config.adminHost }, 'admin_api_without_token');
  }
  const server = await startAdminServer({
    node,
    ...(peers && { peers }),
    host: config.adminHost,
    port: config.adminPort,
    ...(config.adminToken !== '' && { token: config.adminToken }),
    ...(tls && { tls }),
    logger,
  });
  return {
    port: server.port,
    close: async () => {
      if (link) link.adminHandler = undefined;
      await server.close();
    },
  };
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');
