/**
 * The strided residual convolutional autoencoder (SRCAE; trans-MRI's StridedAutoEncoder).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { Rng } from '../backend/rng.js';
import {
  checkActivation, checkVolumeShape, checkWidths, conv3d, layerNames, spatialDims,
  type ActivationName, type AutoencoderModel, type VolumeInputShape,
} from './building-blocks.js';
import { UpSampling3D, type UpSamplingMethod } from './upsampling3d.js';

/** Options of {@link buildSrcae}. */
export interface SrcaeOptions {
  /** Input shape [D, H, W, C] (channels last); required. */
  inputShape: VolumeInputShape;
  /** Output feature maps of the encoder blocks (each halves the size); default [8, 16, 16] (the original). */
  widths?: number[];
  /** Feature maps of the k3 convolution inside every block; default 7 (the original). */
  hidden?: number;
  /** Kernel size of the in-block convolution; default 3. */
  kernelSize?: number;
  /** Kernel size of the strided (encoder) / post-upsampling (decoder) convolution; default 4. */
  stridedKernelSize?: number;
  /** Hidden activation (every block, encoder and decoder); default 'elu'. */
  activation?: ActivationName;
  /** Activation of the reconstruction only; default 'linear'. (The original put Sigmoid on inner decoder blocks and ELU on the output: inverted.) */
  outputActivation?: ActivationName;
  /** Channel-wise (spatial) dropout after the in-block conv of encoder blocks, training only; default 0.1 (the original). */
  dropout?: number;
  /** Decoder upsampling before each k4 conv (replaces the original's stride-2 ConvTranspose); default 'nearest'. */
  upsampling?: UpSamplingMethod;
  /** Seed of the weight initialisation; default 0. */
  seed?: number;
  /** Model name; default 'srcae'. */
  name?: string;
}

/** Defaults of {@link SrcaeOptions} (all but `inputShape`). */
export const DEFAULT_SRCAE: Required<Omit<SrcaeOptions, 'inputShape'>> = {
  widths: [8, 16, 16],
  hidden: 7,
  kernelSize: 3,
  stridedKernelSize: 4,
  activation: 'elu',
  outputActivation: 'linear',
  dropout: 0.1,
  upsampling: 'nearest',
  seed: 0,
  name: 'srcae',
};

/** The resolved, JSON-serialisable configuration of an SRCAE. */
export type SrcaeConfig = Required<SrcaeOptions> & { architecture: 'srcae' };

function resolve(options: SrcaeOptions): SrcaeConfig {
  rejectUnknownOptions('SrcaeOptions', options, { inputShape: 0, ...DEFAULT_SRCAE });
  const o = { ...DEFAULT_SRCAE, ...options };
  const config: SrcaeConfig = {
    architecture: 'srcae',
    ...o,
    inputShape: checkVolumeShape('SrcaeOptions.inputShape', options.inputShape),
    widths: checkWidths('SrcaeOptions.widths', o.widths),
    activation: checkActivation('SrcaeOptions.activation', o.activation),
    outputActivation: checkActivation('SrcaeOptions.outputActivation', o.outputActivation),
  };
  for (const key of ['hidden', 'kernelSize', 'stridedKernelSize'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new OptionError(`SrcaeOptions.${key}`, `must be a positive integer, got ${o[key]}`);
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError('SrcaeOptions.dropout', `must be in [0, 1), got ${o.dropout}`);
  if (o.upsampling !== 'nearest' && o.upsampling !== 'trilinear') throw new OptionError('SrcaeOptions.upsampling', `must be 'nearest' or 'trilinear', got ${String(o.upsampling)}`);
  if (!Number.isFinite(o.seed)) throw new OptionError('SrcaeOptions.seed', `must be a finite number, got ${o.seed}`);
  return config;
}

/**
 * Builds the SRCAE. Encoder block (cin → cs): h = act(conv k3, `hidden` maps),
 * spatial dropout, out = act(conv k4 stride 2 'same' over concat[h, x]) → halves
 * the size. Decoder block (mirrored): h = act(conv k3), upsample concat[h, x] to the
 * matching encoder shape, out = conv k4 over it with the hidden activation, except
 * the last block which uses `outputActivation`. With the defaults and one input
 * channel the model has 91,688 parameters, like the original.
 * @example const ae = buildSrcae({ inputShape: [16, 16, 16, 1] });
 */
export function buildSrcae(options: SrcaeOptions): AutoencoderModel<SrcaeConfig> {
  const config = resolve(options);
  const { widths, hidden, kernelSize: k, stridedKernelSize: ks, activation, name } = config;
  const rng = new Rng(config.seed);
  const depth = widths.length;
  if (Math.min(...config.inputShape.slice(0, 3)) < 2 ** (depth - 1)) {
    throw new ShapeError(`buildSrcae: input too small for ${depth} stride-2 blocks`, [], config.inputShape);
  }

  const input = tf.input({ shape: config.inputShape, name: `${name}_input` });
  let x: tf.SymbolicTensor = input;
  const blockInputs: Array<[number, number, number]> = [];
  for (let i = 0; i < depth; i++) {
    blockInputs.push(spatialDims(x, 'buildSrcae'));
    const b = `enc${i + 1}`;
    let h = conv3d(x, { name: `${b}_conv`, filters: hidden, kernelSize: k, activation }, rng);
    if (config.dropout > 0) {
      h = tf.layers.dropout({ rate: config.dropout, noiseShape: [null, 1, 1, 1, hidden] as unknown as number[], name: `${b}_dropout` }).apply(h) as tf.SymbolicTensor;
    }
    const cat = tf.layers.concatenate({ axis: -1, name: `${b}_concat` }).apply([h, x]) as tf.SymbolicTensor;
    x = conv3d(cat, { name: `${b}_down`, filters: widths[i], kernelSize: ks, strides: 2, padding: 'same', activation }, rng);
  }
  const code = x;
  const encoder = tf.model({ inputs: input, outputs: code, name: `${name}_encoder` });

  const reversed = [...widths].reverse();
  for (let j = 0; j < depth; j++) {
    const last = j === depth - 1;
    const b = `dec${j + 1}`;
    const h = conv3d(x, { name: `${b}_conv`, filters: hidden, kernelSize: k, activation }, rng);
    const cat = tf.layers.concatenate({ axis: -1, name: `${b}_concat` }).apply([h, x]) as tf.SymbolicTensor;
    const up = new UpSampling3D({ method: config.upsampling, outputSize: blockInputs[depth - 1 - j], name: `${b}_up` }).apply(cat) as tf.SymbolicTensor;
    const filters = last ? config.inputShape[3] : reversed[j + 1];
    x = conv3d(up, { name: `${b}_out`, filters, kernelSize: ks, activation: last ? config.outputActivation : activation }, rng);
  }
  const model = tf.model({ inputs: input, outputs: [x, code], name });
  return { kind: 'autoencoder', model, encoder, encoderLayerNames: layerNames(encoder), config };
}
