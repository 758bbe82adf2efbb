/**
 * 2D students on single slices: one slice (`sliceCnn`) or k adjacent slices as channels (`earlyFusion`).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../backend/rng.js';
import { checkImageShape, checkPositiveInt, cnnBody, logitsHead, resolveCnnOptions, studentOf, type StudentCnnConfig, type StudentCnnOptions, type StudentModel } from './student-cnn.js';

/** Options of {@link sliceCnn}. */
export interface SliceCnnOptions extends StudentCnnOptions {
  /** Input [height, width, channels]; required. */
  inputShape: [number, number, number];
}

/** Resolved options of {@link sliceCnn} and {@link earlyFusion}. */
export interface SliceCnnConfig extends StudentCnnConfig {
  architecture: 'slice-cnn' | 'early-fusion';
  inputShape: [number, number, number];
  numClasses: number;
}

/**
 * A 2D CNN on one slice [H, W, C]: conv blocks, global average pooling (the features), dense logits.
 * @example
 * const { model, classifier } = sliceCnn({ inputShape: [64, 64, 1] }, 2);
 */
export function sliceCnn(options: SliceCnnOptions, numClasses: number): StudentModel<SliceCnnConfig> {
  const o = resolveCnnOptions('SliceCnnOptions', options, 'slice_cnn', { inputShape: undefined });
  const inputShape = checkImageShape('SliceCnnOptions.inputShape', options.inputShape);
  return build({ ...o, architecture: 'slice-cnn', inputShape, numClasses: checkPositiveInt('numClasses', numClasses) });
}

/** Options of {@link earlyFusion}. */
export interface EarlyFusionOptions extends StudentCnnOptions {
  /** Slice size [height, width]; required. */
  sliceShape: [number, number];
  /** Number k of adjacent slices stacked as channels; default 3. */
  slices?: number;
}

/**
 * Early fusion ("2D+e"): k adjacent slices stacked as the k channels of one 2D CNN; input [H, W, k].
 * @example
 * const student = earlyFusion({ sliceShape: [64, 64], slices: 3 }, 2);
 */
export function earlyFusion(options: EarlyFusionOptions, numClasses: number): StudentModel<SliceCnnConfig> {
  const o = resolveCnnOptions('EarlyFusionOptions', options, 'early_fusion', { sliceShape: undefined, slices: 3 });
  const slices = checkPositiveInt('EarlyFusionOptions.slices', options.slices ?? 3);
  const [h, w] = checkImageShape('EarlyFusionOptions.sliceShape', [...(options.sliceShape ?? []), 1]);
  const { sliceShape: _s, slices: _k, ...body } = o as StudentCnnConfig & { sliceShape?: unknown; slices?: unknown };
  return build({ ...body, architecture: 'early-fusion', inputShape: [h, w, slices], numClasses: checkPositiveInt('numClasses', numClasses) });
}

function build(config: SliceCnnConfig): StudentModel<SliceCnnConfig> {
  const rng = new Rng(config.seed);
  const input = tf.input({ shape: config.inputShape, name: `${config.name}_in` });
  const features = cnnBody(input, config, rng, config.name);
  const logits = logitsHead(features, config.numClasses, config.dropout, rng, config.name);
  return studentOf(input, logits, features, config.name, config);
}
