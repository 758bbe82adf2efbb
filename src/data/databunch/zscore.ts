/**
 * The three z-scorings of a `zScore` step: 'global' (one mean/std fitted over every training
 * voxel), 'sample' (each sample by its own mean/std, like MONAI's NormalizeIntensity) and
 * 'voxel' (a mean and a std image fitted voxel by voxel over the training samples). Fitting
 * streams, one sample at a time, in float64; fitted images travel in the pipeline JSON as
 * base64 little-endian float32.
 */
import { DataError, OptionError, ShapeError } from '../../backend/errors.js';
import { countNonFinite } from '../../backend/non-finite.js';

/** A DataError for non-finite values in the k-th training sample (statistics over NaN are NaN: refused, never passed on). */
function nonFiniteError(what: string, bad: number): DataError {
  return new DataError(`zScore: ${what} has ${bad} NaN or infinite value${bad === 1 ? '' : 's'} (pipeline.input.nonFinite: 'zero' replaces them when the file is read)`);
}

/** Mean and population std (ddof 0) over all (or all non-zero) values, in float64; a NaN or ±Infinity is a DataError naming the sample. */
export async function fitGlobalZScore(samples: AsyncIterable<{ data: Float32Array }>, nonzero: boolean): Promise<{ mean: number; std: number }> {
  let n = 0;
  let shift = NaN;
  let sum = 0;
  let sumSq = 0;
  let k = 0;
  for await (const { data } of samples) {
    const bad = countNonFinite(data);
    if (bad > 0) throw nonFiniteError(`training sample ${k}`, bad);
    k += 1;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (nonzero && v === 0) continue;
      if (Number.isNaN(shift)) shift = v; // shifted sums keep the variance accurate
      const d = v - shift;
      sum += d;
      sumSq += d * d;
      n += 1;
    }
  }
  if (n === 0) throw new OptionError('zScore', 'no training values to fit on (empty training split, or all zero with nonzero: true)');
  const meanD = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - meanD * meanD));
  if (!(std > 0)) throw new OptionError('zScore', `training values are constant (${shift}); std is 0`);
  return { mean: shift + meanD, std };
}

/**
 * Voxel-wise mean and population std images over the training samples (all of one shape).
 * A voxel whose std is 0 (or, with `nonzero`, that is zero in every sample) gets std 1, so it is
 * only shifted (scikit-learn's StandardScaler does the same); a voxel zero everywhere gets mean 0.
 */
export async function fitVoxelZScore(
  samples: AsyncIterable<{ data: Float32Array; shape: readonly number[] }>,
  nonzero: boolean,
): Promise<{ meanImage: string; stdImage: string; imageShape: number[] }> {
  let shape: number[] | undefined;
  let shift = new Float64Array(0);
  let sum = new Float64Array(0);
  let sumSq = new Float64Array(0);
  let count = new Float64Array(0);
  let samplesSeen = 0;
  for await (const { data, shape: s } of samples) {
    if (!shape) {
      shape = [...s];
      shift = Float64Array.from(data); // shifted sums keep the variance accurate
      sum = new Float64Array(data.length);
      sumSq = new Float64Array(data.length);
      count = new Float64Array(data.length);
    } else if (s.length !== shape.length || s.some((n, a) => n !== (shape as number[])[a])) {
      throw new ShapeError(`zScore mode 'voxel': every training sample needs one shape (add a cropOrPad step before it)`, shape, [...s]);
    }
    const bad = countNonFinite(data);
    if (bad > 0) throw nonFiniteError(`training sample ${samplesSeen}`, bad);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (nonzero && v === 0) continue;
      const d = v - shift[i];
      sum[i] += d;
      sumSq[i] += d * d;
      count[i] += 1;
    }
    samplesSeen += 1;
  }
  if (!shape || samplesSeen === 0) throw new OptionError('zScore', "mode 'voxel': no training samples to fit on");
  const mean = new Float32Array(sum.length);
  const std = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    const n = count[i];
    if (n === 0) {
      std[i] = 1;
      continue;
    }
    const m = sum[i] / n;
    mean[i] = shift[i] + m;
    const sd = Math.fround(Math.sqrt(Math.max(0, sumSq[i] / n - m * m)));
    std[i] = sd > 0 ? sd : 1;
  }
  return { meanImage: encodeFloat32(mean), stdImage: encodeFloat32(std), imageShape: shape };
}

/**
 * One sample z-scored by its own mean and population std (over all values, or the non-zero ones
 * with `nonzero`, zeros staying 0); std 0 → 1; with `nonzero` and no non-zero value, unchanged.
 * @throws DataError when the sample holds NaN or ±Infinity
 */
export function zScoreSample(data: Float32Array, nonzero: boolean): Float32Array {
  const bad = countNonFinite(data);
  if (bad > 0) throw nonFiniteError('the sample', bad);
  let n = 0;
  let sum = 0;
  for (const v of data) {
    if (nonzero && v === 0) continue;
    sum += v;
    n += 1;
  }
  const out = new Float32Array(data);
  if (n === 0) return out;
  const mean = sum / n;
  let ss = 0;
  for (const v of data) {
    if (nonzero && v === 0) continue;
    ss += (v - mean) * (v - mean);
  }
  const sd = Math.sqrt(ss / n);
  const std = sd > 0 ? sd : 1;
  for (let i = 0; i < out.length; i++) if (!nonzero || out[i] !== 0) out[i] = (out[i] - mean) / std;
  return out;
}

/** (x − mean) / std in place, skipping zeros with `nonzero`. */
export function applyGlobalZScore(data: Float32Array, mean: number, std: number, nonzero: boolean): void {
  for (let i = 0; i < data.length; i++) if (!nonzero || data[i] !== 0) data[i] = (data[i] - mean) / std;
}

/** Decoded images of a fitted 'voxel' step. */
export interface VoxelStats {
  mean: Float32Array;
  std: Float32Array;
  shape: number[];
}

/** (x − mean[v]) / std[v] in place, skipping zeros with `nonzero`. */
export function applyVoxelZScore(data: Float32Array, shape: readonly number[], stats: VoxelStats, nonzero: boolean): void {
  if (shape.length !== stats.shape.length || shape.some((n, a) => n !== stats.shape[a])) {
    throw new ShapeError("zScore mode 'voxel': the sample's shape differs from the fitted mean/std images", stats.shape, [...shape]);
  }
  const { mean, std } = stats;
  for (let i = 0; i < data.length; i++) if (!nonzero || data[i] !== 0) data[i] = (data[i] - mean[i]) / std[i];
}

/** Decodes and checks the images of a fitted 'voxel' step (`where` names the step in errors). */
export function decodeVoxelStats(step: { meanImage?: string; stdImage?: string; imageShape?: number[] }, where: string): VoxelStats {
  const shape = step.imageShape as number[];
  const n = shape.reduce((a, b) => a * b, 1);
  const mean = decodeFloat32(step.meanImage as string, n, `${where}.meanImage`);
  const std = decodeFloat32(step.stdImage as string, n, `${where}.stdImage`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(mean[i])) throw new OptionError(`${where}.meanImage`, `value ${i} is ${mean[i]}`);
    if (!(std[i] > 0 && std[i] < Infinity)) throw new OptionError(`${where}.stdImage`, `value ${i} is ${std[i]} (expected > 0)`);
  }
  return { mean, std, shape: [...shape] };
}

/** base64 of the little-endian float32 bytes. */
export function encodeFloat32(a: Float32Array): string {
  const bytes = new Uint8Array(a.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  return Buffer.from(bytes.buffer).toString('base64');
}

/** Inverse of {@link encodeFloat32}; `n` values expected. */
export function decodeFloat32(text: string, n: number, where: string): Float32Array {
  // atob where there is no Buffer (the browser runtime replays a voxel z-score too)
  const bytes = typeof Buffer !== 'undefined' ? Buffer.from(text, 'base64') : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (bytes.byteLength !== n * 4) throw new OptionError(where, `expected ${n} float32 values (base64 of ${n * 4} bytes), got ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
