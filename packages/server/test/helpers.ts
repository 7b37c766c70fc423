import { once } from 'node:events';
import net from 'node:net';
import type { Transport } from '@flockmq/broker';
import type { Acceptor } from '../src/listeners/listener';

/** An acceptor that hands accepted transports to whoever waits for them. */
export class FakeAcceptor implements Acceptor {
  readonly accepted: Transport[] = [];
  private readonly waiting: ((t: Transport) => void)[] = [];

  accept(transport: Transport): void {
    this.accepted.push(transport);
    this.waiting.shift()?.(transport);
  }

  /** The next transport accepted (or the oldest not yet taken). */
  next(): Promise<Transport> {
    const index = this.taken;
    this.taken++;
    const ready = this.accepted[index];
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private taken = 0;
}

/** Collects chunks from a transport until `predicate` holds for their concatenation. */
export function readUntil(
  subscribe: (listener: (chunk: Buffer) => void) => void,
  predicate: (data: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let done = false;
    subscribe((chunk) => {
      if (done) return;
      data = Buffer.concat([data, chunk]);
      if (predicate(data)) {
        done = true;
        resolve(data);
      }
    });
  });
}

export const hasBytes = (n: number) => (data: Buffer) => data.length >= n;

/** A port taken by another server on `host`; close it when done. */
export async function occupyPort(host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A promise that resolves with the transport's close argument. */
export const closed = (transport: Transport): Promise<Error | undefined> =>
  new Promise((resolve) => transport.onClose((error) => resolve(error)));
