/**
 * Every NATS subject FlockMQ uses, built here and nowhere else. Versioned (`flockmq.v1.`) so a
 * release with a different subject layout can run beside this one during a rolling upgrade.
 *
 *   flockmq.v1.node.<node>.fwd   forwarded publishes for one node (requests when acknowledged)
 *   flockmq.v1.node.<node>.ctl   control requests for one node (takeover, routes)
 *   flockmq.v1.routes            route deltas, to every node
 *   flockmq.v1.heartbeat         heartbeats and goodbyes, to every node
 *   flockmq.v1.load              each node's connection count, to every node (rebalancing)
 */
import { FlockError } from '@flockmq/protocol';

export const SUBJECT_PREFIX = 'flockmq.v1';

const SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * A node id as one subject token: letters, digits, `_` and `-` stay; every other character
 * (`.`, `*`, `>`, whitespace, `%`, non-ASCII…) becomes `%XX` per UTF-8 byte. Injective, so two
 * node ids never share a subject.
 */
export function escapeToken(nodeId: string): string {
  if (nodeId.length === 0) throw new FlockError('FLOCK_ERR_CONFIG_INVALID', 'a node id cannot be empty');
  if (SAFE.test(nodeId)) return nodeId;
  let out = '';
  for (const byte of Buffer.from(nodeId, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && SAFE.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of escapeToken (diagnostics and tests). */
export function unescapeToken(token: string): string {
  return Buffer.from(
    token.replace(/%([0-9A-F]{2})|[^%]/g, (match, hex: string | undefined) =>
      hex === undefined ? match : String.fromCharCode(parseInt(hex, 16)),
    ),
    'latin1',
  ).toString('utf8');
}

export function forwardSubject(nodeId: string): string {
  return `${SUBJECT_PREFIX}.node.${escapeToken(nodeId)}.fwd`;
}

export function controlSubject(nodeId: string): string {
  return `${SUBJECT_PREFIX}.node.${escapeToken(nodeId)}.ctl`;
}

export const ROUTES_SUBJECT = `${SUBJECT_PREFIX}.routes`;

export const HEARTBEAT_SUBJECT = `${SUBJECT_PREFIX}.heartbeat`;
export const LOAD_SUBJECT = `${SUBJECT_PREFIX}.load`;
