/**
 * The Lua scripts of the Redis backends: one script per logical mutation (STYLE habit 5), each
 * touching keys of one hash tag only, so it runs in one slot on Redis Cluster. Loaded with
 * ioredis `defineCommand` (EVALSHA, falling back to EVAL after a restart or failover).
 *
 * Error replies start with a stable prefix that `mapScriptError` turns into a FlockError code.
 */
import { FlockError } from '@flockmq/protocol';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/** Error reply prefixes of the scripts → FlockError codes. */
const ERROR_PREFIXES = [
  ['FLOCK_FENCED', 'FLOCK_ERR_FENCED'],
  ['FLOCK_NOT_FOUND', 'FLOCK_ERR_SESSION_NOT_FOUND'],
] as const;

/** Turns a script's error reply into a FlockError with a stable code; other errors pass through. */
export function mapScriptError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : '';
  for (const [prefix, code] of ERROR_PREFIXES) {
    if (message.startsWith(prefix)) return new FlockError(code, message.slice(prefix.length + 1), { cause: error });
  }
  return error;
}

/** Fencing check shared by the owner's writes: KEYS[1] is the owner hash, ARGV[1] the epoch. */
const FENCE = `
local function fence()
  local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch')
  if not cur[1] or cur[2] ~= ARGV[1] then
    return redis.error_reply('FLOCK_FENCED epoch ' .. ARGV[1] .. ' no longer owns the session (current ' ..
      (cur[1] and tostring(cur[2]) or 'none') .. ')')
  end
  return nil
end
`;

export const LUA = {
  /** KEYS: owner. ARGV: nodeId. → {epoch, [previous node, previous epoch]} */
  claim: `
local prev = redis.call('HMGET', KEYS[1], 'node', 'epoch')
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'node', ARGV[1])
redis.call('PERSIST', KEYS[1])
if prev[1] then return {epoch, prev[1], prev[2]} end
return {epoch}
`,

  /**
   * KEYS: owner. ARGV: epoch, ttl ms. → the node that gave up ownership, or nil. The epoch stays
   * (a late write by the old owner is still fenced) until the key expires after ttl, so client
   * ids used once (assigned ids) do not accumulate in Redis.
   */
  release: `
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch')
if cur[1] and cur[2] == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'node')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return cur[1]
end
return false
`,

  /**
   * KEYS: owner, meta, subs, pending, queued, inflight, in2.
   * ARGV: epoch, n, (meta field, value)*n, n, (filter, options)*n, n, (seq, state q|s|r, body)*n, n, id*n
   */
  save: `${FENCE}
local err = fence()
if err then return err end
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
local i = 2
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HSET', KEYS[3], ARGV[i], string.format('%012d', k) .. ARGV[i + 1]); i = i + 2 end
redis.call('HSET', KEYS[2], 'so', n)
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local seq, state = ARGV[i], ARGV[i + 1]
  redis.call('HSET', KEYS[4], seq, ARGV[i + 2])
  if state == 'q' then redis.call('ZADD', KEYS[5], seq, seq) else redis.call('HSET', KEYS[6], seq, state) end
  i = i + 3
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('SADD', KEYS[7], ARGV[i]); i = i + 1 end
return 1
`,

  /**
   * KEYS: owner, meta, subs, pending, queued, inflight, in2.
   * ARGV: epoch, then the lists subscribe (filter, options), unsubscribe, completed, sent, released,
   * inboundQoS2Add, inboundQoS2Remove (each a count then items), then (mode k|c|s, value) for
   * expiryInterval, disconnectedAt and will. Applied in the order of MemorySessionStore.applyChanges.
   */
  update: `${FENCE}
local err = fence()
if err then return err end
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FLOCK_NOT_FOUND session does not exist') end
local i = 2
local function count() local n = tonumber(ARGV[i]); i = i + 1; return n end
for _ = 1, count() do
  local filter, options = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[3], filter)
  local order
  if old then order = string.sub(old, 1, 12) else order = string.format('%012d', redis.call('HINCRBY', KEYS[2], 'so', 1)) end
  redis.call('HSET', KEYS[3], filter, order .. options)
  i = i + 2
end
for _ = 1, count() do redis.call('HDEL', KEYS[3], ARGV[i]); i = i + 1 end
for _ = 1, count() do
  local seq = ARGV[i]
  redis.call('HDEL', KEYS[4], seq); redis.call('ZREM', KEYS[5], seq); redis.call('HDEL', KEYS[6], seq)
  i = i + 1
end
for _ = 1, count() do
  if redis.call('ZREM', KEYS[5], ARGV[i]) == 1 then redis.call('HSET', KEYS[6], ARGV[i], 's') end
  i = i + 1
end
for _ = 1, count() do
  if redis.call('HEXISTS', KEYS[4], ARGV[i]) == 1 then
    redis.call('ZREM', KEYS[5], ARGV[i]); redis.call('HSET', KEYS[6], ARGV[i], 'r')
  end
  i = i + 1
end
for _ = 1, count() do redis.call('SADD', KEYS[7], ARGV[i]); i = i + 1 end
for _ = 1, count() do redis.call('SREM', KEYS[7], ARGV[i]); i = i + 1 end
for _, field in ipairs({'exp', 'dis', 'w'}) do
  local mode, value = ARGV[i], ARGV[i + 1]
  if mode == 's' then redis.call('HSET', KEYS[2], field, value) elseif mode == 'c' then redis.call('HDEL', KEYS[2], field) end
  i = i + 2
end
return 1
`,

  /**
   * KEYS: meta, pending, queued. ARGV: body, maxQueued, policy (o: drop-oldest, n: drop-new).
   * Not fenced: any node may append. → {result, [seq]}
   */
  append: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'no-session'} end
local dropped = false
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then
  if ARGV[3] == 'n' then return {'dropped-new'} end
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)
  if #oldest == 0 then return {'dropped-new'} end
  redis.call('ZREM', KEYS[3], oldest[1])
  redis.call('HDEL', KEYS[2], oldest[1])
  dropped = true
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[3], seq, seq)
if dropped then return {'dropped-oldest', seq} end
return {'queued', seq}
`,

  /** KEYS: owner, meta, subs, pending, queued, inflight, in2. ARGV: epoch or ''. → 1 if a session existed */
  delete: `
if ARGV[1] ~= '' then
  local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch')
  if not cur[1] or cur[2] ~= ARGV[1] then return 0 end
end
local existed = redis.call('EXISTS', KEYS[2])
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return existed
`,

  /** KEYS: meta, subs, pending, inflight, in2. → nil, or {meta, subs, pending, inflight, in2} (flat) */
  load: `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]),
  redis.call('HGETALL', KEYS[4]), redis.call('SMEMBERS', KEYS[5])}
`,

  /**
   * KEYS: an index (sorted set). ARGV: member. Adds the member with a score that is strictly
   * greater than its previous one (microseconds of the Redis clock), so a conditional prune can
   * tell that it was touched since it was read.
   */
  indexTouch: `
local t = redis.call('TIME')
local score = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if cur and tonumber(cur) >= score then score = tonumber(cur) + 1 end
redis.call('ZADD', KEYS[1], score, ARGV[1])
return 1
`,

  /** KEYS: an index. ARGV: (member, score)*: removes each member whose score is still that one. */
  indexPrune: `
local removed = 0
for i = 1, #ARGV, 2 do
  local cur = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if cur and tonumber(cur) == tonumber(ARGV[i + 1]) then
    redis.call('ZREM', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
`,

  /** KEYS: a hash or set. ARGV: field/member, [value]. → 1 when the key was created by this write */
  containerAdd: `
local created = redis.call('EXISTS', KEYS[1]) == 0
if ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) else redis.call('SADD', KEYS[1], ARGV[1]) end
if created then return 1 end
return 0
`,

  /** KEYS: a hash. ARGV: field. → {removed, fields left} */
  hashRemove: `
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
return {removed, redis.call('HLEN', KEYS[1])}
`,

  /** KEYS: a set. ARGV: member. → {removed, members left} */
  setRemove: `
local removed = redis.call('SREM', KEYS[1], ARGV[1])
return {removed, redis.call('SCARD', KEYS[1])}
`,

  /** KEYS: a set. → how many members it had; the set is gone. */
  setPurge: `
local n = redis.call('SCARD', KEYS[1])
redis.call('UNLINK', KEYS[1])
return n
`,

  /** KEYS: lease, node index. ARGV: nodeId, info, leaseMs. Lease with PX TTL; index score = its expiry. */
  nodeHeartbeat: `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
`,

  /** KEYS: lease, node index. ARGV: nodeId. */
  nodeLeave: `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`,

  /** KEYS: node index, lease*. ARGV: nodeId* (aligned with the leases): drops entries whose lease is gone. */
  nodePrune: `
local removed = 0
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`,
} as const;

export type ScriptName = keyof typeof LUA;
type Arg = string | Buffer | number;
type ScriptFn = (numberOfKeys: number, ...args: Arg[]) => Promise<unknown>;

const COMMAND_PREFIX = 'flockmqV1';

/**
 * The scripts defined on one client. Defining is idempotent: several stores may share a client.
 */
export class RedisScripts {
  constructor(private readonly client: RedisClient) {
    const target = client as unknown as Record<string, unknown>;
    for (const [name, lua] of Object.entries(LUA)) {
      const command = COMMAND_PREFIX + name;
      if (typeof target[command] !== 'function') client.defineCommand(command, { lua });
    }
  }

  /** Runs a script; replies as strings and numbers. */
  run(name: ScriptName, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.call(COMMAND_PREFIX + name, keys, args);
  }

  /** Runs a script; bulk replies as Buffers (for binary values). */
  runBuffer(name: ScriptName, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.call(`${COMMAND_PREFIX}${name}Buffer`, keys, args);
  }

  private async call(command: string, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, ScriptFn>)[command];
    if (!fn) throw new Error(`script ${command} is not defined`);
    try {
      return await fn.call(this.client, keys.length, ...keys, ...args);
    } catch (error) {
      throw mapScriptError(error);
    }
  }
}
