import fc from 'fast-check';
import {
  controlSubject,
  escapeToken,
  forwardSubject,
  HEARTBEAT_SUBJECT,
  ROUTES_SUBJECT,
  unescapeToken,
} from '../src/nats/subjects';

describe('nats subjects', () => {
  test('nats subjects - are versioned under flockmq.v1', () => {
    expect(forwardSubject('node-1')).toBe('flockmq.v1.node.node-1.fwd');
    expect(controlSubject('node-1')).toBe('flockmq.v1.node.node-1.ctl');
    expect(ROUTES_SUBJECT).toBe('flockmq.v1.routes');
    expect(HEARTBEAT_SUBJECT).toBe('flockmq.v1.heartbeat');
  });

  test('nats subjects - node ids with subject syntax or spaces are escaped', () => {
    expect(forwardSubject('a.b')).toBe('flockmq.v1.node.a%2Eb.fwd');
    expect(forwardSubject('*')).toBe('flockmq.v1.node.%2A.fwd');
    expect(forwardSubject('>')).toBe('flockmq.v1.node.%3E.fwd');
    expect(forwardSubject('a b\tc')).toBe('flockmq.v1.node.a%20b%09c.fwd');
    expect(forwardSubject('%2E')).toBe('flockmq.v1.node.%252E.fwd'); // the escape character itself
    expect(forwardSubject('é')).toBe('flockmq.v1.node.%C3%A9.fwd');
  });

  test('nats subjects - an empty node id is refused', () => {
    expect(() => forwardSubject('')).toThrow(expect.objectContaining({ code: 'FLOCK_ERR_CONFIG_INVALID' }) as Error);
  });

  test('nats subjects - any node id becomes one safe token, and distinct ids stay distinct (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (nodeId) => {
        const token = escapeToken(nodeId);
        expect(token).toMatch(/^[A-Za-z0-9_%-]+$/);
        expect(unescapeToken(token)).toBe(nodeId);
      }),
      { numRuns: 1000 },
    );
  });
});
