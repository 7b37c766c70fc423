import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from './fixtures/ports';
import { ManagedProcess } from './fixtures/process';
import type { ProcessExit } from './fixtures/process';

/** The built `flockmq` executable of this repository (`pnpm build` makes it). */
const FLOCKMQ_BIN = join(__dirname, '..', '..', 'server', 'bin', 'flockmq.js');

export interface FlockNodeOptions {
  nodeId: string;
  redis: string;
  nats: string | string[];
  /** Extra `flockmq start` flags, e.g. ['--max-inflight', '10']. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** start() resolves once a log line matches (default: the node is listening). */
  readyLine?: RegExp;
  /** Fixed ports (e.g. known to a load balancer before the node starts). Default: free ones. */
  ports?: { mqtt: number; http: number; admin: number };
}

/** One FlockMQ node running as its own process, as a Deployment would run it. */
export class FlockNode {
  readonly nodeId: string;
  readonly port: number;
  readonly url: string;
  /** /metrics, /healthz, /readyz. */
  readonly httpPort: number;
  /** The gRPC admin API, as `flockmq ctl --server` takes it: `127.0.0.1:PORT`. */
  readonly adminAddress: string;
  private constructor(
    private readonly process: ManagedProcess,
    nodeId: string,
    ports: { mqtt: number; http: number; admin: number },
  ) {
    this.nodeId = nodeId;
    this.port = ports.mqtt;
    this.url = `mqtt://127.0.0.1:${ports.mqtt}`;
    this.httpPort = ports.http;
    this.adminAddress = `127.0.0.1:${ports.admin}`;
  }

  /** GETs a path of the operations port: status code and body. */
  async http(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    return { status: response.status, body: await response.text() };
  }

  static async start(options: FlockNodeOptions): Promise<FlockNode> {
    if (!existsSync(join(FLOCKMQ_BIN, '..', '..', 'dist', 'cli.js'))) {
      throw new Error('the flockmq executable is not built: run `pnpm build` first (`pnpm test` does)');
    }
    const [port, httpPort, adminPort] = options.ports
      ? [options.ports.mqtt, options.ports.http, options.ports.admin]
      : ((await freePorts(3)) as [number, number, number]);
    const nats = Array.isArray(options.nats) ? options.nats.join(',') : options.nats;
    const managed = await ManagedProcess.start({
      name: `flockmq ${options.nodeId}`,
      command: process.execPath,
      args: [
        FLOCKMQ_BIN,
        'start',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--ws-port',
        'off',
        '--http-port',
        String(httpPort),
        '--admin-port',
        String(adminPort),
        '--node-id',
        options.nodeId,
        '--redis',
        options.redis,
        '--nats',
        nats,
        ...(options.args ?? []),
      ],
      env: { ...process.env, FLOCKMQ_LOG_LEVEL: process.env.FLOCKMQ_TEST_LOG_LEVEL ?? 'info', ...options.env },
      ready: { line: options.readyLine ?? /"msg":"listening"/ },
      startTimeoutMs: 20_000,
      stopTimeoutMs: 30_000,
    });
    return new FlockNode(managed, options.nodeId, { mqtt: port, http: httpPort, admin: adminPort });
  }

  get running(): boolean {
    return this.process.running;
  }

  get exited(): Promise<ProcessExit> {
    return this.process.exited;
  }

  /** Recent log lines, for failure messages. */
  output(): string[] {
    return this.process.recentOutput();
  }

  /** Resolves with the next log line that matches (attach it before causing the line). */
  waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return this.process.waitForLine(pattern, timeoutMs);
  }

  /** Graceful stop: SIGTERM, waiting for the node to drain and exit. */
  async stop(): Promise<ProcessExit | undefined> {
    return this.process.stop();
  }

  /** A crash: SIGKILL. */
  async kill(): Promise<ProcessExit | undefined> {
    return this.process.kill();
  }

  /** Starts it again on the same port with the same node id. */
  restart(): Promise<void> {
    return this.process.restart();
  }
}

export interface FlockOptions {
  nodes: number;
  redis: string;
  nats: string | string[];
  /** Node ids are `${prefix}-1`, `${prefix}-2`, … */
  prefix?: string;
  args?: string[];
}

/** N FlockMQ nodes over one Redis and one NATS, started in parallel. */
export class Flock implements AsyncDisposable {
  private constructor(readonly nodes: FlockNode[]) {}

  static async start(options: FlockOptions): Promise<Flock> {
    const prefix = options.prefix ?? `node-${process.pid}`;
    const started = await Promise.allSettled(
      Array.from({ length: options.nodes }, (_, i) =>
        FlockNode.start({
          nodeId: `${prefix}-${i + 1}`,
          redis: options.redis,
          nats: options.nats,
          ...(options.args && { args: options.args }),
        }),
      ),
    );
    const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.allSettled(nodes.map((n) => n.kill()));
      throw failed.reason;
    }
    return new Flock(nodes);
  }

  node(index: number): FlockNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index} in a flock of ${this.nodes.length}`);
    return node;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.nodes.map((node) => (node.running ? node.kill() : Promise.resolve())));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
