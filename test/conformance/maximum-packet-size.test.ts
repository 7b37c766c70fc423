/**
 * The client's Maximum Packet Size and the optional properties of what the broker sends
 * (MQTT 5.0 §3.1.2.11.4; the Reason String and User Property rules of §3.2.2.3, §3.4.2.2,
 * §3.5.2.2, §3.6.2.2, §3.7.2.2, §3.9.2.1, §3.11.2.1 and §3.14.2.2): a Reason String or User
 * Property that would take a packet over the client's maximum is left out, and the packet, with
 * its reason code, still goes out.
 */
import { encodePacket } from '@flockmq/protocol';
import type { ConnectPacket, Packet, PacketType } from '@flockmq/protocol';
import type { AuthenticateRequest, AuthenticateResult } from '@flockmq/broker';
import { FakeClock } from '@flockmq/testkit';
import type { RawClient } from '@flockmq/testkit';
import { connectPacket, publishPacket, sub, uniqueId, useWorlds } from './helpers';
import type { World } from './helpers';

const start = useWorlds();

/** Bytes a packet takes on the wire (the broker encodes with the same encoder). */
const wireSize = (packet: Packet): number => encodePacket(packet, 5).length;

describe('CONNACK', () => {
  const refuseBad = (r: AuthenticateRequest): AuthenticateResult =>
    r.username === 'bad'
      ? { ok: false, reasonCode: 0x86, reason: 'user name or password not recognised, try again' }
      : { ok: true };

  test.each([
    ['an unsupported Authentication Method', 0x8c, { properties: { authenticationMethod: 'SCRAM-SHA-256' } }],
    ['a refusal by the authentication hook', 0x86, { username: 'bad', password: Buffer.from('pw') }],
  ] as [string, number, Partial<ConnectPacket>][])(
    "max packet size - [MQTT-3.2.2-19] [MQTT-3.2.2-20] the CONNACK for %s leaves out its Reason String and User Properties when they would exceed the client's Maximum Packet Size",
    async (_name, code, fields) => {
      const w = await start({ hooks: { authenticate: refuseBad } });
      // Without a limit the broker explains the refusal in a Reason String.
      const told = await w.connect(fields);
      expect(told.connack.reasonCode).toBe(code);
      expect(told.connack.properties?.reasonString).toEqual(expect.any(String));
      const limit = wireSize(told.connack) - 1;
      const { client, connack } = await w.connect({
        ...fields,
        properties: { ...fields.properties, maximumPacketSize: limit },
      });
      expect(connack).toMatchObject({ reasonCode: code, sessionPresent: false });
      expect(connack.properties?.reasonString).toBeUndefined();
      expect(connack.properties?.userProperties).toBeUndefined();
      expect(wireSize(connack)).toBeLessThanOrEqual(limit);
      await client.closed();
    },
  );
});

describe('acknowledgements', () => {
  /**
   * Room for the CONNACK (16 bytes with the default limits) and for each acknowledgement below
   * with its reason code, not for a Reason String of more than a few characters.
   */
  const LIMIT = 16;

  /**
   * Each case makes the broker answer with a failure, the kind of answer a Reason String explains.
   * FlockMQ puts no Reason String or User Property on these today; whatever it adds must still fit.
   */
  const cases: [string, PacketType, number, (c: RawClient) => void][] = [
    [
      '[MQTT-3.4.2-2] [MQTT-3.4.2-3] PUBACK 0x87 for a QoS 1 publish to $SYS',
      'puback',
      0x87,
      (c) => c.send(publishPacket(c, '$SYS/refused', 'x', { qos: 1, packetId: 1 })),
    ],
    [
      '[MQTT-3.5.2-2] [MQTT-3.5.2-3] PUBREC 0x87 for a QoS 2 publish to $SYS',
      'pubrec',
      0x87,
      (c) => c.send(publishPacket(c, '$SYS/refused', 'x', { qos: 2, packetId: 1 })),
    ],
    [
      '[MQTT-3.6.2-2] [MQTT-3.6.2-3] PUBREL 0x92 for a PUBREC with an unknown packet identifier',
      'pubrel',
      0x92,
      (c) => c.send({ type: 'pubrec', packetId: 1 }),
    ],
    [
      '[MQTT-3.7.2-2] [MQTT-3.7.2-3] PUBCOMP 0x92 for a PUBREL with an unknown packet identifier',
      'pubcomp',
      0x92,
      (c) => c.send({ type: 'pubrel', packetId: 1 }),
    ],
    [
      '[MQTT-3.9.2-1] [MQTT-3.9.2-2] SUBACK 0x8F for an invalid topic filter',
      'suback',
      0x8f,
      (c) => c.send({ type: 'subscribe', packetId: 1, subscriptions: [sub('a/#/b', 1)] }),
    ],
    [
      '[MQTT-3.11.2-1] [MQTT-3.11.2-2] UNSUBACK 0x11 for a filter without subscription',
      'unsuback',
      0x11,
      (c) => c.send({ type: 'unsubscribe', packetId: 1, topicFilters: ['never/subscribed'] }),
    ],
  ];

  test.each(cases)(
    "max packet size - %s is sent, with its reason code, within the client's Maximum Packet Size",
    async (_name, type, code, provoke) => {
      const w = await start();
      const c = await w.raw({ properties: { maximumPacketSize: LIMIT } });
      provoke(c);
      const answer = await c.next(type);
      expect(answer).toMatchObject({ packetId: 1 });
      const reasonCodes =
        'reasonCodes' in answer ? answer.reasonCodes : [(answer as { reasonCode?: number }).reasonCode];
      expect(reasonCodes).toEqual([code]);
      // A Reason String or User Property may ride along only if the packet still fits.
      expect(wireSize(answer)).toBeLessThanOrEqual(LIMIT);
    },
  );
});

describe('DISCONNECT', () => {
  /** Ways to make the broker send DISCONNECT (with a Reason String when it fits) to `c`. */
  const provocations: [string, number, (w: World, c: RawClient, clientId: string, clock: FakeClock) => unknown][] = [
    ['a malformed packet', 0x81, (_w, c) => c.sendBytes([0xc1, 0x00])],
    ['a second CONNECT', 0x82, (_w, c) => c.send(connectPacket())],
    ['a keep alive timeout', 0x8d, (_w, _c, _id, clock) => clock.advance(15_000)],
    ['a session takeover', 0x8e, (w, _c, clientId) => w.raw({ clientId })],
  ];

  test.each(provocations)(
    "max packet size - [MQTT-3.14.2-3] [MQTT-3.14.2-4] the DISCONNECT for %s leaves out its Reason String and User Properties when they would exceed the client's Maximum Packet Size",
    async (_name, code, provoke) => {
      const clock = new FakeClock();
      const w = await start({ clock });
      const disconnectOf = async (maximumPacketSize?: number) => {
        const clientId = uniqueId('maxsize');
        const c = await w.raw({
          clientId,
          keepAlive: 10,
          ...(maximumPacketSize !== undefined && { properties: { maximumPacketSize } }),
        });
        await provoke(w, c, clientId, clock);
        const disconnect = await c.next('disconnect');
        await c.closed();
        return disconnect;
      };
      // Without a limit the broker says why in a Reason String.
      const told = await disconnectOf();
      expect(told.reasonCode).toBe(code);
      expect(told.properties?.reasonString).toEqual(expect.any(String));
      const limit = wireSize(told) - 1;
      const disconnect = await disconnectOf(limit);
      expect(disconnect.reasonCode).toBe(code);
      expect(disconnect.properties?.reasonString).toBeUndefined();
      expect(disconnect.properties?.userProperties).toBeUndefined();
      expect(wireSize(disconnect)).toBeLessThanOrEqual(limit);
    },
  );
});
