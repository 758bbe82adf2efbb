/**
 * Zooming and resampling with the conventions of `scipy.ndimage.zoom`
 * (`grid_mode=False`, `mode='constant'`, `cval=0`, orders 0 and 1), so that
 * trans-MRI's `zoom(img, 0.56)` (193×229×193 → 108×128×108) is reproduced:
 *
 * - output size per axis: Python `round(n_in * factor)` (half to even);
 * - output voxel k samples input coordinate k · (n_in − 1) / (n_out − 1) (1 when n_out = 1);
 * - order 1 is linear along each axis (trilinear overall), order 0 takes floor(x + 0.5);
 * - a coordinate that floating point pushes past n_in − 1 gives 0, exactly as scipy does.
 *
 * The work is done by separable per-axis passes over precomputed index/weight tables,
 * shrinking axes first, with Float64 intermediates.
 */
import { OptionError } from '../../backend/errors.js';
import { Volume, type Shape3 } from '../volume.js';
import { roundHalfEven, scaleAffine, triple, withDefaults } from './op-args.js';

/** Interpolation order: 0 = nearest, 1 = (tri)linear. */
export type InterpolationOrder = 0 | 1;

/** Options of {@link zoom} and {@link resampleToSpacing}. */
export interface ZoomOptions {
  /** 0 = nearest neighbour (for masks and labels), 1 = trilinear; default 1. */
  order?: InterpolationOrder;
}

/** Defaults of {@link ZoomOptions}. */
export const DEFAULT_ZOOM: Required<ZoomOptions> = { order: 1 };

/**
 * The output shape of {@link zoom}: `round(n * factor)` per axis, rounding half to even like Python.
 * @example
 * zoomOutputShape([193, 229, 193], 0.56); // [108, 128, 108]
 */
export function zoomOutputShape(shape: readonly number[], factors: number | readonly number[]): Shape3 {
  const f = checkFactors(factors);
  const out = [0, 1, 2].map((a) => roundHalfEven(shape[a] * f[a]));
  out.forEach((n, a) => {
    if (n < 1) throw new OptionError(`zoom factors[${a}]`, `factor ${f[a]} shrinks axis ${a} of size ${shape[a]} to ${n} voxels`);
  });
  return out as Shape3;
}

/**
 * Zooms a volume like `scipy.ndimage.zoom(data, factors, order=order)`.
 * The affine and spacing are scaled so every output voxel keeps its world position.
 * @param vol input volume (channels are zoomed independently)
 * @param factors one factor for all axes or one per axis, > 0
 * @param options see {@link ZoomOptions}
 * @example
 * const small = zoom(vol, 0.56);              // trilinear
 * const maskSmall = zoom(mask, 0.56, { order: 0 });
 */
export function zoom(vol: Volume, factors: number | readonly number[], options: ZoomOptions = {}): Volume {
  const opts = withDefaults('ZoomOptions', options, DEFAULT_ZOOM);
  if (opts.order !== 0 && opts.order !== 1) throw new OptionError('ZoomOptions.order', `expected 0 or 1, got ${String(opts.order)}`);
  const outShape = zoomOutputShape(vol.shape, factors);
  const steps = [0, 1, 2].map((a) => (outShape[a] > 1 ? (vol.shape[a] - 1) / (outShape[a] - 1) : 1));
  const geometry = {
    spacing: vol.spacing.map((s, a) => s * steps[a]) as [number, number, number],
    affine: scaleAffine(vol.affine, steps),
  };
  if (outShape.every((n, a) => n === vol.shape[a])) {
    // scipy returns the input unchanged when every factor is 1; with equal sizes each step is 1 anyway.
    return vol.withData(new Float32Array(vol.data), outShape, geometry);
  }
  return vol.withData(resample(vol.data, vol.shape, vol.channels, outShape, opts.order), outShape, geometry);
}

/**
 * Resamples to (approximately) the given voxel spacing: `zoom` with factors `vol.spacing / spacing`.
 * The output spacing is the exact one of the scipy grid convention,
 * `spacing_in · (n_in − 1) / (n_out − 1)`, which is within one output voxel's rounding of the request.
 * @example
 * const iso2 = resampleToSpacing(vol, [2, 2, 2]);
 */
export function resampleToSpacing(vol: Volume, spacing: number | readonly number[], options: ZoomOptions = {}): Volume {
  const target = triple('resampleToSpacing spacing', spacing);
  target.forEach((s, a) => {
    if (!(s > 0)) throw new OptionError(`resampleToSpacing spacing[${a}]`, `expected > 0, got ${s}`);
  });
  return zoom(vol, vol.spacing.map((s, a) => s / target[a]), options);
}

function checkFactors(factors: number | readonly number[]): [number, number, number] {
  const f = triple('zoom factors', factors);
  f.forEach((v, a) => {
    if (!(v > 0)) throw new OptionError(`zoom factors[${a}]`, `expected > 0, got ${v}`);
  });
  return f;
}

/** Index/weight table of one axis: output k = (1 − w[k])·in[i0[k]] + w[k]·in[i1[k]], or 0 when zero[k]. */
interface AxisTable {
  nOut: number;
  i0: Int32Array;
  i1: Int32Array;
  w: Float64Array;
  zero: Uint8Array;
}

function axisTable(nIn: number, nOut: number, order: InterpolationOrder): AxisTable {
  const step = nOut > 1 ? (nIn - 1) / (nOut - 1) : 1;
  const t: AxisTable = { nOut, i0: new Int32Array(nOut), i1: new Int32Array(nOut), w: new Float64Array(nOut), zero: new Uint8Array(nOut) };
  for (let k = 0; k < nOut; k++) {
    const cc = k * step;
    if (cc > nIn - 1) {
      t.zero[k] = 1; // scipy's 'constant' mode: outside [0, n-1] is cval, even by one ulp
      continue;
    }
    if (order === 0) {
      t.i0[k] = t.i1[k] = Math.floor(cc + 0.5);
    } else {
      const f = Math.floor(cc);
      t.i0[k] = f;
      t.i1[k] = Math.min(f + 1, nIn - 1);
      t.w[k] = cc - f;
    }
  }
  return t;
}

/**
 * One pass along an axis of a C-order array viewed as [outer, nIn, inner].
 * Reads the Float32 input or a Float64 intermediate; writes a Float64 intermediate or the Float32 output.
 */
function pass(src: Float32Array | Float64Array, outer: number, nIn: number, inner: number, t: AxisTable, dst: Float32Array | Float64Array): void {
  const { nOut, i0, i1, w, zero } = t;
  if (inner === 1) {
    // last axis with one channel: a gather per output voxel
    for (let a = 0; a < outer; a++) {
      const inBase = a * nIn;
      const outBase = a * nOut;
      for (let k = 0; k < nOut; k++) {
        if (zero[k]) continue;
        const w1 = w[k];
        dst[outBase + k] = src[inBase + i0[k]] * (1 - w1) + src[inBase + i1[k]] * w1;
      }
    }
    return;
  }
  for (let a = 0; a < outer; a++) {
    const inBase = a * nIn * inner;
    const outBase = a * nOut * inner;
    for (let k = 0; k < nOut; k++) {
      if (zero[k]) continue; // dst is freshly allocated: already 0
      const o = outBase + k * inner;
      const p0 = inBase + i0[k] * inner;
      const w1 = w[k];
      if (w1 === 0) {
        for (let b = 0; b < inner; b++) dst[o + b] = src[p0 + b];
      } else {
        const p1 = inBase + i1[k] * inner;
        const w0 = 1 - w1;
        for (let b = 0; b < inner; b++) dst[o + b] = src[p0 + b] * w0 + src[p1 + b] * w1;
      }
    }
  }
}

function resample(data: Float32Array, inShape: Shape3, channels: number, outShape: Shape3, order: InterpolationOrder): Float32Array {
  const cur = [...inShape];
  // Shrinking axes first keeps the intermediate arrays (and the work) small.
  const axes = [0, 1, 2].filter((a) => outShape[a] !== inShape[a]).sort((p, q) => outShape[p] / inShape[p] - outShape[q] / inShape[q]);
  let src: Float32Array | Float64Array = data;
  axes.forEach((axis, n) => {
    const table = axisTable(cur[axis], outShape[axis], order);
    let outer = 1;
    for (let a = 0; a < axis; a++) outer *= cur[a];
    let inner = channels;
    for (let a = axis + 1; a < 3; a++) inner *= cur[a];
    const size = outer * outShape[axis] * inner;
    const dst = n === axes.length - 1 ? new Float32Array(size) : new Float64Array(size);
    pass(src, outer, cur[axis], inner, table, dst);
    cur[axis] = outShape[axis];
    src = dst;
  });
  return src as Float32Array;
}
