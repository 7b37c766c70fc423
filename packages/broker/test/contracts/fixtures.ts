import type { Message } from '../../src/message';
import type { PendingMessage, SessionState } from '../../src/backends/session-store';

export function message(topic: string, payload = 'x', overrides: Partial<Message> = {}): Message {
  return {
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: false,
    properties: undefined,
    expiresAt: undefined,
    origin: 'publisher',
    receivedAt: 1,
    ...overrides,
  };
}

export function pending(topic: string, payload = 'x', overrides: Partial<PendingMessage> = {}): PendingMessage {
  return {
    message: message(topic, payload),
    qos: 1,
    retain: false,
    subscriptionIds: undefined,
    seq: 0,
    state: 'queued',
    sharedGroup: undefined,
    ...overrides,
  };
}

export function sessionState(clientId: string, overrides: Partial<SessionState> = {}): SessionState {
  return {
    clientId,
    username: undefined,
    protocolVersion: 5,
    expiryInterval: 3600,
    subscriptions: [],
    pending: [],
    inboundQoS2: [],
    disconnectedAt: undefined,
    will: undefined,
    lastSeq: 0,
    ...overrides,
  };
}
