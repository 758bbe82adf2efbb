/**
 * The one percentile bootstrap of the library: resample units (samples or subjects) with
 * replacement, recompute a score, take the quantiles of the scores that are not NaN.
 */
import { Rng } from '../../backend/rng.js';
import { quantileSorted } from '../../backend/quantile.js';

/**
 * Percentile interval of `values` at `level` (e.g. 0.95 → the 2.5 % and 97.5 % quantiles);
 * NaN values are skipped, and an empty set gives [NaN, NaN].
 */
export function percentileInterval(values: readonly number[], level = 0.95): [number, number] {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return [quantileSorted(sorted, alpha), quantileSorted(sorted, 1 - alpha)];
}

/**
 * Percentile bootstrap interval of `score(indices)` over `n` resampled units (subjects):
 * draws `resamples` index sets with replacement from `rng`, skips NaN scores.
 * @returns [lower, upper] at `level` (e.g. 0.95)
 * @example bootstrapInterval(30, (idx) => mean(pick(values, idx)), new Rng(0), 1000)
 */
export function bootstrapInterval(n: number, score: (indices: Int32Array) => number, rng: Rng, resamples = 1000, level = 0.95): [number, number] {
  const values: number[] = [];
  const idx = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    values.push(score(idx));
  }
  return percentileInterval(values, level);
}

/** A score with its interval. */
export interface ScoreWithCi {
  value: number;
  ci: [number, number];
}

/**
 * A pooled score over `n` units and its percentile-bootstrap 95 % interval (each resample draws
 * units with replacement and recomputes the score); the resampling Rng is `new Rng(seed).fork(label)`.
 */
export function pooledScore(n: number, score: (idx: ArrayLike<number>) => number, seed: number, label: string, resamples: number): ScoreWithCi {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return { value: score(all), ci: bootstrapInterval(n, score, new Rng(seed).fork(label), resamples) };
}

/** `0.731 [0.620, 0.840]`. */
export function formatCi(s: ScoreWithCi, digits = 3): string {
  return `${s.value.toFixed(digits)} [${s.ci[0].toFixed(digits)}, ${s.ci[1].toFixed(digits)}]`;
}
