/**
 * The commands that change something: kick, sessions delete, publish, retained delete, drain,
 * rebalance, log-level.
 */
import type { Command } from './command';
import { UsageError } from './args';
import { formatTable } from './table';
import { DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS } from '../client';
import { closest } from './suggest';
import { LOG_LEVELS } from '../validate';

const on = (nodeIds: readonly string[]): string =>
  nodeIds.length === 1 ? `node ${nodeIds[0]}` : `nodes ${nodeIds.join(', ')}`;

export const kick: Command = {
  name: 'kick',
  synopsis: '<clientId>',
  summary: 'disconnect a client (its session stays; MQTT 5: reason 0x98)',
  help: [],
  options: [],
  args: { min: 1, max: 1, names: '<clientId>' },
  async run({ client, args, out }) {
    const clientId = args[0]!;
    const res = await client.kickClient(clientId);
    out.emit({ clientId, ...res }, () => `kicked '${clientId}' from ${on(res.nodeIds)}\n`);
    out.unreachable(res.unreachableNodes);
  },
};

export const deleteSession: Command = {
  name: 'sessions delete',
  aliases: ['session delete'],
  synopsis: '<clientId>',
  summary: 'end a session: disconnect the client and delete its subscriptions and queue',
  help: [],
  options: [],
  args: { min: 1, max: 1, names: '<clientId>' },
  async run({ client, args, out }) {
    const clientId = args[0]!;
    const res = await client.deleteSession(clientId);
    out.emit({ clientId, ...res }, () => `deleted the session of '${clientId}' on ${on(res.nodeIds)}\n`);
    out.unreachable(res.unreachableNodes);
  },
};

function userProperties(pairs: readonly string[]): { key: string; value: string }[] {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --user-property '${pair}': expected key=value`);
    return { key: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
}

export const publish: Command = {
  name: 'publish',
  aliases: ['pub'],
  synopsis: '<topic> <payload> [--qos 0|1|2] [--retain] [--content-type T] [--expiry S] [--user-property k=v]...',
  summary: 'publish a message (routed to subscribers on every node)',
  help: [
    '<payload>            sent as UTF-8 text (put -- before a payload starting with -)',
    '--qos 0|1|2          quality of service (default 0)',
    '--retain             keep it as the retained message of the topic',
    '--content-type T     MQTT 5 content type',
    '--expiry S           MQTT 5 message expiry interval in seconds',
    '--user-property k=v  MQTT 5 user property (repeat for several)',
  ],
  options: ['qos', 'retain', 'content-type', 'expiry', 'user-property'],
  args: { min: 2, max: 2, names: '<topic> <payload>' },
  async run({ client, args, options, out }) {
    const [topic, payload] = [args[0]!, args[1]!];
    const qos = options.integer('qos', 0, 2) ?? 0;
    const retain = options.has('retain');
    const res = await client.publish({
      topic,
      payload: Buffer.from(payload, 'utf8'),
      qos,
      retain,
      contentType: options.string('content-type') ?? '',
      messageExpiryInterval: options.integer('expiry', 0, 0xffffffff) ?? 0,
      userProperties: userProperties(options.all('user-property')),
    });
    out.emit({ topic, qos, retain, ...res }, () => {
      const how = `qos ${qos}${retain ? ', retained' : ''}`;
      return `published ${Buffer.byteLength(payload)} bytes to '${topic}' (${how}) via node ${res.nodeId}\n`;
    });
  },
};

export const deleteRetained: Command = {
  name: 'retained delete',
  synopsis: '<topic>',
  summary: 'clear the retained message of a topic',
  help: [],
  options: [],
  args: { min: 1, max: 1, names: '<topic>' },
  async run({ client, args, out }) {
    const topic = args[0]!;
    await client.deleteRetained(topic);
    out.emit({ topic, deleted: true }, () => `deleted the retained message on '${topic}'\n`);
  },
};

export const drain: Command = {
  name: 'drain',
  synopsis: '[nodeId] [--rate N] [--server-reference HOST:PORT]',
  summary: 'move the clients off a node before stopping it (default: the node answering)',
  help: [
    '[nodeId]                     the node to drain (default: the one --server reaches)',
    "--rate N                     clients disconnected per second (default: the node's drain rate)",
    '--server-reference HOST:PORT MQTT 5 clients are told to use this server instead',
  ],
  options: ['rate', 'server-reference'],
  args: { min: 0, max: 1, names: '[nodeId]' },
  async run({ client, args, options, out }) {
    const res = await client.drainNode({
      nodeId: args[0] ?? '',
      ratePerSecond: options.integer('rate', 1, 1_000_000) ?? 0,
      serverReference: options.string('server-reference') ?? '',
    });
    out.emit(res, () => `node ${res.nodeId} is draining; 'flockmq ctl status' shows when its clients are gone\n`);
  },
};

export const rebalance: Command = {
  name: 'rebalance',
  synopsis: '[nodeId]',
  summary: 'move the excess clients off nodes holding more than their share, now',
  description: [
    'A node holding more than its share of the connections (by its --rebalance-threshold and',
    '--rebalance-min-excess) asks the excess to move: MQTT 5 clients get 0x9C Use another server,',
    '3.1.1 clients are closed. They reconnect through the load balancer and resume their sessions on',
    'another node. Nodes also do this on their own every --rebalance-interval when --rebalance is on.',
    '',
    'The command waits until the moved clients have gone (they leave at --rebalance-rate per second),',
    'up to 30 s per node: a node still moving clients then is reported as not answering, and its',
    `rebalance goes on. --timeout defaults to ${DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS} ms here.`,
  ],
  help: ['[nodeId]   only this node (default: every node)'],
  options: [],
  args: { min: 0, max: 1, names: '[nodeId]' },
  defaultTimeoutMs: DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS,
  async run({ client, args, out }) {
    const res = await client.rebalance({ nodeId: args[0] ?? '' });
    out.emit(res, () =>
      formatTable(
        ['NODE', 'MOVED'],
        res.results.map((r) => [r.nodeId, String(r.moved)]),
      ),
    );
    out.unreachable(res.unreachableNodes);
  },
};

export const logLevel: Command = {
  name: 'log-level',
  synopsis: '<level> [--node N]',
  summary: `change the log level at runtime (${LOG_LEVELS.join(', ')})`,
  help: ['--node N   only node N (default: every node)'],
  options: ['node'],
  args: { min: 1, max: 1, names: '<level>' },
  async run({ client, args, options, out }) {
    const level = args[0]!;
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      const match = closest(level, LOG_LEVELS);
      const hint = match === undefined ? `use one of ${LOG_LEVELS.join(', ')}` : `did you mean '${match}'?`;
      throw new UsageError(`unknown log level '${level}': ${hint}`);
    }
    const res = await client.setLogLevel({ level, nodeId: options.string('node') ?? '' });
    out.emit({ level, ...res }, () => `log level ${level} on ${on(res.nodeIds)}\n`);
    out.unreachable(res.unreachableNodes);
  },
};
