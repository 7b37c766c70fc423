import type { ProtocolVersion } from '@flockmq/protocol';

/** Who is asking: the facts about a connecting or connected client that hooks may use. */
export interface ClientInfo {
  clientId: string;
  username: string | undefined;
  protocolVersion: ProtocolVersion;
  listener: string;
  remoteAddress: string;
}

export interface AuthenticateRequest extends ClientInfo {
  password: Buffer | undefined;
}

export type AuthenticateResult =
  | { ok: true }
  /** reasonCode is an MQTT 5 CONNACK code (e.g. 0x86 bad user name or password, 0x87 not authorized). */
  | { ok: false; reasonCode: number; reason?: string };

/**
 * Extension points. Every hook is optional; the defaults allow everything, except that clients
 * may not publish to `$SYS` topics, which the broker enforces on its own.
 */
export interface BrokerHooks {
  authenticate?(request: AuthenticateRequest): AuthenticateResult | Promise<AuthenticateResult>;
  /** Synchronous: it sits on the publish path. */
  authorizePublish?(client: ClientInfo, topic: string): boolean;
  authorizeSubscribe?(client: ClientInfo, filter: string): boolean;
}
