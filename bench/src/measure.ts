/** What the harness reads off the processes it measures: CPU time, memory, broker and backend counters. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { redisCommand } from '@flockmq/testkit';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export const totalCpuSeconds = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);

/** Resident set size in bytes (0 once the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export const totalRssBytes = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + rssBytes(pid), 0);

/** This process's CPU seconds (the generator's own cost, reported beside the broker's). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Sums every sample of a Prometheus counter (all label sets) in a text exposition. */
export function sumMetric(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const next = line[name.length];
    if (next !== ' ' && next !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A FlockMQ counter summed over nodes (undefined when a node does not answer). */
export async function flockCounter(metricsUrls: readonly string[], name: string): Promise<number | undefined> {
  try {
    const texts = await Promise.all(
      metricsUrls.map(async (url) => (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text()),
    );
    return texts.reduce((sum, text) => sum + sumMetric(text, name), 0);
  } catch {
    return undefined;
  }
}

/** Commands a Redis server has processed so far. */
export async function redisCommands(port: number): Promise<number | undefined> {
  try {
    const info = String(await redisCommand('127.0.0.1', port, ['INFO', 'stats']));
    const match = /total_commands_processed:(\d+)/.exec(info);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Commands processed and memory used by a Redis server so far. */
export async function redisStats(port: number): Promise<{ commands: number; memory: number } | undefined> {
  try {
    const info = String(await redisCommand('127.0.0.1', port, ['INFO']));
    const commands = /total_commands_processed:(\d+)/.exec(info);
    const memory = /used_memory:(\d+)/.exec(info);
    return commands && memory ? { commands: Number(commands[1]), memory: Number(memory[1]) } : undefined;
  } catch {
    return undefined;
  }
}

/** Messages a NATS server has received from its clients so far (/varz in_msgs). */
export async function natsMessagesIn(monitorUrl: string): Promise<number | undefined> {
  try {
    const varz = (await (await fetch(`${monitorUrl}/varz`, { signal: AbortSignal.timeout(5000) })).json()) as {
      in_msgs?: number;
    };
    return varz.in_msgs;
  } catch {
    return undefined;
  }
}

/** Pins processes (every thread) to a CPU list, e.g. '1' or '0-1'. */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
