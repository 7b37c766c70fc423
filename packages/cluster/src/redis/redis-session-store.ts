/**
 * SessionStore on Redis (single, Sentinel or Cluster). Each session's keys share the hash tag of
 * its client id, and every mutation is one Lua script on that slot (scripts.ts), so a session is
 * never half written. Owner writes are fenced by the epoch from claim() (G2).
 *
 * Two indexes live in other slots and are kept by the rules of IndexSet: the sessions index
 * (list) and one index per node of the client ids it claimed (ownedBy). Both may hold stale
 * members for a moment; the readers check each member against its session and prune.
 */
import type {
  AppendOutcome,
  Claim,
  Ownership,
  PendingMessage,
  SessionChanges,
  SessionState,
  SessionStore,
  StoredSubscription,
} from '@flockmq/broker';
import {
  decodePendingBody,
  decodeSubscriptionOptions,
  decodeWill,
  encodePendingBody,
  encodeSubscriptionOptions,
  encodeWill,
} from './codec';
import { IndexSet } from './index-set';
import { RedisKeys } from './keys';
import type { SessionKeys } from './keys';
import { RedisScripts } from './scripts';
import type { RedisClient } from './scripts';

export interface RedisStoreOptions {
  /** Key namespace, so several clusters (or test runs) can share one Redis. */
  namespace?: string;
}

type Arg = string | Buffer | number;

/** Fields of the session meta hash. */
const F = {
  protocolVersion: 'pv',
  username: 'u',
  expiryInterval: 'exp',
  disconnectedAt: 'dis',
  will: 'w',
  lastSeq: 'seq',
} as const;

const STATE_CODES = { queued: 'q', sent: 's', released: 'r' } as const;
const ORDER_WIDTH = 12;

/**
 * How long a released owner key keeps its epoch: far longer than any write of an old owner can
 * be delayed (every Redis call has a timeout of seconds), short enough that client ids used once
 * do not pile up.
 */
const RELEASED_OWNER_TTL_MS = 10 * 60 * 1000;

export class RedisSessionStore implements SessionStore {
  readonly keys: RedisKeys;
  private readonly scripts: RedisScripts;
  private readonly sessionIndex: IndexSet;

  constructor(
    private readonly client: RedisClient,
    options: RedisStoreOptions = {},
  ) {
    this.keys = new RedisKeys(options.namespace);
    this.scripts = new RedisScripts(client);
    this.sessionIndex = new IndexSet(client, this.scripts, this.keys.sessionIndex());
  }

  /** 1 touch of the node's index + 1 script + 1 touch (see IndexSet for why before and after). */
  async claim(clientId: string, nodeId: string): Promise<Claim> {
    const owned = this.ownedIndex(nodeId);
    await owned.touch(clientId);
    const reply = (await this.scripts.run('claim', [this.keys.session(clientId).owner], [nodeId])) as [
      number,
      string?,
      string?,
    ];
    await owned.touch(clientId);
    const [epoch, previousNode, previousEpoch] = reply;
    return {
      epoch: Number(epoch),
      nodeId,
      previous: previousNode === undefined ? undefined : { epoch: Number(previousEpoch), nodeId: previousNode },
    };
  }

  /** 1 HMGET. */
  async owner(clientId: string): Promise<Ownership | undefined> {
    const [nodeId, epoch] = await this.client.hmget(this.keys.session(clientId).owner, 'node', 'epoch');
    return nodeId == null || epoch == null ? undefined : { nodeId, epoch: Number(epoch) };
  }

  /** 1 script; when released, the node's index entry is pruned (ZSCORE + HGET + prune script). */
  async release(clientId: string, epoch: number): Promise<boolean> {
    const node = (await this.scripts.run(
      'release',
      [this.keys.session(clientId).owner],
      [String(epoch), String(RELEASED_OWNER_TTL_MS)],
    )) as string | null;
    if (node === null) return false;
    await this.ownedIndex(node).pruneMember(clientId, (id) => this.isOwnedBy(id, node));
    return true;
  }

  /** 1 script (consistent snapshot of the session's keys). */
  async load(clientId: string): Promise<SessionState | undefined> {
    const k = this.keys.session(clientId);
    const reply = (await this.scripts.runBuffer('load', [k.meta, k.subs, k.pending, k.inflight, k.inboundQoS2], [])) as
      [Buffer[], Buffer[], Buffer[], Buffer[], Buffer[]] | null;
    if (reply === null) return undefined;
    return decodeState(clientId, ...reply);
  }

  /** 1 touch of the sessions index + 1 script + 1 touch. */
  async save(state: SessionState, epoch: number): Promise<void> {
    const k = this.keys.session(state.clientId);
    const meta: Arg[] = [
      F.protocolVersion,
      String(state.protocolVersion),
      F.expiryInterval,
      String(state.expiryInterval),
      F.lastSeq,
      String(state.lastSeq),
    ];
    if (state.username !== undefined) meta.push(F.username, state.username);
    if (state.disconnectedAt !== undefined) meta.push(F.disconnectedAt, String(state.disconnectedAt));
    if (state.will !== undefined) meta.push(F.will, encodeWill(state.will));
    const args: Arg[] = [String(epoch), meta.length / 2, ...meta];
    args.push(state.subscriptions.length);
    for (const sub of state.subscriptions) args.push(sub.filter, encodeSubscriptionOptions(sub));
    args.push(state.pending.length);
    for (const p of state.pending) args.push(String(p.seq), STATE_CODES[p.state], encodePendingBody(p));
    args.push(state.inboundQoS2.length, ...state.inboundQoS2.map(String));

    await this.sessionIndex.touch(state.clientId);
    await this.scripts.run('save', sessionKeyList(k), args);
    await this.sessionIndex.touch(state.clientId);
  }

  /** 1 script. */
  async update(clientId: string, epoch: number, changes: SessionChanges): Promise<void> {
    const args: Arg[] = [String(epoch)];
    const list = (items: readonly Arg[] | undefined): void => {
      args.push(items?.length ?? 0, ...(items ?? []));
    };
    const subscribe = changes.subscribe ?? [];
    args.push(subscribe.length);
    for (const sub of subscribe) args.push(sub.filter, encodeSubscriptionOptions(sub));
    list(changes.unsubscribe);
    list(changes.completed?.map(String));
    list(changes.sent?.map(String));
    list(changes.released?.map(String));
    list(changes.inboundQoS2Add?.map(String));
    list(changes.inboundQoS2Remove?.map(String));
    args.push(...scalarChange(changes.expiryInterval, String));
    args.push(...scalarChange(changes.disconnectedAt, String));
    args.push(...scalarChange(changes.will, encodeWill));
    await this.scripts.run('update', sessionKeyList(this.keys.session(clientId)), args);
  }

  /** 1 script (not fenced: any node appends). */
  async append(
    clientId: string,
    message: PendingMessage,
    maxQueued: number,
    policy: 'drop-oldest' | 'drop-new',
  ): Promise<AppendOutcome> {
    const k = this.keys.session(clientId);
    const reply = (await this.scripts.run(
      'append',
      [k.meta, k.pending, k.queued],
      [encodePendingBody(message), maxQueued, policy === 'drop-new' ? 'n' : 'o'],
    )) as [string, number?];
    const [result, seq] = reply;
    switch (result) {
      case 'queued':
      case 'dropped-oldest':
        return { result, seq: Number(seq) };
      case 'dropped-new':
      case 'no-session':
        return { result };
      default:
        throw new Error(`append: unexpected reply ${String(result)}`);
    }
  }

  /** 1 script; when a session was deleted, its index entry is pruned (ZSCORE + EXISTS + prune script). */
  async delete(clientId: string, epoch?: number): Promise<boolean> {
    const k = this.keys.session(clientId);
    const existed = await this.scripts.run('delete', sessionKeyList(k), [epoch === undefined ? '' : String(epoch)]);
    if (existed !== 1) return false;
    await this.sessionIndex.pruneMember(clientId, (id) => this.exists(id));
    return true;
  }

  /** ZSCAN of the sessions index + 1 EXISTS per member; stale members are pruned. */
  async list(): Promise<string[]> {
    const kept = await this.sessionIndex.prune(await this.sessionIndex.entries(), (id) => this.exists(id));
    return kept.map((entry) => entry.member);
  }

  /** ZSCAN of the node's index + 1 HGET per member; members the node no longer owns are pruned. */
  async ownedBy(nodeId: string): Promise<string[]> {
    const index = this.ownedIndex(nodeId);
    const kept = await index.prune(await index.entries(), (id) => this.isOwnedBy(id, nodeId));
    return kept.map((entry) => entry.member);
  }

  private ownedIndex(nodeId: string): IndexSet {
    return new IndexSet(this.client, this.scripts, this.keys.ownedBy(nodeId));
  }

  private async exists(clientId: string): Promise<boolean> {
    return (await this.client.exists(this.keys.session(clientId).meta)) === 1;
  }

  private async isOwnedBy(clientId: string, nodeId: string): Promise<boolean> {
    return (await this.client.hget(this.keys.session(clientId).owner, 'node')) === nodeId;
  }
}

/** The key order every session script takes. */
function sessionKeyList(k: SessionKeys): string[] {
  return [k.owner, k.meta, k.subs, k.pending, k.queued, k.inflight, k.inboundQoS2];
}

/** (mode, value) of an optional change: k keeps, c clears (null), s sets. */
function scalarChange<T>(value: T | null | undefined, encode: (value: T) => Arg): [string, Arg] {
  if (value === undefined) return ['k', ''];
  if (value === null) return ['c', ''];
  return ['s', encode(value)];
}

function pairs(flat: Buffer[]): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function decodeState(
  clientId: string,
  metaFlat: Buffer[],
  subsFlat: Buffer[],
  pendingFlat: Buffer[],
  inflightFlat: Buffer[],
  inbound: Buffer[],
): SessionState {
  const meta = new Map(pairs(metaFlat).map(([k, v]) => [k.toString(), v]));
  const text = (field: string): string | undefined => meta.get(field)?.toString('utf8');
  const number = (field: string): number | undefined => {
    const value = text(field);
    return value === undefined ? undefined : Number(value);
  };

  const subscriptions = pairs(subsFlat)
    .map(([filter, value]) => ({
      order: Number(value.toString('latin1', 0, ORDER_WIDTH)),
      sub: {
        filter: filter.toString('utf8'),
        ...decodeSubscriptionOptions(value.subarray(ORDER_WIDTH)),
      } as StoredSubscription,
    }))
    .sort((a, b) => a.order - b.order)
    .map((entry) => entry.sub);

  const inflight = new Map(pairs(inflightFlat).map(([seq, state]) => [Number(seq.toString()), state.toString()]));
  const pending: PendingMessage[] = pairs(pendingFlat)
    .map(([seqBuf, body]) => {
      const seq = Number(seqBuf.toString());
      const code = inflight.get(seq);
      const state: PendingMessage['state'] = code === 's' ? 'sent' : code === 'r' ? 'released' : 'queued';
      return { ...decodePendingBody(body), seq, state };
    })
    .sort((a, b) => a.seq - b.seq);

  const will = meta.get(F.will);
  return {
    clientId,
    username: text(F.username),
    protocolVersion: (number(F.protocolVersion) ?? 5) as 3 | 4 | 5,
    expiryInterval: number(F.expiryInterval) ?? 0,
    subscriptions,
    pending,
    inboundQoS2: inbound.map((id) => Number(id.toString())).sort((a, b) => a - b),
    disconnectedAt: number(F.disconnectedAt),
    will: will === undefined ? undefined : decodeWill(will),
    lastSeq: number(F.lastSeq) ?? 0,
  };
}
