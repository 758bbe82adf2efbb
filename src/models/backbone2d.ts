/**
 * Pretrained 2D backbones: a user's tfjs LayersModel (e.g. a converted Keras
 * VGG19 or EfficientNetB0) becomes the feature extractor of a classifier with
 * the input normalisation inside the model and a fresh head on top.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { loadLayersModelFrom } from '../backend/file-io.js';
import { Rng } from '../backend/rng.js';
import { BackboneNormalization, resolveNormalization, type NormalizationPreset, type NormalizationSpec } from './backbone2d-normalize.js';
import { torchLinearInit, type ClassifierModel } from './building-blocks.js';

/** Options of {@link backboneClassifier}. */
export interface BackboneClassifierOptions {
  /** Number of classes (≥ 2); required. */
  numClasses: number;
  /** Input [height, width] of the classifier; must match the backbone's input where that is fixed; required. */
  inputSize: [number, number];
  /** Channels of the data fed to the classifier (1 = grey, replicated when the backbone wants 3); default 1. */
  channels?: 1 | 3;
  /** Maximum input value the presets assume (255 for 8-bit images, 1 for [0, 1] data); default 255. */
  inputMax?: number;
  /** Normalisation inside the model: a preset (see resolveNormalization) or { mean, std, scale? }; default 'none'. */
  normalization?: NormalizationPreset | NormalizationSpec;
  /** Layer to cut the backbone at; default the layer before its first flatten/global-pooling layer, else its output. */
  featureLayer?: string;
  /** How 4D features become a vector: global 'avg', global 'max' or 'flatten'; default 'avg'. */
  pooling?: 'avg' | 'max' | 'flatten';
  /** Dropout rate before the logits (training only); default 0.5. */
  dropout?: number;
  /** Units of a hidden ReLU dense layer; 0 = none; default 0. */
  hidden?: number;
  /** Seed of the head's initialisation; default 0. */
  seed?: number;
  /** Passed to loadLayersModelFrom when `source` is a string; default true. */
  strict?: boolean;
}

/** Defaults of {@link BackboneClassifierOptions} (all but numClasses and inputSize). */
export const DEFAULT_BACKBONE_CLASSIFIER = {
  channels: 1 as 1 | 3,
  inputMax: 255,
  normalization: 'none' as NormalizationPreset | NormalizationSpec,
  featureLayer: undefined as string | undefined,
  pooling: 'avg' as 'avg' | 'max' | 'flatten',
  dropout: 0.5,
  hidden: 0,
  seed: 0,
  strict: true,
};

/** The resolved configuration stored with the classifier. */
export interface BackboneClassifierConfig {
  architecture: 'backbone2d';
  /** Where the backbone came from: the path/URL, or the model's name. */
  source: string;
  featureLayer: string;
  backboneInput: Array<number | null>;
  numClasses: number;
  inputSize: [number, number];
  channels: 1 | 3;
  normalization: Required<NormalizationSpec>;
  pooling: 'avg' | 'max' | 'flatten';
  dropout: number;
  hidden: number;
  seed: number;
}

/**
 * A classifier on a pretrained backbone. `encoder` (input → backbone features, sharing
 * weights with `model`) is what `learner.encode()` uses; `model.dispose()` frees both.
 */
export interface BackboneClassifierModel extends ClassifierModel<BackboneClassifierConfig> {
  encoder: tf.LayersModel;
}

const TOP_CLASSES = new Set(['Flatten', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D']);

/** The backbone's feature layer: the named one, or the input of its first top (flatten/global pooling) layer, or its last layer. */
function featureLayerOf(backbone: tf.LayersModel, name: string | undefined): tf.layers.Layer {
  if (name !== undefined) {
    if (!backbone.layers.some((l) => l.name === name)) throw new OptionError('BackboneClassifierOptions.featureLayer', `no layer named "${name}" in model ${backbone.name}`);
    return backbone.getLayer(name);
  }
  const top = backbone.layers.findIndex((l) => TOP_CLASSES.has(l.getClassName()));
  if (top > 0) {
    const input = backbone.layers[top].input as tf.SymbolicTensor;
    const before = backbone.layers.slice(0, top).reverse().find((l) => l.output === input);
    if (before) return before;
  }
  return backbone.layers[backbone.layers.length - 1];
}

/**
 * Loads (or takes) a 2D backbone and builds `input → normalisation → backbone
 * (cut at its feature layer) → pooling → [hidden] → dropout → logits`.
 * The backbone is a COPY (a model passed in is never changed by training);
 * `encoderLayerNames` names the input, normalisation and backbone layers, so
 * `learner.freeze()` trains the head only, and `unfreeze()` + `fit(n, { groupLr: [0.1, 1] })`
 * fine-tunes the backbone at a tenth of the head's learning rate.
 * Only LayersModels are accepted: a tfjs GraphModel has no trainable layers and
 * is not supported here (convert the Keras model as a layers model instead).
 * @param source a directory, model.json path, file:// or http(s):// URL (see loadLayersModelFrom), or a LayersModel
 * @example
 * const clf = await backboneClassifier('file:///models/vgg19/model.json', {
 *   numClasses: 4, inputSize: [224, 224], normalization: 'imagenet-caffe', featureLayer: 'block5_pool' });
 * const learner = new Learner(bunch, clf);
 * learner.freeze(); await learner.fit(5);
 * learner.unfreeze(); await learner.fit(5, { lr: 1e-4, groupLr: [0.1, 1] });
 */
export async function backboneClassifier(source: string | tf.LayersModel, options: BackboneClassifierOptions): Promise<BackboneClassifierModel> {
  rejectUnknownOptions('BackboneClassifierOptions', options, { numClasses: 0, inputSize: 0, ...DEFAULT_BACKBONE_CLASSIFIER });
  const o = { ...DEFAULT_BACKBONE_CLASSIFIER, ...options };
  const where = 'BackboneClassifierOptions';
  if (!Number.isInteger(o.numClasses) || o.numClasses < 2) throw new OptionError(`${where}.numClasses`, `must be an integer ≥ 2, got ${o.numClasses}`);
  if (!Array.isArray(o.inputSize) || o.inputSize.length !== 2 || !o.inputSize.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OptionError(`${where}.inputSize`, `must be [height, width] of positive integers, got ${JSON.stringify(o.inputSize)}`);
  }
  if (o.channels !== 1 && o.channels !== 3) throw new OptionError(`${where}.channels`, `must be 1 or 3, got ${String(o.channels)}`);
  if (!(o.inputMax > 0)) throw new OptionError(`${where}.inputMax`, `must be > 0, got ${o.inputMax}`);
  if (!['avg', 'max', 'flatten'].includes(o.pooling)) throw new OptionError(`${where}.pooling`, `must be 'avg', 'max' or 'flatten', got ${String(o.pooling)}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError(`${where}.dropout`, `must be in [0, 1), got ${o.dropout}`);
  if (!Number.isInteger(o.hidden) || o.hidden < 0) throw new OptionError(`${where}.hidden`, `must be an integer ≥ 0, got ${o.hidden}`);
  const norm = resolveNormalization(o.normalization, o.inputMax);

  let loaded: tf.LayersModel;
  if (typeof source === 'string') loaded = await loadLayersModelFrom(source, { strict: o.strict });
  else if (source instanceof tf.LayersModel) loaded = source;
  else throw new OptionError('backboneClassifier.source', 'must be a path/URL string or a tf.LayersModel');
  try {
    if (loaded.inputs.length !== 1) throw new OptionError('backboneClassifier.source', `the backbone must have one input, got ${loaded.inputs.length}`);
    const want = (loaded.inputs[0].shape as Array<number | null>).slice(1);
    const [h, w] = o.inputSize;
    if (want.length !== 3 || (want[0] !== null && want[0] !== h) || (want[1] !== null && want[1] !== w)) {
      throw new ShapeError(`backboneClassifier: inputSize [${h}, ${w}] does not fit the backbone ${loaded.name} input`, want.map((d) => d ?? -1), [h, w, want[2] ?? -1]);
    }
    const backboneChannels = want[2] ?? o.channels;
    const feature = featureLayerOf(loaded, o.featureLayer);
    const cut = tf.model({ inputs: loaded.inputs, outputs: feature.output as tf.SymbolicTensor, name: `${loaded.name}_features` });
    // A copy: the caller's model keeps its weights whatever the classifier learns.
    const copy = tf.LayersModel.fromConfig(tf.LayersModel, cut.getConfig()) as tf.LayersModel;
    copy.setWeights(cut.getWeights());

    const input = tf.input({ shape: [h, w, o.channels], name: 'backbone_input' });
    const normLayer = new BackboneNormalization({ ...norm, outChannels: backboneChannels, name: 'backbone_normalization' });
    const features = copy.apply(normLayer.apply(input)) as tf.SymbolicTensor;
    const logits = applyHead2d(features, o);
    const model = tf.model({ inputs: input, outputs: logits, name: `${loaded.name}_classifier` });
    const config: BackboneClassifierConfig = {
      architecture: 'backbone2d',
      source: typeof source === 'string' ? source : loaded.name,
      featureLayer: feature.name,
      backboneInput: want,
      numClasses: o.numClasses,
      inputSize: [h, w],
      channels: o.channels,
      normalization: norm,
      pooling: o.pooling,
      dropout: o.dropout,
      hidden: o.hidden,
      seed: o.seed,
    };
    const encoder = tf.model({ inputs: input, outputs: features, name: `${loaded.name}_encoder` });
    return { kind: 'classifier', model, encoder, encoderLayerNames: ['backbone_input', 'backbone_normalization', copy.name], config };
  } finally {
    if (typeof source === 'string') loaded.dispose();
  }
}

/** pool/flatten → [dense ReLU] → dropout → dense logits, layers named `head_*`, PyTorch-style seeded init. */
function applyHead2d(features: tf.SymbolicTensor, o: { numClasses: number; pooling: string; dropout: number; hidden: number; seed: number }): tf.SymbolicTensor {
  const rng = new Rng(o.seed).fork('head');
  let x = features;
  if (x.shape.length === 4) {
    if (o.pooling === 'flatten') x = tf.layers.flatten({ name: 'head_flatten' }).apply(x) as tf.SymbolicTensor;
    else if (o.pooling === 'max') x = tf.layers.globalMaxPooling2d({ name: 'head_pool' }).apply(x) as tf.SymbolicTensor;
    else x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as tf.SymbolicTensor;
  } else if (x.shape.length !== 2) {
    throw new ShapeError('backboneClassifier: the feature layer must output [N, H, W, C] or [N, F]', [-1, -1, -1, -1], x.shape.map((d) => d ?? -1));
  }
  if (o.hidden > 0) {
    x = tf.layers.dense({ units: o.hidden, activation: 'relu', name: 'head_hidden', kernelInitializer: torchLinearInit(rng, 'head_hidden') }).apply(x) as tf.SymbolicTensor;
  }
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, name: 'head_dropout' }).apply(x) as tf.SymbolicTensor;
  return tf.layers.dense({ units: o.numClasses, name: 'head_logits', kernelInitializer: torchLinearInit(rng, 'head_logits') }).apply(x) as tf.SymbolicTensor;
}
