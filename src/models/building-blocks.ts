/**
 * Types and small builders shared by the model files: the returned model
 * structures, activations, seeded initialisers and a 3D conv helper.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError } from '../backend/errors.js';
import { Rng } from '../backend/rng.js';

/** A tfjs weight initialiser. */
export type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/** Activations accepted by the model builders (tfjs activation identifiers). */
export type ActivationName = 'elu' | 'relu' | 'selu' | 'tanh' | 'sigmoid' | 'softplus' | 'linear';
const ACTIVATIONS: readonly ActivationName[] = ['elu', 'relu', 'selu', 'tanh', 'sigmoid', 'softplus', 'linear'];

/** Input shape of a 3D model: [depth, height, width, channels]. */
export type VolumeInputShape = [number, number, number, number];

/**
 * An autoencoder: `model` maps a batch to [reconstruction, code]; `encoder` (sharing its layers) maps it to the code.
 * Ownership: `model.dispose()` frees every weight (the encoder's too); do not dispose `encoder` separately.
 */
export interface AutoencoderModel<C = object> {
  kind: 'autoencoder';
  /** Outputs [reconstruction, code]; the code (bottleneck activations) feeds the L1 sparsity loss. */
  model: tf.LayersModel;
  /** Input → code; shares its layers (and weights) with `model`. */
  encoder: tf.LayersModel;
  /** Names of the encoder's layers in `model` (input layer included), for freezing. */
  encoderLayerNames: string[];
  /** The resolved options (plain JSON): rebuilds the same architecture. */
  config: C;
}

/** A classifier: `model` maps a batch to logits [N, numClasses]. */
export interface ClassifierModel<C = object> {
  kind: 'classifier';
  model: tf.LayersModel;
  /** Names of the encoder's layers in `model` (input layer included), for freezing. */
  encoderLayerNames: string[];
  config: C;
}

/** An autoencoder with a classification head on its code: `model` outputs [reconstruction, code, logits]. */
export interface MultitaskModel<C = object> {
  kind: 'multitask';
  model: tf.LayersModel;
  /** Input → code; shares its layers with `model`. */
  encoder: tf.LayersModel;
  encoderLayerNames: string[];
  config: C;
}

/** Throws an OptionError unless `name` is a known activation. */
export function checkActivation(option: string, name: string): ActivationName {
  if (!ACTIVATIONS.includes(name as ActivationName)) {
    throw new OptionError(option, `unknown activation "${name}" (expected ${ACTIVATIONS.join(', ')})`);
  }
  return name as ActivationName;
}

/** Throws unless `shape` is [D, H, W, C] with positive integers. */
export function checkVolumeShape(option: string, shape: readonly number[] | undefined): VolumeInputShape {
  if (!Array.isArray(shape) || shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new OptionError(option, `must be [depth, height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape] as VolumeInputShape;
}

/** Throws unless `values` is a non-empty array of positive integers. */
export function checkWidths(option: string, values: readonly number[]): number[] {
  if (!Array.isArray(values) || values.length === 0 || values.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new OptionError(option, `must be a non-empty array of positive integers, got ${JSON.stringify(values)}`);
  }
  return [...values];
}

/**
 * He-normal (Kaiming, fan-in, gain √2) kernel initialiser seeded from `rng` and the layer name.
 * tfjs draws from a normal truncated at 2σ (PyTorch's kaiming_normal_ does not truncate).
 */
export function heNormal(rng: Rng, layerName: string): Initializer {
  return tf.initializers.heNormal({ seed: rng.fork(layerName).nextUint32() });
}

/** PyTorch's default nn.Linear weight initialiser: U(±1/√fan_in), seeded. */
export function torchLinearInit(rng: Rng, layerName: string): Initializer {
  return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: rng.fork(layerName).nextUint32() });
}

/** Spatial dims [D, H, W] of a rank-5 symbolic tensor (throws if unknown). */
export function spatialDims(x: tf.SymbolicTensor, where: string): [number, number, number] {
  const s = x.shape;
  if (s.length !== 5 || s.slice(1, 4).some((d) => d === null || d < 1)) {
    throw new ShapeError(`${where}: expected a volume [batch, D, H, W, C]`, [null, null, null, null, null], s.map((d) => d ?? -1));
  }
  return [s[1], s[2], s[3]] as [number, number, number];
}

/** Arguments of {@link conv3d}. */
export interface Conv3dSpec {
  name: string;
  filters: number;
  kernelSize: number;
  activation: ActivationName;
  padding?: 'same' | 'valid';
  strides?: number;
  /** Add a bias; default true (off before a batch norm, which has its own shift). */
  useBias?: boolean;
}

/** A Conv3D layer (he-normal kernel, zero bias) applied to `x`. */
export function conv3d(x: tf.SymbolicTensor, spec: Conv3dSpec, rng: Rng): tf.SymbolicTensor {
  return tf.layers.conv3d({
    name: spec.name,
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    strides: spec.strides ?? 1,
    padding: spec.padding ?? 'same',
    activation: spec.activation,
    useBias: spec.useBias ?? true,
    kernelInitializer: heNormal(rng, spec.name),
    biasInitializer: 'zeros',
  }).apply(x) as tf.SymbolicTensor;
}

/**
 * Batch norm of a volume [N, D, H, W, C] per channel, over N·D·H·W values. tfjs' BatchNormalization
 * supports ranks 2–4 only, so it runs on the [N, D·H, W, C] view (layers `${name}_fold`, `name`,
 * `${name}_unfold`): the same statistics, and plain layers that save and load like any other.
 */
export function batchNorm3d(x: tf.SymbolicTensor, name: string, momentum: number): tf.SymbolicTensor {
  const [d, h, w] = spatialDims(x, 'batchNorm3d');
  const c = x.shape[4] as number;
  const folded = tf.layers.reshape({ targetShape: [d * h, w, c], name: `${name}_fold` }).apply(x) as tf.SymbolicTensor;
  const normed = tf.layers.batchNormalization({ axis: -1, momentum, epsilon: 1e-3, name }).apply(folded) as tf.SymbolicTensor;
  return tf.layers.reshape({ targetShape: [d, h, w, c], name: `${name}_unfold` }).apply(normed) as tf.SymbolicTensor;
}

/** Names of the layers of `model` (its input layers included). */
export function layerNames(model: tf.LayersModel): string[] {
  return model.layers.map((l) => l.name);
}
