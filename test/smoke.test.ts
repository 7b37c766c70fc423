import mqtt from 'mqtt';
import { startTestBroker, type TestBroker } from '@flockmq/testkit';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.close();
});

test('smoke - pub/sub round trip at every QoS over MQTT 5 and 3.1.1', async () => {
  for (const protocolVersion of [4, 5] as const) {
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion, clientId: `s${protocolVersion}` });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion, clientId: `p${protocolVersion}` });
    await sub.subscribeAsync('a/#', { qos: 2 });
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      sub.on('message', (t, p) => {
        got.push(`${t}:${p}`);
        if (got.length === 3) resolve();
      }),
    );
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`a/${qos}`, `m${qos}`, { qos });
    await all;
    expect(got.sort()).toEqual(['a/0:m0', 'a/1:m1', 'a/2:m2']);
    await sub.endAsync();
    await pub.endAsync();
  }
});
