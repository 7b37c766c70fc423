export { KEY_PREFIX, KEY_VERSION, RedisKeys, escapeKeyPart, unescapeKeyPart } from './keys';
export type { SessionKeys } from './keys';
export {
  FORMAT_V1,
  decodeMessage,
  decodePendingBody,
  decodePendingMessage,
  decodeSubscription,
  decodeSubscriptionOptions,
  decodeWill,
  encodeMessage,
  encodePendingBody,
  encodePendingMessage,
  encodeSubscription,
  encodeSubscriptionOptions,
  encodeWill,
} from './codec';
export type { PendingBody } from './codec';
export { RedisScripts, mapScriptError } from './scripts';
export type { RedisClient } from './scripts';
export { RedisSessionStore } from './redis-session-store';
export type { RedisStoreOptions } from './redis-session-store';
export { RedisRetainStore } from './redis-retain-store';
export { RedisRouteRegistry } from './redis-route-registry';
export { RedisNodeRegistry } from './redis-node-registry';
export { backoff, closeRedisClient, createRedisClient, parseRedisUrl, redact, waitForRedis } from './connect';
export type { RedisAddressPart, RedisClientOptions, RedisTarget } from './connect';
