/**
 * Paired comparison of two methods over seeds (or folds) with a test: the paired t-test's p-value
 * and a percentile-bootstrap interval of the mean difference beside {@link pairedSummary}'s t interval.
 */
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { bootstrapInterval } from './bootstrap.js';
import { meanSd, pairedDifference, pairedSummary, studentTCdf, type PairedSummary } from './mean-sd.js';

/** A one-sample t-test: the statistic, its degrees of freedom and the two-sided p-value. */
export interface TTest {
  t: number;
  df: number;
  p: number;
}

/**
 * Two-sided one-sample t-test of "the mean of `values` is `mu`" (default 0): t = (mean − mu) / (sd / √n),
 * df = n − 1, p = 2 · P(T ≥ |t|). For fewer than two values t, df and p are NaN; values that are all
 * equal give t = ±∞, p = 0 (or t = 0, p = 1 when they equal `mu`).
 *
 * @example tTest([1, 3]).p // 0.2952 (t = 2 on 1 df: 1 − 2·atan(2)/π)
 */
export function tTest(values: readonly number[], mu = 0): TTest {
  const n = values.length;
  if (n < 2) return { t: NaN, df: NaN, p: NaN };
  const { mean, sd } = meanSd(values);
  const diff = mean - mu;
  const t = sd === 0 ? (diff === 0 ? 0 : Math.sign(diff) * Infinity) : diff / (sd / Math.sqrt(n));
  const df = n - 1;
  const p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), df)));
  return { t, df, p };
}

/** Options of {@link pairedTest}. */
export interface PairedTestOptions {
  /** Confidence level of both intervals (default 0.95). */
  level?: number;
  /** Bootstrap resamples of the pairs (default 10000). */
  resamples?: number;
  /** Seed of the bootstrap's random generator (default 0). */
  seed?: number;
}

/** Defaults of {@link PairedTestOptions}. */
export const DEFAULT_PAIRED_TEST: Required<PairedTestOptions> = { level: 0.95, resamples: 10000, seed: 0 };

/** {@link PairedSummary} of a − b plus the paired t-test and the bootstrap interval of the mean difference. */
export interface PairedTest extends PairedSummary {
  /** Paired t statistic, n − 1 degrees of freedom and the two-sided p-value ({@link tTest} of the differences). */
  t: number;
  df: number;
  p: number;
  /** Percentile-bootstrap interval of the mean difference (pairs resampled with replacement); [NaN, NaN] for no pairs. */
  bootstrapCi: [number, number];
}

/**
 * Paired comparison of a and b (the same seeds in the same order): the differences a − b with their
 * mean ± sd, t interval and win/tie/loss counts ({@link pairedSummary}), the paired t-test ({@link tTest})
 * and a percentile bootstrap of the mean difference ({@link bootstrapInterval}, `new Rng(seed)`).
 *
 * @example pairedTest(kdAccuracyPerSeed, ceAccuracyPerSeed) // { mean, sd, ci, p, bootstrapCi, wins, ... }
 */
export function pairedTest(a: readonly number[], b: readonly number[], options: PairedTestOptions = {}): PairedTest {
  const o = { ...DEFAULT_PAIRED_TEST, ...options };
  if (!(Number.isInteger(o.resamples) && o.resamples > 0)) throw new OptionError('PairedTestOptions.resamples', `must be a positive integer, got ${o.resamples}`);
  const d = pairedDifference(a, b);
  const summary = pairedSummary(a, b, o.level);
  const { t, df, p } = tTest(d);
  const bootstrapCi: [number, number] =
    d.length === 0
      ? [NaN, NaN]
      : bootstrapInterval(
          d.length,
          (idx) => {
            let s = 0;
            for (let i = 0; i < idx.length; i++) s += d[idx[i]];
            return s / idx.length;
          },
          new Rng(o.seed),
          o.resamples,
          o.level,
        );
  return { ...summary, t, df, p, bootstrapCi };
}
