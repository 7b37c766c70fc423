import type { ClusterBus } from '@flockmq/broker';
import { describeClusterBusContract } from '../../broker/test/contracts/cluster-bus.contract';
import { MemoryBusHub } from '../src/memory-bus';

function hubOf(options: { wire?: boolean }) {
  return async () => {
    const hub = new MemoryBusHub(options);
    const buses: ClusterBus[] = [];
    return {
      bus(nodeId: string): ClusterBus {
        const bus = hub.bus(nodeId);
        buses.push(bus);
        return bus;
      },
      close: async () => {
        await Promise.all(buses.map((bus) => bus.close()));
      },
    };
  };
}

describeClusterBusContract('memory, through the codec', hubOf({ wire: true }));
describeClusterBusContract('memory, objects', hubOf({ wire: false }));

describe('memory bus', () => {
  const noop = {
    forward: () => undefined,
    routes: () => undefined,
    control: async () => ({ ok: true }),
    nodeUp: () => undefined,
    nodeDown: () => undefined,
  };

  test('memory bus - a crashed node is down for the others and its pending forwards fail', async () => {
    const hub = new MemoryBusHub();
    const a = hub.bus('a');
    const b = hub.bus('b');
    const downs: string[] = [];
    await a.start({ ...noop, nodeDown: (id) => downs.push(id) });
    await b.start(noop);
    const pending = a.forward('b', { message: messageOf('x'), sharedGroup: undefined }, true);
    hub.crash('a');
    await expect(pending).rejects.toMatchObject({ code: 'FLOCK_ERR_FORWARD_FAILED' });
    expect(hub.nodes()).toEqual(['b']);
    expect(b.peers().size).toBe(0);
    expect(a.connected).toBe(false);
    await b.close();
    expect(downs).toEqual([]);
  });

  test('memory bus - a node id can be on a hub only once at a time', async () => {
    const hub = new MemoryBusHub();
    const first = hub.bus('a');
    await first.start(noop);
    await expect(hub.bus('a').start(noop)).rejects.toMatchObject({ code: 'FLOCK_ERR_CONFIG_INVALID' });
    await first.close();
    const again = hub.bus('a');
    await again.start(noop);
    await again.close();
  });

  test('memory bus - counts frames and bytes per kind through the codec', async () => {
    const hub = new MemoryBusHub();
    const a = hub.bus('a');
    const b = hub.bus('b');
    await a.start(noop);
    await b.start(noop);
    await Promise.all(
      [1, 2, 3].map((i) => a.forward('b', { message: messageOf(`t/${i}`), sharedGroup: undefined }, true)),
    );
    expect(a.stats.sent.forward).toMatchObject({ frames: 1, items: 3 });
    expect(a.stats.sent.forward.bytes).toBeGreaterThan(0);
    expect(b.stats.received.forward).toEqual(a.stats.sent.forward);
    await Promise.all([a.close(), b.close()]);
  });
});

function messageOf(topic: string) {
  return {
    topic,
    payload: Buffer.from('p'),
    qos: 1 as const,
    retain: false,
    properties: undefined,
    expiresAt: undefined,
    origin: 'o',
    receivedAt: 1,
  };
}
