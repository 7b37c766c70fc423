/**
 * Checks every benchmark peer (or the ones named): `node bench/peers/check.ts [peer...]`.
 * For each: start it pinned to CPU 0, pass a message between every pair of its endpoints
 * with mosquitto_sub/mosquitto_pub (MQTT 3.1.1, and 5 where claimed), check the affinity of
 * every thread of every process, probe shared subscriptions and MQTT 5 (informational),
 * stop it, and check that no process is left behind. Exits 1 on any failure.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { PEER_NAMES, startPeer } from '../src/peers.ts';
import type { Endpoint, PeerName, RunningPeer } from '../src/peers.ts';

const execFileAsync = promisify(execFile);
const CPUS = '0';

let failures = 0;
function ok(message: string): void {
  console.log(`  ok    ${message}`);
}
function fail(message: string): void {
  failures += 1;
  console.log(`  FAIL  ${message}`);
}
function info(message: string): void {
  console.log(`  info  ${message}`);
}

/**
 * Subscribes on `sub`, then publishes on `pub` every 250 ms until the subscriber got one
 * message (a subscription takes a moment to reach the other nodes of a cluster).
 */
async function roundTrip(
  pub: Endpoint,
  sub: Endpoint,
  options: { topic: string; filter?: string; version?: 'mqttv311' | 'mqttv5'; timeoutS?: number },
): Promise<{ received: boolean; detail: string }> {
  const version = options.version ?? 'mqttv311';
  const payload = `hi-${process.pid}-${Date.now()}`;
  const timeoutS = options.timeoutS ?? 10;
  const subscriber = spawn(
    'mosquitto_sub',
    [
      '-h',
      sub.host,
      '-p',
      String(sub.port),
      '-V',
      version,
      '-t',
      options.filter ?? options.topic,
      '-C',
      '1',
      '-W',
      String(timeoutS),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  subscriber.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  subscriber.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => subscriber.once('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  let publishes = 0;
  let lastPublishError = '';
  while (!done) {
    try {
      await execFileAsync(
        'mosquitto_pub',
        ['-h', pub.host, '-p', String(pub.port), '-V', version, '-t', options.topic, '-m', payload],
        { timeout: 5000 },
      );
      publishes += 1;
    } catch (error) {
      // The message starts with "Command failed: <command line>"; the cause is on the next line.
      const lines = (error instanceof Error ? error.message : String(error)).trim().split('\n');
      lastPublishError = lines[1] ?? lines[0] ?? '';
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 250))]);
  }
  const code = await exited;
  const received = code === 0 && out.trim() === payload;
  const detail = received
    ? `after ${publishes} publish(es)`
    : `mosquitto_sub exit ${String(code)}, output ${JSON.stringify(out.trim())}${lastPublishError ? `, last mosquitto_pub error: ${lastPublishError}` : ''}`;
  return { received, detail };
}

/** `taskset -a -p -c` of every thread of a process: the distinct affinity lists. */
async function affinity(pid: number): Promise<{ threads: number; lists: string[] }> {
  const { stdout } = await execFileAsync('taskset', ['-a', '-p', '-c', String(pid)]);
  const lists = stdout
    .trim()
    .split('\n')
    .map((line) => /affinity list: (\S+)/.exec(line)?.[1] ?? '?');
  return { threads: lists.length, lists: [...new Set(lists)] };
}

function redisPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(data.trim()));
    socket.once('error', () => resolve(''));
  });
}

async function httpStatus(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

async function pgrep(args: string[]): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('pgrep', args);
    return stdout.trim().split('\n').filter(Boolean);
  } catch {
    return []; // exit 1: nothing matched
  }
}

async function checkRunning(peer: RunningPeer): Promise<void> {
  const { endpoints } = peer;
  const expected = peer.name === 'flockmq-3' ? 3 : ['aedes-redis', 'flockmq-2'].includes(peer.name) ? 2 : 1;
  if (endpoints.length === expected && peer.nodePids.length === expected) ok(`${expected} endpoint(s) and node(s)`);
  else fail(`expected ${expected} endpoints/nodes, got ${endpoints.length}/${peer.nodePids.length}`);

  // Affinity of every thread of every process.
  for (const pid of peer.allPids) {
    const { threads, lists } = await affinity(pid);
    if (lists.length === 1 && lists[0] === CPUS) ok(`pid ${pid}: all ${threads} threads pinned to CPU ${CPUS}`);
    else fail(`pid ${pid}: affinity lists ${lists.join(', ')} (want ${CPUS})`);
  }

  // Every ordered pair of endpoints (publish on i, subscribe on j), including i = j on the first.
  const pairs: Array<[number, number]> = [[0, 0]];
  for (let i = 0; i < endpoints.length; i += 1)
    for (let j = 0; j < endpoints.length; j += 1) if (i !== j) pairs.push([i, j]);
  const versions: Array<'mqttv311' | 'mqttv5'> = peer.mqtt5 ? ['mqttv311', 'mqttv5'] : ['mqttv311'];
  for (const version of versions) {
    for (const [i, j] of pairs) {
      const pub = endpoints[i]!;
      const sub = endpoints[j]!;
      const result = await roundTrip(pub, sub, { topic: `t/x/${version}/${i}-${j}`, version });
      const what = `${version} publish on endpoint ${i} (:${pub.port}) -> subscriber on endpoint ${j} (:${sub.port})`;
      if (result.received) ok(`${what}, ${result.detail}`);
      else fail(`${what}: ${result.detail}`);
    }
  }

  // Informational probes: MQTT 5 where not claimed, and shared subscriptions.
  const first = endpoints[0]!;
  const last = endpoints[endpoints.length - 1]!;
  if (!peer.mqtt5) {
    const v5 = await roundTrip(first, first, { topic: 't/v5', version: 'mqttv5', timeoutS: 3 });
    info(`MQTT 5 (not claimed): ${v5.received ? 'works' : `refused (${v5.detail})`}`);
  }
  const shared = await roundTrip(first, last, { topic: 't/shared', filter: '$share/g/t/shared', timeoutS: 4 });
  info(`shared subscription $share/g/t/shared: ${shared.received ? 'delivered' : `not delivered (${shared.detail})`}`);

  // Side services.
  for (const url of peer.metricsUrls ?? []) {
    const status = await httpStatus(`${url}/metrics`);
    if (status === 200) ok(`${url}/metrics answers 200`);
    else fail(`${url}/metrics answered ${String(status)}`);
  }
  if (peer.natsMonitorUrl) {
    const status = await httpStatus(`${peer.natsMonitorUrl}/varz`);
    if (status === 200) ok(`${peer.natsMonitorUrl}/varz answers 200`);
    else fail(`${peer.natsMonitorUrl}/varz answered ${String(status)}`);
  }
  if (peer.redisPort !== undefined) {
    const pong = await redisPing(peer.redisPort);
    if (pong === '+PONG') ok(`Redis :${peer.redisPort} answers PING`);
    else fail(`Redis :${peer.redisPort} answered ${JSON.stringify(pong)}`);
  }
}

async function checkStopped(peer: RunningPeer): Promise<void> {
  const alive = peer.allPids.filter((pid) => existsSync(`/proc/${pid}`));
  if (alive.length === 0) ok(`all ${peer.allPids.length} process(es) gone`);
  else fail(`still running after stop: ${alive.join(', ')}`);
  const ports = [...peer.endpoints.map((endpoint) => endpoint.port), ...(peer.redisPort ? [peer.redisPort] : [])];
  const leftovers = await pgrep(['-a', '-f', `(:| )(${ports.join('|')})( |$)`]);
  const children = await pgrep(['-a', '-P', String(process.pid)]);
  if (leftovers.length === 0 && children.length === 0) ok('pgrep finds no process on its ports and no child of ours');
  else fail(`pgrep finds leftovers: ${[...leftovers, ...children].join('; ')}`);
}

async function checkPeer(name: PeerName): Promise<void> {
  console.log(`${name}:`);
  const started = Date.now();
  let peer: RunningPeer;
  try {
    peer = await startPeer(name, { cpus: CPUS });
  } catch (error) {
    fail(`start: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  ok(`started in ${Date.now() - started} ms: ${peer.label}, pids ${peer.allPids.join(', ')}, mqtt5 ${peer.mqtt5}`);
  try {
    await checkRunning(peer);
  } catch (error) {
    fail(`check: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    const stopping = Date.now();
    await peer.stop();
    ok(`stopped in ${Date.now() - stopping} ms`);
  }
  await checkStopped(peer);
}

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !PEER_NAMES.includes(name as PeerName));
if (unknown.length > 0) {
  console.error(`unknown peer(s) ${unknown.join(', ')}: choose from ${PEER_NAMES.join(', ')}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? (requested as PeerName[]) : PEER_NAMES) await checkPeer(name);
console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
