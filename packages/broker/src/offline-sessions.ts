import type { Properties } from '@flockmq/protocol';
import type { Broker } from './broker';
import type { TimerHandle } from './clock';
import type { Message } from './message';
import type { StoredWill } from './backends/session-store';

const NEVER_EXPIRES = 0xffffffff;

/**
 * The durable sessions this node holds without a connection, and what runs for them here: the
 * will after its delay [MQTT-3.1.3-9] and the expiry (after which `expire` ends the session).
 */
export class OfflineSessions {
  private readonly ids = new Set<string>();
  private readonly willTimers = new Map<string, { timer: TimerHandle; will: StoredWill }>();
  private readonly expiryTimers = new Map<string, TimerHandle>();

  constructor(
    private readonly broker: Broker,
    private readonly expire: (clientId: string) => void,
  ) {}

  get clientIds(): ReadonlySet<string> {
    return this.ids;
  }

  /** A durable session without a connection: its will (after the will delay) and its expiry run here. */
  park(clientId: string, expiryInterval: number, will: StoredWill | undefined): void {
    const clock = this.broker.clock;
    this.ids.add(clientId);
    if (will) {
      const delay = Math.min(will.delayInterval, expiryInterval);
      if (delay === 0) this.publishWill(clientId, will);
      else {
        const timer = clock.setTimeout(() => {
          this.willTimers.delete(clientId);
          this.publishWill(clientId, will);
        }, delay * 1000);
        this.willTimers.set(clientId, { timer, will });
      }
    }
    if (expiryInterval !== NEVER_EXPIRES) {
      const timer = clock.setTimeout(() => {
        this.expiryTimers.delete(clientId);
        this.ids.delete(clientId);
        this.expire(clientId);
      }, expiryInterval * 1000);
      this.expiryTimers.set(clientId, timer);
    }
  }

  /** The session is connected again, moved away or ended: it is no longer held offline here. */
  unpark(clientId: string): void {
    this.ids.delete(clientId);
    const timer = this.expiryTimers.get(clientId);
    if (timer) this.broker.clock.clearTimeout(timer);
    this.expiryTimers.delete(clientId);
  }

  /** A new connection to a session: its pending delayed will is cancelled if it resumes, else sent now. */
  takePendingWill(clientId: string, resumed: boolean): void {
    const pending = this.willTimers.get(clientId);
    if (!pending) return;
    this.broker.clock.clearTimeout(pending.timer);
    this.willTimers.delete(clientId);
    if (!resumed) this.publishWill(clientId, pending.will);
  }

  publishWill(clientId: string, will: StoredWill): void {
    const { broker } = this;
    const now = broker.clock.now();
    const p = will.properties;
    let properties: Properties | undefined;
    if (p) {
      properties = { ...p };
      delete properties.messageExpiryInterval;
      delete properties.willDelayInterval;
      if (Object.keys(properties).length === 0) properties = undefined;
    }
    const message: Message = {
      topic: will.topic,
      payload: will.payload,
      qos: will.qos,
      retain: will.retain,
      properties,
      expiresAt: p?.messageExpiryInterval !== undefined ? now + p.messageExpiryInterval * 1000 : undefined,
      origin: clientId,
      receivedAt: now,
    };
    broker.stats.willsPublished++;
    broker.log.debug({ clientId, topic: will.topic }, 'will_published');
    void broker
      .publish(message)
      .done?.catch((err: unknown) => broker.log.error({ err, clientId }, 'will_publish_failed'));
  }

  /** Stops every timer (the node is closing). */
  clear(): void {
    for (const { timer } of this.willTimers.values()) this.broker.clock.clearTimeout(timer);
    for (const timer of this.expiryTimers.values()) this.broker.clock.clearTimeout(timer);
    this.willTimers.clear();
    this.expiryTimers.clear();
    this.ids.clear();
  }
}
