/**
 * RouteRegistry on Redis, laid out by node: one set per node of the filters it has routes for
 * (`rt:{<node>}`), plus an index of nodes with routes. Each node writes only its own set, so
 * add/remove are single-key and purgeNode is one atomic script (SCARD + UNLINK) however many
 * routes the node had. snapshot() reads every node's set; match() loads the table into a local
 * TopicTrie: the per-publish path uses a node-local replica kept by deltas, not this.
 */
import type { RouteRegistry } from '@flockmq/broker';
import { TopicTrie, parseSharedFilter } from '@flockmq/protocol';
import { IndexSet } from './index-set';
import { RedisKeys } from './keys';
import type { RedisStoreOptions } from './redis-session-store';
import { RedisScripts } from './scripts';
import type { RedisClient } from './scripts';

const SCAN_COUNT = 1000;

export class RedisRouteRegistry implements RouteRegistry {
  readonly keys: RedisKeys;
  private readonly scripts: RedisScripts;
  private readonly index: IndexSet;
  /** Nodes this process has touched in the index (to skip the touch before an add). */
  private readonly knownNodes = new Set<string>();

  constructor(
    private readonly client: RedisClient,
    options: RedisStoreOptions = {},
  ) {
    this.keys = new RedisKeys(options.namespace);
    this.scripts = new RedisScripts(client);
    this.index = new IndexSet(client, this.scripts, this.keys.routeIndex());
  }

  /** 1 script (SADD); the index is touched before when the node is new to this process, after when the set was created. */
  async add(filter: string, nodeId: string): Promise<void> {
    if (!this.knownNodes.has(nodeId)) {
      await this.index.touch(nodeId);
      this.knownNodes.add(nodeId);
    }
    const created = await this.scripts.run('containerAdd', [this.keys.routes(nodeId)], [filter]);
    if (created === 1) await this.index.touch(nodeId);
  }

  /** 1 script (SREM + SCARD); the node's index entry is pruned when its set is left empty. */
  async remove(filter: string, nodeId: string): Promise<void> {
    const [, left] = (await this.scripts.run('setRemove', [this.keys.routes(nodeId)], [filter])) as [number, number];
    if (left === 0) await this.pruneNode(nodeId);
  }

  /** snapshot() + a local trie. */
  async match(topic: string): Promise<string[]> {
    const trie = new TopicTrie<Set<string>>();
    for (const [filter, nodes] of await this.snapshot()) {
      const key = parseSharedFilter(filter)?.filter ?? filter;
      const existing = trie.get(key);
      if (existing) for (const node of nodes) existing.add(node);
      else trie.set(key, new Set(nodes));
    }
    const out = new Set<string>();
    trie.match(topic, (nodes) => {
      for (const node of nodes) out.add(node);
    });
    return [...out];
  }

  /** ZSCAN of the index + SSCAN of every node's set. */
  async snapshot(): Promise<Map<string, Set<string>>> {
    const nodes = await this.index.members();
    const perNode = await Promise.all(nodes.map((node) => this.scanRoutes(node)));
    const out = new Map<string, Set<string>>();
    nodes.forEach((node, i) => {
      for (const filter of perNode[i]!) {
        let set = out.get(filter);
        if (!set) out.set(filter, (set = new Set()));
        set.add(node);
      }
    });
    return out;
  }

  /** 1 script (SCARD + UNLINK), then the index entry is pruned. */
  async purgeNode(nodeId: string): Promise<number> {
    const removed = (await this.scripts.run('setPurge', [this.keys.routes(nodeId)], [])) as number;
    await this.pruneNode(nodeId);
    return removed;
  }

  /** The filters of one node (SSCAN, so a node with many routes does not block Redis). */
  async routesOf(nodeId: string): Promise<Set<string>> {
    return this.scanRoutes(nodeId);
  }

  private async pruneNode(nodeId: string): Promise<void> {
    this.knownNodes.delete(nodeId);
    const key = this.keys.routes(nodeId);
    await this.index.pruneMember(nodeId, async () => (await this.client.exists(key)) === 1);
  }

  private async scanRoutes(nodeId: string): Promise<Set<string>> {
    const key = this.keys.routes(nodeId);
    const out = new Set<string>();
    let cursor = '0';
    do {
      const [next, members] = await this.client.sscan(key, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const member of members) out.add(member);
    } while (cursor !== '0');
    return out;
  }
}
