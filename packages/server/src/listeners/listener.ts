/**
 * What every listener shares: the acceptor it hands transports to, binding a port with errors
 * that name the flag to change, and closing its connections with a grace period.
 */
import type { Server } from 'node:net';
import type { Transport } from '@flockmq/broker';
import { FlockError } from '@flockmq/protocol';

/** Whoever takes accepted connections: the Broker, or a fake in tests. */
export interface Acceptor {
  accept(transport: Transport): void;
}

/** Bytes a transport buffers before write() returns false. */
export const TRANSPORT_HIGH_WATER_MARK = 64 * 1024;

/** How long close() lets connections finish (a DISCONNECT being flushed) before destroying them. */
export const DEFAULT_CLOSE_GRACE_MS = 2_000;

export interface Listener {
  /** 'tcp', 'ws', 'tls', 'wss'. */
  readonly name: string;
  /** Bound address and port (the real port when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** Open connections accepted by this listener. */
  readonly connectionCount: number;
  /** Stops accepting new connections; open ones are left alone. Idempotent. */
  stopAccepting(): void;
  /**
   * Stops accepting, waits up to `graceMs` for open connections to close (the broker ends them),
   * destroys the rest, and resolves once the listening socket is closed. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
  /** TLS listeners: serve new connections with this certificate (a rotated one); open ones keep theirs. */
  replaceCertificate?(material: import('./tcp').TlsMaterial): void;
}

/** What a listener is called in messages and which flag moves it. */
export interface ListenerLabel {
  /** 'MQTT/TCP' */
  readonly protocol: string;
  /** '--port' */
  readonly flag: string;
}

/** Binds `server`; resolves with the bound port. Bind failures become FlockErrors naming the flag. */
export function bindServer(server: Server, host: string, port: number, label: ListenerLabel): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(bindError(error, host, port, label));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function bindError(error: NodeJS.ErrnoException, host: string, port: number, label: ListenerLabel): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new FlockError(
        'FLOCK_ERR_PORT_IN_USE',
        `port ${port} is already in use (${label.protocol}); choose another with ${label.flag}`,
        { cause: error },
      );
    case 'EACCES':
      return new FlockError(
        'FLOCK_ERR_CONFIG_INVALID',
        `not allowed to listen on port ${port} (${label.protocol}); choose a port above 1023 with ${label.flag}`,
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FlockError(
        'FLOCK_ERR_CONFIG_INVALID',
        `cannot listen on ${host} (${label.protocol}): not an address of this machine; check --host`,
        { cause: error },
      );
    default:
      return error;
  }
}

/**
 * Stops listening at once. The promise resolves when the server has closed, which is after its
 * last connection is gone. Call it once per server.
 */
export function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}

/**
 * The connections of one listener, so close() can wait for them and destroy stragglers.
 * `destroy` is how the listener kills one connection at once.
 */
export class ConnectionSet<C> {
  private readonly open = new Set<C>();
  private readonly emptied: (() => void)[] = [];

  constructor(private readonly destroy: (connection: C) => void) {}

  get size(): number {
    return this.open.size;
  }

  add(connection: C): void {
    this.open.add(connection);
  }

  delete(connection: C): void {
    this.open.delete(connection);
    if (this.open.size === 0) for (const resolve of this.emptied.splice(0)) resolve();
  }

  /** Resolves once every connection has closed, destroying those still open after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    if (this.open.size === 0) return;
    const empty = new Promise<void>((resolve) => this.emptied.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([empty, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      for (const connection of [...this.open]) this.destroy(connection);
      await empty;
    }
  }
}
