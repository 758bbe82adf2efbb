/**
 * Intensity statistics: numpy-compatible percentiles and histograms, and
 * mean/std/percentiles over one or many volumes (fitting is kept apart from
 * the transforms in intensity.ts, which take these numbers in).
 */
import { DataError, OptionError } from '../../backend/errors.js';
import { quantileSorted } from '../../backend/quantile.js';
import { Volume } from '../volume.js';
import { checkMask, insideFlags } from './mask.js';
import { requireFinite, withDefaults } from './op-args.js';

/**
 * The q-th percentile (0 ≤ q ≤ 100) of `sorted` (ascending), with numpy's default
 * 'linear' method: position q/100 · (n − 1), linear between the two neighbours.
 * @example
 * percentileOfSorted(Float32Array.from([1, 2, 3, 4]), 50); // 2.5
 */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new OptionError('percentile q', `expected 0..100, got ${q}`);
  const n = sorted.length;
  if (n === 0) throw new DataError('percentile: no values');
  return quantileSorted(sorted, q / 100);
}

/**
 * Percentiles of any array of values (numpy's default 'linear' method).
 * @example
 * percentile([1, 2, 3, 4], [25, 50]); // [1.75, 2.5]
 */
export function percentile(values: ArrayLike<number>, q: number | readonly number[]): number[] {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const qs = typeof q === 'number' ? [q] : q;
  return qs.map((x) => percentileOfSorted(sorted, x));
}

/** Options of {@link intensityStats}. */
export interface IntensityStatsOptions {
  /** Only voxels whose mask value is > 0.5 count; default none (all voxels). Same grid as every volume. */
  mask?: Volume;
  /** Percentiles to report (0..100); default [1, 50, 99]. */
  percentiles?: number[];
  /** NaN and ±Infinity values: 'error' throws a DataError naming the volume and their count, 'ignore' leaves them out of every statistic; default 'error'. */
  nonFinite?: 'error' | 'ignore';
}

/** Defaults of {@link IntensityStatsOptions}. */
export const DEFAULT_INTENSITY_STATS: IntensityStatsOptions & { percentiles: number[]; nonFinite: 'error' | 'ignore' } = { mask: undefined, percentiles: [1, 50, 99], nonFinite: 'error' };

/** What {@link intensityStats} returns. */
export interface IntensityStats {
  /** Number of values counted (voxels × channels). */
  count: number;
  mean: number;
  /** Population standard deviation (ddof 0, like numpy's default). */
  std: number;
  min: number;
  max: number;
  /** The requested percentiles. */
  q: number[];
  /** `percentiles[i]` is the `q[i]`-th percentile. */
  percentiles: number[];
}

/**
 * Mean, std, min, max and percentiles over one volume or the pooled voxels of many.
 * @example
 * const s = intensityStats(trainVolumes, { mask: brainMask, percentiles: [0.5, 99.5] });
 * const normed = zScore(vol, { mean: s.mean, std: s.std });
 */
export function intensityStats(vols: Volume | readonly Volume[], options: IntensityStatsOptions = {}): IntensityStats {
  const opts = withDefaults('IntensityStatsOptions', options, DEFAULT_INTENSITY_STATS);
  const list = vols instanceof Volume ? [vols] : [...vols];
  if (list.length === 0) throw new DataError('intensityStats: no volumes');
  opts.percentiles.forEach((q, i) => requireFinite(`IntensityStatsOptions.percentiles[${i}]`, q));
  if (opts.nonFinite !== 'error' && opts.nonFinite !== 'ignore') throw new OptionError('IntensityStatsOptions.nonFinite', `expected 'error' or 'ignore', got ${JSON.stringify(opts.nonFinite)}`);
  const parts = list.map((v, i) => {
    if (opts.mask) checkMask(`intensityStats (volume ${i})`, v, opts.mask);
    const values = selectValues(v, opts.mask);
    let bad = 0;
    for (let p = 0; p < values.length; p++) if (values[p] - values[p] !== 0) bad++;
    if (bad === 0) return values;
    if (opts.nonFinite === 'error') throw new DataError(`intensityStats: volume ${i} has ${bad} NaN or infinite value${bad === 1 ? '' : 's'} (nonFinite: 'ignore' leaves them out)`);
    return values.filter((x) => x - x === 0);
  });
  const total = parts.reduce((s, p) => s + p.length, 0);
  if (total === 0) throw new DataError('intensityStats: the mask selects no voxel');
  const all = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  let sum = 0;
  for (let i = 0; i < total; i++) sum += all[i];
  const mean = sum / total;
  let ss = 0;
  for (let i = 0; i < total; i++) ss += (all[i] - mean) ** 2;
  all.sort();
  return {
    count: total,
    mean,
    std: Math.sqrt(ss / total),
    min: all[0],
    max: all[total - 1],
    q: [...opts.percentiles],
    percentiles: opts.percentiles.map((q) => percentileOfSorted(all, q)),
  };
}

/** Options of {@link histogram}. */
export interface HistogramOptions {
  /** Number of equal-width bins; default 64. */
  bins?: number;
  /** [lo, hi] of the bins; default [min, max] of the values (±0.5 when they are equal, like numpy). Values outside are not counted. */
  range?: [number, number];
  /** Only voxels whose mask value is > 0.5 count; default none. */
  mask?: Volume;
}

/** Defaults of {@link HistogramOptions}. */
export const DEFAULT_HISTOGRAM: HistogramOptions & { bins: number } = { bins: 64, range: undefined, mask: undefined };

/** What {@link histogram} returns: `counts[i]` values in [edges[i], edges[i+1]) (the last bin includes its right edge). */
export interface Histogram {
  counts: number[];
  edges: number[];
}

/**
 * A histogram with the bin edges and edge rules of `numpy.histogram`.
 * @example
 * const h = histogram(vol, { bins: 100 });
 */
export function histogram(input: Volume | ArrayLike<number>, options: HistogramOptions = {}): Histogram {
  const opts = withDefaults('HistogramOptions', options, DEFAULT_HISTOGRAM);
  if (!Number.isInteger(opts.bins) || opts.bins < 1) throw new OptionError('HistogramOptions.bins', `expected an integer >= 1, got ${opts.bins}`);
  let values: ArrayLike<number>;
  if (input instanceof Volume) {
    if (opts.mask) checkMask('histogram', input, opts.mask);
    values = selectValues(input, opts.mask);
  } else {
    if (opts.mask) throw new OptionError('HistogramOptions.mask', 'a mask needs a Volume input');
    values = input;
  }
  let lo: number;
  let hi: number;
  if (opts.range) {
    [lo, hi] = [requireFinite('HistogramOptions.range[0]', opts.range[0]), requireFinite('HistogramOptions.range[1]', opts.range[1])];
    if (!(hi > lo)) throw new OptionError('HistogramOptions.range', `expected lo < hi, got [${lo}, ${hi}]`);
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
    if (values.length === 0) [lo, hi] = [0, 1];
    if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  }
  const n = opts.bins;
  const step = (hi - lo) / n;
  const edges = Array.from({ length: n + 1 }, (_, i) => i * step + lo);
  edges[n] = hi;
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!(x >= lo && x <= hi)) continue;
    let b = Math.trunc(((x - lo) / (hi - lo)) * n);
    if (b === n) b--;
    // numpy's corrections for rounding in the division
    if (x < edges[b]) b--;
    else if (x >= edges[b + 1] && b !== n - 1) b++;
    counts[b]++;
  }
  return { counts, edges };
}

/** The values (all channels) of the voxels inside `mask`, or all values. */
function selectValues(vol: Volume, mask: Volume | undefined): Float32Array {
  const inside = insideFlags(mask);
  if (!inside) return vol.data;
  const c = vol.channels;
  let n = 0;
  for (let v = 0; v < inside.length; v++) n += inside[v];
  const out = new Float32Array(n * c);
  let o = 0;
  for (let v = 0; v < inside.length; v++) {
    if (!inside[v]) continue;
    for (let ch = 0; ch < c; ch++) out[o++] = vol.data[v * c + ch];
  }
  return out;
}
