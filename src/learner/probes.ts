/**
 * Linear probes on fixed features (pure functions, no tensors): closed-form ridge
 * regression with leave-one-out selection of the penalty, L2-penalised logistic
 * regression by gradient descent (their scores are in metrics/regression.ts and
 * metrics/classification.ts, their intervals in metrics/bootstrap.ts).
 */
import { OptionError, ShapeError } from '../backend/errors.js';

/** Rows of features (one array per sample, all the same length). */
export type Features = ReadonlyArray<ArrayLike<number>>;

/** Column means and standard deviations fitted on training rows. */
export interface Standardizer {
  mean: Float64Array;
  /** Standard deviation (population); a constant column gets 1. */
  std: Float64Array;
}

function dims(where: string, x: Features): { n: number; p: number } {
  if (x.length === 0) throw new ShapeError(`${where}: no rows`, [1, -1], [0]);
  const p = x[0].length;
  for (let i = 1; i < x.length; i++) if (x[i].length !== p) throw new ShapeError(`${where}: row ${i} has ${x[i].length} values, row 0 has ${p}`, [x.length, p], [i, x[i].length]);
  return { n: x.length, p };
}

/** Fits column means and standard deviations on `x`. */
export function fitStandardizer(x: Features): Standardizer {
  const { n, p } = dims('fitStandardizer', x);
  const mean = new Float64Array(p);
  const std = new Float64Array(p);
  for (const r of x) for (let j = 0; j < p; j++) mean[j] += r[j] / n;
  for (const r of x) for (let j = 0; j < p; j++) std[j] += (r[j] - mean[j]) ** 2 / n;
  for (let j = 0; j < p; j++) std[j] = std[j] > 1e-24 ? Math.sqrt(std[j]) : 1;
  return { mean, std };
}

/**
 * (x − mean) / std, divided by √p so that a row's squared norm is about 1 whatever the
 * feature count (one penalty scale then suits 16 PCA scores and 5,000 code values alike).
 */
export function standardize(x: Features, s: Standardizer): Float64Array[] {
  const p = s.mean.length;
  const scale = 1 / Math.sqrt(p);
  return x.map((r, i) => {
    if (r.length !== p) throw new ShapeError(`standardize: row ${i} has ${r.length} values, expected ${p}`, [p], [r.length]);
    const o = new Float64Array(p);
    for (let j = 0; j < p; j++) o[j] = ((r[j] - s.mean[j]) / s.std[j]) * scale;
    return o;
  });
}

function gram(x: Float64Array[]): Float64Array[] {
  const n = x.length;
  const k = x.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      const a = x[i];
      const b = x[j];
      for (let t = 0; t < a.length; t++) s += a[t] * b[t];
      k[i][j] = s;
      k[j][i] = s;
    }
  }
  return k;
}

/** Inverse of a symmetric positive definite matrix (Gauss-Jordan with partial pivoting). */
export function invert(m: Float64Array[]): Float64Array[] {
  const n = m.length;
  const a = m.map((r) => Float64Array.from(r));
  const inv = m.map((_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    if (Math.abs(a[piv][c]) < 1e-300) throw new OptionError('invert', 'singular matrix');
    [a[c], a[piv]] = [a[piv], a[c]];
    [inv[c], inv[piv]] = [inv[piv], inv[c]];
    const d = a[c][c];
    for (let j = 0; j < n; j++) {
      a[c][j] /= d;
      inv[c][j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c || a[r][c] === 0) continue;
      const f = a[r][c];
      for (let j = 0; j < n; j++) {
        a[r][j] -= f * a[c][j];
        inv[r][j] -= f * inv[c][j];
      }
    }
  }
  return inv;
}

/** A fitted ridge regression: ŷ = intercept + w·x (x in the standardised space). */
export interface RidgeModel {
  weights: Float64Array;
  intercept: number;
  /** The chosen penalty. */
  lambda: number;
  /** Leave-one-out mean squared error of each candidate penalty. */
  looMse: number[];
}

/** Default penalty grid of {@link ridgeFit}. */
export const DEFAULT_RIDGE_LAMBDAS = [1e-3, 1e-2, 1e-1, 1, 10, 100];

/**
 * Ridge regression, min Σ(y − b − w·x)² + λ‖w‖² with an unpenalised intercept, in the
 * dual form w = Xcᵀ (XcXcᵀ + λI)⁻¹ (y − ȳ) (n × n solve, so p ≫ n is cheap). With several
 * penalties, picks the one with the smallest exact leave-one-out error, e_i = r_i / (1 − H_ii),
 * H = K(K + λI)⁻¹ on centred data (the 1/n of the intercept is added to H_ii).
 */
export function ridgeFit(x: Features, y: ArrayLike<number>, lambdas: readonly number[] = DEFAULT_RIDGE_LAMBDAS): RidgeModel {
  const { n, p } = dims('ridgeFit', x);
  if (y.length !== n) throw new ShapeError(`ridgeFit: ${y.length} targets for ${n} rows`, [n], [y.length]);
  if (lambdas.length === 0 || lambdas.some((l) => !(l > 0))) throw new OptionError('ridgeFit.lambdas', `expected penalties > 0, got ${JSON.stringify(lambdas)}`);
  const xm = new Float64Array(p);
  for (const r of x) for (let j = 0; j < p; j++) xm[j] += r[j] / n;
  const xc = x.map((r) => Float64Array.from({ length: p }, (_, j) => r[j] - xm[j]));
  const ym = Array.from(y).reduce((a, b) => a + b, 0) / n;
  const yc = Float64Array.from(y, (v) => v - ym);
  const k = gram(xc);
  const fits = lambdas.map((lambda) => {
    const inv = invert(k.map((r, i) => Float64Array.from(r, (v, j) => v + (i === j ? lambda : 0))));
    const alpha = inv.map((r) => r.reduce((s, v, j) => s + v * yc[j], 0));
    let loo = 0;
    for (let i = 0; i < n; i++) {
      // H = K (K + λI)⁻¹ = I − λ (K + λI)⁻¹, so H_ii = 1 − λ inv_ii and the residual is λ α_i.
      const h = 1 - lambda * inv[i][i] + 1 / n;
      loo += ((lambda * alpha[i]) / Math.max(1e-12, 1 - h)) ** 2 / n;
    }
    return { lambda, alpha, loo };
  });
  const best = fits.reduce((a, b) => (b.loo < a.loo ? b : a));
  const weights = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) weights[j] += best.alpha[i] * xc[i][j];
  const intercept = ym - weights.reduce((s, w, j) => s + w * xm[j], 0);
  return { weights, intercept, lambda: best.lambda, looMse: fits.map((f) => f.loo) };
}

/** Linear predictions intercept + w·x. */
export function linearPredict(model: { weights: ArrayLike<number>; intercept: number }, x: Features): Float64Array {
  return Float64Array.from(x, (r) => {
    let s = model.intercept;
    for (let j = 0; j < model.weights.length; j++) s += model.weights[j] * r[j];
    return s;
  });
}

/** Options of {@link logisticFit}. */
export interface LogisticOptions {
  /** L2 penalty λ on the weights (loss = mean log-loss + λ/2 ‖w‖²); default 0.01. */
  lambda?: number;
  /** Full-batch gradient steps; default 500. */
  steps?: number;
  /** Step size; default 1. */
  lr?: number;
  /** Weight the classes inversely to their counts (balanced log-loss); default true. */
  balanced?: boolean;
}

/** Defaults of {@link LogisticOptions}. */
export const DEFAULT_LOGISTIC: Required<LogisticOptions> = { lambda: 0.01, steps: 500, lr: 1, balanced: true };

/**
 * Binary logistic regression (labels 0/1) by full-batch gradient descent from zero weights,
 * so the result is deterministic. Returns weights on the raw features and the intercept.
 */
export function logisticFit(x: Features, y: ArrayLike<number>, options: LogisticOptions = {}): { weights: Float64Array; intercept: number } {
  for (const key of Object.keys(options)) if (!(key in DEFAULT_LOGISTIC)) throw new OptionError(`LogisticOptions.${key}`, `unknown option (known: ${Object.keys(DEFAULT_LOGISTIC).join(', ')})`);
  const o = { ...DEFAULT_LOGISTIC, ...options };
  const { n, p } = dims('logisticFit', x);
  if (y.length !== n) throw new ShapeError(`logisticFit: ${y.length} labels for ${n} rows`, [n], [y.length]);
  const pos = Array.from(y).filter((v) => v === 1).length;
  if (Array.from(y).some((v) => v !== 0 && v !== 1)) throw new OptionError('logisticFit.y', 'labels must be 0 or 1');
  const sw = Float64Array.from(y, (v) => (!o.balanced || pos === 0 || pos === n ? 1 / n : v === 1 ? 1 / (2 * pos) : 1 / (2 * (n - pos))));
  const w = new Float64Array(p);
  let b = 0;
  const g = new Float64Array(p);
  for (let step = 0; step < o.steps; step++) {
    g.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const r = x[i];
      let z = b;
      for (let j = 0; j < p; j++) z += w[j] * r[j];
      const e = (1 / (1 + Math.exp(-z)) - y[i]) * sw[i];
      gb += e;
      for (let j = 0; j < p; j++) g[j] += e * r[j];
    }
    for (let j = 0; j < p; j++) w[j] -= o.lr * (g[j] + o.lambda * w[j]);
    b -= o.lr * gb;
  }
  return { weights: w, intercept: b };
}

/** Probability of class 1 for each row. */
export function logisticPredict(model: { weights: ArrayLike<number>; intercept: number }, x: Features): Float64Array {
  return linearPredict(model, x).map((z) => 1 / (1 + Math.exp(-z)));
}

/** Picks `idx` entries of an array. */
export function pick(a: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: idx.length }, (_, i) => a[idx[i]]);
}
