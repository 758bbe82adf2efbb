/**
 * Logit distillation losses: Hinton KD, logit matching and decoupled KD (DKD).
 * Feature losses are in `feature-losses.ts`.
 *
 * Ownership: each loss returns a new scalar tensor owned by the caller and
 * disposes its intermediates; inputs are never disposed.
 * Logits are [batch, classes]; labels are int32 class indices [batch], -1 for an unlabelled sample
 * (a transfer-set sample: it gets the teacher terms only; see {@link hintonKd}).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';

function checkLogits(op: string, s: tf.Tensor, t: tf.Tensor, labels?: tf.Tensor): void {
  if (s.rank !== 2) throw new ShapeError(`${op}: student logits must be [batch, classes]`, [null, null], s.shape);
  if (t.rank !== 2 || t.shape[0] !== s.shape[0] || t.shape[1] !== s.shape[1]) {
    throw new ShapeError(`${op}: teacher logits must have the student's shape`, s.shape, t.shape);
  }
  if (labels !== undefined && (labels.rank !== 1 || labels.shape[0] !== s.shape[0])) {
    throw new ShapeError(`${op}: labels must be class indices [batch]`, [s.shape[0]], labels.shape);
  }
}

function checkTemperature(where: string, t: number): void {
  if (!(t > 0) || !Number.isFinite(t)) throw new OptionError(`${where}.temperature`, `must be > 0, got ${t}`);
}

/**
 * Σ w_y·(−log softmax(logits)[y]) / Σ w_y over the labelled samples of the batch (label ≥ 0), with
 * w the class weights (all 1: the plain mean; PyTorch's CrossEntropyLoss(weight) otherwise); 0 when
 * none is labelled. (tf.oneHot of −1 is a row of zeros, so unlabelled rows add nothing to either sum.)
 */
function weightedCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, classWeights?: readonly number[]): tf.Scalar {
  const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1] as number);
  const w = classWeights ? tf.mul(oneHot, tf.tensor1d(classWeights as number[])) : oneHot; // [N, C]: w_y in column y
  const total = tf.sum(w);
  return tf.div(tf.sum(tf.mul(w, tf.neg(tf.logSoftmax(logits)))), tf.where(tf.greater(total, 0), total, tf.onesLike(total))) as tf.Scalar;
}

/** Checks class weights: one finite value ≥ 0 per class. */
export function checkClassWeights(where: string, weights: readonly number[] | undefined, numClasses: number): void {
  if (weights === undefined) return;
  if (!Array.isArray(weights) || weights.length !== numClasses) throw new OptionError(where, `expected ${numClasses} class weights (one per class), got ${JSON.stringify(weights)}`);
  if (weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) throw new OptionError(where, `must be finite and ≥ 0, got [${weights.join(', ')}]`);
}

/** Per-sample KL(softmax(t/T) ‖ softmax(s/T)), summed over classes: shape [batch]. */
function klPerSample(s: tf.Tensor, t: tf.Tensor, temperature: number): tf.Tensor1D {
  const logPs = tf.logSoftmax(tf.div(s, temperature));
  const logPt = tf.logSoftmax(tf.div(t, temperature));
  return tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1) as tf.Tensor1D;
}

/** Options of {@link hintonKd}. */
export interface HintonKdOptions {
  /** Softmax temperature T (> 0); default 4. */
  temperature?: number;
  /** Weight α of the soft term in [0, 1]; (1−α) weighs the cross-entropy; default 0.9. */
  alpha?: number;
  /**
   * KL reduction: 'batchmean' sums over classes and averages over the batch (the KL proper);
   * 'mean' also divides by the number of classes, like PyTorch's default `KLDivLoss()`
   * (use it to reproduce code written that way); default 'batchmean'.
   */
  reduction?: 'batchmean' | 'mean';
  /**
   * Class weights of the cross-entropy term, one per class (e.g. `bunch.classWeights()`, N / (K·n_k)):
   * the term becomes Σ w_y·CE / Σ w_y over the labelled samples, as PyTorch's
   * `CrossEntropyLoss(weight=w)`, so a rare class is not drowned out; the KL term is left as it is
   * (it follows the teacher's whole distribution). Default undefined (all 1).
   */
  classWeights?: number[];
}

/** Defaults of {@link HintonKdOptions}. */
export const DEFAULT_HINTON_KD: Required<Omit<HintonKdOptions, 'classWeights'>> & Pick<HintonKdOptions, 'classWeights'> = { temperature: 4, alpha: 0.9, reduction: 'batchmean', classWeights: undefined };

/**
 * Hinton et al. (2015) distillation loss:
 * (1−α)·CE(softmax(s), y) + α·T²·KL(softmax(t/T) ‖ softmax(s/T)).
 * With α = 0 it is exactly the plain cross-entropy; the T² keeps the soft gradients' scale when T changes.
 * Unlabelled samples (label −1, a transfer set as in Hinton et al.) take part in the KL term only:
 * the CE is averaged over the labelled samples of the batch, the KL over all of them. With
 * `classWeights` the CE is the weighted mean Σ w_y·CE / Σ w_y (PyTorch's semantics).
 * @param studentLogits [batch, classes]
 * @param teacherLogits [batch, classes] (constants for training: pass precomputed logits or a frozen teacher's output)
 * @param labels int32 class indices [batch]; −1 = unlabelled
 * @example
 * const loss = hintonKd(studentLogits, teacherLogits, labels, { temperature: 4, alpha: 0.9 });
 */
export function hintonKd(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, labels: tf.Tensor, options: HintonKdOptions = {}): tf.Scalar {
  rejectUnknownOptions('HintonKdOptions', options, DEFAULT_HINTON_KD);
  const { temperature: T, alpha, reduction, classWeights } = { ...DEFAULT_HINTON_KD, ...options };
  checkLogits('hintonKd', studentLogits, teacherLogits, labels);
  checkClassWeights('HintonKdOptions.classWeights', classWeights, studentLogits.shape[1] as number);
  checkTemperature('HintonKdOptions', T);
  if (!(alpha >= 0 && alpha <= 1)) throw new OptionError('HintonKdOptions.alpha', `must be in [0, 1], got ${alpha}`);
  if (reduction !== 'batchmean' && reduction !== 'mean') throw new OptionError('HintonKdOptions.reduction', `expected 'batchmean' or 'mean', got ${JSON.stringify(reduction)}`);
  return tf.tidy(() => {
    const ce = weightedCrossEntropy(studentLogits, labels, classWeights);
    if (alpha === 0) return ce;
    const divisor = reduction === 'mean' ? (studentLogits.shape[1] as number) : 1;
    const kl = tf.div(tf.mean(klPerSample(studentLogits, teacherLogits, T)), divisor);
    return tf.add(tf.mul(1 - alpha, ce), tf.mul(alpha * T * T, kl)) as tf.Scalar;
  });
}

/**
 * Logit matching (Ba & Caruana): mean over all elements of (s − t)².
 * @example
 * const loss = logitMatching(studentLogits, teacherLogits);
 */
export function logitMatching(studentLogits: tf.Tensor, teacherLogits: tf.Tensor): tf.Scalar {
  checkLogits('logitMatching', studentLogits, teacherLogits);
  return tf.tidy(() => tf.mean(tf.squaredDifference(studentLogits, teacherLogits)) as tf.Scalar);
}

/** Options of {@link decoupledKd}. */
export interface DecoupledKdOptions {
  /** Weight of the target-class part (TCKD); default 1. */
  alpha?: number;
  /** Weight of the non-target-class part (NCKD); default 8. */
  beta?: number;
  /** Softmax temperature T (> 0); default 4. */
  temperature?: number;
}

/** Defaults of {@link DecoupledKdOptions}. */
export const DEFAULT_DECOUPLED_KD: Required<DecoupledKdOptions> = { alpha: 1, beta: 8, temperature: 4 };

/** The two parts of {@link decoupledKd}, each already multiplied by T² and averaged over the batch. */
export interface DecoupledKdParts {
  tckd: tf.Scalar;
  nckd: tf.Scalar;
}

/**
 * The TCKD and NCKD parts of decoupled KD (Zhao et al., CVPR 2022), separately; the caller owns both.
 * TCKD = T²·KL([p_t, 1−p_t] ‖ [p_s, 1−p_s]) on the target-class probability;
 * NCKD = T²·KL over the non-target classes, each distribution renormalised.
 * Then T²·KL(softmax(t/T) ‖ softmax(s/T)) = TCKD + (1 − p_t,target)·NCKD per sample.
 * Both parts need the target class: every label must be ≥ 0 (`distill` refuses unlabelled samples with DKD on).
 */
export function decoupledKdParts(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, labels: tf.Tensor, temperature = DEFAULT_DECOUPLED_KD.temperature): DecoupledKdParts {
  checkLogits('decoupledKd', studentLogits, teacherLogits, labels);
  checkTemperature('DecoupledKdOptions', temperature);
  const T = temperature;
  const [tckd, nckd] = tf.tidy(() => {
    const t = teacherLogits;
    const gt = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, studentLogits.shape[1] as number);
    const binary = (logits: tf.Tensor): tf.Tensor => {
      const p = tf.softmax(tf.div(logits, T));
      const target = tf.sum(tf.mul(p, gt), 1, true);
      return tf.concat([target, tf.sub(1, target)], 1);
    };
    const bs = binary(studentLogits);
    const bt = binary(t);
    const tiny = 1e-12; // bt·log(bt) is 0 where bt is 0; clamp only inside the log
    const tckdPer = tf.sum(tf.mul(bt, tf.sub(tf.log(tf.maximum(bt, tiny)), tf.log(tf.maximum(bs, tiny)))), 1);
    // Masking the target logit with −1000 removes it from both softmaxes (exp(−1000/…) underflows to 0).
    const masked = (logits: tf.Tensor): tf.Tensor => tf.sub(tf.div(logits, T), tf.mul(1000, gt));
    const nckdPer = klPerSample(masked(studentLogits), masked(t), 1);
    return [tf.mul(T * T, tf.mean(tckdPer)) as tf.Scalar, tf.mul(T * T, tf.mean(nckdPer)) as tf.Scalar];
  });
  return { tckd, nckd };
}

/**
 * Decoupled knowledge distillation: α·TCKD + β·NCKD (see {@link decoupledKdParts}).
 * For two classes NCKD is 0 (one non-target class), so only TCKD remains.
 * @example
 * const loss = tf.add(crossEntropy(s, y), decoupledKd(s, t, y, { alpha: 1, beta: 8, temperature: 4 }));
 */
export function decoupledKd(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, labels: tf.Tensor, options: DecoupledKdOptions = {}): tf.Scalar {
  rejectUnknownOptions('DecoupledKdOptions', options, DEFAULT_DECOUPLED_KD);
  const { alpha, beta, temperature } = { ...DEFAULT_DECOUPLED_KD, ...options };
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new OptionError('DecoupledKdOptions.alpha', `must be a finite number >= 0, got ${alpha}`);
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new OptionError('DecoupledKdOptions.beta', `must be a finite number >= 0, got ${beta}`);
  return tf.tidy(() => {
    const { tckd, nckd } = decoupledKdParts(studentLogits, teacherLogits, labels, temperature);
    return tf.add(tf.mul(alpha, tckd), tf.mul(beta, nckd)) as tf.Scalar;
  });
}
