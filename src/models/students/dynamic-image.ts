/**
 * The dynamic-image student: k slices rank-pooled into one image (fixed coefficients), then a 2D CNN.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { checkPositiveInt, cnnBody, logitsHead, studentOf, type StudentModel } from './student-cnn.js';
import { resolveSequence, sequenceInput, type RankPoolingKind, type SequenceStudentConfig, type SequenceStudentOptions } from './sequence-input.js';

/**
 * The rank-pooling coefficients α_1..α_T.
 * @example
 * rankPoolingCoefficients(4, 'yoon'); // [−1/3, 5/3, 5/3, 1]
 */
export function rankPoolingCoefficients(T: number, kind: RankPoolingKind = 'linear'): number[] {
  checkPositiveInt('rankPoolingCoefficients T', T);
  if (kind === 'linear') return Array.from({ length: T }, (_, i) => 2 * (i + 1) - T - 1);
  if (kind !== 'bilen' && kind !== 'yoon') throw new OptionError('rankPoolingCoefficients kind', `expected 'linear', 'bilen' or 'yoon', got ${JSON.stringify(kind)}`);
  const offset = kind === 'bilen' ? T + 1 : T;
  const alpha = new Array<number>(T);
  let tail = 0;
  for (let t = T; t >= 1; t--) {
    tail += (2 * t - offset) / t;
    alpha[t - 1] = tail;
  }
  return alpha;
}


/** Options of {@link dynamicImage}. */
export interface DynamicImageOptions extends SequenceStudentOptions {
  /** Rank-pooling coefficients; default 'linear'. */
  coefficients?: RankPoolingKind;
}

/**
 * Dynamic image student: the k slices are rank-pooled into one image Σ_t α_t·S_t by a fixed (non-trainable)
 * layer, then a 2D CNN classifies it. Input [k, H, W, C]; the pooled image has the slices' shape.
 * @example
 * const student = dynamicImage({ sliceShape: [64, 64, 1], slices: 16, coefficients: 'bilen' }, 2);
 */
export function dynamicImage(options: DynamicImageOptions, numClasses: number): StudentModel<SequenceStudentConfig> {
  const c = resolveSequence('DynamicImageOptions', options, 'dynamic_image', { coefficients: 'linear' }, numClasses);
  const coefficients = options.coefficients ?? 'linear';
  const alpha = rankPoolingCoefficients(c.slices, coefficients);
  const rng = new Rng(c.seed);
  const input = sequenceInput(c);
  // [N, k, H, W, C] → [N, H, W, C, k] → fixed dense over k → [N, H, W, C]
  const moved = tf.layers.permute({ name: `${c.name}_slices_last`, dims: [2, 3, 4, 1] }).apply(input) as tf.SymbolicTensor;
  const pool = tf.layers.dense({ name: `${c.name}_rank_pool`, units: 1, useBias: false, trainable: false });
  const pooled = pool.apply(moved) as tf.SymbolicTensor;
  const image = tf.layers.reshape({ name: `${c.name}_image`, targetShape: c.sliceShape }).apply(pooled) as tf.SymbolicTensor;
  const features = cnnBody(image, c, rng, c.name);
  const logits = logitsHead(features, c.numClasses, c.dropout, rng, c.name);
  const student = studentOf(input, logits, features, c.name, { ...c, architecture: 'dynamic-image' as const, coefficients });
  const kernel = tf.tensor2d(alpha, [c.slices, 1]);
  pool.setWeights([kernel]);
  kernel.dispose();
  return student;
}
