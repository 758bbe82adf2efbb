/**
 * Seeded augmentations. Each random op takes an explicit `Rng` and draws a fixed
 * number of values per call, so the same seed always gives the same output.
 * The deterministic cores (`flip`, `rotateTranslate`) are exported for tests and pipelines.
 */
import { OptionError, ShapeError } from '../../backend/errors.js';
import type { Rng } from '../../backend/rng.js';
import { cloneAffine, type Volume } from '../volume.js';
import { requireFinite, triple, withDefaults } from './op-args.js';
import type { InterpolationOrder } from './zoom.js';

/**
 * Reverses the voxel order along the given axes. The affine is updated so every voxel keeps its
 * world position (the image content is unchanged in world space; use it on data, not for anatomy-aware flips).
 * @example
 * const lr = flip(vol, [0]);
 */
export function flip(vol: Volume, axes: readonly number[]): Volume {
  const doFlip = [false, false, false];
  for (const a of axes) {
    if (a !== 0 && a !== 1 && a !== 2) throw new OptionError('flip axes', `expected axes in 0..2, got ${a}`);
    doFlip[a] = true;
  }
  const [nx, ny, nz] = vol.shape;
  const c = vol.channels;
  const out = new Float32Array(vol.data.length);
  for (let i = 0; i < nx; i++) {
    const si = doFlip[0] ? nx - 1 - i : i;
    for (let j = 0; j < ny; j++) {
      const sj = doFlip[1] ? ny - 1 - j : j;
      for (let k = 0; k < nz; k++) {
        const sk = doFlip[2] ? nz - 1 - k : k;
        const src = ((si * ny + sj) * nz + sk) * c;
        const dst = ((i * ny + j) * nz + k) * c;
        for (let ch = 0; ch < c; ch++) out[dst + ch] = vol.data[src + ch];
      }
    }
  }
  const affine = cloneAffine(vol.affine);
  for (let a = 0; a < 3; a++) {
    if (!doFlip[a]) continue;
    for (let r = 0; r < 3; r++) {
      affine[r][3] += affine[r][a] * (vol.shape[a] - 1);
      affine[r][a] = -affine[r][a];
    }
  }
  return vol.withData(out, vol.shape, { affine });
}

/** Options of {@link randomFlip}. */
export interface RandomFlipOptions {
  /** Axes that may be flipped, each independently; default [0] (left–right in RAS+). */
  axes?: number[];
  /** Probability of flipping each axis; default 0.5. */
  p?: number;
}

/** Defaults of {@link RandomFlipOptions}. */
export const DEFAULT_RANDOM_FLIP: Required<RandomFlipOptions> = { axes: [0], p: 0.5 };

/**
 * Flips each of `axes` with probability `p` (one draw per axis, always). Unlike {@link flip}, the affine
 * is kept: the content moves, as an augmentation should.
 * @example
 * const aug = randomFlip(vol, rng.fork('flip'), { axes: [0], p: 0.5 });
 */
export function randomFlip(vol: Volume, rng: Rng, options: RandomFlipOptions = {}): Volume {
  const opts = withDefaults('RandomFlipOptions', options, DEFAULT_RANDOM_FLIP);
  if (!(opts.p >= 0 && opts.p <= 1)) throw new OptionError('RandomFlipOptions.p', `expected 0..1, got ${opts.p}`);
  const chosen = opts.axes.filter(() => rng.next() < opts.p);
  if (chosen.length === 0) return vol.withData(new Float32Array(vol.data));
  return vol.withData(flip(vol, chosen).data);
}

/** Parameters of {@link rotateTranslate}. */
export interface RotateTranslateOptions {
  /** Rotation angles in degrees about axes 0, 1, 2 (applied in that order), about the volume centre; default [0, 0, 0]. */
  rotationDeg?: [number, number, number];
  /** Translation in voxels, applied after the rotation; default [0, 0, 0]. */
  translationVox?: [number, number, number];
  /** 1 = trilinear (default), 0 = nearest. */
  order?: InterpolationOrder;
  /** Value of samples outside the input (neighbours outside count as this value); default 0. */
  value?: number;
}

/** Defaults of {@link RotateTranslateOptions}. */
export const DEFAULT_ROTATE_TRANSLATE: Required<RotateTranslateOptions> = { rotationDeg: [0, 0, 0], translationVox: [0, 0, 0], order: 1, value: 0 };

/**
 * Rotates and translates the content in voxel space: output voxel p samples the input at
 * Rᵀ(p − c − t) + c, with c the centre ((n − 1)/2 per axis) and R = R₂·R₁·R₀. Geometry is kept.
 * @example
 * const turned = rotateTranslate(vol, { rotationDeg: [0, 0, 90] });
 */
export function rotateTranslate(vol: Volume, options: RotateTranslateOptions = {}): Volume {
  const opts = withDefaults('RotateTranslateOptions', options, DEFAULT_ROTATE_TRANSLATE);
  if (opts.order !== 0 && opts.order !== 1) throw new OptionError('RotateTranslateOptions.order', `expected 0 or 1, got ${String(opts.order)}`);
  const deg = triple('RotateTranslateOptions.rotationDeg', opts.rotationDeg);
  const t = triple('RotateTranslateOptions.translationVox', opts.translationVox);
  const value = requireFinite('RotateTranslateOptions.value', opts.value);
  const R = rotationMatrix(deg.map((d) => (d * Math.PI) / 180));
  const [nx, ny, nz] = vol.shape;
  const ctr = [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2];
  const ch = vol.channels;
  const src = vol.data;
  const out = new Float32Array(src.length);
  const acc = new Float64Array(ch);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) {
        const d = [i - ctr[0] - t[0], j - ctr[1] - t[1], k - ctr[2] - t[2]];
        // input coordinate = Rᵀ d + c
        const x = R[0][0] * d[0] + R[1][0] * d[1] + R[2][0] * d[2] + ctr[0];
        const y = R[0][1] * d[0] + R[1][1] * d[1] + R[2][1] * d[2] + ctr[1];
        const z = R[0][2] * d[0] + R[1][2] * d[1] + R[2][2] * d[2] + ctr[2];
        const o = ((i * ny + j) * nz + k) * ch;
        if (opts.order === 0) {
          const a = Math.floor(x + 0.5);
          const b = Math.floor(y + 0.5);
          const e = Math.floor(z + 0.5);
          const inside = a >= 0 && a < nx && b >= 0 && b < ny && e >= 0 && e < nz;
          for (let c = 0; c < ch; c++) out[o + c] = inside ? src[((a * ny + b) * nz + e) * ch + c] : value;
          continue;
        }
        const x0 = Math.floor(x);
        const y0 = Math.floor(y);
        const z0 = Math.floor(z);
        if (x0 < -1 || x0 >= nx || y0 < -1 || y0 >= ny || z0 < -1 || z0 >= nz) {
          for (let c = 0; c < ch; c++) out[o + c] = value;
          continue;
        }
        acc.fill(0);
        const fx = x - x0;
        const fy = y - y0;
        const fz = z - z0;
        for (let a = 0; a < 2; a++) {
          const xi = x0 + a;
          const wx = a ? fx : 1 - fx;
          for (let b = 0; b < 2; b++) {
            const yi = y0 + b;
            const wxy = wx * (b ? fy : 1 - fy);
            for (let e = 0; e < 2; e++) {
              const zi = z0 + e;
              const w = wxy * (e ? fz : 1 - fz);
              if (w === 0) continue;
              const inside = xi >= 0 && xi < nx && yi >= 0 && yi < ny && zi >= 0 && zi < nz;
              const base = ((xi * ny + yi) * nz + zi) * ch;
              for (let c = 0; c < ch; c++) acc[c] += w * (inside ? src[base + c] : value);
            }
          }
        }
        for (let c = 0; c < ch; c++) out[o + c] = acc[c];
      }
    }
  }
  return vol.withData(out);
}

/** R = R2 · R1 · R0, R_a a right-handed rotation about axis a. */
function rotationMatrix(rad: number[]): number[][] {
  const rot = (axis: number, th: number): number[][] => {
    const m = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const [p, q] = [[1, 2], [2, 0], [0, 1]][axis];
    const c = Math.cos(th);
    const s = Math.sin(th);
    m[p][p] = c;
    m[p][q] = -s;
    m[q][p] = s;
    m[q][q] = c;
    return m;
  };
  const mul = (A: number[][], B: number[][]): number[][] => A.map((row) => [0, 1, 2].map((c) => row[0] * B[0][c] + row[1] * B[1][c] + row[2] * B[2][c]));
  return mul(rot(2, rad[2]), mul(rot(1, rad[1]), rot(0, rad[0])));
}

/** Options of {@link randomAffine}. */
export interface RandomAffineOptions {
  /** Largest rotation in degrees about each axis (a number or one per axis); angles are uniform in ±max; default 10. */
  maxRotationDeg?: number | [number, number, number];
  /** Largest translation in voxels per axis (a number or one per axis), uniform in ±max; default 2. */
  maxTranslationVox?: number | [number, number, number];
  /** 1 = trilinear (default), 0 = nearest. */
  order?: InterpolationOrder;
  /** Value of samples from outside the input; default 0. */
  value?: number;
}

/** Defaults of {@link RandomAffineOptions}. */
export const DEFAULT_RANDOM_AFFINE: Required<RandomAffineOptions> = { maxRotationDeg: 10, maxTranslationVox: 2, order: 1, value: 0 };

/**
 * A small random rotation about the centre plus a translation ({@link rotateTranslate}); draws 6 numbers.
 * For a 2D image ([H, W, 1]) use `maxRotationDeg: [0, 0, deg]` and `maxTranslationVox: [t, t, 0]`.
 * @example
 * const aug = randomAffine(vol, rng.fork('affine'), { maxRotationDeg: 5, maxTranslationVox: 3 });
 */
export function randomAffine(vol: Volume, rng: Rng, options: RandomAffineOptions = {}): Volume {
  const opts = withDefaults('RandomAffineOptions', options, DEFAULT_RANDOM_AFFINE);
  const maxR = triple('RandomAffineOptions.maxRotationDeg', opts.maxRotationDeg);
  const maxT = triple('RandomAffineOptions.maxTranslationVox', opts.maxTranslationVox);
  const rotationDeg = maxR.map((m) => rng.uniform(-m, m)) as [number, number, number];
  const translationVox = maxT.map((m) => rng.uniform(-m, m)) as [number, number, number];
  return rotateTranslate(vol, { rotationDeg, translationVox, order: opts.order, value: opts.value });
}

/** Options of {@link intensityJitter}. */
export interface IntensityJitterOptions {
  /** The multiplier is uniform in [1 − scale, 1 + scale]; default 0.1. */
  scale?: number;
  /** The offset is uniform in [−shift, shift], in intensity units (suits z-scored data); default 0.1. */
  shift?: number;
}

/** Defaults of {@link IntensityJitterOptions}. */
export const DEFAULT_INTENSITY_JITTER: Required<IntensityJitterOptions> = { scale: 0.1, shift: 0.1 };

/**
 * x · a + b with a ~ U(1 − scale, 1 + scale) and b ~ U(−shift, shift), one (a, b) per volume; draws 2 numbers.
 * @example
 * const aug = intensityJitter(vol, rng.fork('jitter'), { scale: 0.05, shift: 0 });
 */
export function intensityJitter(vol: Volume, rng: Rng, options: IntensityJitterOptions = {}): Volume {
  const opts = withDefaults('IntensityJitterOptions', options, DEFAULT_INTENSITY_JITTER);
  if (!(requireFinite('IntensityJitterOptions.scale', opts.scale) >= 0)) throw new OptionError('IntensityJitterOptions.scale', `expected >= 0, got ${opts.scale}`);
  if (!(requireFinite('IntensityJitterOptions.shift', opts.shift) >= 0)) throw new OptionError('IntensityJitterOptions.shift', `expected >= 0, got ${opts.shift}`);
  const a = rng.uniform(1 - opts.scale, 1 + opts.scale);
  const b = rng.uniform(-opts.shift, opts.shift);
  const out = new Float32Array(vol.data.length);
  for (let i = 0; i < out.length; i++) out[i] = vol.data[i] * a + b;
  return vol.withData(out);
}

/** Options of {@link gaussianNoise}. */
export interface GaussianNoiseOptions {
  /** Standard deviation of the added noise, in intensity units; default 0.05. */
  std?: number;
}

/** Defaults of {@link GaussianNoiseOptions}. */
export const DEFAULT_GAUSSIAN_NOISE: Required<GaussianNoiseOptions> = { std: 0.05 };

/**
 * Adds independent N(0, std²) noise to every value; draws two uniforms per value.
 * @example
 * const noisy = gaussianNoise(vol, rng.fork('noise'), { std: 0.1 });
 */
export function gaussianNoise(vol: Volume, rng: Rng, options: GaussianNoiseOptions = {}): Volume {
  const opts = withDefaults('GaussianNoiseOptions', options, DEFAULT_GAUSSIAN_NOISE);
  if (!(requireFinite('GaussianNoiseOptions.std', opts.std) >= 0)) throw new OptionError('GaussianNoiseOptions.std', `expected >= 0, got ${opts.std}`);
  const out = new Float32Array(vol.data.length);
  for (let i = 0; i < out.length; i++) out[i] = vol.data[i] + rng.normal(0, opts.std);
  return vol.withData(out);
}

/**
 * Translates `data` (C-order [nx, ny, nz, channels]) by whole voxels, in place: out[i + offset] = in[i]
 * along each spatial axis; voxels with no source become `value`. Offsets beyond the extent give all `value`.
 * @example
 * shiftInPlace(data, [128, 128, 1, 3], [3, -5, 0], 0); // 3 rows down, 5 columns left
 */
export function shiftInPlace(data: Float32Array, shape: readonly number[], offsets: readonly [number, number, number], value: number): void {
  const [nx, ny, nz, nc = 1] = shape;
  if (data.length !== nx * ny * nz * nc) throw new ShapeError(`shiftInPlace: data of ${data.length} values`, [nx, ny, nz, nc], [data.length]);
  const [ox, oy, oz] = offsets.map((o) => Math.trunc(o));
  if (ox === 0 && oy === 0 && oz === 0) return;
  const rowLen = nz * nc;
  const src = data.slice();
  data.fill(value);
  // Destination z range (whole rows of nz·nc values are copied with one subarray set).
  const z0 = Math.max(0, oz);
  const z1 = Math.min(nz, nz + oz);
  if (z1 <= z0) return;
  for (let x = Math.max(0, ox); x < Math.min(nx, nx + ox); x++) {
    for (let y = Math.max(0, oy); y < Math.min(ny, ny + oy); y++) {
      const dst = (x * ny + y) * rowLen;
      const from = ((x - ox) * ny + (y - oy)) * rowLen;
      data.set(src.subarray(from + (z0 - oz) * nc, from + (z1 - oz) * nc), dst + z0 * nc);
    }
  }
}
