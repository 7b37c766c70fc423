/** MQTT 5.0 reason codes (§2.4) and the MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** MQTT 3.1 / 3.1.1 CONNACK return codes. */
export const ConnackReturnCode = {
  Accepted: 0x00,
  UnacceptableProtocolVersion: 0x01,
  IdentifierRejected: 0x02,
  ServerUnavailable: 0x03,
  BadUserNameOrPassword: 0x04,
  NotAuthorized: 0x05,
} as const;

/**
 * Maps an MQTT 5 CONNACK reason code to the closest 3.1.1 return code, for clients on levels 3/4.
 * Codes with no 3.1.1 equivalent become "server unavailable" (the 3.1.1 catch-all).
 */
export function connackReturnCodeFor(reasonCode: number): number {
  switch (reasonCode) {
    case ReasonCode.Success:
      return ConnackReturnCode.Accepted;
    case ReasonCode.UnsupportedProtocolVersion:
      return ConnackReturnCode.UnacceptableProtocolVersion;
    case ReasonCode.ClientIdentifierNotValid:
      return ConnackReturnCode.IdentifierRejected;
    case ReasonCode.BadUserNameOrPassword:
      return ConnackReturnCode.BadUserNameOrPassword;
    case ReasonCode.NotAuthorized:
    case ReasonCode.Banned:
      return ConnackReturnCode.NotAuthorized;
    default:
      return ConnackReturnCode.ServerUnavailable;
  }
}

const NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(ReasonCode)) if (!NAMES.has(code)) NAMES.set(code, name);

/** A readable name for logs: `0x8e SessionTakenOver`. */
export function reasonCodeName(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')} ${NAMES.get(code) ?? 'Unknown'}`;
}
