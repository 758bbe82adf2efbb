import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import {
  fitStandardizer,
  invert,
  linearPredict,
  logisticFit,
  logisticPredict,
  ridgeFit,
  standardize,
} from '../../src/learner/probes.js';
import { balancedAccuracy } from '../../src/learner/metrics/classification.js';
import { bootstrapInterval } from '../../src/learner/metrics/bootstrap.js';
import { meanAbsoluteError, pearson } from '../../src/learner/metrics/regression.js';

describe('ridgeFit', () => {
  it('matches the hand-computed one-feature solution', () => {
    // x = [0, 1, 2], y = [1, 3, 2]: x̄ = 1, ȳ = 2, Σxc·yc = (-1)(-1) + 0 + (1)(0) = 1, Σxc² = 2.
    // w = Σxc·yc / (Σxc² + λ) = 1 / (2 + 1) = 1/3 at λ = 1; b = ȳ − w·x̄ = 2 − 1/3 = 5/3.
    const m = ridgeFit([[0], [1], [2]], [1, 3, 2], [1]);
    expect(m.weights[0]).toBeCloseTo(1 / 3, 12);
    expect(m.intercept).toBeCloseTo(5 / 3, 12);
    expect(Array.from(linearPredict(m, [[3]]))[0]).toBeCloseTo(8 / 3, 12);
  });

  it('leave-one-out error equals refitting without each row', () => {
    const rng = new Rng(3);
    const x = Array.from({ length: 7 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const y = x.map((r) => 2 * r[0] - r[2] + 0.3 * rng.normal());
    const lambda = 0.5;
    const fit = ridgeFit(x, y, [lambda]);
    let loo = 0;
    for (let i = 0; i < x.length; i++) {
      const m = ridgeFit(x.filter((_, j) => j !== i), y.filter((_, j) => j !== i), [lambda]);
      loo += (y[i] - linearPredict(m, [x[i]])[0]) ** 2 / x.length;
    }
    expect(fit.looMse[0]).toBeCloseTo(loo, 10);
  });

  it('picks the smaller penalty on noiseless linear data and more features than rows', () => {
    const rng = new Rng(1);
    const x = Array.from({ length: 12 }, () => Array.from({ length: 40 }, () => rng.normal()));
    const y = x.map((r) => r[0] + r[1]);
    const m = ridgeFit(x, y, [1e-4, 100]);
    expect(m.lambda).toBe(1e-4);
    expect(m.looMse[0]).toBeLessThan(m.looMse[1]);
  });

  it('rejects a bad penalty and mismatched targets', () => {
    expect(() => ridgeFit([[1], [2]], [1, 2], [0])).toThrow(/lambdas/);
    expect(() => ridgeFit([[1], [2]], [1])).toThrow(/1 targets for 2 rows/);
  });
});

describe('invert', () => {
  it('inverts a 2×2 matrix', () => {
    // [[4, 7], [2, 6]]⁻¹ = 1/10 · [[6, -7], [-2, 4]]
    const inv = invert([Float64Array.from([4, 7]), Float64Array.from([2, 6])]);
    expect(Array.from(inv[0])).toEqual([0.6, -0.7].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(inv[1])).toEqual([-0.2, 0.4].map((v) => expect.closeTo(v, 12)));
  });
});

describe('logisticFit', () => {
  it('one step from zero weights follows the hand-computed gradient', () => {
    // x = [-1, 1], y = [0, 1], balanced weights 1/2 each, p = 0.5 at w = b = 0.
    // g_w = ½(0.5 − 0)(−1) + ½(0.5 − 1)(1) = −0.5; g_b = ½(0.5) + ½(−0.5) = 0.
    // w = 0 − lr·(g_w + λ·0) = 0.5 at lr = 1.
    const m = logisticFit([[-1], [1]], [0, 1], { steps: 1, lambda: 0.1 });
    expect(m.weights[0]).toBeCloseTo(0.5, 12);
    expect(m.intercept).toBeCloseTo(0, 12);
  });

  it('separates two clusters and predicts probabilities on the right side of 0.5', () => {
    const rng = new Rng(2);
    const x = Array.from({ length: 20 }, (_, i) => [(i < 10 ? -1 : 1) + 0.3 * rng.normal(), rng.normal()]);
    const y = x.map((_, i) => (i < 10 ? 0 : 1));
    const p = logisticPredict(logisticFit(x, y), x);
    expect(balancedAccuracy(y, Array.from(p, (v) => (v >= 0.5 ? 1 : 0)), 2)).toBe(1);
  });

  it('rejects labels other than 0/1 and unknown options', () => {
    expect(() => logisticFit([[1], [2]], [0, 2])).toThrow(/0 or 1/);
    expect(() => logisticFit([[1], [2]], [0, 1], { step: 3 } as never)).toThrow(/step/);
  });
});

describe('scores', () => {
  it('MAE, Pearson r and balanced accuracy by hand', () => {
    expect(meanAbsoluteError([1, 2, 3], [2, 2, 5])).toBeCloseTo(1, 12); // (1 + 0 + 2) / 3
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 12); // Σ = 1·(−1)… cov 1, var 2 and 2 → 1/2
    expect(Number.isNaN(pearson([1, 1], [1, 2]))).toBe(true);
    // class 0: 2 of 3 right, class 1: 1 of 1 right → (2/3 + 1) / 2
    expect(balancedAccuracy([0, 0, 0, 1], [0, 0, 1, 1], 2)).toBeCloseTo(5 / 6, 12);
  });

  it('bootstrap interval brackets the point value and is seeded', () => {
    const v = Array.from({ length: 30 }, (_, i) => i);
    const mean = (idx: ArrayLike<number>): number => Array.from(idx).reduce((s, i) => s + v[i], 0) / idx.length;
    const a = bootstrapInterval(30, mean, new Rng(5), 500);
    const b = bootstrapInterval(30, mean, new Rng(5), 500);
    expect(a).toEqual(b);
    expect(a[0]).toBeLessThan(14.5);
    expect(a[1]).toBeGreaterThan(14.5);
    // sd of the mean ≈ 8.66 / √30 ≈ 1.58, so the 95% half-width is about 3.1
    expect(a[1] - a[0]).toBeGreaterThan(4);
    expect(a[1] - a[0]).toBeLessThan(8);
  });

  it('standardizes with train statistics and scales by 1/√p', () => {
    const s = fitStandardizer([[1, 5], [3, 5]]);
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.std)).toEqual([1, 1]); // second column constant → 1
    const z = standardize([[4, 6]], s);
    expect(z[0][0]).toBeCloseTo(2 / Math.SQRT2, 12);
    expect(z[0][1]).toBeCloseTo(1 / Math.SQRT2, 12);
  });
});
