/**
 * The paper's 3D convolutional autoencoder (CAE; trans-MRI's ConvAutoEncoder).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { Rng } from '../backend/rng.js';
import {
  batchNorm3d, checkActivation, checkVolumeShape, checkWidths, conv3d, layerNames, spatialDims,
  type ActivationName, type AutoencoderModel, type Conv3dSpec, type VolumeInputShape,
} from './building-blocks.js';
import { UpSampling3D, type UpSamplingMethod } from './upsampling3d.js';
import { ZeroPadding3D } from './padding3d.js';

/** Options of {@link buildCae}. */
export interface CaeOptions {
  /** Input shape [D, H, W, C] (channels last); required. */
  inputShape: VolumeInputShape;
  /** Feature maps of the encoder convolutions; default [8, 16, 32, 16] (the paper). A 2× max pool sits between consecutive ones. */
  widths?: number[];
  /** Kernel size of every convolution; default 3. */
  kernelSize?: number;
  /** Hidden activation; default 'elu' (the original code; the paper says ReLU). */
  activation?: ActivationName;
  /** Activation of the reconstruction; default 'sigmoid' (the original; use 'linear' for z-scored inputs). */
  outputActivation?: ActivationName;
  /**
   * Padding of the last encoder convolution; default 'same'. 'valid' reproduces the
   * original (padding 0: 108×128×108 → code 16×11×14×11) and then the first decoder
   * convolution is a "full" one (zero-pad k−1, valid conv), like its ConvTranspose.
   * Parameter counts are the same either way (62,769 for the defaults).
   */
  bottleneckPadding?: 'same' | 'valid';
  /** Decoder upsampling (the original used max-unpooling); default 'nearest'. Each upsampling restores the encoder's pre-pool shape, so odd sizes work. */
  upsampling?: UpSamplingMethod;
  /**
   * Batch norm after every hidden convolution, encoder and decoder (conv without bias → batch norm → activation);
   * default false (the original has none). Layers `<conv>_bn` (see `batchNorm3d`) and `<conv>_act` follow each such conv.
   */
  batchNorm?: boolean;
  /** Momentum of the batch norms' moving statistics (with `batchNorm`); default 0.9. */
  batchNormMomentum?: number;
  /** Element-wise input dropout rate during training (denoising AE); default 0. (The original's dropout3d on a 1-channel input dropped whole volumes, in eval too.) */
  noise?: number;
  /** Seed of the weight initialisation; default 0. */
  seed?: number;
  /** Model name; default 'cae'. The encoder is named `${name}_encoder`. */
  name?: string;
}

/** Defaults of {@link CaeOptions} (all but `inputShape`). */
export const DEFAULT_CAE: Required<Omit<CaeOptions, 'inputShape'>> = {
  widths: [8, 16, 32, 16],
  kernelSize: 3,
  activation: 'elu',
  outputActivation: 'sigmoid',
  bottleneckPadding: 'same',
  upsampling: 'nearest',
  batchNorm: false,
  batchNormMomentum: 0.9,
  noise: 0,
  seed: 0,
  name: 'cae',
};

/** The resolved, JSON-serialisable configuration of a CAE. */
export type CaeConfig = Required<CaeOptions> & { architecture: 'cae' };

function resolve(options: CaeOptions): CaeConfig {
  rejectUnknownOptions('CaeOptions', options, { inputShape: 0, ...DEFAULT_CAE });
  const o = { ...DEFAULT_CAE, ...options };
  const config: CaeConfig = {
    architecture: 'cae',
    ...o,
    inputShape: checkVolumeShape('CaeOptions.inputShape', options.inputShape),
    widths: checkWidths('CaeOptions.widths', o.widths),
    activation: checkActivation('CaeOptions.activation', o.activation),
    outputActivation: checkActivation('CaeOptions.outputActivation', o.outputActivation),
  };
  if (!Number.isInteger(o.kernelSize) || o.kernelSize < 1 || o.kernelSize % 2 === 0) throw new OptionError('CaeOptions.kernelSize', `must be an odd positive integer, got ${o.kernelSize}`);
  if (o.bottleneckPadding !== 'same' && o.bottleneckPadding !== 'valid') throw new OptionError('CaeOptions.bottleneckPadding', `must be 'same' or 'valid', got ${String(o.bottleneckPadding)}`);
  if (o.upsampling !== 'nearest' && o.upsampling !== 'trilinear') throw new OptionError('CaeOptions.upsampling', `must be 'nearest' or 'trilinear', got ${String(o.upsampling)}`);
  if (!(o.noise >= 0 && o.noise < 1)) throw new OptionError('CaeOptions.noise', `must be in [0, 1), got ${o.noise}`);
  if (typeof o.batchNorm !== 'boolean') throw new OptionError('CaeOptions.batchNorm', `must be true or false, got ${JSON.stringify(o.batchNorm)}`);
  if (!(o.batchNormMomentum >= 0 && o.batchNormMomentum < 1)) throw new OptionError('CaeOptions.batchNormMomentum', `must be in [0, 1), got ${o.batchNormMomentum}`);
  if (!Number.isFinite(o.seed)) throw new OptionError('CaeOptions.seed', `must be a finite number, got ${o.seed}`);
  return config;
}

/**
 * Builds the CAE: encoder convs (k³, `widths` feature maps, activation) with 2× max
 * pooling between them; decoder mirrored (conv, 2× upsampling to the recorded
 * pre-pool shape, ..., a final conv to the input channels with `outputActivation`).
 * Kernels are he-normal (seeded), biases 0. With the defaults and one input channel
 * the model has 62,769 parameters, like the original.
 * @example
 * const cae = buildCae({ inputShape: [16, 16, 16, 1] });
 * const [reconstruction, code] = cae.model.predict(x) as tf.Tensor[];
 */
export function buildCae(options: CaeOptions): AutoencoderModel<CaeConfig> {
  const config = resolve(options);
  const { widths, kernelSize: k, activation, name } = config;
  const rng = new Rng(config.seed);
  const depth = widths.length;
  let minSize = Math.min(...config.inputShape.slice(0, 3));
  for (let i = 1; i < depth; i++) minSize = Math.floor(minSize / 2);
  if (minSize < 1 || (config.bottleneckPadding === 'valid' && minSize < k)) {
    throw new ShapeError(`buildCae: input too small for ${depth - 1} poolings${config.bottleneckPadding === 'valid' ? ' and a valid bottleneck conv' : ''}`,
      [], config.inputShape);
  }

  // A hidden convolution: with batchNorm, conv (no bias) → batch norm → activation.
  const hidden = (x: tf.SymbolicTensor, spec: Omit<Conv3dSpec, 'kernelSize'>): tf.SymbolicTensor => {
    if (!config.batchNorm) return conv3d(x, { ...spec, kernelSize: k }, rng);
    const y = conv3d(x, { ...spec, kernelSize: k, activation: 'linear', useBias: false }, rng);
    const normed = batchNorm3d(y, `${spec.name}_bn`, config.batchNormMomentum);
    return tf.layers.activation({ activation: spec.activation, name: `${spec.name}_act` }).apply(normed) as tf.SymbolicTensor;
  };

  const input = tf.input({ shape: config.inputShape, name: `${name}_input` });
  let x: tf.SymbolicTensor = input;
  if (config.noise > 0) x = tf.layers.dropout({ rate: config.noise, name: 'enc_noise' }).apply(x) as tf.SymbolicTensor;
  const prePool: Array<[number, number, number]> = [];
  for (let i = 0; i < depth; i++) {
    if (i > 0) {
      prePool.push(spatialDims(x, 'buildCae'));
      x = tf.layers.maxPooling3d({ poolSize: 2, strides: 2, padding: 'valid', name: `enc_pool${i}` }).apply(x) as tf.SymbolicTensor;
    }
    const padding = i === depth - 1 ? config.bottleneckPadding : 'same';
    x = hidden(x, { name: `enc_conv${i + 1}`, filters: widths[i], activation, padding });
  }
  const code = x;
  const encoder = tf.model({ inputs: input, outputs: code, name: `${name}_encoder` });

  const reversed = [...widths].reverse();
  for (let j = 0; j < depth; j++) {
    const last = j === depth - 1;
    const filters = last ? config.inputShape[3] : reversed[j + 1];
    let padding: 'same' | 'valid' = 'same';
    if (j === 0 && config.bottleneckPadding === 'valid') {
      const p: [number, number] = [k - 1, k - 1];
      x = new ZeroPadding3D({ padding: [p, p, p], name: 'dec_pad1' }).apply(x) as tf.SymbolicTensor;
      padding = 'valid';
    }
    x = last ? conv3d(x, { name: `dec_conv${j + 1}`, filters, kernelSize: k, activation: config.outputActivation, padding }, rng) : hidden(x, { name: `dec_conv${j + 1}`, filters, activation, padding });
    if (!last) {
      x = new UpSampling3D({ method: config.upsampling, outputSize: prePool[depth - 2 - j], name: `dec_up${j + 1}` }).apply(x) as tf.SymbolicTensor;
    }
  }
  const model = tf.model({ inputs: input, outputs: [x, code], name });
  return { kind: 'autoencoder', model, encoder, encoderLayerNames: layerNames(encoder), config };
}
