/**
 * G7: per-client outbound buffers are bounded. A client that keeps sending requests (PINGREQ here,
 * QoS 1 PUBLISH would do the same) and never reads the answers must not make the node buffer an
 * answer for every request: the node either stops reading from that client until it reads again
 * (back-pressure) or disconnects it. Either way what the node holds for it stays near its outbound
 * high-water mark, and the other clients are still served.
 */
import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { encodePacket } from '@flockmq/protocol';
import { WaitTimeoutError, startTestBroker, waitFor, type TestBroker } from '@flockmq/testkit';
import { HealthyClient } from './helpers';

/** 16 MiB of PINGREQs (8 Mi packets): bounded, and far past any sane per-client buffer. */
const FLOOD_CHUNK = Buffer.alloc(2 * 1024 * 1024, Buffer.from([0xc0, 0x00]));
const FLOOD_CHUNKS = 8;
/** The channel's outbound high-water mark is 1 MiB, the socket's 64 KiB: allow generous slack. */
const OUTBOUND_LIMIT = 4 * 1024 * 1024;
/** How long the node may sit on an unread flood without closing it (the back-pressure case). */
const OBSERVE_MS = 5000;

let broker: TestBroker;
let flooder: Socket | undefined;
let watcher: mqtt.MqttClient | undefined;
let healthy: HealthyClient | undefined;

beforeEach(async () => {
  broker = await startTestBroker();
});

afterEach(async () => {
  flooder?.destroy();
  await watcher?.endAsync(true);
  await healthy?.close();
  await broker.close();
});

test('robustness - a client flooding PINGREQ without reading the answers does not grow its outbound buffer without bound', async () => {
  healthy = await HealthyClient.start(broker);
  // The flood ends with a PUBLISH to 'marker': once the watcher sees it, the node has read everything.
  watcher = await mqtt.connectAsync(broker.url, { clientId: 'watcher', protocolVersion: 5, reconnectPeriod: 0 });
  await watcher.subscribeAsync('marker', { qos: 0 });
  let markerSeen = false;
  watcher.on('message', () => (markerSeen = true));

  const socket = connect({ port: broker.port, host: '127.0.0.1' });
  flooder = socket;
  socket.on('error', () => undefined);
  let closed = false;
  socket.once('close', () => (closed = true));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    encodePacket(
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepAlive: 0, clientId: 'flooder' },
      5,
    ),
  );
  await waitFor(() => broker.server.broker.channel('flooder'), { what: 'the flooder to be connected' });
  socket.pause(); // never read a byte of the answers
  for (let i = 0; i < FLOOD_CHUNKS; i++) socket.write(FLOOD_CHUNK);
  socket.write(
    encodePacket(
      { type: 'publish', topic: 'marker', payload: Buffer.from('end'), qos: 0, retain: false, dup: false },
      5,
    ),
  );

  const outbound = (): number => broker.server.broker.channel('flooder')?.transport.writableLength ?? 0;
  let peak = 0;
  try {
    // Done when the node closed the flooder, read the whole flood, or already holds too much for it.
    await waitFor(
      () => {
        peak = Math.max(peak, outbound());
        return closed || markerSeen || peak > OUTBOUND_LIMIT;
      },
      { timeoutMs: OBSERVE_MS },
    );
  } catch (error) {
    // Neither closed nor read to the end: the node stopped reading from the flooder (back-pressure).
    if (!(error instanceof WaitTimeoutError)) throw error;
  }
  peak = Math.max(peak, outbound());
  // Bytes the node held at once for a client that reads nothing.
  expect(peak).toBeLessThanOrEqual(OUTBOUND_LIMIT);
  await healthy.roundTrip('a QoS 1 round trip of another client after the flood');
}, 60_000);
