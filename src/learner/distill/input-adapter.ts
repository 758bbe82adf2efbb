/**
 * A teacher's input adapter: a teacher trained on inputs normalised one way (e.g. ImageNet's
 * per-channel Normalize) reused on a DataBunch normalised another way (e.g. a fitted global
 * z-score) gets the exact per-channel affine map between the two in front of it, frozen.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../backend/errors.js';
import type { StepSpec } from '../../data/databunch/steps.js';

/** Per-channel (x − mean) / std of a fitted global zScore or a normalize step; undefined for other steps. */
function channelAffine(step: StepSpec, channels: number): { mean: number[]; std: number[] } | undefined {
  const per = (v: number | number[]): number[] => (typeof v === 'number' ? Array.from({ length: channels }, () => v) : v);
  if (step.op === 'normalize') return { mean: per(step.mean), std: per(step.std) };
  if (step.op === 'zScore' && (step.mode ?? 'global') === 'global' && !step.nonzero && step.mean !== undefined && step.std !== undefined) return { mean: per(step.mean), std: per(step.std) };
  return undefined;
}

/**
 * The per-channel map x·scale + offset from inputs normalised by `from` to inputs normalised by `to`
 * (both a fitted global zScore or a normalize step): raw = x·std_from + mean_from, then (raw − mean_to) / std_to.
 * Undefined when both are the same; an OptionError when either is another kind of step.
 */
export function normalizationAffine(from: StepSpec, to: StepSpec, channels: number): { scale: number[]; offset: number[] } | undefined {
  const a = channelAffine(from, channels);
  const b = channelAffine(to, channels);
  if (!a || !b || a.mean.length !== channels || b.mean.length !== channels) {
    throw new OptionError('normalizationAffine', `cannot map inputs normalised by ${JSON.stringify(from)} to ${JSON.stringify(to)} (${channels} channels)`);
  }
  const scale = a.std.map((s, c) => s / b.std[c]);
  const offset = a.mean.map((m, c) => (m - b.mean[c]) / b.std[c]);
  return scale.every((v) => v === 1) && offset.every((v) => v === 0) ? undefined : { scale, offset };
}

/** `model` behind a frozen per-channel affine input layer (a dense layer on the channel axis with a diagonal kernel). */
export function withInputAffine(model: tf.LayersModel, affine: { scale: number[]; offset: number[] }): tf.LayersModel {
  const c = affine.scale.length;
  const input = tf.input({ shape: model.inputs[0].shape.slice(1) as number[] });
  const kernel = Array.from({ length: c * c }, (_, i) => (Math.floor(i / c) === i % c ? affine.scale[i % c] : 0));
  const dense = tf.layers.dense({ units: c, trainable: false, name: 'input_affine' });
  const mapped = dense.apply(input) as tf.SymbolicTensor;
  const weights = [tf.tensor2d(kernel, [c, c]), tf.tensor1d(affine.offset)];
  dense.setWeights(weights);
  tf.dispose(weights);
  const output = model.apply(mapped) as tf.SymbolicTensor | tf.SymbolicTensor[];
  return tf.model({ inputs: input, outputs: output, name: `${model.name}_adapted` });
}
