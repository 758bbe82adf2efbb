/**
 * Classifiers on top of an encoder: transfer (weights copied from a trained
 * encoder), from scratch (same architecture, fresh weights) and multitask
 * (autoencoder + head on the code, sharing the encoder).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { Rng } from '../backend/rng.js';
import { layerNames, torchLinearInit, type AutoencoderModel, type ClassifierModel, type MultitaskModel } from './building-blocks.js';
import { buildCae, type CaeConfig, type CaeOptions } from './cae.js';
import { buildSrcae, type SrcaeConfig, type SrcaeOptions } from './srcae.js';

/** Options of the classification head. */
export interface HeadOptions {
  /** Number of classes (≥ 2); required. */
  numClasses: number;
  /** How the code becomes a vector: 'flatten', global 'avg' or global 'max' over the spatial axes; default 'avg'. */
  pooling?: 'flatten' | 'avg' | 'max';
  /** Dropout rate before the last dense layer (training only); default 0.5. */
  dropout?: number;
  /** Units of a hidden ReLU dense layer (the original's Linear(nf, 32)); 0 = none; default 32. */
  hidden?: number;
  /** Seed of the head's initialisation (PyTorch's nn.Linear default, U(±1/√fan_in)); default 0. */
  seed?: number;
}

/** Defaults of {@link HeadOptions} (all but `numClasses`). */
export const DEFAULT_HEAD: Required<Omit<HeadOptions, 'numClasses'>> = { pooling: 'avg', dropout: 0.5, hidden: 32, seed: 0 };

/** The resolved head configuration. */
export type HeadConfig = Required<HeadOptions>;

function resolveHead(where: string, options: HeadOptions): HeadConfig {
  const o = { ...DEFAULT_HEAD, ...options };
  if (!Number.isInteger(o.numClasses) || o.numClasses < 2) throw new OptionError(`${where}.numClasses`, `must be an integer ≥ 2, got ${o.numClasses}`);
  if (!['flatten', 'avg', 'max'].includes(o.pooling)) throw new OptionError(`${where}.pooling`, `must be 'flatten', 'avg' or 'max', got ${String(o.pooling)}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError(`${where}.dropout`, `must be in [0, 1), got ${o.dropout}`);
  if (!Number.isInteger(o.hidden) || o.hidden < 0) throw new OptionError(`${where}.hidden`, `must be an integer ≥ 0, got ${o.hidden}`);
  if (!Number.isFinite(o.seed)) throw new OptionError(`${where}.seed`, `must be a finite number, got ${o.seed}`);
  return o;
}

/** Applies the head (pool/flatten → [dense ReLU] → dropout → dense logits) to `code`; layers are named `head_*`. */
function applyHead(code: tf.SymbolicTensor, head: HeadConfig): tf.SymbolicTensor {
  const rng = new Rng(head.seed).fork('head');
  const shape = code.shape;
  if (shape.slice(1).some((d) => d === null)) throw new ShapeError('classifier head: the code shape must be fully known', [], shape.map((d) => d ?? -1));
  let x = code;
  if (shape.length > 2) {
    if (head.pooling === 'flatten') {
      x = tf.layers.flatten({ name: 'head_flatten' }).apply(x) as tf.SymbolicTensor;
    } else {
      const channels = shape[shape.length - 1] as number;
      const positions = (shape.slice(1, -1) as number[]).reduce((a, b) => a * b, 1);
      x = tf.layers.reshape({ targetShape: [positions, channels], name: 'head_reshape' }).apply(x) as tf.SymbolicTensor;
      const pool = head.pooling === 'avg' ? tf.layers.globalAveragePooling1d({ name: 'head_pool' }) : tf.layers.globalMaxPooling1d({ name: 'head_pool' });
      x = pool.apply(x) as tf.SymbolicTensor;
    }
  }
  if (head.hidden > 0) {
    x = tf.layers.dense({ units: head.hidden, activation: 'relu', name: 'head_hidden', kernelInitializer: torchLinearInit(rng, 'head_hidden') }).apply(x) as tf.SymbolicTensor;
  }
  if (head.dropout > 0) x = tf.layers.dropout({ rate: head.dropout, name: 'head_dropout' }).apply(x) as tf.SymbolicTensor;
  return tf.layers.dense({ units: head.numClasses, name: 'head_logits', kernelInitializer: torchLinearInit(rng, 'head_logits') }).apply(x) as tf.SymbolicTensor;
}

/** Configuration of a classifier built from an encoder. */
export interface EncoderClassifierConfig {
  architecture: 'encoder-classifier';
  /** Name of the source encoder model. */
  encoder: string;
  head: HeadConfig;
}

/**
 * A classifier made of a COPY of `encoder` (same topology, weights copied; the
 * source is never changed by training the classifier) and a freshly initialised head.
 * @param encoder a model with one input and one output (the code), e.g. `buildCae(...).encoder`
 * @example
 * const clf = classifierFromEncoder(cae.encoder, { numClasses: 2 });
 * clf.model.getLayer(clf.encoderLayerNames[1]).trainable = false;
 */
export function classifierFromEncoder(encoder: tf.LayersModel, options: HeadOptions): ClassifierModel<EncoderClassifierConfig> {
  rejectUnknownOptions('HeadOptions', options, { numClasses: 0, ...DEFAULT_HEAD });
  const head = resolveHead('HeadOptions', options);
  if (encoder.inputs.length !== 1 || encoder.outputs.length !== 1) {
    throw new OptionError('classifierFromEncoder.encoder', `must have one input and one output, got ${encoder.inputs.length} and ${encoder.outputs.length}`);
  }
  const copy = tf.LayersModel.fromConfig(tf.LayersModel, encoder.getConfig()) as tf.LayersModel;
  const weights = encoder.getWeights();
  copy.setWeights(weights);
  const logits = applyHead(copy.outputs[0], head);
  const model = tf.model({ inputs: copy.inputs, outputs: logits, name: `${encoder.name}_classifier` });
  return { kind: 'classifier', model, encoderLayerNames: layerNames(copy), config: { architecture: 'encoder-classifier', encoder: encoder.name, head } };
}

/** Which autoencoder family an encoder comes from, with its options. */
export type BackboneOptions = ({ architecture: 'cae' } & CaeOptions) | ({ architecture: 'srcae' } & SrcaeOptions);

function buildBackbone(where: string, backbone: BackboneOptions) {
  if (backbone === null || typeof backbone !== 'object') throw new OptionError(`${where}.backbone`, 'is required');
  const { architecture, ...rest } = backbone;
  if (architecture === 'cae') return buildCae(rest as CaeOptions);
  if (architecture === 'srcae') return buildSrcae(rest as SrcaeOptions);
  throw new OptionError(`${where}.backbone.architecture`, `must be 'cae' or 'srcae', got ${String(architecture)}`);
}

/** Options of {@link buildClassifier} and {@link buildMultitask}: a backbone plus the head options. */
export interface BackboneHeadOptions extends HeadOptions {
  /** The encoder's architecture and options, e.g. `{ architecture: 'cae', inputShape: [16, 16, 16, 1] }`; required. */
  backbone: BackboneOptions;
}

/** Configuration of {@link buildClassifier}/{@link buildMultitask} models. */
export interface BackboneHeadConfig {
  architecture: 'classifier' | 'multitask';
  backbone: (CaeConfig | SrcaeConfig);
  head: HeadConfig;
}

/**
 * A classifier trained from scratch with the same architecture as a transferred
 * one: a freshly initialised encoder of `backbone` + the head.
 * @example const clf = buildClassifier({ backbone: { architecture: 'cae', inputShape: [16, 16, 16, 1] }, numClasses: 2 });
 */
export function buildClassifier(options: BackboneHeadOptions): ClassifierModel<BackboneHeadConfig> {
  rejectUnknownOptions('BackboneHeadOptions', options, { backbone: 0, numClasses: 0, ...DEFAULT_HEAD });
  const { backbone, ...headOptions } = options;
  const head = resolveHead('BackboneHeadOptions', headOptions);
  const ae = buildBackbone('BackboneHeadOptions', backbone);
  try {
    const clf = classifierFromEncoder(ae.encoder, head);
    return { ...clf, config: { architecture: 'classifier', backbone: ae.config, head } };
  } finally {
    ae.model.dispose();
  }
}

/**
 * An autoencoder and a classification head on its code, sharing the encoder:
 * `model` outputs [reconstruction, code, logits] (train with `multitaskLoss`).
 * @example const mt = buildMultitask({ backbone: { architecture: 'cae', inputShape: [16, 16, 16, 1] }, numClasses: 2 });
 */
export function buildMultitask(options: BackboneHeadOptions): MultitaskModel<BackboneHeadConfig> {
  rejectUnknownOptions('BackboneHeadOptions', options, { backbone: 0, numClasses: 0, ...DEFAULT_HEAD });
  const { backbone, ...headOptions } = options;
  const head = resolveHead('BackboneHeadOptions', headOptions);
  const ae = buildBackbone('BackboneHeadOptions', backbone);
  const mt = multitaskFromAutoencoder<CaeConfig | SrcaeConfig>(ae, head);
  return { ...mt, config: { architecture: 'multitask', backbone: ae.config, head } };
}

/**
 * Adds a freshly initialised classification head to an existing (e.g. pretrained)
 * autoencoder. The result SHARES the autoencoder's layers and weights (no copy):
 * training it changes `ae.model`, and disposing either disposes both.
 * @param ae an autoencoder whose model outputs [reconstruction, code]
 * @example const mt = multitaskFromAutoencoder(pretrained, { numClasses: 2 });
 */
export function multitaskFromAutoencoder<C>(ae: AutoencoderModel<C>, options: HeadOptions): MultitaskModel<{ architecture: 'multitask'; backbone: C; head: HeadConfig }> {
  rejectUnknownOptions('HeadOptions', options, { numClasses: 0, ...DEFAULT_HEAD });
  const head = resolveHead('HeadOptions', options);
  if (ae.model.outputs.length !== 2) throw new OptionError('multitaskFromAutoencoder.ae', `model must output [reconstruction, code], got ${ae.model.outputs.length} outputs`);
  const [reconstruction, code] = ae.model.outputs;
  const logits = applyHead(code, head);
  const model = tf.model({ inputs: ae.model.inputs, outputs: [reconstruction, code, logits], name: `${ae.model.name}_multitask` });
  return { kind: 'multitask', model, encoder: ae.encoder, encoderLayerNames: ae.encoderLayerNames, config: { architecture: 'multitask', backbone: ae.config, head } };
}
