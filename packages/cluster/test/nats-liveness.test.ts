import { FakeClock } from '@flockmq/testkit';
import { PeerLiveness } from '../src/nats/peer-liveness';

describe('nats liveness', () => {
  const up = (nodeId: string) => ({ type: 'up', nodeId });
  const down = (nodeId: string) => ({ type: 'down', nodeId });

  test('nats liveness - the first heartbeat brings a node up, later ones do nothing', () => {
    const clock = new FakeClock();
    const liveness = new PeerLiveness(300);
    expect(liveness.heard('b', 1, clock.now())).toEqual([up('b')]);
    clock.advance(100);
    expect(liveness.heard('b', 1, clock.now())).toEqual([]);
    expect([...liveness.peers]).toEqual(['b']);
  });

  test('nats liveness - a node silent for longer than the window goes down, exactly then', () => {
    const clock = new FakeClock();
    const liveness = new PeerLiveness(300);
    liveness.heard('b', 1, clock.now());
    clock.advance(300);
    expect(liveness.expire(clock.now())).toEqual([]);
    clock.advance(1);
    expect(liveness.expire(clock.now())).toEqual([down('b')]);
    expect(liveness.expire(clock.now())).toEqual([]);
    expect(liveness.peers.size).toBe(0);
    // Heard again (a healed partition): up again.
    expect(liveness.heard('b', 1, clock.now())).toEqual([up('b')]);
  });

  test('nats liveness - a new incarnation while up is a restart: down then up', () => {
    const liveness = new PeerLiveness(300);
    liveness.heard('b', 1, 0);
    expect(liveness.heard('b', 2, 10)).toEqual([down('b'), up('b')]);
    expect(liveness.peers.has('b')).toBe(true);
  });

  test('nats liveness - a goodbye brings the node down at once; its late heartbeats are ignored', () => {
    const liveness = new PeerLiveness(300);
    liveness.heard('b', 1, 0);
    expect(liveness.goodbye('b', 7, 1)).toEqual([]); // another incarnation's goodbye
    expect(liveness.goodbye('b', 1, 2)).toEqual([down('b')]);
    expect(liveness.heard('b', 1, 3)).toEqual([]);
    expect(liveness.goodbye('b', 1, 4)).toEqual([]);
    expect(liveness.heard('b', 2, 5)).toEqual([up('b')]); // the next life
  });

  test('nats liveness - refresh restarts every window (after this node was disconnected)', () => {
    const liveness = new PeerLiveness(300);
    liveness.heard('b', 1, 0);
    liveness.heard('c', 1, 0);
    liveness.refresh(1000);
    expect(liveness.expire(1200)).toEqual([]);
    expect(liveness.expire(1301)).toEqual([down('b'), down('c')]);
  });

  test('nats liveness - nodes long gone are forgotten', () => {
    const liveness = new PeerLiveness(300);
    liveness.heard('b', 1, 0);
    liveness.expire(301);
    liveness.expire(100_000);
    // Forgotten: the same incarnation is a first sighting again (no stale state kept).
    expect(liveness.heard('b', 1, 100_001)).toEqual([up('b')]);
  });
});
