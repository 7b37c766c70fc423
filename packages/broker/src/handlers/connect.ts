import { ReasonCode, connackReturnCodeFor, topicNameError } from '@flockmq/protocol';
import type { ConnectPacket, Properties } from '@flockmq/protocol';
import type { Channel } from '../channel';

const PROTOCOL_MAX_PACKET = 268_435_460;

/**
 * CONNECT: validate, authenticate, claim the session (taking it over from another connection),
 * answer CONNACK with the limits this server enforces, then resend what was in flight.
 */
export async function handleConnect(channel: Channel, packet: ConnectPacket): Promise<void> {
  const { broker } = channel;
  const { limits } = broker;
  const v5 = packet.protocolVersion === 5;
  const props = packet.properties ?? {};
  channel.protocolVersion = packet.protocolVersion;
  channel.protocolKnown = true;
  if (v5) {
    // Known before any CONNACK goes out, a refusal included: its Reason String must fit too [MQTT-3.2.2-19].
    channel.clientReceiveMaximum = props.receiveMaximum ?? 65535;
    channel.clientMaxPacketSize = props.maximumPacketSize ?? PROTOCOL_MAX_PACKET;
    channel.requestProblemInformation = props.requestProblemInformation !== 0;
  }

  const refuse = (reasonCode: number, detail: string): void => {
    channel.log.info({ reasonCode, detail, clientId: packet.clientId }, 'connect_refused');
    const code = v5 ? reasonCode : connackReturnCodeFor(reasonCode);
    const properties: Properties | undefined =
      v5 && props.requestProblemInformation !== 0 ? { reasonString: detail } : undefined;
    // [MQTT-3.2.2-6] A refused CONNACK has Session Present 0; then the connection is closed [MQTT-3.2.2-7].
    channel.send({ type: 'connack', sessionPresent: false, reasonCode: code, ...(properties && { properties }) });
    channel.end();
  };

  if (v5 && props.authenticationMethod !== undefined) {
    // Enhanced authentication is not offered [MQTT-4.12.0-1].
    return refuse(
      ReasonCode.BadAuthenticationMethod,
      `authentication method ${props.authenticationMethod} is not supported`,
    );
  }

  let clientId = packet.clientId;
  let assigned = false;
  if (clientId === '') {
    // [MQTT-3.1.3-8] 3.1.1 accepts an empty client id only with Clean Session; 3.1 never does.
    if (packet.protocolVersion === 3 || (packet.protocolVersion === 4 && !packet.clean)) {
      return refuse(ReasonCode.ClientIdentifierNotValid, 'an empty client identifier needs clean session');
    }
    clientId = broker.assignClientId(); // [MQTT-3.1.3-6]
    assigned = true;
  }
  if (Buffer.byteLength(clientId) > limits.maxClientIdLength) {
    return refuse(
      ReasonCode.ClientIdentifierNotValid,
      `client identifier longer than ${limits.maxClientIdLength} bytes`,
    );
  }

  if (packet.will) {
    const error = topicNameError(packet.will.topic, { maxTopicLevels: limits.maxTopicLevels });
    if (error) return refuse(ReasonCode.TopicNameInvalid, `will topic: ${error}`);
    if (packet.will.qos > limits.maxQoS) {
      return refuse(ReasonCode.QoSNotSupported, `will QoS ${packet.will.qos} above maximum ${limits.maxQoS}`); // [MQTT-3.2.2-12]
    }
    if (packet.will.retain && !limits.retainAvailable) {
      return refuse(ReasonCode.RetainNotSupported, 'retained will messages are not supported'); // [MQTT-3.2.2-13]
    }
  }

  channel.clientId = clientId;
  channel.username = packet.username;
  channel.log = channel.log.child({ clientId });

  if (broker.hooks.authenticate) {
    const result = await broker.hooks.authenticate({ ...channel.info, password: packet.password });
    broker.stats.authentications.inc(result.ok ? 'success' : 'failure');
    if (!result.ok) return refuse(result.reasonCode, result.reason ?? 'not authorized');
    if (channel.state !== 'connecting') return;
  } else broker.stats.authentications.inc('none');

  const requestedExpiry = v5 ? (props.sessionExpiryInterval ?? 0) : packet.clean ? 0 : 0xffffffff;
  const expiryInterval = Math.min(requestedExpiry, limits.maxSessionExpiryInterval);

  let keepAlive = packet.keepAlive;
  let serverKeepAlive: number | undefined;
  if (v5 && limits.maxKeepAlive > 0 && (keepAlive === 0 || keepAlive > limits.maxKeepAlive)) {
    keepAlive = limits.maxKeepAlive;
    serverKeepAlive = keepAlive; // [MQTT-3.2.2-21]
  }

  const will = packet.will && { ...packet.will, delayInterval: packet.will.properties?.willDelayInterval ?? 0 };
  const opened = await broker.openSession(channel, packet.clean, expiryInterval, will);
  if (opened === ReasonCode.SessionTakenOver && channel.state === 'connecting') {
    // A later CONNECT on another node won the session: accepted, then at once taken over (G2).
    channel.state = 'connected';
    channel.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: ReasonCode.Success,
      ...(v5 && { properties: {} }),
    });
    channel.disconnect(ReasonCode.SessionTakenOver, 'session taken over');
    return;
  }
  if (typeof opened === 'number') {
    if (channel.state === 'connecting') refuse(opened, 'client identifier in use by another identity');
    return;
  }
  // No await from here to CONNACK: the session is live and deliveries may arrive.
  channel.session = opened.session;
  channel.state = 'connected';
  for (const pending of channel.earlyArrivals?.splice(0) ?? []) {
    if (pending.seq > opened.session.seqAtLoad) opened.session.queue.push(pending);
  }
  channel.will = will;

  const properties: Properties = {};
  if (v5) {
    if (assigned) properties.assignedClientIdentifier = clientId; // [MQTT-3.2.2-16]
    if (requestedExpiry !== expiryInterval) properties.sessionExpiryInterval = expiryInterval;
    if (serverKeepAlive !== undefined) properties.serverKeepAlive = serverKeepAlive;
    properties.receiveMaximum = limits.receiveMaximum;
    properties.maximumPacketSize = limits.maxPacketSize;
    properties.topicAliasMaximum = limits.topicAliasMaximum;
    if (limits.maxQoS < 2) properties.maximumQoS = limits.maxQoS as 0 | 1;
    if (!limits.retainAvailable) properties.retainAvailable = 0;
    if (!limits.wildcardSubscriptionAvailable) properties.wildcardSubscriptionAvailable = 0;
    if (!limits.subscriptionIdentifiersAvailable) properties.subscriptionIdentifiersAvailable = 0;
    if (!limits.sharedSubscriptionAvailable) properties.sharedSubscriptionAvailable = 0;
  }
  channel.send({
    type: 'connack',
    // [MQTT-3.2.2-2] [MQTT-3.2.2-3] Session Present tells whether a stored session was resumed.
    sessionPresent: opened.sessionPresent,
    reasonCode: ReasonCode.Success,
    ...(v5 && { properties }),
  });
  channel.log.debug(
    { protocolVersion: packet.protocolVersion, clean: packet.clean, sessionPresent: opened.sessionPresent },
    'client_connected',
  );
  channel.startKeepAlive(keepAlive);
  channel.resumeInflight();
}
