import fc from 'fast-check';
import { FlockError } from '@flockmq/protocol';
import type { Properties, UserProperty } from '@flockmq/protocol';
import type { ForwardedMessage, Message, RouteDelta } from '@flockmq/broker';
import { decodeFrame, encodeFrame, FRAME_KINDS, peekFrameKind, WIRE_VERSION } from '../src/frame';
import type { Frame } from '../src/frame';

// ------------------------------------------------------------------ arbitraries

/** Valid Unicode (MQTT strings are well-formed UTF-8), short and long (past the one-byte length). */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 40, maxLength: 300 }) },
);
const buffer = fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes));
const time = fc.oneof(fc.nat(), fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), fc.double());
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });

const properties: fc.Arbitrary<Properties> = fc.record(
  {
    payloadFormatIndicator: fc.constantFrom(0 as const, 1 as const),
    contentType: text,
    responseTopic: text,
    correlationData: buffer,
    userProperties: fc.array(fc.tuple(text, text) as fc.Arbitrary<UserProperty>, { maxLength: 6 }),
  },
  { requiredKeys: [] },
);

const message: fc.Arbitrary<Message> = fc.record({
  topic: text,
  payload: buffer,
  qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
  retain: fc.boolean(),
  properties: optional(properties),
  expiresAt: optional(time),
  origin: text,
  receivedAt: time,
});

const forwarded: fc.Arbitrary<ForwardedMessage> = fc
  .tuple(message, optional(text), optional(text))
  .map(([m, sharedGroup, adoptedFrom]) =>
    adoptedFrom === undefined ? { message: m, sharedGroup } : { message: m, sharedGroup, adoptedFrom },
  );

const delta: fc.Arbitrary<RouteDelta> = fc
  .tuple(fc.constantFrom('add' as const, 'remove' as const, 'purge' as const), text, text, optional(fc.nat(100_000)))
  .map(([op, filter, nodeId, members]) =>
    members === undefined ? { op, filter, nodeId } : { op, filter, nodeId, members },
  );

const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant('forward' as const), from: text, batch: fc.array(forwarded, { maxLength: 8 }) }),
  fc.record({ kind: fc.constant('forward-ack' as const), from: text, status: fc.constant('delivered' as const) }),
  fc.record({
    kind: fc.constant('forward-ack' as const),
    from: text,
    status: fc.constantFrom('failed' as const, 'rejected' as const),
    detail: text,
  }),
  fc.record({ kind: fc.constant('routes' as const), from: text, deltas: fc.array(delta, { maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('control-request' as const),
    from: text,
    request: fc.oneof(
      fc.record({ type: fc.constant('takeover' as const), clientId: text, epoch: time }),
      fc.record({ type: fc.constant('routes' as const) }),
      fc.record({ type: fc.constant('admin' as const), method: text, body: text }),
    ),
  }),
  fc.record({
    kind: fc.constant('control-reply' as const),
    from: text,
    reply: fc.record(
      { ok: fc.boolean(), detail: text, routes: fc.array(delta, { maxLength: 5 }), data: text },
      { requiredKeys: ['ok'] },
    ),
  }),
  fc.record({
    kind: fc.constant('heartbeat' as const),
    from: text,
    incarnation: fc.nat({ max: 0xffffffff }),
    maxVersion: fc.nat(255),
  }),
  fc.record({ kind: fc.constant('goodbye' as const), from: text, incarnation: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('load' as const), from: text, connections: fc.nat({ max: 268_435_455 }) }),
);

function expectWireError(data: Uint8Array): void {
  let thrown: unknown;
  try {
    decodeFrame(data);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FlockError);
  expect((thrown as FlockError).code).toBe('FLOCK_ERR_WIRE_FORMAT');
}

/** Decodes, or fails with the wire error: nothing else may come out of random bytes. */
function decodesOrWireError(data: Uint8Array): void {
  try {
    decodeFrame(data);
  } catch (error) {
    if (!(error instanceof FlockError) || error.code !== 'FLOCK_ERR_WIRE_FORMAT') throw error;
  }
}

// ------------------------------------------------------------------ fixtures

const fullMessage: ForwardedMessage = {
  message: {
    topic: 'a/b',
    payload: Buffer.from('hi'),
    qos: 1,
    retain: true,
    properties: {
      payloadFormatIndicator: 1,
      contentType: 'c',
      responseTopic: 'r',
      correlationData: Buffer.from([0xab]),
      userProperties: [
        ['k', 'v'],
        ['k', 'w'],
      ],
    },
    expiresAt: 2,
    origin: 'p',
    receivedAt: 1,
  },
  sharedGroup: 'g/x',
  adoptedFrom: 'z',
};

const plainMessage: ForwardedMessage = {
  message: {
    topic: 't',
    payload: Buffer.alloc(0),
    qos: 0,
    retain: false,
    properties: undefined,
    expiresAt: undefined,
    origin: '',
    receivedAt: 0,
  },
  sharedGroup: undefined,
};

/**
 * Version 1 of the forward frame, byte by byte (docs/cluster-wire.md). If this test fails, the
 * wire format changed: that needs a new version, not a new fixture.
 */
const FORWARD_V1_HEX = [
  '01', // version 1
  '01', // kind: forward
  '016e', // from "n"
  '02', // 2 messages
  // message 1
  '7d', // flags: qos 1 | retain | expiry | shared group | properties | adopted from
  '03612f62', // topic "a/b"
  '026869', // payload "hi"
  '0170', // origin "p"
  '3ff0000000000000', // receivedAt 1.0
  '4000000000000000', // expiresAt 2.0
  '03672f78', // sharedGroup "g/x"
  '017a', // adoptedFrom "z"
  '1f', // property flags: all five
  '01', // payloadFormatIndicator 1
  '0163', // contentType "c"
  '0172', // responseTopic "r"
  '01ab', // correlationData ab
  '02', // 2 user properties, in order, duplicates kept
  '016b0176', // "k" = "v"
  '016b0177', // "k" = "w"
  // message 2
  '00', // flags: qos 0, nothing optional
  '0174', // topic "t"
  '00', // empty payload
  '00', // origin ""
  '0000000000000000', // receivedAt 0
].join('');

// ------------------------------------------------------------------ tests

describe('frame', () => {
  test('frame - every frame kind round-trips (property)', () => {
    fc.assert(
      fc.property(frame, (f) => {
        expect(decodeFrame(encodeFrame(f))).toEqual(f);
      }),
      { numRuns: 500 },
    );
  });

  test('frame - a forwarded batch of arbitrary messages round-trips exactly (property)', () => {
    fc.assert(
      fc.property(text, fc.array(forwarded, { maxLength: 20 }), (from, batch) => {
        const decoded = decodeFrame(encodeFrame({ kind: 'forward', from, batch }));
        expect(decoded).toEqual({ kind: 'forward', from, batch });
        if (decoded.kind !== 'forward') throw new Error('kind');
        decoded.batch.forEach((item, i) => {
          // Optional fields stay absent or present, not turned into undefined or {}.
          expect(Object.keys(item).sort()).toEqual(Object.keys(batch[i]!).sort());
          expect(item.message.properties === undefined).toBe(batch[i]!.message.properties === undefined);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('frame - version 1 forward frame has these exact bytes', () => {
    const bytes = encodeFrame({ kind: 'forward', from: 'n', batch: [fullMessage, plainMessage] });
    expect(bytes.toString('hex')).toBe(FORWARD_V1_HEX);
    expect(decodeFrame(Buffer.from(FORWARD_V1_HEX, 'hex'))).toEqual({
      kind: 'forward',
      from: 'n',
      batch: [fullMessage, plainMessage],
    });
  });

  test('frame - version 1 control, route and liveness frames have these exact bytes', () => {
    const hex = (f: Frame): string => encodeFrame(f).toString('hex');
    expect(hex({ kind: 'forward-ack', from: 'n', status: 'delivered' })).toBe('0102016e00');
    expect(hex({ kind: 'forward-ack', from: 'n', status: 'failed', detail: 'x' })).toBe('0102016e010178');
    expect(
      hex({
        kind: 'routes',
        from: 'n',
        deltas: [
          { op: 'add', filter: '$share/g/a', nodeId: 'n', members: 3 },
          { op: 'purge', filter: '', nodeId: 'm' },
        ],
      }),
    ).toBe('0103016e02' + '81' + '0a2473686172652f672f61' + '016e' + '03' + '03' + '00' + '016d');
    expect(hex({ kind: 'control-request', from: 'n', request: { type: 'takeover', clientId: 'c', epoch: 7 } })).toBe(
      '0104016e' + '01' + '0163' + '401c000000000000',
    );
    expect(hex({ kind: 'control-request', from: 'n', request: { type: 'routes' } })).toBe('0104016e02');
    expect(hex({ kind: 'control-request', from: 'n', request: { type: 'admin', method: 'm', body: '{}' } })).toBe(
      '0104016e' + '03' + '016d' + '027b7d',
    );
    expect(hex({ kind: 'control-reply', from: 'n', reply: { ok: true, data: '1' } })).toBe('0105016e' + '09' + '0131');
    expect(
      hex({
        kind: 'control-reply',
        from: 'n',
        reply: { ok: true, detail: 'd', routes: [{ op: 'remove', filter: 'f', nodeId: 'n' }] },
      }),
    ).toBe('0105016e' + '07' + '0164' + '01' + '02' + '0166' + '016e');
    expect(hex({ kind: 'heartbeat', from: 'n', incarnation: 0x01020304, maxVersion: 1 })).toBe('0106016e0102030401');
    expect(hex({ kind: 'goodbye', from: 'n', incarnation: 0x01020304 })).toBe('0107016e01020304');
    expect(hex({ kind: 'load', from: 'n', connections: 300 })).toBe('0108016e' + 'ac02');
  });

  test('frame - strings past 127 bytes take a multi-byte length', () => {
    const topic = 'é'.repeat(100); // 200 bytes of UTF-8
    const bytes = encodeFrame({
      kind: 'forward',
      from: 'n',
      batch: [{ ...plainMessage, message: { ...plainMessage.message, topic } }],
    });
    expect(bytes.subarray(6, 8).toString('hex')).toBe('c801'); // 200 = 0x48 | 0x80, 0x01
    const decoded = decodeFrame(bytes);
    expect(decoded.kind === 'forward' && decoded.batch[0]?.message.topic).toBe(topic);
  });

  test('frame - a large payload round-trips', () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    const bytes = encodeFrame({
      kind: 'forward',
      from: 'n',
      batch: [{ ...plainMessage, message: { ...plainMessage.message, payload } }],
    });
    const decoded = decodeFrame(bytes);
    expect(decoded.kind === 'forward' && decoded.batch[0]?.message.payload.equals(payload)).toBe(true);
  });

  test('frame - decoded payloads do not alias the received buffer', () => {
    const bytes = encodeFrame({ kind: 'forward', from: 'n', batch: [fullMessage] });
    const decoded = decodeFrame(bytes);
    bytes.fill(0);
    expect(decoded.kind === 'forward' && decoded.batch[0]?.message.payload.toString()).toBe('hi');
  });

  test('frame - an unknown version is a wire error', () => {
    const bytes = encodeFrame({ kind: 'forward-ack', from: 'n', status: 'delivered' });
    for (const version of [0, WIRE_VERSION + 1, 255]) {
      bytes[0] = version;
      expectWireError(bytes);
    }
  });

  test('frame - an unknown kind is a wire error', () => {
    const kinds = new Set<number>(Object.values(FRAME_KINDS));
    for (let kind = 0; kind < 256; kind++) {
      if (kinds.has(kind)) continue;
      expectWireError(Buffer.from([WIRE_VERSION, kind, 0]));
    }
  });

  test('frame - every truncation of a valid frame is a wire error', () => {
    const samples: Frame[] = [
      { kind: 'forward', from: 'n', batch: [fullMessage, plainMessage] },
      { kind: 'forward-ack', from: 'n', status: 'failed', detail: 'no' },
      { kind: 'routes', from: 'n', deltas: [{ op: 'add', filter: 'a/#', nodeId: 'n', members: 2 }] },
      { kind: 'control-request', from: 'n', request: { type: 'takeover', clientId: 'c', epoch: 3 } },
      { kind: 'control-reply', from: 'n', reply: { ok: true, routes: [] } },
      { kind: 'heartbeat', from: 'n', incarnation: 9, maxVersion: 1 },
      { kind: 'goodbye', from: 'n', incarnation: 9 },
    ];
    for (const sample of samples) {
      const bytes = encodeFrame(sample);
      for (let length = 0; length < bytes.length; length++) expectWireError(bytes.subarray(0, length));
    }
  });

  test('frame - a message passed on for one client (G2) keeps the client id', () => {
    const passedOn = { message: plainMessage.message, sharedGroup: undefined, forClient: 'sensor-7' };
    const frame = decodeFrame(encodeFrame({ kind: 'forward', from: 'n', batch: [passedOn, plainMessage] }));
    expect(frame).toEqual({ kind: 'forward', from: 'n', batch: [passedOn, plainMessage] });
  });

  test('frame - trailing bytes are a wire error', () => {
    const bytes = encodeFrame({ kind: 'forward', from: 'n', batch: [plainMessage] });
    expectWireError(Buffer.concat([bytes, Buffer.from([0])]));
  });

  test('frame - reserved flag bits and out-of-range values are wire errors', () => {
    const base = Buffer.from(FORWARD_V1_HEX, 'hex');
    const flagsAt = 5; // first message's flags byte
    const withByte = (at: number, value: number): Buffer => {
      const copy = Buffer.from(base);
      copy[at] = value;
      return copy;
    };
    expectWireError(withByte(flagsAt, (0x7d & ~0x03) | 0x03)); // QoS 3
    const propertyFlagsAt = FORWARD_V1_HEX.indexOf('1f01016301720') / 2;
    expectWireError(withByte(propertyFlagsAt, 0x1f | 0x20)); // reserved property flag
    expectWireError(withByte(propertyFlagsAt + 1, 2)); // payloadFormatIndicator 2
    expectWireError(Buffer.from('0102016e03', 'hex')); // unknown ack status
    expectWireError(Buffer.from('0103016e01' + '04' + '0161016e', 'hex')); // unknown route op
    expectWireError(Buffer.from('0104016e09', 'hex')); // unknown control request
    expectWireError(Buffer.from('0101016e' + 'ffffff7f', 'hex')); // a count far beyond the frame
    expectWireError(Buffer.from('0101016e' + 'ffffffff01', 'hex')); // a five-byte varint
  });

  test('frame - random bytes only ever decode or fail with a wire error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => decodesOrWireError(bytes)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 200 }), (kind, rest) =>
        decodesOrWireError(Buffer.concat([Buffer.from([WIRE_VERSION, kind]), rest])),
      ),
      { numRuns: 5000 },
    );
  });

  test('frame - a valid frame with one byte changed decodes or fails with a wire error (property)', () => {
    fc.assert(
      fc.property(frame, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, xor) => {
        const bytes = encodeFrame(f);
        const i = at % bytes.length;
        bytes[i] = bytes[i]! ^ xor;
        decodesOrWireError(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  test('frame - encoding a value no frame can carry throws a wire error', () => {
    const badQos = { ...plainMessage, message: { ...plainMessage.message, qos: 3 as never } };
    expect(() => encodeFrame({ kind: 'forward', from: 'n', batch: [badQos] })).toThrow(
      expect.objectContaining({ code: 'FLOCK_ERR_WIRE_FORMAT' }) as Error,
    );
    expect(() =>
      encodeFrame({ kind: 'routes', from: 'n', deltas: [{ op: 'add', filter: 'f', nodeId: 'n', members: -1 }] }),
    ).toThrow(expect.objectContaining({ code: 'FLOCK_ERR_WIRE_FORMAT' }) as Error);
  });

  test('frame - the header names the kind without decoding the body', () => {
    expect(peekFrameKind(encodeFrame({ kind: 'goodbye', from: 'n', incarnation: 1 }))).toBe('goodbye');
    expect(peekFrameKind(Buffer.from([9, 1]))).toBeUndefined();
    expect(peekFrameKind(Buffer.from([1]))).toBeUndefined();
  });
});
