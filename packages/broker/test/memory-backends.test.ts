import { MemoryRetainStore } from '../src/backends/memory-retain-store';
import { MemoryRouteRegistry } from '../src/backends/memory-route-registry';
import { MemoryNodeRegistry } from '../src/backends/memory-node-registry';
import { MemorySessionStore } from '../src/backends/memory-session-store';
import { describeNodeRegistryContract } from './contracts/node-registry.contract';
import { describeRetainStoreContract } from './contracts/retain-store.contract';
import { describeRouteRegistryContract } from './contracts/route-registry.contract';
import { describeSessionStoreContract } from './contracts/session-store.contract';

describeSessionStoreContract('memory', () => new MemorySessionStore());
describeRetainStoreContract('memory', () => new MemoryRetainStore());
describeRouteRegistryContract('memory', () => new MemoryRouteRegistry());

describeNodeRegistryContract('memory', async () => {
  let now = 1_000_000;
  const registry = new MemoryNodeRegistry({ now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined });
  return { registry, advance: async (ms) => void (now += ms) };
});
