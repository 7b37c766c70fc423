import { MemoryRetainStore } from '../src/backends/memory-retain-store';
import { MemoryRouteRegistry } from '../src/backends/memory-route-registry';
import { MemorySessionStore } from '../src/backends/memory-session-store';
import { describeRetainStoreContract } from './contracts/retain-store.contract';
import { describeRouteRegistryContract } from './contracts/route-registry.contract';
import { describeSessionStoreContract } from './contracts/session-store.contract';

describeSessionStoreContract('memory', () => new MemorySessionStore());
describeRetainStoreContract('memory', () => new MemoryRetainStore());
describeRouteRegistryContract('memory', () => new MemoryRouteRegistry());
