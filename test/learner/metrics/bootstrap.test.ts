import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/backend/rng.js';
import { bootstrapInterval, formatCi, percentileInterval, pooledScore } from '../../../src/learner/metrics/bootstrap.js';

describe('the percentile bootstrap', () => {
  it('percentileInterval interpolates like numpy and skips NaN', () => {
    // sorted [1, 2, 3, 4, 5], level 0.5: quantiles 0.25 and 0.75 at positions 1 and 3 → 2 and 4
    expect(percentileInterval([5, NaN, 1, 4, 2, 3], 0.5)).toEqual([2, 4]);
    // level 0.95: position 0.025 · 4 = 0.1 → 1.1; 0.975 · 4 = 3.9 → 4.9
    const [lo, hi] = percentileInterval([1, 2, 3, 4, 5]);
    expect(lo).toBeCloseTo(1.1, 12);
    expect(hi).toBeCloseTo(4.9, 12);
    expect(percentileInterval([NaN])).toEqual([NaN, NaN]);
  });

  it('bootstrapInterval resamples with the given Rng: a constant score gives a zero-width interval', () => {
    expect(bootstrapInterval(5, () => 0.7, new Rng(1), 50)).toEqual([0.7, 0.7]);
    // the score sees n indices in [0, n)
    let seen = 0;
    bootstrapInterval(4, (idx) => {
      expect(idx).toHaveLength(4);
      expect(Array.from(idx).every((i) => i >= 0 && i < 4)).toBe(true);
      seen++;
      return 0;
    }, new Rng(2), 10);
    expect(seen).toBe(10);
  });

  it('pooledScore: the value on all units, the interval from Rng(seed).fork(label), formatted', () => {
    const v = [1, 2, 3, 4];
    const mean = (idx: ArrayLike<number>): number => Array.from(idx).reduce((s, i) => s + v[i], 0) / idx.length;
    const s = pooledScore(4, mean, 3, 'm', 200);
    expect(s.value).toBe(2.5);
    expect(s.ci).toEqual(bootstrapInterval(4, mean, new Rng(3).fork('m'), 200));
    expect(formatCi({ value: 0.5, ci: [0.25, 0.75] }, 2)).toBe('0.50 [0.25, 0.75]');
  });
});
