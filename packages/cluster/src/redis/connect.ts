/**
 * Redis clients from URLs: one server, Sentinel, or Redis Cluster, with the connection policy a
 * broker wants.
 *
 * URL forms (user and password optional, percent-encoded):
 * - `redis://[user:pass@]host[:6379][/db]`, `rediss://…` (TLS)
 * - `redis-sentinel://[user:pass@]host1[:26379],host2[:26379]/mastername[/db][?sentinelPassword=…]`,
 *   `rediss-sentinel://…` (TLS to the master; to the sentinels too)
 * - `redis-cluster://[user:pass@]host1[:6379],host2[:6379]`, `rediss-cluster://…` (TLS)
 * - a list of `redis://` URLs: the seed nodes of a Redis Cluster (user and password of the first)
 *
 * Connection policy (the defaults; options can override the underlying ioredis settings):
 * - Reconnect forever: exponential backoff from 50 ms, capped at `maxBackoffMs` (2 s), plus up
 *   to 10 % jitter so a fleet of nodes does not reconnect in lockstep.
 * - Fail fast while disconnected: no offline queue (a command issued while not connected rejects
 *   at once instead of piling up in memory), and `maxRetriesPerRequest: 0` with no automatic
 *   resend, so a command in flight when the connection drops rejects instead of being replayed:
 *   a script may or may not have run, and replaying a non-idempotent one (append) would store a
 *   message twice. The caller decides (a publish is not acknowledged; the client retries).
 *   Readiness: `client.status === 'ready'`, or await `waitForRedis(client)`.
 * - Sentinel: the failover detector is on; a READONLY reply (a demoted master) reconnects and
 *   resends that command, which Redis refused without running.
 * - Redis Cluster: the whole cluster is reconnected forever (same backoff), no offline queue.
 *   ioredis's own redirection handling stays on: MOVED/ASK are followed, and a command that
 *   meets CLUSTERDOWN or a closed node connection during a failover is retried every 100 ms up to
 *   16 times (bounded: about 1.6 s) before it rejects. Such a retry may run a script twice if the
 *   first attempt reached Redis before the connection dropped — the same at-least-once outcome as
 *   a publisher resending after an unacknowledged publish.
 * - Auto-pipelining (single server and Sentinel): commands issued in the same event-loop turn go
 *   out in one write. Off for Redis Cluster, where ioredis 6 groups scripts of different slots into
 *   one pipeline and rejects them.
 */
import type { ConnectionOptions } from 'node:tls';
import { FlockError } from '@flockmq/protocol';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisClient } from './scripts';

export interface RedisAddressPart {
  host: string;
  port: number;
}

interface Auth {
  username?: string;
  password?: string;
}

export type RedisTarget =
  | ({ kind: 'standalone'; tls: boolean; db: number } & RedisAddressPart & Auth)
  | ({
      kind: 'sentinel';
      tls: boolean;
      db: number;
      sentinels: RedisAddressPart[];
      name: string;
      sentinelPassword?: string;
    } & Auth)
  | ({ kind: 'cluster'; tls: boolean; nodes: RedisAddressPart[] } & Auth);

export interface RedisClientOptions {
  /** Cap of the reconnect backoff (default 2000 ms). */
  maxBackoffMs?: number;
  /** CLIENT SETNAME of the connections (e.g. the node id). */
  connectionName?: string;
  /** TLS options for rediss URLs (CA, client certificate…). */
  tls?: ConnectionOptions;
  /** Overrides for a single-server or Sentinel client. */
  redisOptions?: RedisOptions;
  /** Overrides for a Cluster client. */
  clusterOptions?: ClusterOptions;
}

const SCHEMES: Record<string, { kind: RedisTarget['kind']; tls: boolean; port: number }> = {
  redis: { kind: 'standalone', tls: false, port: 6379 },
  rediss: { kind: 'standalone', tls: true, port: 6379 },
  'redis-sentinel': { kind: 'sentinel', tls: false, port: 26379 },
  'rediss-sentinel': { kind: 'sentinel', tls: true, port: 26379 },
  'redis-cluster': { kind: 'cluster', tls: false, port: 6379 },
  'rediss-cluster': { kind: 'cluster', tls: true, port: 6379 },
};

const invalid = (url: string, why: string): FlockError =>
  new FlockError('FLOCK_ERR_CONFIG_INVALID', `invalid Redis URL ${redact(url)}: ${why}`);

/** The URL with its password replaced, for error messages and logs. */
export function redact(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** Parses a Redis URL (or a list of cluster seed URLs) without connecting. */
export function parseRedisUrl(url: string | readonly string[]): RedisTarget {
  if (typeof url !== 'string') {
    if (url.length === 0) throw new FlockError('FLOCK_ERR_CONFIG_INVALID', 'no Redis URL given');
    if (url.length === 1) return parseRedisUrl(url[0]!);
    const seeds = url.map((one) => parseRedisUrl(one));
    const first = seeds[0]!;
    for (const [i, seed] of seeds.entries()) {
      if (seed.kind !== 'standalone' || seed.db !== 0) {
        throw invalid(
          url[i]!,
          'a list of URLs names Redis Cluster seed nodes: use redis:// or rediss:// without a database',
        );
      }
      if (seed.tls !== first.tls) throw invalid(url[i]!, 'mixes redis:// and rediss://');
    }
    const auth = first as Auth;
    return withAuth(
      {
        kind: 'cluster',
        tls: first.tls,
        nodes: seeds.map((s) => ({ host: (s as RedisAddressPart).host, port: (s as RedisAddressPart).port })),
      },
      auth,
    );
  }

  const match = /^([a-z-]+):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  if (!match) throw invalid(url, 'expected scheme://[user:password@]host[:port][/…]');
  const [, scheme = '', userinfo, hostList = '', path = '', query] = match;
  const spec = SCHEMES[scheme];
  if (!spec) throw invalid(url, `unknown scheme ${scheme}: (use ${Object.keys(SCHEMES).join(', ')})`);
  const auth = parseUserinfo(url, userinfo);
  const hosts = hostList.split(',').map((part) => parseHost(url, part, spec.port));
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decode(url, s));
  const params = new URLSearchParams(query ?? '');
  const known = spec.kind === 'sentinel' ? ['sentinelPassword'] : [];
  for (const key of params.keys()) if (!known.includes(key)) throw invalid(url, `unknown parameter ${key}`);

  switch (spec.kind) {
    case 'standalone': {
      if (hosts.length !== 1)
        throw invalid(url, 'one host expected (use redis-cluster:// or redis-sentinel:// for several)');
      if (segments.length > 1) throw invalid(url, 'the path is the database number');
      return withAuth({ kind: 'standalone', tls: spec.tls, ...hosts[0]!, db: parseDb(url, segments[0]) }, auth);
    }
    case 'sentinel': {
      const name = segments[0];
      if (!name) throw invalid(url, 'the master name is missing (redis-sentinel://host:26379/mastername)');
      if (segments.length > 2) throw invalid(url, 'the path is /mastername[/db]');
      const target: RedisTarget = {
        kind: 'sentinel',
        tls: spec.tls,
        sentinels: hosts,
        name,
        db: parseDb(url, segments[1]),
      };
      const sentinelPassword = params.get('sentinelPassword');
      if (sentinelPassword !== null) target.sentinelPassword = sentinelPassword;
      return withAuth(target, auth);
    }
    case 'cluster': {
      if (segments.length > 0) throw invalid(url, 'a Redis Cluster has no database or path');
      return withAuth({ kind: 'cluster', tls: spec.tls, nodes: hosts }, auth);
    }
  }
}

function withAuth<T extends RedisTarget>(target: T, auth: Auth): T {
  if (auth.username !== undefined) target.username = auth.username;
  if (auth.password !== undefined) target.password = auth.password;
  return target;
}

function decode(url: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(url, `bad percent-encoding in ${JSON.stringify(part)}`);
  }
}

function parseUserinfo(url: string, userinfo: string | undefined): Auth {
  if (userinfo === undefined) return {};
  const colon = userinfo.indexOf(':');
  const auth: Auth = {};
  const user = decode(url, colon === -1 ? userinfo : userinfo.slice(0, colon));
  if (user.length > 0) auth.username = user;
  if (colon !== -1) auth.password = decode(url, userinfo.slice(colon + 1));
  return auth;
}

function parseHost(url: string, part: string, defaultPort: number): RedisAddressPart {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(part);
  if (!m) throw invalid(url, `bad host ${JSON.stringify(part)}`);
  const host = m[1] ?? m[2]!;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(url, `bad port in ${JSON.stringify(part)}`);
  return { host, port };
}

function parseDb(url: string, segment: string | undefined): number {
  if (segment === undefined) return 0;
  if (!/^\d+$/.test(segment)) throw invalid(url, `database ${JSON.stringify(segment)} is not a number`);
  return Number(segment);
}

/** Exponential backoff from 50 ms to the cap, with up to 10 % jitter; never gives up. */
export function backoff(maxBackoffMs: number): (times: number) => number {
  return (times) => {
    const delay = Math.min(50 * 2 ** Math.min(Math.max(times - 1, 0), 16), maxBackoffMs);
    return Math.round(delay + Math.random() * delay * 0.1);
  };
}

/** Creates a client for a URL (see the module comment for the forms and the policy). */
export function createRedisClient(url: string | readonly string[], options: RedisClientOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const retry = backoff(options.maxBackoffMs ?? 2000);
  const tls = target.tls ? { ...options.tls } : undefined;
  const common: RedisOptions = {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
    ...(options.connectionName !== undefined && { connectionName: options.connectionName }),
    ...(tls && { tls }),
  };

  switch (target.kind) {
    case 'standalone':
      return new Redis({
        ...common,
        host: target.host,
        port: target.port,
        db: target.db,
        retryStrategy: retry,
        enableOfflineQueue: false,
        ...(tls && { tls: { servername: target.host, ...tls } }),
        ...options.redisOptions,
      });
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        retryStrategy: retry,
        sentinelRetryStrategy: retry,
        enableOfflineQueue: false,
        failoverDetector: true,
        reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
        ...(target.sentinelPassword !== undefined && { sentinelPassword: target.sentinelPassword }),
        ...(tls && { enableTLSForSentinelMode: true, sentinelTLS: tls }),
        ...options.redisOptions,
      });
    case 'cluster':
      return new Cluster(target.nodes, {
        clusterRetryStrategy: retry,
        enableOfflineQueue: false,
        enableReadyCheck: true,
        // ioredis 6 auto-pipelining on a Cluster mixes scripts of different slots into one
        // pipeline and rejects them ("All keys in the pipeline should belong to the same slots").
        redisOptions: { ...common, enableAutoPipelining: false },
        ...options.clusterOptions,
      });
  }
}

/** Resolves once the client is ready for commands; rejects after the deadline. */
export function waitForRedis(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/**
 * Closes a client: QUIT (pending replies arrive first), then disconnect, which also stops the
 * Sentinel failover detector's connections (QUIT alone leaves them reconnecting).
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  try {
    if (client.status !== 'end') await client.quit();
  } catch {
    // Not connected: nothing to wait for.
  } finally {
    client.disconnect();
  }
}
