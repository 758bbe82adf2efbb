import { describe, expect, it } from 'vitest';
import { formatMeanSd, meanSd, pairedDifference, pairedSummary, seedSummary, studentTQuantile, tInterval, winTieLoss } from '../../../src/learner/metrics/mean-sd.js';

describe('mean ± sd over seeds', () => {
  it('summarises with the sample sd and counts paired wins, ties and losses', () => {
    // values 0.5, 0.75, 1: mean 0.75, sd = sqrt((0.0625 + 0 + 0.0625) / 2) = 0.25
    const s = seedSummary([0.5, 0.75, 1]);
    expect(s.mean).toBeCloseTo(0.75, 12);
    expect(s.sd).toBeCloseTo(0.25, 12);
    expect(s.values).toEqual([0.5, 0.75, 1]);
    expect(meanSd([0.5, 0.75, 1])).toEqual({ mean: s.mean, sd: s.sd });
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0 });
    expect(formatMeanSd(s)).toBe('0.750 ± 0.250');
    expect(pairedDifference([1, 0.5, 0.5], [0.5, 0.5, 0.75])).toEqual([0.5, 0, -0.25]);
    expect(winTieLoss([1, 0.5, 0.5], [0.5, 0.5, 0.75])).toEqual({ wins: 1, ties: 1, losses: 1 });
    expect(() => pairedDifference([1], [1, 2])).toThrow(/equal lengths/);
  });

  it("Student's t quantile: closed forms for 1 and 2 degrees of freedom, R's qt otherwise", () => {
    // df = 1 is Cauchy: tan(π(p − ½)); df = 2: (2p − 1) / √(2p(1 − p))
    for (const p of [0.6, 0.9, 0.975, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 8);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
    // R: qt(0.975, c(4, 30, 1000)), qt(0.95, 5), qt(0.995, 10), qt(0.025, 3)
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 6);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 6);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.962339, 6);
    expect(studentTQuantile(0.95, 5)).toBeCloseTo(2.015048, 6);
    expect(studentTQuantile(0.995, 10)).toBeCloseTo(3.169273, 6);
    expect(studentTQuantile(0.025, 3)).toBeCloseTo(-3.182446, 6);
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(() => studentTQuantile(1, 3)).toThrow(/studentTQuantile\.p/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/studentTQuantile\.df/);
  });

  it('t interval of a mean and the paired summary, by hand', () => {
    // d = [0.1, 0.0, 0.2] − [0.0, 0.1, 0.1] = [0.1, −0.1, 0.1]: mean 1/30, sd = √((2·(0.2/3)² + (0.4/3)²)/2) = 0.11547,
    // t(0.975, 2) = 4.302653, half width 4.302653 · 0.11547 / √3 = 0.286844
    const p = pairedSummary([0.1, 0.0, 0.2], [0.0, 0.1, 0.1]);
    expect(p.mean).toBeCloseTo(1 / 30, 10);
    expect(p.sd).toBeCloseTo(0.1154701, 6);
    expect(p.ci[0]).toBeCloseTo(1 / 30 - 0.286844, 5);
    expect(p.ci[1]).toBeCloseTo(1 / 30 + 0.286844, 5);
    expect(p.values.map((v) => +v.toFixed(12))).toEqual([0.1, -0.1, 0.1]);
    expect([p.wins, p.ties, p.losses]).toEqual([2, 0, 1]);
    // 90 %: t(0.95, 2) = 2.919986 (R), half width 2.919986 · 0.11547 / √3 = 0.194666
    expect(tInterval([0.1, -0.1, 0.1], 0.9)[1]).toBeCloseTo(1 / 30 + 0.194666, 5);
    expect(tInterval([0.4])).toEqual([NaN, NaN]);
    expect(pairedSummary([0.5], [0.6]).ci).toEqual([NaN, NaN]);
    expect(() => tInterval([1, 2], 1)).toThrow(/tInterval\.level/);
  });
});
