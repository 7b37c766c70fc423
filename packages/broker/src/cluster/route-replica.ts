import { TopicTrie, parseSharedFilter } from '@flockmq/protocol';
import type { RouteDelta } from '../backends/cluster-bus';

/**
 * This node's copy of the other nodes' routes, so routing a publish never waits on Redis
 * (DESIGN: per-publish routing uses the local replica). Ordinary filters map to the nodes that
 * have subscribers; shared filters map to groups, each with its member count per node.
 */
export class RouteReplica {
  private readonly direct = new TopicTrie<Set<string>>();
  /** Inner filter → shared group keys (`{group}/{filter}`) on it. */
  private readonly sharedFilters = new TopicTrie<Set<string>>();
  /** Shared group key → members per node. */
  private readonly groups = new Map<string, Map<string, number>>();
  /** Node → its filters as subscribed, to drop a node at once. */
  private readonly byNode = new Map<string, Set<string>>();

  /** Routes held, counting each (filter, node) once. */
  get size(): number {
    let n = 0;
    for (const filters of this.byNode.values()) n += filters.size;
    return n;
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  apply(delta: RouteDelta): void {
    if (delta.op === 'purge') {
      this.purge(delta.nodeId);
      return;
    }
    if (delta.op === 'add') this.add(delta.filter, delta.nodeId, delta.members);
    else this.remove(delta.filter, delta.nodeId);
  }

  add(filter: string, nodeId: string, members = 1): void {
    const shared = parseSharedFilter(filter);
    let filters = this.byNode.get(nodeId);
    if (!filters) this.byNode.set(nodeId, (filters = new Set()));
    filters.add(filter);
    if (shared) {
      const key = `${shared.group}/${shared.filter}`;
      let keys = this.sharedFilters.get(shared.filter);
      if (!keys) this.sharedFilters.set(shared.filter, (keys = new Set()));
      keys.add(key);
      let perNode = this.groups.get(key);
      if (!perNode) this.groups.set(key, (perNode = new Map()));
      perNode.set(nodeId, Math.max(1, members));
      return;
    }
    let nodes = this.direct.get(filter);
    if (!nodes) this.direct.set(filter, (nodes = new Set()));
    nodes.add(nodeId);
  }

  remove(filter: string, nodeId: string): void {
    const filters = this.byNode.get(nodeId);
    filters?.delete(filter);
    if (filters && filters.size === 0) this.byNode.delete(nodeId);
    const shared = parseSharedFilter(filter);
    if (shared) {
      const key = `${shared.group}/${shared.filter}`;
      const perNode = this.groups.get(key);
      perNode?.delete(nodeId);
      if (perNode && perNode.size === 0) {
        this.groups.delete(key);
        const keys = this.sharedFilters.get(shared.filter);
        keys?.delete(key);
        if (keys && keys.size === 0) this.sharedFilters.delete(shared.filter);
      }
      return;
    }
    const nodes = this.direct.get(filter);
    nodes?.delete(nodeId);
    if (nodes && nodes.size === 0) this.direct.delete(filter);
  }

  /** Drops every route of a node. */
  purge(nodeId: string): void {
    for (const filter of [...(this.byNode.get(nodeId) ?? [])]) this.remove(filter, nodeId);
    this.byNode.delete(nodeId);
  }

  /** Replaces everything a node has with a full list (join and reconciliation). */
  replaceNode(nodeId: string, deltas: RouteDelta[]): void {
    this.purge(nodeId);
    for (const delta of deltas) if (delta.op === 'add') this.add(delta.filter, nodeId, delta.members);
  }

  /** Each node with an ordinary subscription matching the topic, once (G4: once per node). */
  matchNodes(topic: string, onNode: (nodeId: string) => void): void {
    let seen: Set<string> | undefined;
    let first: string | undefined;
    this.direct.match(topic, (nodes) => {
      for (const node of nodes) {
        if (node === first || seen?.has(node)) continue;
        if (first === undefined) first = node;
        else (seen ??= new Set()).add(node);
        onNode(node);
      }
    });
  }

  /** Shared group keys with members elsewhere whose filter matches the topic. */
  matchGroups(topic: string, onGroup: (key: string) => void): void {
    this.sharedFilters.match(topic, (keys) => {
      for (const key of keys) onGroup(key);
    });
  }

  /** Members per node of a shared group (other nodes only). */
  groupMembers(key: string): ReadonlyMap<string, number> | undefined {
    return this.groups.get(key);
  }
}
