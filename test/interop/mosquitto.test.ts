/**
 * Interop: Eclipse Mosquitto's command-line clients (mosquitto_pub / mosquitto_sub, Debian
 * package mosquitto-clients) against a real FlockMQ node, over MQTT 3.1.1 and MQTT 5.
 */
import { startTestBroker, type TestBroker } from '@flockmq/testkit';
import {
  killAll,
  mosquittoMessages,
  mosquittoPub,
  mosquittoSub,
  requireMosquittoClients,
  subscribed,
  type MqttVersion,
} from './tools';

const VERSIONS: MqttVersion[] = ['mqttv311', 'mqttv5'];
/** The acknowledgement a QoS 1/2 publisher waits for, as mosquitto -d prints it. */
const PUBLISHER_ACK = ['', 'received PUBACK', 'received PUBCOMP'] as const;
const SUBSCRIBER_ACK = ['', 'sending PUBACK', 'sending PUBCOMP'] as const;

let broker: TestBroker;
let seq = 0;
const topic = (name: string): string => `interop/mosq/${++seq}/${name}`;

beforeAll(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await broker.close();
});

describe.each(VERSIONS)('interop mosquitto (%s) -', (version) => {
  test.each([0, 1, 2])('[MQTT-3.3.4-1] QoS %i round trip', async (qos) => {
    requireMosquittoClients();
    const t = topic(`q${qos}`);
    const sub = mosquittoSub(broker.port, version, t, { qos: 2, count: 1 });
    await subscribed(sub);
    const pub = await mosquittoPub(broker.port, version, t, `hello q${qos}`, { qos });
    await sub.succeeded();

    expect(mosquittoMessages(sub)).toEqual([
      expect.objectContaining({ topic: t, qos, retain: 0, payload: `hello q${qos}` }),
    ]);
    if (qos > 0) {
      expect(pub.stdout).toContain(PUBLISHER_ACK[qos]);
      expect(sub.stdout).toContain(SUBSCRIBER_ACK[qos]);
    }
    if (qos === 2) expect(sub.stdout).toContain('received PUBREL');
  });

  test('[MQTT-3.8.4-8] delivery QoS is the lower of publish and subscription QoS', async () => {
    requireMosquittoClients();
    const t = topic('downgrade');
    const sub = mosquittoSub(broker.port, version, t, { qos: 1, count: 1 });
    await subscribed(sub);
    await mosquittoPub(broker.port, version, t, 'downgraded', { qos: 2 });
    await sub.succeeded();
    expect(mosquittoMessages(sub)).toEqual([expect.objectContaining({ topic: t, qos: 1, payload: 'downgraded' })]);
  });

  test('[MQTT-3.8.4-7] SUBACK grants the requested QoS', async () => {
    requireMosquittoClients();
    const t = topic('granted');
    const sub = mosquittoSub(broker.port, version, t, { qos: 2, count: 1 });
    await sub.waitForLine((line) => line.startsWith('Subscribed'), 'the SUBACK line');
    // mosquitto_sub prints "Subscribed (mid: 1): 2" with the granted QoS.
    expect(sub.lines.find((line) => line.startsWith('Subscribed'))).toMatch(/: 2$/);
    await mosquittoPub(broker.port, version, t, 'done', { qos: 0 });
    await sub.succeeded();
  });

  test('[MQTT-3.3.1-5] [MQTT-3.3.1-9] [MQTT-3.3.1-8 (3.1.1)] a retained message reaches a later subscriber with RETAIN set', async () => {
    requireMosquittoClients();
    const t = topic('retained');
    await mosquittoPub(broker.port, version, t, 'last known value', { qos: 1, retain: true });
    const sub = mosquittoSub(broker.port, version, t, { qos: 1, count: 1 });
    await sub.succeeded();
    expect(mosquittoMessages(sub)).toEqual([
      expect.objectContaining({ topic: t, qos: 1, retain: 1, payload: 'last known value' }),
    ]);
    await mosquittoPub(broker.port, version, t, null, { qos: 1, retain: true });
  });

  test('[MQTT-3.3.1-12] [MQTT-3.3.1-9 (3.1.1)] a retained message goes out live without RETAIN to existing subscribers', async () => {
    requireMosquittoClients();
    const t = topic('retained-live');
    const sub = mosquittoSub(broker.port, version, t, { qos: 1, count: 1 });
    await subscribed(sub);
    await mosquittoPub(broker.port, version, t, 'live', { qos: 1, retain: true });
    await sub.succeeded();
    expect(mosquittoMessages(sub)).toEqual([expect.objectContaining({ topic: t, retain: 0, payload: 'live' })]);
    await mosquittoPub(broker.port, version, t, null, { qos: 1, retain: true });
  });

  test('[MQTT-3.3.1-6] [MQTT-3.3.1-7] [MQTT-3.3.1-10 (3.1.1)] [MQTT-3.3.1-11 (3.1.1)] an empty retained publish clears the retained message', async () => {
    requireMosquittoClients();
    const base = topic('clear');
    await mosquittoPub(broker.port, version, `${base}/kept`, 'kept', { qos: 1, retain: true });
    await mosquittoPub(broker.port, version, `${base}/cleared`, 'to be cleared', { qos: 1, retain: true });
    await mosquittoPub(broker.port, version, `${base}/cleared`, null, { qos: 1, retain: true });
    // --retained-only prints retained messages and exits at the first live one: the marker
    // published after SUBACK ends the run, so what was printed is every retained message.
    const sub = mosquittoSub(broker.port, version, `${base}/#`, { qos: 1, count: 10, extra: ['--retained-only'] });
    await subscribed(sub);
    await mosquittoPub(broker.port, version, `${base}/marker`, 'end', { qos: 1 });
    await sub.succeeded();
    expect(mosquittoMessages(sub)).toEqual([
      expect.objectContaining({ topic: `${base}/kept`, retain: 1, payload: 'kept' }),
    ]);
    await mosquittoPub(broker.port, version, `${base}/kept`, null, { qos: 1, retain: true });
  });
});

test('interop mosquitto - MQTT 3.1.1 publisher reaches an MQTT 5 subscriber and back', async () => {
  requireMosquittoClients();
  const t = topic('cross-version');
  const sub5 = mosquittoSub(broker.port, 'mqttv5', t, { qos: 2, count: 2 });
  const sub311 = mosquittoSub(broker.port, 'mqttv311', t, { qos: 2, count: 2 });
  await Promise.all([subscribed(sub5), subscribed(sub311)]);
  await mosquittoPub(broker.port, 'mqttv311', t, 'from 311', { qos: 2 });
  await mosquittoPub(broker.port, 'mqttv5', t, 'from 5', { qos: 1 });
  await Promise.all([sub5.succeeded(), sub311.succeeded()]);
  for (const sub of [sub5, sub311]) {
    expect(mosquittoMessages(sub).map((m) => [m.payload, m.qos])).toEqual([
      ['from 311', 2],
      ['from 5', 1],
    ]);
  }
});
