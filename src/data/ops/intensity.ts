/**
 * Intensity transforms: min-max rescaling, z-scoring with given statistics, percentile clipping.
 * Statistics are fitted separately (stats.ts) and passed in, so train-set numbers can be applied to test data.
 */
import { DataError, OptionError } from '../../backend/errors.js';
import { Volume } from '../volume.js';
import { requireFinite, withDefaults } from './op-args.js';
import { checkMask } from './mask.js';
import { intensityStats } from './stats.js';

/** Options of {@link minMax}. */
export interface MinMaxOptions {
  /** Output value of the input minimum; default 0. */
  lo?: number;
  /** Output value of the input maximum; default 1. */
  hi?: number;
  /** Input value mapped to `lo`; default the volume's minimum. Values beyond min/max are not clipped. */
  min?: number;
  /** Input value mapped to `hi`; default the volume's maximum. */
  max?: number;
}

/** Defaults of {@link MinMaxOptions} (min and max default to the volume's own). */
export const DEFAULT_MIN_MAX: MinMaxOptions & { lo: number; hi: number } = { lo: 0, hi: 1, min: undefined, max: undefined };

/**
 * Linear rescaling of [min, max] to [lo, hi]. A constant volume (max = min) is a DataError,
 * not a division by zero.
 * @example
 * const unit = minMax(vol);                    // per-image [0, 1]
 * const fixed = minMax(vol, { min: 0, max: 4095, lo: -1, hi: 1 });
 */
export function minMax(vol: Volume, options: MinMaxOptions = {}): Volume {
  const opts = withDefaults('MinMaxOptions', options, DEFAULT_MIN_MAX);
  const lo = requireFinite('MinMaxOptions.lo', opts.lo);
  const hi = requireFinite('MinMaxOptions.hi', opts.hi);
  let min = opts.min;
  let max = opts.max;
  if (min === undefined || max === undefined) {
    let a = Infinity;
    let b = -Infinity;
    for (const v of vol.data) {
      if (v < a) a = v;
      if (v > b) b = v;
    }
    min ??= a;
    max ??= b;
  }
  requireFinite('MinMaxOptions.min', min);
  requireFinite('MinMaxOptions.max', max);
  if (!(max > min)) throw new DataError(`minMax: cannot rescale, max (${max}) is not above min (${min})`);
  const scale = (hi - lo) / (max - min);
  const out = new Float32Array(vol.data.length);
  for (let i = 0; i < out.length; i++) out[i] = lo + (vol.data[i] - min) * scale;
  return vol.withData(out);
}

/** Options of {@link zScore}. */
export interface ZScoreOptions {
  /** Mean to subtract: one number, or one per value (voxel-wise statistics, length = data length). Required. */
  mean?: number | Float32Array;
  /** Standard deviation to divide by: one number or one per value. Required. */
  std?: number | Float32Array;
  /** Added to std before dividing (trans-MRI used 1e-10); default 1e-10. */
  eps?: number;
}

/** Defaults of {@link ZScoreOptions} (mean and std have none: they must be given). */
export const DEFAULT_Z_SCORE: ZScoreOptions & { eps: number } = { mean: undefined, std: undefined, eps: 1e-10 };

/**
 * (x − mean) / (std + eps) with statistics fitted elsewhere (e.g. {@link intensityStats} on the train split).
 * @example
 * const s = intensityStats(train);
 * const z = zScore(vol, { mean: s.mean, std: s.std });
 */
export function zScore(vol: Volume, options: ZScoreOptions): Volume {
  const opts = withDefaults('ZScoreOptions', options, DEFAULT_Z_SCORE);
  const n = vol.data.length;
  const mean = statArray('mean', opts.mean, n);
  const std = statArray('std', opts.std, n);
  const eps = requireFinite('ZScoreOptions.eps', opts.eps);
  const out = new Float32Array(n);
  if (typeof mean === 'number' && typeof std === 'number') {
    if (!(std + eps > 0)) throw new OptionError('ZScoreOptions.std', `std + eps must be > 0, got ${std} + ${eps}`);
    const inv = 1 / (std + eps);
    for (let i = 0; i < n; i++) out[i] = (vol.data[i] - mean) * inv;
  } else {
    for (let i = 0; i < n; i++) {
      const m = typeof mean === 'number' ? mean : mean[i];
      const s = typeof std === 'number' ? std : std[i];
      out[i] = (vol.data[i] - m) / (s + eps);
    }
  }
  return vol.withData(out);
}

function statArray(name: string, value: number | Float32Array | undefined, n: number): number | Float32Array {
  if (value === undefined) throw new OptionError(`ZScoreOptions.${name}`, 'required (fit it with intensityStats)');
  if (typeof value === 'number') return requireFinite(`ZScoreOptions.${name}`, value);
  if (!(value instanceof Float32Array) || value.length !== n) {
    throw new OptionError(`ZScoreOptions.${name}`, `expected a number or a Float32Array of length ${n}, got length ${(value as { length?: number }).length}`);
  }
  return value;
}

/** Options of {@link percentileClip}. */
export interface PercentileClipOptions {
  /** Lower percentile (0..100); default 0.5. */
  lower?: number;
  /** Upper percentile (0..100); default 99.5. */
  upper?: number;
  /** Percentiles are computed from the voxels inside this mask (value > 0.5); default all voxels. */
  mask?: Volume;
}

/** Defaults of {@link PercentileClipOptions}. */
export const DEFAULT_PERCENTILE_CLIP: PercentileClipOptions & { lower: number; upper: number } = { lower: 0.5, upper: 99.5, mask: undefined };

/**
 * Clips every value to [p_lower, p_upper], the volume's own percentiles (numpy's 'linear' method).
 * @example
 * const clipped = percentileClip(vol, { lower: 1, upper: 99 });
 */
export function percentileClip(vol: Volume, options: PercentileClipOptions = {}): Volume {
  const opts = withDefaults('PercentileClipOptions', options, DEFAULT_PERCENTILE_CLIP);
  if (!(opts.lower >= 0 && opts.lower < opts.upper && opts.upper <= 100)) {
    throw new OptionError('PercentileClipOptions', `expected 0 <= lower < upper <= 100, got lower ${opts.lower}, upper ${opts.upper}`);
  }
  if (opts.mask) checkMask('percentileClip', vol, opts.mask);
  const s = intensityStats(vol, { mask: opts.mask, percentiles: [opts.lower, opts.upper] });
  const [a, b] = s.percentiles;
  const out = new Float32Array(vol.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = vol.data[i];
    out[i] = v < a ? a : v > b ? b : v;
  }
  return vol.withData(out);
}
