/**
 * MQTT over TLS (--tls-port) and over secure WebSocket (--wss-port), with real certificates made
 * by openssl at test time, real MQTT.js clients and mosquitto_pub: server-only TLS and mutual TLS.
 */
import { execFile, execFileSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@flockmq/broker';
import { waitFor } from '@flockmq/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../src/config';
import { startServer, type FlockServer } from '../src/server';

const host = '127.0.0.1';
let dir: string;
const file = (name: string): string => join(dir, name);
const servers: FlockServer[] = [];
const clients: MqttClient[] = [];

/** A CA, and a server and a client certificate it signed (EC P-256, one day). */
function makeCertificates(): void {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=flockmq-test-ca', '-days', '1');
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', 'device-1', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`],
    );
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flockmq-tls-'));
  makeCertificates();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  for (const client of clients.splice(0)) client.end(true);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(...argv: string[]): Promise<FlockServer> {
  return startWith({}, ...argv);
}

async function startWith(options: { certificateCheckMs?: number }, ...argv: string[]): Promise<FlockServer> {
  const config = loadConfig({
    argv: [
      ...['--host', host, '--port', '0', '--ws-port', 'off', '--http-port', '0', '--admin-port', 'off'],
      ...['--tls-port', '0', '--wss-port', '0', '--tls-cert', file('server.pem'), '--tls-key', file('server.key')],
      ...['--sys-interval', '0', ...argv],
    ],
  });
  const server = await startServer(config, { logger: silentLogger, closeGraceMs: 500, ...options });
  servers.push(server);
  return server;
}

/** The serial number of the certificate a TLS port presents to a new connection. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, ca: readFileSync(file('ca.pem')), servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, keepalive: 0, ...options });
  clients.push(client);
  return client;
}

/** Connects expecting failure; resolves with the error. */
function refused(url: string, options: mqtt.IClientOptions): Promise<Error> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    clients.push(client);
    client.once('connect', () => resolve(new Error('connected although it should not have')));
    client.once('error', resolve);
    client.once('close', () => resolve(new Error('closed')));
  });
}

describe('TLS listeners', () => {
  test('tls - MQTT over TLS and over secure WebSocket carry messages both ways, labelled tls and wss', async () => {
    const server = await start();
    const ca = readFileSync(file('ca.pem'));
    const sub = await connect(`mqtts://${host}:${server.tlsPort}`, { ca, servername: 'localhost' });
    await sub.subscribeAsync('secure/#', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.once('message', (_t, payload) => resolve(payload.toString())));
    const pub = await connect(`wss://${host}:${server.wssPort}/mqtt`, { ca, wsOptions: { ca } });
    await pub.publishAsync('secure/x', 'over tls', { qos: 1 });
    expect(await got).toBe('over tls');
    const metrics = await (await fetch(`http://${host}:${server.httpPort}/metrics`)).text();
    expect(metrics).toContain('flockmq_connections_current{listener="tls",protocol="5.0"} 1');
    expect(metrics).toContain('flockmq_connections_current{listener="wss",protocol="5.0"} 1');
  });

  test('tls - mosquitto_pub publishes over TLS with the CA file', async () => {
    const server = await start();
    const ca = readFileSync(file('ca.pem'));
    const sub = await connect(`mqtts://${host}:${server.tlsPort}`, { ca, servername: 'localhost' });
    await sub.subscribeAsync('mosq/#', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.once('message', (_t, payload) => resolve(payload.toString())));
    // Asynchronously: the broker answers from this same process.
    await promisify(execFile)('mosquitto_pub', [
      ...['-h', host, '-p', String(server.tlsPort), '--cafile', file('ca.pem')],
      ...['-V', 'mqttv5', '-t', 'mosq/t', '-m', 'from mosquitto', '-q', '1'],
    ]);
    expect(await got).toBe('from mosquitto');
  });

  test('tls - a client that does not trust the certificate, or speaks plain MQTT to the TLS port, gets no session', async () => {
    const server = await start();
    const untrusted = await refused(`mqtts://${host}:${server.tlsPort}`, { rejectUnauthorized: true });
    expect(untrusted.message).toMatch(/self.signed|unable to verify|certificate/i);
    const plain = await refused(`mqtt://${host}:${server.tlsPort}`, { connectTimeout: 2_000 });
    expect(plain.message).not.toMatch(/should not/);
    expect(server.broker.clientCount).toBe(0);
  });

  test('tls - with --tls-ca, a client must present a certificate the CA signed', async () => {
    const server = await start('--tls-ca', file('ca.pem'));
    const ca = readFileSync(file('ca.pem'));
    const url = `mqtts://${host}:${server.tlsPort}`;
    const anonymous = await refused(url, { ca, servername: 'localhost' });
    expect(anonymous.message).not.toMatch(/should not/);
    const device = await connect(url, {
      ca,
      servername: 'localhost',
      cert: readFileSync(file('client.pem')),
      key: readFileSync(file('client.key')),
    });
    expect(device.connected).toBe(true);
  });

  test('tls - a rotated certificate is served to new connections without a restart; open ones stay', async () => {
    writeFileSync(file('live.pem'), readFileSync(file('server.pem')));
    writeFileSync(file('live.key'), readFileSync(file('server.key')));
    const server = await startWith(
      { certificateCheckMs: 50 },
      '--tls-cert',
      file('live.pem'),
      '--tls-key',
      file('live.key'),
    );
    const ca = readFileSync(file('ca.pem'));
    const before = await servedSerial(server.tlsPort!);
    const open = await connect(`mqtts://${host}:${server.tlsPort}`, { ca, servername: 'localhost' });
    // The renewal: a new certificate for the same key, as cert-manager would write it.
    execFileSync(
      'openssl',
      [
        ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
        ...['-out', 'renewed.pem', '-days', '2', '-extfile', 'server.ext'],
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    writeFileSync(file('live.pem'), readFileSync(file('renewed.pem')));
    await waitFor(async () => (await servedSerial(server.tlsPort!)) !== before, {
      what: 'the renewed certificate to be served',
    });
    expect(open.connected).toBe(true);
  });

  test('tls - a TLS port without a certificate, or a certificate file that cannot be read, is a one-line error', async () => {
    expect(() => loadConfig({ argv: ['--tls-port', '8883'] })).toThrow(
      /--tls-port needs a certificate: set --tls-cert and --tls-key/,
    );
    await expect(start('--tls-cert', file('missing.pem'))).rejects.toThrow(
      /--tls-cert: cannot read .*missing\.pem \(ENOENT\)/,
    );
  });
});
