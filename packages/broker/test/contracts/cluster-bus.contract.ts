import type {
  ClusterBus,
  ClusterBusHandlers,
  ControlReply,
  ControlRequest,
  ForwardedMessage,
  RouteDelta,
} from '../../src/backends/cluster-bus';
import { message } from './fixtures';

/** Buses on one transport: in-memory hub, or NATS buses on one server or cluster. */
export interface ClusterBusHub {
  bus(nodeId: string): ClusterBus;
  /** Closes every bus it made (and anything else it started). */
  close(): Promise<void>;
}

/** A node's handlers, recording what arrives; each behaviour can be replaced per test. */
class Node implements ClusterBusHandlers {
  readonly forwards: Array<{ from: string; batch: ForwardedMessage[] }> = [];
  readonly routeCalls: Array<{ from: string; deltas: RouteDelta[] }> = [];
  readonly controls: Array<{ from: string; request: ControlRequest }> = [];
  readonly ups: string[] = [];
  readonly downs: string[] = [];
  readonly loads: Array<{ from: string; connections: number }> = [];
  onForward: (batch: ForwardedMessage[]) => Promise<void> | void = () => undefined;
  onControl: (request: ControlRequest) => Promise<ControlReply> = async () => ({ ok: true });

  constructor(
    readonly id: string,
    readonly bus: ClusterBus,
  ) {}

  forward(from: string, batch: ForwardedMessage[]): Promise<void> | void {
    this.forwards.push({ from, batch });
    return this.onForward(batch);
  }
  routes(from: string, deltas: RouteDelta[]): void {
    this.routeCalls.push({ from, deltas });
  }
  control(from: string, request: ControlRequest): Promise<ControlReply> {
    this.controls.push({ from, request });
    return this.onControl(request);
  }
  nodeUp(nodeId: string): void {
    this.ups.push(nodeId);
  }
  nodeDown(nodeId: string): void {
    this.downs.push(nodeId);
  }
  load(nodeId: string, connections: number): void {
    this.loads.push({ from: nodeId, connections });
  }

  /** Every forwarded message received, in arrival order. */
  get received(): ForwardedMessage[] {
    return this.forwards.flatMap((f) => f.batch);
  }
}

/** Polls a condition every turn until it holds, failing after a deadline: no sleeping. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

function forwarded(topic: string, overrides: Partial<ForwardedMessage> = {}): ForwardedMessage {
  return { message: message(topic, topic), sharedGroup: undefined, ...overrides };
}

const topics = (list: ForwardedMessage[]): string[] => list.map((f) => f.message.topic);

/**
 * The behaviour every ClusterBus must have. `createHub` gives buses on a fresh or shared
 * transport; node ids are unique per test, so buses of earlier tests cannot interfere.
 */
export function describeClusterBusContract(name: string, createHub: () => Promise<ClusterBusHub>): void {
  describe(`ClusterBus contract (${name})`, () => {
    let hub: ClusterBusHub;
    let run = 0;
    let prefix: string;

    beforeEach(async () => {
      hub = await createHub();
      prefix = `n${process.pid}-${run++}`;
    });
    afterEach(async () => {
      await hub.close();
    });

    async function startNode(letter: string): Promise<Node> {
      const id = `${prefix}-${letter}`;
      const node = new Node(id, hub.bus(id));
      await node.bus.start(node);
      return node;
    }

    /** Starts the nodes and waits until each sees all the others. */
    async function startNodes(...letters: string[]): Promise<Node[]> {
      const nodes: Node[] = [];
      for (const letter of letters) nodes.push(await startNode(letter));
      await waitFor(
        () => nodes.every((n) => nodes.every((other) => other === n || n.bus.peers().has(other.id))),
        'every node to see the others',
      );
      return nodes;
    }

    test('cluster bus - a forward reaches the target node only (G4)', async () => {
      const [a, b, c] = await startNodes('a', 'b', 'c');
      await a!.bus.forward(b!.id, forwarded('x/1'), true);
      expect(b!.forwards).toEqual([{ from: a!.id, batch: [forwarded('x/1')] }]);
      // A later forward to c is a barrier: anything misrouted to c would have arrived first.
      await a!.bus.forward(c!.id, forwarded('marker'), true);
      expect(topics(c!.received)).toEqual(['marker']);
      expect(a!.forwards).toEqual([]);
      expect(topics(b!.received)).toEqual(['x/1']);
    });

    test('cluster bus - a forwarded message arrives with every field intact', async () => {
      const [a, b] = await startNodes('a', 'b');
      const full = forwarded('a/b', {
        message: message('a/b', 'payload', {
          qos: 2,
          retain: true,
          origin: 'publisher-1',
          receivedAt: 1_700_000_000_123,
          expiresAt: 1_700_000_060_123,
          properties: {
            payloadFormatIndicator: 1,
            contentType: 'text/plain',
            responseTopic: 'reply/here',
            correlationData: Buffer.from([1, 2, 3]),
            userProperties: [
              ['k', 'v1'],
              ['k', 'v2'],
              ['other', ''],
            ],
          },
        }),
        sharedGroup: 'group/a/+',
        adoptedFrom: 'dead-node',
      });
      const plain = forwarded('plain', { message: message('plain', '', { qos: 0, origin: '' }) });
      await Promise.all([a!.bus.forward(b!.id, full, true), a!.bus.forward(b!.id, plain, true)]);
      expect(b!.received).toEqual([full, plain]);
    });

    test('cluster bus - messages forwarded in one turn arrive as one batch per target', async () => {
      const [a, b, c] = await startNodes('a', 'b', 'c');
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 30; i++) {
        waits.push(a!.bus.forward(b!.id, forwarded(`b/${i}`), i % 3 === 0));
        if (i < 20) waits.push(a!.bus.forward(c!.id, forwarded(`c/${i}`), i % 2 === 0));
      }
      await Promise.all(waits);
      await waitFor(() => b!.received.length === 30 && c!.received.length === 20, 'every message');
      expect(b!.forwards).toHaveLength(1);
      expect(c!.forwards).toHaveLength(1);
      expect(topics(b!.received)).toEqual(Array.from({ length: 30 }, (_, i) => `b/${i}`));
      expect(topics(c!.received)).toEqual(Array.from({ length: 20 }, (_, i) => `c/${i}`));
    });

    test('cluster bus - order within one target is preserved across batches', async () => {
      const [a, b] = await startNodes('a', 'b');
      const waits: Promise<void>[] = [];
      for (let turn = 0; turn < 5; turn++) {
        for (let i = 0; i < 20; i++) waits.push(a!.bus.forward(b!.id, forwarded(`t/${turn * 20 + i}`), i % 4 !== 1));
        await nextTurn();
      }
      await Promise.all(waits);
      await waitFor(() => b!.received.length === 100, 'every message');
      expect(topics(b!.received)).toEqual(Array.from({ length: 100 }, (_, i) => `t/${i}`));
      expect(b!.forwards.length).toBeGreaterThan(1);
    });

    test('cluster bus - an acknowledged forward resolves only once the handler has resolved', async () => {
      const [a, b] = await startNodes('a', 'b');
      let release!: () => void;
      b!.onForward = () => new Promise<void>((resolve) => (release = resolve));
      let settled = false;
      const done = a!.bus.forward(b!.id, forwarded('slow'), true).finally(() => (settled = true));
      await waitFor(() => b!.forwards.length === 1, 'the forward to arrive');
      // A round trip a → b → a: an acknowledgement sent too early would have come back by now.
      await a!.bus.request(b!.id, { type: 'routes' }, 5000);
      expect(settled).toBe(false);
      release();
      await done;
      expect(settled).toBe(true);
    });

    test('cluster bus - an acknowledged forward rejects when the handler rejects', async () => {
      const [a, b] = await startNodes('a', 'b');
      b!.onForward = () => Promise.reject(new Error('no room'));
      await expect(a!.bus.forward(b!.id, forwarded('x'), true)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FORWARD_FAILED',
      });
      b!.onForward = () => {
        throw new Error('thrown');
      };
      await expect(a!.bus.forward(b!.id, forwarded('y'), true)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FORWARD_FAILED',
      });
      // The bus keeps working afterwards.
      b!.onForward = () => undefined;
      await a!.bus.forward(b!.id, forwarded('z'), true);
      expect(topics(b!.received)).toEqual(['x', 'y', 'z']);
    });

    test('cluster bus - every acknowledged message of a batch settles with the batch', async () => {
      const [a, b] = await startNodes('a', 'b');
      let release!: () => void;
      b!.onForward = () => new Promise<void>((resolve) => (release = resolve));
      const settled: string[] = [];
      const waits = ['m1', 'm2', 'm3'].map((topic, i) =>
        a!.bus.forward(b!.id, forwarded(topic), i !== 1).then(() => settled.push(topic)),
      );
      await waitFor(() => b!.forwards.length === 1, 'the batch');
      await a!.bus.request(b!.id, { type: 'routes' }, 5000);
      expect(settled).toEqual(['m2']); // the unacknowledged one resolved at once
      release();
      await Promise.all(waits);
      expect(settled.sort()).toEqual(['m1', 'm2', 'm3']);
      expect(b!.forwards).toHaveLength(1);
    });

    test('cluster bus - an unacknowledged forward resolves at once', async () => {
      const [a, b] = await startNodes('a', 'b');
      b!.onForward = () => new Promise<void>(() => undefined); // never resolves
      await a!.bus.forward(b!.id, forwarded('qos0', { message: message('qos0', 'x', { qos: 0 }) }), false);
      await waitFor(() => b!.forwards.length === 1, 'the forward to arrive');
    });

    test('cluster bus - an acknowledged forward to a node that is not there rejects', async () => {
      const [a] = await startNodes('a');
      await expect(a!.bus.forward(`${prefix}-nobody`, forwarded('x'), true)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FORWARD_FAILED',
      });
    });

    test('cluster bus - a load announcement reaches every other node, not the sender', async () => {
      const [a, b, c] = await startNodes('a', 'b', 'c');
      a!.bus.broadcastLoad(1234);
      await waitFor(() => b!.loads.length === 1 && c!.loads.length === 1, 'the load');
      expect(b!.loads).toEqual([{ from: a!.id, connections: 1234 }]);
      expect(c!.loads).toEqual([{ from: a!.id, connections: 1234 }]);
      // A round trip from a: its own announcement would have reached it before the answer.
      await a!.bus.request(b!.id, { type: 'routes' }, 5000);
      expect(a!.loads).toEqual([]);
    });

    test('cluster bus - route deltas reach every other node, not the sender', async () => {
      const [a, b, c] = await startNodes('a', 'b', 'c');
      const first: RouteDelta[] = [
        { op: 'add', filter: 'x/+', nodeId: a!.id },
        { op: 'add', filter: '$share/g/y/#', nodeId: a!.id, members: 2 },
      ];
      const second: RouteDelta[] = [
        { op: 'remove', filter: 'x/+', nodeId: a!.id },
        { op: 'purge', filter: '', nodeId: `${prefix}-dead` },
      ];
      a!.bus.broadcastRoutes(first);
      a!.bus.broadcastRoutes(second);
      const expected = [
        { from: a!.id, deltas: first },
        { from: a!.id, deltas: second },
      ];
      await waitFor(() => b!.routeCalls.length === 2 && c!.routeCalls.length === 2, 'the deltas');
      expect(b!.routeCalls).toEqual(expected);
      expect(c!.routeCalls).toEqual(expected);
      // Round trips from a: its own broadcast would have reached it before these answers.
      await a!.bus.request(b!.id, { type: 'routes' }, 5000);
      await a!.bus.request(c!.id, { type: 'routes' }, 5000);
      expect(a!.routeCalls).toEqual([]);
    });

    test('cluster bus - a request gets the target node’s reply', async () => {
      const [a, b, c] = await startNodes('a', 'b', 'c');
      const reply: ControlReply = {
        ok: true,
        detail: 'done',
        routes: [{ op: 'add', filter: 'r/#', nodeId: b!.id, members: 1 }],
      };
      b!.onControl = async () => reply;
      const request: ControlRequest = { type: 'takeover', clientId: 'client-1', epoch: 42 };
      expect(await a!.bus.request(b!.id, request, 5000)).toEqual(reply);
      expect(b!.controls).toEqual([{ from: a!.id, request }]);
      expect(c!.controls).toEqual([]);
      expect(await c!.bus.request(b!.id, { type: 'routes' }, 5000)).toEqual(reply);
      expect(b!.controls[1]).toEqual({ from: c!.id, request: { type: 'routes' } });
    });

    test('cluster bus - a control handler that fails answers not ok', async () => {
      const [a, b] = await startNodes('a', 'b');
      b!.onControl = () => Promise.reject(new Error('cannot'));
      const reply = await a!.bus.request(b!.id, { type: 'takeover', clientId: 'c', epoch: 1 }, 5000);
      expect(reply.ok).toBe(false);
      expect(reply.detail).toContain('cannot');
    });

    test('cluster bus - a request to a node that is not there rejects, at the latest after its timeout', async () => {
      const [a] = await startNodes('a');
      await expect(a!.bus.request(`${prefix}-nobody`, { type: 'routes' }, 300)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FORWARD_FAILED',
      });
    });

    test('cluster bus - nodes see each other come up', async () => {
      const a = await startNode('a');
      expect(a.bus.connected).toBe(true);
      expect(a.bus.peers().size).toBe(0);
      const b = await startNode('b');
      await waitFor(() => a.bus.peers().has(b.id) && b.bus.peers().has(a.id), 'a and b to see each other');
      await waitFor(() => a.ups.includes(b.id) && b.ups.includes(a.id), 'nodeUp on both');
      expect(a.bus.peers().has(a.id)).toBe(false);
      expect([...a.bus.peers()]).toEqual([b.id]);
      expect(a.ups).toEqual([b.id]);
      expect(b.ups).toEqual([a.id]);
    });

    test('cluster bus - a node knows the running nodes once its start has resolved', async () => {
      const [a, b] = await startNodes('a', 'b');
      const c = await startNode('c');
      expect(new Set(c.bus.peers())).toEqual(new Set([a!.id, b!.id]));
      await waitFor(() => a!.bus.peers().has(c.id) && b!.bus.peers().has(c.id), 'the others to see c');
    });

    test('cluster bus - a node that closes goes down for the others', async () => {
      const [a, b, c] = await startNodes('a', 'b', 'c');
      await b!.bus.close();
      expect(b!.bus.connected).toBe(false);
      await waitFor(() => !a!.bus.peers().has(b!.id) && !c!.bus.peers().has(b!.id), 'b to be gone');
      await waitFor(() => a!.downs.includes(b!.id) && c!.downs.includes(b!.id), 'nodeDown for b');
      expect(a!.downs).toEqual([b!.id]);
      expect([...a!.bus.peers()]).toEqual([c!.id]);
      await expect(a!.bus.forward(b!.id, forwarded('late'), true)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FORWARD_FAILED',
      });
    });

    test('cluster bus - a closed bus neither forwards nor broadcasts', async () => {
      const [a, b] = await startNodes('a', 'b');
      await a!.bus.close();
      await expect(a!.bus.forward(b!.id, forwarded('x'), true)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FORWARD_FAILED',
      });
      await a!.bus.forward(b!.id, forwarded('y'), false); // QoS 0: dropped, resolves
      a!.bus.broadcastRoutes([{ op: 'add', filter: 'z', nodeId: a!.id }]);
      await a!.bus.close(); // closing twice is fine
      const c = await startNode('c');
      await waitFor(() => c.bus.peers().has(b!.id), 'c to see b');
      await c.bus.request(b!.id, { type: 'routes' }, 5000);
      expect(b!.forwards).toEqual([]);
      expect(b!.routeCalls).toEqual([]);
    });
  });
}
