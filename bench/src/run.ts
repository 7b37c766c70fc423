/**
 * `pnpm bench` / `pnpm bench:full`: starts each broker, runs the scenarios against it, and writes
 * JSON lines, a Markdown table and an SVG chart to bench/results/.
 *
 * Fairness: when pinned, every process of the broker runs on CPU 0 and this generator on CPU 1;
 * peers alternate within a round (A B C A B C …), and each (round, scenario, peer) gets a fresh
 * broker. Every loop here is bounded in count and time.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QoS } from '@flockmq/protocol';
import { pin } from './measure.ts';
import { startPeer, PEER_NAMES, type PeerName, type RunningPeer } from './peers.ts';
import { report, type RunRecord } from './report.ts';
import { runScenario } from './scenarios.ts';
import { DEFAULT_SETTINGS, SCENARIOS, scenarioKey, type ScenarioName, type Settings } from './settings.ts';

interface Case {
  scenario: ScenarioName;
  qos: QoS;
}

interface PeerRun {
  peer: PeerName;
  pinned: boolean;
}

const THROUGHPUT: ScenarioName[] = ['fan-in', 'fan-out', 'pairwise', 'shared'];
const SINGLE_NODE: PeerName[] = ['mosquitto', 'nats', 'aedes', 'flockmq'];
const CLUSTERS: PeerName[] = ['aedes-redis', 'flockmq-2', 'flockmq-3'];

const PLANS = {
  quick: {
    cases: [
      { scenario: 'fan-in', qos: 0 },
      { scenario: 'fan-out', qos: 0 },
      { scenario: 'pairwise', qos: 0 },
      { scenario: 'pairwise', qos: 1 },
      { scenario: 'latency', qos: 1 },
    ] as Case[],
    peers: [...SINGLE_NODE.map((peer) => ({ peer, pinned: true }))],
    rounds: 1,
  },
  full: {
    cases: [
      ...THROUGHPUT.flatMap((scenario) => [0, 1].map((qos) => ({ scenario, qos: qos as QoS }))),
      { scenario: 'latency', qos: 1 },
      { scenario: 'connections', qos: 0 },
      { scenario: 'persistent', qos: 1 },
      { scenario: 'retained', qos: 0 },
    ] as Case[],
    peers: [
      ...SINGLE_NODE.map((peer) => ({ peer, pinned: true })),
      ...CLUSTERS.map((peer) => ({ peer, pinned: true })),
      ...CLUSTERS.map((peer) => ({ peer, pinned: false })),
    ],
    rounds: 3,
  },
} satisfies Record<string, { cases: Case[]; peers: PeerRun[]; rounds: number }>;

const USAGE = `usage: node bench/src/run.ts [--plan quick|full] [options]
  --plan quick|full        quick: single-node peers, 5 cases, 1 round (default); full: everything, 3 rounds
  --peers a,b              peers to run (${PEER_NAMES.join(', ')}); add :unpinned to a cluster, e.g. flockmq-2:unpinned
  --scenarios a,b          scenarios (${SCENARIOS.join(', ')}); throughput ones take --qos
  --qos 0,1                QoS levels for fan-in, fan-out, pairwise, shared
  --rounds N               rounds (each runs every peer once per case)
  --duration S             measured seconds per run (default ${DEFAULT_SETTINGS.durationMs / 1000})
  --warmup S               warm-up seconds before measuring (default ${DEFAULT_SETTINGS.warmupMs / 1000})
  --protocol 4|5           MQTT 3.1.1 (default; every peer speaks it) or 5.0 (peers without it are skipped)
  --connections K          idle connections of the connections scenario (default ${DEFAULT_SETTINGS.connections})
  --budget N               deliveries in flight across publishers (default ${DEFAULT_SETTINGS.budget})
  --batch N                frames per socket write (default ${DEFAULT_SETTINGS.batch})
  --from a.jsonl,b.jsonl    no runs: write the report from the JSON lines of earlier runs
  --out DIR                results directory (default bench/results)`;

function fail(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

function parse(): {
  cases: Case[];
  peers: PeerRun[];
  rounds: number;
  settings: Settings;
  out: string;
  plan: string;
  from: string[] | undefined;
} {
  const { values } = parseArgs({
    options: {
      plan: { type: 'string', default: 'quick' },
      peers: { type: 'string' },
      scenarios: { type: 'string' },
      qos: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      protocol: { type: 'string' },
      connections: { type: 'string' },
      budget: { type: 'string' },
      batch: { type: 'string' },
      from: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const plan = PLANS[values.plan as keyof typeof PLANS];
  if (!plan) fail(`--plan must be quick or full, not ${values.plan}`);
  const number = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) fail(`--${name} must be a positive number, not ${value}`);
    return parsed;
  };
  let cases = plan.cases;
  if (values.scenarios) {
    const names = values.scenarios.split(',');
    for (const name of names) if (!SCENARIOS.includes(name as ScenarioName)) fail(`no scenario ${name}`);
    const qosLevels = (values.qos ?? '0').split(',').map((q) => Number(q) as QoS);
    cases = names.flatMap((name) =>
      THROUGHPUT.includes(name as ScenarioName)
        ? qosLevels.map((qos) => ({ scenario: name as ScenarioName, qos }))
        : [{ scenario: name as ScenarioName, qos: (name === 'latency' || name === 'persistent' ? 1 : 0) as QoS }],
    );
  } else if (values.qos) {
    const qosLevels = values.qos.split(',').map(Number);
    cases = cases.filter((c) => !THROUGHPUT.includes(c.scenario) || qosLevels.includes(c.qos));
  }
  let peers = plan.peers;
  if (values.peers) {
    peers = values.peers.split(',').map((spec) => {
      const [name, mode] = spec.split(':');
      if (!PEER_NAMES.includes(name as PeerName)) fail(`no peer ${name}`);
      return { peer: name as PeerName, pinned: mode !== 'unpinned' };
    });
  }
  const protocol = number('protocol', values.protocol, 4);
  if (protocol !== 4 && protocol !== 5) fail('--protocol must be 4 (MQTT 3.1.1) or 5');
  return {
    plan: values.plan!,
    from: values.from?.split(','),
    cases,
    peers,
    rounds: number('rounds', values.rounds, plan.rounds),
    out: values.out ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results'),
    settings: {
      ...DEFAULT_SETTINGS,
      protocol,
      durationMs: number('duration', values.duration, DEFAULT_SETTINGS.durationMs / 1000) * 1000,
      warmupMs: number('warmup', values.warmup, DEFAULT_SETTINGS.warmupMs / 1000) * 1000,
      connections: number('connections', values.connections, DEFAULT_SETTINGS.connections),
      budget: number('budget', values.budget, DEFAULT_SETTINGS.budget),
      batch: number('batch', values.batch, DEFAULT_SETTINGS.batch),
    },
  };
}

/**
 * Stops a peer; whatever is still running after 15 s is killed. (A process that died during a run
 * can leave its stop waiting on nothing: the run goes on rather than end there.)
 */
async function stopPeer(peer: RunningPeer, tag: string): Promise<void> {
  const stopped = await Promise.race([peer.stop().then(() => true), sleep(15_000).then(() => false)]);
  if (stopped) return;
  console.error(`${tag}: the broker did not stop within 15 s; killing it`);
  for (const pid of peer.allPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Writes latest.md, latest.svg and latest.jsonl from run records. */
function writeReport(records: RunRecord[], out: string, plan: string, rounds: number, settings: Settings): void {
  const { markdown, svg } = report(records, { plan, rounds, settings });
  writeFileSync(join(out, 'latest.md'), markdown);
  writeFileSync(join(out, 'latest.svg'), svg);
  writeFileSync(join(out, 'latest.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  console.log(markdown);
}

async function main(): Promise<void> {
  const { cases, peers, rounds, settings, out, plan, from } = parse();
  if (from) {
    // Only a report, from the JSON lines of earlier runs (e.g. a full run made in parts).
    const records = from.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RunRecord),
    );
    writeReport(records, out, plan, Math.max(...records.map((r) => r.round)), settings);
    return;
  }
  const cpus = availableParallelism();
  if (cpus < 2) console.error('bench: fewer than 2 CPUs; pinned runs share one CPU with the generator');
  const generatorCpu = String(cpus - 1);
  const allCpus = `0-${cpus - 1}`;
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const linesFile = join(out, `runs-${stamp}.jsonl`);
  const records: RunRecord[] = [];
  const total = rounds * cases.length * peers.length;
  let done = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const { scenario, qos } of cases) {
      for (const { peer: name, pinned } of peers) {
        done++;
        // Unpinned runs show what a cluster does with both cores: throughput and latency only.
        if (!pinned && !THROUGHPUT.includes(scenario) && scenario !== 'latency') continue;
        const key = scenarioKey(scenario, qos);
        const tag = `[${done}/${total}] round ${round} ${key} ${name}${pinned ? '' : ' unpinned'}`;
        pin(process.pid, pinned ? generatorCpu : allCpus);
        const peer = await startPeer(name, pinned ? { cpus: '0' } : {});
        const header = {
          round,
          scenario,
          qos,
          key,
          peer: name,
          label: peer.label,
          pinned,
          protocol: settings.protocol,
        };
        let record: RunRecord;
        try {
          if (settings.protocol === 5 && !peer.mqtt5) {
            console.error(`${tag}: skipped (no MQTT 5)`);
            continue;
          }
          const measurement = await runScenario(scenario, peer, { ...settings, qos });
          record = { ...header, at: new Date().toISOString(), ...measurement };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          record = {
            ...header,
            at: new Date().toISOString(),
            brokerCores: 0,
            generatorCores: 0,
            brokerRssMB: 0,
            error: message,
          };
        } finally {
          await stopPeer(peer, tag);
        }
        records.push(record);
        appendFileSync(linesFile, `${JSON.stringify(record)}\n`);
        console.error(`${tag}: ${summarise(record)}`);
      }
    }
  }
  writeReport(records, out, plan, rounds, settings);
  console.error(
    `bench: ${records.length} runs; results in ${out} (latest.md, latest.svg, ${linesFile.split('/').pop()})`,
  );
}

function summarise(record: RunRecord): string {
  if (record.error) return `error: ${record.error}`;
  if (record.unsupported) return `unsupported: ${record.unsupported}`;
  const parts: string[] = [];
  if (record.latency)
    parts.push(`p50 ${record.latency.p50} ms, p99 ${record.latency.p99} ms, max ${record.latency.max} ms`);
  else if (record.connections) {
    parts.push(
      `${record.connections.count} conns, ${record.connections.setupPerSecond}/s, ${record.connections.rssBytesPerConnection} B/conn`,
    );
  } else if (record.persistent) {
    parts.push(
      `offline ${record.persistent.offlinePublishPerSecond}/s, resume ${record.persistent.resumeDeliveredPerSecond}/s, missing ${record.persistent.missing}`,
    );
  } else if (record.retained) {
    parts.push(
      `store ${record.retained.storePerSecond}/s, storm ${record.retained.deliveredPerSecond}/s, missing ${record.retained.missing}`,
    );
  } else parts.push(`${record.throughput} msg/s delivered`);
  parts.push(`broker ${record.brokerCores} cores, generator ${record.generatorCores}`);
  if (record.cpuMicrosPerMessage !== undefined) parts.push(`${record.cpuMicrosPerMessage} µs CPU/msg`);
  if (record.lost) parts.push(`lost ${record.lost}`);
  if (record.check)
    parts.push(`broker counted ${record.check.brokerDelivered}, generator ${record.check.generatorReceived}`);
  return parts.join('; ');
}

await main();
