/**
 * G7: a connection that never completes CONNECT is closed after the connect timeout
 * (limits.connectTimeout seconds), measured on an injected FakeClock so the test is exact.
 */
import { encodePacket } from '@flockmq/protocol';
import { FakeClock, RawClient, startTestBroker, waitFor, type TestBroker } from '@flockmq/testkit';
import { DEFAULT_LIMITS } from '@flockmq/broker';

const TIMEOUT_MS = DEFAULT_LIMITS.connectTimeout * 1000;

let broker: TestBroker;
let clock: FakeClock;
const raws: RawClient[] = [];

beforeEach(async () => {
  clock = new FakeClock();
  broker = await startTestBroker({ clock });
});

afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  await broker.close();
});

/** A raw connection the node has accepted (so its connect timer runs on the fake clock), nothing sent. */
async function idleConnection(): Promise<RawClient> {
  const before = broker.server.broker.connectionCount;
  const client = await RawClient.open(broker.port, 5);
  raws.push(client);
  await waitFor(() => broker.server.broker.connectionCount === before + 1, {
    what: 'the node to accept the connection',
  });
  return client;
}

test('robustness - a connection that sends nothing is closed after the connect timeout', async () => {
  const idle = await idleConnection();
  clock.advance(TIMEOUT_MS);
  await idle.closed();
  await waitFor(() => broker.server.broker.connectionCount === 0, { what: 'the connection count to return to 0' });
});

test('robustness - a connection that sends half a CONNECT is closed after the connect timeout', async () => {
  const half = await idleConnection();
  const bytes = encodePacket(
    { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepAlive: 0, clientId: 'half' },
    5,
  );
  half.sendBytes(bytes.subarray(0, bytes.length - 3));
  clock.advance(TIMEOUT_MS);
  await half.closed();
  expect(half.unread).toEqual([]); // closed without a CONNACK
  await waitFor(() => broker.server.broker.connectionCount === 0, { what: 'the connection count to return to 0' });
});

test('robustness - the connect timeout does not fire early, and not at all once CONNECT arrived', async () => {
  const client = await idleConnection();
  const idle = await idleConnection();
  clock.advance(TIMEOUT_MS - 1);
  client.send({
    type: 'connect',
    protocolName: 'MQTT',
    protocolVersion: 5,
    clean: true,
    keepAlive: 0,
    clientId: 'just-in-time',
  });
  const connack = await client.next('connack');
  expect(connack.reasonCode).toBe(0);
  clock.advance(TIMEOUT_MS);
  await idle.closed();
  // Well past its own deadline, the connected client is still served.
  client.send({ type: 'pingreq' });
  await client.next('pingresp');
  expect(client.isClosed).toBe(false);
  expect(broker.server.broker.connectionCount).toBe(1);
});
