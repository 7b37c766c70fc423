import { ReasonCode } from '@flockmq/protocol';
import type { Broker } from '../broker';
import type { ClusterBus } from '../backends/cluster-bus';
import { disconnectPaced } from '../drain';

export interface RebalanceOptions {
  /** Whether this node asks clients to move when it holds more than its share. */
  enabled: boolean;
  /** Percent over the flock's mean at which a node starts shedding clients. */
  thresholdPercent: number;
  /** …and at least this many clients over the mean (small flocks do not churn over a handful). */
  minExcess: number;
  /** Clients asked to move per second. */
  ratePerSecond: number;
  /** How often nodes tell each other their connection counts and decide. */
  intervalMs: number;
  /** Sent with 0x9C Use another server, when set (e.g. the load balancer's address). */
  serverReference?: string;
}

export const DEFAULT_REBALANCE: RebalanceOptions = {
  enabled: true,
  thresholdPercent: 10,
  minExcess: 50,
  ratePerSecond: 50,
  intervalMs: 10_000,
};

/**
 * How many clients a node holding `mine` connections should ask to move, given the other nodes'
 * counts: its excess over the mean, when that excess passes both thresholds; otherwise 0.
 */
export function clientsToShed(
  mine: number,
  others: readonly number[],
  options: Pick<RebalanceOptions, 'thresholdPercent' | 'minExcess'>,
): number {
  if (others.length === 0) return 0;
  const mean = (mine + others.reduce((sum, n) => sum + n, 0)) / (others.length + 1);
  const excess = mine - mean;
  if (excess < options.minExcess || excess <= (mean * options.thresholdPercent) / 100) return 0;
  return Math.floor(excess);
}

/**
 * Long-lived MQTT connections stay where they are when nodes are added; this moves them. Every
 * interval each node tells the others its connection count over the bus; a node over the mean
 * (by both thresholds) asks that many clients to move — MQTT 5: DISCONNECT 0x9C Use another
 * server; 3.1.1: close — at a bounded rate. They reconnect through the load balancer and resume
 * their sessions elsewhere by takeover (G2), losing nothing. Repeated rounds converge.
 */
export class Rebalancer {
  private readonly loads = new Map<string, { connections: number; at: number }>();
  private shedding: Promise<number> | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly bus: ClusterBus,
    readonly options: RebalanceOptions,
  ) {}

  /** Another node's count (from the bus). */
  onLoad(nodeId: string, connections: number): void {
    this.loads.set(nodeId, { connections, at: this.broker.clock.now() });
  }

  /** One interval: announce this node's count, then shed if it holds more than its share. */
  tick(): void {
    this.bus.broadcastLoad(this.broker.clientCount);
    if (this.options.enabled) void this.rebalance();
  }

  /** Sheds this node's excess now (also the admin command); resolves with how many were asked to move. */
  rebalance(): Promise<number> {
    if (this.shedding) return this.shedding;
    if (this.broker.draining) return Promise.resolve(0);
    const others = this.peerLoads();
    const mine = this.broker.clientCount;
    const count = clientsToShed(mine, others, this.options);
    if (count === 0) return Promise.resolve(0);
    this.broker.log.info({ connections: mine, peers: others, moving: count }, 'rebalance_started');
    const channels = [...this.broker.clients.values()].slice(-count);
    this.shedding = disconnectPaced(this.broker, channels, {
      ratePerSecond: this.options.ratePerSecond,
      reasonCode: ReasonCode.UseAnotherServer,
      reasonString: 'rebalancing: connect to another node',
      ...(this.options.serverReference !== undefined && { serverReference: this.options.serverReference }),
    })
      .then(() => {
        this.broker.stats.rebalanced += channels.length;
        this.broker.log.info({ moved: channels.length }, 'rebalance_done');
        return channels.length;
      })
      .finally(() => (this.shedding = undefined));
    return this.shedding;
  }

  /** Counts heard from live peers within the last three intervals. */
  private peerLoads(): number[] {
    const fresh = this.broker.clock.now() - 3 * this.options.intervalMs;
    const peers = this.bus.peers();
    const out: number[] = [];
    for (const [nodeId, load] of this.loads) {
      if (!peers.has(nodeId) || load.at < fresh) this.loads.delete(nodeId);
      else out.push(load.connections);
    }
    return out;
  }
}
