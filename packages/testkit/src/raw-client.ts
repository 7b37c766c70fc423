import { Socket, connect } from 'node:net';
import { PacketDecoder, encodePacket } from '@flockmq/protocol';
import type { ConnectPacket, Packet, PacketType, ProtocolVersion, ProtocolViolation } from '@flockmq/protocol';
import { WaitTimeoutError } from './wait';

type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

/**
 * An MQTT client over a real TCP socket that does nothing on its own: the test sends exactly the
 * packets (or raw bytes) it wants and reads what the broker answers. For behaviour that client
 * libraries hide (malformed input, protocol violations, exact acks and flags).
 */
export class RawClient {
  readonly received: Packet[] = [];
  private readonly socket: Socket;
  private readonly decoder: PacketDecoder;
  private waiters: { match: (p: Packet) => boolean; resolve: (p: Packet) => void }[] = [];
  private closeWaiters: (() => void)[] = [];
  isClosed = false;
  decodeError: ProtocolViolation | undefined;

  private constructor(
    socket: Socket,
    readonly protocolVersion: ProtocolVersion,
  ) {
    this.socket = socket;
    this.decoder = new PacketDecoder({ protocolVersion });
    socket.on('data', (chunk: Buffer) => {
      const error = this.decoder.push(chunk, (packet) => this.onPacket(packet));
      if (error) this.decodeError = error;
    });
    socket.on('close', () => {
      this.isClosed = true;
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, protocolVersion: ProtocolVersion = 5, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true });
      socket.once('connect', () => resolve(new RawClient(socket, protocolVersion)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection and completes CONNECT/CONNACK; fails unless the CONNACK is a success. */
  static async connect(port: number, connect: Partial<ConnectPacket> = {}): Promise<RawClient> {
    const version = connect.protocolVersion ?? 5;
    const client = await RawClient.open(port, version);
    client.send({
      type: 'connect',
      protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: version,
      clean: true,
      keepAlive: 0,
      clientId: `raw-${Math.random().toString(36).slice(2, 10)}`,
      ...connect,
    } as ConnectPacket);
    const connack = await client.next('connack');
    if (connack.reasonCode !== 0) throw new Error(`CONNACK refused: 0x${connack.reasonCode.toString(16)}`);
    return client;
  }

  send(packet: Packet): void {
    this.socket.write(encodePacket(packet, this.protocolVersion));
  }

  sendBytes(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** The next packet (of a type, if given) not returned before; waits for it. */
  next<T extends PacketType>(type?: T, timeoutMs = 5000): Promise<PacketOf<T>> {
    const match = (p: Packet): boolean => type === undefined || p.type === type;
    for (let i = 0; i < this.received.length; i++) {
      const packet = this.received[i]!;
      if (match(packet)) {
        this.received.splice(i, 1);
        return Promise.resolve(packet as PacketOf<T>);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new WaitTimeoutError(`a ${type ?? 'packet'} (closed: ${this.isClosed})`, timeoutMs));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (p: Packet) => {
          clearTimeout(timer);
          resolve(p as PacketOf<T>);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves when the broker has closed the connection. */
  closed(timeoutMs = 5000): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new WaitTimeoutError('the connection to close', timeoutMs)), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Packets received and not yet taken by next(). */
  get unread(): Packet[] {
    return [...this.received];
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onPacket(packet: Packet): void {
    const index = this.waiters.findIndex((w) => w.match(packet));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      waiter!.resolve(packet);
      return;
    }
    this.received.push(packet);
  }
}
