/**
 * RetainStore on Redis. Retained messages are sharded by their first topic level: one hash per
 * first level (`r:{<level>}`, topic → encoded message), so put and delete are single-key writes
 * and a filter with a literal first level (`sensors/+/temp`, the common case) reads one shard.
 * A filter starting with a wildcard (`#`, `+/…`) reads every shard listed in the retain index.
 *
 * Trade-off: every topic under one first level lives in one slot, so a huge first level is one
 * big hash on one Redis Cluster master, and a wildcard match below it scans that hash (HSCAN with
 * a glob on the literal prefix, then exact matching here). Retained matching runs on SUBSCRIBE,
 * not per publish, so this favours cheap, atomic puts over cheap wildcard reads.
 */
import type { Message, RetainStore } from '@flockmq/broker';
import { isWildcardFilter, topicMatches } from '@flockmq/protocol';
import { decodeMessage, encodeMessage } from './codec';
import { IndexSet } from './index-set';
import { RedisKeys } from './keys';
import type { RedisStoreOptions } from './redis-session-store';
import { RedisScripts } from './scripts';
import type { RedisClient } from './scripts';

const SCAN_COUNT = 500;
/** Shards known to be in the index in this process (to skip the touch before a put). */
const KNOWN_SHARDS_LIMIT = 10_000;

export class RedisRetainStore implements RetainStore {
  readonly keys: RedisKeys;
  private readonly scripts: RedisScripts;
  private readonly index: IndexSet;
  private readonly knownShards = new Set<string>();

  constructor(
    private readonly client: RedisClient,
    options: RedisStoreOptions = {},
  ) {
    this.keys = new RedisKeys(options.namespace);
    this.scripts = new RedisScripts(client);
    this.index = new IndexSet(client, this.scripts, this.keys.retainIndex());
  }

  /**
   * 1 script (HSET on the shard). When the shard is new to this process, the index is touched
   * before; when the script created the shard, it is touched after (IndexSet rules).
   */
  async put(message: Message): Promise<void> {
    if (message.payload.length === 0) {
      await this.delete(message.topic); // [MQTT-3.3.1-6]
      return;
    }
    const shard = RedisKeys.retainShardOf(message.topic);
    if (!this.knownShards.has(shard)) {
      await this.index.touch(shard);
      if (this.knownShards.size >= KNOWN_SHARDS_LIMIT) this.knownShards.clear();
      this.knownShards.add(shard);
    }
    const created = await this.scripts.run(
      'containerAdd',
      [this.keys.retainShard(shard)],
      [message.topic, encodeMessage(message)],
    );
    if (created === 1) await this.index.touch(shard);
  }

  /** 1 HGET. */
  async get(topic: string): Promise<Message | undefined> {
    const value = await this.client.hgetBuffer(this.keys.retainShard(RedisKeys.retainShardOf(topic)), topic);
    return value === null ? undefined : decodeMessage(value);
  }

  /**
   * Without wildcards: 1 HGET. With a literal first level: HSCAN of that shard. With a wildcard
   * first level: ZSCAN of the index + HSCAN of every shard ('$' shards skipped [MQTT-4.7.2-1]).
   */
  async match(filter: string): Promise<Message[]> {
    if (!isWildcardFilter(filter)) {
      const message = await this.get(filter);
      return message ? [message] : [];
    }
    const first = RedisKeys.retainShardOf(filter);
    const shards =
      first === '+' || first === '#'
        ? (await this.index.members()).filter((shard) => !shard.startsWith('$')) // [MQTT-4.7.2-1]
        : [first];
    const glob = globFor(filter);
    const found = new Map<string, Message>();
    await Promise.all(
      shards.map(async (shard) => {
        for (const [topic, value] of await this.scanShard(this.keys.retainShard(shard), glob)) {
          if (topicMatches(filter, topic)) found.set(topic, decodeMessage(value));
        }
      }),
    );
    return [...found.values()];
  }

  /** 1 script (HDEL + HLEN); when the shard is left empty, its index entry is pruned. */
  async delete(topic: string): Promise<boolean> {
    const shard = RedisKeys.retainShardOf(topic);
    const key = this.keys.retainShard(shard);
    const [removed, left] = (await this.scripts.run('hashRemove', [key], [topic])) as [number, number];
    if (left === 0) {
      this.knownShards.delete(shard);
      await this.index.pruneMember(shard, async () => (await this.client.exists(key)) === 1);
    }
    return removed === 1;
  }

  /** ZSCAN of the index + 1 HLEN per shard. */
  async size(): Promise<number> {
    const shards = await this.index.members();
    const sizes = await Promise.all(shards.map((shard) => this.client.hlen(this.keys.retainShard(shard))));
    return sizes.reduce((sum, n) => sum + n, 0);
  }

  /** HSCAN of one shard, deduplicated (HSCAN may return an entry twice while the hash is resized). */
  private async scanShard(key: string, glob: string | undefined): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    let cursor = '0';
    do {
      const reply = glob
        ? await this.client.hscanBuffer(key, cursor, 'MATCH', glob, 'COUNT', SCAN_COUNT)
        : await this.client.hscanBuffer(key, cursor, 'COUNT', SCAN_COUNT);
      cursor = reply[0].toString();
      const flat = reply[1];
      for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!.toString('utf8'), flat[i + 1]!);
    } while (cursor !== '0');
    return out;
  }
}

/**
 * A glob that every topic matching the filter also matches: the literal levels before the first
 * wildcard, then `*` (a superset; exact matching follows). Undefined when there is no prefix.
 * `a/#` gives `a*`, since `a/#` also matches `a` itself [MQTT-4.7.1-2].
 */
export function globFor(filter: string): string | undefined {
  const levels = filter.split('/');
  const literal: string[] = [];
  for (const level of levels) {
    if (level === '+' || level === '#') break;
    literal.push(level);
  }
  const prefix = literal.join('/');
  if (prefix.length === 0) return undefined;
  return prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
}
