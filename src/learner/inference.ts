/**
 * Forward passes without training: the shared core of validation, predict
 * and encode. Samples keep the source's order (no shuffling).
 */
import * as tf from '@tensorflow/tfjs';
import { countNonFinite } from '../backend/non-finite.js';
import type { BatchSource, SplitName, Batch } from '../data/batch.js';
import type { LossFunction } from './loss-spec.js';
import { classificationMetrics, argmaxRows, type ClassificationReport } from './metrics/classification.js';
import type { ModelHandle } from './model-handle.js';

/** Everything inference needs from a Learner. */
export interface InferenceContext {
  handle: ModelHandle;
  source: BatchSource;
  batchSize: number;
  lossFn: LossFunction;
  /** Check (and throw on) bad labels of a batch. */
  checkLabels: (batch: Batch) => void;
}

/** Outputs of a pass over a split, in sample order. */
export interface InferenceResult {
  ids: string[];
  labels: Int32Array;
  /** Mean loss over the samples (only when asked). */
  loss?: number;
  /** Softmax probabilities [N × C] (classifier and multitask). */
  probabilities?: Float32Array;
  /** Per-sample reconstruction MSE (autoencoder and multitask). */
  reconstructionMse?: Float32Array;
  /** With the loss: the first sample of the first batch whose loss is not finite, and how many of its input values are NaN/±Inf. */
  nonFinite?: { id: string; inputValues: number };
}

/**
 * The sample to blame for a batch's non-finite loss: the first with a non-finite input value, else the first with a
 * non-finite output (probabilities `p`, `k` per sample; reconstruction MSE `m`), else the batch's first.
 */
function blame(batch: Batch, p: ArrayLike<number> | undefined, k: number, m: ArrayLike<number> | undefined): { id: string; inputValues: number } {
  const size = batch.x.data.length / batch.ids.length;
  for (let i = 0; i < batch.ids.length; i++) {
    const inputValues = countNonFinite(batch.x.data, i * size, (i + 1) * size);
    if (inputValues > 0) return { id: batch.ids[i], inputValues };
  }
  for (let i = 0; i < batch.ids.length; i++) {
    if ((p && countNonFinite(p, i * k, (i + 1) * k) > 0) || (m && !Number.isFinite(m[i]))) return { id: batch.ids[i], inputValues: 0 };
  }
  return { id: batch.ids[0], inputValues: 0 };
}

/** Turns a batch's plain arrays into tensors (owned by the caller). */
export function batchTensors(batch: Batch): { x: tf.Tensor; y: tf.Tensor1D } {
  return { x: tf.tensor(batch.x.data, batch.x.shape), y: tf.tensor1d(batch.y, 'int32') };
}

/** Model outputs as an array. */
export function asArray(out: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(out) ? out : [out];
}

/** Index of the logits output for a kind, or -1. */
export function logitsIndex(handle: ModelHandle): number {
  return handle.kind === 'classifier' ? 0 : handle.kind === 'multitask' ? 2 : -1;
}

/**
 * Runs the model (training = false) over a split.
 * @param withLoss also compute the mean loss (labels are then checked)
 */
export async function runInference(ctx: InferenceContext, split: SplitName, withLoss: boolean): Promise<InferenceResult> {
  const ids: string[] = [];
  const labels: number[] = [];
  const probs: number[] = [];
  const mses: number[] = [];
  let lossSum = 0;
  let nonFinite: InferenceResult['nonFinite'];
  const li = logitsIndex(ctx.handle);
  const hasRecon = ctx.handle.kind !== 'classifier';
  for await (const batch of ctx.source.batches(split, { batchSize: ctx.batchSize, shuffle: false, augment: false })) {
    if (withLoss) ctx.checkLabels(batch);
    const n = batch.y.length;
    const { x, y } = batchTensors(batch);
    try {
      const [loss, p, mse] = tf.tidy(() => {
        const outputs = asArray(ctx.handle.model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]);
        const l = withLoss ? ctx.lossFn({ outputs, x, y, batch, training: false }) : undefined;
        const pr = li >= 0 ? tf.softmax(outputs[li] as tf.Tensor2D) : undefined;
        const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
        const m = hasRecon ? tf.mean(tf.squaredDifference(outputs[0], x), axes) : undefined;
        return [l, pr, m] as const;
      });
      try {
        const batchLoss = loss ? (await loss.data())[0] : 0;
        lossSum += batchLoss * n;
        const pv = p ? await p.data() : undefined;
        const mv = mse ? await mse.data() : undefined;
        if (pv) probs.push(...pv);
        if (mv) mses.push(...mv);
        if (!Number.isFinite(batchLoss) && !nonFinite) nonFinite = blame(batch, pv, p ? (p.shape[1] as number) : 0, mv);
      } finally {
        tf.dispose([loss, p, mse].filter((t): t is tf.Tensor => t !== undefined));
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    ids.push(...batch.ids);
    labels.push(...batch.y);
  }
  const result: InferenceResult = { ids, labels: Int32Array.from(labels) };
  if (withLoss) result.loss = ids.length ? lossSum / ids.length : NaN;
  if (nonFinite) result.nonFinite = nonFinite;
  if (li >= 0) result.probabilities = Float32Array.from(probs);
  if (hasRecon) result.reconstructionMse = Float32Array.from(mses);
  return result;
}

/** Options of {@link encodeSplit}. */
export interface EncodeOptions {
  /** 'flatten' keeps every code value; 'avg' averages over the spatial axes (one value per channel); default 'flatten'. */
  pooling?: 'flatten' | 'avg';
}

/** Defaults of {@link EncodeOptions}. */
export const DEFAULT_ENCODE: Required<EncodeOptions> = { pooling: 'flatten' };

/** Bottleneck vectors of a split. */
export interface Encoding {
  /** One vector per sample, in sample order. */
  vectors: Float32Array[];
  /** Length of each vector. */
  dim: number;
  ids: string[];
  labels: Int32Array;
}

/** Runs `codeOf` (input → code tensor) over a split and pools the codes. */
export async function encodeSplit(ctx: InferenceContext, split: SplitName, codeOf: (x: tf.Tensor) => tf.Tensor, pooling: 'flatten' | 'avg'): Promise<Encoding> {
  const vectors: Float32Array[] = [];
  const ids: string[] = [];
  const labels: number[] = [];
  let dim = 0;
  for await (const batch of ctx.source.batches(split, { batchSize: ctx.batchSize, shuffle: false, augment: false })) {
    const { x, y } = batchTensors(batch);
    try {
      const flat = tf.tidy(() => {
        const code = codeOf(x);
        const pooled = pooling === 'avg' && code.rank > 2 ? tf.mean(code, Array.from({ length: code.rank - 2 }, (_, i) => i + 1)) : code;
        return pooled.reshape([batch.y.length, -1]);
      });
      dim = flat.shape[1] as number;
      const data = (await flat.data()) as Float32Array;
      flat.dispose();
      for (let i = 0; i < batch.y.length; i++) vectors.push(data.slice(i * dim, (i + 1) * dim));
    } finally {
      x.dispose();
      y.dispose();
    }
    ids.push(...batch.ids);
    labels.push(...batch.y);
  }
  return { vectors, dim, ids, labels: Int32Array.from(labels) };
}

/** Result of {@link Learner.predict}. */
export interface Prediction {
  ids: string[];
  /** True labels (-1 = unlabelled), in sample order. */
  labels: Int32Array;
  /** Softmax probabilities [N × C] (classifier, multitask). */
  probabilities?: Float32Array;
  /** Argmax classes (classifier, multitask). */
  predictions?: Int32Array;
  /** Per-sample reconstruction MSE (autoencoder, multitask). */
  reconstructionMse?: Float32Array;
  /** Classification metrics over the labelled samples (classifier, multitask). */
  metrics?: ClassificationReport;
  /** Mean reconstruction MSE (autoencoder, multitask). */
  mse?: number;
}

/** Runs predict over a split: probabilities, argmax, labels, ids, metrics over the labelled samples. */
export async function predictSplit(ctx: InferenceContext, split: SplitName, o: { bootstrap: number; seed: number }): Promise<Prediction> {
  const r = await runInference(ctx, split, false);
  const out: Prediction = { ids: r.ids, labels: r.labels };
  const c = ctx.source.classes.length;
  if (r.probabilities) {
    const probs = r.probabilities;
    out.probabilities = probs;
    out.predictions = argmaxRows(probs, r.ids.length, c);
    const keep = Array.from(r.labels.keys()).filter((i) => r.labels[i] >= 0 && r.labels[i] < c);
    if (keep.length > 0) {
      const labels = Int32Array.from(keep, (i) => r.labels[i]);
      const p = new Float32Array(keep.length * c);
      keep.forEach((i, j) => p.set(probs.subarray(i * c, (i + 1) * c), j * c));
      out.metrics = classificationMetrics(labels, p, c, { bootstrap: o.bootstrap, seed: o.seed });
    }
  }
  if (r.reconstructionMse) {
    out.reconstructionMse = r.reconstructionMse;
    out.mse = r.reconstructionMse.reduce((a, b) => a + b, 0) / Math.max(1, r.reconstructionMse.length);
  }
  return out;
}
