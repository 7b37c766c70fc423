/** The commands that only look: status, clients, session, subscriptions, groups, retained. */
import type { Command } from './command';
import { collectPages } from './command';
import { formatFields, formatTable } from './table';
import { duration, isoTime, orDash, payloadPreview, yesNo } from './format';

const DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 1_000_000;

export const status: Command = {
  name: 'status',
  synopsis: '',
  summary: 'every node: version, uptime, connections, clients, readiness, draining, log level',
  help: [],
  options: [],
  args: { min: 0, max: 0, names: '' },
  async run({ client, out }) {
    const res = await client.getStatus();
    out.emit(res, () =>
      formatTable(
        ['NODE', 'VERSION', 'UPTIME', 'CONNECTIONS', 'CLIENTS', 'OFFLINE', 'READY', 'DRAINING', 'LOG'],
        res.nodes.map((n) => [
          n.nodeId,
          n.version,
          duration(n.uptimeSeconds),
          String(n.connections),
          String(n.clients),
          String(n.offlineSessions),
          yesNo(n.ready),
          yesNo(n.draining),
          n.logLevel,
        ]),
      ),
    );
    out.unreachable(res.unreachableNodes);
  },
};

export const clients: Command = {
  name: 'clients',
  synopsis: '[--node N] [--prefix P] [--username U] [--limit N]',
  summary: 'connected clients of every node, by client id',
  help: [
    '--node N        only clients connected to node N',
    '--prefix P      only client ids starting with P',
    '--username U    only clients that logged in as U',
    `--limit N       show at most N clients (default ${DEFAULT_LIST_LIMIT})`,
  ],
  options: ['node', 'prefix', 'username', 'limit'],
  args: { min: 0, max: 0, names: '' },
  async run({ client, options, out }) {
    const limit = options.integer('limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
    const filter = {
      nodeId: options.string('node') ?? '',
      clientIdPrefix: options.string('prefix') ?? '',
      username: options.string('username') ?? '',
    };
    const res = await collectPages(limit, async (pageSize, pageToken) => {
      const page = await client.listClients({ ...filter, pageSize, pageToken });
      return { ...page, items: page.clients };
    });
    const doc = { clients: res.items, truncated: res.truncated, unreachableNodes: res.unreachableNodes };
    out.emit(doc, () =>
      res.items.length === 0
        ? 'no clients connected\n'
        : formatTable(
            [
              'CLIENT ID',
              'NODE',
              'USERNAME',
              'PROTOCOL',
              'LISTENER',
              'REMOTE',
              'CONNECTED AT',
              'SUBS',
              'QUEUED',
              'INFLIGHT',
            ],
            res.items.map((c) => [
              c.clientId,
              c.nodeId,
              orDash(c.username),
              c.protocol,
              c.listener,
              c.remote,
              isoTime(c.connectedAtMs),
              String(c.subscriptions),
              String(c.queued),
              String(c.inflight),
            ]),
          ),
    );
    if (res.truncated) out.note(`showing the first ${res.items.length} clients; raise --limit to see more`);
    out.unreachable(res.unreachableNodes);
  },
};

export const session: Command = {
  name: 'session',
  aliases: ['client'],
  synopsis: '<clientId>',
  summary: "one client's session wherever it is: connection, subscriptions, queue",
  help: [],
  options: [],
  args: { min: 1, max: 1, names: '<clientId>' },
  async run({ client, args, out }) {
    const res = await client.getSession(args[0]!);
    const s = res.session!;
    out.emit(res, () => {
      const fields: [string, string][] = [
        ['client id', s.clientId],
        ['node', s.nodeId],
        ['connected', yesNo(s.connected)],
        ['username', orDash(s.username)],
        ['protocol', orDash(s.protocol)],
        ['session expiry', `${s.sessionExpiryInterval} s`],
        ['queued', String(s.queued)],
        ['in flight', String(s.inflight)],
      ];
      if (s.client) {
        fields.push(
          ['listener', s.client.listener],
          ['remote', s.client.remote],
          ['connected at', isoTime(s.client.connectedAtMs)],
          ['keep alive', `${s.client.keepAlive} s`],
        );
      } else {
        fields.push(['disconnected at', isoTime(s.disconnectedAtMs)]);
      }
      const subscriptions =
        s.subscriptions.length === 0
          ? 'no subscriptions\n'
          : formatTable(
              ['FILTER', 'QOS', 'NO LOCAL', 'RETAIN AS PUBLISHED', 'RETAIN HANDLING', 'SUBSCRIPTION ID'],
              s.subscriptions.map((sub) => [
                sub.filter,
                String(sub.qos),
                yesNo(sub.noLocal),
                yesNo(sub.retainAsPublished),
                String(sub.retainHandling),
                sub.subscriptionId === 0 ? '-' : String(sub.subscriptionId),
              ]),
            );
      return `${formatFields(fields)}\n${subscriptions}`;
    });
    out.unreachable(res.unreachableNodes);
  },
};

export const subscriptions: Command = {
  name: 'subscriptions',
  aliases: ['subs'],
  synopsis: '[--client-prefix P] [--filter F] [--node N] [--limit N]',
  summary: 'subscriptions of every session, by client id',
  help: [
    '--client-prefix P   only clients whose id starts with P',
    '--filter F          only subscriptions to exactly the filter F (e.g. $share/g/a/#)',
    '--node N            only sessions held by node N',
    `--limit N           show at most N subscriptions (default ${DEFAULT_LIST_LIMIT})`,
  ],
  options: ['client-prefix', 'filter', 'node', 'limit'],
  args: { min: 0, max: 0, names: '' },
  async run({ client, options, out }) {
    const limit = options.integer('limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
    const filter = {
      nodeId: options.string('node') ?? '',
      clientIdPrefix: options.string('client-prefix') ?? '',
      topicFilter: options.string('filter') ?? '',
    };
    const res = await collectPages(limit, async (pageSize, pageToken) => {
      const page = await client.listSubscriptions({ ...filter, pageSize, pageToken });
      return { ...page, items: page.subscriptions };
    });
    const doc = { subscriptions: res.items, truncated: res.truncated, unreachableNodes: res.unreachableNodes };
    out.emit(doc, () =>
      res.items.length === 0
        ? 'no subscriptions\n'
        : formatTable(
            ['CLIENT ID', 'NODE', 'CONNECTED', 'FILTER', 'QOS'],
            res.items.map((e) => [
              e.clientId,
              e.nodeId,
              yesNo(e.connected),
              e.subscription?.filter ?? '',
              String(e.subscription?.qos ?? 0),
            ]),
          ),
    );
    if (res.truncated) out.note(`showing the first ${res.items.length} subscriptions; raise --limit to see more`);
    out.unreachable(res.unreachableNodes);
  },
};

export const groups: Command = {
  name: 'groups',
  synopsis: '',
  summary: 'shared subscription groups: members and backlog on each node',
  help: [],
  options: [],
  args: { min: 0, max: 0, names: '' },
  async run({ client, out }) {
    const res = await client.listSharedGroups();
    out.emit(res, () =>
      res.groups.length === 0
        ? 'no shared subscription groups\n'
        : formatTable(
            ['GROUP', 'FILTER', 'NODE', 'MEMBERS', 'BACKLOG'],
            res.groups.flatMap((g) =>
              g.nodes.map((n) => [g.group, g.filter, n.nodeId, String(n.members), String(n.backlog)]),
            ),
          ),
    );
    out.unreachable(res.unreachableNodes);
  },
};

export const retained: Command = {
  name: 'retained',
  synopsis: '[filter] [--limit N]',
  summary: "retained messages matching a filter (default '#')",
  help: [
    "[filter]    a topic filter (default '#', which leaves out $-topics)",
    '--limit N   at most N messages (default 100, at most 1000)',
  ],
  options: ['limit'],
  args: { min: 0, max: 1, names: '[filter]' },
  async run({ client, args, options, out }) {
    const limit = options.integer('limit', 1, 1000) ?? 100;
    const res = await client.listRetained({ filter: args[0] ?? '#', limit });
    out.emit(res, () =>
      res.messages.length === 0
        ? 'no retained messages\n'
        : formatTable(
            ['TOPIC', 'QOS', 'RECEIVED AT', 'PAYLOAD'],
            res.messages.map((m) => [m.topic, String(m.qos), isoTime(m.receivedAtMs), payloadPreview(m.payload)]),
          ),
    );
    if (res.truncated)
      out.note(`showing the first ${res.messages.length} retained messages; raise --limit to see more`);
  },
};
