/** MQTT over TCP: a net.Server whose sockets are handed to the acceptor as Transports. */
import net from 'node:net';
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

/** A net.Socket seen as a Transport. Inbound data flows once the first onData listener is attached. */
export class SocketTransport implements Transport {
  private lastError: Error | undefined;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    readonly listener: string = 'tcp',
  ) {
    // Without an 'error' listener a reset connection would crash the process. The error is
    // reported through onClose, which always follows.
    socket.on('error', (error) => {
      this.lastError = error;
    });
    socket.once('close', () => {
      this.closed = true;
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
    this.socket.once('close', () => listener(this.lastError));
  }
}

export interface TcpListenerOptions {
  host: string;
  port: number;
  acceptor: Acceptor;
  logger: Logger;
}

/** Starts the MQTT/TCP listener. Rejects with FLOCK_ERR_PORT_IN_USE naming --port. */
export async function listenTcp(options: TcpListenerOptions): Promise<Listener> {
  const logger = options.logger.child({ listener: 'tcp' });
  const connections = new ConnectionSet<net.Socket>((socket) => socket.destroy());
  let accepting = true;

  const server = net.createServer({ noDelay: true, highWaterMark: TRANSPORT_HIGH_WATER_MARK }, (socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    const transport = new SocketTransport(socket);
    logger.debug({ remote: `${transport.remoteAddress}:${transport.remotePort}` }, 'connection_accepted');
    options.acceptor.accept(transport);
  });
  // A listening socket error after bind (rare: e.g. EMFILE on accept) is logged, never fatal.
  const port = await bindServer(server, options.host, options.port, { protocol: 'MQTT/TCP', flag: '--port' });
  server.on('error', (error) => logger.error({ err: error }, 'listener_error'));

  let stopped: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    accepting = false;
    stopped ??= stopListening(server);
    return stopped;
  };

  return {
    name: 'tcp',
    host: options.host,
    port,
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
