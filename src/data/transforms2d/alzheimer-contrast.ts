/**
 * The contrast pipeline of the Alzheimer-slides study:
 * invert → CLAHE → grey opening → smoothing → weighted merge with the original.
 */
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { clahe, type ClaheOptions } from './clahe.js';
import { checkImage2D, rangeMax, type Image2D, type ValueRange } from './image2d.js';
import { invertImage, mergeImages, type MergeOptions } from './intensity.js';
import { openImage, type Footprint } from './morphology.js';
import { gaussianSmooth, medianSmooth } from './smoothing.js';

/** Smoothing step of the pipeline. */
export type SmoothingSpec = { kind: 'gaussian'; sigma: number; truncate?: number } | { kind: 'median'; size: number };

/** Options of {@link alzheimerContrastPipeline}. Each step can be turned off with `false`. */
export interface AlzheimerPipelineOptions {
  /** Invert intensities first; default true. */
  invert?: boolean;
  /** CLAHE options (its `range` is set by the pipeline); default {} (8×8 tiles, clip limit 0.01). */
  clahe?: Omit<ClaheOptions, 'range'> | false;
  /** Footprint of the grey opening; default a disk of radius 1. */
  opening?: Footprint | false;
  /** Smoothing; default Gaussian with sigma 1. */
  smoothing?: SmoothingSpec | false;
  /** Merge of the original (base) with the processed image (top); default multiply with α = 0.5. */
  merge?: Omit<MergeOptions, 'range'> | false;
  /** Value range of the input and of the output; default 'auto'. */
  range?: ValueRange;
}

/** Defaults of {@link AlzheimerPipelineOptions}. */
export const DEFAULT_ALZHEIMER_PIPELINE: Required<AlzheimerPipelineOptions> = {
  invert: true,
  clahe: {},
  opening: { shape: 'disk', radius: 1 },
  smoothing: { kind: 'gaussian', sigma: 1 },
  merge: { mode: 'multiply', alpha: 0.5 },
  range: 'auto',
};

/**
 * Runs the study's contrast pipeline on one grey image. The output has the input's range
 * (0..255 or 0..1); each step is the transform of the same name in this folder, so the result
 * equals composing them by hand.
 * @example
 * const out = alzheimerContrastPipeline(slice, { clahe: { clipLimit: 0.02 }, smoothing: { kind: 'median', size: 3 } });
 */
export function alzheimerContrastPipeline(img: Image2D, options: AlzheimerPipelineOptions = {}): Image2D {
  rejectUnknownOptions('AlzheimerPipelineOptions', options, DEFAULT_ALZHEIMER_PIPELINE);
  const o = { ...DEFAULT_ALZHEIMER_PIPELINE, ...options };
  checkImage2D(img, 'alzheimerContrastPipeline');
  const range: ValueRange = rangeMax(img, o.range, 'alzheimerContrastPipeline') === 255 ? 'uint8' : 'unit';
  let x = img;
  if (o.invert) x = invertImage(x, { range });
  if (o.clahe !== false) x = clahe(x, { ...o.clahe, range });
  if (o.opening !== false) x = openImage(x, o.opening);
  if (o.smoothing !== false) {
    const s = o.smoothing;
    if (s.kind === 'gaussian') {
      x = gaussianSmooth(x, s.truncate === undefined ? { sigma: s.sigma } : { sigma: s.sigma, truncate: s.truncate });
    } else if (s.kind === 'median') {
      x = medianSmooth(x, { size: s.size });
    } else {
      throw new OptionError('AlzheimerPipelineOptions.smoothing.kind', `expected 'gaussian' or 'median', got ${JSON.stringify((s as { kind?: unknown }).kind)}`);
    }
    // Rounding in the smoothing can leave values a hair outside the range.
    const max = range === 'uint8' ? 255 : 1;
    for (let i = 0; i < x.data.length; i++) x.data[i] = Math.min(max, Math.max(0, x.data[i]));
  }
  if (o.merge !== false) x = mergeImages(img, x, { ...o.merge, range });
  return x;
}
