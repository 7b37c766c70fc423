/**
 * NodeRegistry on Redis: one lease key per node with a PX TTL (Redis's clock decides expiry, so
 * nodes' clocks need not agree), an index of nodes, and clean-up locks taken with SET NX PX. All
 * of these share the hash tag `{nodes}`: the table is small, and one slot lets a heartbeat and
 * alive() work on the lease and the index together.
 */
import type { NodeInfo, NodeRegistry } from '@flockmq/broker';
import { RedisKeys } from './keys';
import type { RedisStoreOptions } from './redis-session-store';
import { RedisScripts } from './scripts';
import type { RedisClient } from './scripts';

export class RedisNodeRegistry implements NodeRegistry {
  readonly keys: RedisKeys;
  private readonly scripts: RedisScripts;

  constructor(
    private readonly client: RedisClient,
    options: RedisStoreOptions = {},
  ) {
    this.keys = new RedisKeys(options.namespace);
    this.scripts = new RedisScripts(client);
  }

  /** 1 script: SET lease PX + ZADD index. */
  async heartbeat(info: NodeInfo, leaseMs: number): Promise<void> {
    const value = JSON.stringify({ nodeId: info.nodeId, startedAt: info.startedAt, version: info.version });
    await this.scripts.run(
      'nodeHeartbeat',
      [this.keys.nodeLease(info.nodeId), this.keys.nodeIndex()],
      [info.nodeId, value, Math.max(1, Math.ceil(leaseMs))],
    );
  }

  /** 1 script: DEL lease + ZREM index. */
  async leave(nodeId: string): Promise<void> {
    await this.scripts.run('nodeLeave', [this.keys.nodeLease(nodeId), this.keys.nodeIndex()], [nodeId]);
  }

  /** ZRANGE of the index + 1 MGET of the leases (one slot); index entries without a lease are pruned. */
  async alive(): Promise<NodeInfo[]> {
    const ids = await this.client.zrange(this.keys.nodeIndex(), 0, '-1');
    if (ids.length === 0) return [];
    const leases = ids.map((id) => this.keys.nodeLease(id));
    const values = await this.client.mget(...leases);
    const out: NodeInfo[] = [];
    const gone: string[] = [];
    values.forEach((value, i) => {
      if (value === null) gone.push(ids[i]!);
      else out.push(parseInfo(value, ids[i]!));
    });
    if (gone.length > 0) {
      await this.scripts.run('nodePrune', [this.keys.nodeIndex(), ...gone.map((id) => this.keys.nodeLease(id))], gone);
    }
    return out;
  }

  /** 1 DEL. */
  async clearCleanup(nodeId: string): Promise<void> {
    await this.client.del(this.keys.nodeCleanup(nodeId));
  }

  /** 1 SET NX PX. */
  async claimCleanup(deadNodeId: string, byNodeId: string, ttlMs: number): Promise<boolean> {
    const reply = await this.client.set(
      this.keys.nodeCleanup(deadNodeId),
      byNodeId,
      'PX',
      String(Math.max(1, Math.ceil(ttlMs))),
      'NX',
    );
    return reply === 'OK';
  }
}

function parseInfo(value: string, nodeId: string): NodeInfo {
  try {
    const parsed = JSON.parse(value) as Partial<NodeInfo>;
    return {
      nodeId: typeof parsed.nodeId === 'string' ? parsed.nodeId : nodeId,
      startedAt: typeof parsed.startedAt === 'number' ? parsed.startedAt : 0,
      version: typeof parsed.version === 'string' ? parsed.version : '',
    };
  } catch {
    return { nodeId, startedAt: 0, version: '' };
  }
}
