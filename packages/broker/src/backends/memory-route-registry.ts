import { TopicTrie, parseSharedFilter } from '@flockmq/protocol';
import type { RouteRegistry } from './route-registry';

/** RouteRegistry of the embedded default (and the shape of every node's local replica). */
export class MemoryRouteRegistry implements RouteRegistry {
  /** Keyed by the filter that matches topics (the inner filter of a shared subscription). */
  private readonly trie = new TopicTrie<Map<string, Set<string>>>();

  async add(filter: string, nodeId: string): Promise<void> {
    const key = matchKey(filter);
    let byFilter = this.trie.get(key);
    if (!byFilter) {
      byFilter = new Map();
      this.trie.set(key, byFilter);
    }
    let nodes = byFilter.get(filter);
    if (!nodes) {
      nodes = new Set();
      byFilter.set(filter, nodes);
    }
    nodes.add(nodeId);
  }

  async remove(filter: string, nodeId: string): Promise<void> {
    const key = matchKey(filter);
    const byFilter = this.trie.get(key);
    const nodes = byFilter?.get(filter);
    if (!byFilter || !nodes) return;
    nodes.delete(nodeId);
    if (nodes.size === 0) byFilter.delete(filter);
    if (byFilter.size === 0) this.trie.delete(key);
  }

  async match(topic: string): Promise<string[]> {
    const out = new Set<string>();
    this.trie.match(topic, (byFilter) => {
      for (const nodes of byFilter.values()) for (const node of nodes) out.add(node);
    });
    return [...out];
  }

  async snapshot(): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    for (const [, byFilter] of this.trie.entries()) {
      for (const [filter, nodes] of byFilter) out.set(filter, new Set(nodes));
    }
    return out;
  }

  async purgeNode(nodeId: string): Promise<number> {
    let removed = 0;
    for (const [filter, nodes] of await this.snapshot()) {
      if (nodes.has(nodeId)) {
        await this.remove(filter, nodeId);
        removed++;
      }
    }
    return removed;
  }
}

function matchKey(filter: string): string {
  return parseSharedFilter(filter)?.filter ?? filter;
}
