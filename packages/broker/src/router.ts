import { TopicTrie, parseSharedFilter } from '@flockmq/protocol';
import type { QoS } from '@flockmq/protocol';
import type { Message } from './message';
import type { SubscriptionOptions } from './backends/session-store';
import { SharedGroup } from './shared-group';

interface FilterEntry {
  /** Non-shared subscribers of this filter, by client id. */
  direct: Map<string, SubscriptionOptions>;
  /** Shared groups on this filter, by group name. */
  groups: Map<string, SharedGroup>;
}

/** What one client gets from one publish, all its matching subscriptions together [MQTT-3.3.4-2]. */
export interface DirectDelivery {
  qos: QoS;
  retainAsPublished: boolean;
  subscriptionIds: number[] | undefined;
}

/**
 * This node's subscriber table: filter → local subscribers and shared groups, in a trie keyed by
 * the filter topics are matched against. Persistent sessions stay here while offline, so messages
 * for them can be queued.
 */
export class Router {
  private readonly trie = new TopicTrie<FilterEntry>();
  private readonly groups = new Map<string, SharedGroup>();
  private subscriptionCount = 0;

  get filters(): number {
    return this.trie.size;
  }

  get subscriptions(): number {
    return this.subscriptionCount;
  }

  /**
   * Adds or replaces a subscription [MQTT-3.8.4-3]. Returns whether it is new for this client,
   * and whether its filter had no local subscriber before (the moment to add a cluster route).
   */
  subscribe(
    clientId: string,
    filter: string,
    options: SubscriptionOptions,
  ): { isNew: boolean; firstForFilter: boolean } {
    const shared = parseSharedFilter(filter);
    const key = shared ? shared.filter : filter;
    let entry = this.trie.get(key);
    let firstForFilter = false;
    if (!entry) {
      entry = { direct: new Map(), groups: new Map() };
      this.trie.set(key, entry);
    }
    let isNew: boolean;
    if (shared) {
      let group = entry.groups.get(shared.group);
      if (!group) {
        group = new SharedGroup(shared.group, shared.filter);
        entry.groups.set(shared.group, group);
        this.groups.set(group.key, group);
        firstForFilter = true;
      }
      isNew = group.setMember(clientId, options);
    } else {
      firstForFilter = entry.direct.size === 0;
      isNew = !entry.direct.has(clientId);
      entry.direct.set(clientId, options);
    }
    if (isNew) this.subscriptionCount++;
    return { isNew, firstForFilter: firstForFilter && isNew };
  }

  /** Removes a subscription. Returns whether it existed, and whether the filter has no local subscriber left. */
  unsubscribe(clientId: string, filter: string): { existed: boolean; lastForFilter: boolean } {
    const shared = parseSharedFilter(filter);
    const key = shared ? shared.filter : filter;
    const entry = this.trie.get(key);
    if (!entry) return { existed: false, lastForFilter: false };
    let existed: boolean;
    let lastForFilter = false;
    if (shared) {
      const group = entry.groups.get(shared.group);
      existed = group?.removeMember(clientId) ?? false;
      if (group && group.members.size === 0) {
        // Messages still waiting for this group have no member left to take them.
        entry.groups.delete(shared.group);
        this.groups.delete(group.key);
        lastForFilter = true;
      }
    } else {
      existed = entry.direct.delete(clientId);
      lastForFilter = existed && entry.direct.size === 0;
    }
    if (existed) this.subscriptionCount--;
    if (entry.direct.size === 0 && entry.groups.size === 0) this.trie.delete(key);
    return { existed, lastForFilter: existed && lastForFilter };
  }

  group(key: string): SharedGroup | undefined {
    return this.groups.get(key);
  }

  /** Shared groups with members here, by `{group}/{filter}`. */
  get sharedGroups(): ReadonlyMap<string, SharedGroup> {
    return this.groups;
  }

  /** Every filter with a local subscriber, as subscribed (`$share/…` with its member count). */
  routes(): { filter: string; members: number | undefined }[] {
    const out: { filter: string; members: number | undefined }[] = [];
    for (const [filter, entry] of this.trie.entries()) {
      if (entry.direct.size > 0) out.push({ filter, members: undefined });
      for (const group of entry.groups.values())
        out.push({ filter: `$share/${group.key}`, members: group.members.size });
    }
    return out;
  }

  /**
   * Finds everyone a message goes to: each non-shared subscriber once, with the highest QoS and
   * every subscription identifier of its matching subscriptions, and each matching shared group.
   */
  match(
    message: Message,
    onDirect: (clientId: string, delivery: DirectDelivery) => void,
    onGroup: (group: SharedGroup) => void,
  ): void {
    let single: { clientId: string; delivery: DirectDelivery } | undefined;
    let many: Map<string, DirectDelivery> | undefined;
    this.trie.match(message.topic, (entry) => {
      for (const [clientId, options] of entry.direct) {
        if (options.noLocal && clientId === message.origin) continue; // [MQTT-3.8.3-3]
        const delivery: DirectDelivery = {
          qos: options.qos,
          retainAsPublished: options.retainAsPublished,
          subscriptionIds: options.subscriptionId === undefined ? undefined : [options.subscriptionId],
        };
        if (!single && !many) {
          single = { clientId, delivery };
          continue;
        }
        if (!many) {
          many = new Map();
          many.set(single!.clientId, single!.delivery);
        }
        const seen = many.get(clientId);
        if (seen) merge(seen, delivery);
        else many.set(clientId, delivery);
      }
      for (const group of entry.groups.values()) onGroup(group);
    });
    if (many) for (const [clientId, delivery] of many) onDirect(clientId, delivery);
    else if (single) onDirect(single.clientId, single.delivery);
  }
}

function merge(into: DirectDelivery, other: DirectDelivery): void {
  if (other.qos > into.qos) into.qos = other.qos;
  into.retainAsPublished ||= other.retainAsPublished;
  if (other.subscriptionIds) into.subscriptionIds = [...(into.subscriptionIds ?? []), ...other.subscriptionIds];
}
