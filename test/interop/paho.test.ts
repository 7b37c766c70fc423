/**
 * Interop: Eclipse paho-mqtt for Python (1.6, Debian package python3-paho-mqtt) against a real
 * FlockMQ node, over MQTT 3.1.1 and MQTT 5. The client side lives in paho_roundtrip.py.
 */
import { startTestBroker, type TestBroker } from '@flockmq/testkit';
import { killAll, paho, pahoEvents, requirePaho, type PahoMessage, type PahoVersion } from './tools';

let broker: TestBroker;
let seq = 0;
const prefix = (name: string): string => `interop/paho/${++seq}/${name}`;

beforeAll(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await broker.close();
});

interface Result {
  event: 'result';
  granted: number[];
  received: PahoMessage[];
}

async function runPaho(mode: 'qos' | 'retained', version: PahoVersion, p: string): Promise<Result> {
  const proc = paho(mode, broker.port, version, ['--prefix', p]);
  await proc.succeeded();
  const result = pahoEvents(proc).find((e) => e.event === 'result');
  if (!result) throw new Error(`paho printed no result\n${proc.transcript}`);
  return result as unknown as Result;
}

describe.each(['311', '5'] as PahoVersion[])('interop paho (MQTT %s) -', (version) => {
  test('QoS 0, 1 and 2 round trips', async () => {
    requirePaho();
    const p = prefix(`qos-v${version}`);
    const result = await runPaho('qos', version, p);
    expect(result.granted).toEqual([2]);
    const received = [...result.received].sort((a, b) => a.topic.localeCompare(b.topic));
    expect(received).toEqual(
      [0, 1, 2].map((qos) => ({ topic: `${p}/rt/q${qos}`, payload: `paho-q${qos}`, qos, retain: false })),
    );
  });

  test('a retained message reaches a later subscriber with RETAIN set', async () => {
    requirePaho();
    const p = prefix(`retained-v${version}`);
    const result = await runPaho('retained', version, p);
    expect(result.granted).toEqual([1]);
    expect(result.received).toEqual([{ topic: `${p}/ret/state`, payload: 'paho-retained', qos: 1, retain: true }]);
  });
});
