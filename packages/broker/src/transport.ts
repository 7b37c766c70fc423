/**
 * A byte stream to one client, whatever carries it (TCP, TLS, WebSocket, an in-memory pair in
 * tests). Listeners in the server package adapt sockets to this; the broker only sees Transports.
 */
export interface Transport {
  /** Which listener accepted it: 'tcp', 'tls', 'ws', 'wss' or a test name. */
  readonly listener: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes accepted by write() but not yet handed to the OS. */
  readonly writableLength: number;
  /** Queues bytes; returns false once the transport's buffer is over its high-water mark. */
  write(data: Buffer): boolean;
  /** Flushes what was written, then closes. */
  end(): void;
  /** Closes at once, dropping unsent bytes. */
  destroy(): void;
  /** Stops / restarts delivering inbound data (inbound flow control). */
  pause(): void;
  resume(): void;
  onData(listener: (chunk: Buffer) => void): void;
  onDrain(listener: () => void): void;
  /** Called exactly once when the transport is closed, by either side. */
  onClose(listener: (error?: Error) => void): void;
}
