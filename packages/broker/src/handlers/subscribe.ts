import { ReasonCode, isWildcardFilter, parseSharedFilter, topicFilterError } from '@flockmq/protocol';
import type { QoS, SubscribePacket, UnsubscribePacket } from '@flockmq/protocol';
import type { Channel } from '../channel';
import type { SubscriptionOptions } from '../backends/session-store';
import { isExpired } from '../message';

interface RetainedRequest {
  filter: string;
  options: SubscriptionOptions;
}

/** SUBSCRIBE: one reason code per filter [MQTT-3.8.4-6], then retained messages as asked. */
export async function handleSubscribe(channel: Channel, packet: SubscribePacket): Promise<void> {
  const { broker } = channel;
  const { limits } = broker;
  const session = channel.session!;
  const v5 = channel.isV5;
  const subscriptionId = packet.properties?.subscriptionIdentifiers?.[0];
  if (subscriptionId !== undefined && !limits.subscriptionIdentifiersAvailable) {
    // [MQTT-3.8.2-?] Subscription identifiers were advertised as unavailable (0xA1).
    return channel.protocolViolation(
      ReasonCode.SubscriptionIdentifiersNotSupported,
      'subscription identifiers are not supported',
    );
  }
  const failure = (v5Code: number): number => (v5 ? v5Code : 0x80); // 3.1.1 has only 0x80 [MQTT-3.9.3-2]
  const reasonCodes: number[] = [];
  const retained: RetainedRequest[] = [];
  for (const sub of packet.subscriptions) {
    const error = topicFilterError(sub.topicFilter, { maxTopicLevels: limits.maxTopicLevels });
    if (error) {
      channel.log.info({ filter: sub.topicFilter, error }, 'subscribe_filter_invalid');
      reasonCodes.push(failure(ReasonCode.TopicFilterInvalid));
      continue;
    }
    const shared = parseSharedFilter(sub.topicFilter);
    if (shared && sub.noLocal) {
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
      return channel.protocolViolation(ReasonCode.ProtocolError, 'no local on a shared subscription');
    }
    if (shared && !limits.sharedSubscriptionAvailable) {
      reasonCodes.push(failure(ReasonCode.SharedSubscriptionsNotSupported));
      continue;
    }
    if (!limits.wildcardSubscriptionAvailable && isWildcardFilter(shared ? shared.filter : sub.topicFilter)) {
      reasonCodes.push(failure(ReasonCode.WildcardSubscriptionsNotSupported));
      continue;
    }
    if (broker.hooks.authorizeSubscribe && !broker.hooks.authorizeSubscribe(channel.info, sub.topicFilter)) {
      reasonCodes.push(failure(ReasonCode.NotAuthorized));
      continue;
    }
    if (
      !session.subscriptions.has(sub.topicFilter) &&
      session.subscriptions.size >= limits.maxSubscriptionsPerSession
    ) {
      reasonCodes.push(failure(ReasonCode.QuotaExceeded));
      continue;
    }
    // [MQTT-3.8.4-8] The granted QoS may be lower than asked for; deliveries are downgraded to it.
    const qos = Math.min(sub.qos, limits.maxQoS) as QoS;
    const options: SubscriptionOptions = {
      qos,
      noLocal: sub.noLocal,
      retainAsPublished: sub.retainAsPublished,
      retainHandling: sub.retainHandling,
      subscriptionId,
    };
    // [MQTT-3.8.4-3] A subscription to an existing filter replaces it.
    const isNew = await broker.subscribe(channel, sub.topicFilter, options);
    reasonCodes.push(qos);
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling 0: always, 1: only if new, 2: never.
    // Retained messages are not sent for shared subscriptions (MQTT 5 §4.8.2).
    if (!shared && (sub.retainHandling === 0 || (sub.retainHandling === 1 && isNew))) {
      retained.push({ filter: sub.topicFilter, options });
    }
  }
  channel.send({ type: 'suback', packetId: packet.packetId, reasonCodes }); // [MQTT-3.8.4-1] [MQTT-3.8.4-2]
  for (const request of retained) await sendRetained(channel, request);
}

async function sendRetained(channel: Channel, { filter, options }: RetainedRequest): Promise<void> {
  const messages = await channel.broker.retained.match(filter);
  if (channel.state !== 'connected') return;
  const now = channel.broker.clock.now();
  for (const message of messages) {
    if (isExpired(message, now)) continue;
    channel.deliver({
      message,
      qos: (message.qos < options.qos ? message.qos : options.qos) as QoS,
      retain: true, // [MQTT-3.3.1-8] retained messages sent on subscribe carry RETAIN 1
      subscriptionIds: options.subscriptionId === undefined ? undefined : [options.subscriptionId],
      seq: 0,
      state: 'queued',
      sharedGroup: undefined,
    });
  }
}

/** UNSUBSCRIBE: one reason code per filter (MQTT 5), UNSUBACK even when nothing matched [MQTT-3.10.4-5]. */
export async function handleUnsubscribe(channel: Channel, packet: UnsubscribePacket): Promise<void> {
  const reasonCodes: number[] = [];
  for (const filter of packet.topicFilters) {
    const error = topicFilterError(filter, { maxTopicLevels: channel.broker.limits.maxTopicLevels });
    if (error) {
      reasonCodes.push(ReasonCode.TopicFilterInvalid);
      continue;
    }
    const existed = await channel.broker.unsubscribe(channel, filter);
    reasonCodes.push(existed ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted);
  }
  channel.send({ type: 'unsuback', packetId: packet.packetId, ...(channel.isV5 && { reasonCodes }) });
}
