import type { Clock } from '../clock';
import { systemClock } from '../clock';
import type { NodeInfo, NodeRegistry } from './cluster-bus';

/** NodeRegistry for nodes of one process (tests of cluster logic without Redis). */
export class MemoryNodeRegistry implements NodeRegistry {
  private readonly leases = new Map<string, { info: NodeInfo; expiresAt: number }>();
  private readonly cleanups = new Map<string, number>();

  constructor(private readonly clock: Clock = systemClock) {}

  async heartbeat(info: NodeInfo, leaseMs: number): Promise<void> {
    this.leases.set(info.nodeId, { info: { ...info }, expiresAt: this.clock.now() + leaseMs });
  }

  async leave(nodeId: string): Promise<void> {
    this.leases.delete(nodeId);
  }

  async alive(): Promise<NodeInfo[]> {
    const now = this.clock.now();
    return [...this.leases.values()].filter((lease) => lease.expiresAt > now).map((lease) => ({ ...lease.info }));
  }

  async clearCleanup(nodeId: string): Promise<void> {
    this.cleanups.delete(nodeId);
  }

  async claimCleanup(deadNodeId: string, _byNodeId: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const held = this.cleanups.get(deadNodeId);
    if (held !== undefined && held > now) return false;
    this.cleanups.set(deadNodeId, now + ttlMs);
    return true;
  }
}
