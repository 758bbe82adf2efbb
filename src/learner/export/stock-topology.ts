/**
 * Rewrites a LayersModel topology (the JSON of model.json) so that stock `@tensorflow/tfjs`
 * loads it: transmri's layer classes become stock ones with the same inference maths.
 * - `TransmriBatchNormalization` (fused training path) → `BatchNormalization` (same config and weights);
 * - `TransmriTimeDistributed` (folded training path) → `TimeDistributed` (same weights; inference is per step either way);
 * - `UpSampling3D` (nearest, integer factors) → Reshape / UpSampling2D / Reshape / UpSampling2D / Reshape;
 * - `ZeroPadding3D` → Reshape / ZeroPadding2D / Reshape / ZeroPadding2D / Reshape;
 * - `TransmriBackboneNormalization` → a Dense layer on the channel axis (new kernel and bias weights).
 * The last layer of a replacement chain keeps the original name, so layers downstream are untouched.
 */
import * as tf from '@tensorflow/tfjs';
import { FormatError, OptionError } from '../../backend/errors.js';

/** One layer entry of a model config (tfjs writes snake_case keys). */
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown[][];
}

/** A weight added by a conversion (e.g. the Dense that replaces a normalisation layer). */
export interface AddedWeight {
  spec: tf.io.WeightsManifestEntry;
  data: Float32Array;
}

/** Class names transmri registers, each converted by {@link toStockTopology}. */
export const TRANSMRI_LAYER_CLASSES = ['TransmriBatchNormalization', 'TransmriTimeDistributed', 'UpSampling3D', 'ZeroPadding3D', 'TransmriBackboneNormalization'] as const;

const RENAMED: Record<string, string> = { TransmriBatchNormalization: 'BatchNormalization', TransmriTimeDistributed: 'TimeDistributed' };
const WRAPPERS = new Set(['TimeDistributed', 'Bidirectional', 'TransmriTimeDistributed']);

/**
 * Converts a model topology in place.
 * @param topology `modelTopology` of saved artifacts ({ class_name, config, ... })
 * @param model the live model the topology was saved from (for layer input shapes)
 * @returns weights the new layers need (append them to the weights manifest and data)
 * @throws OptionError naming the layer when it has no stock equivalent (e.g. trilinear UpSampling3D)
 */
export function toStockTopology(topology: { class_name: string; config: Record<string, unknown> }, model: tf.LayersModel): AddedWeight[] {
  const added: AddedWeight[] = [];
  convertModel(topology, model, added);
  return added;
}

/** Class names of every layer in a topology, nested models and wrapped layers included. */
export function topologyClassNames(topology: { class_name: string; config: Record<string, unknown> }): string[] {
  const names: string[] = [topology.class_name];
  const visit = (entry: LayerJson): void => {
    names.push(entry.class_name);
    const layers = entry.config?.layers;
    if (Array.isArray(layers)) (layers as LayerJson[]).forEach(visit);
    const inner = entry.config?.layer as LayerJson | undefined;
    if (inner && typeof inner === 'object') visit(inner);
  };
  const layers = topology.config?.layers;
  if (Array.isArray(layers)) (layers as LayerJson[]).forEach(visit);
  return names;
}

function convertModel(entry: { class_name: string; config: Record<string, unknown> }, model: tf.LayersModel, added: AddedWeight[]): void {
  const layers = entry.config.layers as LayerJson[] | undefined;
  if (!Array.isArray(layers)) throw new FormatError(`model config of ${String(entry.config.name)} has no layers`);
  const functional = entry.class_name !== 'Sequential';
  entry.config.layers = layers.flatMap((layer) => {
    const name = (layer.config?.name ?? layer.name) as string;
    if (layer.class_name === 'InputLayer') return [layer];
    return convertLayer(layer, model.getLayer(name), functional, added);
  });
}

function convertLayer(layer: LayerJson, live: tf.layers.Layer, functional: boolean, added: AddedWeight[]): LayerJson[] {
  const cls = layer.class_name;
  if (Array.isArray(layer.config?.layers)) {
    convertModel(layer, live as tf.LayersModel, added);
    return [layer];
  }
  if (WRAPPERS.has(cls)) {
    const inner = layer.config.layer as LayerJson;
    const liveInner = (live as unknown as { layer: tf.layers.Layer }).layer;
    const converted = convertLayer(inner, liveInner, false, added);
    if (converted.length !== 1) throw new OptionError(`layer ${live.name}`, `the layer wrapped by ${cls} (${inner.class_name}) has no single stock equivalent`);
    layer.config.layer = converted[0];
    if (RENAMED[cls]) layer.class_name = RENAMED[cls];
    return [layer];
  }
  if (RENAMED[cls]) return [{ ...layer, class_name: RENAMED[cls] }];
  if (cls === 'UpSampling3D') return upsampling3d(layer, live, functional);
  if (cls === 'ZeroPadding3D') return zeroPadding3d(layer, live, functional);
  if (cls === 'TransmriBackboneNormalization') return backboneNormalization(layer, live, added);
  return [layer];
}

/** A layer's input shape (batch axis included); a layer applied to several inputs is refused. */
function inputShapeOf(live: tf.layers.Layer): Array<number | null> {
  const input = live.input;
  if (Array.isArray(input)) throw new OptionError(`layer ${live.name}`, 'export converts layers with one input only');
  return input.shape as Array<number | null>;
}

/** The input shape [D, H, W, C] (no batch) of a 3D layer. */
function volumeShape(live: tf.layers.Layer): [number, number, number, number] {
  const s = inputShapeOf(live);
  if (!Array.isArray(s) || s.length !== 5 || s.slice(1).some((d) => d === null)) {
    throw new OptionError(`layer ${live.name}`, `export needs a known volume input shape [batch, D, H, W, C], got ${JSON.stringify(s)}`);
  }
  return s.slice(1) as [number, number, number, number];
}

/** A chain of stock layers replacing `layer`: the first takes its inputs, the last keeps its name. */
function chain(layer: LayerJson, functional: boolean, parts: Array<{ class_name: string; config: Record<string, unknown> }>): LayerJson[] {
  const name = (layer.config.name ?? layer.name) as string;
  const base = { trainable: layer.config.trainable ?? true, dtype: layer.config.dtype ?? 'float32' };
  const nodes = layer.inbound_nodes ?? [];
  return parts.map((p, i) => {
    const partName = i === parts.length - 1 ? name : `${name}__stock${i + 1}`;
    const out: LayerJson = { class_name: p.class_name, config: { ...base, ...p.config, name: partName } };
    if (functional) {
      out.name = partName;
      out.inbound_nodes = i === 0 ? nodes : nodes.map((_, n) => [[`${name}__stock${i}`, n, 0, {}]]);
    }
    return out;
  });
}

const reshape = (targetShape: number[]) => ({ class_name: 'Reshape', config: { target_shape: targetShape } });

function upsampling3d(layer: LayerJson, live: tf.layers.Layer, functional: boolean): LayerJson[] {
  const { size, method, outputSize } = live as unknown as { size: [number, number, number]; method: string; outputSize: [number, number, number] | null };
  const [d, h, w, c] = volumeShape(live);
  const f = outputSize ? [outputSize[0] / d, outputSize[1] / h, outputSize[2] / w] : size;
  if (method !== 'nearest' || !f.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new OptionError(`layer ${live.name}`, `UpSampling3D with ${method} interpolation and factors [${f.join(', ')}] has no stock tfjs equivalent (only nearest with integer factors exports)`);
  }
  const up2 = (s: [number, number]) => ({ class_name: 'UpSampling2D', config: { size: s, data_format: 'channels_last', interpolation: 'nearest' } });
  return chain(layer, functional, [
    reshape([d, h, w * c]),
    up2([f[0], f[1]]),
    reshape([f[0] * d * f[1] * h, w, c]),
    up2([1, f[2]]),
    reshape([f[0] * d, f[1] * h, f[2] * w, c]),
  ]);
}

function zeroPadding3d(layer: LayerJson, live: tf.layers.Layer, functional: boolean): LayerJson[] {
  const p = (live as unknown as { padding: [[number, number], [number, number], [number, number]] }).padding;
  const [d, h, w, c] = volumeShape(live);
  const [d2, h2, w2] = [d + p[0][0] + p[0][1], h + p[1][0] + p[1][1], w + p[2][0] + p[2][1]];
  const pad2 = (padding: [[number, number], [number, number]]) => ({ class_name: 'ZeroPadding2D', config: { padding, data_format: 'channels_last' } });
  return chain(layer, functional, [
    reshape([d, h, w * c]),
    pad2([p[0], p[1]]),
    reshape([d2 * h2, w, c]),
    pad2([[0, 0], p[2]]),
    reshape([d2, h2, w2, c]),
  ]);
}

/** out[c] = (x[src(c)] · scale − mean[c]) / std[c] as a Dense on the channel axis: kernel[src(c), c] = scale / std[c], bias[c] = −mean[c] / std[c]. */
function backboneNormalization(layer: LayerJson, live: tf.layers.Layer, added: AddedWeight[]): LayerJson[] {
  const n = live as unknown as { mean: number[]; std: number[]; scale: number; reverseChannels: boolean; name: string };
  const inShape = inputShapeOf(live);
  const outShape = live.outputShape as Array<number | null>;
  const cin = inShape[inShape.length - 1] as number;
  const cout = outShape[outShape.length - 1] as number;
  const per = (v: number[]) => (v.length === 1 ? new Array<number>(cout).fill(v[0]) : v);
  const mean = per(n.mean);
  const std = per(n.std);
  const kernel = new Float32Array(cin * cout);
  const bias = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    const grey = cin === 1 ? 0 : c;
    const src = n.reverseChannels ? (cin === 1 ? 0 : cin - 1 - c) : grey;
    kernel[src * cout + c] = n.scale / std[c];
    bias[c] = -mean[c] / std[c];
  }
  const name = n.name;
  added.push({ spec: { name: `${name}/kernel`, shape: [cin, cout], dtype: 'float32' }, data: kernel });
  added.push({ spec: { name: `${name}/bias`, shape: [cout], dtype: 'float32' }, data: bias });
  const config = { name, trainable: false, dtype: 'float32', units: cout, activation: 'linear', use_bias: true };
  return [{ class_name: 'Dense', config, ...(layer.name !== undefined ? { name: layer.name } : {}), ...(layer.inbound_nodes ? { inbound_nodes: layer.inbound_nodes } : {}) }];
}
