/**
 * Metrics recorded in the history each epoch, from a validation pass.
 */
import { OptionError } from '../../backend/errors.js';
import type { InferenceResult } from '../inference.js';
import { accuracy, argmaxRows, balancedAccuracy, macroF1, multiclassAuc } from './classification.js';

/** Names of the per-epoch metrics. */
export type MetricName = 'accuracy' | 'balancedAccuracy' | 'macroF1' | 'auc' | 'mse';

/** All per-epoch metric names. */
export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'balancedAccuracy', 'macroF1', 'auc', 'mse'];

/** Computes the named metrics of a validation pass (no bootstrap). */
export function epochMetrics(names: readonly MetricName[], r: InferenceResult, numClasses: number): Record<string, number> {
  const out: Record<string, number> = {};
  const n = r.ids.length;
  for (const name of names) {
    if (!METRIC_NAMES.includes(name)) throw new OptionError('LearnerOptions.metrics', `unknown metric ${JSON.stringify(name)} (expected ${METRIC_NAMES.join(', ')})`);
    if (name === 'mse') {
      if (!r.reconstructionMse) throw new OptionError('LearnerOptions.metrics', 'mse needs a model with a reconstruction output');
      out.mse = n ? r.reconstructionMse.reduce((a, b) => a + b, 0) / n : NaN;
      continue;
    }
    if (!r.probabilities) throw new OptionError('LearnerOptions.metrics', `${name} needs a model with logits`);
    const preds = argmaxRows(r.probabilities, n, numClasses);
    if (name === 'accuracy') out.accuracy = accuracy(r.labels, preds);
    else if (name === 'balancedAccuracy') out.balancedAccuracy = balancedAccuracy(r.labels, preds, numClasses);
    else if (name === 'macroF1') out.macroF1 = macroF1(r.labels, preds, numClasses);
    else out.auc = multiclassAuc(r.labels, r.probabilities, numClasses);
  }
  return out;
}
