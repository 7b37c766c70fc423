/**
 * The benchmark harness counts what it measures: its raw-socket client against a real broker
 * (every message counted once, acknowledgements settled, frames split across reads), the closed
 * loop's bounds and fairness, and the report's arithmetic (medians, per-round ratios).
 */
import { startTestBroker, type TestBroker } from '@flockmq/testkit';
import { BenchClient, publishTemplate } from '../../bench/src/client.ts';
import { ClosedLoop } from '../../bench/src/load.ts';
import { compact, median, ratiosAgainst, report, type RunRecord } from '../../bench/src/report.ts';
import { DEFAULT_SETTINGS } from '../../bench/src/settings.ts';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker.close();
});

const connect = async (clientId: string, protocol: 4 | 5 = 4): Promise<BenchClient> =>
  (await BenchClient.connect({ host: '127.0.0.1', port: broker.port, clientId, protocol, clean: true })).client;

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.each([4, 5] as const)('bench client, MQTT %s', (protocol) => {
  test.each([0, 1, 2] as const)(
    'QoS %s: 5,000 messages in large batched writes are each counted once and acknowledged',
    async (qos) => {
      const subscriber = await connect(`sub-${protocol}-${qos}`, protocol);
      const publisher = await connect(`pub-${protocol}-${qos}`, protocol);
      expect(await subscriber.subscribe(`bench/t/${qos}`, qos)).toBe(qos);
      // 1 KB payloads: a batch of 500 frames spans many socket reads, so frames arrive split.
      const template = publishTemplate(`bench/t/${qos}`, Buffer.alloc(1024, 7), qos, protocol);
      const sizes: number[] = [];
      subscriber.onMessage = (_frame, start, end) => sizes.push(end - start);
      // 500 at a time: within the broker's Receive Maximum (1024) for QoS 1 and 2.
      for (let i = 0; i < 10; i++) {
        publisher.sendCopies(template, 500);
        await until(() => publisher.inflight === 0 && subscriber.received >= (i + 1) * 500, `batch ${i + 1}`);
      }
      expect(subscriber.received).toBe(5000);
      expect(sizes.every((size) => size === 1024)).toBe(true);
      expect(publisher.sent).toBe(5000);
      expect(publisher.acknowledged).toBe(qos === 0 ? 0 : 5000);
      await Promise.all([subscriber.close(), publisher.close()]);
    },
  );
});

test('a refused subscription comes back as its SUBACK code', async () => {
  const client = await connect('refused');
  expect(await client.subscribe('bad/#/filter', 0)).toBeGreaterThanOrEqual(0x80);
  await client.close();
});

test('the closed loop gives every publisher its turn and stops at its limit', async () => {
  const subscriber = await connect('loop-sub');
  await subscriber.subscribe('bench/loop/+', 1);
  const publisher = await connect('loop-pub');
  const topics = 300;
  const load = new ClosedLoop({
    // 300 publishers on one connection with a window of 10: a pump that restarted at the same
    // publisher each time would publish the first ten topics over and over.
    publishers: Array.from({ length: topics }, (_, i) => ({
      client: publisher,
      template: publishTemplate(`bench/loop/${i}`, Buffer.from(String(i)), 1, 4),
    })),
    subscribers: [subscriber],
    fanOut: 1,
    budget: 1000,
    window: 10,
    batch: 1,
    limit: topics,
  });
  const seen = new Map<string, number>();
  // Each publisher's payload is its index.
  subscriber.onMessage = (frame, start, end) => {
    const index = frame.toString('latin1', start, end);
    seen.set(index, (seen.get(index) ?? 0) + 1);
  };
  load.start();
  await until(() => publisher.acknowledged >= topics && load.received() >= topics, 'the limit');
  load.stop();
  expect(load.published).toBe(topics);
  expect(load.received()).toBe(topics);
  expect(load.outstanding()).toBe(0);
  expect(seen.size).toBe(topics);
  await Promise.all([subscriber.close(), publisher.close()]);
});

describe('report', () => {
  const record = (peer: RunRecord['peer'], round: number, throughput: number): RunRecord => ({
    round,
    scenario: 'fan-in',
    qos: 0,
    key: 'fan-in QoS 0',
    peer,
    label: peer,
    pinned: true,
    protocol: 4,
    at: '',
    throughput,
    brokerCores: 1,
    generatorCores: 0.5,
    brokerRssMB: 10,
  });

  test('medians, compact numbers and ratios computed per round', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(compact(142_000)).toBe('142k');
    expect(compact(1_240_000)).toBe('1.24M');
    expect(compact(5_800)).toBe('5.8k');
    const records = [
      record('mosquitto', 1, 100),
      record('flockmq', 1, 300),
      record('mosquitto', 2, 200),
      record('flockmq', 2, 300),
    ];
    // Per round: 3 and 1.5 (not the ratio of medians, 300 / 150 = 2).
    expect(ratiosAgainst(records, 'fan-in QoS 0', 'flockmq')).toEqual([3, 1.5]);
    const { markdown, svg } = report(records, { plan: 'test', rounds: 2, settings: DEFAULT_SETTINGS });
    expect(markdown).toContain('| fan-in QoS 0 | 150 (100–200) | 300 (300–300) | 2.25× (1.50×–3.00×) |');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
