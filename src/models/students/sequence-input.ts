/**
 * What the students on a sequence of k slices (input [k, H, W, C]) share: their options, their
 * input, and the per-slice wrapper that runs one 2D CNN on all k slices (joint-fusion.ts,
 * cnn-lstm.ts; dynamic-image.ts pools the slices first).
 */
import * as tf from '@tensorflow/tfjs';
import { checkImageShape, checkPositiveInt, resolveCnnOptions, type StudentCnnConfig, type StudentCnnOptions } from './student-cnn.js';

/** Shared options of the sequence students. */
export interface SequenceStudentOptions extends StudentCnnOptions {
  /** Slice shape [height, width, channels]; required. */
  sliceShape: [number, number, number];
  /** Number k of slices in the sequence; required. */
  slices: number;
}

/** Resolved options of the sequence students. */
export interface SequenceStudentConfig extends StudentCnnConfig {
  architecture: 'joint-fusion' | 'cnn-lstm' | 'dynamic-image';
  sliceShape: [number, number, number];
  slices: number;
  numClasses: number;
  fusion?: 'concat' | 'mean';
  lstmUnits?: number;
  coefficients?: RankPoolingKind;
}

/** Resolves and checks the shared options. */
export function resolveSequence(where: string, options: SequenceStudentOptions, name: string, extra: object, numClasses: number): Omit<SequenceStudentConfig, 'architecture'> {
  const o = resolveCnnOptions(where, options, name, { sliceShape: undefined, slices: undefined, ...extra });
  return {
    ...o,
    sliceShape: checkImageShape(`${where}.sliceShape`, options.sliceShape),
    slices: checkPositiveInt(`${where}.slices`, options.slices),
    numClasses: checkPositiveInt('numClasses', numClasses),
  };
}

/** The [k, H, W, C] input of a sequence student. */
export function sequenceInput(c: Omit<SequenceStudentConfig, 'architecture'>): tf.SymbolicTensor {
  return tf.input({ shape: [c.slices, ...c.sliceShape], name: `${c.name}_in` });
}

type WrapperArgs = Parameters<typeof tf.layers.timeDistributed>[0];
type WrapperCtor = new (args: WrapperArgs) => tf.layers.Layer;
// An explicitly named probe layer does not advance tfjs' automatic layer names.
const TfjsTimeDistributed = Object.getPrototypeOf(
  tf.layers.timeDistributed({ name: 'transmri_time_distributed_probe', layer: tf.layers.dense({ name: 'transmri_time_distributed_probe_dense', units: 1 }) }),
).constructor as WrapperCtor;

/**
 * tfjs' TimeDistributed, but the wrapped layer runs once on all N·k steps folded into the batch
 * ([N, k, ...] → [N·k, ...] → back), as Keras' TimeDistributed does for a known input shape.
 * tfjs' own loops over the k steps, so a batch norm inside the wrapped CNN normalised each slice
 * position with that position's batch statistics while training, but with one moving average over
 * all positions in inference: the features of the outer slices shifted by up to 0.7 sd between
 * training and inference and the joint-fusion student fell to near chance (issue 7).
 * Serialised as 'TransmriTimeDistributed'; weights and their names are tfjs' TimeDistributed's.
 */
export class FoldedTimeDistributed extends TfjsTimeDistributed {
  static className = 'TransmriTimeDistributed';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [n, k, ...step] = x.shape;
      const layer = (this as unknown as { layer: tf.layers.Layer }).layer;
      const out = layer.call(tf.reshape(x, [n * k, ...step]), kwargs);
      const y = Array.isArray(out) ? out[0] : out;
      return tf.reshape(y, [n, k, ...y.shape.slice(1)]);
    });
  }
}
tf.serialization.registerClass(FoldedTimeDistributed as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** The shared backbone applied to each of the k slices of `input` ([N, k, H, W, C] → [N, k, F]). */
export function perSlice(input: tf.SymbolicTensor, backbone: tf.LayersModel, name: string): tf.SymbolicTensor {
  return new FoldedTimeDistributed({ name, layer: backbone }).apply(input) as tf.SymbolicTensor;
}

/**
 * Coefficients of approximate rank pooling over T slices (t = 1..T):
 * 'linear' α_t = 2t − T − 1 (Bilen et al.'s simplified form);
 * 'bilen' α_t = Σ_{i=t..T} (2i − T − 1)/i (their exact approximate rank pooling);
 * 'yoon' α_t = Σ_{i=t..T} (2i − T)/i (the variant in Yoon et al.'s code).
 */
export type RankPoolingKind = 'linear' | 'bilen' | 'yoon';
