export { FakeClock } from './fake-clock';
export { Flock, FlockNode } from './flock';
export type { FlockNodeOptions, FlockOptions } from './flock';
export { RawClient } from './raw-client';
export { startTestBroker } from './test-broker';
export type { TestBroker, TestBrokerOptions } from './test-broker';
export { WaitTimeoutError, waitFor, withTimeout } from './wait';
// Real Redis and NATS servers for cluster tests (local binaries, or containers when Docker answers).
export { BACKEND_ENV, dockerReachable, requestedBackend } from './fixtures/backend';
export type { BackendChoice, ServerBackend } from './fixtures/backend';
export { FixtureError } from './fixtures/errors';
export type { FixtureErrorCode } from './fixtures/errors';
export type { ServerControl } from './fixtures/local-server';
export { NATS_SERVER, startNats, startNatsCluster } from './fixtures/nats';
export type {
  NatsClusterFixture,
  NatsClusterNode,
  NatsClusterOptions,
  NatsFixture,
  NatsOptions,
} from './fixtures/nats';
export { HAPROXY, startHaproxy } from './fixtures/haproxy';
export type { HaproxyBackend, HaproxyFixture } from './fixtures/haproxy';
export { pollUntil } from './fixtures/poll';
export type { PollOptions } from './fixtures/poll';
export { freePort, freePorts } from './fixtures/ports';
export { ManagedProcess, canConnect, findExecutable, makeTempDir, removeTempDir } from './fixtures/process';
export type { ManagedProcessOptions, ProcessExit, ReadyCheck } from './fixtures/process';
export { REDIS_CLI, REDIS_SERVER, redisServerArgs, startRedis, startRedisCluster } from './fixtures/redis';
export type {
  RedisAddress,
  RedisClusterFixture,
  RedisClusterNode,
  RedisClusterOptions,
  RedisFixture,
  RedisOptions,
} from './fixtures/redis';
export { startRedisSentinel } from './fixtures/redis-sentinel';
export type { RedisSentinelFixture, RedisSentinelOptions, SentinelNode } from './fixtures/redis-sentinel';
export { clusterInfo, redisCommand } from './fixtures/resp';
export type { RespValue } from './fixtures/resp';
