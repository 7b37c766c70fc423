/**
 * Interop between different client implementations through one FlockMQ node: mosquitto_pub →
 * paho-mqtt (Python) subscriber, and MQTT.js publisher → mosquitto_sub, across protocol levels.
 */
import mqtt from 'mqtt';
import { startTestBroker, type TestBroker } from '@flockmq/testkit';
import {
  killAll,
  mosquittoMessages,
  mosquittoPub,
  mosquittoSub,
  paho,
  pahoEvents,
  requireMosquittoClients,
  requirePaho,
  subscribed,
  type MqttVersion,
  type PahoVersion,
} from './tools';

let broker: TestBroker;
let seq = 0;
const topic = (name: string): string => `interop/mixed/${++seq}/${name}`;
const clients: mqtt.MqttClient[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await killAll();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});
afterAll(async () => {
  await broker.close();
});

async function mqttjs(protocolVersion: 4 | 5): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(broker.url, {
    protocolVersion,
    clientId: `mqttjs-${++seq}`,
    reconnectPeriod: 0,
  });
  clients.push(client);
  return client;
}

const PAIRS: [MqttVersion, PahoVersion][] = [
  ['mqttv311', '311'],
  ['mqttv5', '5'],
  ['mqttv311', '5'],
  ['mqttv5', '311'],
];

test.each(PAIRS)(
  'interop mixed - mosquitto_pub (%s) to paho subscriber (MQTT %s) at QoS 0, 1, 2',
  async (pubVersion, subVersion) => {
    requireMosquittoClients();
    requirePaho();
    const t = topic('mosq-to-paho');
    const sub = paho('sub', broker.port, subVersion, [
      '--topic',
      `${t}/#`,
      '--qos',
      '2',
      '--count',
      '3',
      '--prefix',
      `paho-${seq}`,
    ]);
    await sub.waitForLine((line) => line.includes('"subscribed"'), 'paho to receive SUBACK');
    for (const qos of [0, 1, 2]) await mosquittoPub(broker.port, pubVersion, `${t}/q${qos}`, `mosq q${qos}`, { qos });
    await sub.succeeded();
    const messages = pahoEvents(sub)
      .filter((e) => e.event === 'message')
      .map(({ topic: tp, payload, qos, retain }) => ({ topic: tp, payload, qos, retain }));
    expect(messages).toEqual(
      [0, 1, 2].map((qos) => ({ topic: `${t}/q${qos}`, payload: `mosq q${qos}`, qos, retain: false })),
    );
  },
);

test('interop mixed - mosquitto_pub retained message reaches a later paho subscriber', async () => {
  requireMosquittoClients();
  requirePaho();
  const t = topic('mosq-retained-to-paho');
  await mosquittoPub(broker.port, 'mqttv5', t, 'kept for later', { qos: 1, retain: true });
  const sub = paho('sub', broker.port, '311', ['--topic', t, '--qos', '1', '--count', '1', '--prefix', `paho-${seq}`]);
  await sub.succeeded();
  const messages = pahoEvents(sub).filter((e) => e.event === 'message');
  expect(messages).toEqual([expect.objectContaining({ topic: t, payload: 'kept for later', qos: 1, retain: true })]);
  await mosquittoPub(broker.port, 'mqttv5', t, null, { qos: 1, retain: true });
});

const JS_PAIRS: [4 | 5, MqttVersion][] = [
  [4, 'mqttv311'],
  [5, 'mqttv5'],
  [5, 'mqttv311'],
  [4, 'mqttv5'],
];

test.each(JS_PAIRS)(
  'interop mixed - MQTT.js publisher (protocol %i) to mosquitto_sub (%s) at QoS 0, 1, 2',
  async (jsVersion, subVersion) => {
    requireMosquittoClients();
    const t = topic('mqttjs-to-mosq');
    const sub = mosquittoSub(broker.port, subVersion, `${t}/#`, { qos: 2, count: 3 });
    await subscribed(sub);
    const pub = await mqttjs(jsVersion);
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`${t}/q${qos}`, `js q${qos}`, { qos });
    await sub.succeeded();
    expect(
      mosquittoMessages(sub).map(({ topic: tp, qos, retain, payload }) => ({ topic: tp, qos, retain, payload })),
    ).toEqual([0, 1, 2].map((qos) => ({ topic: `${t}/q${qos}`, qos, retain: 0, payload: `js q${qos}` })));
  },
);

test('interop mixed - MQTT.js retained message reaches a later mosquitto_sub', async () => {
  requireMosquittoClients();
  const t = topic('mqttjs-retained-to-mosq');
  const pub = await mqttjs(5);
  await pub.publishAsync(t, 'js retained', { qos: 2, retain: true });
  const sub = mosquittoSub(broker.port, 'mqttv311', t, { qos: 2, count: 1 });
  await sub.succeeded();
  expect(mosquittoMessages(sub)).toEqual([
    expect.objectContaining({ topic: t, qos: 2, retain: 1, payload: 'js retained' }),
  ]);
  await pub.publishAsync(t, '', { qos: 1, retain: true });
});
