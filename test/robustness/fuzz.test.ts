/**
 * G7 over real sockets: random and mutated byte streams, each on its own TCP connection to ONE
 * running node. After every batch the node must still serve (a healthy MQTT.js client completes a
 * QoS 1 round trip on the connection it has had all along) and its connection count must return
 * to the baseline (nothing leaked). Bounded: a few hundred connections per property.
 *
 * Set FUZZ_SEED to replay a failure (fast-check prints the seed and the failing batch), FUZZ_SCALE=10
 * for ten times as many runs.
 */
import fc from 'fast-check';
import { startTestBroker, type TestBroker } from '@flockmq/testkit';
import { batchOf, connectThenRandom, mutatedStream, randomStream } from './arbitraries';
import { HealthyClient, connectionsBackTo, cut, hex, sendAndAwaitClose, sendStream } from './helpers';

let broker: TestBroker;
let healthy: HealthyClient;
let baseline: number;

/** FUZZ_SCALE multiplies the number of runs, for a longer hunt by hand. */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** No shrinking: after a failure the node's state is suspect, so re-running smaller inputs on it proves nothing. */
const runs = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns: numRuns * SCALE,
  endOnFailure: true,
  ...(seed !== undefined && { seed }),
});

beforeAll(async () => {
  broker = await startTestBroker();
  healthy = await HealthyClient.start(broker);
  baseline = broker.server.broker.connectionCount;
});

afterAll(async () => {
  await healthy.close();
  await broker.close();
});

type Batch = { bytes: Uint8Array; cuts: number[]; finish: 'end' | 'destroy' }[];

async function sendBatch(batch: Batch): Promise<void> {
  const results = await Promise.allSettled(batch.map((s) => sendStream(broker.port, cut(s.bytes, s.cuts), s.finish)));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    const reason = (results[failed] as PromiseRejectedResult).reason as Error;
    throw new Error(`${reason.message}; stream ${hex(batch[failed]!.bytes)}`);
  }
  await connectionsBackTo(broker, baseline);
  await healthy.roundTrip('a QoS 1 round trip after the batch');
}

test('robustness - the healthy client and baseline hold before any fuzzing', async () => {
  expect(baseline).toBe(1);
  await healthy.roundTrip();
});

test('robustness - random byte streams close only their own connections', async () => {
  await fc.assert(fc.asyncProperty(batchOf(randomStream), sendBatch), runs(60));
  expect(broker.server.broker.connectionCount).toBe(baseline);
}, 120_000);

test('robustness - random bytes after a valid CONNECT close only their own connections', async () => {
  await fc.assert(fc.asyncProperty(batchOf(connectThenRandom), sendBatch), runs(60));
  expect(broker.server.broker.connectionCount).toBe(baseline);
}, 120_000);

test('robustness - mutated valid packet streams close only their own connections', async () => {
  await fc.assert(fc.asyncProperty(batchOf(mutatedStream), sendBatch), runs(80));
  expect(broker.server.broker.connectionCount).toBe(baseline);
}, 120_000);

test.each([
  ['PINGREQ', [0xc0, 0x00]],
  ['PUBLISH', [0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]],
  ['SUBSCRIBE', [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]],
  ['DISCONNECT', [0xe0, 0x00]],
  ['reserved type 0', [0x00, 0x00]],
])(
  'robustness - [MQTT-3.1.0-1] a connection whose first packet is %s is closed by the broker',
  async (_name, first) => {
    // [MQTT-3.1.0-1] The client keeps its side open: only the broker can end this connection.
    await sendAndAwaitClose(broker.port, new Uint8Array(first));
    await connectionsBackTo(broker, baseline);
    await healthy.roundTrip();
  },
);
