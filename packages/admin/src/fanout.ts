/**
 * Asking the whole cluster: this node through `answerPeer` directly, every other node through the
 * PeerLink, all in parallel. A peer that fails or does not answer in time is reported as
 * unreachable instead of failing the call: a cluster-wide view with one node missing is still
 * what an operator needs at 3 am.
 */
import type { NodeAdmin, PeerLink } from './node-admin';
import { answerPeer, type PeerArgs, type PeerMethod } from './peer';
import { errorMessage, notFound, unavailable } from './errors';

export const DEFAULT_PEER_TIMEOUT_MS = 2000;

/**
 * How long a Rebalance waits for each node, this one included: a node answers once the clients it
 * asked to move have gone, which at the default --rebalance-rate of 50/s covers 1,500 clients.
 */
export const DEFAULT_REBALANCE_TIMEOUT_MS = 30_000;

/**
 * `timeoutMs` replaces the peer timeout for one call and also bounds this node's own answer: a
 * node (this one included) that has not answered by then is reported as not answering.
 */
export interface AskOptions {
  timeoutMs?: number;
}

export interface AdminLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface NodeAnswer {
  nodeId: string;
  value: unknown;
}

export interface Gathered {
  /** In node id order. */
  answers: NodeAnswer[];
  /** Sorted. */
  unreachable: string[];
}

class PeerTimeout extends Error {}

/** Rejects after `ms` even if the PeerLink never settles (a link bug must not hang the call). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PeerTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class ClusterAsker {
  constructor(
    private readonly node: NodeAdmin,
    private readonly peers: PeerLink | undefined,
    private readonly timeoutMs: number,
    private readonly logger: AdminLogger | undefined,
  ) {}

  get selfId(): string {
    return this.node.nodeId;
  }

  /** The other nodes, without this one even if the link lists it. */
  peerIds(): string[] {
    const ids = new Set(this.peers?.peers() ?? []);
    ids.delete(this.node.nodeId);
    return [...ids].sort();
  }

  /** Runs a method on this node; its errors are the call's errors. */
  local<M extends PeerMethod>(method: M, args: PeerArgs[M]): Promise<unknown> {
    return answerPeer(this.node, method, args);
  }

  /** This node's answer, bounded when `timeoutMs` is set (a timeout rejects with PeerTimeout). */
  private bounded<M extends PeerMethod>(method: M, args: PeerArgs[M], options: AskOptions): Promise<unknown> {
    const answer = this.local(method, args);
    return options.timeoutMs === undefined ? answer : withTimeout(answer, options.timeoutMs);
  }

  private async remote<M extends PeerMethod>(
    nodeId: string,
    method: M,
    args: PeerArgs[M],
    options: AskOptions,
  ): Promise<unknown> {
    const link = this.peers;
    if (link === undefined) throw new Error('no peer link');
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return withTimeout(link.ask(nodeId, method, args, timeoutMs), timeoutMs);
  }

  /**
   * Runs a method on every node. `accept` checks a peer's answer has the expected shape. This
   * node's errors are the call's errors, except running out of `options.timeoutMs`: then it is
   * reported as not answering, like a peer.
   */
  async all<M extends PeerMethod>(
    method: M,
    args: PeerArgs[M],
    accept: (value: unknown) => boolean,
    options: AskOptions = {},
  ): Promise<Gathered> {
    const peerIds = this.peerIds();
    const [localResult, ...peerResults] = await Promise.all([
      this.bounded(method, args, options).then(
        (value) => ({ ok: true as const, value }),
        (err: unknown) => {
          if (err instanceof PeerTimeout) return { ok: false as const, reason: err.message };
          throw err;
        },
      ),
      ...peerIds.map((nodeId) =>
        this.remote(nodeId, method, args, options).then(
          (value) => ({ ok: true as const, value }),
          (err: unknown) => ({ ok: false as const, reason: errorMessage(err) }),
        ),
      ),
    ]);
    const answers: NodeAnswer[] = [];
    const unreachable: string[] = [];
    if (localResult.ok) {
      answers.push({ nodeId: this.node.nodeId, value: localResult.value });
    } else {
      this.logger?.warn({ node: this.node.nodeId, method, reason: localResult.reason }, 'admin_peer_unreachable');
      unreachable.push(this.node.nodeId);
    }
    peerResults.forEach((result, index) => {
      const nodeId = peerIds[index]!;
      if (result.ok && accept(result.value)) {
        answers.push({ nodeId, value: result.value });
        return;
      }
      const reason = result.ok ? 'unexpected answer (different FlockMQ version?)' : result.reason;
      this.logger?.warn({ node: nodeId, method, reason }, 'admin_peer_unreachable');
      unreachable.push(nodeId);
    });
    answers.sort((x, y) => (x.nodeId < y.nodeId ? -1 : x.nodeId > y.nodeId ? 1 : 0));
    unreachable.sort();
    return { answers, unreachable };
  }

  /**
   * Runs a method on one named node: NOT_FOUND if the cluster does not know it, UNAVAILABLE if it
   * does not answer (this node too, when it runs out of `options.timeoutMs`).
   */
  async one<M extends PeerMethod>(
    nodeId: string,
    method: M,
    args: PeerArgs[M],
    options: AskOptions = {},
  ): Promise<unknown> {
    if (nodeId === '' || nodeId === this.node.nodeId) {
      try {
        return await this.bounded(method, args, options);
      } catch (err) {
        if (!(err instanceof PeerTimeout)) throw err;
        this.logger?.warn({ node: this.node.nodeId, method, reason: err.message }, 'admin_peer_unreachable');
        throw unavailable(`node '${this.node.nodeId}' did not answer: ${err.message}`);
      }
    }
    if (!this.peerIds().includes(nodeId)) {
      throw notFound(`no node '${nodeId}' in the cluster (known: ${[this.node.nodeId, ...this.peerIds()].join(', ')})`);
    }
    try {
      return await this.remote(nodeId, method, args, options);
    } catch (err) {
      this.logger?.warn({ node: nodeId, method, reason: errorMessage(err) }, 'admin_peer_unreachable');
      throw unavailable(`node '${nodeId}' did not answer: ${errorMessage(err)}`);
    }
  }
}
