import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '@flockmq/testkit';
import mqtt from 'mqtt';
import { main, type CliIo } from '../src/cli-main';
import type { FlockServer } from '../src/server';
import { occupyPort } from './helpers';

const host = '127.0.0.1';
const packageDir = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };

class Output {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

/** An in-process `flockmq` with fake stdio, signals and exit. */
function fakeIo(env: Record<string, string> = {}) {
  const stdout = new Output();
  const stderr = new Output();
  const signals = new EventEmitter();
  const exits: number[] = [];
  let notifyStarted: (server: FlockServer) => void = () => undefined;
  const started = new Promise<FlockServer>((resolve) => {
    notifyStarted = resolve;
  });
  const io: CliIo = {
    env,
    stdout,
    stderr,
    signals,
    exit: (code) => exits.push(code),
    hostname: () => 'cli-node',
    onStarted: (server) => notifyStarted(server),
  };
  return { io, stdout, stderr, signals, exits, started };
}

describe('cli - in process', () => {
  test('cli - --help prints the commands', async () => {
    const { io, stdout } = fakeIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(stdout.text).toContain('Usage: flockmq <command> [options]');
    expect(stdout.text).toContain('start');
  });

  test('cli - start --help prints every option', async () => {
    const { io, stdout } = fakeIo();
    expect(await main(['start', '--port', '1', '--help'], io)).toBe(0);
    expect(stdout.text).toContain('Usage: flockmq start [options]');
    expect(stdout.text).toContain('--max-packet-size <bytes>');
  });

  test('cli - --version prints the package version', async () => {
    const { io, stdout } = fakeIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(stdout.text).toBe(`${pkg.version}\n`);
  });

  test('cli - no command prints usage to stderr and exits 2', async () => {
    const { io, stderr } = fakeIo();
    expect(await main([], io)).toBe(2);
    expect(stderr.text).toContain('Usage: flockmq');
  });

  test('cli - an unknown command suggests the closest', async () => {
    const { io, stderr } = fakeIo();
    expect(await main(['strat'], io)).toBe(2);
    expect(stderr.text).toBe('flockmq: unknown command "strat" (did you mean "start"?); see flockmq --help\n');
  });

  test('cli - options before the command are pointed out', async () => {
    const { io, stderr } = fakeIo();
    expect(await main(['--port', '1883'], io)).toBe(2);
    expect(stderr.text).toBe('flockmq: options go after the command, as in: flockmq start --port 1883\n');
  });

  test('cli - a config error is one line on stderr and exit 2', async () => {
    const { io, stderr, stdout } = fakeIo();
    expect(await main(['start', '--prot', '1883'], io)).toBe(2);
    expect(stderr.text).toBe('flockmq: unknown option --prot (did you mean --port?)\n');
    expect(stdout.text).toBe('');
  });

  test('cli - an invalid environment value is one line on stderr and exit 2', async () => {
    const { io, stderr } = fakeIo({ FLOCKMQ_MAX_QOS: '3' });
    expect(await main(['start'], io)).toBe(2);
    expect(stderr.text).toBe('flockmq: FLOCKMQ_MAX_QOS: 3 is out of range (expected 0, 1 or 2)\n');
  });

  test('cli - a port in use is one line on stderr and exit 1', async () => {
    const busy = await occupyPort(host);
    try {
      const { io, stderr } = fakeIo();
      expect(
        await main(
          [
            'start',
            '--host',
            host,
            '--port',
            String(busy.port),
            '--ws-port',
            'off',
            '--http-port',
            '0',
            '--admin-port',
            '0',
          ],
          io,
        ),
      ).toBe(1);
      expect(stderr.text).toBe(`flockmq: port ${busy.port} is already in use (MQTT/TCP); choose another with --port\n`);
    } finally {
      await busy.close();
    }
  });

  test('cli - start serves MQTT, logs JSON and shuts down gracefully on SIGTERM', async () => {
    const { io, stdout, signals, started } = fakeIo({ FLOCKMQ_LOG_LEVEL: 'info', FLOCKMQ_UNKNOWN: 'x' });
    const exitCode = main(
      ['start', '--host', host, '--port', '0', '--ws-port', '0', '--http-port', '0', '--admin-port', '0'],
      io,
    );
    const server = await started;

    const client = await mqtt.connectAsync(`mqtt://${host}:${server.tcpPort}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    const disconnect = new Promise((resolve) => client.once('disconnect', resolve));
    signals.emit('SIGTERM');
    expect(await exitCode).toBe(0);
    await disconnect;
    client.end(true);

    const logs = stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.find((l) => l.msg === 'config_warning')).toMatchObject({ level: 'warn', node: 'cli-node' });
    expect(logs.find((l) => l.msg === 'listening')).toMatchObject({
      level: 'info',
      node: 'cli-node',
      tcp: `mqtt://${host}:${server.tcpPort}`,
    });
    expect(logs.find((l) => l.msg === 'shutdown_requested')).toMatchObject({ signal: 'SIGTERM' });
    expect(logs.some((l) => l.msg === 'server_closed')).toBe(true);
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });

  test('cli - a drain that outlives --drain-timeout exits at once with 1', async () => {
    const { io, stdout, signals, started, exits } = fakeIo({ FLOCKMQ_LOG_LEVEL: 'info' });
    const exitCode = main(
      [
        ...['start', '--host', host, '--port', '0', '--ws-port', 'off', '--http-port', '0', '--admin-port', '0'],
        ...['--drain-rate', '1', '--drain-timeout', '1'],
      ],
      io,
    );
    const server = await started;
    // Four clients at one per second: the drain needs 3 s, the timeout allows 1.
    const connected = await Promise.all(
      [0, 1, 2, 3].map(() =>
        mqtt.connectAsync(`mqtt://${host}:${server.tcpPort}`, { protocolVersion: 5, reconnectPeriod: 0 }),
      ),
    );
    signals.emit('SIGTERM');
    await waitFor(() => exits.length > 0, { what: 'the drain timeout to exit', timeoutMs: 5_000 });
    expect(exits).toEqual([1]);
    const logs = stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.find((l) => l.msg === 'drain_timeout')).toMatchObject({ level: 'warn', timeoutSeconds: 1 });
    // The fake exit does not end this process: let the drain finish so the test leaves nothing behind.
    expect(await exitCode).toBe(0);
    for (const client of connected) client.end(true);
  }, 15_000);

  test('cli - a signal during start-up shuts down once the server has started', async () => {
    const { io, signals, started, exits } = fakeIo({ FLOCKMQ_LOG_LEVEL: 'silent' });
    const exitCode = main(
      ['start', '--host', host, '--port', '0', '--ws-port', '0', '--http-port', '0', '--admin-port', '0'],
      io,
    );
    signals.emit('SIGTERM');
    const server = await started;
    expect(await exitCode).toBe(0);
    await server.closed();
    expect(exits).toEqual([]);
  });

  test('cli - a second signal exits at once', async () => {
    const { io, signals, started, exits, stderr } = fakeIo({ FLOCKMQ_LOG_LEVEL: 'silent' });
    const exitCode = main(
      ['start', '--host', host, '--port', '0', '--ws-port', 'off', '--http-port', '0', '--admin-port', '0'],
      io,
    );
    await started;
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(stderr.text).toBe('flockmq: SIGINT again, exiting without waiting for shutdown\n');
    expect(await exitCode).toBe(0);
  });
});

describe('cli - the built executable', () => {
  const bin = path.join(packageDir, 'bin', 'flockmq.js');

  beforeAll(() => {
    if (!existsSync(path.join(packageDir, 'dist', 'cli.js'))) {
      throw new Error('packages/server/dist/cli.js is missing: run `pnpm build` first (`pnpm test` does)');
    }
  });

  function run(args: string[]) {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { child, exited, stdout: () => stdout, stderr: () => stderr };
  }

  test('cli - flockmq start on a busy port prints one line and exits 1', async () => {
    const busy = await occupyPort(host);
    try {
      const flockmq = run([
        'start',
        '--host',
        host,
        '--port',
        String(busy.port),
        '--ws-port',
        'off',
        '--http-port',
        '0',
        '--admin-port',
        '0',
      ]);
      expect(await flockmq.exited).toBe(1);
      expect(flockmq.stderr()).toBe(
        `flockmq: port ${busy.port} is already in use (MQTT/TCP); choose another with --port\n`,
      );
    } finally {
      await busy.close();
    }
  });

  test('cli - flockmq start exits 0 after SIGTERM', async () => {
    const flockmq = run([
      'start',
      '--host',
      host,
      '--port',
      '0',
      '--ws-port',
      '0',
      '--http-port',
      '0',
      '--admin-port',
      '0',
      '--node-id',
      'spawned',
    ]);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (flockmq.stdout().includes('"msg":"listening"')) resolve();
      };
      flockmq.child.stdout.on('data', check);
      check();
    });
    flockmq.child.kill('SIGTERM');
    expect(await flockmq.exited).toBe(0);
    expect(flockmq.stdout()).toContain('"msg":"server_closed"');
    expect(flockmq.stderr()).toBe('');
  });
});
