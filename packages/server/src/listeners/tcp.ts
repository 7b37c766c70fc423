/** MQTT over TCP: a net.Server whose sockets are handed to the acceptor as Transports. */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger, Transport } from '@flockmq/broker';
import {
  ConnectionSet,
  DEFAULT_CLOSE_GRACE_MS,
  TRANSPORT_HIGH_WATER_MARK,
  bindServer,
  stopListening,
  type Acceptor,
  type Listener,
} from './listener';

/**
 * A net.Socket seen as a Transport. Inbound data flows once the first onData listener is attached.
 * It puts one 'error' and one 'close' listener on the socket (each listener costs a closure and a
 * context per connection, and idle connections are counted in the hundreds of thousands).
 */
export class SocketTransport implements Transport {
  private lastError: Error | undefined;
  private closed = false;
  private closeListeners: ((error?: Error) => void)[] | undefined;

  constructor(
    private readonly socket: net.Socket,
    readonly listener: string = 'tcp',
    /** The listener's open connections, which forget this one when it closes. */
    connections?: ConnectionSet<net.Socket>,
  ) {
    // Without an 'error' listener a reset connection would crash the process. The error is
    // reported through onClose, which always follows.
    socket.on('error', (error) => {
      this.lastError = error;
    });
    socket.on('close', () => {
      this.closed = true;
      connections?.delete(socket);
      const listeners = this.closeListeners;
      this.closeListeners = undefined;
      if (listeners) for (const listener of listeners) listener(this.lastError);
    });
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  write(data: Buffer): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(data);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.socket.on('data', listener);
  }

  onDrain(listener: () => void): void {
    this.socket.on('drain', listener);
  }

  onClose(listener: (error?: Error) => void): void {
    if (this.closed) {
      queueMicrotask(() => listener(this.lastError));
      return;
    }
    (this.closeListeners ??= []).push(listener);
  }
}

/** Certificate material for a TLS listener (PEM). With `ca`, clients must present a certificate it signed. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface TcpListenerOptions {
  host: string;
  port: number;
  acceptor: Acceptor;
  logger: Logger;
  /** MQTT over TLS (listener 'tls', flag --tls-port) instead of plain TCP. */
  tls?: TlsMaterial;
}

export const tlsServerOptions = (material: TlsMaterial): tls.TlsOptions => ({
  cert: material.cert,
  key: material.key,
  minVersion: 'TLSv1.2',
  ...(material.ca && { ca: material.ca, requestCert: true, rejectUnauthorized: true }),
});

/** Starts the MQTT/TCP (or MQTT/TLS) listener. Rejects with FLOCK_ERR_PORT_IN_USE naming its port flag. */
export async function listenTcp(options: TcpListenerOptions): Promise<Listener> {
  const name = options.tls ? 'tls' : 'tcp';
  const logger = options.logger.child({ listener: name });
  const connections = new ConnectionSet<net.Socket>((socket) => socket.destroy());
  let accepting = true;

  const onSocket = (socket: net.Socket): void => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    connections.add(socket);
    const transport = new SocketTransport(socket, name, connections);
    logger.debug({ remote: `${transport.remoteAddress}:${transport.remotePort}` }, 'connection_accepted');
    options.acceptor.accept(transport);
  };
  const socketOptions = { noDelay: true, highWaterMark: TRANSPORT_HIGH_WATER_MARK };
  const secure = options.tls && tls.createServer({ ...socketOptions, ...tlsServerOptions(options.tls) }, onSocket);
  const server: net.Server = secure || net.createServer(socketOptions, onSocket);
  // A failed handshake (plaintext on the TLS port, an untrusted client certificate) is the
  // client's problem: one debug line, no connection.
  server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) =>
    logger.debug(
      { remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`, err: error.message },
      'tls_handshake_failed',
    ),
  );
  // A listening socket error after bind (rare: e.g. EMFILE on accept) is logged, never fatal.
  const port = await bindServer(
    server,
    options.host,
    options.port,
    options.tls ? { protocol: 'MQTT/TLS', flag: '--tls-port' } : { protocol: 'MQTT/TCP', flag: '--port' },
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
        await serverClosed;
      })();
      return closing;
    },
  };
}
