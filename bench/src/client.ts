/**
 * A raw-socket MQTT client built for load generation: frames are encoded once and copied,
 * acknowledgements for a whole socket read go out in one write, and inbound bytes are scanned
 * for frame boundaries without decoding more than a PUBLISH's header. MQTT 3.1.1 and 5.0, QoS 0–2.
 */
import net from 'node:net';
import { encodePacket, type ProtocolVersion, type QoS } from '@flockmq/protocol';

export interface ClientOptions {
  host: string;
  port: number;
  /** Source address (127.0.0.x), to spread many connections over several addresses. */
  localAddress?: string;
  clientId: string;
  protocol: 4 | 5;
  clean: boolean;
  /** MQTT 5 Session Expiry Interval for persistent sessions, seconds. */
  sessionExpiry?: number;
  /** How long to wait for CONNACK and SUBACK. */
  timeoutMs?: number;
}

/** Called for every PUBLISH received: the frame's buffer and where its payload lies. */
export type MessageListener = (frame: Buffer, payloadStart: number, payloadEnd: number) => void;

const PACKET_CONNACK = 2;
const PACKET_PUBLISH = 3;
const PACKET_PUBACK = 4;
const PACKET_PUBREC = 5;
const PACKET_PUBREL = 6;
const PACKET_PUBCOMP = 7;
const PACKET_SUBACK = 9;
const PACKET_DISCONNECT = 14;

/** The bytes of a PUBLISH with a given topic, QoS and payload, ready to copy (packet id patched per copy). */
export interface PublishTemplate {
  frame: Buffer;
  /** Offset of the packet identifier (QoS 1/2), else -1. */
  packetIdOffset: number;
  /** Offset of the payload's first byte. */
  payloadOffset: number;
  qos: QoS;
}

export function publishTemplate(
  topic: string,
  payload: Buffer,
  qos: QoS,
  protocol: ProtocolVersion,
  retain = false,
): PublishTemplate {
  const frame = encodePacket(
    { type: 'publish', topic, payload, qos, retain, dup: false, ...(qos > 0 && { packetId: 1 }) },
    protocol,
  );
  const payloadOffset = frame.length - payload.length;
  // The variable header is topic (2 + n bytes), packet id (2), then MQTT 5 properties (1 byte: none).
  const packetIdOffset = qos > 0 ? payloadOffset - 2 - (protocol === 5 ? 1 : 0) : -1;
  return { frame, packetIdOffset, payloadOffset, qos };
}

export class BenchClient {
  /** PUBLISH packets received. */
  received = 0;
  /** A count shared by a group of clients, kept beside `received` (the sum without a loop). */
  tally: { received: number } | undefined;
  /** QoS 1/2 publishes sent and not yet acknowledged (PUBACK / PUBCOMP). */
  inflight = 0;
  /** QoS 1/2 publishes acknowledged. */
  acknowledged = 0;
  /** Publishes written to the socket. */
  sent = 0;
  /** Reason code of a DISCONNECT from the server, if one came. */
  disconnectReason: number | undefined;
  onMessage: MessageListener | undefined;
  /** Called after each socket read and each 'drain': the generator's cue to publish more. */
  onActivity: (() => void) | undefined;

  private pending: Buffer | undefined;
  private nextPacketId = 1;
  private readonly waiting = new Map<string, (value: number[]) => void>();
  private closed = false;
  private readonly closedPromise: Promise<void>;

  readonly socket: net.Socket;
  readonly protocol: 4 | 5;

  private constructor(socket: net.Socket, protocol: 4 | 5) {
    this.socket = socket;
    this.protocol = protocol;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onActivity?.());
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        for (const settle of this.waiting.values()) settle([-1]);
        this.waiting.clear();
        resolve();
      }),
    );
  }

  /** Connects and waits for CONNACK; rejects when refused or not answered in time. */
  static async connect(options: ClientOptions): Promise<{ client: BenchClient; sessionPresent: boolean }> {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      ...(options.localAddress && { localAddress: options.localAddress }),
    });
    const client = new BenchClient(socket, options.protocol);
    const connack = client.expect('connack', options.timeoutMs ?? 10_000);
    socket.write(
      encodePacket(
        {
          type: 'connect',
          protocolName: 'MQTT',
          protocolVersion: options.protocol,
          clean: options.clean,
          keepAlive: 0,
          clientId: options.clientId,
          ...(options.protocol === 5 &&
            options.sessionExpiry !== undefined && { properties: { sessionExpiryInterval: options.sessionExpiry } }),
        },
        options.protocol,
      ),
    );
    const [sessionPresent, reasonCode] = await connack;
    if (reasonCode !== 0) {
      socket.destroy();
      throw new Error(
        `${options.clientId}: CONNACK ${reasonCode === undefined ? 'never came' : `0x${reasonCode.toString(16)}`}`,
      );
    }
    return { client, sessionPresent: sessionPresent === 1 };
  }

  /** Subscribes and returns the SUBACK code (granted QoS, or 0x80 and up on failure). */
  async subscribe(filter: string, qos: QoS, timeoutMs = 10_000): Promise<number> {
    const packetId = this.takePacketId();
    const suback = this.expect(`suback:${packetId}`, timeoutMs);
    this.socket.write(
      encodePacket(
        {
          type: 'subscribe',
          packetId,
          subscriptions: [{ topicFilter: filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
        },
        this.protocol,
      ),
    );
    const [code] = await suback;
    return code ?? -1;
  }

  /** True while the socket can take more bytes without queueing in user space. */
  get writable(): boolean {
    return !this.closed && !this.socket.writableNeedDrain;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes `count` copies of a QoS 0 batch (pre-built: `batch` holds copies of one frame). */
  sendPrebuilt(batch: Buffer, count: number, frameLength: number): void {
    this.socket.write(count * frameLength === batch.length ? batch : batch.subarray(0, count * frameLength));
    this.sent += count;
  }

  /**
   * Writes `count` copies of a template in one write, each with its own packet id (QoS 1/2);
   * `stamp` may write into each copy's payload (e.g. a send time).
   */
  sendCopies(template: PublishTemplate, count: number, stamp?: (frame: Buffer, payloadOffset: number) => void): void {
    const length = template.frame.length;
    const out = Buffer.allocUnsafe(length * count);
    for (let i = 0; i < count; i++) {
      const at = i * length;
      template.frame.copy(out, at);
      if (template.packetIdOffset >= 0) out.writeUInt16BE(this.takePacketId(), at + template.packetIdOffset);
      if (stamp) stamp(out, at + template.payloadOffset);
    }
    this.socket.write(out);
    this.sent += count;
    if (template.qos > 0) this.inflight += count;
  }

  /** Closes without DISCONNECT (as a network failure would), or with it when `clean`. */
  async close(clean = true): Promise<void> {
    if (this.closed) return;
    if (clean) this.socket.end(Buffer.from([0xe0, 0x00]));
    else this.socket.destroy();
    const timer = setTimeout(() => this.socket.destroy(), 2000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  private takePacketId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  private expect(key: string, timeoutMs: number): Promise<number[]> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve([]);
      }, timeoutMs);
      this.waiting.set(key, (value) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(value);
      });
    });
  }

  private onData(chunk: Buffer): void {
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let acks: Buffer | undefined;
    let ackLength = 0;
    const ack = (type: number, packetId: number): void => {
      // A read of n bytes holds at most n / 4 packets, so n bytes always hold their acks.
      acks ??= Buffer.allocUnsafe(data.length);
      acks[ackLength] = type;
      acks[ackLength + 1] = 2;
      acks[ackLength + 2] = packetId >> 8;
      acks[ackLength + 3] = packetId & 0xff;
      ackLength += 4;
    };
    let at = 0;
    const end = data.length;
    while (at < end) {
      // Fixed header: type/flags, then Remaining Length (1–4 bytes).
      if (at + 2 > end) break;
      const first = data[at]!;
      let remaining = 0;
      let multiplier = 1;
      let cursor = at + 1;
      let complete = false;
      while (cursor < end && cursor < at + 5) {
        const byte = data[cursor++]!;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || cursor + remaining > end) break;
      const bodyEnd = cursor + remaining;
      switch (first >> 4) {
        case PACKET_PUBLISH: {
          const qos = (first >> 1) & 3;
          let pos = cursor + 2 + data.readUInt16BE(cursor);
          let packetId = 0;
          if (qos > 0) {
            packetId = data.readUInt16BE(pos);
            pos += 2;
          }
          if (this.protocol === 5) pos = skipProperties(data, pos);
          this.received++;
          if (this.tally) this.tally.received++;
          if (qos === 1) ack(0x40, packetId);
          else if (qos === 2) ack(0x50, packetId);
          this.onMessage?.(data, pos, bodyEnd);
          break;
        }
        case PACKET_PUBACK:
        case PACKET_PUBCOMP:
          this.inflight--;
          this.acknowledged++;
          break;
        case PACKET_PUBREC:
          ack(0x62, data.readUInt16BE(cursor));
          break;
        case PACKET_PUBREL:
          ack(0x70, data.readUInt16BE(cursor));
          break;
        case PACKET_CONNACK:
          this.waiting.get('connack')?.([data[cursor]! & 1, data[cursor + 1]!]);
          break;
        case PACKET_SUBACK: {
          const packetId = data.readUInt16BE(cursor);
          const codesAt = this.protocol === 5 ? skipProperties(data, cursor + 2) : cursor + 2;
          this.waiting.get(`suback:${packetId}`)?.([...data.subarray(codesAt, bodyEnd)]);
          break;
        }
        case PACKET_DISCONNECT:
          this.disconnectReason = remaining > 0 ? data[cursor]! : 0;
          break;
      }
      at = bodyEnd;
    }
    if (at < end) this.pending = data.subarray(at);
    if (acks) this.socket.write(acks.subarray(0, ackLength));
    this.onActivity?.();
  }
}

/** Skips an MQTT 5 property block (Variable Byte Integer length, then the properties). */
function skipProperties(data: Buffer, at: number): number {
  let length = 0;
  let multiplier = 1;
  let byte: number;
  do {
    byte = data[at++]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
  } while (byte & 0x80);
  return at + length;
}
