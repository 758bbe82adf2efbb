/**
 * Training losses (MSE, L1, sparsity, cross-entropy, multitask): pure functions from tensors to a
 * scalar tensor. Distillation losses are in distill/logit-losses.ts and distill/feature-losses.ts;
 * the optimizer AdamW is in adamw.ts.
 *
 * Ownership: every loss returns a new scalar tensor owned by the caller and
 * disposes its intermediates (each runs in `tf.tidy`). Inputs are not disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../backend/errors.js';

function sameShape(op: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: target must have the prediction's shape`, a.shape, b.shape);
  }
}

/**
 * Mean squared error over all elements: mean((pred − target)²).
 * @example const loss = mseLoss(reconstruction, batchImages);
 */
export function mseLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  sameShape('mseLoss', pred, target);
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/**
 * Mean absolute error over all elements: mean(|pred − target|).
 * @example const loss = l1Loss(reconstruction, batchImages);
 */
export function l1Loss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  sameShape('l1Loss', pred, target);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(pred, target))) as tf.Scalar);
}

/**
 * L1 sparsity penalty on the bottleneck ACTIVATIONS (the code), the paper's
 * intent (the original code penalised the weights by mistake):
 * `weight · mean(|code|)`. The mean (not the sum) over all code elements and
 * the batch is used so that `weight` does not depend on the code size or the
 * batch size; multiply by the number of code elements to get a per-sample sum.
 * @param code bottleneck activations, any shape (batch first)
 * @param weight penalty weight, ≥ 0
 * @example const penalty = l1Sparsity(code, 1e-3);
 */
export function l1Sparsity(code: tf.Tensor, weight: number): tf.Scalar {
  if (!Number.isFinite(weight) || weight < 0) throw new OptionError('l1Sparsity.weight', `must be a finite number ≥ 0, got ${weight}`);
  return tf.tidy(() => tf.mul(weight, tf.mean(tf.abs(code))) as tf.Scalar);
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Weight per class (length = number of classes, each ≥ 0); default undefined = all 1. */
  classWeights?: number[];
  /** Label smoothing ε in [0, 1): the target is (1−ε)·onehot + ε/C; default 0. */
  labelSmoothing?: number;
}

/** Defaults of {@link CrossEntropyOptions}. */
export const DEFAULT_CROSS_ENTROPY: CrossEntropyOptions = { classWeights: undefined, labelSmoothing: 0 };

/**
 * Softmax cross-entropy from logits, with PyTorch's semantics for class weights
 * and label smoothing (`F.cross_entropy(logits, y, weight=w, label_smoothing=ε)`):
 *
 *   L = [ (1−ε)·Σᵢ w_{yᵢ}·(−log p_{i,yᵢ}) + (ε/C)·Σᵢ Σ_c w_c·(−log p_{i,c}) ] / Σᵢ w_{yᵢ}
 *
 * i.e. a weighted mean over the batch (plain mean without weights).
 * @param logits [N, C] unnormalised scores
 * @param labels [N] int32 class indices in [0, C)
 * @example const loss = crossEntropy(logits, labels, { classWeights: [1, 3] });
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D, options: CrossEntropyOptions = {}): tf.Scalar {
  rejectUnknownOptions('CrossEntropyOptions', options, DEFAULT_CROSS_ENTROPY);
  if (logits.rank !== 2) throw new ShapeError('crossEntropy: logits must be [batch, classes]', [null, null], logits.shape);
  const [n, c] = logits.shape as [number, number];
  if (labels.rank !== 1 || labels.shape[0] !== n) throw new ShapeError('crossEntropy: labels must be [batch]', [n], labels.shape);
  if (labels.dtype !== 'int32') throw new OptionError('crossEntropy.labels', `must be an int32 tensor, got ${labels.dtype}`);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new OptionError('CrossEntropyOptions.labelSmoothing', `must be in [0, 1), got ${eps}`);
  const weights = options.classWeights ?? new Array<number>(c).fill(1);
  if (weights.length !== c) throw new OptionError('CrossEntropyOptions.classWeights', `has ${weights.length} entries for ${c} classes`);
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) throw new OptionError('CrossEntropyOptions.classWeights', `must be finite and ≥ 0, got [${weights.join(', ')}]`);
  const ys = labels.dataSync();
  for (let i = 0; i < ys.length; i++) {
    if (!(ys[i] >= 0 && ys[i] < c)) throw new OptionError('crossEntropy.labels', `label ${ys[i]} at index ${i} is out of range [0, ${c})`);
  }
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits as tf.Tensor2D); // [N, C]
    const w = tf.tensor1d(weights); // [C]
    const onehot = tf.oneHot(labels, c).toFloat(); // [N, C]
    const wy = tf.sum(tf.mul(onehot, w), 1); // [N] weight of each sample's class
    const nll = tf.neg(tf.sum(tf.mul(onehot, logp), 1)); // [N]
    let total = tf.sum(tf.mul(wy, nll));
    if (eps > 0) {
      const smooth = tf.neg(tf.sum(tf.mul(logp, w))); // Σᵢ Σ_c w_c·(−log p)
      total = tf.add(tf.mul(1 - eps, total), tf.mul(eps / c, smooth));
    }
    return tf.div(total, tf.sum(wy)) as tf.Scalar;
  });
}

/** Arguments of {@link multitaskLoss}. */
export interface MultitaskLossArgs {
  /** Autoencoder output. */
  reconstruction: tf.Tensor;
  /** Reconstruction target (the input batch). */
  target: tf.Tensor;
  /** Classification logits [N, C]. */
  logits: tf.Tensor;
  /** Labels [N] int32. */
  labels: tf.Tensor1D;
  /** Weight of the reconstruction term in [0, 1]; default 0.7 (the original's MixLoss). */
  alpha?: number;
  /** Class weights of the cross-entropy term; default undefined = all 1. */
  classWeights?: number[];
  /** Label smoothing of the cross-entropy term; default 0. */
  labelSmoothing?: number;
}

/** Defaults of the optional fields of {@link MultitaskLossArgs}. */
export const DEFAULT_MULTITASK_LOSS = { alpha: 0.7, classWeights: undefined as number[] | undefined, labelSmoothing: 0 };

/**
 * Multitask loss α·MSE(reconstruction, target) + (1−α)·CE(logits, labels).
 * @example const loss = multitaskLoss({ reconstruction, target: x, logits, labels, alpha: 0.7 });
 */
export function multitaskLoss(args: MultitaskLossArgs): tf.Scalar {
  rejectUnknownOptions('MultitaskLossArgs', args, { reconstruction: 0, target: 0, logits: 0, labels: 0, ...DEFAULT_MULTITASK_LOSS });
  const alpha = args.alpha ?? DEFAULT_MULTITASK_LOSS.alpha;
  if (!(alpha >= 0 && alpha <= 1)) throw new OptionError('MultitaskLossArgs.alpha', `must be in [0, 1], got ${alpha}`);
  const ceOptions: CrossEntropyOptions = { labelSmoothing: args.labelSmoothing ?? 0 };
  if (args.classWeights !== undefined) ceOptions.classWeights = args.classWeights;
  return tf.tidy(() => {
    const rec = mseLoss(args.reconstruction, args.target);
    const ce = crossEntropy(args.logits, args.labels, ceOptions);
    return tf.add(tf.mul(alpha, rec), tf.mul(1 - alpha, ce)) as tf.Scalar;
  });
}
