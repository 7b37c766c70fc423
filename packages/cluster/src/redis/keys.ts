/**
 * The only place Redis keys are built (STYLE: Redis keys and NATS subjects are built only in
 * keys.ts / subjects.ts). docs/redis-keys.md describes every key, its slot and its writers.
 *
 * Layout rules:
 * - Every key starts with the versioned prefix `flockmq:v1:` (then an optional namespace and `/`).
 *   A release that changes a key's format or meaning bumps the version, so two releases can run
 *   side by side during a rolling upgrade without reading each other's data.
 * - User input (client ids, topics, node ids) is escaped: `%`, `{`, `}` and `:` become `%XX`,
 *   everything else (spaces, any UTF-8) is kept; keys are binary safe. The empty string becomes a
 *   lone `%`, which no other input produces, so a hash tag is never the empty `{}`.
 * - Keys that one Lua script touches together share one hash tag, so the script stays in one slot
 *   on Redis Cluster: `{<escaped client id>}` for a session, `{<escaped first topic level>}` for a
 *   retained shard, `{nodes}` for node leases.
 */

export const KEY_VERSION = 'v1';
export const KEY_PREFIX = `flockmq:${KEY_VERSION}:`;

const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Escapes user input for use inside a key or a hash tag. */
export function escapeKeyPart(value: string): string {
  if (value.length === 0) return '%';
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // % { } :
    if (c === 0x25 || c === 0x7b || c === 0x7d || c === 0x3a) {
      out += value.slice(from, i) + '%' + c.toString(16).toUpperCase();
      from = i + 1;
    }
  }
  return from === 0 ? value : out + value.slice(from);
}

/** The inverse of escapeKeyPart. */
export function unescapeKeyPart(value: string): string {
  if (value === '%') return '';
  return value.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The keys of one session: all under the hash tag of its client id (one slot). */
export interface SessionKeys {
  /** Hash: epoch (never deleted, so epochs never repeat) and node (while owned). */
  owner: string;
  /** Hash: protocol version, username, expiry, disconnect time, will, lastSeq, subscription order. */
  meta: string;
  /** Hash: filter → order + encoded subscription options. */
  subs: string;
  /** Hash: seq → encoded pending message (without seq and state). */
  pending: string;
  /** Sorted set: seqs of queued (not yet sent) pending messages, score = seq. */
  queued: string;
  /** Hash: seq → 's' (sent) or 'r' (released) for pending messages in flight. */
  inflight: string;
  /** Set: inbound QoS 2 packet ids awaiting PUBREL. */
  inboundQoS2: string;
}

export class RedisKeys {
  /** `flockmq:v1:` or `flockmq:v1:<namespace>/`. */
  readonly prefix: string;

  /**
   * @param namespace optional: lets several FlockMQ clusters (or test runs) share one Redis.
   *   Letters, digits, `_`, `.` and `-` only.
   */
  constructor(namespace?: string) {
    if (namespace !== undefined && !NAMESPACE.test(namespace)) {
      throw new RangeError(`invalid Redis key namespace ${JSON.stringify(namespace)}: use [A-Za-z0-9_.-]{1,64}`);
    }
    this.prefix = namespace === undefined ? KEY_PREFIX : `${KEY_PREFIX}${namespace}/`;
  }

  /** Hash tag of a client id's session keys. */
  sessionTag(clientId: string): string {
    return `{${escapeKeyPart(clientId)}}`;
  }

  session(clientId: string): SessionKeys {
    const base = `${this.prefix}s:${this.sessionTag(clientId)}:`;
    return {
      owner: `${base}owner`,
      meta: `${base}meta`,
      subs: `${base}subs`,
      pending: `${base}pend`,
      queued: `${base}queued`,
      inflight: `${base}inflight`,
      inboundQoS2: `${base}in2`,
    };
  }

  /** Sorted set of client ids with a stored session (index for list()). */
  sessionIndex(): string {
    return `${this.prefix}idx:sessions`;
  }

  /** Sorted set of client ids claimed by a node (index for ownedBy()). */
  ownedBy(nodeId: string): string {
    return `${this.prefix}owned:{${escapeKeyPart(nodeId)}}`;
  }

  /** First topic level: the retained shard a topic belongs to. */
  static retainShardOf(topic: string): string {
    const slash = topic.indexOf('/');
    return slash === -1 ? topic : topic.slice(0, slash);
  }

  /** Hash of the retained messages whose topic starts with one first level: topic → message. */
  retainShard(firstLevel: string): string {
    return `${this.prefix}r:{${escapeKeyPart(firstLevel)}}`;
  }

  /** Sorted set of first levels that have (or recently had) retained messages. */
  retainIndex(): string {
    return `${this.prefix}idx:retain`;
  }

  /** Set of the filters one node has routes for. */
  routes(nodeId: string): string {
    return `${this.prefix}rt:{${escapeKeyPart(nodeId)}}`;
  }

  /** Sorted set of node ids that have (or recently had) routes. */
  routeIndex(): string {
    return `${this.prefix}idx:routes`;
  }

  /** String with a PX TTL: one node's lease (its NodeInfo). */
  nodeLease(nodeId: string): string {
    return `${this.prefix}n:{nodes}:lease:${escapeKeyPart(nodeId)}`;
  }

  /** Sorted set of node ids with a lease, score = lease expiry (ms, Redis clock). */
  nodeIndex(): string {
    return `${this.prefix}n:{nodes}:alive`;
  }

  /** String with a PX TTL: which node cleans up after a dead one. */
  nodeCleanup(deadNodeId: string): string {
    return `${this.prefix}n:{nodes}:cleanup:${escapeKeyPart(deadNodeId)}`;
  }
}
