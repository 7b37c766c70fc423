/** `flockmq ctl` end to end: real ctlMain, real gRPC server, in-memory nodes. */
import { createServer } from 'node:net';
import { ctlMain, type AdminServer } from '@flockmq/admin';
import { MemoryNode, buildCluster, captureIo, linkNodes, serve } from './fixtures';

/** Runs ctl against `server` (unless argv names its own --server) and returns what it wrote. */
async function ctl(server: AdminServer | undefined, argv: string[], env: Record<string, string> = {}) {
  const out = captureIo(server ? { FLOCKMQ_ADMIN_SERVER: `127.0.0.1:${server.port}`, ...env } : env);
  const code = await ctlMain(argv, out.io);
  return { code, stdout: out.stdout, stderr: out.stderr };
}

const rows = (text: string): string[][] =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/\s{2,}/));

describe('flockmq ctl against a three-node cluster', () => {
  let nodes: ReturnType<typeof buildCluster>;
  let server: AdminServer;

  beforeEach(async () => {
    nodes = buildCluster();
    server = await serve(nodes.a, { peers: linkNodes(nodes.all).get('node-a')! });
  });
  afterEach(() => server.close());

  test('status prints an aligned table, one row per node', async () => {
    const { code, stdout, stderr } = await ctl(server, ['status']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('NODE    VERSION  UPTIME  CONNECTIONS  CLIENTS  OFFLINE  READY  DRAINING  LOG');
    expect(lines[1]).toBe('node-a  0.1.0    2h03m   12           11       0        yes    no        info');
    expect(lines[3]).toBe('node-c  0.1.0    2h03m   9            8        1        yes    no        info');
    // Columns line up: every row has its second column where the header has it.
    expect(new Set(lines.map((line) => (line.indexOf('0.1.0') === -1 ? 8 : line.indexOf('0.1.0'))))).toEqual(
      new Set([8]),
    );
  });

  test('status --json prints one JSON document with the API names', async () => {
    const { code, stdout } = await ctl(server, ['--json', 'status']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.unreachableNodes).toEqual([]);
    expect(doc.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(doc.nodes[2]).toMatchObject({ clients: 8, offlineSessions: 1, uptimeSeconds: 7384, ready: true });
  });

  test('clients: table, filters, --limit with a note on stderr', async () => {
    const all = await ctl(server, ['clients']);
    expect(all.code).toBe(0);
    const table = rows(all.stdout);
    expect(table[0]).toEqual([
      'CLIENT ID', 'NODE', 'USERNAME', 'PROTOCOL', 'LISTENER', 'REMOTE', 'CONNECTED AT', 'SUBS', 'QUEUED', 'INFLIGHT',
    ]); // prettier-ignore
    expect(table).toHaveLength(30);
    expect(table[1]!.slice(0, 3)).toEqual(['alpha', 'node-a', 'alice']);
    expect(table[1]![6]).toBe('2025-06-01T12:00:00Z');

    const alice = await ctl(server, ['clients', '--username', 'alice']);
    expect(
      rows(alice.stdout)
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(['alpha']);
    const onB = await ctl(server, ['clients', '--node', 'node-b', '--prefix', 'dev-0']);
    expect(
      rows(onB.stdout)
        .slice(1)
        .map((r) => `${r[0]}@${r[1]}`),
    ).toEqual(['dev-01@node-b', 'dev-04@node-b', 'dev-07@node-b']);

    const limited = await ctl(server, ['clients', '--limit', '5', '--prefix', 'dev']);
    expect(
      rows(limited.stdout)
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(['dev-00', 'dev-01', 'dev-02', 'dev-03', 'dev-04']);
    expect(limited.stderr).toBe('flockmq ctl: showing the first 5 clients; raise --limit to see more\n');

    const none = await ctl(server, ['clients', '--prefix', 'zzz']);
    expect(none.stdout).toBe('no clients connected\n');
  });

  test('clients --json follows the pages up to --limit', async () => {
    // 2,700 clients: more than one page of 1,000.
    for (let i = 0; i < 2700; i++) nodes.all[i % 3]!.connect(`bulk-${String(i).padStart(4, '0')}`);
    const { code, stdout } = await ctl(server, ['clients', '--json', '--prefix', 'bulk-', '--limit', '2600']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    const ids = doc.clients.map((c: { clientId: string }) => c.clientId);
    expect(ids).toHaveLength(2600);
    expect(ids).toEqual(Array.from({ length: 2600 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`));
    expect(doc.truncated).toBe(true);
    // Three pages, each asked of every node.
    expect(nodes.c.calls.filter((c) => c === 'clients')).toHaveLength(3);

    const everything = JSON.parse(
      (await ctl(server, ['clients', '--json', '--prefix', 'bulk-', '--limit', '5000'])).stdout,
    );
    expect(everything.clients).toHaveLength(2700);
    expect(everything.truncated).toBe(false);
  });

  test('session (and its alias client) shows the session on its node', async () => {
    const { code, stdout } = await ctl(server, ['session', 'bravo']);
    expect(code).toBe(0);
    expect(stdout).toContain('client id       bravo\n');
    expect(stdout).toContain('node            node-b\n');
    expect(stdout).toContain('connected       yes\n');
    expect(stdout).toContain('connected at    2025-06-01T12:00:00Z\n');
    expect(stdout).toMatch(/^sensors\/#\s+0\s+no\s+no\s+0\s+-$/m);
    expect(stdout).toMatch(/^cmd\/bravo\s+1\s+/m);
    expect((await ctl(server, ['client', 'bravo'])).stdout).toBe(stdout);

    const offline = await ctl(server, ['session', 'charlie', '--json']);
    expect(JSON.parse(offline.stdout).session).toMatchObject({ nodeId: 'node-c', connected: false, client: null });
  });

  test('NOT_FOUND is one line on stderr and exit 1', async () => {
    const res = await ctl(server, ['session', 'nobody']);
    expect(res).toEqual({
      code: 1,
      stdout: '',
      stderr: "flockmq ctl: no client 'nobody' on any node: no connection and no session\n",
    });
    expect((await ctl(server, ['kick', 'nobody'])).stderr).toBe(
      "flockmq ctl: no client 'nobody' connected to any node\n",
    );
  });

  test('kick and sessions delete act on the node holding the client', async () => {
    expect(await ctl(server, ['kick', 'bravo'])).toEqual({
      code: 0,
      stdout: "kicked 'bravo' from node node-b\n",
      stderr: '',
    });
    expect(nodes.b.sessions.get('bravo')!.connected).toBe(false);

    const deleted = await ctl(server, ['sessions', 'delete', 'charlie', '--json']);
    expect(JSON.parse(deleted.stdout)).toEqual({ clientId: 'charlie', nodeIds: ['node-c'], unreachableNodes: [] });
    expect(nodes.c.sessions.has('charlie')).toBe(false);

    expect((await ctl(server, ['session', 'delete', 'bravo'])).stdout).toBe(
      "deleted the session of 'bravo' on node node-b\n",
    );
    expect(nodes.b.sessions.has('bravo')).toBe(false);
  });

  test('subscriptions and groups', async () => {
    const subs = await ctl(server, ['subscriptions', '--filter', 'sensors/#']);
    expect(rows(subs.stdout)).toEqual([
      ['CLIENT ID', 'NODE', 'CONNECTED', 'FILTER', 'QOS'],
      ['alpha', 'node-a', 'yes', 'sensors/#', '1'],
      ['bravo', 'node-b', 'yes', 'sensors/#', '0'],
    ]);
    const byClient = JSON.parse((await ctl(server, ['subscriptions', '--client-prefix', 'char', '--json'])).stdout);
    expect(byClient.subscriptions.map((s: { subscription: { filter: string } }) => s.subscription.filter)).toEqual([
      '$share/workers/jobs/+',
      'alerts/#',
    ]);
    const onA = await ctl(server, ['subs', '--node', 'node-a']);
    expect(
      rows(onA.stdout)
        .slice(1)
        .map((r) => r[3]),
    ).toEqual(['$share/workers/jobs/+', 'sensors/#']);

    const groups = await ctl(server, ['groups']);
    expect(rows(groups.stdout)).toEqual([
      ['GROUP', 'FILTER', 'NODE', 'MEMBERS', 'BACKLOG'],
      ['audit', 'logs/#', 'node-c', '1', '0'],
      ['workers', 'jobs/+', 'node-a', '1', '0'],
      ['workers', 'jobs/+', 'node-c', '2', '5'],
    ]);
  });

  test('publish, retained, retained delete', async () => {
    const argv = ['publish', 'site/1/temp', '21.5', '--qos', '1', '--retain', '--content-type', 'text/plain'];
    const published = await ctl(server, [
      ...argv,
      '--expiry',
      '60',
      '--user-property',
      'a=1',
      '--user-property',
      'b=x=y',
    ]);
    expect(published).toEqual({
      code: 0,
      stdout: "published 4 bytes to 'site/1/temp' (qos 1, retained) via node node-a\n",
      stderr: '',
    });
    expect(nodes.a.published[0]).toEqual({
      topic: 'site/1/temp',
      payload: Buffer.from('21.5').toString('base64'),
      qos: 1,
      retain: true,
      contentType: 'text/plain',
      messageExpiryInterval: 60,
      userProperties: { a: '1', b: 'x=y' },
    });

    const retained = await ctl(server, ['retained', 'site/+/temp']);
    expect(rows(retained.stdout)).toEqual([
      ['TOPIC', 'QOS', 'RECEIVED AT', 'PAYLOAD'],
      ['site/1/temp', '1', '2025-06-01T12:00:00Z', '21.5'],
    ]);
    const asJson = JSON.parse((await ctl(server, ['retained', '--json'])).stdout);
    expect(asJson.messages[0]).toMatchObject({ topic: 'site/1/temp', payload: Buffer.from('21.5').toString('base64') });

    expect((await ctl(server, ['retained', 'delete', 'site/1/temp'])).stdout).toBe(
      "deleted the retained message on 'site/1/temp'\n",
    );
    expect(await ctl(server, ['retained', 'delete', 'site/1/temp'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "flockmq ctl: no retained message on topic 'site/1/temp'\n",
    });
    expect((await ctl(server, ['retained'])).stdout).toBe('no retained messages\n');
  });

  test('publish to a wildcard topic is rejected by the API (exit 1)', async () => {
    const res = await ctl(server, ['publish', 'site/#', 'x']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      "flockmq ctl: the admin API rejected the request: topic 'site/#' contains a wildcard (+ or #): publish to a topic name, not a filter\n",
    );
  });

  test('drain and log-level', async () => {
    const drained = await ctl(server, ['drain', 'node-c', '--rate', '10', '--server-reference', 'other:1883']);
    expect(drained.stdout).toBe("node node-c is draining; 'flockmq ctl status' shows when its clients are gone\n");
    expect(nodes.c.drains).toEqual([{ ratePerSecond: 10, serverReference: 'other:1883' }]);
    expect(JSON.parse((await ctl(server, ['drain', '--json'])).stdout)).toEqual({ nodeId: 'node-a' });

    expect((await ctl(server, ['log-level', 'debug'])).stdout).toBe(
      'log level debug on nodes node-a, node-b, node-c\n',
    );
    expect((await ctl(server, ['log-level', 'warn', '--node', 'node-b'])).stdout).toBe(
      'log level warn on node node-b\n',
    );
    expect(nodes.all.map((n) => n.logLevel)).toEqual(['debug', 'warn', 'debug']);
    expect(await ctl(server, ['drain', 'node-z'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^flockmq ctl: no node 'node-z' in the cluster/),
    });
  });
});

describe('flockmq ctl rebalance', () => {
  let nodes: ReturnType<typeof buildCluster>;
  let server: AdminServer;

  beforeEach(async () => {
    nodes = buildCluster();
    nodes.b.rebalanceMoves = 12;
    nodes.c.rebalanceMoves = 3;
    server = await serve(nodes.a, { peers: linkNodes(nodes.all).get('node-a')! });
  });
  afterEach(() => server.close());

  test('prints one row per node: NODE, MOVED', async () => {
    expect(await ctl(server, ['rebalance'])).toEqual({
      code: 0,
      stdout: 'NODE    MOVED\nnode-a  0\nnode-b  12\nnode-c  3\n',
      stderr: '',
    });
    expect(nodes.all.map((n) => n.calls.filter((c) => c === 'rebalance').length)).toEqual([1, 1, 1]);
  });

  test('--json prints the API response', async () => {
    const { code, stdout, stderr } = await ctl(server, ['rebalance', '--json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      results: [
        { nodeId: 'node-a', moved: 0 },
        { nodeId: 'node-b', moved: 12 },
        { nodeId: 'node-c', moved: 3 },
      ],
      unreachableNodes: [],
    });
  });

  test('a named node only; an unknown one fails with exit 1', async () => {
    expect(await ctl(server, ['rebalance', 'node-b'])).toEqual({
      code: 0,
      stdout: 'NODE    MOVED\nnode-b  12\n',
      stderr: '',
    });
    expect(nodes.all.map((n) => n.calls.filter((c) => c === 'rebalance').length)).toEqual([0, 1, 0]);
    expect(await ctl(server, ['rebalance', 'node-z'])).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(
        /^flockmq ctl: no node 'node-z' in the cluster \(known: node-a, node-b, node-c\)\n$/,
      ),
    });
  });

  test('--help explains what rebalancing does', async () => {
    const help = await ctl(undefined, ['rebalance', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: flockmq ctl rebalance \[nodeId\]\n/);
    expect(help.stdout).toContain('0x9C Use another server');
    expect(help.stdout).toContain('--rebalance-interval');
    expect(help.stdout).toContain('[nodeId]   only this node (default: every node)');
  });
});

describe('flockmq ctl usage errors (exit 2, one line, nothing called)', () => {
  test.each([
    [[], "flockmq ctl: missing command: run 'flockmq ctl --help' to see the commands\n"],
    [['stauts'], "flockmq ctl: unknown command 'stauts': did you mean 'status'?\n"],
    [['rebalnce'], "flockmq ctl: unknown command 'rebalnce': did you mean 'rebalance'?\n"],
    [['rebalance', 'a', 'b'], "flockmq ctl: too many arguments ('b'): usage: flockmq ctl rebalance [nodeId]\n"],
    [
      ['rebalance', '--node', 'a'],
      "flockmq ctl: 'rebalance' takes no option --node: see 'flockmq ctl rebalance --help'\n",
    ],
    [['frobnicate'], "flockmq ctl: unknown command 'frobnicate': run 'flockmq ctl --help' to see the commands\n"],
    [['kick'], 'flockmq ctl: missing <clientId>: usage: flockmq ctl kick <clientId>\n'],
    [
      ['publish', 'a/b'],
      expect.stringMatching(/^flockmq ctl: missing <payload>: usage: flockmq ctl publish <topic> <payload>/),
    ],
    [['sessions', 'delete'], 'flockmq ctl: missing <clientId>: usage: flockmq ctl sessions delete <clientId>\n'],
    [['retained', 'delete'], 'flockmq ctl: missing <topic>: usage: flockmq ctl retained delete <topic>\n'],
    [['kick', 'a', 'b'], "flockmq ctl: too many arguments ('b'): usage: flockmq ctl kick <clientId>\n"],
    [
      ['clients', '--limit', 'ten'],
      "flockmq ctl: invalid number for --limit: 'ten' (expected a whole number from 1 to 1000000)\n",
    ],
    [
      ['publish', 'a', 'b', '--qos', '3'],
      "flockmq ctl: invalid number for --qos: '3' (expected a whole number from 0 to 2)\n",
    ],
    [
      ['status', '--timeout', '-5'],
      "flockmq ctl: invalid number for --timeout: '-5' (expected a whole number from 1 to 3600000)\n",
    ],
    [['clients', '--lmit', '5'], "flockmq ctl: unknown option '--lmit': did you mean '--limit'?\n"],
    [['status', '--qos', '1'], "flockmq ctl: 'status' takes no option --qos: see 'flockmq ctl status --help'\n"],
    [['status', '--server'], 'flockmq ctl: option --server needs a value\n'],
    [
      ['status', '--server', 'nohost'],
      "flockmq ctl: invalid --server 'nohost': expected HOST:PORT, e.g. 127.0.0.1:9091\n",
    ],
    [['status', '--cert', __filename], 'flockmq ctl: --cert and --key go together: give both\n'],
    [
      ['status', '--ca', '/nonexistent/ca.pem'],
      "flockmq ctl: cannot read the --ca file '/nonexistent/ca.pem' (ENOENT)\n",
    ],
    [['log-level', 'debg'], "flockmq ctl: unknown log level 'debg': did you mean 'debug'?\n"],
    [
      ['log-level', 'verbose'],
      "flockmq ctl: unknown log level 'verbose': use one of fatal, error, warn, info, debug, trace, silent\n",
    ],
    [
      ['publish', 'a', 'b', '--user-property', 'novalue'],
      "flockmq ctl: invalid --user-property 'novalue': expected key=value\n",
    ],
  ])('%j', async (argv, stderr) => {
    // Port 1 on loopback: were anything called, it would fail with exit 1, not 2.
    const res = await ctl(undefined, [...argv, ...(argv.includes('--server') ? [] : ['--server', '127.0.0.1:1'])]);
    expect(res).toEqual({ code: 2, stdout: '', stderr });
  });

  test('--help lists the commands; a command --help shows its options', async () => {
    const global = await ctl(undefined, ['--help']);
    expect(global.code).toBe(0);
    for (const name of [
      'status',
      'clients',
      'session',
      'sessions delete',
      'kick',
      'subscriptions',
      'groups',
      'publish',
      'retained',
      'retained delete',
      'drain',
      'rebalance',
      'log-level',
    ]) {
      expect(global.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
    }
    expect(global.stdout).toContain('Exit codes: 0 done, 1 the call failed, 2 usage error.');

    const publish = await ctl(undefined, ['publish', '-h']);
    expect(publish.code).toBe(0);
    expect(publish.stdout).toMatch(/^Usage: flockmq ctl publish <topic> <payload> \[--qos 0\|1\|2\]/);
    expect(publish.stdout).toContain('--user-property k=v');
    expect((await ctl(undefined, ['help', 'sessions', 'delete'])).stdout).toMatch(
      /^Usage: flockmq ctl sessions delete <clientId>/,
    );
    expect((await ctl(undefined, ['help', 'publish'])).stdout).toBe(publish.stdout);
  });
});

describe('flockmq ctl when things are down', () => {
  test('an unreachable server fails fast with one line and exit 1', async () => {
    // A port that was free a moment ago: nobody listens on it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const started = Date.now();
    const res = await ctl(undefined, ['status', '--server', `127.0.0.1:${port}`]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res).toEqual({
      code: 1,
      stdout: '',
      stderr: `flockmq ctl: cannot reach the admin API at 127.0.0.1:${port} (connection refused): is the node running, and is --server right? The admin port is set with --admin-port\n`,
    });
  });

  test('a node that does not answer is named; the others are shown', async () => {
    const nodes = [new MemoryNode('node-a').connect('alpha'), new MemoryNode('node-b').connect('bravo')];
    const server = await serve(nodes[0]!, { peers: linkNodes(nodes, ['node-x']).get('node-a')! });
    try {
      const table = await ctl(server, ['status']);
      expect(table.code).toBe(0);
      expect(
        rows(table.stdout)
          .slice(1)
          .map((r) => r[0]),
      ).toEqual(['node-a', 'node-b']);
      expect(table.stderr).toBe('flockmq ctl: warning: node node-x did not answer; the answer leaves it out\n');

      const json = await ctl(server, ['clients', '--json']);
      expect(json.stderr).toBe('');
      expect(JSON.parse(json.stdout)).toMatchObject({ unreachableNodes: ['node-x'], truncated: false });

      const rebalanced = await ctl(server, ['rebalance']);
      expect(rebalanced).toEqual({
        code: 0,
        stdout: 'NODE    MOVED\nnode-a  0\nnode-b  0\n',
        stderr: 'flockmq ctl: warning: node node-x did not answer; the answer leaves it out\n',
      });
      const rebalancedJson = await ctl(server, ['rebalance', '--json']);
      expect(rebalancedJson.stderr).toBe('');
      expect(JSON.parse(rebalancedJson.stdout)).toMatchObject({ unreachableNodes: ['node-x'] });
      expect(await ctl(server, ['rebalance', 'node-x'])).toEqual({
        code: 1,
        stdout: '',
        stderr: "flockmq ctl: node 'node-x' did not answer: no answer within 250 ms\n",
      });

      const named = await ctl(server, ['log-level', 'debug', '--node', 'node-x']);
      expect(named.code).toBe(1);
      expect(named.stderr).toMatch(/^flockmq ctl: node 'node-x' did not answer: no answer within 250 ms\n$/);
    } finally {
      await server.close();
    }
  });
});
