import type { RouteRegistry } from '../../src/backends/route-registry';

export function describeRouteRegistryContract(
  name: string,
  create: () => Promise<RouteRegistry> | RouteRegistry,
  teardown?: (registry: RouteRegistry) => Promise<void>,
): void {
  describe(`RouteRegistry contract (${name})`, () => {
    let registry: RouteRegistry;
    beforeEach(async () => {
      registry = await create();
    });
    afterEach(async () => {
      await teardown?.(registry);
    });

    const nodes = async (topic: string): Promise<string[]> => (await registry.match(topic)).sort();

    test('route registry - match returns each node with a matching route once', async () => {
      await registry.add('a/+', 'n1');
      await registry.add('a/#', 'n1');
      await registry.add('a/b', 'n2');
      await registry.add('x/#', 'n3');
      expect(await nodes('a/b')).toEqual(['n1', 'n2']);
      expect(await nodes('x')).toEqual(['n3']);
      expect(await nodes('q')).toEqual([]);
    });

    test('route registry - shared routes match by their inner filter', async () => {
      await registry.add('$share/g/a/+', 'n1');
      expect(await nodes('a/b')).toEqual(['n1']);
      const snapshot = await registry.snapshot();
      expect([...snapshot.keys()]).toEqual(['$share/g/a/+']);
    });

    test('route registry - $ topics are not matched by leading wildcards [MQTT-4.7.2-1]', async () => {
      await registry.add('#', 'n1');
      await registry.add('$SYS/#', 'n2');
      expect(await nodes('$SYS/x')).toEqual(['n2']);
    });

    test('route registry - remove takes one node off a filter; the others stay', async () => {
      await registry.add('a/b', 'n1');
      await registry.add('a/b', 'n2');
      await registry.remove('a/b', 'n1');
      expect(await nodes('a/b')).toEqual(['n2']);
      await registry.remove('a/b', 'n2');
      expect(await nodes('a/b')).toEqual([]);
      expect((await registry.snapshot()).size).toBe(0);
    });

    test('route registry - adding a route twice is the same as once', async () => {
      await registry.add('a', 'n1');
      await registry.add('a', 'n1');
      await registry.remove('a', 'n1');
      expect(await nodes('a')).toEqual([]);
    });

    test('route registry - purgeNode removes every route of one node', async () => {
      await registry.add('a', 'n1');
      await registry.add('b/#', 'n1');
      await registry.add('b/#', 'n2');
      expect(await registry.purgeNode('n1')).toBe(2);
      expect(await nodes('a')).toEqual([]);
      expect(await nodes('b/c')).toEqual(['n2']);
    });
  });
}
