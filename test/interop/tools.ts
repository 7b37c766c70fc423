/**
 * Third-party MQTT clients as child processes: mosquitto_pub / mosquitto_sub (Debian's
 * mosquitto-clients) and Eclipse paho-mqtt for Python (python3-paho-mqtt). Tests wait on the
 * processes' output lines and exits, never on the clock; every process is killed at teardown.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { WaitTimeoutError } from '@flockmq/testkit';

/** How long any single process may take before the test gives up on it. */
export const PROCESS_TIMEOUT_MS = 15_000;
/** The Python that Debian's python3-paho-mqtt is installed for. */
export const PYTHON = '/usr/bin/python3';
export const PAHO_SCRIPT = join(__dirname, 'paho_roundtrip.py');

function onPath(binary: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Fails the test (never skips it) when a client binary is missing, naming the package to install. */
export function requireBinary(binary: string, debianPackage: string): void {
  if (!onPath(binary)) {
    throw new Error(
      `${binary} is not installed: interop tests need it. Install the Debian package: apt-get install -y ${debianPackage}`,
    );
  }
}

export function requireMosquittoClients(): void {
  requireBinary('mosquitto_pub', 'mosquitto-clients');
  requireBinary('mosquitto_sub', 'mosquitto-clients');
  // mosquitto_sub's output goes to a pipe here, so stdio is fully buffered: stdbuf (coreutils)
  // makes it line-buffered, so "received SUBACK" arrives while the process is still running.
  requireBinary('stdbuf', 'coreutils');
}

let pahoChecked = false;
export function requirePaho(): void {
  if (pahoChecked) return;
  try {
    accessSync(PYTHON, constants.X_OK);
  } catch {
    throw new Error(
      `${PYTHON} is missing: the paho interop tests need Debian's Python. Install: apt-get install -y python3 python3-paho-mqtt`,
    );
  }
  const probe = spawnSync(PYTHON, ['-c', 'import paho.mqtt.client'], { encoding: 'utf8', timeout: PROCESS_TIMEOUT_MS });
  if (probe.status !== 0) {
    throw new Error(
      `paho-mqtt is not importable by ${PYTHON} (${probe.stderr.trim()}). Install the Debian package: apt-get install -y python3-paho-mqtt`,
    );
  }
  pahoChecked = true;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child process whose output is collected line by line. */
export class Proc {
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  private partial = '';
  private lineWaiters: (() => void)[] = [];

  constructor(
    readonly command: string,
    readonly args: string[],
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.stdout += chunk;
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.notify();
    });
    child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`${command} could not be started: ${error.message}`)));
      child.once('close', (code, signal) => {
        if (this.partial) this.lines.push(this.partial);
        this.partial = '';
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
    // A rejection is reported by whoever awaits; don't let an unawaited one crash the run.
    this.exited.catch(() => undefined);
  }

  /** What the process printed, for failure messages. */
  get transcript(): string {
    const exit = this.exit ? `exit ${this.exit.code ?? this.exit.signal}` : 'still running';
    return `$ ${this.command} ${this.args.join(' ')}\n[${exit}]\n--- stdout\n${this.stdout}--- stderr\n${this.stderr}`;
  }

  /** Resolves with the first output line that matches; fails if the process exits first or time runs out. */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs = PROCESS_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new WaitTimeoutError(`${what}\n${this.transcript}`, timeoutMs));
      }, timeoutMs);
      const check = (): boolean => {
        const line = this.lines.find(match);
        if (line !== undefined) {
          done();
          resolve(line);
          return true;
        }
        if (this.exit) {
          done();
          reject(new Error(`process exited before ${what}\n${this.transcript}`));
          return true;
        }
        return false;
      };
      const done = (): void => {
        clearTimeout(timer);
        this.lineWaiters = this.lineWaiters.filter((w) => w !== waiter);
      };
      const waiter = (): void => void check();
      if (!check()) this.lineWaiters.push(waiter);
    });
  }

  /** Waits for the process to exit by itself; fails with its transcript if it does not in time. */
  async finished(timeoutMs = PROCESS_TIMEOUT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WaitTimeoutError(`${this.command} to exit\n${this.transcript}`, timeoutMs)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for exit and fails unless the exit code is 0. */
  async succeeded(timeoutMs = PROCESS_TIMEOUT_MS): Promise<void> {
    const exit = await this.finished(timeoutMs);
    if (exit.code !== 0) throw new Error(`${this.command} failed\n${this.transcript}`);
  }

  kill(): void {
    if (!this.exit && this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private notify(): void {
    for (const waiter of [...this.lineWaiters]) waiter();
  }
}

const running = new Set<Proc>();

export function start(command: string, args: string[]): Proc {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  const proc = new Proc(command, args, child);
  running.add(proc);
  void proc.exited.finally(() => running.delete(proc)).catch(() => undefined);
  return proc;
}

/** Kills every process still running (call from afterEach) and waits until they are gone. */
export async function killAll(): Promise<void> {
  const procs = [...running];
  for (const proc of procs) proc.kill();
  await Promise.allSettled(procs.map((p) => p.exited));
}

// ------------------------------------------------------------------ mosquitto

export type MqttVersion = 'mqttv311' | 'mqttv5';

export interface MosquittoMessage {
  topic: string;
  qos: number;
  retain: number | boolean;
  payload: string;
  payloadlen: number;
}

/** Marks message lines in mosquitto_sub's output (its -F format), apart from the -d debug lines. */
const MESSAGE_PREFIX = 'MSG ';

/**
 * mosquitto_sub that exits after `count` messages (-C) or `timeoutS` seconds (-W), run line-buffered
 * with -d so the test sees "received SUBACK" before it publishes.
 */
export function mosquittoSub(
  port: number,
  version: MqttVersion,
  topic: string,
  options: { qos: number; count: number; timeoutS?: number; extra?: string[] },
): Proc {
  const args = [
    '-oL',
    'mosquitto_sub',
    '-d',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-V',
    version,
    '-t',
    topic,
    '-q',
    String(options.qos),
    '-C',
    String(options.count),
    '-W',
    String(options.timeoutS ?? 10),
    '-F',
    `${MESSAGE_PREFIX}%j`,
    ...(options.extra ?? []),
  ];
  return start('stdbuf', args);
}

export async function subscribed(sub: Proc): Promise<void> {
  await sub.waitForLine((line) => line.includes('received SUBACK'), 'mosquitto_sub to receive SUBACK');
}

export function mosquittoMessages(sub: Proc): MosquittoMessage[] {
  return sub.lines
    .filter((line) => line.startsWith(MESSAGE_PREFIX))
    .map((line) => JSON.parse(line.slice(MESSAGE_PREFIX.length)) as MosquittoMessage);
}

/** mosquitto_pub with -d, so its transcript shows the acknowledgement flow. Resolves with the process once it exited 0. */
export async function mosquittoPub(
  port: number,
  version: MqttVersion,
  topic: string,
  message: string | null,
  options: { qos: number; retain?: boolean },
): Promise<Proc> {
  const args = ['-d', '-h', '127.0.0.1', '-p', String(port), '-V', version, '-t', topic, '-q', String(options.qos)];
  if (message === null) args.push('-n');
  else args.push('-m', message);
  if (options.retain) args.push('-r');
  const pub = start('mosquitto_pub', args);
  await pub.succeeded();
  return pub;
}

// ------------------------------------------------------------------ paho

export type PahoVersion = '311' | '5';

export interface PahoMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

export function paho(mode: 'qos' | 'retained' | 'sub', port: number, version: PahoVersion, args: string[]): Proc {
  return start(PYTHON, ['-u', PAHO_SCRIPT, mode, '--port', String(port), '--protocol', version, ...args]);
}

/** Parses the JSON lines of the paho script. */
export function pahoEvents(proc: Proc): ({ event: string } & Record<string, unknown>)[] {
  return proc.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event: string } & Record<string, unknown>);
}
