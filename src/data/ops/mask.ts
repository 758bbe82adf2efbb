/**
 * Binary masks: making one by thresholding, applying one to a volume.
 * A mask is a one-channel Volume on the same grid; a voxel is inside when its mask value is > `threshold` (0.5).
 * Masks may come from NIfTI files (e.g. the MNI brain mask) read with the NIfTI reader.
 */
import { DataError, OptionError, ShapeError } from '../../backend/errors.js';
import { Volume } from '../volume.js';
import { requireFinite, withDefaults } from './op-args.js';

/** Options of {@link applyMask}. */
export interface ApplyMaskOptions {
  /** Mask values strictly above this are inside; default 0.5 (so a trilinearly zoomed 0/1 mask rounds like numpy). */
  threshold?: number;
  /** Value given to voxels outside the mask; default 0. */
  outside?: number;
  /** Largest allowed difference between the two affines, in mm; default 1e-3. `Infinity` skips the check. */
  affineTolerance?: number;
}

/** Defaults of {@link ApplyMaskOptions}. */
export const DEFAULT_APPLY_MASK: Required<ApplyMaskOptions> = { threshold: 0.5, outside: 0, affineTolerance: 1e-3 };

/**
 * Sets every voxel outside the mask (all channels) to `outside`.
 * Throws a ShapeError naming both shapes when the grids differ, and a DataError when the affines differ.
 * @example
 * const brain = applyMask(vol, mniMask);
 */
export function applyMask(vol: Volume, mask: Volume, options: ApplyMaskOptions = {}): Volume {
  const opts = withDefaults('ApplyMaskOptions', options, DEFAULT_APPLY_MASK);
  requireFinite('ApplyMaskOptions.threshold', opts.threshold);
  requireFinite('ApplyMaskOptions.outside', opts.outside);
  checkMask('applyMask', vol, mask, opts.affineTolerance);
  const c = vol.channels;
  const out = new Float32Array(vol.data);
  const m = mask.data;
  for (let v = 0; v < m.length; v++) {
    if (m[v] > opts.threshold) continue;
    for (let ch = 0; ch < c; ch++) out[v * c + ch] = opts.outside;
  }
  return vol.withData(out);
}

/**
 * A 0/1 mask of the voxels whose value (any channel) is strictly above `threshold`.
 * @example
 * const head = thresholdMask(vol, 20);
 */
export function thresholdMask(vol: Volume, threshold: number): Volume {
  requireFinite('thresholdMask threshold', threshold);
  const c = vol.channels;
  const out = new Float32Array(vol.size);
  for (let v = 0; v < out.length; v++) {
    for (let ch = 0; ch < c; ch++) {
      if (vol.data[v * c + ch] > threshold) {
        out[v] = 1;
        break;
      }
    }
  }
  return vol.withData(out, vol.shape, { channels: 1 });
}

/**
 * Checks that `mask` is a one-channel volume on `vol`'s grid (shape, and affine within `affineTolerance` mm).
 * @internal used by the ops that take a mask
 */
export function checkMask(op: string, vol: Volume, mask: Volume, affineTolerance = DEFAULT_APPLY_MASK.affineTolerance): void {
  if (!(mask instanceof Volume)) throw new OptionError(`${op} mask`, 'expected a Volume');
  if (mask.shape.some((d, a) => d !== vol.shape[a])) {
    throw new ShapeError(`${op}: mask shape [${mask.shape}] does not match volume shape [${vol.shape}]`, vol.shape, mask.shape);
  }
  if (mask.channels !== 1) {
    throw new ShapeError(`${op}: mask must have 1 channel, got ${mask.channels}`, [...vol.shape, 1], [...mask.shape, mask.channels]);
  }
  let worst = 0;
  for (let r = 0; r < 3; r++) for (let col = 0; col < 4; col++) worst = Math.max(worst, Math.abs(mask.affine[r][col] - vol.affine[r][col]));
  if (worst > affineTolerance) {
    throw new DataError(`${op}: mask affine differs from the volume's by ${worst.toPrecision(3)} mm (tolerance ${affineTolerance}); resample the mask first`);
  }
}

/** 1 for each voxel inside `mask` (value > threshold), 0 outside; null when there is no mask. @internal */
export function insideFlags(mask: Volume | undefined, threshold = 0.5): Uint8Array | null {
  if (!mask) return null;
  const flags = new Uint8Array(mask.size);
  for (let v = 0; v < flags.length; v++) flags[v] = mask.data[v] > threshold ? 1 : 0;
  return flags;
}
