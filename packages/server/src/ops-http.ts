/**
 * The operations port: `/metrics` for Prometheus, `/healthz` (the process answers: a liveness
 * probe that never depends on Redis or NATS, so their outage does not restart every pod) and
 * `/readyz` (the node takes clients: a readiness probe that takes a draining or cut-off node out
 * of its Service).
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '@flockmq/broker';
import { bindServer } from './listeners/listener';

export interface OpsHttpOptions {
  host: string;
  port: number;
  logger: Logger;
  scrape(): Promise<string>;
  contentType: string;
  /** Why the node is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
}

export interface OpsHttp {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsHttp(options: OpsHttpOptions): Promise<OpsHttp> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        options.scrape().then(
          (text) => response.writeHead(200, { 'content-type': options.contentType }).end(text),
          (error: unknown) => {
            options.logger.error({ err: error }, 'metrics_scrape_failed');
            response.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
          },
        );
        return;
      case '/healthz':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const reason = options.notReadyReason();
        if (reason === undefined) response.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
        else response.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${reason}\n`);
        return;
      }
      default:
        response
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: this port serves /metrics, /healthz and /readyz\n');
    }
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus' scrape interval: scrapes reuse the connection
  const port = await bindServer(server, options.host, options.port, {
    protocol: 'HTTP (metrics)',
    flag: '--http-port',
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
