import { FakeClock } from '@flockmq/testkit';
import { SessionOrigins } from '../src/cluster/session-origins';

describe('SessionOrigins', () => {
  test('origins - a session taken over from another node is known to come from it for the window only', () => {
    const clock = new FakeClock();
    const origins = new SessionOrigins(clock, 1000);
    origins.connected('c1', 'node-a');
    expect(origins.from('c1')).toBe('node-a');
    clock.advance(999);
    expect(origins.from('c1')).toBe('node-a');
    clock.advance(1);
    expect(origins.from('c1')).toBeUndefined();
  });

  test('origins - an adopted session is known while offline, and for the window after it is resumed here', () => {
    const clock = new FakeClock();
    const origins = new SessionOrigins(clock, 1000);
    origins.adopted('c1', 'dead');
    clock.advance(1_000_000);
    expect(origins.from('c1')).toBe('dead');
    origins.connected('c1', undefined);
    clock.advance(500);
    expect(origins.from('c1')).toBe('dead');
    clock.advance(500);
    expect(origins.from('c1')).toBeUndefined();
  });

  test('origins - a session resumed from this node itself has no origin; forget() drops one; expired entries are pruned', () => {
    const clock = new FakeClock();
    const origins = new SessionOrigins(clock, 10);
    origins.connected('local', undefined);
    expect(origins.from('local')).toBeUndefined();
    origins.connected('c1', 'a');
    origins.forget('c1');
    expect(origins.from('c1')).toBeUndefined();
    for (let i = 0; i < 100; i++) origins.connected(`c${i}`, 'a');
    clock.advance(10);
    origins.connected('last', 'b');
    expect(origins.size).toBe(1);
  });
});
