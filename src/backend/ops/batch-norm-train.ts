/**
 * Batch normalisation in training mode (statistics of the batch itself) as
 * one differentiable op. tfjs-layers builds it from moments (Mean, Sub,
 * Square, Mean) and FusedBatchNorm, whose gradient then takes about fifteen
 * full-size passes; with transmri's native kernels this op takes two passes
 * forward (statistics, normalisation) and two backward. Without them it runs
 * the same tf ops as tfjs-layers.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';

/** Kernel names of the native statistics and gradient. */
export const MOMENTS_KERNEL = 'TransmriMoments';
export const BATCH_NORM_TRAIN_GRAD_KERNEL = 'TransmriBatchNormTrainGrad';

/** Output of {@link batchNormTraining}: the normalised batch and the statistics it used. */
export interface BatchNormTrainingResult {
  y: tf.Tensor;
  /** Per-channel mean of x over every axis but the last. */
  mean: tf.Tensor1D;
  /** Per-channel biased variance (as tfjs' moments). */
  variance: tf.Tensor1D;
}

/**
 * y = (x − mean) / sqrt(variance + epsilon) · gamma + beta with the mean and
 * variance of x over all axes but the last (channels). Differentiable in x,
 * gamma and beta; the statistics are returned for moving averages and carry
 * no gradient. The caller owns the three returned tensors.
 * @param x float32, rank ≥ 2, channels last.
 * @param gamma Scale [C]. @param beta Offset [C].
 * @example
 * const { y, mean, variance } = batchNormTraining(tf.randomNormal([8, 4, 4, 3]), tf.ones([3]), tf.zeros([3]), 1e-3);
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const c = x.shape[x.rank - 1];
  if (x.rank < 2 || x.size === 0) throw new ShapeError('batchNormTraining: x', [null, null], x.shape);
  if (gamma.rank !== 1 || gamma.shape[0] !== c) throw new ShapeError('batchNormTraining: gamma', [c], gamma.shape);
  if (beta.rank !== 1 || beta.shape[0] !== c) throw new ShapeError('batchNormTraining: beta', [c], beta.shape);
  const native = x.dtype === 'float32' && tf.getKernel(MOMENTS_KERNEL, tf.getBackend()) !== undefined
    && tf.getKernel(BATCH_NORM_TRAIN_GRAD_KERNEL, tf.getBackend()) !== undefined;
  if (!native) {
    return tf.tidy(() => {
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
      return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
    });
  }
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [mean, variance] = tf.engine().runKernel(MOMENTS_KERNEL, { x: xx }) as tf.Tensor[];
    const y = tf.batchNorm(xx, mean, variance, b, g, epsilon);
    save([xx, mean, variance, g]);
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sm, sv, sg] = saved;
        const inputs = { x: sx, dy: dy as tf.Tensor, mean: sm, variance: sv, scale: sg };
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD_KERNEL, inputs, { varianceEpsilon: epsilon }) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta);
  return { y, mean: stats[0] as tf.Tensor1D, variance: stats[1] as tf.Tensor1D };
}
