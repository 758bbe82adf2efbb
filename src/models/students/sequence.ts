/**
 * Students on a sequence of k slices, input [k, H, W, C]: joint fusion (one shared 2D CNN per slice,
 * features fused), CNN-LSTM, and the dynamic image (approximate rank pooling, then a 2D CNN).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { checkImageShape, checkPositiveInt, cnnBackbone, cnnBody, logitsHead, resolveCnnOptions, studentOf, type StudentCnnConfig, type StudentCnnOptions, type StudentModel } from './student-cnn.js';

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

function resolveSequence(where: string, options: SequenceStudentOptions, name: string, extra: object, numClasses: number): Omit<SequenceStudentConfig, 'architecture'> {
  const o = resolveCnnOptions(where, options, name, { sliceShape: undefined, slices: undefined, ...extra });
  return {
    ...o,
    sliceShape: checkImageShape(`${where}.sliceShape`, options.sliceShape),
    slices: checkPositiveInt(`${where}.slices`, options.slices),
    numClasses: checkPositiveInt('numClasses', numClasses),
  };
}

function sequenceInput(c: Omit<SequenceStudentConfig, 'architecture'>): tf.SymbolicTensor {
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
function perSlice(input: tf.SymbolicTensor, backbone: tf.LayersModel, name: string): tf.SymbolicTensor {
  return new FoldedTimeDistributed({ name, layer: backbone }).apply(input) as tf.SymbolicTensor;
}

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

/**
 * Coefficients of approximate rank pooling over T slices (t = 1..T):
 * 'linear' α_t = 2t − T − 1 (Bilen et al.'s simplified form);
 * 'bilen' α_t = Σ_{i=t..T} (2i − T − 1)/i (their exact approximate rank pooling);
 * 'yoon' α_t = Σ_{i=t..T} (2i − T)/i (the variant in Yoon et al.'s code).
 */
export type RankPoolingKind = 'linear' | 'bilen' | 'yoon';

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
