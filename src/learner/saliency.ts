/**
 * Saliency maps of a classifier for one input, on the input's grid: Grad-CAM (class-weighted
 * activations of a spatial layer, upsampled), the input gradient, and occlusion (the drop in the
 * target's probability when a patch is blanked). Works for 2D ([H, W, C]) and 3D ([D, H, W, C]) inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';
import { resize3d } from '../models/upsampling3d.js';
import type { Learner } from './learner.js';
import { logitsIndex } from './inference.js';
import type { ModelHandle } from './model-handle.js';

/** Saliency methods. */
export type SaliencyMethod = 'gradcam' | 'gradient' | 'occlusion';

/** Options of {@link saliency}. */
export interface SaliencyOptions {
  /** Method; default 'gradcam'. */
  method?: SaliencyMethod;
  /** Class index explained; default the predicted class. */
  target?: number;
  /** Grad-CAM layer (a top-level layer with a spatial output); default the last one. */
  layer?: string;
  /** Occlusion patch edge in voxels (each spatial axis); default ⌈size / 8⌉ per axis. */
  patch?: number;
  /** Occlusion stride; default the patch size. */
  stride?: number;
  /** Value the occluded patch is set to (0 = the mean after a z-score); default 0. */
  baseline?: number;
}

/** Defaults of {@link SaliencyOptions}. */
export const DEFAULT_SALIENCY: Readonly<SaliencyOptions> = { method: 'gradcam', target: undefined, layer: undefined, patch: undefined, stride: undefined, baseline: 0 };

/** A saliency map on the input's spatial grid (channels reduced). */
export interface SaliencyMap {
  /** C-order values over `shape`. */
  data: Float32Array;
  /** The input's spatial shape ([H, W] or [D, H, W]). */
  shape: number[];
  method: SaliencyMethod;
  /** Class explained. */
  target: number;
  /** Softmax probabilities of the input. */
  probabilities: Float32Array;
  /** The Grad-CAM layer (gradcam only). */
  layer?: string;
}

/**
 * Saliency of one input for a class.
 * - 'gradcam': ReLU(Σ_k α_k A_k), α_k the mean over space of ∂log p_target/∂A_k for the layer's activations A,
 *   upsampled (trilinear, half-pixel centres) to the input grid; ≥ 0. The log-probability, not the raw
 *   logit: softmax depends on logit differences only, so one class's logit alone may carry no evidence.
 * - 'gradient': ∂logit_target/∂x summed over the input channels (signed; take |·| to display).
 * - 'occlusion': for each voxel, the mean drop p_target(x) − p_target(x with a patch set to `baseline`)
 *   over the patches covering it (positive = evidence for the class).
 * @param from a Learner (classifier or multitask), a ModelHandle, or a LayersModel whose first output is logits
 * @param input one sample of the model's input shape (without batch), C-order
 * @example const map = await saliency(learner, sample, { method: 'gradcam', target: 1 });
 */
export async function saliency(from: Learner | ModelHandle | tf.LayersModel, input: Float32Array, options: SaliencyOptions = {}): Promise<SaliencyMap> {
  rejectUnknownOptions('SaliencyOptions', options, DEFAULT_SALIENCY);
  const o = { ...DEFAULT_SALIENCY, ...options };
  const { model, logitsAt } = resolveModel(from);
  const inputShape = (model.inputs[0].shape as Array<number | null>).slice(1) as number[];
  if (inputShape.some((d) => d === null)) throw new ShapeError('saliency: the model input shape must be known', inputShape, []);
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (!(input instanceof Float32Array) || input.length !== size) throw new ShapeError('saliency: input length (one sample of the model input)', [size], [input?.length ?? 0]);
  if (inputShape.length !== 3 && inputShape.length !== 4) throw new OptionError('saliency', `needs a 2D [H, W, C] or 3D [D, H, W, C] input, model ${model.name} takes [${inputShape.join(', ')}]`);
  const spatial = inputShape.slice(0, -1);
  const logitsOf = (x: tf.Tensor): tf.Tensor2D => {
    const out = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out[logitsAt] : out) as tf.Tensor2D;
  };
  const x = tf.tensor(input, [1, ...inputShape]);
  try {
    const probs = tf.tidy(() => tf.softmax(logitsOf(x)));
    const probabilities = (await probs.data()) as Float32Array;
    probs.dispose();
    const c = probabilities.length;
    const target = o.target ?? probabilities.indexOf(Math.max(...probabilities));
    if (!Number.isInteger(target) || target < 0 || target >= c) throw new OptionError('SaliencyOptions.target', `must be a class index in 0..${c - 1}, got ${target}`);
    const method = o.method as SaliencyMethod;
    let data: Float32Array;
    const layer = method === 'gradcam' ? (o.layer ?? gradcamLayerOf(model)) : undefined;
    if (method === 'gradient') data = await gradientMap(x, logitsOf, target);
    else if (method === 'gradcam') data = await gradcamMap(model, x, logitsOf, target, layer, spatial);
    else if (method === 'occlusion') data = await occlusionMap(x, logitsOf, target, probabilities[target], spatial, o);
    else throw new OptionError('SaliencyOptions.method', `must be 'gradcam', 'gradient' or 'occlusion', got ${JSON.stringify(method)}`);
    return { data, shape: spatial, method, target, probabilities, ...(layer !== undefined ? { layer } : {}) };
  } finally {
    x.dispose();
  }
}

function resolveModel(from: Learner | ModelHandle | tf.LayersModel): { model: tf.LayersModel; logitsAt: number } {
  if (from instanceof tf.LayersModel) return { model: from, logitsAt: 0 };
  const handle = 'handle' in from ? from.handle : from;
  const at = logitsIndex(handle);
  if (at < 0) throw new OptionError('saliency', `explains a classifier's logits; model ${handle.model.name} is an ${handle.kind}`);
  return { model: handle.model, logitsAt: at };
}

async function gradientMap(x: tf.Tensor, logitsOf: (x: tf.Tensor) => tf.Tensor2D, target: number): Promise<Float32Array> {
  const g = tf.tidy(() => {
    const grad = tf.grad((xi: tf.Tensor) => tf.sum(tf.slice(logitsOf(xi), [0, target], [1, 1])))(x);
    return tf.sum(grad, -1).reshape([-1]);
  });
  const data = (await g.data()) as Float32Array;
  g.dispose();
  return data;
}

/**
 * Grad-CAM. The gradient with respect to the layer's activations is taken by adding a zero tensor δ
 * to that layer's output during one forward pass (∂logit/∂δ = ∂logit/∂A), so any graph works.
 */
async function gradcamMap(model: tf.LayersModel, x: tf.Tensor, logitsOf: (x: tf.Tensor) => tf.Tensor2D, target: number, layerName: string | undefined, spatial: number[]): Promise<Float32Array> {
  if (layerName === undefined) throw new OptionError('SaliencyOptions.layer', `model ${model.name} has no top-level layer with a spatial output for Grad-CAM`);
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(layerName);
  } catch {
    throw new OptionError('SaliencyOptions.layer', `no layer named "${layerName}" in model ${model.name}`);
  }
  const outShape = layer.outputShape as Array<number | null>;
  if (!Array.isArray(outShape) || outShape.length !== spatial.length + 2) {
    throw new OptionError('SaliencyOptions.layer', `layer ${layerName} outputs [${String(outShape)}], not a ${spatial.length}D feature map`);
  }
  const features = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
  const original = layer.call.bind(layer);
  let delta: tf.Tensor | undefined;
  layer.call = (inputs, kwargs) => {
    const out = original(inputs, kwargs) as tf.Tensor;
    return delta ? tf.add(out, delta) : out;
  };
  try {
    const cam = tf.tidy(() => {
      const a = features.apply(x, { training: false }) as tf.Tensor;
      const grad = tf.grad((d: tf.Tensor) => {
        delta = d;
        return tf.sum(tf.slice(tf.logSoftmax(logitsOf(x)), [0, target], [1, 1]));
      })(tf.zerosLike(a));
      delta = undefined;
      const axes = Array.from({ length: spatial.length }, (_, i) => i + 1);
      const alpha = tf.mean(grad, axes, true);
      const weighted = tf.relu(tf.sum(tf.mul(a, alpha), -1, true));
      // [1, ...s, 1] → the input grid, as a 5D volume (a 2D map gets a unit depth axis)
      const vol = spatial.length === 3 ? weighted : weighted.expandDims(3);
      const size = (spatial.length === 3 ? spatial : [spatial[0], spatial[1], 1]) as [number, number, number];
      const up = (vol.shape.slice(1, 4) as number[]).every((d, i) => d === size[i]) ? vol : resize3d(vol, [1, 1, 1], 'trilinear', size);
      return up.reshape([-1]);
    });
    const data = (await cam.data()) as Float32Array;
    cam.dispose();
    return data;
  } finally {
    layer.call = original;
    delta = undefined;
  }
}

async function occlusionMap(
  x: tf.Tensor,
  logitsOf: (x: tf.Tensor) => tf.Tensor2D,
  target: number,
  p0: number,
  spatial: number[],
  o: SaliencyOptions,
): Promise<Float32Array> {
  const patch = spatial.map((n) => o.patch ?? Math.max(1, Math.ceil(n / 8)));
  const stride = patch.map((p) => o.stride ?? p);
  if (patch.some((p) => !Number.isInteger(p) || p < 1)) throw new OptionError('SaliencyOptions.patch', `must be an integer ≥ 1, got ${o.patch}`);
  if (stride.some((s) => !Number.isInteger(s) || s < 1)) throw new OptionError('SaliencyOptions.stride', `must be an integer ≥ 1, got ${o.stride}`);
  const starts = spatial.map((n, a) => {
    const list: number[] = [];
    for (let s = 0; s < n; s += stride[a]) list.push(Math.min(s, Math.max(0, n - patch[a])));
    return [...new Set(list)];
  });
  const boxes: number[][] = [[]];
  for (const axis of starts) boxes.splice(0, boxes.length, ...boxes.flatMap((b) => axis.map((s) => [...b, s])));
  const n = spatial.reduce((a, b) => a * b, 1);
  const channels = x.shape[x.rank - 1];
  const base = (await x.data()) as Float32Array;
  const sum = new Float32Array(n);
  const count = new Float32Array(n);
  const strides = spatial.map((_, a) => spatial.slice(a + 1).reduce((p, q) => p * q, 1));
  const voxelsOf = (box: number[]): number[] => {
    let idx = [0];
    box.forEach((s, a) => {
      const next: number[] = [];
      for (const i of idx) for (let d = 0; d < Math.min(patch[a], spatial[a] - s); d++) next.push(i + (s + d) * strides[a]);
      idx = next;
    });
    return idx;
  };
  const batch = 16;
  for (let b = 0; b < boxes.length; b += batch) {
    const part = boxes.slice(b, b + batch);
    const data = new Float32Array(part.length * base.length);
    const voxels = part.map(voxelsOf);
    part.forEach((_, i) => {
      data.set(base, i * base.length);
      for (const v of voxels[i]) for (let c = 0; c < channels; c++) data[i * base.length + v * channels + c] = o.baseline ?? 0;
    });
    const probs = tf.tidy(() => tf.softmax(logitsOf(tf.tensor(data, [part.length, ...x.shape.slice(1)]))));
    const p = (await probs.data()) as Float32Array;
    probs.dispose();
    const classes = p.length / part.length;
    voxels.forEach((vs, i) => {
      const drop = p0 - p[i * classes + target];
      for (const v of vs) {
        sum[v] += drop;
        count[v] += 1;
      }
    });
  }
  return sum.map((s, i) => (count[i] > 0 ? s / count[i] : 0));
}

/** The last top-level layer whose output is spatial (rank 4 or 5): Grad-CAM's default layer. */
export function gradcamLayerOf(model: tf.LayersModel): string | undefined {
  let found: string | undefined;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const shape = layer.outputShape as Array<number | null> | Array<Array<number | null>>;
    if (Array.isArray(shape[0])) continue;
    const rank = (shape as Array<number | null>).length;
    if ((rank === 4 || rank === 5) && layer.getClassName() !== 'TimeDistributed' && layer.getClassName() !== 'TransmriTimeDistributed') found = layer.name;
  }
  return found;
}
