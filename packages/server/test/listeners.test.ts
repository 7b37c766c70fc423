import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { silentLogger } from '@flockmq/broker';
import WebSocket from 'ws';
import { listenTcp } from '../src/listeners/tcp';
import { listenWs } from '../src/listeners/ws';
import type { Listener } from '../src/listeners/listener';
import { FakeAcceptor, closed, hasBytes, occupyPort, readUntil } from './helpers';

const host = '127.0.0.1';
const MAX_PACKET = 1024 * 1024;

let listener: Listener | undefined;
const clients: { destroy(): void }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await listener?.close(0);
  listener = undefined;
});

async function tcp(acceptor: FakeAcceptor): Promise<Listener> {
  listener = await listenTcp({ host, port: 0, acceptor, logger: silentLogger });
  return listener;
}

async function ws(acceptor: FakeAcceptor): Promise<Listener> {
  listener = await listenWs({
    host,
    port: 0,
    path: '/mqtt',
    maxPacketSize: MAX_PACKET,
    acceptor,
    logger: silentLogger,
  });
  return listener;
}

async function tcpClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, host);
  clients.push(socket);
  await once(socket, 'connect');
  return socket;
}

async function wsClient(port: number, protocols: string[] = ['mqtt'], path = '/mqtt'): Promise<WebSocket> {
  const client = new WebSocket(`ws://${host}:${port}${path}`, protocols);
  clients.push({ destroy: () => client.terminate() });
  client.on('error', () => undefined);
  await once(client, 'open');
  return client;
}

/** Writes through the transport until write() returns false; returns the bytes written. */
function writeUntilFull(write: (b: Buffer) => boolean): number {
  const chunk = Buffer.alloc(16 * 1024, 7);
  let written = 0;
  for (let i = 0; i < 64 * 1024; i++) {
    written += chunk.length;
    if (!write(chunk)) return written;
  }
  throw new Error('write() never returned false');
}

describe('listeners - tcp', () => {
  test('tcp - bytes flow both ways', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await tcp(acceptor);
    const client = await tcpClient(port);
    const transport = await acceptor.next();

    expect(transport.listener).toBe('tcp');
    expect(transport.remoteAddress).toBe('127.0.0.1');
    expect(transport.remotePort).toBe(client.localPort);

    const inbound = readUntil((l) => transport.onData(l), hasBytes(5));
    client.write('hello');
    expect((await inbound).toString()).toBe('hello');

    const outbound = readUntil((l) => client.on('data', l), hasBytes(5));
    expect(transport.write(Buffer.from('world'))).toBe(true);
    expect((await outbound).toString()).toBe('world');
  });

  test('tcp - the port actually bound is reported for port 0', async () => {
    const { port } = await tcp(new FakeAcceptor());
    expect(port).toBeGreaterThan(0);
  });

  test('tcp - a client closing fires onClose once', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await tcp(acceptor);
    const client = await tcpClient(port);
    const transport = await acceptor.next();
    const calls: (Error | undefined)[] = [];
    const done = new Promise<void>((resolve) =>
      transport.onClose((error) => {
        calls.push(error);
        resolve();
      }),
    );
    transport.onData(() => undefined);
    client.end();
    await done;
    expect(calls).toEqual([undefined]);
    // Registered after the fact: still told, once.
    await expect(closed(transport)).resolves.toBeUndefined();
  });

  test('tcp - end() flushes then closes the client', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await tcp(acceptor);
    const client = await tcpClient(port);
    const transport = await acceptor.next();
    const received = readUntil((l) => client.on('data', l), hasBytes(3));
    const ended = once(client, 'end');
    transport.write(Buffer.from('bye'));
    transport.end();
    expect((await received).toString()).toBe('bye');
    await ended;
  });

  test('tcp - write() returns false over the high-water mark and onDrain follows', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await tcp(acceptor);
    const client = await tcpClient(port);
    const transport = await acceptor.next();
    client.pause();
    const drained = new Promise<void>((resolve) => transport.onDrain(resolve));
    const written = writeUntilFull((b) => transport.write(b));
    expect(transport.writableLength).toBeGreaterThan(0);
    const received = readUntil((l) => client.on('data', l), hasBytes(written));
    client.resume();
    await drained;
    expect((await received).length).toBe(written);
  });

  test('tcp - a port in use names --port', async () => {
    const busy = await occupyPort(host);
    try {
      const error = await listenTcp({
        host,
        port: busy.port,
        acceptor: new FakeAcceptor(),
        logger: silentLogger,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'FLOCK_ERR_PORT_IN_USE',
        message: `port ${busy.port} is already in use (MQTT/TCP); choose another with --port`,
      });
    } finally {
      await busy.close();
    }
  });

  test('tcp - close() stops accepting and destroys connections left after the grace period', async () => {
    const acceptor = new FakeAcceptor();
    const l = await tcp(acceptor);
    const client = await tcpClient(l.port);
    await acceptor.next();
    expect(l.connectionCount).toBe(1);
    const clientClosed = once(client, 'close');
    await l.close(10);
    await clientClosed;
    expect(l.connectionCount).toBe(0);
    const refused = net.connect(l.port, host);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});

describe('listeners - ws', () => {
  test('ws - bytes flow both ways over binary frames with subprotocol mqtt', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await ws(acceptor);
    const client = await wsClient(port);
    expect(client.protocol).toBe('mqtt');
    const transport = await acceptor.next();
    expect(transport.listener).toBe('ws');
    expect(transport.remoteAddress).toBe('127.0.0.1');

    const inbound = readUntil((l) => transport.onData(l), hasBytes(4));
    client.send(Buffer.from([0xc0, 0x00]));
    client.send(Buffer.from([0xc0, 0x00]));
    expect([...(await inbound)]).toEqual([0xc0, 0x00, 0xc0, 0x00]);

    const message = once(client, 'message') as Promise<[Buffer, boolean]>;
    expect(transport.write(Buffer.from([0xd0, 0x00]))).toBe(true);
    const [data, isBinary] = await message;
    expect(isBinary).toBe(true);
    expect([...data]).toEqual([0xd0, 0x00]);
  });

  test('ws - the MQTT 3.1 subprotocol mqttv3.1 is accepted', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await ws(acceptor);
    const client = await wsClient(port, ['mqttv3.1']);
    expect(client.protocol).toBe('mqttv3.1');
  });

  test('ws - [MQTT-6.0.0-4] mqtt is selected when offered with others', async () => {
    const { port } = await ws(new FakeAcceptor());
    const client = await wsClient(port, ['other', 'mqttv3.1', 'mqtt']);
    expect(client.protocol).toBe('mqtt');
  });

  test('ws - another path gets 404', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await ws(acceptor);
    const client = new WebSocket(`ws://${host}:${port}/other`, ['mqtt']);
    clients.push({ destroy: () => client.terminate() });
    client.on('error', () => undefined);
    const [, response] = (await once(client, 'unexpected-response')) as [unknown, http.IncomingMessage];
    expect(response.statusCode).toBe(404);
    expect(acceptor.accepted).toHaveLength(0);
  });

  test('ws - plain HTTP gets 426 on the endpoint and 404 elsewhere', async () => {
    const { port } = await ws(new FakeAcceptor());
    const status = async (path: string): Promise<number | undefined> => {
      const request = http.get({ host, port, path, agent: false });
      const [response] = (await once(request, 'response')) as [http.IncomingMessage];
      response.resume();
      return response.statusCode;
    };
    expect(await status('/mqtt')).toBe(426);
    expect(await status('/mqtt?x=1')).toBe(426);
    expect(await status('/')).toBe(404);
  });

  test('ws - [MQTT-6.0.0-1] a text frame closes the connection', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await ws(acceptor);
    const client = await wsClient(port);
    const transport = await acceptor.next();
    const received: Buffer[] = [];
    transport.onData((chunk) => received.push(chunk));
    const transportClosed = closed(transport);
    const clientClosed = once(client, 'close') as Promise<[number, Buffer]>;
    client.send('not binary');
    const [code] = await clientClosed;
    expect(code).toBe(1003);
    expect(await transportClosed).toBeInstanceOf(Error);
    expect(received).toHaveLength(0);
  });

  test('ws - write() returns false over the high-water mark and onDrain follows', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await ws(acceptor);
    const client = await wsClient(port);
    const transport = await acceptor.next();
    client.pause();
    const drained = new Promise<void>((resolve) => transport.onDrain(resolve));
    const written = writeUntilFull((b) => transport.write(b));
    expect(transport.writableLength).toBeGreaterThan(0);
    const received = readUntil((l) => client.on('message', (data: Buffer) => l(data)), hasBytes(written));
    client.resume();
    await drained;
    expect((await received).length).toBe(written);
  });

  test('ws - end() closes the WebSocket and onClose fires', async () => {
    const acceptor = new FakeAcceptor();
    const { port } = await ws(acceptor);
    const client = await wsClient(port);
    const transport = await acceptor.next();
    transport.onData(() => undefined);
    const clientClosed = once(client, 'close') as Promise<[number, Buffer]>;
    const transportClosed = closed(transport);
    transport.end();
    const [code] = await clientClosed;
    expect(code).toBe(1000);
    await transportClosed;
  });

  test('ws - a port in use names --ws-port', async () => {
    const busy = await occupyPort(host);
    try {
      const error = await listenWs({
        host,
        port: busy.port,
        path: '/mqtt',
        maxPacketSize: MAX_PACKET,
        acceptor: new FakeAcceptor(),
        logger: silentLogger,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'FLOCK_ERR_PORT_IN_USE',
        message: `port ${busy.port} is already in use (MQTT/WebSocket); choose another with --ws-port`,
      });
    } finally {
      await busy.close();
    }
  });

  test('ws - close() destroys connections left after the grace period', async () => {
    const acceptor = new FakeAcceptor();
    const l = await ws(acceptor);
    const client = await wsClient(l.port);
    await acceptor.next();
    expect(l.connectionCount).toBe(1);
    const clientClosed = once(client, 'close');
    await l.close(10);
    await clientClosed;
    expect(l.connectionCount).toBe(0);
  });
});
