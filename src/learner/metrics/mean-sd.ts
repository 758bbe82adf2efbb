/**
 * Mean ± sample sd over repeated runs (seeds, folds), paired differences and win/tie/loss counts.
 */
import { OptionError } from '../../backend/errors.js';

/** Mean and sample standard deviation (n − 1; 0 for one value, NaN mean for none). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

/** Mean, sample sd, and the per-seed values of one quantity. */
export interface SeedSummary {
  mean: number;
  sd: number;
  values: number[];
}

/** {@link meanSd} plus a copy of the values (a results.json row). */
export function seedSummary(values: readonly number[]): SeedSummary {
  return { ...meanSd(values), values: [...values] };
}

/** `0.731 ± 0.052`. */
export function formatMeanSd(s: { mean: number; sd: number }, digits = 3): string {
  return `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
}

/** Element-wise a − b. */
export function pairedDifference(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new OptionError('pairedDifference', `needs equal lengths, got ${a.length} and ${b.length}`);
  return a.map((v, i) => v - b[i]);
}

/** How many pairs have a > b, a = b (within `eps`) and a < b. */
export function winTieLoss(a: readonly number[], b: readonly number[], eps = 1e-9): { wins: number; ties: number; losses: number } {
  const d = pairedDifference(a, b);
  return { wins: d.filter((x) => x > eps).length, ties: d.filter((x) => Math.abs(x) <= eps).length, losses: d.filter((x) => x < -eps).length };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz), 0 ≤ x ≤ 1. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logGamma(a) - logGamma(b) + logGamma(a + b)) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
  f = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d;
      d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return front * f;
}

/** P(T ≤ x) for Student's t with `df` degrees of freedom. */
export function studentTCdf(x: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + x * x), df / 2, 0.5);
  return x >= 0 ? 1 - tail : tail;
}

/**
 * Quantile of Student's t distribution: the x with P(T ≤ x) = p, for `df` > 0 degrees of freedom
 * (non-integer allowed). Computed by bisection on the CDF (regularized incomplete beta) to ~1e-12.
 *
 * @example studentTQuantile(0.975, 2) // 4.302653 (R: qt(0.975, 2))
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new OptionError('studentTQuantile.p', `must be in (0, 1), got ${p}`);
  if (!(df > 0) || !Number.isFinite(df)) throw new OptionError('studentTQuantile.df', `must be a finite number > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The two-sided t interval of the mean of `values` at `level` (default 0.95):
 * mean ± t((1 + level) / 2, n − 1) · sd / √n, sd the sample sd. [NaN, NaN] for fewer than two values.
 */
export function tInterval(values: readonly number[], level = 0.95): [number, number] {
  if (!(level > 0 && level < 1)) throw new OptionError('tInterval.level', `must be in (0, 1), got ${level}`);
  const n = values.length;
  if (n < 2) return [NaN, NaN];
  const { mean, sd } = meanSd(values);
  const half = (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return [mean - half, mean + half];
}

/** A paired comparison over seeds (or folds): the differences a − b summarised, their mean's t interval and the sign counts. */
export interface PairedSummary extends SeedSummary {
  /** {@link tInterval} of the mean difference at the requested level; [NaN, NaN] for one pair. */
  ci: [number, number];
  wins: number;
  ties: number;
  losses: number;
}

/**
 * a − b per pair (a and b in the same seed order): mean ± sd of the differences, the t interval of
 * their mean at `level` (default 0.95) and how many pairs a wins, ties (within 1e-9) and loses.
 */
export function pairedSummary(a: readonly number[], b: readonly number[], level = 0.95): PairedSummary {
  const d = pairedDifference(a, b);
  return { ...seedSummary(d), ci: tInterval(d, level), ...winTieLoss(a, b) };
}
