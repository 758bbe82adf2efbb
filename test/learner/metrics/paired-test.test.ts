import { describe, expect, it } from 'vitest';
import { OptionError } from '../../../src/backend/errors.js';
import { pairedTest, tTest } from '../../../src/learner/metrics/paired-test.js';

describe('paired t-test and bootstrap of the mean difference', () => {
  it('t-test p-values by hand: 1 df (Cauchy) and 2 df have closed forms', () => {
    // [1, 3]: mean 2, sd √2, se 1, t = 2 on 1 df; P(T > t) = ½ − atan(t)/π, so p = 1 − 2·atan(2)/π
    const one = tTest([1, 3]);
    expect(one.t).toBeCloseTo(2, 12);
    expect(one.df).toBe(1);
    expect(one.p).toBeCloseTo(1 - (2 * Math.atan(2)) / Math.PI, 9);
    expect(one.p).toBeCloseTo(0.2951672, 6);
    // [1, 2, 6]: mean 3, sd √7, t = 3 / √(7/3) = √(27/7) on 2 df; P(T > t) = ½(1 − t/√(t² + 2)), so p = 1 − √(27/41)
    const two = tTest([1, 2, 6]);
    expect(two.t).toBeCloseTo(Math.sqrt(27 / 7), 12);
    expect(two.p).toBeCloseTo(1 - Math.sqrt(27 / 41), 9);
    // the sign does not change the two-sided p; mu shifts the null
    expect(tTest([-1, -2, -6]).p).toBeCloseTo(two.p, 12);
    expect(tTest([1, 3], 2)).toEqual({ t: 0, df: 1, p: 1 });
    expect(tTest([2, 3, 7], 1).p).toBeCloseTo(two.p, 12);
    // degenerate cases
    expect(tTest([0.5, 0.5])).toEqual({ t: Infinity, df: 1, p: 0 });
    expect(tTest([0, 0])).toEqual({ t: 0, df: 1, p: 1 });
    expect(tTest([1])).toEqual({ t: NaN, df: NaN, p: NaN });
  });

  it('pairedTest: differences, t interval, p, bootstrap interval and sign counts by hand', () => {
    // a − b = [1, 3]: mean 2, sd √2, t interval 2 ± t(0.975, 1)·1 = 2 ± 12.706205, p as above;
    // resampled means are 1, 2, 3 with probabilities ¼, ½, ¼, so the 2.5 % / 97.5 % quantiles are 1 and 3
    const r = pairedTest([2, 5], [1, 2]);
    expect(r.mean).toBeCloseTo(2, 12);
    expect(r.sd).toBeCloseTo(Math.SQRT2, 12);
    expect(r.ci[0]).toBeCloseTo(2 - 12.706205, 5);
    expect(r.ci[1]).toBeCloseTo(2 + 12.706205, 5);
    expect(r.p).toBeCloseTo(1 - (2 * Math.atan(2)) / Math.PI, 9);
    expect(r.bootstrapCi).toEqual([1, 3]);
    expect([r.wins, r.ties, r.losses]).toEqual([2, 0, 0]);
    expect(r.values).toEqual([1, 3]);
    // constant differences: a degenerate bootstrap, p = 0; one loss, one tie
    const c = pairedTest([1.5, 2.5, 0.5], [1, 2, 0]);
    expect(c.bootstrapCi).toEqual([0.5, 0.5]);
    expect(c.p).toBe(0);
    const w = pairedTest([1, 2, 3], [1, 3, 2]);
    expect([w.wins, w.ties, w.losses]).toEqual([1, 1, 1]);
    expect(w.p).toBe(1);
  });

  it('the bootstrap is seeded, lies within the differences and narrows with more pairs', () => {
    const a = [90.1, 91.2, 89.5, 90.8, 92.0, 88.9, 90.4, 91.7, 89.8, 90.6];
    const b = [89.0, 91.5, 88.2, 90.1, 90.7, 89.3, 89.6, 90.2, 89.9, 89.4];
    const d = a.map((v, i) => v - b[i]);
    const r1 = pairedTest(a, b, { seed: 3 });
    expect(pairedTest(a, b, { seed: 3 }).bootstrapCi).toEqual(r1.bootstrapCi);
    expect(r1.bootstrapCi[0]).toBeGreaterThanOrEqual(Math.min(...d));
    expect(r1.bootstrapCi[1]).toBeLessThanOrEqual(Math.max(...d));
    expect(r1.bootstrapCi[0]).toBeLessThan(r1.mean);
    expect(r1.bootstrapCi[1]).toBeGreaterThan(r1.mean);
    // the percentile bootstrap of a mean is a little narrower than the t interval at n = 10 (z vs t, and n vs n − 1)
    expect(r1.bootstrapCi[1] - r1.bootstrapCi[0]).toBeLessThan(r1.ci[1] - r1.ci[0]);
    expect(pairedTest([], []).bootstrapCi).toEqual([NaN, NaN]);
    expect(() => pairedTest(a, b, { resamples: 0 })).toThrow(OptionError);
    expect(() => pairedTest([1], [1, 2])).toThrow(/equal lengths/);
  });
});
