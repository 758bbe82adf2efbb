/**
 * Cropping and padding: to a shape (centred or at a corner), to a box, to the foreground.
 * All keep the world position of every kept voxel: the affine origin moves with the crop.
 */
import { DataError, OptionError } from '../../backend/errors.js';
import { Volume, type Shape3 } from '../volume.js';
import { checkShape, requireFinite, shiftAffine, withDefaults } from './op-args.js';

/** A box of voxels: `start` inclusive, `end` exclusive, per axis. Either may lie outside the volume (then it pads). */
export interface Box {
  start: [number, number, number];
  end: [number, number, number];
}

/** Options of {@link cropOrPad}. */
export interface CropOrPadOptions {
  /**
   * Where the output grid sits: `'centre'` (default) or `{ start }`, the input voxel of output voxel (0,0,0).
   * Centred: start = trunc((n_in − n_out) / 2) per axis, so an odd difference leaves the extra voxel at the end
   * when cropping and when padding.
   */
  mode?: 'centre' | { start: [number, number, number] };
  /** Value of padded voxels; default 0. */
  value?: number;
}

/** Defaults of {@link CropOrPadOptions}. */
export const DEFAULT_CROP_OR_PAD: Required<CropOrPadOptions> = { mode: 'centre', value: 0 };

/**
 * Crops and/or pads a volume to `shape`.
 * @param vol input volume (any channel count)
 * @param shape output shape [nx, ny, nz]
 * @param options see {@link CropOrPadOptions}
 * @example
 * const fixed = cropOrPad(vol, [96, 112, 96]); // centred
 */
export function cropOrPad(vol: Volume, shape: readonly number[], options: CropOrPadOptions = {}): Volume {
  const opts = withDefaults('CropOrPadOptions', options, DEFAULT_CROP_OR_PAD);
  const out = checkShape('cropOrPad shape', shape);
  requireFinite('CropOrPadOptions.value', opts.value);
  let start: [number, number, number];
  if (opts.mode === 'centre') {
    start = [0, 1, 2].map((a) => Math.trunc((vol.shape[a] - out[a]) / 2)) as [number, number, number];
  } else if (typeof opts.mode === 'object' && opts.mode !== null && Array.isArray(opts.mode.start)) {
    start = checkIntTriple('CropOrPadOptions.mode.start', opts.mode.start);
  } else {
    throw new OptionError('CropOrPadOptions.mode', `expected 'centre' or { start: [x, y, z] }, got ${JSON.stringify(opts.mode)}`);
  }
  return extract(vol, start, out, opts.value);
}

/**
 * The voxels of `box` (end exclusive); parts of the box outside the volume are filled with `value`.
 * @example
 * const roi = cropToBox(vol, { start: [10, 10, 5], end: [50, 60, 40] });
 */
export function cropToBox(vol: Volume, box: Box, value = 0): Volume {
  const start = checkIntTriple('cropToBox box.start', box.start);
  const end = checkIntTriple('cropToBox box.end', box.end);
  const shape = [0, 1, 2].map((a) => end[a] - start[a]);
  if (shape.some((d) => d < 1)) {
    throw new OptionError('cropToBox box', `end must exceed start on every axis, got start [${start}] end [${end}]`);
  }
  return extract(vol, start, shape as Shape3, requireFinite('cropToBox value', value));
}

/** Options of {@link foregroundBox} and {@link cropToForeground}. */
export interface ForegroundOptions {
  /** A voxel is foreground when its value (any channel) is strictly above this; default 0. */
  threshold?: number;
  /** Voxels added on every side of the tight box, clamped to the volume; default 0. */
  margin?: number;
}

/** Defaults of {@link ForegroundOptions}. */
export const DEFAULT_FOREGROUND: Required<ForegroundOptions> = { threshold: 0, margin: 0 };

/**
 * The smallest box holding every foreground voxel, grown by `margin` and clamped to the volume.
 * Throws a DataError when no voxel is above the threshold.
 * @example
 * const box = foregroundBox(vol, { threshold: 10, margin: 2 });
 */
export function foregroundBox(vol: Volume, options: ForegroundOptions = {}): Box {
  const opts = withDefaults('ForegroundOptions', options, DEFAULT_FOREGROUND);
  requireFinite('ForegroundOptions.threshold', opts.threshold);
  if (!Number.isInteger(opts.margin) || opts.margin < 0) {
    throw new OptionError('ForegroundOptions.margin', `expected an integer >= 0, got ${opts.margin}`);
  }
  const [nx, ny, nz] = vol.shape;
  const c = vol.channels;
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  const d = vol.data;
  let p = 0;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) {
        let fg = false;
        for (let ch = 0; ch < c; ch++) if (d[p + ch] > opts.threshold) fg = true;
        p += c;
        if (!fg) continue;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  if (hi[0] < 0) throw new DataError(`foregroundBox: no voxel above threshold ${opts.threshold} in a volume of shape [${vol.shape}]`);
  const m = opts.margin;
  return {
    start: [0, 1, 2].map((a) => Math.max(0, lo[a] - m)) as [number, number, number],
    end: [0, 1, 2].map((a) => Math.min(vol.shape[a], hi[a] + 1 + m)) as [number, number, number],
  };
}

/**
 * Crops to {@link foregroundBox}.
 * @example
 * const tight = cropToForeground(vol, { threshold: 0, margin: 1 });
 */
export function cropToForeground(vol: Volume, options: ForegroundOptions = {}): Volume {
  return cropToBox(vol, foregroundBox(vol, options));
}

function checkIntTriple(option: string, v: readonly number[]): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isInteger(x))) {
    throw new OptionError(option, `expected 3 integers, got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2]];
}

/** Output voxel (i,j,k) = input voxel start + (i,j,k), or `value` outside the input. */
function extract(vol: Volume, start: readonly number[], shape: Shape3, value: number): Volume {
  const [nx, ny, nz] = vol.shape;
  const [ox, oy, oz] = shape;
  const c = vol.channels;
  const out = new Float32Array(ox * oy * oz * c);
  if (value !== 0) out.fill(value);
  // Overlap of the output grid with the input, in output coordinates.
  const k0 = Math.max(0, -start[2]);
  const k1 = Math.min(oz, nz - start[2]);
  if (k1 > k0) {
    const rowLen = (k1 - k0) * c;
    for (let i = Math.max(0, -start[0]); i < Math.min(ox, nx - start[0]); i++) {
      for (let j = Math.max(0, -start[1]); j < Math.min(oy, ny - start[1]); j++) {
        const src = (((i + start[0]) * ny + (j + start[1])) * nz + (k0 + start[2])) * c;
        const dst = ((i * oy + j) * oz + k0) * c;
        out.set(vol.data.subarray(src, src + rowLen), dst);
      }
    }
  }
  return vol.withData(out, shape, { affine: shiftAffine(vol.affine, start) });
}
