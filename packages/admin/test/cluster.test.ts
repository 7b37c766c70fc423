/** The admin API answered for a three-node cluster, through a real gRPC server and AdminClient. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { AdminClient, isServiceError, type AdminServer } from '@flockmq/admin';
import { MemoryNode, T0, buildCluster, linkNodes, memoryLogger, serve } from './fixtures';

async function expectStatus(call: Promise<unknown>, code: GrpcStatus, details?: RegExp): Promise<void> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(err)) throw new Error(`expected the call to fail with ${GrpcStatus[code]}`);
  expect(GrpcStatus[err.code]).toBe(GrpcStatus[code]);
  if (details) expect(err.details).toMatch(details);
}

describe('admin API over a three-node cluster', () => {
  let nodes: ReturnType<typeof buildCluster>;
  let server: AdminServer;
  let client: AdminClient;
  let logger: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    nodes = buildCluster();
    logger = memoryLogger();
    server = await serve(nodes.a, { peers: linkNodes(nodes.all).get('node-a')!, logger });
    client = new AdminClient({ address: `127.0.0.1:${server.port}` });
  });

  afterEach(async () => {
    client.close();
    await server.close();
  });

  test('GetStatus lists every node, sorted, with its figures', async () => {
    const res = await client.getStatus();
    expect(res.unreachableNodes).toEqual([]);
    expect(res.nodes.map((n) => n.nodeId)).toEqual(['node-a', 'node-b', 'node-c']);
    const a = res.nodes[0]!;
    expect(a.startedAtMs).toBe(T0);
    expect(a).toMatchObject({ version: '0.1.0', uptimeSeconds: 7384, clients: 11, connections: 12, ready: true });
    expect(res.nodes[2]).toMatchObject({ clients: 8, offlineSessions: 1, draining: false, logLevel: 'info' });
  });

  test('ListClients pages through every node with no duplicates and no gaps', async () => {
    const expected = nodes.all.flatMap((node) => node.clients({}).map((c) => `${c.clientId}@${c.nodeId}`)).sort();
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await client.listClients({ pageSize: 7, pageToken: token });
      expect(page.clients.length).toBeLessThanOrEqual(7);
      seen.push(...page.clients.map((c) => `${c.clientId}@${c.nodeId}`));
      token = page.nextPageToken;
      pages++;
    } while (token !== '');
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(expected.length / 7));
    // The same client id on two nodes is ordered by node.
    expect(seen.filter((s) => s.startsWith('twin@'))).toEqual(['twin@node-a', 'twin@node-b']);
  });

  test('ListClients fits in one page when the page is large enough', async () => {
    const res = await client.listClients({ pageSize: 1000 });
    expect(res.clients).toHaveLength(29);
    expect(res.nextPageToken).toBe('');
  });

  test('ListClients filters by node, client id prefix and username', async () => {
    const byNode = await client.listClients({ nodeId: 'node-b' });
    expect(new Set(byNode.clients.map((c) => c.nodeId))).toEqual(new Set(['node-b']));
    expect(byNode.clients.map((c) => c.clientId)).toEqual(
      nodes.b
        .clients({})
        .map((c) => c.clientId)
        .sort(),
    );

    const byPrefix = await client.listClients({ clientIdPrefix: 'dev-1' });
    expect(byPrefix.clients.map((c) => c.clientId)).toEqual(
      ['10', '11', '12', '13', '14', '15', '16', '17', '18', '19'].map((n) => `dev-${n}`),
    );

    const byUser = await client.listClients({ username: 'alice' });
    expect(byUser.clients).toEqual([
      expect.objectContaining({ clientId: 'alpha', nodeId: 'node-a', username: 'alice' }),
    ]);
    expect(byUser.clients[0]!.connectedAtMs).toBe(T0);

    const combined = await client.listClients({ username: 'odd', clientIdPrefix: 'dev-0', nodeId: 'node-a' });
    expect(combined.clients.map((c) => c.clientId)).toEqual(['dev-03', 'dev-09']);
  });

  test('ListClients rejects bad pages and unknown nodes', async () => {
    await expectStatus(client.listClients({ pageSize: 1001 }), GrpcStatus.INVALID_ARGUMENT, /page_size 1001/);
    await expectStatus(client.listClients({ pageToken: 'garbage' }), GrpcStatus.INVALID_ARGUMENT, /page_token/);
    const subsPage = await client.listSubscriptions({ pageSize: 1 });
    await expectStatus(client.listClients({ pageToken: subsPage.nextPageToken }), GrpcStatus.INVALID_ARGUMENT);
    await expectStatus(client.listClients({ nodeId: 'node-z' }), GrpcStatus.NOT_FOUND, /no node 'node-z'/);
  });

  test('GetSession finds a session on a peer, connected or offline', async () => {
    const bravo = await client.getSession('bravo');
    expect(bravo.session).toMatchObject({ clientId: 'bravo', nodeId: 'node-b', connected: true, username: 'bob' });
    expect(bravo.session!.client).toMatchObject({ listener: 'tcp', keepAlive: 60 });
    expect(bravo.session!.subscriptions.map((s) => [s.filter, s.qos])).toEqual([
      ['sensors/#', 0],
      ['cmd/bravo', 1],
    ]);
    expect(bravo.session!.disconnectedAtMs).toBe(0);

    const charlie = await client.getSession('charlie');
    expect(charlie.session).toMatchObject({ nodeId: 'node-c', connected: false, queued: 4, client: null });
    expect(charlie.session!.disconnectedAtMs).toBe(T0 + 60_000);
  });

  test('GetSession: NOT_FOUND for an unknown client, INVALID_ARGUMENT for an empty id', async () => {
    await expectStatus(client.getSession('nobody'), GrpcStatus.NOT_FOUND, /no client 'nobody' on any node/);
    await expectStatus(client.getSession(''), GrpcStatus.INVALID_ARGUMENT, /client_id is required/);
  });

  test('KickClient acts on the node holding the client and logs one line', async () => {
    const res = await client.kickClient('bravo');
    expect(res).toEqual({ nodeIds: ['node-b'], unreachableNodes: [] });
    expect(nodes.b.sessions.get('bravo')!.connected).toBe(false);
    expect(nodes.a.sessions.has('bravo')).toBe(false);
    expect(logger.lines.filter((l) => l.msg === 'admin_kick')).toEqual([
      expect.objectContaining({
        level: 'info',
        obj: expect.objectContaining({ client_id: 'bravo', node_ids: ['node-b'] }),
      }),
    ]);
    // The session stays, offline; kicking again finds no connection.
    expect((await client.getSession('bravo')).session!.connected).toBe(false);
    await expectStatus(client.kickClient('bravo'), GrpcStatus.NOT_FOUND, /no client 'bravo' connected/);
  });

  test('DeleteSession ends the session where it lives', async () => {
    const res = await client.deleteSession('charlie');
    expect(res.nodeIds).toEqual(['node-c']);
    expect(nodes.c.sessions.has('charlie')).toBe(false);
    await expectStatus(client.getSession('charlie'), GrpcStatus.NOT_FOUND);
    await expectStatus(client.deleteSession('charlie'), GrpcStatus.NOT_FOUND, /no session for client 'charlie'/);
    const audit = logger.lines.filter((l) => l.msg === 'admin_delete_session');
    expect(audit.map((l) => [l.level, l.obj['client_id']])).toEqual([
      ['info', 'charlie'],
      ['warn', 'charlie'],
    ]);
  });

  test('ListSubscriptions merges nodes, pages and filters', async () => {
    const all = await client.listSubscriptions({});
    expect(all.subscriptions.map((s) => `${s.clientId}@${s.nodeId}:${s.subscription!.filter}`)).toEqual([
      'alpha@node-a:$share/workers/jobs/+',
      'alpha@node-a:sensors/#',
      'bravo@node-b:cmd/bravo',
      'bravo@node-b:sensors/#',
      'charlie@node-c:$share/workers/jobs/+',
      'charlie@node-c:alerts/#',
    ]);
    const pageOne = await client.listSubscriptions({ pageSize: 4 });
    const pageTwo = await client.listSubscriptions({ pageSize: 4, pageToken: pageOne.nextPageToken });
    expect([...pageOne.subscriptions, ...pageTwo.subscriptions]).toEqual(all.subscriptions);
    expect(pageTwo.nextPageToken).toBe('');

    const sensors = await client.listSubscriptions({ topicFilter: 'sensors/#' });
    expect(sensors.subscriptions.map((s) => s.clientId)).toEqual(['alpha', 'bravo']);
    const shared = await client.listSubscriptions({ topicFilter: '$share/workers/jobs/+' });
    expect(shared.subscriptions.map((s) => [s.clientId, s.connected])).toEqual([
      ['alpha', true],
      ['charlie', false],
    ]);
    const byPrefix = await client.listSubscriptions({ clientIdPrefix: 'br' });
    expect(byPrefix.subscriptions.every((s) => s.clientId === 'bravo')).toBe(true);
    const byNode = await client.listSubscriptions({ nodeId: 'node-c' });
    expect(byNode.subscriptions.map((s) => s.nodeId)).toEqual(['node-c', 'node-c']);
    await expectStatus(client.listSubscriptions({ topicFilter: 'a/#/b' }), GrpcStatus.INVALID_ARGUMENT);
  });

  test('ListSharedGroups sums members and backlog over the nodes', async () => {
    const res = await client.listSharedGroups();
    expect(res.groups).toEqual([
      {
        group: 'audit',
        filter: 'logs/#',
        members: 1,
        backlog: 0,
        nodes: [{ nodeId: 'node-c', members: 1, backlog: 0 }],
      },
      {
        group: 'workers',
        filter: 'jobs/+',
        members: 3,
        backlog: 5,
        nodes: [
          { nodeId: 'node-a', members: 1, backlog: 0 },
          { nodeId: 'node-c', members: 2, backlog: 5 },
        ],
      },
    ]);
  });

  test('Publish hands the message to the answering node with its MQTT 5 properties', async () => {
    const res = await client.publish({
      topic: 'cmd/bravo',
      payload: Buffer.from([0, 1, 2, 255]),
      qos: 1,
      contentType: 'application/octet-stream',
      messageExpiryInterval: 30,
      userProperties: [{ key: 'origin', value: 'ops' }],
    });
    expect(res).toEqual({ nodeId: 'node-a' });
    expect(nodes.a.published).toEqual([
      {
        topic: 'cmd/bravo',
        payload: Buffer.from([0, 1, 2, 255]).toString('base64'),
        qos: 1,
        retain: false,
        contentType: 'application/octet-stream',
        messageExpiryInterval: 30,
        userProperties: { origin: 'ops' },
      },
    ]);
    expect(logger.lines.filter((l) => l.msg !== 'admin_listening')).toEqual([
      expect.objectContaining({ msg: 'admin_publish', obj: expect.objectContaining({ topic: 'cmd/bravo', bytes: 4 }) }),
    ]);
  });

  test('Publish rejects wildcard topics and QoS out of range', async () => {
    await expectStatus(client.publish({ topic: 'a/#' }), GrpcStatus.INVALID_ARGUMENT, /wildcard/);
    await expectStatus(client.publish({ topic: 'a/+/b' }), GrpcStatus.INVALID_ARGUMENT, /wildcard/);
    await expectStatus(client.publish({ topic: '' }), GrpcStatus.INVALID_ARGUMENT, /topic is required/);
    await expectStatus(client.publish({ topic: 'a', qos: 3 }), GrpcStatus.INVALID_ARGUMENT, /qos 3/);
    expect(nodes.a.published).toEqual([]);
  });

  test('retained messages: list with a filter and a limit, delete, NOT_FOUND', async () => {
    for (const topic of ['site/2/temp', 'site/1/temp', 'site/1/hum', 'other']) {
      await client.publish({ topic, payload: Buffer.from(`v:${topic}`), retain: true });
    }
    const all = await client.listRetained({});
    expect(all.messages.map((m) => m.topic)).toEqual(['other', 'site/1/hum', 'site/1/temp', 'site/2/temp']);
    expect(all.truncated).toBe(false);
    expect(all.messages[1]!.payload.toString()).toBe('v:site/1/hum');

    const temps = await client.listRetained({ filter: 'site/+/temp', limit: 1 });
    expect(temps.messages.map((m) => m.topic)).toEqual(['site/1/temp']);
    expect(temps.truncated).toBe(true);

    await client.deleteRetained('site/1/hum');
    expect(nodes.b.retainedStore.has('site/1/hum')).toBe(false);
    await expectStatus(client.deleteRetained('site/1/hum'), GrpcStatus.NOT_FOUND, /no retained message on topic/);
    await expectStatus(client.deleteRetained('site/#'), GrpcStatus.INVALID_ARGUMENT);
    await expectStatus(client.listRetained({ filter: 'a/#/b' }), GrpcStatus.INVALID_ARGUMENT);
    await expectStatus(client.listRetained({ limit: 5000 }), GrpcStatus.INVALID_ARGUMENT, /limit/);
  });

  test('DrainNode drains the answering node by default, or the named one', async () => {
    expect(await client.drainNode({})).toEqual({ nodeId: 'node-a' });
    expect(nodes.a.drains).toEqual([{}]);
    expect(await client.drainNode({ nodeId: 'node-c', ratePerSecond: 50, serverReference: 'other:1883' })).toEqual({
      nodeId: 'node-c',
    });
    expect(nodes.c.drains).toEqual([{ ratePerSecond: 50, serverReference: 'other:1883' }]);
    expect((await client.getStatus()).nodes.map((n) => n.draining)).toEqual([true, false, true]);
    await expectStatus(client.drainNode({ nodeId: 'node-z' }), GrpcStatus.NOT_FOUND, /no node 'node-z'/);
    expect(logger.lines.filter((l) => l.msg === 'admin_drain').map((l) => l.obj['target_node'])).toEqual([
      'node-a',
      'node-c',
      'node-z',
    ]);
  });

  test('SetLogLevel changes every node, or one', async () => {
    expect(await client.setLogLevel({ level: 'debug' })).toEqual({
      nodeIds: ['node-a', 'node-b', 'node-c'],
      unreachableNodes: [],
    });
    expect(nodes.all.map((n) => n.logLevel)).toEqual(['debug', 'debug', 'debug']);
    await client.setLogLevel({ level: 'warn', nodeId: 'node-b' });
    expect(nodes.all.map((n) => n.logLevel)).toEqual(['debug', 'warn', 'debug']);
    await expectStatus(
      client.setLogLevel({ level: 'verbose' }),
      GrpcStatus.INVALID_ARGUMENT,
      /unknown log level 'verbose'/,
    );
  });

  test('Rebalance asks every node, or one, merges by node id and logs one line', async () => {
    nodes.b.rebalanceMoves = 12;
    nodes.c.rebalanceMoves = 3;
    expect(await client.rebalance()).toEqual({
      results: [
        { nodeId: 'node-a', moved: 0 },
        { nodeId: 'node-b', moved: 12 },
        { nodeId: 'node-c', moved: 3 },
      ],
      unreachableNodes: [],
    });
    expect(nodes.all.map((n) => n.calls.filter((c) => c === 'rebalance').length)).toEqual([1, 1, 1]);

    expect(await client.rebalance({ nodeId: 'node-c' })).toEqual({
      results: [{ nodeId: 'node-c', moved: 3 }],
      unreachableNodes: [],
    });
    expect(await client.rebalance({ nodeId: 'node-a' })).toEqual({
      results: [{ nodeId: 'node-a', moved: 0 }],
      unreachableNodes: [],
    });
    expect(nodes.all.map((n) => n.calls.filter((c) => c === 'rebalance').length)).toEqual([2, 1, 2]);

    await expectStatus(client.rebalance({ nodeId: 'node-z' }), GrpcStatus.NOT_FOUND, /no node 'node-z'/);
    const audit = logger.lines.filter((l) => l.msg === 'admin_rebalance');
    expect(audit.map((l) => [l.level, l.obj['target_node'], l.obj['moved']])).toEqual([
      ['info', 'all', 15],
      ['info', 'node-c', 3],
      ['info', 'node-a', 0],
      ['warn', 'node-z', undefined],
    ]);
    expect(audit[0]!.obj).toMatchObject({ node_ids: ['node-a', 'node-b', 'node-c'], unreachable_nodes: [] });
  });

  test('Rebalance waits for nodes longer than the peer timeout', async () => {
    const patient = await serve(nodes.a, {
      peers: linkNodes(nodes.all).get('node-a')!,
      peerTimeoutMs: 50,
      rebalanceTimeoutMs: 3000,
    });
    const patientClient = new AdminClient({ address: `127.0.0.1:${patient.port}` });
    try {
      // Slower than the peer timeout: a status call would give up on it.
      nodes.b.rebalanceDelayMs = 300;
      nodes.b.rebalanceMoves = 4;
      const res = await patientClient.rebalance();
      expect(res.results.map((r) => [r.nodeId, r.moved])).toEqual([
        ['node-a', 0],
        ['node-b', 4],
        ['node-c', 0],
      ]);
      expect(res.unreachableNodes).toEqual([]);
    } finally {
      patientClient.close();
      await patient.close();
    }
  });

  test('any node answers for the whole cluster', async () => {
    const other = await serve(nodes.c, { peers: linkNodes(nodes.all).get('node-c')! });
    const otherClient = new AdminClient({ address: `127.0.0.1:${other.port}` });
    try {
      const fromA = await client.listClients({ pageSize: 1000 });
      const fromC = await otherClient.listClients({ pageSize: 1000 });
      expect(fromC.clients).toEqual(fromA.clients);
      expect((await otherClient.getSession('alpha')).session!.nodeId).toBe('node-a');
    } finally {
      otherClient.close();
      await other.close();
    }
  });
});

describe('admin API with a node that does not answer', () => {
  let server: AdminServer;
  let client: AdminClient;
  let nodes: MemoryNode[];
  let logger: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    nodes = [new MemoryNode('node-a').connect('alpha'), new MemoryNode('node-b').connect('bravo')];
    logger = memoryLogger();
    // peerTimeoutMs is 250 in serve(): node-x's silence must cost about that, not the call's deadline.
    server = await serve(nodes[0]!, { peers: linkNodes(nodes, ['node-x']).get('node-a')!, logger });
    client = new AdminClient({ address: `127.0.0.1:${server.port}` });
  });

  afterEach(async () => {
    client.close();
    await server.close();
  });

  test('cluster-wide calls answer with the others and name it in unreachable_nodes', async () => {
    const started = Date.now();
    const res = await client.getStatus();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.nodes.map((n) => n.nodeId)).toEqual(['node-a', 'node-b']);
    expect(res.unreachableNodes).toEqual(['node-x']);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'admin_peer_unreachable',
        obj: expect.objectContaining({ node: 'node-x' }),
      }),
    );

    const clients = await client.listClients({});
    expect(clients.clients.map((c) => c.clientId)).toEqual(['alpha', 'bravo']);
    expect(clients.unreachableNodes).toEqual(['node-x']);
    expect((await client.listSharedGroups()).unreachableNodes).toEqual(['node-x']);
    expect((await client.setLogLevel({ level: 'debug' })).unreachableNodes).toEqual(['node-x']);
  });

  test('a session found elsewhere is returned; a missing one says who did not answer', async () => {
    const res = await client.getSession('bravo');
    expect(res.session!.nodeId).toBe('node-b');
    expect(res.unreachableNodes).toEqual(['node-x']);
    await expectStatus(client.getSession('ghost'), GrpcStatus.NOT_FOUND, /node-x did not answer/);
  });

  test('Rebalance answers with the others and names the silent node', async () => {
    nodes[1]!.rebalanceMoves = 2;
    const started = Date.now();
    expect(await client.rebalance()).toEqual({
      results: [
        { nodeId: 'node-a', moved: 0 },
        { nodeId: 'node-b', moved: 2 },
      ],
      unreachableNodes: ['node-x'],
    });
    // rebalanceTimeoutMs is 250 in serve().
    expect(Date.now() - started).toBeLessThan(2000);
    await expectStatus(client.rebalance({ nodeId: 'node-x' }), GrpcStatus.UNAVAILABLE, /node 'node-x' did not answer/);
    expect(logger.lines.filter((l) => l.msg === 'admin_rebalance').map((l) => l.level)).toEqual(['info', 'warn']);
  });

  test('Rebalance names a node still moving clients when the wait runs out, this one included', async () => {
    nodes[0]!.rebalanceDelayMs = 1000;
    nodes[1]!.rebalanceDelayMs = 1000;
    expect(await client.rebalance()).toEqual({ results: [], unreachableNodes: ['node-a', 'node-b', 'node-x'] });
    await expectStatus(client.rebalance({ nodeId: 'node-a' }), GrpcStatus.UNAVAILABLE, /node 'node-a' did not answer/);
    nodes[0]!.rebalanceDelayMs = 0;
    nodes[0]!.rebalanceMoves = 5;
    expect(await client.rebalance({ nodeId: 'node-a' })).toEqual({
      results: [{ nodeId: 'node-a', moved: 5 }],
      unreachableNodes: [],
    });
  });

  test('calls naming the silent node fail with UNAVAILABLE', async () => {
    await expectStatus(client.drainNode({ nodeId: 'node-x' }), GrpcStatus.UNAVAILABLE, /node 'node-x' did not answer/);
    await expectStatus(client.listClients({ nodeId: 'node-x' }), GrpcStatus.UNAVAILABLE);
    await expectStatus(client.setLogLevel({ level: 'info', nodeId: 'node-x' }), GrpcStatus.UNAVAILABLE);
  });
});
