/**
 * A DataBunch pipeline: how a sample is loaded and transformed, as JSON data, so it can be
 * saved with a model and replayed at predict time. Its parameters (zScore mean/std,
 * percentile bounds) are fitted on the training split only, by streaming.
 */
import { DataError, FormatError, OptionError } from '../../backend/errors.js';
import type { Rng } from '../../backend/rng.js';
import { Volume } from '../volume.js';
import { sha1 } from './cache.js';
import { decodeVoxelStats, fitGlobalZScore, fitVoxelZScore, type VoxelStats } from './zscore.js';
import {
  applyAugment,
  applyFitted,
  applyStatic,
  checkStep,
  isFitted,
  stepKind,
  type AugmentStep,
  type PercentileClipStep,
  type StepSpec,
  type ZScoreStep,
} from './steps.js';

/** How a source file becomes a Volume. */
export type InputSpec =
  /**
   * NIfTI (.nii/.nii.gz); `reorient` to RAS+ (default true); `volumeIndex`: which volume of 4D files to read
   * (default none: a 4D file is refused); `nonFinite`: NaN/±Inf voxels are an error ('error', default) or 0 ('zero').
   */
  | { kind: 'nifti'; reorient?: boolean; volumeIndex?: number; nonFinite?: 'error' | 'zero' }
  /** A 2D image (JPEG/PNG); `mode` 'grey' (default) or 'rgb'; `size` [H, W] to resize to (default: keep). */
  | { kind: 'image2d'; mode?: 'grey' | 'rgb'; size?: [number, number] };

/** A pipeline as data. */
export interface PipelineSpec {
  /** Loader; default { kind: 'nifti' }. */
  input?: InputSpec;
  /** Steps in order: static steps, then fitted/intensity steps, then augment steps; default []. */
  steps?: StepSpec[];
}

/** The serialised pipeline. */
export interface PipelineJSON {
  formatVersion: number;
  input: InputSpec;
  steps: StepSpec[];
}

/** Format version of {@link PipelineJSON}. */
export const PIPELINE_FORMAT_VERSION = 1;
/** Histogram bins used to fit percentiles (error ≤ (max − min) / bins). */
export const PERCENTILE_BINS = 65536;

/** A validated, immutable pipeline. */
export class Pipeline {
  readonly input: InputSpec;
  readonly steps: readonly StepSpec[];
  /** Number of leading static steps, whose output is cached. */
  readonly cachedCount: number;
  /** Index of the first augment step (steps.length if none). */
  readonly augmentStart: number;
  /** Decoded mean/std images of fitted 'voxel' zScore steps, by step index. */
  private readonly voxelStats = new Map<number, VoxelStats>();

  /**
   * @throws OptionError for an unknown op or key, a bad value, or a non-augment step after an augment step
   * @example
   * const p = new Pipeline({ input: { kind: 'nifti' }, steps: [{ op: 'cropOrPad', shape: [96, 112, 96] }, { op: 'zScore', nonzero: true }, { op: 'flip', axes: [0] }] });
   */
  constructor(spec: PipelineSpec = {}) {
    for (const k of Object.keys(spec)) if (k !== 'input' && k !== 'steps') throw new OptionError(`pipeline.${k}`, 'unknown key (known: input, steps)');
    const input = structuredClone(spec.input ?? { kind: 'nifti' as const });
    checkInput(input);
    const steps = structuredClone(spec.steps ?? []);
    if (!Array.isArray(steps)) throw new OptionError('pipeline.steps', 'expected an array');
    steps.forEach(checkStep);
    let cached = 0;
    while (cached < steps.length && stepKind(steps[cached]) === 'static') cached++;
    let aug = steps.findIndex((s) => stepKind(s) === 'augment');
    if (aug < 0) aug = steps.length;
    for (let i = aug; i < steps.length; i++) {
      if (stepKind(steps[i]) !== 'augment') throw new OptionError(`pipeline.steps[${i}]`, `${steps[i].op} after the augment step ${steps[aug].op}: augment steps must come last`);
    }
    this.input = input;
    this.steps = steps;
    this.cachedCount = cached;
    this.augmentStart = aug;
    steps.forEach((s, i) => {
      if (s.op === 'zScore' && s.mode === 'voxel' && isFitted(s)) this.voxelStats.set(i, decodeVoxelStats(s, `pipeline.steps[${i}]`));
    });
  }

  /** Rebuilds a pipeline from {@link Pipeline.toJSON} output. */
  static fromJSON(json: PipelineJSON): Pipeline {
    if (json?.formatVersion !== PIPELINE_FORMAT_VERSION) throw new FormatError(`pipeline formatVersion ${json?.formatVersion} is not ${PIPELINE_FORMAT_VERSION}`);
    return new Pipeline({ input: json.input, steps: json.steps });
  }

  /** The pipeline as JSON data (fitted parameters included). */
  toJSON(): PipelineJSON {
    return { formatVersion: PIPELINE_FORMAT_VERSION, input: structuredClone(this.input), steps: structuredClone([...this.steps]) };
  }

  /**
   * Hash of the loader, the cached static steps and the contents of their mask files: a cache
   * entry is valid for this hash only, so a mask file changed under the same path invalidates it.
   * @param maskDigests sha1 of each mask file named by a cached `mask` step (see loaders' maskDigests)
   * @throws OptionError when a cached mask file has no digest
   */
  cacheHash(maskDigests: ReadonlyMap<string, string> = new Map()): string {
    // the recorded digest is not part of the step's meaning (the current one is hashed below)
    const steps = this.steps.slice(0, this.cachedCount).map((st) => (st.op === 'mask' ? { op: st.op, threshold: st.threshold, path: st.path } : st));
    const masks: Array<[string, string]> = [];
    for (const s of steps) {
      if (s.op !== 'mask' || !s.path) continue;
      const digest = maskDigests.get(s.path);
      if (digest === undefined) throw new OptionError('pipeline.cacheHash', `no digest of the mask file ${s.path}`);
      masks.push([s.path, digest]);
    }
    return sha1(JSON.stringify({ input: this.input, steps, ...(masks.length > 0 ? { masks } : {}) }));
  }

  /**
   * The same pipeline with each mask file's sha1 recorded in its step, after checking it against the digest
   * recorded before (a pipeline fitted with one mask must not be replayed with another).
   * @param maskDigests sha1 of each mask file named by a `mask` step (see loaders' maskDigests)
   * @throws DataError naming the file when its recorded digest differs from its current one
   */
  withMaskDigests(maskDigests: ReadonlyMap<string, string>): Pipeline {
    const steps = this.steps.map((st) => {
      if (st.op !== 'mask' || !st.path) return st;
      const now = maskDigests.get(st.path);
      if (now === undefined) throw new OptionError('pipeline.withMaskDigests', `no digest of the mask file ${st.path}`);
      if (st.sha1 !== undefined && st.sha1 !== now) {
        throw new DataError(`mask file differs from the one this pipeline was built with (sha1 ${st.sha1.slice(0, 12)}… recorded, ${now.slice(0, 12)}… now)`, { file: st.path });
      }
      return { ...st, sha1: now };
    });
    return new Pipeline({ input: this.input, steps });
  }

  /** True when every fitted step has its parameters. */
  get fitted(): boolean {
    return this.steps.every(isFitted);
  }

  /** Runs the cached static steps on a loaded volume. `masks` maps mask paths to loaded masks. */
  applyCached(vol: Volume, masks: ReadonlyMap<string, Volume> = new Map()): Volume {
    let v = vol;
    for (const step of this.steps.slice(0, this.cachedCount)) v = applyStatic(step, v, step.op === 'mask' && step.path ? masks.get(step.path) : undefined);
    return v;
  }

  /**
   * Runs the steps between the cache and the augment steps (fitted ones must be fitted)
   * on a cached sample of shape [nx, ny, nz, channels]; `end` stops early (used when fitting).
   */
  applyOnline(data: Float32Array, shape: readonly number[], end = this.augmentStart, masks: ReadonlyMap<string, Volume> = new Map()): { data: Float32Array; shape: number[] } {
    let d = data;
    let s = [...shape];
    for (let i = this.cachedCount; i < end; i++) {
      const step = this.steps[i];
      if (stepKind(step) === 'fitted') {
        if (d === data) d = new Float32Array(data);
        this.applyFittedStep(i, d, s);
      } else {
        const v = applyStatic(step, new Volume({ data: d, shape: [s[0], s[1], s[2]], channels: s[3] }), step.op === 'mask' && step.path ? masks.get(step.path) : undefined);
        d = v.data;
        s = [...v.shape, v.channels];
      }
    }
    return { data: d, shape: s };
  }

  /** Whether every step between the cache and the augment steps is fitted (runs in place and keeps the shape). */
  get onlineInPlace(): boolean {
    for (let i = this.cachedCount; i < this.augmentStart; i++) if (stepKind(this.steps[i]) !== 'fitted') return false;
    return true;
  }

  /** Runs the online steps in place on a cached sample; only when {@link Pipeline.onlineInPlace}. */
  applyOnlineInPlace(data: Float32Array, shape: readonly number[]): void {
    if (!this.onlineInPlace) throw new OptionError('pipeline', 'applyOnlineInPlace needs fitted steps only between the cache and the augment steps');
    for (let i = this.cachedCount; i < this.augmentStart; i++) this.applyFittedStep(i, data, shape);
  }

  private applyFittedStep(i: number, data: Float32Array, shape: readonly number[]): void {
    const step = this.steps[i];
    if (!isFitted(step)) throw new OptionError(`pipeline.steps[${i}]`, `${step.op} is not fitted yet (fit the pipeline on the training split first)`);
    applyFitted(step as ZScoreStep | PercentileClipStep, data, shape, this.voxelStats.get(i));
  }

  /** Whether the pipeline has augment steps. */
  get augments(): boolean {
    return this.augmentStart < this.steps.length;
  }

  /** Runs the augment steps in place with a per-sample Rng. */
  augment(data: Float32Array, shape: readonly number[], rng: Rng): void {
    for (let i = this.augmentStart; i < this.steps.length; i++) applyAugment(this.steps[i] as AugmentStep, data, shape, rng.fork(i));
  }

  /**
   * Fits every fitted step on the given samples (the training split), streaming: each fitted
   * step reads the samples once (percentiles twice), holding one sample at a time.
   * @param samples yields the cached samples of the training split, each call a fresh pass
   * @returns a new, fitted pipeline (this one is unchanged)
   */
  async fit(samples: () => AsyncIterable<{ data: Float32Array; shape: number[] }>, masks: ReadonlyMap<string, Volume> = new Map()): Promise<Pipeline> {
    const steps = structuredClone([...this.steps]);
    for (let i = this.cachedCount; i < this.augmentStart; i++) {
      const step = steps[i];
      if (stepKind(step) !== 'fitted') continue;
      const partial = new Pipeline({ input: this.input, steps });
      const pass = async function* (): AsyncIterable<{ data: Float32Array; shape: number[] }> {
        for await (const s of samples()) yield partial.applyOnline(s.data, s.shape, i, masks);
      };
      if (step.op === 'zScore' && step.mode === 'voxel') Object.assign(step, await fitVoxelZScore(pass(), step.nonzero ?? false));
      else if (step.op === 'zScore') Object.assign(step, await fitGlobalZScore(pass(), step.nonzero ?? false));
      else if (step.op === 'percentileClip') Object.assign(step, await fitPercentiles(pass, step.lower, step.upper));
    }
    return new Pipeline({ input: this.input, steps });
  }
}

function checkInput(input: InputSpec): void {
  if (input.kind === 'nifti') {
    for (const k of Object.keys(input)) if (!['kind', 'reorient', 'volumeIndex', 'nonFinite'].includes(k)) throw new OptionError(`pipeline.input.${k}`, 'unknown key for nifti (known: reorient, volumeIndex, nonFinite)');
    if (input.volumeIndex !== undefined && !(Number.isInteger(input.volumeIndex) && input.volumeIndex >= 0)) throw new OptionError('pipeline.input.volumeIndex', `expected an integer >= 0, got ${JSON.stringify(input.volumeIndex)}`);
    if (input.nonFinite !== undefined && input.nonFinite !== 'error' && input.nonFinite !== 'zero') throw new OptionError('pipeline.input.nonFinite', `expected 'error' or 'zero', got ${JSON.stringify(input.nonFinite)}`);
  } else if (input.kind === 'image2d') {
    for (const k of Object.keys(input)) if (!['kind', 'mode', 'size'].includes(k)) throw new OptionError(`pipeline.input.${k}`, 'unknown key for image2d (known: mode, size)');
    if (input.mode !== undefined && input.mode !== 'grey' && input.mode !== 'rgb') throw new OptionError('pipeline.input.mode', `expected 'grey' or 'rgb', got ${JSON.stringify(input.mode)}`);
    if (input.size !== undefined && !(Array.isArray(input.size) && input.size.length === 2 && input.size.every((n) => Number.isInteger(n) && n > 0))) {
      throw new OptionError('pipeline.input.size', `expected [height, width], got ${JSON.stringify(input.size)}`);
    }
  } else {
    throw new OptionError('pipeline.input.kind', `expected 'nifti' or 'image2d', got ${JSON.stringify((input as { kind: unknown }).kind)}`);
  }
}

/**
 * Percentiles with numpy's default linear interpolation over all training values, from a
 * histogram of {@link PERCENTILE_BINS} bins between the min and max (two passes).
 */
async function fitPercentiles(samples: () => AsyncIterable<{ data: Float32Array }>, lower: number, upper: number): Promise<{ low: number; high: number }> {
  let lo = Infinity;
  let hi = -Infinity;
  let n = 0;
  for await (const { data } of samples()) {
    for (const v of data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    n += data.length;
  }
  if (n === 0) throw new OptionError('percentileClip', 'no training values to fit on');
  if (hi === lo) return { low: lo, high: hi };
  const width = (hi - lo) / PERCENTILE_BINS;
  const counts = new Float64Array(PERCENTILE_BINS);
  for await (const { data } of samples()) {
    for (const v of data) counts[Math.min(PERCENTILE_BINS - 1, Math.floor((v - lo) / width))] += 1;
  }
  // the k-th smallest value, to within one bin: the centre of the bin that holds it
  const orderStat = (k: number): number => {
    let cum = 0;
    for (let b = 0; b < PERCENTILE_BINS; b++) {
      cum += counts[b];
      if (cum > k) return Math.min(hi, Math.max(lo, lo + (b + 0.5) * width));
    }
    return hi;
  };
  // numpy 'linear': x_k + (rank − k)(x_{k+1} − x_k) with rank = p/100 · (n − 1)
  const at = (p: number): number => {
    const rank = (p / 100) * (n - 1);
    const k = Math.floor(rank);
    const a = orderStat(k);
    return k + 1 < n ? a + (rank - k) * (orderStat(k + 1) - a) : a;
  };
  return { low: Math.max(lo, at(lower)), high: Math.min(hi, at(upper)) };
}
