import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/learner/callback.js';
import { classificationMetrics } from '../../src/learner/metrics/classification.js';
import { historyForReport, metricsForReport, rocForReport, versionsForReport } from '../../src/viz/report/from-learner.js';

describe('Learner outputs → report sections', () => {
  it('history: 1-based epochs, metrics flattened, a NaN validation loss left out', () => {
    const records: EpochRecord[] = [
      { epoch: 0, trainLoss: 1, validLoss: 0.9, metrics: { accuracy: 0.5 }, lr: 1e-3, seconds: 1 },
      { epoch: 1, trainLoss: 0.8, validLoss: NaN, metrics: {}, lr: 1e-3, seconds: 1 },
    ];
    expect(historyForReport(records)).toEqual([
      { epoch: 1, trainLoss: 1, validLoss: 0.9, accuracy: 0.5 },
      { epoch: 2, trainLoss: 0.8 },
    ]);
  });

  it('metrics with their intervals named "<model>: <metric>", and ROC points of class 1', () => {
    // labels 0 0 1 1, class-1 probabilities .2 .6 .4 .9: predictions 0 1 0 1 → accuracy 0.5, AUC 3/4
    const labels = Int32Array.from([0, 0, 1, 1]);
    const probabilities = Float32Array.from([0.8, 0.2, 0.4, 0.6, 0.6, 0.4, 0.1, 0.9]);
    const metrics = classificationMetrics(labels, probabilities, 2, { bootstrap: 20, seed: 0 });
    const rows = metricsForReport('clf', { ids: ['a', 'b', 'c', 'd'], labels, probabilities, metrics });
    expect(rows.map((r) => r.name)).toEqual(['clf: balancedAccuracy', 'clf: accuracy', 'clf: macroF1', 'clf: auc']);
    expect(rows[1].value).toBe(0.5);
    expect(rows[3].value).toBeCloseTo(0.75, 12);
    expect(rows[3].ci).toEqual(metrics.ci!.auc);
    expect(metricsForReport('ae', { ids: [], labels: new Int32Array(0), mse: 0.25 })).toEqual([{ name: 'ae: reconstruction MSE', value: 0.25, split: 'test' }]);
    const [roc] = rocForReport('clf', { ids: [], labels, probabilities }, ['CN', 'AD']);
    expect(roc.name).toBe('clf AD');
    expect(roc.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(roc.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(Object.keys(versionsForReport())).toEqual(['transmri', '@tensorflow/tfjs', 'node']);
  });
});
