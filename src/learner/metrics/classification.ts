/**
 * Classification metrics: pure functions of labels, predictions and
 * probabilities (plain arrays, no tensors). Conventions follow scikit-learn:
 * confusion rows are true classes, columns predictions; a precision/recall/F1
 * with a zero denominator is 0; binary metrics take class 1 as positive.
 */
import { OptionError, ShapeError, rejectUnknownOptions } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { percentileInterval } from './bootstrap.js';

type Ints = ArrayLike<number>;

/** Confusion matrix m[true][pred] over `numClasses` classes. */
export function confusionMatrix(labels: Ints, predictions: Ints, numClasses: number): number[][] {
  if (labels.length !== predictions.length) throw new ShapeError('confusionMatrix: one prediction per label', [labels.length], [predictions.length]);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < numClasses) || !(p >= 0 && p < numClasses)) {
      throw new OptionError('confusionMatrix', `sample ${i}: label ${t} or prediction ${p} out of range [0, ${numClasses})`);
    }
    m[t][p]++;
  }
  return m;
}

/** Fraction of correct predictions. */
export function accuracy(labels: Ints, predictions: Ints): number {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) ok++;
  return labels.length ? ok / labels.length : NaN;
}

/** Per-class precision, recall and F1 from a confusion matrix (0 where undefined). */
export function perClassScores(confusion: number[][]): { precision: number[]; recall: number[]; f1: number[]; support: number[] } {
  const c = confusion.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  for (let k = 0; k < c; k++) {
    const tp = confusion[k][k];
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < c; j++) {
      predicted += confusion[j][k];
      actual += confusion[k][j];
    }
    const p = predicted ? tp / predicted : 0;
    const r = actual ? tp / actual : 0;
    precision.push(p);
    recall.push(r);
    f1.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
    support.push(actual);
  }
  return { precision, recall, f1, support };
}

/** Mean recall over the classes present in `labels` (scikit-learn's balanced_accuracy_score). */
export function balancedAccuracy(labels: Ints, predictions: Ints, numClasses: number): number {
  return balancedFromScores(perClassScores(confusionMatrix(labels, predictions, numClasses)));
}

/** Mean recall over the classes with support (NaN when none): the balanced accuracy of per-class scores. */
export function balancedFromScores(scores: { recall: number[]; support: number[] }): number {
  const present = scores.recall.filter((_, k) => scores.support[k] > 0);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : NaN;
}

/** Unweighted mean of the per-class F1 over all classes. */
export function macroF1(labels: Ints, predictions: Ints, numClasses: number): number {
  const { f1 } = perClassScores(confusionMatrix(labels, predictions, numClasses));
  return f1.reduce((a, b) => a + b, 0) / numClasses;
}

/**
 * ROC AUC of scores for a binary problem (`positives[i]` true for the positive
 * class): the probability that a random positive scores above a random
 * negative, ties counting one half (Mann–Whitney). NaN when one class is absent.
 */
export function rocAuc(positives: ArrayLike<boolean>, scores: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const midRank = (i + j) / 2 + 1; // average 1-based rank of the tie block
    for (let k = i; k <= j; k++) {
      if (positives[idx[k]]) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC AUC from class probabilities [N × C] (row-major): binary → AUC of class 1;
 * more classes → one-vs-rest macro average over the classes present (NaN if none).
 */
export function multiclassAuc(labels: Ints, probabilities: ArrayLike<number>, numClasses: number): number {
  const n = labels.length;
  if (probabilities.length !== n * numClasses) throw new ShapeError('multiclassAuc: probabilities must be [N, C]', [n, numClasses], [probabilities.length]);
  const column = (k: number) => Array.from({ length: n }, (_, i) => probabilities[i * numClasses + k]);
  if (numClasses === 2) return rocAuc(Array.from(labels, (t) => t === 1), column(1));
  const aucs: number[] = [];
  for (let k = 0; k < numClasses; k++) {
    const auc = rocAuc(Array.from(labels, (t) => t === k), column(k));
    if (!Number.isNaN(auc)) aucs.push(auc);
  }
  return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : NaN;
}

/** Options of {@link classificationMetrics}. */
export interface ClassificationMetricsOptions {
  /** Bootstrap resamples for the confidence intervals (0 = none); default 1000. */
  bootstrap?: number;
  /** Seed of the bootstrap resampling; default 0. */
  seed?: number;
  /** Confidence level of the intervals; default 0.95. */
  level?: number;
}

/** Defaults of {@link ClassificationMetricsOptions}. */
export const DEFAULT_CLASSIFICATION_METRICS: Required<ClassificationMetricsOptions> = { bootstrap: 1000, seed: 0, level: 0.95 };

/** All metrics of a set of predictions. */
export interface ClassificationReport {
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  precision: number[];
  recall: number[];
  f1: number[];
  macroF1: number;
  /** Binary only: recall of class 1. */
  sensitivity?: number;
  /** Binary only: recall of class 0. */
  specificity?: number;
  /** ROC AUC (binary, or one-vs-rest macro); NaN if a class is missing. */
  auc: number;
  /** confusion[true][pred]. */
  confusion: number[][];
  /** Percentile bootstrap intervals [lo, hi] (absent with bootstrap 0). */
  ci?: Record<'accuracy' | 'balancedAccuracy' | 'macroF1' | 'auc', [number, number]>;
}

/**
 * Computes every classification metric from labels and class probabilities
 * (predictions = argmax, first maximum on ties), with seeded bootstrap CIs.
 * @param probabilities row-major [N × numClasses]
 * @example const report = classificationMetrics([0, 1, 1], probs, 2, { bootstrap: 1000, seed: 1 });
 */
export function classificationMetrics(
  labels: Ints,
  probabilities: ArrayLike<number>,
  numClasses: number,
  options: ClassificationMetricsOptions = {},
): ClassificationReport {
  rejectUnknownOptions('ClassificationMetricsOptions', options, DEFAULT_CLASSIFICATION_METRICS);
  const o = { ...DEFAULT_CLASSIFICATION_METRICS, ...options };
  const n = labels.length;
  const predictions = argmaxRows(probabilities, n, numClasses);
  const report = pointMetrics(labels, predictions, probabilities, numClasses);
  if (o.bootstrap > 0 && n > 0) {
    const rng = new Rng(o.seed).fork('bootstrap');
    const samples = { accuracy: [] as number[], balancedAccuracy: [] as number[], macroF1: [] as number[], auc: [] as number[] };
    const bl = new Int32Array(n);
    const bp = new Int32Array(n);
    const bprob = new Float32Array(n * numClasses);
    for (let b = 0; b < o.bootstrap; b++) {
      for (let i = 0; i < n; i++) {
        const j = rng.int(n);
        bl[i] = labels[j];
        bp[i] = predictions[j];
        for (let k = 0; k < numClasses; k++) bprob[i * numClasses + k] = probabilities[j * numClasses + k];
      }
      const cm = confusionMatrix(bl, bp, numClasses);
      const scores = perClassScores(cm);
      samples.accuracy.push(accuracy(bl, bp));
      samples.balancedAccuracy.push(balancedFromScores(scores));
      samples.macroF1.push(scores.f1.reduce((a, x) => a + x, 0) / numClasses);
      samples.auc.push(multiclassAuc(bl, bprob, numClasses));
    }
    const interval = (values: number[]): [number, number] => percentileInterval(values, o.level);
    report.ci = {
      accuracy: interval(samples.accuracy),
      balancedAccuracy: interval(samples.balancedAccuracy),
      macroF1: interval(samples.macroF1),
      auc: interval(samples.auc),
    };
  }
  return report;
}

/** Row-wise argmax of a row-major [n × c] array (first maximum wins). */
export function argmaxRows(values: ArrayLike<number>, n: number, c: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (values[i * c + k] > values[i * c + best]) best = k;
    out[i] = best;
  }
  return out;
}

function pointMetrics(labels: Ints, predictions: Int32Array, probabilities: ArrayLike<number>, c: number): ClassificationReport {
  const confusion = confusionMatrix(labels, predictions, c);
  const scores = perClassScores(confusion);
  const { precision, recall, f1 } = scores;
  const report: ClassificationReport = {
    n: labels.length,
    accuracy: accuracy(labels, predictions),
    balancedAccuracy: balancedFromScores(scores),
    precision,
    recall,
    f1,
    macroF1: f1.reduce((a, b) => a + b, 0) / c,
    auc: multiclassAuc(labels, probabilities, c),
    confusion,
  };
  if (c === 2) {
    report.sensitivity = recall[1];
    report.specificity = recall[0];
  }
  return report;
}
