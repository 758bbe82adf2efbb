/**
 * A small 2D ResNet (basic blocks, batch norm) to train from scratch as a 2D teacher, or as a larger
 * student: conv 3×3 stem (+ optional 2×2 max-pool), one stage of basic blocks per width, global
 * average pooling (the features), dense logits.
 *
 * With the defaults (widths 32/64/128/192, one block per stage) and a 128×128×3 input with 4 classes it
 * has 886,820 trainable parameters (889,316 with the batch-norm moving statistics), the from-scratch
 * teacher of the edge-distillation anchor run (96.95 % on brain-tumor-mri in PyTorch).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { fusedBatchNormalization } from '../students/batch-norm.js';
import { checkBodyOptions, checkImageShape, checkPositiveInt, logitsHead, seededHe, studentOf, type StudentModel } from '../students/student-cnn.js';

/** Options of {@link resnet2d}. */
export interface ResNet2dOptions {
  /** Input [height, width, channels]; required. */
  inputShape: [number, number, number];
  /** Filters of each stage (the stem has the first); default [32, 64, 128, 192]. */
  widths?: number[];
  /** Basic blocks per stage (one number for all stages, or one per stage); default 1. */
  blocks?: number | number[];
  /** Stride of the stem convolution (1 or 2); default 2. */
  stemStride?: 1 | 2;
  /** 2×2 max-pool after the stem; default true (with stemStride 2 the first stage runs at 1/4 of the input size). */
  stemPool?: boolean;
  /** Momentum of the batch-norm moving statistics; default 0.9 (see StudentCnnOptions.batchNormMomentum). */
  batchNormMomentum?: number;
  /** Dropout rate before the classification layer, in [0, 1); default 0. */
  dropout?: number;
  /** Seed of the weight initialisers; default 0. */
  seed?: number;
  /** Prefix of the layer names (and the model name); default 'resnet2d'. */
  name?: string;
}

/** Defaults of {@link ResNet2dOptions} (all but inputShape). */
export const DEFAULT_RESNET2D: Required<Omit<ResNet2dOptions, 'inputShape'>> = {
  widths: [32, 64, 128, 192],
  blocks: 1,
  stemStride: 2,
  stemPool: true,
  batchNormMomentum: 0.9,
  dropout: 0,
  seed: 0,
  name: 'resnet2d',
};

/** Resolved options of {@link resnet2d} (plain JSON: rebuilds the same architecture). */
export interface ResNet2dConfig extends Required<Omit<ResNet2dOptions, 'blocks'>> {
  architecture: 'resnet2d';
  /** Blocks per stage, one entry per width. */
  blocks: number[];
  numClasses: number;
}

/**
 * The ResNet; stage i > 0 halves the spatial size in its first block (strided conv, with a 1×1 strided
 * conv + batch norm on the shortcut). Its features are the pooled output of the last stage.
 * @example
 * const teacher = resnet2d({ inputShape: [128, 128, 3] }, 4); // 886,820 trainable parameters
 */
export function resnet2d(options: ResNet2dOptions, numClasses: number): StudentModel<ResNet2dConfig> {
  rejectUnknownOptions('ResNet2dOptions', options, { ...DEFAULT_RESNET2D, inputShape: undefined });
  const o = { ...DEFAULT_RESNET2D, ...options };
  const inputShape = checkImageShape('ResNet2dOptions.inputShape', options.inputShape);
  checkBodyOptions('ResNet2dOptions', o);
  const blocks = typeof o.blocks === 'number' ? o.widths.map(() => o.blocks as number) : o.blocks;
  if (!Array.isArray(blocks) || blocks.length !== o.widths.length || blocks.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new OptionError('ResNet2dOptions.blocks', `must be a positive integer or one per width (${o.widths.length}), got ${JSON.stringify(o.blocks)}`);
  }
  if (o.stemStride !== 1 && o.stemStride !== 2) throw new OptionError('ResNet2dOptions.stemStride', `must be 1 or 2, got ${JSON.stringify(o.stemStride)}`);
  if (typeof o.stemPool !== 'boolean') throw new OptionError('ResNet2dOptions.stemPool', `must be true or false, got ${JSON.stringify(o.stemPool)}`);
  const downsample = o.stemStride * (o.stemPool ? 2 : 1) * 2 ** (o.widths.length - 1);
  if (inputShape[0] < downsample || inputShape[1] < downsample) {
    throw new OptionError('ResNet2dOptions.inputShape', `height and width must be at least ${downsample} (the stem and ${o.widths.length - 1} strided stages), got ${JSON.stringify(inputShape)}`);
  }
  const config: ResNet2dConfig = { ...o, inputShape, widths: [...o.widths], blocks, architecture: 'resnet2d', numClasses: checkPositiveInt('numClasses', numClasses) };

  const rng = new Rng(o.seed);
  const p = o.name;
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, kernelSize: number, strides: number): tf.SymbolicTensor =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: seededHe(rng, name) }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => fusedBatchNormalization({ name, momentum: o.batchNormMomentum }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: inputShape, name: `${p}_in` });
  let y = relu(bn(conv(input, `${p}_stem_conv`, o.widths[0], 3, o.stemStride), `${p}_stem_bn`), `${p}_stem_relu`);
  if (o.stemPool) y = tf.layers.maxPooling2d({ name: `${p}_stem_pool`, poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  let channels = o.widths[0];
  o.widths.forEach((width, stage) => {
    for (let b = 0; b < blocks[stage]; b++) {
      const n = `${p}_s${stage + 1}b${b + 1}`;
      const strides = stage > 0 && b === 0 ? 2 : 1;
      let r = relu(bn(conv(y, `${n}_conv1`, width, 3, strides), `${n}_bn1`), `${n}_relu1`);
      r = bn(conv(r, `${n}_conv2`, width, 3, 1), `${n}_bn2`);
      const shortcut = strides !== 1 || channels !== width ? bn(conv(y, `${n}_proj`, width, 1, strides), `${n}_proj_bn`) : y;
      y = relu(tf.layers.add({ name: `${n}_add` }).apply([r, shortcut]) as tf.SymbolicTensor, `${n}_relu2`);
      channels = width;
    }
  });
  const features = tf.layers.globalAveragePooling2d({ name: `${p}_gap` }).apply(y) as tf.SymbolicTensor;
  const logits = logitsHead(features, config.numClasses, o.dropout, rng, p);
  return studentOf(input, logits, features, p, config);
}
