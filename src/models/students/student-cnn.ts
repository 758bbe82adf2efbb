/**
 * What every student builder returns, and the small 2D CNN body the students share.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { fusedBatchNormalization } from './batch-norm.js';

/**
 * A student model: `model` maps a batch to [logits, features], where features are the
 * penultimate activations (for feature distillation losses); `classifier` is the same network
 * (shared weights) with the logits as its only output, for plain training, saving and prediction.
 */
export interface StudentModel<C = object> {
  kind: 'student';
  /** Outputs [logits [N, numClasses], features [N, ...]]. */
  model: tf.LayersModel;
  /** Input → logits; shares its layers with `model`. */
  classifier: tf.LayersModel;
  /** The resolved options (plain JSON): rebuilds the same architecture. */
  config: C;
}

/** Options of the 2D CNN body shared by the slice, fusion, dynamic-image and CNN-LSTM students. */
export interface StudentCnnOptions {
  /** Filters of each conv block (conv 3×3 [+ batch norm] + ReLU, then 2×2 max-pool); default [16, 32, 64]. */
  widths?: number[];
  /** Batch normalisation after each convolution; default true. */
  batchNorm?: boolean;
  /**
   * Momentum of the batch-norm moving statistics; default 0.9. (tfjs' 0.99 leaves them ~20 % at their
   * initial 0/1 after 150 steps, and a short run on a small set then predicts one class in inference mode.)
   */
  batchNormMomentum?: number;
  /** Dropout rate before the classification layer, in [0, 1); default 0. */
  dropout?: number;
  /** Seed of the weight initialisers; default 0. */
  seed?: number;
  /** Prefix of the layer names (and the model name); default the builder's name. */
  name?: string;
}

/** Defaults of {@link StudentCnnOptions} (without `name`, which defaults to the builder's name). */
export const DEFAULT_STUDENT_CNN: Required<Omit<StudentCnnOptions, 'name'>> = { widths: [16, 32, 64], batchNorm: true, batchNormMomentum: 0.9, dropout: 0, seed: 0 };

/** Resolved body options. */
export type StudentCnnConfig = Required<StudentCnnOptions>;

/** Validates the shared options; `extra` lists the builder's own keys. */
export function resolveCnnOptions(where: string, options: StudentCnnOptions & object, defaultName: string, extra: object = {}): StudentCnnConfig {
  const known = { ...DEFAULT_STUDENT_CNN, name: defaultName, ...extra };
  for (const key of Object.keys(options)) {
    if (!(key in known)) throw new OptionError(`${where}.${key}`, `unknown option (known: ${Object.keys(known).sort().join(', ')})`);
  }
  const o = { ...DEFAULT_STUDENT_CNN, name: defaultName, ...options } as StudentCnnConfig;
  checkBodyOptions(where, o);
  return { ...o, widths: [...o.widths] };
}

/** Checks the options every conv body shares (widths, dropout, batch-norm momentum, seed); OptionError names `where.key`. */
export function checkBodyOptions(where: string, o: Pick<StudentCnnConfig, 'widths' | 'dropout' | 'batchNormMomentum' | 'seed'>): void {
  if (!Array.isArray(o.widths) || o.widths.length === 0 || o.widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new OptionError(`${where}.widths`, `must be a non-empty array of positive integers, got ${JSON.stringify(o.widths)}`);
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError(`${where}.dropout`, `must be in [0, 1), got ${o.dropout}`);
  if (!(o.batchNormMomentum >= 0 && o.batchNormMomentum < 1)) throw new OptionError(`${where}.batchNormMomentum`, `must be in [0, 1), got ${o.batchNormMomentum}`);
  if (!Number.isFinite(o.seed)) throw new OptionError(`${where}.seed`, `must be a finite number, got ${o.seed}`);
}

/** Checks a positive integer option. */
export function checkPositiveInt(option: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new OptionError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

/** Checks an image input shape [H, W, C]. */
export function checkImageShape(option: string, shape: unknown): [number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new OptionError(option, `must be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape] as [number, number, number];
}

/** He-normal initialiser seeded from the model seed and the layer name. */
export function seededHe(rng: Rng, layerName: string): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: rng.fork(layerName).nextUint32() });
}

/**
 * The conv blocks and global average pooling applied to `x` ([N, H, W, C]); returns the pooled features [N, widths.at(-1)].
 * Pooling stops halving once a spatial side is 1.
 */
export function cnnBody(x: tf.SymbolicTensor, o: StudentCnnConfig, rng: Rng, prefix: string): tf.SymbolicTensor {
  let y = x;
  o.widths.forEach((filters, i) => {
    const conv = `${prefix}_conv${i + 1}`;
    y = tf.layers.conv2d({ name: conv, filters, kernelSize: 3, padding: 'same', useBias: !o.batchNorm, kernelInitializer: seededHe(rng, conv) }).apply(y) as tf.SymbolicTensor;
    if (o.batchNorm) y = fusedBatchNormalization({ name: `${prefix}_bn${i + 1}`, momentum: o.batchNormMomentum }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.reLU({ name: `${prefix}_relu${i + 1}` }).apply(y) as tf.SymbolicTensor;
    if ((y.shape[1] ?? 1) >= 2 && (y.shape[2] ?? 1) >= 2) {
      y = tf.layers.maxPooling2d({ name: `${prefix}_pool${i + 1}`, poolSize: 2 }).apply(y) as tf.SymbolicTensor;
    }
  });
  return tf.layers.globalAveragePooling2d({ name: `${prefix}_gap` }).apply(y) as tf.SymbolicTensor;
}

/** A stand-alone backbone model [H, W, C] → pooled features, to share across slices. */
export function cnnBackbone(inputShape: [number, number, number], o: StudentCnnConfig, rng: Rng, prefix: string): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: `${prefix}_in` });
  return tf.model({ inputs: input, outputs: cnnBody(input, o, rng, prefix), name: prefix });
}

/** Dropout (if any) and the final dense layer: features → logits. */
export function logitsHead(features: tf.SymbolicTensor, numClasses: number, dropout: number, rng: Rng, prefix: string): tf.SymbolicTensor {
  let y = features;
  if (dropout > 0) y = tf.layers.dropout({ name: `${prefix}_dropout`, rate: dropout, seed: rng.fork('dropout').nextUint32() }).apply(y) as tf.SymbolicTensor;
  const name = `${prefix}_logits`;
  return tf.layers.dense({ name, units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: rng.fork(name).nextUint32() }) }).apply(y) as tf.SymbolicTensor;
}

/** Wraps inputs, logits and features into a {@link StudentModel}. */
export function studentOf<C>(input: tf.SymbolicTensor, logits: tf.SymbolicTensor, features: tf.SymbolicTensor, name: string, config: C): StudentModel<C> {
  return {
    kind: 'student',
    model: tf.model({ inputs: input, outputs: [logits, features], name }),
    classifier: tf.model({ inputs: input, outputs: logits, name: `${name}_classifier` }),
    config,
  };
}
