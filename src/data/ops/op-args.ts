/**
 * Shared helpers of the volume ops: option checks and affine arithmetic.
 * Internal to src/data/ops (not exported from the package).
 */
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { cloneAffine, type Affine, type Shape3 } from '../volume.js';

/** Merges `given` over `defaults` after rejecting unknown keys. */
export function withDefaults<T extends object>(where: string, given: Partial<T> | undefined, defaults: T): T {
  rejectUnknownOptions(where, given, defaults);
  const out = { ...defaults } as T;
  if (given) {
    for (const [key, value] of Object.entries(given)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/** Throws an OptionError unless `value` is a finite number. */
export function requireFinite(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new OptionError(option, `expected a finite number, got ${String(value)}`);
  }
  return value;
}

/** A number or a per-axis triple, expanded to a triple. */
export function triple(option: string, value: number | readonly number[]): [number, number, number] {
  if (typeof value === 'number') {
    requireFinite(option, value);
    return [value, value, value];
  }
  if (!Array.isArray(value) || value.length !== 3) {
    throw new OptionError(option, `expected a number or 3 numbers, got ${JSON.stringify(value)}`);
  }
  value.forEach((v, i) => requireFinite(`${option}[${i}]`, v));
  return [value[0], value[1], value[2]];
}

/** Throws an OptionError unless `shape` has three positive integers. */
export function checkShape(option: string, shape: readonly number[]): Shape3 {
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new OptionError(option, `expected 3 positive integers, got ${JSON.stringify(shape)}`);
  }
  return [shape[0], shape[1], shape[2]];
}

/** The affine of a grid whose voxel (0,0,0) sits at voxel `offset` of `affine`'s grid. */
export function shiftAffine(affine: Affine, offset: readonly number[]): Affine {
  const out = cloneAffine(affine);
  for (let r = 0; r < 3; r++) {
    out[r][3] = affine[r][0] * offset[0] + affine[r][1] * offset[1] + affine[r][2] * offset[2] + affine[r][3];
  }
  return out;
}

/** The affine of a grid whose voxel step along axis a is `steps[a]` voxels of `affine`'s grid. */
export function scaleAffine(affine: Affine, steps: readonly number[]): Affine {
  const out = cloneAffine(affine);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r][c] = affine[r][c] * steps[c];
  }
  return out;
}

/** Python's `round` (half to even), used by scipy to size zoom outputs. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
