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
