import type { RetainStore } from '../../src/backends/retain-store';
import { message } from './fixtures';

export function describeRetainStoreContract(
  name: string,
  create: () => Promise<RetainStore> | RetainStore,
  teardown?: (store: RetainStore) => Promise<void>,
): void {
  describe(`RetainStore contract (${name})`, () => {
    let store: RetainStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await teardown?.(store);
    });

    const topics = async (filter: string): Promise<string[]> => (await store.match(filter)).map((m) => m.topic).sort();

    test('retain store - put stores one message per topic and replaces it [MQTT-3.3.1-5]', async () => {
      await store.put(message('a/b', 'one'));
      await store.put(message('a/b', 'two'));
      expect((await store.get('a/b'))!.payload.toString()).toBe('two');
      expect(await store.size()).toBe(1);
    });

    test('retain store - an empty payload clears the retained message [MQTT-3.3.1-6]', async () => {
      await store.put(message('a/b', 'one'));
      await store.put(message('a/b', ''));
      expect(await store.get('a/b')).toBeUndefined();
      expect(await store.size()).toBe(0);
    });

    test('retain store - match finds topics by exact filter, + and #', async () => {
      for (const t of ['a', 'a/b', 'a/c', 'a/b/c', 'x/b', '/a', 'a//b']) await store.put(message(t));
      expect(await topics('a/b')).toEqual(['a/b']);
      expect(await topics('a/+')).toEqual(['a/b', 'a/c']);
      expect(await topics('+/b')).toEqual(['a/b', 'x/b']);
      expect(await topics('a/#')).toEqual(['a', 'a//b', 'a/b', 'a/b/c', 'a/c']);
      expect(await topics('+/+/b')).toEqual(['a//b']);
      expect(await topics('#')).toEqual(['/a', 'a', 'a//b', 'a/b', 'a/b/c', 'a/c', 'x/b']);
    });

    test('retain store - [MQTT-4.7.2-1] leading wildcards do not match $ topics', async () => {
      await store.put(message('$SYS/uptime'));
      await store.put(message('plain'));
      expect(await topics('#')).toEqual(['plain']);
      expect(await topics('+/uptime')).toEqual([]);
      expect(await topics('$SYS/#')).toEqual(['$SYS/uptime']);
      expect(await topics('$SYS/+')).toEqual(['$SYS/uptime']);
    });

    test('retain store - delete removes one topic and leaves its neighbours', async () => {
      await store.put(message('a/b'));
      await store.put(message('a/b/c'));
      expect(await store.delete('a/b')).toBe(true);
      expect(await store.delete('a/b')).toBe(false);
      expect(await topics('#')).toEqual(['a/b/c']);
      expect(await store.size()).toBe(1);
    });

    test('retain store - the stored message keeps qos, properties and expiry', async () => {
      const m = message('p', 'body', {
        qos: 2,
        properties: { contentType: 'c', userProperties: [['k', 'v']] },
        expiresAt: 5000,
      });
      await store.put(m);
      const got = (await store.get('p'))!;
      expect(got.qos).toBe(2);
      expect(got.properties).toEqual(m.properties);
      expect(got.expiresAt).toBe(5000);
    });
  });
}
