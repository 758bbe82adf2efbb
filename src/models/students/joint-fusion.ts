/**
 * Joint fusion: one shared 2D CNN on each of k slices, the k feature vectors concatenated or averaged.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { cnnBackbone, logitsHead, studentOf, type StudentModel } from './student-cnn.js';
import { perSlice, resolveSequence, sequenceInput, type SequenceStudentConfig, type SequenceStudentOptions } from './sequence-input.js';

/** Options of {@link jointFusion}. */
export interface JointFusionOptions extends SequenceStudentOptions {
  /** How the k per-slice feature vectors are fused: 'concat' (k·F features) or 'mean' (F); default 'concat'. */
  fusion?: 'concat' | 'mean';
}

/**
 * Joint fusion: the same 2D CNN (shared weights; the k slices pass through it as one batch of N·k,
 * so its batch norm sees all of them) on each of the k slices;
 * the k pooled feature vectors are concatenated or averaged (the features), then a dense layer gives the logits.
 * @example
 * const student = jointFusion({ sliceShape: [64, 64, 1], slices: 3, fusion: 'concat' }, 2);
 */
export function jointFusion(options: JointFusionOptions, numClasses: number): StudentModel<SequenceStudentConfig> {
  const c = resolveSequence('JointFusionOptions', options, 'joint_fusion', { fusion: 'concat' }, numClasses);
  const fusion = options.fusion ?? 'concat';
  if (fusion !== 'concat' && fusion !== 'mean') throw new OptionError('JointFusionOptions.fusion', `expected 'concat' or 'mean', got ${JSON.stringify(fusion)}`);
  const rng = new Rng(c.seed);
  const input = sequenceInput(c);
  const backbone = cnnBackbone(c.sliceShape, c, rng, `${c.name}_backbone`);
  const slices = perSlice(input, backbone, `${c.name}_per_slice`);
  const features = (fusion === 'concat'
    ? tf.layers.flatten({ name: `${c.name}_concat` })
    : tf.layers.globalAveragePooling1d({ name: `${c.name}_mean` })
  ).apply(slices) as tf.SymbolicTensor;
  const logits = logitsHead(features, c.numClasses, c.dropout, rng, c.name);
  return studentOf(input, logits, features, c.name, { ...c, architecture: 'joint-fusion', fusion });
}
