/** The storage codec: round trips by fixture table and by property, and corrupt input. */
import fc from 'fast-check';
import type { Message, PendingMessage, StoredSubscription, StoredWill } from '@flockmq/broker';
import type { Properties } from '@flockmq/protocol';
import {
  decodeMessage,
  decodePendingBody,
  decodePendingMessage,
  decodeSubscription,
  decodeWill,
  encodeMessage,
  encodePendingBody,
  encodePendingMessage,
  encodeSubscription,
  encodeWill,
} from '../src/redis/codec';

const message = (overrides: Partial<Message> = {}): Message => ({
  topic: 'a/b',
  payload: Buffer.from('hello'),
  qos: 1,
  retain: false,
  properties: undefined,
  expiresAt: undefined,
  origin: 'pub',
  receivedAt: 1_700_000_000_123,
  ...overrides,
});

const allProperties: Properties = {
  payloadFormatIndicator: 1,
  messageExpiryInterval: 0xffffffff,
  contentType: 'application/json; charset=ü',
  responseTopic: 'reply/{x}:y',
  correlationData: Buffer.from([0, 1, 2, 255]),
  subscriptionIdentifiers: [1, 268_435_455],
  sessionExpiryInterval: 0,
  assignedClientIdentifier: 'auto-1',
  serverKeepAlive: 65535,
  authenticationMethod: 'SCRAM',
  authenticationData: Buffer.alloc(0),
  requestProblemInformation: 0,
  willDelayInterval: 30,
  requestResponseInformation: 1,
  responseInformation: 'resp',
  serverReference: 'other:1883',
  reasonString: '',
  receiveMaximum: 10,
  topicAliasMaximum: 5,
  topicAlias: 3,
  maximumQoS: 1,
  retainAvailable: 0,
  userProperties: [
    ['b', '2'],
    ['a', '1'],
    ['a', '1'],
    ['', ''],
  ],
  maximumPacketSize: 1024,
  wildcardSubscriptionAvailable: 1,
  subscriptionIdentifiersAvailable: 0,
  sharedSubscriptionAvailable: 1,
};

describe('codec - messages', () => {
  const cases: Array<[string, Message]> = [
    ['a plain message', message()],
    ['an empty payload and topic', message({ topic: '', payload: Buffer.alloc(0), origin: '' })],
    ['a binary payload', message({ payload: Buffer.from([0, 0xff, 0x80, 0x0a, 0x0d]) })],
    ['a large payload', message({ payload: Buffer.alloc(300_000, 7) })],
    ['QoS 2 retained with expiry', message({ qos: 2, retain: true, expiresAt: 1_700_000_060_000 })],
    ['QoS 0', message({ qos: 0 })],
    ['UTF-8 topic and origin', message({ topic: 'ü/€/𝄞 {x}:y', origin: 'client{1}: ü' })],
    ['every property', message({ properties: allProperties })],
    ['empty properties', message({ properties: {} })],
    ['an empty user property list', message({ properties: { userProperties: [] } })],
    ['fractional and negative numbers', message({ receivedAt: 12.5, expiresAt: -3 })],
  ];

  test.each(cases)('codec - %s round trips exactly', (_, m) => {
    expect(decodeMessage(encodeMessage(m))).toStrictEqual(m);
  });

  test('codec - user properties keep their order and duplicates', () => {
    const decoded = decodeMessage(
      encodeMessage(message({ properties: { userProperties: allProperties.userProperties! } })),
    );
    expect(decoded.properties!.userProperties).toEqual([
      ['b', '2'],
      ['a', '1'],
      ['a', '1'],
      ['', ''],
    ]);
  });

  test('codec - undefined fields stay undefined, absent properties stay absent', () => {
    const decoded = decodeMessage(
      encodeMessage(message({ properties: { contentType: 'c', responseTopic: undefined } })),
    );
    expect(decoded.expiresAt).toBeUndefined();
    expect('expiresAt' in decoded).toBe(true);
    expect(decoded.properties).toStrictEqual({ contentType: 'c' });
  });

  test('codec - decoded buffers are Buffers that do not share the stored value', () => {
    const stored = encodeMessage(message({ properties: { correlationData: Buffer.from('cd') } }));
    const decoded = decodeMessage(stored);
    expect(Buffer.isBuffer(decoded.payload)).toBe(true);
    expect(Buffer.isBuffer(decoded.properties!.correlationData)).toBe(true);
    stored.fill(0);
    expect(decoded.payload.toString()).toBe('hello');
  });

  test('codec - a message is compact (no JSON, no base64)', () => {
    const encoded = encodeMessage(message());
    // format, flags, topic (1+3), payload (1+5), origin (1+3), receivedAt (1 kind + 6 varint)
    expect(encoded.length).toBeLessThanOrEqual(24);
  });
});

describe('codec - pending messages, subscriptions and wills', () => {
  const pending = (overrides: Partial<PendingMessage> = {}): PendingMessage => ({
    message: message(),
    qos: 1,
    retain: false,
    subscriptionIds: undefined,
    seq: 0,
    state: 'queued',
    sharedGroup: undefined,
    ...overrides,
  });

  test.each<[string, PendingMessage]>([
    ['plain', pending()],
    [
      'with subscription ids and a shared group',
      pending({ subscriptionIds: [3, 1, 3], sharedGroup: 'g/a/#', qos: 2, retain: true }),
    ],
    ['with an empty subscription id list', pending({ subscriptionIds: [] })],
    ['sent', pending({ seq: 9, state: 'sent' })],
    ['released', pending({ seq: 2 ** 40, state: 'released', qos: 2 })],
  ])('codec - pending message %s round trips', (_, p) => {
    expect(decodePendingMessage(encodePendingMessage(p))).toStrictEqual(p);
    const { seq: _seq, state: _state, ...body } = p;
    expect(decodePendingBody(encodePendingBody(p))).toStrictEqual(body);
  });

  test.each<[string, StoredSubscription]>([
    [
      'defaults',
      { filter: 'a/+', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: undefined },
    ],
    [
      'every option',
      {
        filter: '$share/g/#',
        qos: 2,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 2,
        subscriptionId: 268_435_455,
      },
    ],
    [
      'retain handling 1',
      { filter: 'x {}:', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 1, subscriptionId: 1 },
    ],
  ])('codec - subscription %s round trips', (_, s) => {
    expect(decodeSubscription(encodeSubscription(s))).toStrictEqual(s);
  });

  test.each<[string, StoredWill]>([
    ['without properties', { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: true, delayInterval: 0 }],
    [
      'with properties',
      {
        topic: 'w/ü',
        payload: Buffer.alloc(0),
        qos: 2,
        retain: false,
        delayInterval: 30,
        properties: { contentType: 'c', userProperties: [['k', 'v']] },
      },
    ],
  ])('codec - will %s round trips (absent properties stay absent)', (_, w) => {
    expect(decodeWill(encodeWill(w))).toStrictEqual(w);
  });
});

// Arbitraries for the property tests.
const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const qos = fc.constantFrom<0 | 1 | 2>(0, 1, 2);
const properties: fc.Arbitrary<Properties> = fc.record(
  {
    payloadFormatIndicator: fc.constantFrom<0 | 1>(0, 1),
    messageExpiryInterval: fc.nat(),
    contentType: text,
    responseTopic: text,
    correlationData: bytes,
    userProperties: fc.array(fc.tuple(text, text), { maxLength: 5 }),
    subscriptionIdentifiers: fc.array(fc.integer({ min: 1, max: 268_435_455 }), { maxLength: 3 }),
  },
  { requiredKeys: [], noNullPrototype: true },
);
const messages: fc.Arbitrary<Message> = fc.record(
  {
    topic: text,
    payload: bytes,
    qos,
    retain: fc.boolean(),
    properties: fc.option(properties, { nil: undefined }),
    expiresAt: fc.option(fc.oneof(fc.nat(), fc.double({ noNaN: true })), { nil: undefined }),
    origin: text,
    receivedAt: fc.oneof(fc.nat(), fc.maxSafeInteger(), fc.double({ noNaN: true })),
  },
  { noNullPrototype: true },
);

describe('codec - properties', () => {
  test('codec - decode(encode(message)) ≡ message for any message', () => {
    fc.assert(
      fc.property(messages, (m) => {
        expect(decodeMessage(encodeMessage(m))).toStrictEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  test('codec - decode(encode(pending)) ≡ pending for any pending message', () => {
    const pendings: fc.Arbitrary<PendingMessage> = fc.record(
      {
        message: messages,
        qos,
        retain: fc.boolean(),
        subscriptionIds: fc.option(fc.array(fc.nat(), { maxLength: 4 }), { nil: undefined }),
        seq: fc.nat(),
        state: fc.constantFrom<PendingMessage['state']>('queued', 'sent', 'released'),
        sharedGroup: fc.option(text, { nil: undefined }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(pendings, (p) => {
        expect(decodePendingMessage(encodePendingMessage(p))).toStrictEqual(p);
      }),
      { numRuns: 300 },
    );
  });

  test('codec - random or truncated bytes give FLOCK_ERR_WIRE_FORMAT, never another error', () => {
    const decoders = [decodeMessage, decodePendingBody, decodePendingMessage, decodeSubscription, decodeWill];
    const check = (buf: Buffer): void => {
      for (const decode of decoders) {
        try {
          decode(buf);
        } catch (error) {
          expect(error).toMatchObject({ code: 'FLOCK_ERR_WIRE_FORMAT' });
        }
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (a) => check(Buffer.from(a))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(messages, fc.nat(), (m, cut) => {
        const full = encodeMessage(m);
        const truncated = full.subarray(0, cut % full.length);
        expect(() => decodeMessage(truncated)).toThrow(expect.objectContaining({ code: 'FLOCK_ERR_WIRE_FORMAT' }));
      }),
      { numRuns: 300 },
    );
  });
});
