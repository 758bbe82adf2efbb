/**
 * The steps of a DataBunch pipeline as JSON data, and their implementations on Volumes.
 * Static steps (mask, crop/pad, zoom, per-sample minMax and zScore) are cached; fitted steps
 * (global and voxel-wise zScore, percentileClip) get their parameters from the training split; augment steps
 * (flip, noise, intensityJitter) run on training batches only.
 */
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Rng } from '../../backend/rng.js';
import { randomAffine, shiftInPlace } from '../ops/augment.js';
import { triple } from '../ops/op-args.js';
import { cropOrPad } from '../ops/crop.js';
import { zoom } from '../ops/zoom.js';
import { image2DFromVolume, image2DToVolume } from '../transforms2d/image2d.js';
import { alzheimerContrastPipeline, DEFAULT_ALZHEIMER_PIPELINE, type AlzheimerPipelineOptions } from '../transforms2d/alzheimer-contrast.js';
import { Volume } from '../volume.js';
import { applyGlobalZScore, applyVoxelZScore, zScoreSample, type VoxelStats } from './zscore.js';

/** Multiply by a binary mask: voxels ≤ `threshold` of the image itself, or a mask volume (loaded from `path`, > 0 = keep). */
export interface MaskStep {
  op: 'mask';
  threshold?: number;
  path?: string;
  /** sha1 of the mask file's bytes, recorded when a DataBunch is built; a replay with a different file is refused. */
  sha1?: string;
}
/** Centred crop and/or zero pad to `shape`. */
export interface CropOrPadStep { op: 'cropOrPad'; shape: [number, number, number] }
/** scipy-style zoom by `factor`; `order` 0 (nearest) or 1 (linear, default). */
export interface ZoomStep { op: 'zoom'; factor: number | [number, number, number]; order?: 0 | 1 }
/** Per-sample rescale to [0, 1] (a constant sample becomes all 0). */
export interface MinMaxStep { op: 'minMax' }
/**
 * z-scoring. `mode` (default 'global'):
 * 'global' — (x − mean) / std, one mean and std fitted over every voxel of the training split (`mean`, `std`);
 * 'sample' — each sample by its own mean and std (MONAI NormalizeIntensity; std 0 → 1); nothing to fit, so it is cached like a static step;
 * 'voxel' — (x − mean[v]) / std[v], a mean and a std image fitted voxel by voxel on the training split
 * (`meanImage`, `stdImage`: base64 little-endian float32 of shape `imageShape`; std 0 → 1; every sample needs that shape).
 * `nonzero` (default false): statistics over non-zero values only, and zeros stay 0. All stds are population (ddof 0).
 */
export interface ZScoreStep {
  op: 'zScore';
  mode?: 'global' | 'sample' | 'voxel';
  nonzero?: boolean;
  mean?: number;
  std?: number;
  meanImage?: string;
  stdImage?: string;
  imageShape?: number[];
}
/**
 * Fixed normalisation (x − mean[c]) / std[c] per channel c (torchvision's `Normalize`, MONAI's
 * `NormalizeIntensity(subtrahend, divisor, channel_wise=True)`): `mean` and `std` are one number for
 * every channel or one per channel, in the units of the data (e.g. ImageNet's on 0..255 pixels:
 * mean [123.675, 116.28, 103.53], std [58.395, 57.12, 57.375]). Nothing is fitted; cached like a static step.
 */
export interface NormalizeStep { op: 'normalize'; mean: number | number[]; std: number | number[] }
/** Clip to the training split's `lower`/`upper` percentiles (0..100); fitted values in `low`/`high`. */
export interface PercentileClipStep { op: 'percentileClip'; lower: number; upper: number; low?: number; high?: number }
/** Random flip of each axis in `axes` with probability `p` (default 0.5). */
export interface FlipStep { op: 'flip'; axes: number[]; p?: number }
/** Additive Gaussian noise of standard deviation `std`, applied with probability `p` (default 1). */
export interface NoiseStep { op: 'noise'; std: number; p?: number }
/** x · (1 + u·scale) + v·shift, u, v uniform in [−1, 1], with probability `p` (default 1). */
export interface IntensityJitterStep { op: 'intensityJitter'; scale?: number; shift?: number; p?: number }

/** Random rotation (uniform in ±maxRotationDeg per axis) and translation (±maxTranslationVox), trilinear, with probability `p` (default 1); see ops/augment randomAffine. */
export interface AffineStep { op: 'affine'; maxRotationDeg?: number | [number, number, number]; maxTranslationVox?: number | [number, number, number]; p?: number }

/**
 * Random whole-voxel translation: per axis an integer uniform in [−maxVox, maxVox], the vacated voxels set to
 * `value` (default 0, the mean after a z-score); with probability `p` (default 1). No interpolation, so the image
 * keeps its sharpness (torchvision's RandomAffine translate with nearest sampling, or a padded RandomCrop).
 */
export interface ShiftStep { op: 'shift'; maxVox: number | [number, number, number]; value?: number; p?: number }

/** The Alzheimer-slides contrast pipeline (invert → CLAHE → opening → smoothing → merge) on a 2D image [H, W, 1] in 0..255 or 0..1; `options` as alzheimerContrastPipeline's (default {}). */
export interface Contrast2dStep { op: 'contrast2d'; options?: AlzheimerPipelineOptions }

/** Any pipeline step. */
export type StepSpec = MaskStep | CropOrPadStep | ZoomStep | MinMaxStep | ZScoreStep | NormalizeStep | PercentileClipStep | FlipStep | NoiseStep | IntensityJitterStep | AffineStep | ShiftStep | Contrast2dStep;

/** The augment steps. */
export type AugmentStep = FlipStep | NoiseStep | IntensityJitterStep | AffineStep | ShiftStep;

/** Role of a step: cached (static), fitted (on train), or augment (train batches only). */
export type StepKind = 'static' | 'fitted' | 'augment';

const KEYS: Record<StepSpec['op'], string[]> = {
  mask: ['threshold', 'path', 'sha1'],
  cropOrPad: ['shape'],
  zoom: ['factor', 'order'],
  minMax: [],
  zScore: ['mode', 'nonzero', 'mean', 'std', 'meanImage', 'stdImage', 'imageShape'],
  normalize: ['mean', 'std'],
  percentileClip: ['lower', 'upper', 'low', 'high'],
  flip: ['axes', 'p'],
  noise: ['std', 'p'],
  intensityJitter: ['scale', 'shift', 'p'],
  affine: ['maxRotationDeg', 'maxTranslationVox', 'p'],
  shift: ['maxVox', 'value', 'p'],
  contrast2d: ['options'],
};

/** The role of a step. */
export function stepKind(step: StepSpec): StepKind {
  if (step.op === 'zScore') return step.mode === 'sample' ? 'static' : 'fitted';
  if (step.op === 'percentileClip') return 'fitted';
  if (step.op === 'flip' || step.op === 'noise' || step.op === 'intensityJitter' || step.op === 'affine' || step.op === 'shift') return 'augment';
  return 'static';
}

/** Whether a fitted step has its parameters. */
export function isFitted(step: StepSpec): boolean {
  if (step.op === 'zScore' && step.mode === 'voxel') return step.meanImage !== undefined && step.stdImage !== undefined && step.imageShape !== undefined;
  if (step.op === 'zScore') return step.mode === 'sample' || (step.mean !== undefined && step.std !== undefined);
  if (step.op === 'percentileClip') return step.low !== undefined && step.high !== undefined;
  return true;
}

/** Validates one step (unknown op, unknown key, bad value → OptionError naming `steps[i]`). */
export function checkStep(step: StepSpec, i: number): void {
  const where = `pipeline.steps[${i}]`;
  const keys = KEYS[step?.op as StepSpec['op']];
  if (!keys) throw new OptionError(`${where}.op`, `unknown op ${JSON.stringify(step?.op)} (known: ${Object.keys(KEYS).join(', ')})`);
  for (const k of Object.keys(step)) if (k !== 'op' && !keys.includes(k)) throw new OptionError(`${where}.${k}`, `unknown key for op ${step.op} (known: ${keys.join(', ')})`);
  const num = (k: string, v: unknown, ok: (x: number) => boolean, text: string): void => {
    if (v !== undefined && !(typeof v === 'number' && ok(v))) throw new OptionError(`${where}.${k}`, `${text}, got ${JSON.stringify(v)}`);
  };
  const prob = (p: unknown): void => num('p', p, (x) => x >= 0 && x <= 1, 'expected a probability in [0, 1]');
  switch (step.op) {
    case 'mask':
      if ((step.threshold === undefined) === (step.path === undefined)) throw new OptionError(where, 'mask needs exactly one of threshold or path');
      num('threshold', step.threshold, Number.isFinite, 'expected a finite number');
      if (step.sha1 !== undefined && !(typeof step.sha1 === 'string' && /^[0-9a-f]{40}$/.test(step.sha1) && step.path !== undefined)) {
        throw new OptionError(`${where}.sha1`, `expected the 40-hex-digit sha1 of the mask file named by path, got ${JSON.stringify(step.sha1)}`);
      }
      break;
    case 'cropOrPad':
      if (!Array.isArray(step.shape) || step.shape.length !== 3 || !step.shape.every((n) => Number.isInteger(n) && n > 0)) {
        throw new OptionError(`${where}.shape`, `expected three positive integers, got ${JSON.stringify(step.shape)}`);
      }
      break;
    case 'zoom': {
      const f = typeof step.factor === 'number' ? [step.factor] : step.factor;
      if (!Array.isArray(f) || !f.every((x) => typeof x === 'number' && x > 0)) throw new OptionError(`${where}.factor`, `expected a factor > 0 or three, got ${JSON.stringify(step.factor)}`);
      if (step.order !== undefined && step.order !== 0 && step.order !== 1) throw new OptionError(`${where}.order`, `expected 0 or 1, got ${JSON.stringify(step.order)}`);
      break;
    }
    case 'zScore':
      checkZScore(step, where);
      num('std', step.std, (x) => x > 0, 'expected std > 0');
      num('mean', step.mean, Number.isFinite, 'expected a finite number');
      break;
    case 'normalize':
      for (const k of ['mean', 'std'] as const) {
        const list = typeof step[k] === 'number' ? [step[k]] : step[k];
        const ok = k === 'mean' ? Number.isFinite : (x: number) => x > 0 && Number.isFinite(x);
        if (!(Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === 'number' && ok(x)))) {
          throw new OptionError(`${where}.${k}`, `expected ${k === 'mean' ? 'a finite number' : 'a number > 0'} or one per channel, got ${JSON.stringify(step[k])}`);
        }
      }
      break;
    case 'percentileClip':
      num('lower', step.lower, (x) => x >= 0 && x < 100, 'expected 0 ≤ lower < 100');
      num('upper', step.upper, (x) => x > step.lower && x <= 100, 'expected lower < upper ≤ 100');
      if (typeof step.lower !== 'number' || typeof step.upper !== 'number') throw new OptionError(where, 'percentileClip needs lower and upper');
      break;
    case 'flip':
      if (!Array.isArray(step.axes) || !step.axes.every((a) => a === 0 || a === 1 || a === 2)) throw new OptionError(`${where}.axes`, `expected axes among 0, 1, 2, got ${JSON.stringify(step.axes)}`);
      prob(step.p);
      break;
    case 'noise':
      num('std', step.std, (x) => x >= 0, 'expected std ≥ 0');
      prob(step.p);
      break;
    case 'intensityJitter':
      num('scale', step.scale, (x) => x >= 0 && x < 1, 'expected 0 ≤ scale < 1');
      num('shift', step.shift, (x) => x >= 0, 'expected shift ≥ 0');
      prob(step.p);
      break;
    case 'affine':
      for (const k of ['maxRotationDeg', 'maxTranslationVox'] as const) {
        const v = step[k];
        const list = typeof v === 'number' ? [v] : v;
        if (list !== undefined && !(Array.isArray(list) && (list.length === 1 || list.length === 3) && list.every((x) => typeof x === 'number' && x >= 0))) {
          throw new OptionError(`${where}.${k}`, `expected a number ≥ 0 or three, got ${JSON.stringify(v)}`);
        }
      }
      prob(step.p);
      break;
    case 'shift': {
      // three per-axis values or one for all; applyAugment expands it with triple()
      const list = typeof step.maxVox === 'number' ? [step.maxVox] : step.maxVox;
      if (!(Array.isArray(list) && (typeof step.maxVox === 'number' || list.length === 3) && list.every((x) => Number.isInteger(x) && x >= 0))) {
        throw new OptionError(`${where}.maxVox`, `expected an integer ≥ 0 or three, got ${JSON.stringify(step.maxVox)}`);
      }
      num('value', step.value, Number.isFinite, 'expected a finite number');
      prob(step.p);
      break;
    }
    case 'contrast2d':
      if (step.options !== undefined && (step.options === null || typeof step.options !== 'object')) throw new OptionError(`${where}.options`, `expected an object, got ${JSON.stringify(step.options)}`);
      rejectUnknownOptions(`${where}.options`, step.options ?? {}, DEFAULT_ALZHEIMER_PIPELINE);
      break;
  }
}

/** Runs a static step. `maskVolume` is the loaded mask of a `mask` step with a path. */
export function applyStatic(step: StepSpec, vol: Volume, maskVolume?: Volume): Volume {
  switch (step.op) {
    case 'cropOrPad':
      return cropOrPad(vol, step.shape);
    case 'zoom':
      return zoom(vol, step.factor, { order: step.order ?? 1 });
    case 'minMax':
      return vol.withData(minMax(vol.data));
    case 'zScore':
      if (step.mode !== 'sample') throw new OptionError(`pipeline step zScore mode ${step.mode ?? 'global'}`, 'is not a static step');
      return vol.withData(zScoreSample(vol.data, step.nonzero ?? false));
    case 'normalize':
      return vol.withData(normalizeChannels(vol.data, vol.channels, step));
    case 'contrast2d':
      return vol.withData(image2DToVolume(alzheimerContrastPipeline(image2DFromVolume(vol), step.options ?? {})).data);
    case 'mask': {
      const out = new Float32Array(vol.data.length);
      const c = vol.channels;
      if (maskVolume) {
        if (maskVolume.shape.some((n, a) => n !== vol.shape[a])) throw new ShapeError(`mask ${step.path}: mask and image shapes differ at this step`, vol.shape, maskVolume.shape);
        for (let i = 0; i < out.length; i++) out[i] = maskVolume.data[Math.floor(i / c) * maskVolume.channels] > 0 ? vol.data[i] : 0;
      } else {
        const t = step.threshold as number;
        for (let i = 0; i < out.length; i++) out[i] = vol.data[i] > t ? vol.data[i] : 0;
      }
      return vol.withData(out);
    }
    default:
      throw new OptionError(`pipeline step ${step.op}`, 'is not a static step');
  }
}

function checkZScore(step: ZScoreStep, where: string): void {
  const mode = step.mode ?? 'global';
  if (mode !== 'global' && mode !== 'sample' && mode !== 'voxel') throw new OptionError(`${where}.mode`, `expected 'global', 'sample' or 'voxel', got ${JSON.stringify(step.mode)}`);
  if (step.nonzero !== undefined && typeof step.nonzero !== 'boolean') throw new OptionError(`${where}.nonzero`, `expected true or false, got ${JSON.stringify(step.nonzero)}`);
  const globalKeys = ['mean', 'std'] as const;
  const voxelKeys = ['meanImage', 'stdImage', 'imageShape'] as const;
  const foreign = mode === 'global' ? voxelKeys : mode === 'voxel' ? globalKeys : [...globalKeys, ...voxelKeys];
  for (const k of foreign) if (step[k] !== undefined) throw new OptionError(`${where}.${k}`, `not a parameter of zScore mode '${mode}'`);
  if (mode !== 'voxel') return;
  const given = voxelKeys.filter((k) => step[k] !== undefined);
  if (given.length !== 0 && given.length !== 3) throw new OptionError(where, `a fitted zScore mode 'voxel' needs meanImage, stdImage and imageShape (got ${given.join(', ')})`);
  if (step.imageShape !== undefined && !(Array.isArray(step.imageShape) && step.imageShape.length > 0 && step.imageShape.every((n) => Number.isInteger(n) && n > 0))) {
    throw new OptionError(`${where}.imageShape`, `expected positive integers, got ${JSON.stringify(step.imageShape)}`);
  }
  for (const k of ['meanImage', 'stdImage'] as const) if (step[k] !== undefined && typeof step[k] !== 'string') throw new OptionError(`${where}.${k}`, 'expected a base64 string');
}

/** Rescales values to [0, 1]; a constant array becomes zeros. */
export function minMax(data: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(data.length);
  const range = hi - lo;
  if (range > 0) for (let i = 0; i < data.length; i++) out[i] = (data[i] - lo) / range;
  return out;
}

/**
 * Runs a fitted step (its parameters must be set) in place on `data` of shape [nx, ny, nz, c];
 * `voxel` holds the decoded images of a 'voxel' zScore step.
 */
export function applyFitted(step: ZScoreStep | PercentileClipStep, data: Float32Array, shape: readonly number[], voxel?: VoxelStats): void {
  if (step.op === 'zScore') {
    if (step.mode === 'voxel') applyVoxelZScore(data, shape, voxel as VoxelStats, step.nonzero ?? false);
    else applyGlobalZScore(data, step.mean as number, step.std as number, step.nonzero ?? false);
  } else {
    const lo = step.low as number;
    const hi = step.high as number;
    for (let i = 0; i < data.length; i++) data[i] = data[i] < lo ? lo : data[i] > hi ? hi : data[i];
  }
}

/**
 * Runs an augment step in place. `shape` is [nx, ny, nz, channels].
 * Every random draw comes from `rng` (seeded per sample and epoch by the caller).
 */
export function applyAugment(step: AugmentStep, data: Float32Array, shape: readonly number[], rng: Rng): void {
  if (step.op === 'affine') {
    if (rng.next() >= (step.p ?? 1)) return;
    const vol = new Volume({ data, shape: [shape[0], shape[1], shape[2]], channels: shape[3] });
    data.set(randomAffine(vol, rng, { maxRotationDeg: step.maxRotationDeg ?? 10, maxTranslationVox: step.maxTranslationVox ?? 2 }).data);
  } else if (step.op === 'shift') {
    if (rng.next() >= (step.p ?? 1)) return;
    const offsets = triple('shift.maxVox', step.maxVox).map((m) => rng.int(2 * m + 1) - m) as [number, number, number];
    shiftInPlace(data, shape, offsets, step.value ?? 0);
  } else if (step.op === 'flip') {
    for (const axis of step.axes) if (rng.next() < (step.p ?? 0.5)) flipAxis(data, shape, axis);
  } else if (step.op === 'noise') {
    if (rng.next() >= (step.p ?? 1)) return;
    for (let i = 0; i < data.length; i++) data[i] += rng.normal(0, step.std);
  } else {
    if (rng.next() >= (step.p ?? 1)) return;
    const a = 1 + rng.uniform(-1, 1) * (step.scale ?? 0.1);
    const b = rng.uniform(-1, 1) * (step.shift ?? 0.1);
    for (let i = 0; i < data.length; i++) data[i] = data[i] * a + b;
  }
}

/** Reverses `data` (C-order over `shape`) along one axis, in place. */
export function flipAxis(data: Float32Array, shape: readonly number[], axis: number): void {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < Math.floor(n / 2); i++) {
      const p = base + i * inner;
      const q = base + (n - 1 - i) * inner;
      for (let k = 0; k < inner; k++) {
        const t = data[p + k];
        data[p + k] = data[q + k];
        data[q + k] = t;
      }
    }
  }
}

/** (x − mean[c]) / std[c] over channel-last data with `channels` channels; a list must have one value per channel. */
export function normalizeChannels(data: Float32Array, channels: number, step: NormalizeStep): Float32Array {
  const per = (k: 'mean' | 'std'): number[] => {
    const v = step[k];
    const list = typeof v === 'number' ? Array.from({ length: channels }, () => v) : v;
    if (list.length !== channels) throw new ShapeError(`pipeline step normalize: ${k} has ${list.length} values, the image ${channels} channels`, [channels], [list.length]);
    return list;
  };
  const mean = per('mean');
  const std = per('std');
  const out = new Float32Array(data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % channels;
    out[i] = (data[i] - mean[c]) / std[c];
  }
  return out;
}
