/** PacketDecoder framing: chunking, size limits, the failed state, ownership of decoded bytes. */
import { DEFAULT_MAX_PACKET_SIZE, PacketDecoder } from '../src/codec/decoder';
import { encodePacket } from '../src/codec/encoder';
import { ProtocolViolation } from '../src/errors';
import type { ConnectPacket, Packet, PublishPacket } from '../src/packets';
import { ALL_FIXTURES } from './codec-fixtures';
import { bin, codes, decodeAll, MALFORMED, pkt, props, str, TOO_LARGE, u16 } from './codec-support';

const collect = (): { packets: Packet[]; onPacket: (p: Packet) => void } => {
  const packets: Packet[] = [];
  return { packets, onPacket: (p) => packets.push(p) };
};

describe('codec - decoder framing', () => {
  const level5 = ALL_FIXTURES.filter((f) => f.level === 5);
  const stream = Buffer.concat(level5.map((f) => f.bytes));
  const expected = level5.map((f) => f.packet);

  test('codec - a stream of many packets in one chunk decodes in order', () => {
    expect(decodeAll(stream, { protocolVersion: 5 })).toEqual({ packets: expected, error: undefined });
  });

  test.each([1, 2, 3, 7, 64, 1000])('codec - the same stream fed in chunks of %d bytes decodes the same', (size) => {
    expect(decodeAll(stream, { protocolVersion: 5 }, [size])).toEqual({ packets: expected, error: undefined });
  });

  test('codec - irregular chunk sizes decode the same', () => {
    expect(decodeAll(stream, { protocolVersion: 5 }, [1, 5, 2, 300, 1, 1, 17, 4096])).toEqual({
      packets: expected,
      error: undefined,
    });
  });

  test('codec - an empty chunk is a no-op', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const { packets, onPacket } = collect();
    expect(decoder.push(Buffer.alloc(0), onPacket)).toBeUndefined();
    expect(decoder.push(Buffer.from([0xc0]), onPacket)).toBeUndefined();
    expect(decoder.push(Buffer.alloc(0), onPacket)).toBeUndefined();
    expect(decoder.push(Buffer.from([0x00]), onPacket)).toBeUndefined();
    expect(packets).toEqual([{ type: 'pingreq' }]);
  });

  test('codec - a 1 MiB PUBLISH split across many chunks is reassembled', () => {
    const payload = Buffer.alloc(1 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const packet: PublishPacket = {
      type: 'publish',
      topic: 'big',
      payload,
      qos: 1,
      retain: false,
      dup: false,
      packetId: 3,
    };
    const bytes = Buffer.concat([encodePacket(packet, 4), pkt(0xc0)]);
    const { packets, error } = decodeAll(bytes, { protocolVersion: 4 }, [1, 2, 1000, 65536, 3]);
    expect(error).toBeUndefined();
    expect(packets).toHaveLength(2);
    expect((packets[0] as PublishPacket).payload.equals(payload)).toBe(true);
    expect(packets[1]).toEqual({ type: 'pingreq' });
  });

  test('codec - protocolVersion is learned from CONNECT, or taken from the options', () => {
    const decoder = new PacketDecoder();
    expect(decoder.protocolVersion).toBeUndefined();
    decoder.push(pkt(0x10, str('MQTT'), 5, 0x02, u16(10), props(), str('c')), () => undefined);
    expect(decoder.protocolVersion).toBe(5);
    expect(new PacketDecoder({ protocolVersion: 3 }).protocolVersion).toBe(3);
  });

  test('codec - a client-side decoder set to level 5 decodes CONNACK and PUBLISH', () => {
    const { packets, error } = decodeAll(Buffer.concat([pkt(0x20, 1, 0, props()), pkt(0x30, str('t'), props(), 'x')]), {
      protocolVersion: 5,
    });
    expect(error).toBeUndefined();
    expect(packets.map((p) => p.type)).toEqual(['connack', 'publish']);
  });

  test('codec - the default maximum packet size is 268435460', () => {
    expect(DEFAULT_MAX_PACKET_SIZE).toBe(268435460);
    expect(new PacketDecoder().maxPacketSize).toBe(268435460);
  });
});

describe('codec - maximum packet size', () => {
  test('codec - a packet announcing more than maxPacketSize is rejected from its fixed header, before the body', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 100 });
    const { packets, onPacket } = collect();
    // PUBLISH with remaining length 1000: only the fixed header is pushed.
    const error = decoder.push(Buffer.from([0x30, 0xe8, 0x07]), onPacket);
    expect(error && codes(error)).toEqual(TOO_LARGE);
    expect(packets).toEqual([]);
  });

  test('codec - a packet of exactly maxPacketSize bytes (whole packet) is accepted, one more is not', () => {
    const exact = pkt(0x30, str('t'), Buffer.alloc(95)); // 2 + 3 + 95 = 100 bytes
    expect(exact.length).toBe(100);
    expect(decodeAll(exact, { protocolVersion: 4, maxPacketSize: 100 }).error).toBeUndefined();
    const over = pkt(0x30, str('t'), Buffer.alloc(96));
    expect(codes(decodeAll(over, { protocolVersion: 4, maxPacketSize: 100 }).error!)).toEqual(TOO_LARGE);
  });

  test('codec - the size check applies when the header arrives one byte at a time', () => {
    const { error } = decodeAll(
      pkt(0x30, str('t'), Buffer.alloc(200)),
      { protocolVersion: 4, maxPacketSize: 100 },
      [1],
    );
    expect(error && codes(error)).toEqual(TOO_LARGE);
  });

  test('codec - maxPacketSize is mutable and applies from the next packet', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const { packets, onPacket } = collect();
    const big = pkt(0x30, str('t'), Buffer.alloc(50));
    expect(decoder.push(big, onPacket)).toBeUndefined();
    decoder.maxPacketSize = 20;
    expect(codes(decoder.push(big, onPacket)!)).toEqual(TOO_LARGE);
    expect(packets).toHaveLength(1);
  });

  test('codec - a CONNECT larger than maxPacketSize is too large, not unsupported', () => {
    const connect = pkt(0x10, str('MQTT'), 4, 0x02, u16(10), str('x'.repeat(100)));
    expect(codes(decodeAll(connect, { maxPacketSize: 50 }).error!)).toEqual(TOO_LARGE);
  });
});

describe('codec - failed state', () => {
  test('codec - packets before the bad one in the same chunk are delivered, then the error is returned', () => {
    const bytes = Buffer.concat([pkt(0xc0), pkt(0xd0), pkt(0x36, str('t'), u16(1)), pkt(0xc0)]);
    const { packets, error } = decodeAll(bytes, { protocolVersion: 4 });
    expect(packets).toEqual([{ type: 'pingreq' }, { type: 'pingresp' }]);
    expect(error && codes(error)).toEqual(MALFORMED);
  });

  test('codec - after an error, push returns the same error and decodes nothing more', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const { packets, onPacket } = collect();
    const first = decoder.push(Buffer.from([0x00, 0x00]), onPacket);
    expect(first).toBeInstanceOf(ProtocolViolation);
    expect(decoder.push(pkt(0xc0), onPacket)).toBe(first);
    expect(decoder.push(pkt(0xc0), onPacket)).toBe(first);
    expect(packets).toEqual([]);
  });

  test('codec - an unexpected exception inside the decoder becomes a malformed violation, not a throw', () => {
    // A chunk whose first byte cannot be read stands in for a decoder bug.
    const hostile = new Proxy(Buffer.from([0xc0, 0x00]), {
      get(target, key) {
        if (key === '0') throw new RangeError('unreadable');
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const error = decoder.push(hostile, () => undefined);
    expect(error && codes(error)).toEqual(MALFORMED);
    expect(error?.cause).toBeInstanceOf(RangeError);
    expect(decoder.push(pkt(0xc0), () => undefined)).toBe(error);
  });

  test('codec - an exception thrown by onPacket propagates and stops the decoder', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const boom = new Error('boom');
    expect(() =>
      decoder.push(Buffer.concat([pkt(0xc0), pkt(0xc0)]), () => {
        throw boom;
      }),
    ).toThrow(boom);
    const after = decoder.push(pkt(0xc0), () => undefined);
    expect(after).toBeInstanceOf(ProtocolViolation);
    expect(after?.cause).toBe(boom);
  });
});

describe('codec - decoded binary fields do not alias the input', () => {
  test('codec - PUBLISH payload, correlation data and CONNECT password survive the caller reusing its chunk', () => {
    const connect = pkt(0x10, str('MQTT'), 5, 0xc2, u16(1), props(0x16, bin('auth')), str('c'), str('u'), bin('pass'));
    const publish = pkt(0x30, str('t'), props(0x09, bin('corr')), 'payload');
    const chunk = Buffer.concat([connect, publish]);
    const { packets, onPacket } = collect();
    expect(new PacketDecoder().push(chunk, onPacket)).toBeUndefined();
    chunk.fill(0xaa);
    const c = packets[0] as ConnectPacket;
    const p = packets[1] as PublishPacket;
    expect(c.password?.toString()).toBe('pass');
    expect(c.properties?.authenticationData?.toString()).toBe('auth');
    expect(p.payload.toString()).toBe('payload');
    expect(p.properties?.correlationData?.toString()).toBe('corr');
  });

  test('codec - a large payload assembled from chunks survives the next large packet', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const { packets, onPacket } = collect();
    const a = encodePacket(
      { type: 'publish', topic: 'a', payload: Buffer.alloc(100_000, 1), qos: 0, retain: false, dup: false },
      4,
    );
    const b = encodePacket(
      { type: 'publish', topic: 'b', payload: Buffer.alloc(100_000, 2), qos: 0, retain: false, dup: false },
      4,
    );
    const stream = Buffer.concat([a, b]);
    for (let off = 0; off < stream.length; off += 1000) decoder.push(stream.subarray(off, off + 1000), onPacket);
    stream.fill(0);
    expect(packets).toHaveLength(2);
    expect((packets[0] as PublishPacket).payload.equals(Buffer.alloc(100_000, 1))).toBe(true);
    expect((packets[1] as PublishPacket).payload.equals(Buffer.alloc(100_000, 2))).toBe(true);
  });

  test('codec - fields of a packet assembled from several chunks survive the decoder reusing its pending buffer', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const { packets, onPacket } = collect();
    const first = pkt(0x30, str('a'), 'first');
    const second = pkt(0x30, str('b'), 'other');
    for (const b of Buffer.concat([first, second])) decoder.push(Buffer.from([b]), onPacket);
    expect(packets.map((p) => (p as PublishPacket).payload.toString())).toEqual(['first', 'other']);
  });
});
