/**
 * Gradients that replace tfjs' own while the native kernels are active, for
 * the ops of 2D CNN training that tfjs differentiates with many full-size
 * passes: Relu (dy·step(x) as one kernel), Mean (a tile of dy / n instead of
 * dy·ones / n) and FusedBatchNorm (one pass over x and dy for all five
 * gradients instead of about fifteen tfjs ops). Cases the native kernels do
 * not cover (other dtypes, non-channel parameters) use tfjs' gradients.
 */
import * as tf from '@tensorflow/tfjs';

/** Gradient configs that were registered before ours, by kernel name. */
export type SavedGradients = Map<string, tf.GradConfig>;

function reluGrad(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (x.dtype !== 'float32' || (dy as tf.Tensor).dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel('TransmriReluGrad', { dy: dy as tf.Tensor, x }) as tf.Tensor };
    },
  };
}

function meanGrad(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      if (d.dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const expanded = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
      const reps = x.shape.map((s, i) => (axes.includes(i) ? s : 1));
      const reduceSize = axes.reduce((p, i) => p * x.shape[i], 1);
      return { x: () => tf.tile(tf.div(tf.reshape(d, expanded), reduceSize), reps) };
    },
  };
}

function batchNormGrad(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const d = dy as tf.Tensor;
      const c = x.shape.length > 0 ? x.shape[x.shape.length - 1] : 0;
      const perChannel = (t: tf.Tensor | undefined) => t !== undefined && t.dtype === 'float32' && t.shape.length === 1 && t.shape[0] === c;
      if (c === 0 || x.dtype !== 'float32' || d.dtype !== 'float32' || !perChannel(mean) || !perChannel(variance) || (scale != null && !perChannel(scale))) {
        return original.gradFunc(dy, saved, attrs);
      }
      const inputs: tf.NamedTensorMap = { x, dy: d, mean, variance };
      if (scale != null) inputs.scale = scale;
      const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel('TransmriBatchNormGrad', inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => dx, mean: () => dMean, variance: () => dVariance, scale: () => dScale, offset: () => dOffset };
    },
  };
}

const OVERRIDES: Record<string, (original: tf.GradConfig) => tf.GradConfig> = { Relu: reluGrad, Mean: meanGrad, FusedBatchNorm: batchNormGrad };

// Like tfjs' gradient registry, process-wide: what was replaced, to put it back.
let saved: SavedGradients | undefined;

/** Registers the gradients above (each wraps the one registered before); a no-op when already installed. */
export function installNativeGradients(): void {
  if (saved !== undefined) return;
  saved = new Map();
  for (const [name, make] of Object.entries(OVERRIDES)) {
    const original = tf.getGradient(name);
    if (original === undefined) continue;
    saved.set(name, original);
    tf.registerGradient(make(original));
  }
}

/** Puts back the gradients {@link installNativeGradients} replaced. */
export function restoreGradients(): void {
  if (saved === undefined) return;
  for (const config of saved.values()) tf.registerGradient(config);
  saved = undefined;
}
