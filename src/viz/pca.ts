/**
 * Principal component analysis on `ml-pca`, with a deterministic sign
 * convention (the largest-magnitude loading of each component is positive,
 * as scikit-learn does since 1.5).
 */
import { PCA } from 'ml-pca';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { type MatrixInput, toDense, toRows } from './matrix.js';

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Number of components kept; default 2. */
  components?: number;
  /** Solver: 'SVD' or 'covarianceMatrix' (faster when rows ≫ columns); default 'SVD'. */
  method?: 'SVD' | 'covarianceMatrix';
}

/** Defaults of {@link PcaOptions}. */
export const DEFAULT_PCA: Required<PcaOptions> = { components: 2, method: 'SVD' };

/** Result of {@link pca}. */
export interface PcaResult {
  /** Projected samples, [rows][components]. */
  coords: number[][];
  /** Variance along each kept component (sample variance, n − 1 denominator). */
  explainedVariance: number[];
  /** Fraction of the total variance along each kept component. */
  explainedVarianceRatio: number[];
  /** Unit-length principal axes, [components][features]. */
  components: number[][];
  /** Column means subtracted before projecting. */
  mean: number[];
}

/**
 * Projects the rows of `matrix` onto their first principal components.
 * @param matrix samples × features
 * @param options see {@link PcaOptions}
 * @example
 * const { coords, explainedVarianceRatio } = pca(features, { components: 2 });
 */
export function pca(matrix: MatrixInput, options: PcaOptions = {}): PcaResult {
  rejectUnknownOptions('PcaOptions', options, DEFAULT_PCA);
  const opts = { ...DEFAULT_PCA, ...options };
  const m = toDense('pca', matrix);
  const maxComponents = Math.min(m.rows - 1, m.cols);
  if (!Number.isInteger(opts.components) || opts.components < 1 || opts.components > maxComponents) {
    throw new OptionError('PcaOptions.components', `must be an integer in [1, ${maxComponents}] for a ${m.rows}×${m.cols} matrix, got ${opts.components}`);
  }
  if (opts.method !== 'SVD' && opts.method !== 'covarianceMatrix') {
    throw new OptionError('PcaOptions.method', `must be 'SVD' or 'covarianceMatrix', got ${String(opts.method)}`);
  }
  const rows = toRows(m);
  const model = new PCA(rows, { method: opts.method, center: true, scale: false });
  const c = opts.components;
  const vectors = model.getEigenvectors().to2DArray(); // [features][all components]
  const eigen = model.getEigenvalues();
  const total = eigen.reduce((s, v) => s + v, 0);
  const mean = new Array<number>(m.cols).fill(0);
  for (const r of rows) for (let j = 0; j < m.cols; j++) mean[j] += r[j] / m.rows;

  const components: number[][] = [];
  for (let t = 0; t < c; t++) {
    const axis = vectors.map((row) => row[t]);
    let big = 0;
    for (const v of axis) if (Math.abs(v) > Math.abs(big)) big = v;
    components.push(big < 0 ? axis.map((v) => -v) : axis);
  }
  const coords = rows.map((r) => components.map((axis) => axis.reduce((s, w, j) => s + w * (r[j] - mean[j]), 0)));
  return {
    coords,
    explainedVariance: eigen.slice(0, c),
    explainedVarianceRatio: eigen.slice(0, c).map((v) => (total > 0 ? v / total : 0)),
    components,
    mean,
  };
}

/**
 * Projects rows onto fitted principal axes (a {@link pca} result, or any `components` and `mean`):
 * coords[i][k] = Σ_j components[k][j] · (x_ij − mean_j). Rows not seen by the fit (validation, test) go through here.
 * @example const test = pcaProject(testRows, pca(trainRows, { components: 16 }));
 */
export function pcaProject(rows: ReadonlyArray<ArrayLike<number>>, fit: Pick<PcaResult, 'components' | 'mean'>): number[][] {
  return rows.map((r) => {
    if (r.length !== fit.mean.length) throw new ShapeError('pcaProject: row length', [fit.mean.length], [r.length]);
    return fit.components.map((axis) => {
      let s = 0;
      for (let j = 0; j < axis.length; j++) s += axis[j] * (r[j] - fit.mean[j]);
      return s;
    });
  });
}

/** Mean squared error of reconstructing each row from its principal coordinates (mean + Σ_k coords_k · axis_k), per row. */
export function pcaReconstructionMse(rows: ReadonlyArray<ArrayLike<number>>, coords: readonly (readonly number[])[], fit: Pick<PcaResult, 'components' | 'mean'>): number[] {
  return rows.map((r, i) => {
    let s = 0;
    for (let j = 0; j < r.length; j++) {
      let v = fit.mean[j];
      for (let k = 0; k < fit.components.length; k++) v += coords[i][k] * fit.components[k][j];
      s += (r[j] - v) ** 2;
    }
    return s / r.length;
  });
}
