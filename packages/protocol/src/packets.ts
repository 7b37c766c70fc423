/**
 * MQTT control packets as plain objects, shared by every protocol level.
 *
 * One shape per packet type for MQTT 3.1 (level 3), 3.1.1 (level 4) and 5.0 (level 5). Fields
 * that exist only in 5.0 (reason codes on acks, properties) are optional; the encoder omits them
 * for older levels and the decoder leaves them unset (reason codes default to 0x00 Success).
 */

export type QoS = 0 | 1 | 2;

/** The protocol level byte of CONNECT: 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

/** A user property: name and value. Order is significant and names may repeat [MQTT-3.3.2-18]. */
export type UserProperty = [name: string, value: string];

/**
 * MQTT 5 properties. Each packet type allows a subset (MQTT 5 §2.2.2.2); the decoder rejects a
 * property that is not allowed on its packet, or that appears twice where only one is allowed.
 */
export interface Properties {
  payloadFormatIndicator?: 0 | 1; // 0x01
  messageExpiryInterval?: number; // 0x02, seconds
  contentType?: string; // 0x03
  responseTopic?: string; // 0x08
  correlationData?: Buffer; // 0x09
  /** 0x0B. PUBLISH may carry several (one per matching subscription); SUBSCRIBE at most one. */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number; // 0x11, seconds
  assignedClientIdentifier?: string; // 0x12
  serverKeepAlive?: number; // 0x13, seconds
  authenticationMethod?: string; // 0x15
  authenticationData?: Buffer; // 0x16
  requestProblemInformation?: 0 | 1; // 0x17
  willDelayInterval?: number; // 0x18, seconds
  requestResponseInformation?: 0 | 1; // 0x19
  responseInformation?: string; // 0x1A
  serverReference?: string; // 0x1C
  reasonString?: string; // 0x1F
  receiveMaximum?: number; // 0x21
  topicAliasMaximum?: number; // 0x22
  topicAlias?: number; // 0x23
  maximumQoS?: 0 | 1; // 0x24
  retainAvailable?: 0 | 1; // 0x25
  userProperties?: UserProperty[]; // 0x26
  maximumPacketSize?: number; // 0x27
  wildcardSubscriptionAvailable?: 0 | 1; // 0x28
  subscriptionIdentifiersAvailable?: 0 | 1; // 0x29
  sharedSubscriptionAvailable?: 0 | 1; // 0x2A
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

export interface ConnectPacket {
  type: 'connect';
  /** "MQTT" for levels 4 and 5, "MQIsdp" for level 3. */
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.1.1) / Clean Start (5.0). */
  clean: boolean;
  keepAlive: number;
  clientId: string;
  will?: Will;
  username?: string;
  password?: Buffer;
  properties?: Properties;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  /** MQTT 5 reason code; for levels 3/4 the return code (0x00–0x05). */
  reasonCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: 'publish';
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present iff qos > 0. */
  packetId?: number;
  properties?: Properties;
}

export interface PubackPacket {
  type: 'puback';
  packetId: number;
  reasonCode?: number;
  properties?: Properties;
}

export interface PubrecPacket {
  type: 'pubrec';
  packetId: number;
  reasonCode?: number;
  properties?: Properties;
}

export interface PubrelPacket {
  type: 'pubrel';
  packetId: number;
  reasonCode?: number;
  properties?: Properties;
}

export interface PubcompPacket {
  type: 'pubcomp';
  packetId: number;
  reasonCode?: number;
  properties?: Properties;
}

export interface Subscription {
  topicFilter: string;
  qos: QoS;
  /** MQTT 5 subscription options; false / 0 for older levels. */
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: Subscription[];
  properties?: Properties;
}

export interface SubackPacket {
  type: 'suback';
  packetId: number;
  /** One per requested filter: granted QoS (0–2) or a failure code (0x80 and up). */
  reasonCodes: number[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  topicFilters: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: 'unsuback';
  packetId: number;
  /** MQTT 5 only: one per filter. */
  reasonCodes?: number[];
  properties?: Properties;
}

export interface PingreqPacket {
  type: 'pingreq';
}

export interface PingrespPacket {
  type: 'pingresp';
}

export interface DisconnectPacket {
  type: 'disconnect';
  reasonCode?: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: 'auth';
  reasonCode?: number;
  properties?: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

export type PacketType = Packet['type'];

/** Fixed-header packet type numbers (MQTT 5 §2.1.2). */
export const PACKET_TYPE_CODES: Readonly<Record<PacketType, number>> = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
};
