import { clientsToShed } from '../src/cluster/rebalancer';

const options = { thresholdPercent: 10, minExcess: 50 };

describe('rebalancing decision', () => {
  test('rebalance - a node alone, or at or under the mean, sheds nothing', () => {
    expect(clientsToShed(5000, [], options)).toBe(0);
    expect(clientsToShed(1000, [1000, 1000], options)).toBe(0);
    expect(clientsToShed(0, [3000, 3000], options)).toBe(0);
  });

  test('rebalance - a node over the mean by both thresholds sheds its excess over the mean', () => {
    // Three nodes just added to one holding 3000: mean 1000, it moves 2000.
    expect(clientsToShed(3000, [0, 0], options)).toBe(2000);
    expect(clientsToShed(1300, [850, 850], options)).toBe(300);
  });

  test('rebalance - under the relative threshold or the absolute minimum, nothing moves', () => {
    // 1080 vs mean 1040: 40 over, under both 10% (104) and 50.
    expect(clientsToShed(1080, [1020, 1020], options)).toBe(0);
    // 100 vs mean 40: 60 over, over 10% but… 60 ≥ 50 and 60 > 4 → moves.
    expect(clientsToShed(100, [10, 10], options)).toBe(60);
    // Large flock, 8% over the mean: under the relative threshold although far over 50.
    expect(clientsToShed(10_800, [10_000, 9_600, 9_600, 10_000], options)).toBe(0);
  });
});
