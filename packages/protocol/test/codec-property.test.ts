/**
 * Property tests (as EMQX prop_emqx_frame and mqtt-packet testRandom): round trip over
 * arbitrary valid packets of every type and level, chunking equivalence, and robustness: random
 * and mutated bytes only ever yield packets or a ProtocolViolation, never a throw.
 */
import fc from 'fast-check';
import { encodePacket } from '../src/codec/encoder';
import { ProtocolViolation } from '../src/errors';
import type { Packet, ProtocolVersion } from '../src/packets';
import { leveledPacketArb, levelArb, packetArb } from './codec-arbitraries';
import { decodeAll } from './codec-support';

const CODES = new Set([
  'FLOCK_ERR_MALFORMED_PACKET',
  'FLOCK_ERR_PROTOCOL_ERROR',
  'FLOCK_ERR_PACKET_TOO_LARGE',
  'FLOCK_ERR_UNSUPPORTED_PROTOCOL_VERSION',
]);

const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 8 });

/**
 * Decodes `bytes` and checks the robustness contract: no throw, the result is packets plus at
 * most one ProtocolViolation with a codec code, and every accepted packet survives a round trip
 * through the encoder (the decoder never accepts what the encoder would refuse).
 */
function decodeSafely(bytes: Buffer, level: ProtocolVersion | undefined, sizes: readonly number[]): void {
  const { packets, error } = decodeAll(bytes, { protocolVersion: level, maxPacketSize: 4096 }, sizes);
  if (error !== undefined) {
    expect(error).toBeInstanceOf(ProtocolViolation);
    expect(CODES.has(error.code)).toBe(true);
    // Only the decoder's safety net attaches a cause (an unexpected exception): it must never fire.
    expect(error.cause).toBeUndefined();
  }
  let current = level;
  for (const p of packets) {
    if (p.type === 'connect') current = p.protocolVersion;
    expect(current).toBeDefined();
    const again = decodeAll(encodePacket(p, current!), { protocolVersion: current });
    expect(again).toEqual({ packets: [p], error: undefined });
  }
}

describe('codec - properties', () => {
  test('codec - parse(serialize(p)) ≡ p for arbitrary valid packets of every type and level', () => {
    fc.assert(
      fc.property(leveledPacketArb, ([level, p]) => {
        expect(decodeAll(encodePacket(p, level), { protocolVersion: level })).toEqual({
          packets: [p],
          error: undefined,
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('codec - serialize(parse(bytes)) ≡ bytes for encodings of arbitrary valid packets', () => {
    fc.assert(
      fc.property(leveledPacketArb, ([level, p]) => {
        const bytes = encodePacket(p, level);
        const { packets } = decodeAll(bytes, { protocolVersion: level });
        expect(encodePacket(packets[0]!, level).equals(bytes)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('codec - any chunking, down to one byte at a time, decodes a stream the same as one chunk', () => {
    fc.assert(
      fc.property(
        levelArb.chain((level) =>
          fc.tuple(fc.constant(level), fc.array(packetArb(level), { minLength: 1, maxLength: 8 })),
        ),
        chunkSizesArb,
        ([level, packets], sizes) => {
          const bytes = Buffer.concat(packets.map((p) => encodePacket(p, level)));
          const whole = decodeAll(bytes, { protocolVersion: level });
          expect(whole).toEqual({ packets, error: undefined });
          expect(decodeAll(bytes, { protocolVersion: level }, sizes)).toEqual(whole);
          expect(decodeAll(bytes, { protocolVersion: level }, [1])).toEqual(whole);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('codec - a stream opened by CONNECT is decoded at the level CONNECT announces, however chunked', () => {
    fc.assert(
      fc.property(
        levelArb.chain((level) =>
          fc.tuple(
            fc.constant(level),
            packetArb(level).filter((p) => p.type === 'connect'),
            fc.array(packetArb(level), { maxLength: 6 }),
          ),
        ),
        chunkSizesArb,
        ([level, connect, rest], sizes) => {
          const packets: Packet[] = [connect, ...rest];
          const bytes = Buffer.concat(packets.map((p) => encodePacket(p, level)));
          expect(decodeAll(bytes, {}, sizes)).toEqual({ packets, error: undefined });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('codec - robustness', () => {
  test('codec - random bytes yield packets or a ProtocolViolation, never a throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom<ProtocolVersion | undefined>(undefined, 3, 4, 5),
        chunkSizesArb,
        (arr, level, sizes) => {
          decodeSafely(Buffer.from(arr), level, sizes);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('codec - random bytes behind a valid CONNECT yield packets or a ProtocolViolation, never a throw', () => {
    fc.assert(
      fc.property(
        levelArb.chain((level) => packetArb(level).filter((p) => p.type === 'connect')),
        fc.uint8Array({ maxLength: 200 }),
        chunkSizesArb,
        (connect, arr, sizes) => {
          const bytes = Buffer.concat([
            encodePacket(connect, (connect as { protocolVersion: ProtocolVersion }).protocolVersion),
            Buffer.from(arr),
          ]);
          decodeSafely(bytes, undefined, sizes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  type Mutation =
    | { kind: 'flip'; at: number; bit: number }
    | { kind: 'set'; at: number; value: number }
    | { kind: 'insert'; at: number; value: number }
    | { kind: 'delete'; at: number }
    | { kind: 'truncate'; at: number };

  const at = fc.nat({ max: 1 << 16 });
  const byte = fc.integer({ min: 0, max: 255 });
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at, value: byte }),
    fc.record({ kind: fc.constant('insert' as const), at, value: byte }),
    fc.record({ kind: fc.constant('delete' as const), at }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
  );

  function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
    let b = Buffer.from(input);
    for (const m of mutations) {
      if (b.length === 0) break;
      const i = m.at % b.length;
      switch (m.kind) {
        case 'flip':
          b[i] = b[i]! ^ (1 << m.bit);
          break;
        case 'set':
          b[i] = m.value;
          break;
        case 'insert':
          b = Buffer.concat([b.subarray(0, i), Buffer.from([m.value]), b.subarray(i)]);
          break;
        case 'delete':
          b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          break;
        case 'truncate':
          b = b.subarray(0, i);
          break;
      }
    }
    return b;
  }

  test('codec - mutated valid packets (flipped, set, inserted, deleted bytes) yield packets or a ProtocolViolation, never a throw', () => {
    fc.assert(
      fc.property(
        levelArb.chain((level) =>
          fc.tuple(fc.constant(level), fc.array(packetArb(level), { minLength: 1, maxLength: 4 })),
        ),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        chunkSizesArb,
        ([level, packets], mutations, sizes) => {
          const bytes = Buffer.concat(packets.map((p) => encodePacket(p, level)));
          decodeSafely(mutate(bytes, mutations), level, sizes);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('codec - mutated streams opened by CONNECT (level learned from the bytes) never throw', () => {
    fc.assert(
      fc.property(
        levelArb.chain((level) =>
          fc.tuple(
            packetArb(level).filter((p) => p.type === 'connect'),
            fc.array(packetArb(level), { maxLength: 3 }),
            fc.constant(level),
          ),
        ),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        chunkSizesArb,
        ([connect, rest, level], mutations, sizes) => {
          const bytes = Buffer.concat([connect, ...rest].map((p) => encodePacket(p, level)));
          decodeSafely(mutate(bytes, mutations), undefined, sizes);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
