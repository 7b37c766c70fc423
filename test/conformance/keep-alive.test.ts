/** Keep alive and PINGREQ/PINGRESP, timed with a FakeClock (MQTT 5.0 §3.1.2.10, §3.12, §3.13; 3.1.1 §3.1.2.10). */
import { FakeClock } from '@flockmq/testkit';
import { expectClosedSilently, expectDisconnect, ping, publish, sub, subscribe, uniqueId, useWorlds } from './helpers';

const start = useWorlds();

describe('keep alive enforcement', () => {
  test('keep alive - [MQTT-3.1.2-22] an MQTT 5 client silent for 1.5 times its keep alive gets DISCONNECT 0x8D, not a moment before', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await w.raw({ keepAlive: 10 });
    clock.advance(14_999);
    await ping(c);
    clock.advance(14_999);
    await ping(c);
    clock.advance(15_000);
    await expectDisconnect(c, 0x8d);
  });

  test.each([4, 3] as const)(
    'keep alive - [MQTT-3.1.2-24 (3.1.1)] a level %i client silent for 1.5 times its keep alive is disconnected without a packet',
    async (protocolVersion) => {
      const clock = new FakeClock();
      const w = await start({ clock });
      const c = await w.raw({ protocolVersion, keepAlive: 4 });
      clock.advance(5_999);
      await ping(c);
      clock.advance(6_000);
      await expectClosedSilently(c);
    },
  );

  test('keep alive - [MQTT-3.1.2-22] any control packet, not only PINGREQ, resets the keep alive timer', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await w.raw({ keepAlive: 10 });
    for (let i = 0; i < 3; i++) {
      clock.advance(14_000);
      await subscribe(c, sub(`ka/${i}`, 0));
    }
    clock.advance(14_000);
    await publish(c, 'ka/x', 'x', { qos: 1 });
    clock.advance(14_000);
    await ping(c);
    expect(c.isClosed).toBe(false);
  });

  test('keep alive - [§3.1.2.10] a keep alive of 0 turns the mechanism off', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const c = await w.raw({ keepAlive: 0 });
    clock.advance(7 * 24 * 3600 * 1000);
    await ping(c);
  });

  test("keep alive - [MQTT-3.2.2-21] [MQTT-3.2.2-22] the broker enforces the Server Keep Alive it sent, not the client's value", async () => {
    const clock = new FakeClock();
    const w = await start({ clock, limits: { maxKeepAlive: 10 } });
    const { client, connack } = await w.connect({ keepAlive: 100 });
    expect(connack.properties?.serverKeepAlive).toBe(10);
    clock.advance(14_999);
    await ping(client);
    clock.advance(15_000);
    await expectDisconnect(client, 0x8d);
  });

  test("keep alive - [MQTT-3.2.2-22] without Server Keep Alive the broker uses the client's keep alive", async () => {
    const clock = new FakeClock();
    const w = await start({ clock, limits: { maxKeepAlive: 60 } });
    const { client, connack } = await w.connect({ keepAlive: 20 });
    expect(connack.properties?.serverKeepAlive).toBeUndefined();
    clock.advance(29_999);
    await ping(client);
    clock.advance(30_000);
    await expectDisconnect(client, 0x8d);
  });

  test('keep alive - [MQTT-3.1.2-8] [MQTT-3.1.2-8 (3.1.1)] a keep alive timeout publishes the will, as a network failure would', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const watcher = await w.raw();
    await subscribe(watcher, sub('ka/will', 1));
    await w.raw({
      clientId: uniqueId('ka'),
      keepAlive: 2,
      will: { topic: 'ka/will', payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    clock.advance(3_000);
    expect((await watcher.next('publish')).payload.toString()).toBe('gone');
  });

  test('keep alive - [§3.1.2.10] one client timing out does not affect another', async () => {
    const clock = new FakeClock();
    const w = await start({ clock });
    const short = await w.raw({ keepAlive: 1 });
    const long = await w.raw({ keepAlive: 100 });
    clock.advance(1_500);
    await expectDisconnect(short, 0x8d);
    await ping(long);
  });
});

describe('PINGREQ / PINGRESP', () => {
  test.each([5, 4, 3] as const)(
    'keep alive - [MQTT-3.12.4-1] [MQTT-3.12.4-1 (3.1.1)] PINGREQ is answered by PINGRESP (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const c = await w.raw({ protocolVersion });
      for (let i = 0; i < 3; i++) c.send({ type: 'pingreq' });
      for (let i = 0; i < 3; i++) await c.next('pingresp');
    },
  );
});
