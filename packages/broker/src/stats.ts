import type { ProtocolVersion, QoS } from '@flockmq/protocol';

/** Why a message was not delivered to one subscriber. */
export type DropReason =
  'congested' | 'queue_full' | 'packet_too_large' | 'offline_qos0' | 'not_authorized' | 'no_member';

/** How a takeover ended: from a connection on this node, from another node, or lost to a racing CONNECT. */
export type TakeoverResult = 'local' | 'remote' | 'lost_race';

/** Who ended a connection: the client (DISCONNECT), the server (its DISCONNECT or close), or the network. */
export type CloseInitiator = 'client' | 'server' | 'network';

/** How an authentication ended; 'none' when no authenticator is configured. */
export type AuthResult = 'success' | 'failure' | 'none';

/** `3.1`, `3.1.1` or `5.0`: the label value for a protocol level. */
export function protocolLabel(version: ProtocolVersion): string {
  return version === 5 ? '5.0' : version === 4 ? '3.1.1' : '3.1';
}

/** `0x8b`: the label value for a reason code. */
export function reasonLabel(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** MQTT 5 reason codes of the 3.1.1 CONNACK return codes 0–5 (CONNACKs are counted by the former). */
const V5_CODE_FOR_RETURN_CODE = [0x00, 0x84, 0x85, 0x88, 0x86, 0x87];

/** A counter per combination of label values (the key joins them with '|'); cardinality is the caller's to bound. */
export class LabelledCounter {
  readonly values = new Map<string, number>();

  inc(key: string, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(key: string): number {
    return this.values.get(key) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const n of this.values.values()) sum += n;
    return sum;
  }
}

/**
 * A histogram with fixed bucket bounds, cheap enough for the delivery path (a short scan and two
 * additions; no labels, no allocation). The metrics module exposes it in Prometheus form.
 */
export class BucketHistogram {
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1]; the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** Milliseconds from a publish reaching a node to its delivery being written to a subscriber's socket. */
export const DELIVERY_LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/**
 * Plain counters the broker keeps on its hot paths (cheap increments); the server's metrics
 * and `$SYS` topics read them. Label keys are joined with '|' and only ever hold bounded values
 * (listener names, protocol levels, reason codes, QoS): never client ids or topics.
 */
export class BrokerStats {
  /** By `listener|protocol`. */
  readonly connectionsOpened = new LabelledCounter();
  /** By `listener|protocol|initiator|reason`. */
  readonly connectionsClosed = new LabelledCounter();
  /** CONNACKs sent, by `protocol|reason` (MQTT 5 reason code; 3.1.1 return codes mapped to theirs). */
  readonly connacks = new LabelledCounter();
  /** By AuthResult. */
  readonly authentications = new LabelledCounter();
  /** Packets from / to clients, by MQTT packet type code (1–15). */
  readonly packetsIn = new Array<number>(16).fill(0);
  readonly packetsOut = new Array<number>(16).fill(0);
  /** Bytes of those packets, by type. */
  readonly packetBytesIn = new Array<number>(16).fill(0);
  readonly packetBytesOut = new Array<number>(16).fill(0);
  /** Every byte read from / written to client connections (incomplete and malformed input included). */
  bytesIn = 0;
  bytesOut = 0;
  /** PUBLISHes received from clients and wills, by QoS. */
  readonly messagesPublished = [0, 0, 0];
  /** PUBLISHes written to subscribers, by granted QoS. */
  readonly messagesDelivered = [0, 0, 0];
  /** By `reason|qos`. */
  readonly messagesDropped = new LabelledCounter();
  /** By QoS. */
  readonly messagesExpired = [0, 0, 0];
  /** QoS 1/2 messages queued for offline persistent sessions. */
  messagesQueued = 0;
  readonly deliveryLatency = new BucketHistogram(DELIVERY_LATENCY_BOUNDS_MS);
  readonly takeoverResults = new LabelledCounter();
  /** CONNECTs delayed because their client id was flapping. */
  flapDelays = 0;
  /** Clients asked to move to another node by rebalancing. */
  rebalanced = 0;
  willsPublished = 0;
  sessionsExpired = 0;
  /** Told of every takeover with how long the CONNECT took to get its session (for a histogram). */
  onTakeover: ((result: TakeoverResult, durationMs: number) => void) | undefined;

  takeover(result: TakeoverResult, durationMs: number): void {
    this.takeoverResults.inc(result);
    this.onTakeover?.(result, durationMs);
  }

  drop(reason: DropReason, qos: QoS): void {
    this.messagesDropped.inc(`${reason}|${qos}`);
  }

  /** A CONNACK sent; a 3.1.1 return code is counted as its MQTT 5 equivalent. */
  countConnack(protocol: string, code: number, isV5: boolean): void {
    const reason = isV5 ? code : (V5_CODE_FOR_RETURN_CODE[code] ?? code);
    this.connacks.inc(`${protocol}|${reasonLabel(reason)}`);
  }

  /** A client connection closed. */
  countClose(listener: string, protocol: string, initiator: CloseInitiator, reasonCode: number | undefined): void {
    this.connectionsClosed.inc(
      `${listener}|${protocol}|${initiator}|${reasonCode === undefined ? 'none' : reasonLabel(reasonCode)}`,
    );
  }

  /** A PUBLISH was written to a subscriber's connection at `now`. */
  countDelivery(qos: QoS, receivedAt: number, now: number): void {
    this.messagesDelivered[qos]!++;
    this.deliveryLatency.observe(now - receivedAt);
  }

  droppedTotal(): number {
    return this.messagesDropped.total();
  }

  dropped(reason: DropReason): number {
    let sum = 0;
    for (const [key, n] of this.messagesDropped.values) if (key.startsWith(`${reason}|`)) sum += n;
    return sum;
  }

  /** Messages published, all QoS. */
  get published(): number {
    return this.messagesPublished[0]! + this.messagesPublished[1]! + this.messagesPublished[2]!;
  }

  /** Messages delivered, all QoS. */
  get delivered(): number {
    return this.messagesDelivered[0]! + this.messagesDelivered[1]! + this.messagesDelivered[2]!;
  }

  get expired(): number {
    return this.messagesExpired[0]! + this.messagesExpired[1]! + this.messagesExpired[2]!;
  }
}
