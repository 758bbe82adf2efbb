import { describe, expect, it } from 'vitest';
import { pca, pcaProject, pcaReconstructionMse, DEFAULT_PCA } from '../../src/viz/pca.js';
import { OptionError, ShapeError, DataError } from '../../src/backend/errors.js';
import { clusters } from './clusters.js';
import { trustworthiness } from '../../src/viz/trustworthiness.js';

describe('pca', () => {
  // Points (±2, 0), (0, ±1) rotated by θ with cos θ = 0.8, sin θ = 0.6:
  // mean 0, covariance eigenvalues 8/3 (axis (0.8, 0.6)) and 2/3 (axis (−0.6, 0.8)), n − 1 = 3.
  const base = [[2, 0], [0, 1], [-2, 0], [0, -1]];
  const rot = base.map(([a, b]) => [0.8 * a - 0.6 * b, 0.6 * a + 0.8 * b]);

  it('finds hand-computed components, variances and coordinates', () => {
    const r = pca(rot, { components: 2 });
    expect(r.components[0][0]).toBeCloseTo(0.8, 10);
    expect(r.components[0][1]).toBeCloseTo(0.6, 10);
    // largest-magnitude loading positive: (−0.6, 0.8)
    expect(r.components[1][0]).toBeCloseTo(-0.6, 10);
    expect(r.components[1][1]).toBeCloseTo(0.8, 10);
    expect(r.explainedVariance[0]).toBeCloseTo(8 / 3, 10);
    expect(r.explainedVariance[1]).toBeCloseTo(2 / 3, 10);
    expect(r.explainedVarianceRatio[0]).toBeCloseTo(0.8, 10);
    expect(r.explainedVarianceRatio[1]).toBeCloseTo(0.2, 10);
    r.coords.forEach((c, i) => {
      expect(c[0]).toBeCloseTo(base[i][0], 10);
      expect(c[1]).toBeCloseTo(base[i][1], 10);
    });
    expect(r.mean[0]).toBeCloseTo(0, 12);
  });

  it('subtracts the mean and accepts a flat matrix with its shape', () => {
    const shifted = rot.map(([a, b]) => [a + 10, b - 5]);
    const r = pca({ data: Float32Array.from(shifted.flat()), shape: [4, 2] }, { components: 1 });
    expect(r.mean[0]).toBeCloseTo(10, 5);
    expect(r.mean[1]).toBeCloseTo(-5, 5);
    expect(r.coords.map((c) => c[0])).toEqual(base.map((b) => expect.closeTo(b[0], 5)));
    expect(r.components).toHaveLength(1);
  });

  it('maps well-separated clusters with trustworthiness ≥ 0.9', () => {
    const { rows } = clusters(200, 20, 4, 8, 11);
    const r = pca(rows, {});
    expect(r.coords[0]).toHaveLength(DEFAULT_PCA.components);
    expect(trustworthiness(rows, r.coords, 5)).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects bad options and input', () => {
    expect(() => pca(rot, { components: 3 })).toThrow(OptionError);
    expect(() => pca(rot, { comps: 2 } as never)).toThrow(/PcaOptions.comps/);
    expect(() => pca([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => pca([[1, 2], [3, NaN], [1, 1]])).toThrow(DataError);
    expect(() => pca({ data: new Float32Array(5), shape: [2, 2] })).toThrow(ShapeError);
  });
});

describe('pcaProject and pcaReconstructionMse', () => {
  it('project new rows onto fitted axes and measure what the kept components miss', () => {
    const fit = { components: [[1, 0]], mean: [1, 1] };
    const coords = pcaProject([[3, 2]], fit);
    expect(coords).toEqual([[2]]);
    // reconstruction [1 + 2, 1] = [3, 1] vs [3, 2] → MSE (0 + 1) / 2
    expect(pcaReconstructionMse([[3, 2]], coords, fit)).toEqual([0.5]);
    // the training rows projected again give pca()'s own coordinates
    const rows = [[1, 2, 0], [3, 1, 1], [0, 0, 2], [2, 5, 1]];
    const r = pca(rows, { components: 2 });
    pcaProject(rows, r).forEach((c, i) => c.forEach((v, k) => expect(v).toBeCloseTo(r.coords[i][k], 10)));
    expect(() => pcaProject([[1, 2]], r)).toThrow(ShapeError);
  });
});
