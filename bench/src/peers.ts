/**
 * The MQTT brokers the benchmark compares, each started on free loopback ports and stopped
 * again: Mosquitto, nats-server's MQTT listener, Aedes (alone, and two processes over Redis)
 * and FlockMQ (the embedded single node, and flocks of 2 and 3 nodes over Redis and NATS).
 *
 * Every process of a broker is pinned with taskset to the CPUs asked for (all CPUs when none
 * are given, explicitly, so a pinned parent does not pass its own mask on). Limits are the
 * same everywhere they can be set: 128 in-flight and 10000 queued messages per session
 * (FlockMQ's defaults).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus as cpuInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ManagedProcess,
  findExecutable,
  freePorts,
  makeTempDir,
  redisServerArgs,
  removeTempDir,
} from '@flockmq/testkit';
import type { ManagedProcessOptions } from '@flockmq/testkit';

export interface Endpoint {
  host: string;
  port: number;
}

export type PeerName = 'mosquitto' | 'nats' | 'aedes' | 'aedes-redis' | 'flockmq' | 'flockmq-2' | 'flockmq-3';

export interface PeerOptions {
  /** CPU list for taskset (e.g. '0'); every process of the broker (nodes, Redis, NATS) is pinned to it. Undefined: allowed on all CPUs ('0-N'). */
  cpus?: string;
}

export interface RunningPeer {
  name: PeerName;
  /** Human label for tables, with the versions read from the binaries and packages. */
  label: string;
  /** One MQTT/TCP endpoint per broker node (2 for aedes-redis and flockmq-2, 3 for flockmq-3). */
  endpoints: Endpoint[];
  /** The broker node processes. */
  nodePids: number[];
  /** Every process that makes up the broker: nodes plus the Redis/NATS servers it needs. */
  allPids: number[];
  /** FlockMQ only: each node's operations port base URL, e.g. http://127.0.0.1:PORT (serves /metrics). */
  metricsUrls?: string[];
  /** Redis port when the peer uses one (aedes-redis, flockmq-2/3), for INFO stats. */
  redisPort?: number;
  /** NATS monitoring base URL (http://127.0.0.1:PORT) when the peer uses/is NATS. */
  natsMonitorUrl?: string;
  /** Whether MQTT 5 is supported. */
  mqtt5: boolean;
  stop(): Promise<void>;
}

export const PEER_NAMES: PeerName[] = [
  'mosquitto',
  'nats',
  'aedes',
  'aedes-redis',
  'flockmq',
  'flockmq-2',
  'flockmq-3',
];

const HOST = '127.0.0.1';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const AEDES_SCRIPT = join(REPO, 'bench', 'peers', 'aedes.js');
const FLOCKMQ_BIN = join(REPO, 'packages', 'server', 'bin', 'flockmq.js');
/** The Node.js flags the `flockmq` bin's shebang (and the image's ENTRYPOINT) give node: FlockMQ as shipped. */
const FLOCKMQ_NODE_FLAGS = readFileSync(FLOCKMQ_BIN, 'utf8')
  .split('\n')[0]!
  .replace(/^#!\/usr\/bin\/env -S node ?/, '')
  .split(' ')
  .filter((flag) => flag.startsWith('--'));
/** The same per-session limits for every broker that has them (FlockMQ's defaults). */
const MAX_INFLIGHT = 128;
const MAX_QUEUED = 10_000;
const START_TIMEOUT_MS = 30_000;
/** SIGTERM, then SIGKILL after this long. */
const STOP_TIMEOUT_MS = 3000;

const execFileAsync = promisify(execFile);

function need(name: string, debianPackage: string): string {
  const path = findExecutable(name);
  if (!path) throw new Error(`${name} not found: install the Debian package ${debianPackage}`);
  return path;
}

/** First line of a program's output (stdout, else stderr), whatever its exit code. */
function programOutput(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
}

const versionCache = new Map<string, string>();

function cachedVersion(key: string, read: () => string): string {
  let version = versionCache.get(key);
  if (version === undefined) {
    try {
      version = read();
    } catch {
      version = '?';
    }
    versionCache.set(key, version);
  }
  return version;
}

function packageVersion(path: string): string {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { version?: string };
  return parsed.version ?? '?';
}

const versions = {
  mosquitto: (path: string): string =>
    cachedVersion('mosquitto', () => /mosquitto version (\S+)/.exec(programOutput(path, ['-h']))?.[1] ?? '?'),
  nats: (path: string): string =>
    cachedVersion('nats', () => /nats-server:? v?(\S+)/.exec(programOutput(path, ['--version']))?.[1] ?? '?'),
  redis: (path: string): string =>
    cachedVersion('redis', () => /v=(\S+)/.exec(programOutput(path, ['--version']))?.[1] ?? '?'),
  aedes: (): string =>
    cachedVersion('aedes', () => packageVersion(join(REPO, 'bench', 'node_modules', 'aedes', 'package.json'))),
  flockmq: (): string =>
    cachedVersion('flockmq', () => packageVersion(join(REPO, 'packages', 'server', 'package.json'))),
};

/**
 * Every CPU this container may use, as a taskset list. Not os.availableParallelism(): that
 * counts the CPUs of this process's own affinity mask, which is what must not be inherited.
 */
function allCpus(): string {
  const sources = [
    '/sys/fs/cgroup/cpuset.cpus.effective', // cgroup v2
    '/sys/fs/cgroup/cpuset/cpuset.effective_cpus', // cgroup v1
    '/sys/devices/system/cpu/online',
  ];
  for (const source of sources) {
    try {
      const list = readFileSync(source, 'utf8').trim();
      if (/^[0-9][0-9,-]*$/.test(list)) return list;
    } catch {
      // not there: try the next
    }
  }
  return `0-${Math.max(cpuInfo().length, availableParallelism()) - 1}`;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** Polls `check` until it holds; throws with `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface Spec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  ready: ManagedProcessOptions['ready'];
}

/**
 * The processes and temporary directories of one broker. Processes start under
 * `taskset -c` (so they run pinned from their first instruction) and are pinned again,
 * every thread, with `taskset -a -p -c` once ready.
 */
class Group {
  readonly cpus: string;
  readonly taskset: string;
  readonly nodes: ManagedProcess[] = [];
  readonly servers: ManagedProcess[] = [];
  readonly dirs: string[] = [];
  private stopping: Promise<void> | undefined;

  constructor(cpus: string | undefined) {
    this.taskset = need('taskset', 'util-linux');
    this.cpus = cpus ?? allCpus();
  }

  tempDir(prefix: string): string {
    const dir = makeTempDir(prefix);
    this.dirs.push(dir);
    return dir;
  }

  async start(kind: 'node' | 'server', spec: Spec): Promise<ManagedProcess> {
    const managed = new ManagedProcess({
      name: spec.name,
      command: this.taskset,
      args: ['-c', this.cpus, spec.command, ...spec.args],
      cwd: spec.cwd,
      env: spec.env,
      ready: spec.ready,
      startTimeoutMs: START_TIMEOUT_MS,
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
    // Tracked before it starts, so a failed start is cleaned up with the rest.
    (kind === 'node' ? this.nodes : this.servers).push(managed);
    await managed.start();
    const pid = managed.pid;
    if (pid === undefined) throw new Error(`${spec.name} has no pid`);
    await execFileAsync(this.taskset, ['-a', '-p', '-c', this.cpus, String(pid)]);
    return managed;
  }

  pids(list: ManagedProcess[]): number[] {
    return list.flatMap((managed) => (managed.pid === undefined ? [] : [managed.pid]));
  }

  /** Stops the nodes, then the servers they use, then removes the temporary directories. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.allSettled(this.nodes.map((managed) => managed.stop()));
      await Promise.allSettled(this.servers.map((managed) => managed.stop()));
      for (const dir of this.dirs) removeTempDir(dir);
    })();
    return this.stopping;
  }
}

async function startRedis(group: Group): Promise<number> {
  const path = need('redis-server', 'redis-server');
  const dir = group.tempDir('bench-redis');
  const [port = 0] = await freePorts(1);
  await group.start('server', {
    name: `redis-server :${port}`,
    command: path,
    args: redisServerArgs(port, dir),
    cwd: dir,
    ready: { line: /Ready to accept connections/, port },
  });
  return port;
}

/** A plain NATS server (no JetStream) for FlockMQ's cluster bus. */
async function startNatsBus(group: Group): Promise<{ port: number; monitorUrl: string }> {
  const path = need('nats-server', 'nats-server');
  const dir = group.tempDir('bench-nats');
  const [port = 0, monitorPort = 0] = await freePorts(2);
  await group.start('server', {
    name: `nats-server :${port}`,
    command: path,
    args: ['-a', HOST, '-p', String(port), '-m', String(monitorPort)],
    cwd: dir,
    ready: { line: /Server is ready/, port },
  });
  return { port, monitorUrl: `http://${HOST}:${monitorPort}` };
}

async function startMosquitto(group: Group): Promise<Omit<RunningPeer, 'stop'>> {
  const path = need('mosquitto', 'mosquitto');
  const dir = group.tempDir('bench-mosquitto');
  const [port = 0] = await freePorts(1);
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      'per_listener_settings false',
      `listener ${port} ${HOST}`,
      'max_connections -1',
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'connection_messages false',
      `max_inflight_messages ${MAX_INFLIGHT}`,
      `max_queued_messages ${MAX_QUEUED}`,
      'set_tcp_nodelay true',
      '',
    ].join('\n'),
  );
  const node = await group.start('node', {
    name: `mosquitto :${port}`,
    command: path,
    args: ['-c', config],
    cwd: dir,
    ready: { port },
  });
  const pids = group.pids([node]);
  return {
    name: 'mosquitto',
    label: `Mosquitto ${versions.mosquitto(path)}`,
    endpoints: [{ host: HOST, port }],
    nodePids: pids,
    allPids: pids,
    mqtt5: true,
  };
}

async function startNatsMqtt(group: Group): Promise<Omit<RunningPeer, 'stop'>> {
  const path = need('nats-server', 'nats-server');
  const dir = group.tempDir('bench-nats-mqtt');
  const [port = 0, monitorPort = 0, mqttPort = 0] = await freePorts(3);
  const config = join(dir, 'nats.conf');
  writeFileSync(
    config,
    [
      'server_name: bench-nats',
      `listen: ${HOST}:${port}`,
      `http: ${HOST}:${monitorPort}`,
      'jetstream {',
      `  store_dir: ${JSON.stringify(join(dir, 'jetstream'))}`,
      '}',
      'mqtt {',
      `  listen: ${HOST}:${mqttPort}`,
      // QoS 1 messages a session may have unacknowledged (the in-flight window).
      `  max_ack_pending: ${MAX_INFLIGHT}`,
      '}',
      '',
    ].join('\n'),
  );
  const node = await group.start('node', {
    name: `nats-server mqtt :${mqttPort}`,
    command: path,
    args: ['-c', config],
    cwd: dir,
    ready: { line: /Server is ready/, port: mqttPort },
  });
  const pids = group.pids([node]);
  return {
    name: 'nats',
    label: `nats-server ${versions.nats(path)} MQTT`,
    endpoints: [{ host: HOST, port: mqttPort }],
    nodePids: pids,
    allPids: pids,
    natsMonitorUrl: `http://${HOST}:${monitorPort}`,
    mqtt5: false,
  };
}

async function startAedes(group: Group, clustered: boolean): Promise<Omit<RunningPeer, 'stop'>> {
  const redisPort = clustered ? await startRedis(group) : undefined;
  const count = clustered ? 2 : 1;
  const ports = await freePorts(count);
  const nodes = await Promise.all(
    ports.map((port) =>
      group.start('node', {
        name: `aedes :${port}`,
        command: process.execPath,
        args: [AEDES_SCRIPT, '--port', String(port), ...(redisPort ? ['--redis-port', String(redisPort)] : [])],
        cwd: REPO,
        ready: { line: new RegExp(`aedes listening on ${port}\\b`), port },
      }),
    ),
  );
  const version = versions.aedes();
  const nodePids = group.pids(nodes);
  return {
    name: clustered ? 'aedes-redis' : 'aedes',
    label: clustered
      ? `Aedes ${version} ×2 + Redis ${versions.redis(need('redis-server', 'redis-server'))}`
      : `Aedes ${version}`,
    endpoints: ports.map((port) => ({ host: HOST, port })),
    nodePids,
    allPids: [...nodePids, ...group.pids(group.servers)],
    ...(redisPort !== undefined && { redisPort }),
    mqtt5: false,
  };
}

function metricValue(metrics: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

async function startFlockmq(group: Group, count: number): Promise<Omit<RunningPeer, 'stop'>> {
  if (!existsSync(FLOCKMQ_BIN) || !existsSync(join(REPO, 'packages', 'server', 'dist', 'cli.js'))) {
    throw new Error(`${FLOCKMQ_BIN} is not built: run \`pnpm build\` first`);
  }
  const clustered = count > 1;
  const redisPort = clustered ? await startRedis(group) : undefined;
  const nats = clustered ? await startNatsBus(group) : undefined;
  const ports = await freePorts(count * 3);
  const plan = Array.from({ length: count }, (_, i) => ({
    nodeId: `bench-${i + 1}`,
    port: ports[i * 3] ?? 0,
    httpPort: ports[i * 3 + 1] ?? 0,
    adminPort: ports[i * 3 + 2] ?? 0,
  }));
  const metricsUrls = plan.map((node) => `http://${HOST}:${node.httpPort}`);
  const nodes = await Promise.all(
    plan.map((node) =>
      group.start('node', {
        name: `flockmq ${node.nodeId} :${node.port}`,
        command: process.execPath,
        args: [
          ...FLOCKMQ_NODE_FLAGS,
          FLOCKMQ_BIN,
          'start',
          '--host',
          HOST,
          '--port',
          String(node.port),
          '--ws-port',
          'off',
          '--http-port',
          String(node.httpPort),
          '--admin-port',
          String(node.adminPort),
          '--node-id',
          node.nodeId,
          '--sys-interval',
          '0',
          '--max-inflight',
          String(MAX_INFLIGHT),
          '--max-queued-messages',
          String(MAX_QUEUED),
          ...(clustered && nats && redisPort
            ? ['--redis', `redis://${HOST}:${redisPort}`, '--nats', `nats://${HOST}:${nats.port}`, '--no-rebalance']
            : []),
        ],
        cwd: REPO,
        env: {
          ...process.env,
          FLOCKMQ_LOG_LEVEL: 'warn',
          // Node.js flags for the broker only (the generator keeps its own): e.g. V8 heap settings.
          NODE_OPTIONS: process.env.FLOCKMQ_NODE_OPTIONS ?? '',
        },
        // At warn level the "listening" line is not logged: wait for the ports instead.
        ready: { port: node.port },
      }),
    ),
  );
  await until('every FlockMQ node to answer /readyz with 200', async () => {
    const answers = await Promise.all(metricsUrls.map((url) => httpGet(`${url}/readyz`)));
    return answers.every((answer) => answer?.status === 200);
  });
  if (clustered) {
    await until(`every FlockMQ node to hear the other ${count - 1} (flockmq_cluster_peers)`, async () => {
      const answers = await Promise.all(metricsUrls.map((url) => httpGet(`${url}/metrics`)));
      return answers.every(
        (answer) => answer?.status === 200 && (metricValue(answer.body, 'flockmq_cluster_peers') ?? 0) >= count - 1,
      );
    });
  }
  const version = versions.flockmq();
  const nodePids = group.pids(nodes);
  return {
    name: count === 1 ? 'flockmq' : count === 2 ? 'flockmq-2' : 'flockmq-3',
    label: clustered ? `FlockMQ ${version} ×${count} (Redis+NATS)` : `FlockMQ ${version}`,
    endpoints: plan.map((node) => ({ host: HOST, port: node.port })),
    nodePids,
    allPids: [...nodePids, ...group.pids(group.servers)],
    metricsUrls,
    ...(redisPort !== undefined && { redisPort }),
    ...(nats && { natsMonitorUrl: nats.monitorUrl }),
    mqtt5: true,
  };
}

/** Starts one broker on free loopback ports; resolves once every node takes clients. */
export async function startPeer(name: PeerName, options: PeerOptions = {}): Promise<RunningPeer> {
  const group = new Group(options.cpus);
  try {
    let peer: Omit<RunningPeer, 'stop'>;
    switch (name) {
      case 'mosquitto':
        peer = await startMosquitto(group);
        break;
      case 'nats':
        peer = await startNatsMqtt(group);
        break;
      case 'aedes':
        peer = await startAedes(group, false);
        break;
      case 'aedes-redis':
        peer = await startAedes(group, true);
        break;
      case 'flockmq':
        peer = await startFlockmq(group, 1);
        break;
      case 'flockmq-2':
        peer = await startFlockmq(group, 2);
        break;
      case 'flockmq-3':
        peer = await startFlockmq(group, 3);
        break;
      default:
        throw new Error(`unknown peer ${String(name)}: one of ${PEER_NAMES.join(', ')}`);
    }
    return { ...peer, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw error;
  }
}
