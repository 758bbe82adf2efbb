/**
 * The model as the Learner sees it: a tf.LayersModel plus its kind and
 * optional encoder, split into layer groups for freezing and per-group
 * learning rates.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError } from '../backend/errors.js';
import type { BatchSource } from '../data/batch.js';

/** What a model computes: autoencoder → [reconstruction, code]; classifier → logits; multitask → [reconstruction, code, logits]. */
export type ModelKind = 'autoencoder' | 'classifier' | 'multitask';

/** A model with its kind (the models builders return this shape). */
export interface ModelHandle {
  model: tf.LayersModel;
  kind: ModelKind;
  /** Sub-model from the input to the code (shares weights with `model`). */
  encoder?: tf.LayersModel;
  /** Names of the top-level layers of `model` that form the encoder (the first layer group). */
  encoderLayerNames?: string[];
  /** Builder configuration (stored in checkpoints). */
  config?: unknown;
}

type LayerVariable = tf.LayerVariable;

/** A LayersModel alone is wrapped with its kind inferred from the number of outputs (1 classifier, 2 autoencoder, 3 multitask). */
export function toHandle(model: tf.LayersModel | ModelHandle): ModelHandle {
  buildSequential(model instanceof tf.LayersModel ? model : model?.model);
  if (model instanceof tf.LayersModel) {
    const n = model.outputs.length;
    const kind: ModelKind | undefined = n === 1 ? 'classifier' : n === 2 ? 'autoencoder' : n === 3 ? 'multitask' : undefined;
    if (kind === undefined) throw new OptionError('model', `cannot infer the kind of a model with ${n} outputs; pass { model, kind }`);
    return { model, kind };
  }
  if (!(model?.model instanceof tf.LayersModel)) throw new OptionError('model', 'expected a tf.LayersModel or { model, kind }');
  return model;
}

/**
 * A tf.Sequential builds its inner model on first use and then marks every
 * layer trainable, undoing any freezing: build it now, keeping the flags.
 */
function buildSequential(model: tf.LayersModel | undefined): void {
  if (!(model instanceof tf.Sequential) || (model as unknown as { model?: unknown }).model) return;
  const flags = model.layers.map((l) => l.trainable);
  model.build();
  model.layers.forEach((l, i) => (l.trainable = flags[i]));
}

/**
 * Leaf layers of a layer, recursing into nested models, wrappers (`timeDistributed`: its `layer`)
 * and RNNs (`lstm`, `gru`: its `cell`). Wrappers and RNNs hold no weights of their own, so without
 * this their inner weights were never trained (joint-fusion and CNN-LSTM students).
 */
export function leafLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
  if (Array.isArray(inner)) return inner.flatMap(leafLayers);
  const { layer: wrapped, cell } = layer as unknown as { layer?: unknown; cell?: unknown };
  const child = wrapped instanceof tf.layers.Layer ? wrapped : cell instanceof tf.layers.Layer ? cell : undefined;
  return child ? leafLayers(child) : [layer];
}

/**
 * The weights a layer trains when unfrozen, in a fixed order. tfjs hides them
 * in `_trainableWeights` while a layer is frozen, so it is read directly.
 */
function trainableCapable(layer: tf.layers.Layer): LayerVariable[] {
  const own = (layer as unknown as { _trainableWeights?: LayerVariable[] })._trainableWeights;
  return own ?? layer.trainableWeights;
}

/** One layer group: top-level layers and their trainable-capable weights, in model order. */
export interface LayerGroup {
  layers: tf.layers.Layer[];
  variables: LayerVariable[];
}

/**
 * Splits a model into layer groups: [encoder, rest] when the handle names its
 * encoder layers, else [all but the last layer with weights, that layer (the head)].
 */
export function layerGroups(handle: ModelHandle): LayerGroup[] {
  const layers = handle.model.layers;
  const hasWeights = (l: tf.layers.Layer) => leafLayers(l).some((leaf) => trainableCapable(leaf).length > 0);
  let split: number;
  if (handle.encoderLayerNames && handle.encoderLayerNames.length > 0) {
    const names = new Set(handle.encoderLayerNames);
    for (const name of names) {
      if (!layers.some((l) => l.name === name)) throw new OptionError('model.encoderLayerNames', `no layer named "${name}" in model ${handle.model.name}`);
    }
    const groups = [layers.filter((l) => names.has(l.name)), layers.filter((l) => !names.has(l.name))];
    return groups.map(makeGroup);
  } else {
    let last = -1;
    layers.forEach((l, i) => {
      if (hasWeights(l)) last = i;
    });
    if (last < 0) throw new OptionError('model', `model ${handle.model.name} has no trainable weights`);
    split = last;
  }
  const groups = [layers.slice(0, split), layers.slice(split)].filter((g) => g.some(hasWeights));
  return groups.map(makeGroup);
}

function makeGroup(layers: tf.layers.Layer[]): LayerGroup {
  return { layers, variables: layers.flatMap((l) => leafLayers(l).flatMap(trainableCapable)) };
}

/** Sets the trainable flag of every leaf layer of a group. */
export function setGroupTrainable(group: LayerGroup, trainable: boolean): void {
  for (const layer of group.layers) {
    for (const leaf of leafLayers(layer)) leaf.trainable = trainable;
    layer.trainable = trainable;
  }
}

/** Input shape of a model without the batch axis (null = any). */
export function modelInputShape(model: tf.LayersModel): Array<number | null> {
  return (model.inputs[0].shape as Array<number | null>).slice(1);
}

/** Weights of every leaf layer in model order: the same for any two instances of one architecture, whatever is frozen. */
export function canonicalWeights(model: tf.LayersModel): tf.LayerVariable[] {
  const seen = new Set<tf.LayerVariable>();
  for (const layer of model.layers.flatMap(leafLayers)) for (const w of layer.weights) seen.add(w);
  return [...seen];
}

/**
 * Input → code: the handle's encoder; else, for a classifier built on an
 * encoder, the model cut after its last encoder layer; else (autoencoder,
 * multitask) the model's second output.
 */
export function codeFunction(handle: ModelHandle): (x: tf.Tensor) => tf.Tensor {
  let encoder = handle.encoder;
  if (!encoder && handle.encoderLayerNames) {
    const names = new Set(handle.encoderLayerNames);
    const last = handle.model.layers.filter((l) => names.has(l.name)).pop();
    if (last) encoder = tf.model({ inputs: handle.model.inputs, outputs: last.output as tf.SymbolicTensor });
  }
  if (encoder) return (x) => encoder!.apply(x, { training: false }) as tf.Tensor;
  if (handle.kind !== 'classifier') return (x) => (handle.model.apply(x, { training: false }) as tf.Tensor[])[1];
  throw new OptionError('encode', 'a classifier needs { encoder } or { encoderLayerNames } in its model handle to encode');
}

/** Throws a ShapeError naming both shapes when the source's samples or classes do not fit the model. */
export function checkSourceFits(handle: ModelHandle, source: BatchSource, needsLabels: boolean): void {
  const model = handle.model;
  const want = modelInputShape(model);
  const got = [...source.sampleShape];
  if (want.length !== got.length || want.some((d, i) => d !== null && d !== got[i])) {
    throw new ShapeError(`Learner: the source's sample shape [${got.join(', ')}] does not match the input of model ${model.name}`, want, got);
  }
  const li = handle.kind === 'classifier' ? 0 : handle.kind === 'multitask' ? 2 : -1;
  if (li >= 0 && needsLabels) {
    const out = model.outputs[li]?.shape ?? [];
    const c = out[out.length - 1];
    if (c !== source.classes.length) {
      throw new ShapeError(
        `Learner: model ${model.name} has ${c} logits but the source has ${source.classes.length} classes (${source.classes.join(', ')})`,
        [null, source.classes.length],
        out.map((d) => d ?? -1),
      );
    }
  }
}
