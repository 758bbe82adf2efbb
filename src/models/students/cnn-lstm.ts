/**
 * CNN-LSTM: one shared 2D CNN on each of k slices, an LSTM over the k feature vectors.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../backend/rng.js';
import { checkPositiveInt, cnnBackbone, logitsHead, studentOf, type StudentModel } from './student-cnn.js';
import { perSlice, resolveSequence, sequenceInput, type SequenceStudentConfig, type SequenceStudentOptions } from './sequence-input.js';

/** Options of {@link cnnLstm}. */
export interface CnnLstmOptions extends SequenceStudentOptions {
  /** Units of the LSTM over the slice sequence; default 64. */
  lstmUnits?: number;
}

/**
 * CNN-LSTM: a shared 2D CNN on each slice, an LSTM over the k feature vectors; its last hidden state
 * is the feature vector, then a dense layer gives the logits.
 * @example
 * const student = cnnLstm({ sliceShape: [64, 64, 1], slices: 20, lstmUnits: 64 }, 3);
 */
export function cnnLstm(options: CnnLstmOptions, numClasses: number): StudentModel<SequenceStudentConfig> {
  const c = resolveSequence('CnnLstmOptions', options, 'cnn_lstm', { lstmUnits: 64 }, numClasses);
  const lstmUnits = checkPositiveInt('CnnLstmOptions.lstmUnits', options.lstmUnits ?? 64);
  const rng = new Rng(c.seed);
  const input = sequenceInput(c);
  const backbone = cnnBackbone(c.sliceShape, c, rng, `${c.name}_backbone`);
  const slices = perSlice(input, backbone, `${c.name}_per_slice`);
  const lstmName = `${c.name}_lstm`;
  const features = tf.layers.lstm({
    name: lstmName,
    units: lstmUnits,
    kernelInitializer: tf.initializers.glorotUniform({ seed: rng.fork(`${lstmName}/kernel`).nextUint32() }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: rng.fork(`${lstmName}/recurrent`).nextUint32() }),
  }).apply(slices) as tf.SymbolicTensor;
  const logits = logitsHead(features, c.numClasses, c.dropout, rng, c.name);
  return studentOf(input, logits, features, c.name, { ...c, architecture: 'cnn-lstm', lstmUnits });
}
