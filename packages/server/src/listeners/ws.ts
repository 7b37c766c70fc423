/**
 * MQTT over WebSocket (MQTT 5 §6): an HTTP server that upgrades requests on `path` with the
 * `mqtt` subprotocol and hands each WebSocket to the acceptor as a Transport.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger, Transport } from '@flockmq/broker';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { tlsServerOptions, type TlsMaterial } from './tcp';
import {
  ConnectionSet,
  DEFAULT_CLOSE_GRACE_MS,
  TRANSPORT_HIGH_WATER_MARK,
  bindServer,
  stopListening,
  type Acceptor,
  type Listener,
} from './listener';

/** Subprotocols accepted, in order of preference. 'mqttv3.1' is what MQTT 3.1 clients offer. */
export const WS_SUBPROTOCOLS: readonly string[] = ['mqtt', 'mqttv3.1'];

/**
 * One WebSocket message may carry several MQTT packets [MQTT-6.0.0-2], so it may be somewhat
 * larger than the largest packet; the broker enforces the packet size itself.
 */
export const WS_PAYLOAD_HEADROOM = 64 * 1024;

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

/**
 * A server-side WebSocket seen as a Transport. Inbound messages are held back until the first
 * onData listener is attached, like a net.Socket.
 */
export class WebSocketTransport implements Transport {
  private readonly dataListeners: ((chunk: Buffer) => void)[] = [];
  private readonly drainListeners: (() => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private lastError: Error | undefined;
  private closed = false;
  private needDrain = false;
  private pausedByUser = false;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly listener: string = 'ws',
    private readonly highWaterMark: number = TRANSPORT_HIGH_WATER_MARK,
  ) {
    ws.pause();
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        // [MQTT-6.0.0-1] MQTT Control Packets MUST be sent in binary frames; any other data
        // frame closes the connection.
        this.lastError = new Error('text frame received: MQTT over WebSocket requires binary frames');
        ws.close(1003, 'binary frames only');
        return;
      }
      const chunk = toBuffer(data);
      for (const listener of this.dataListeners) listener(chunk);
    });
    ws.on('error', (error) => {
      this.lastError = error;
    });
    ws.once('close', () => {
      this.closed = true;
      for (const listener of this.closeListeners.splice(0)) listener(this.lastError);
    });
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  write(data: Buffer): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data, { binary: true }, () => this.afterSend());
    if (this.ws.bufferedAmount < this.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  /** Each send's callback runs once its bytes reached the OS; the last one finds the buffer empty. */
  private afterSend(): void {
    if (!this.needDrain || this.closed || this.ws.bufferedAmount >= this.highWaterMark) return;
    this.needDrain = false;
    for (const listener of this.drainListeners) listener();
  }

  end(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.pausedByUser = true;
    this.ws.pause();
  }

  resume(): void {
    this.pausedByUser = false;
    if (this.dataListeners.length > 0) this.ws.resume();
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
    if (this.dataListeners.length === 1 && !this.pausedByUser) this.ws.resume();
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    if (this.closed) queueMicrotask(() => listener(this.lastError));
    else this.closeListeners.push(listener);
  }
}

export interface WsListenerOptions {
  host: string;
  port: number;
  /** HTTP path of the endpoint, e.g. '/mqtt'; every other path answers 404. */
  path: string;
  /** The broker's maximum packet size; a WebSocket message may be a little larger. */
  maxPacketSize: number;
  acceptor: Acceptor;
  logger: Logger;
  /** MQTT over secure WebSocket (listener 'wss', flag --wss-port) instead of plain WebSocket. */
  tls?: TlsMaterial;
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}

/** Answers an upgrade request with a plain HTTP status and closes the socket. */
function refuse(socket: Duplex, status: number): void {
  const reason = http.STATUS_CODES[status] ?? '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Starts the MQTT/WebSocket listener. Rejects with FLOCK_ERR_PORT_IN_USE naming --ws-port. */
export async function listenWs(options: WsListenerOptions): Promise<Listener> {
  const name = options.tls ? 'wss' : 'ws';
  const logger = options.logger.child({ listener: name });
  const connections = new ConnectionSet<WebSocket>((ws) => ws.terminate());
  let accepting = true;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.maxPacketSize + WS_PAYLOAD_HEADROOM,
    // [MQTT-6.0.0-4] The server selects 'mqtt' when the client offers it.
    handleProtocols: (offered) => WS_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  const onRequest: http.RequestListener = (req, res) => {
    // Plain HTTP: a browser pointed at the endpoint learns it needs a WebSocket.
    const status = pathOf(req.url) === options.path ? 426 : 404;
    res.writeHead(status, { 'content-type': 'text/plain', ...(status === 426 ? { upgrade: 'websocket' } : {}) });
    res.end(status === 426 ? 'MQTT over WebSocket: connect with a WebSocket client\n' : 'Not Found\n');
  };
  const secure = options.tls && https.createServer({ noDelay: true, ...tlsServerOptions(options.tls) }, onRequest);
  const server: http.Server = secure || http.createServer({ noDelay: true }, onRequest);

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const remote = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
    if (!accepting) return refuse(socket, 503);
    if (pathOf(req.url) !== options.path) {
      logger.debug({ remote: `${remote.address}:${remote.port}`, path: req.url }, 'ws_path_not_found');
      return refuse(socket, 404);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!accepting) {
        ws.terminate();
        return;
      }
      connections.add(ws);
      ws.once('close', () => connections.delete(ws));
      const transport = new WebSocketTransport(ws, remote.address, remote.port, name);
      logger.debug({ remote: `${remote.address}:${remote.port}`, protocol: ws.protocol }, 'connection_accepted');
      options.acceptor.accept(transport);
    });
  });

  const port = await bindServer(
    server,
    options.host,
    options.port,
    options.tls
      ? { protocol: 'MQTT/WebSocket over TLS', flag: '--wss-port' }
      : { protocol: 'MQTT/WebSocket', flag: '--ws-port' },
  );
  server.on('error', (error) => logger.error({ err: error }, 'listener_error'));

  let stopped: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    accepting = false;
    stopped ??= stopListening(server);
    return stopped;
  };

  return {
    name,
    host: options.host,
    port,
    ...(secure && {
      replaceCertificate: (material: TlsMaterial) => secure.setSecureContext(tlsServerOptions(material)),
    }),
    get connectionCount() {
      return connections.size;
    },
    stopAccepting: () => void stopAccepting(),
    close(graceMs = DEFAULT_CLOSE_GRACE_MS) {
      closing ??= (async () => {
        const serverClosed = stopAccepting();
        await connections.drain(graceMs);
        server.closeAllConnections();
        await serverClosed;
        wss.close();
      })();
      return closing;
    },
  };
}
