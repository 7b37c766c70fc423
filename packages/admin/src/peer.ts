/**
 * The node-to-node half of the admin API. The node answering a gRPC call asks every other node
 * with `PeerLink.ask(nodeId, method, args)`; the other node runs `answerPeer` with its NodeAdmin.
 * The asking node also runs `answerPeer` on itself, so a local and a remote answer are the same.
 *
 * Arguments come off the network: every one is checked, and only the methods below can be run.
 */
import type { ClientFilter, DrainOptions, NodeAdmin, SubscriptionFilter } from './node-admin';
import { compareKeys, type SortKey } from './pagination';
import { invalidArgument } from './errors';
import { isLogLevel, MAX_PAGE_SIZE } from './validate';
import { clientRecord, nodeStatusRecord, sessionRecord, sharedGroupRecord, subscriptionEntryRecord } from './records';

/** The methods `answerPeer` runs; `PeerLink.ask` must carry one of these names. */
export const PEER_METHODS = [
  'status',
  'clients',
  'session',
  'kick',
  'deleteSession',
  'subscriptions',
  'sharedGroups',
  'drain',
  'setLogLevel',
  'rebalance',
] as const;
export type PeerMethod = (typeof PEER_METHODS)[number];

/** Arguments of each peer method, as the asking node sends them. */
export interface PeerArgs {
  status: Record<string, never>;
  /** `after`: key [clientId, nodeId] of the last entry already returned; `limit`: most entries. */
  clients: { filter: ClientFilter; after?: [string, string]; limit: number };
  session: { clientId: string };
  kick: { clientId: string };
  deleteSession: { clientId: string };
  /** `after`: key [clientId, nodeId, filter]. */
  subscriptions: { filter: SubscriptionFilter; after?: [string, string, string]; limit: number };
  sharedGroups: Record<string, never>;
  drain: DrainOptions;
  setLogLevel: { level: string };
  /** Answered once the clients asked to move have gone (the asker waits longer for it). */
  rebalance: Record<string, never>;
}

/** Keys the lists are sorted and paginated by. */
export const clientKey = (c: { clientId: string; nodeId: string }): SortKey => [c.clientId, c.nodeId];
export const subscriptionKey = (s: { clientId: string; nodeId: string; filter: string }): SortKey => [
  s.clientId,
  s.nodeId,
  s.filter,
];

// Readers of untrusted arguments: each throws INVALID_ARGUMENT naming the field.

type Args = Record<string, unknown>;

function argsObject(method: string, args: unknown): Args {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw invalidArgument(`peer call '${method}': arguments must be an object`);
  }
  return args as Args;
}

function optionalString(args: Args, field: string): string | undefined {
  const value = args[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`peer call: '${field}' must be a string`);
  return value;
}

function requiredString(args: Args, field: string): string {
  const value = optionalString(args, field);
  if (value === undefined || value === '') throw invalidArgument(`peer call: '${field}' is required`);
  return value;
}

function optionalCount(args: Args, field: string, max: number): number | undefined {
  const value = args[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalidArgument(`peer call: '${field}' must be a whole number from 0 to ${max}`);
  }
  return value;
}

function optionalKey(args: Args, field: string, length: number): SortKey | undefined {
  const value = args[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length !== length || !value.every((part) => typeof part === 'string')) {
    throw invalidArgument(`peer call: '${field}' must be a list of ${length} strings`);
  }
  return value as string[];
}

function filterObject(args: Args): Args {
  const value = args['filter'] ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`peer call: 'filter' must be an object`);
  }
  return value as Args;
}

/** Entries after `after` in key order, at most `limit` of them. */
function window<T>(items: T[], keyOf: (item: T) => SortKey, after: SortKey | undefined, limit: number): T[] {
  return items
    .filter((item) => after === undefined || compareKeys(keyOf(item), after) > 0)
    .sort((x, y) => compareKeys(keyOf(x), keyOf(y)))
    .slice(0, limit);
}

// A list window holds at most a page and one more entry (to tell whether more follow).
const MAX_WINDOW = MAX_PAGE_SIZE + 1;

/**
 * Runs one admin method on this node for a peer (or for itself). Results are plain JSON: objects,
 * arrays, strings, numbers, booleans and null.
 */
export async function answerPeer(node: NodeAdmin, method: string, args: unknown): Promise<unknown> {
  const a = argsObject(method, args);
  switch (method as PeerMethod) {
    case 'status':
      return nodeStatusRecord(node.status());
    case 'clients': {
      const f = filterObject(a);
      const filter: ClientFilter = {};
      const clientIdPrefix = optionalString(f, 'clientIdPrefix');
      const username = optionalString(f, 'username');
      if (clientIdPrefix !== undefined) filter.clientIdPrefix = clientIdPrefix;
      if (username !== undefined) filter.username = username;
      const after = optionalKey(a, 'after', 2);
      const limit = optionalCount(a, 'limit', MAX_WINDOW) ?? MAX_WINDOW;
      return window(node.clients(filter), clientKey, after, limit).map(clientRecord);
    }
    case 'session': {
      const session = await node.session(requiredString(a, 'clientId'));
      return session === undefined ? null : sessionRecord(session);
    }
    case 'kick':
      return { kicked: node.kick(requiredString(a, 'clientId')) };
    case 'deleteSession':
      return { deleted: await node.deleteSession(requiredString(a, 'clientId')) };
    case 'subscriptions': {
      const f = filterObject(a);
      const filter: SubscriptionFilter = {};
      const clientIdPrefix = optionalString(f, 'clientIdPrefix');
      const topicFilter = optionalString(f, 'topicFilter');
      if (clientIdPrefix !== undefined) filter.clientIdPrefix = clientIdPrefix;
      if (topicFilter !== undefined) filter.topicFilter = topicFilter;
      const after = optionalKey(a, 'after', 3);
      const limit = optionalCount(a, 'limit', MAX_WINDOW) ?? MAX_WINDOW;
      const entries = await node.subscriptions(filter);
      return window(entries, subscriptionKey, after, limit).map(subscriptionEntryRecord);
    }
    case 'sharedGroups':
      return node.sharedGroups().map(sharedGroupRecord);
    case 'drain': {
      const options: DrainOptions = {};
      const ratePerSecond = optionalCount(a, 'ratePerSecond', 1_000_000);
      const serverReference = optionalString(a, 'serverReference');
      if (ratePerSecond !== undefined && ratePerSecond > 0) options.ratePerSecond = ratePerSecond;
      if (serverReference !== undefined && serverReference !== '') options.serverReference = serverReference;
      node.drain(options);
      return { draining: true };
    }
    case 'setLogLevel': {
      const level = requiredString(a, 'level');
      if (!isLogLevel(level)) throw invalidArgument(`peer call: unknown log level '${level}'`);
      node.setLogLevel(level);
      return { level };
    }
    case 'rebalance':
      return { moved: await node.rebalance() };
    default:
      throw invalidArgument(`peer call: unknown admin method '${method}'`);
  }
}
