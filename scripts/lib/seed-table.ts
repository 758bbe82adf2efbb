/**
 * Multi-seed summaries shared by the seed-sweep scripts: parsing `--seeds`, mean ± sd per column,
 * paired differences, and the Markdown rendering.
 */
import { OptionError } from '../../src/index.js';
import { meanSd } from './experiment.js';

/** Parses `0,1,2` (or a single `3`) into distinct integer seeds. */
export function parseSeeds(text: string | number): number[] {
  const seeds = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new OptionError('--seeds', `expected comma-separated non-negative integers like 0,1,2, got "${text}"`);
  if (new Set(seeds).size !== seeds.length) throw new OptionError('--seeds', `seeds must be distinct, got "${text}"`);
  return seeds;
}

/** Parses a comma-separated list and checks every item against `known`. */
export function parseList<T extends string>(option: string, text: string, known: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) if (!known.includes(item as T)) throw new OptionError(option, `unknown item "${item}" (known: ${known.join(', ')})`);
  if (items.length === 0) throw new OptionError(option, `expected at least one of ${known.join(', ')}`);
  return items as T[];
}

/** Mean, sample sd, and the per-seed values of one quantity. */
export interface SeedSummary {
  mean: number;
  sd: number;
  values: number[];
}

/** Mean ± sd (sample sd, n − 1) over seeds. */
export function summarize(values: number[]): SeedSummary {
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

/** `3/5` seeds where a > b, with ties counted apart: `3 better, 1 tie, 1 worse`. */
export function winTieLoss(a: readonly number[], b: readonly number[], eps = 1e-9): { wins: number; ties: number; losses: number } {
  const d = pairedDifference(a, b);
  return { wins: d.filter((x) => x > eps).length, ties: d.filter((x) => Math.abs(x) <= eps).length, losses: d.filter((x) => x < -eps).length };
}
