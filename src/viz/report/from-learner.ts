/**
 * Turns Learner and DataBunch outputs into the plain-data sections of a report
 * (`Experiment` in experiment.ts): history, headline metrics with intervals, ROC curves,
 * versions, backend, reconstructions.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../../backend/init.js';
import type { BatchSource, SplitName } from '../../data/batch.js';
import type { EpochRecord } from '../../learner/callback.js';
import type { Prediction } from '../../learner/inference.js';
import { rocCurves } from '../../learner/metrics/roc.js';
import type { Experiment, ExperimentMetric } from './experiment.js';

type HistoryEpochs = NonNullable<Experiment['histories']>[number]['epochs'];

/** Learner history → report epochs (1-based epoch numbers, metrics flattened). */
export function historyForReport(records: readonly EpochRecord[]): HistoryEpochs {
  return records.map((r, i) => ({ epoch: i + 1, trainLoss: r.trainLoss, ...(Number.isFinite(r.validLoss) ? { validLoss: r.validLoss } : {}), ...r.metrics }));
}

/** A prediction's headline metrics with their bootstrap intervals, named `${model}: metric`. */
export function metricsForReport(model: string, prediction: Prediction, split: SplitName = 'test'): ExperimentMetric[] {
  const m = prediction.metrics;
  if (!m) return prediction.mse === undefined ? [] : [{ name: `${model}: reconstruction MSE`, value: prediction.mse, split }];
  const keys = ['balancedAccuracy', 'accuracy', 'macroF1', 'auc'] as const;
  return keys.filter((k) => Number.isFinite(m[k])).map((k) => ({ name: `${model}: ${k}`, value: m[k], ci: m.ci?.[k], split }));
}

/** ROC curves of a prediction (one-vs-rest for more than two classes). */
export function rocForReport(model: string, prediction: Prediction, classes: readonly string[]): NonNullable<Experiment['roc']> {
  if (!prediction.probabilities) return [];
  return rocCurves(prediction.labels, prediction.probabilities, classes).map((c) => ({ name: `${model} ${c.name}`, fpr: c.fpr, tpr: c.tpr }));
}

/** Versions of the library, tfjs and node. */
export function versionsForReport(): Record<string, string> {
  const require = createRequire(import.meta.url);
  // src/viz/report in a checkout, dist/src/viz/report in the package: the first package.json named transmri above.
  const own = ['../../../package.json', '../../../../package.json'].map((p) => {
    try {
      return require(p) as { name?: string; version: string };
    } catch {
      return undefined;
    }
  }).find((p) => p?.name === 'transmri') ?? { version: 'unknown' };
  return { transmri: own.version, '@tensorflow/tfjs': tf.version_core, node: process.versions.node };
}

/** The backend as the report shows it. */
export function backendForReport(info: BackendInfo): Record<string, unknown> {
  return { name: info.name, package: info.package, gpu: info.gpu, reason: info.reason, native: info.native.active ? 'active' : 'inactive', nativeReason: info.native.reason };
}

/**
 * Original, reconstruction pairs of the first `count` samples of a split (no augmentation),
 * from an autoencoder whose first output is the reconstruction.
 */
export async function reconstructionsForReport(
  source: BatchSource,
  model: tf.LayersModel,
  split: SplitName,
  count: number,
): Promise<NonNullable<Experiment['reconstructions']>> {
  const out: Array<NonNullable<Experiment['reconstructions']>[number]> = [];
  for await (const batch of source.batches(split, { batchSize: count, shuffle: false, augment: false })) {
    const [n, ...sample] = batch.x.shape;
    const per = sample.reduce((a, b) => a * b, 1);
    const recon = tf.tidy(() => {
      const y = model.predict(tf.tensor(batch.x.data, batch.x.shape)) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(y) ? y[0] : y).dataSync() as Float32Array;
    });
    const shape = sample.slice(0, 3) as [number, number, number];
    for (let i = 0; i < Math.min(n, count); i++) {
      out.push({
        id: batch.ids[i],
        label: batch.y[i] >= 0 ? source.classes[batch.y[i]] : undefined,
        original: { data: batch.x.data.slice(i * per, (i + 1) * per), shape },
        reconstruction: { data: recon.slice(i * per, (i + 1) * per), shape },
      });
    }
    break;
  }
  return out;
}
