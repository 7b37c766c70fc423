import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { NodeAdmin, PeerLink } from './node-admin';
import { ADMIN_PACKAGE, ADMIN_SERVICES, loadAdminPackageDefinition, loadAdminReflectionDefinition } from './proto';
import { AdminService } from './service';
import { ClusterAsker, DEFAULT_PEER_TIMEOUT_MS, DEFAULT_REBALANCE_TIMEOUT_MS, type AdminLogger } from './fanout';
import { adminHandlers } from './grpc-handlers';
import { bearerTokenInterceptor } from './auth';

export interface AdminServerOptions {
  node: NodeAdmin;
  /** The other nodes; without it the API answers for this node alone. */
  peers?: PeerLink;
  host: string;
  /** 0: any free port (see the returned port). */
  port: number;
  /** When set (non-empty), every call must carry `authorization: Bearer <token>`. */
  token?: string;
  /** Without it the API is plaintext. With `ca`, clients must present a certificate it signed. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
  logger?: AdminLogger;
  /** How long to wait for each peer (default 2000 ms). */
  peerTimeoutMs?: number;
  /**
   * How long Rebalance waits for each node, this one included (default 30000 ms): a node answers
   * once the clients it asked to move have gone.
   */
  rebalanceTimeoutMs?: number;
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/** How long close() lets calls in progress finish before cutting them off. */
const GRACEFUL_CLOSE_MS = 2000;

function bindAddress(host: string, port: number): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${bracketed}:${port}`;
}

function credentials(tls: AdminServerOptions['tls']): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const keyPair = [{ private_key: tls.key, cert_chain: tls.cert }];
  return grpc.ServerCredentials.createSsl(tls.ca ?? null, keyPair, tls.ca !== undefined);
}

/** Starts the admin gRPC API of one node; it answers every call for the whole cluster. */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { node, logger } = options;
  const packageDefinition = loadAdminPackageDefinition();
  const token = options.token === '' ? undefined : options.token;
  const server = new grpc.Server({
    interceptors: token === undefined ? [] : [bearerTokenInterceptor(token, logger)],
  });

  const asker = new ClusterAsker(node, options.peers, options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS, logger);
  const service = new AdminService(node, asker, {
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? DEFAULT_REBALANCE_TIMEOUT_MS,
  });
  const handlers = adminHandlers({ service, nodeId: node.nodeId, logger });
  for (const name of ADMIN_SERVICES) {
    const definition = packageDefinition[`${ADMIN_PACKAGE}.${name}`] as grpc.ServiceDefinition;
    server.addService(definition, handlers[name]!);
  }
  new ReflectionService(loadAdminReflectionDefinition()).addToServer(server);

  const address = bindAddress(options.host, options.port);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials(options.tls), (err, boundPort) => {
      if (err) reject(new Error(`cannot listen for the admin API on ${address}: ${err.message}`));
      else resolve(boundPort);
    });
  });
  logger?.info(
    { address: bindAddress(options.host, port), tls: options.tls !== undefined, token: token !== undefined },
    'admin_listening',
  );

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), GRACEFUL_CLOSE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
