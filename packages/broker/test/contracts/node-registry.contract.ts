import type { NodeRegistry } from '../../src/backends/cluster-bus';

/** The behaviour every NodeRegistry must have. `advance` moves the registry's clock (or waits). */
export function describeNodeRegistryContract(
  name: string,
  create: () => Promise<{ registry: NodeRegistry; advance(ms: number): Promise<void> }>,
  teardown?: (registry: NodeRegistry) => Promise<void>,
): void {
  describe(`NodeRegistry contract (${name})`, () => {
    let registry: NodeRegistry;
    let advance: (ms: number) => Promise<void>;
    let n = 0;
    let prefix: string;
    beforeEach(async () => {
      ({ registry, advance } = await create());
      prefix = `node-${process.pid}-${Date.now()}-${n++}`;
    });
    afterEach(async () => {
      await teardown?.(registry);
    });
    const ids = async (): Promise<string[]> =>
      (await registry.alive())
        .map((node) => node.nodeId)
        .filter((id) => id.startsWith(prefix))
        .sort();

    test('node registry - a heartbeat makes a node alive with its info', async () => {
      await registry.heartbeat({ nodeId: `${prefix}-a`, startedAt: 5, version: '1.2.3' }, 10_000);
      const alive = (await registry.alive()).find((node) => node.nodeId === `${prefix}-a`);
      expect(alive).toEqual({ nodeId: `${prefix}-a`, startedAt: 5, version: '1.2.3' });
    });

    test('node registry - a lease that is not renewed expires', async () => {
      await registry.heartbeat({ nodeId: `${prefix}-a`, startedAt: 1, version: 'v' }, 200);
      await registry.heartbeat({ nodeId: `${prefix}-b`, startedAt: 1, version: 'v' }, 60_000);
      await advance(400);
      expect(await ids()).toEqual([`${prefix}-b`]);
    });

    test('node registry - leave removes a node at once', async () => {
      await registry.heartbeat({ nodeId: `${prefix}-a`, startedAt: 1, version: 'v' }, 60_000);
      await registry.leave(`${prefix}-a`);
      expect(await ids()).toEqual([]);
    });

    test('node registry - exactly one node wins the clean-up of a dead node until the claim expires', async () => {
      const dead = `${prefix}-dead`;
      const results = await Promise.all([
        registry.claimCleanup(dead, `${prefix}-a`, 300),
        registry.claimCleanup(dead, `${prefix}-b`, 300),
        registry.claimCleanup(dead, `${prefix}-c`, 300),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      await advance(600);
      expect(await registry.claimCleanup(dead, `${prefix}-b`, 300)).toBe(true);
    });

    test('node registry - a node that starts again clears the clean-up claim on its id', async () => {
      const node = `${prefix}-reborn`;
      expect(await registry.claimCleanup(node, `${prefix}-a`, 60_000)).toBe(true);
      expect(await registry.claimCleanup(node, `${prefix}-b`, 60_000)).toBe(false);
      await registry.clearCleanup(node);
      // Its next death can be cleaned up at once.
      expect(await registry.claimCleanup(node, `${prefix}-b`, 60_000)).toBe(true);
    });
  });
}
