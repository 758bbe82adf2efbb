/**
 * The tiny edge CNN ("TinyVGG") of Zhang, Kulkarni & V P's edge MRI distillation:
 * two blocks of [conv 3×3 + ReLU, conv 3×3 + ReLU, 2×2 max-pool] with 3 filters, flatten, dense.
 * 12,628 parameters for a 128×128 RGB input and 4 classes (12,574 for grey input).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { torchLinearInit } from '../building-blocks.js';
import { checkImageShape, checkPositiveInt, logitsHead, seededHe, studentOf, type StudentModel } from './student-cnn.js';

/** Options of {@link edgeCnn}. */
export interface EdgeCnnOptions {
  /** Input [height, width, channels]; default [128, 128, 3] (the paper's RGB input). */
  inputShape?: [number, number, number];
  /** Filters of every convolution (the paper's hidden units); default 3. */
  filters?: number;
  /**
   * Weight initialisation: 'he' (He-normal kernels, zero biases, Glorot-uniform logits) or 'torch' (PyTorch's
   * default for Conv2d and Linear, as in the paper's code: kernels and biases U(±1/√fan_in)); default 'he'.
   */
  init?: 'he' | 'torch';
  /** Seed of the weight initialisers; default 0. */
  seed?: number;
  /** Prefix of the layer names; default 'edge_cnn'. */
  name?: string;
}

/** Defaults of {@link EdgeCnnOptions}. */
export const DEFAULT_EDGE_CNN: Required<EdgeCnnOptions> = { inputShape: [128, 128, 3], filters: 3, init: 'he', seed: 0, name: 'edge_cnn' };

/** Resolved options of {@link edgeCnn}. */
export interface EdgeCnnConfig extends Required<EdgeCnnOptions> {
  architecture: 'edge-cnn';
  numClasses: number;
}

/**
 * The edge student; its features are the flattened output of the second block (3072 values for 128×128 input).
 * @example
 * const { model, classifier } = edgeCnn({}, 4); // 12,628 parameters
 */
export function edgeCnn(options: EdgeCnnOptions, numClasses: number): StudentModel<EdgeCnnConfig> {
  rejectUnknownOptions('EdgeCnnOptions', options, DEFAULT_EDGE_CNN);
  const o = { ...DEFAULT_EDGE_CNN, ...options };
  const inputShape = checkImageShape('EdgeCnnOptions.inputShape', o.inputShape);
  const filters = checkPositiveInt('EdgeCnnOptions.filters', o.filters);
  if (inputShape[0] % 4 !== 0 || inputShape[1] % 4 !== 0) {
    throw new OptionError('EdgeCnnOptions.inputShape', `height and width must be multiples of 4 (two 2×2 pools), got ${JSON.stringify(inputShape)}`);
  }
  if (o.init !== 'he' && o.init !== 'torch') throw new OptionError('EdgeCnnOptions.init', `expected 'he' or 'torch', got ${JSON.stringify(o.init)}`);
  const config: EdgeCnnConfig = { ...o, inputShape, filters, architecture: 'edge-cnn', numClasses: checkPositiveInt('numClasses', numClasses) };
  const rng = new Rng(o.seed);
  // PyTorch's default: kernels by torchLinearInit (fan-in from the kernel's shape); biases U(±1/√fan_in) of the same layer
  const torchBias = (name: string, fanIn: number) =>
    tf.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn), seed: rng.fork(`${name}/bias`).nextUint32() });
  const input = tf.input({ shape: inputShape, name: `${o.name}_in` });
  let y: tf.SymbolicTensor = input;
  let channels = inputShape[2];
  for (let block = 1; block <= 2; block++) {
    for (let k = 1; k <= 2; k++) {
      const name = `${o.name}_b${block}_conv${k}`;
      const init = o.init === 'torch'
        ? { kernelInitializer: torchLinearInit(rng, name), biasInitializer: torchBias(name, 9 * channels) }
        : { kernelInitializer: seededHe(rng, name) };
      y = tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu', ...init }).apply(y) as tf.SymbolicTensor;
      channels = filters;
    }
    y = tf.layers.maxPooling2d({ name: `${o.name}_b${block}_pool`, poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  }
  const features = tf.layers.flatten({ name: `${o.name}_flatten` }).apply(y) as tf.SymbolicTensor;
  const fanIn = (features.shape[1] ?? 1) as number;
  const logitsName = `${o.name}_logits`;
  const logits = o.init === 'torch'
    ? (tf.layers.dense({ name: logitsName, units: config.numClasses, kernelInitializer: torchLinearInit(rng, logitsName), biasInitializer: torchBias(logitsName, fanIn) }).apply(features) as tf.SymbolicTensor)
    : logitsHead(features, config.numClasses, 0, rng, o.name);
  return studentOf(input, logits, features, o.name, config);
}
