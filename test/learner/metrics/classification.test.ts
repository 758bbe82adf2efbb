import { describe, expect, it } from 'vitest';
import {
  accuracy,
  balancedAccuracy,
  classificationMetrics,
  confusionMatrix,
  macroF1,
  multiclassAuc,
  perClassScores,
  rocAuc,
} from '../../../src/learner/metrics/classification.js';
import { quantileSorted } from '../../../src/backend/quantile.js';

// Three classes, seven samples.
// probs argmax → preds [0, 1, 2, 0, 2, 1, 1]; labels [0, 1, 1, 0, 2, 2, 1].
const labels = [0, 1, 1, 0, 2, 2, 1];
const probs = [
  [0.7, 0.2, 0.1],
  [0.1, 0.6, 0.3],
  [0.3, 0.3, 0.4],
  [0.5, 0.4, 0.1],
  [0.2, 0.2, 0.6],
  [0.1, 0.5, 0.4],
  [0.2, 0.7, 0.1],
].flat();
const preds = [0, 1, 2, 0, 2, 1, 1];

describe('classification metrics (hand-computed)', () => {
  it('confusion matrix rows are true classes', () => {
    // class 0 → predicted 0,0; class 1 → 1,2,1; class 2 → 2,1
    expect(confusionMatrix(labels, preds, 3)).toEqual([
      [2, 0, 0],
      [0, 2, 1],
      [0, 1, 1],
    ]);
  });

  it('accuracy, per-class scores, balanced accuracy, macro-F1', () => {
    expect(accuracy(labels, preds)).toBeCloseTo(5 / 7, 12);
    const s = perClassScores(confusionMatrix(labels, preds, 3));
    // precision: col sums 2, 3, 2 → 2/2, 2/3, 1/2; recall: row sums 2, 3, 2 → 1, 2/3, 1/2
    expect(s.precision).toEqual([1, 2 / 3, 1 / 2]);
    expect(s.recall).toEqual([1, 2 / 3, 1 / 2]);
    expect(s.f1[0]).toBeCloseTo(1, 12);
    expect(s.f1[1]).toBeCloseTo(2 / 3, 12);
    expect(s.f1[2]).toBeCloseTo(1 / 2, 12);
    // (1 + 2/3 + 1/2) / 3 = 13/18
    expect(balancedAccuracy(labels, preds, 3)).toBeCloseTo(13 / 18, 12);
    expect(macroF1(labels, preds, 3)).toBeCloseTo(13 / 18, 12);
  });

  it('zero denominators give 0 and absent classes are left out of balanced accuracy', () => {
    // class 2 never appears and is never predicted
    const s = perClassScores(confusionMatrix([0, 1], [0, 0], 3));
    expect(s.precision).toEqual([0.5, 0, 0]);
    expect(s.recall).toEqual([1, 0, 0]);
    expect(balancedAccuracy([0, 1], [0, 0], 3)).toBe(0.5);
  });

  it('binary ROC AUC counts ties as one half', () => {
    // positives .35 .8 .4 vs negatives .1 .4: wins 1+0 + 1+1 + 1+0.5 = 4.5 of 6
    expect(rocAuc([false, false, true, true, true], [0.1, 0.4, 0.35, 0.8, 0.4])).toBeCloseTo(0.75, 12);
    expect(rocAuc([true, true], [0.1, 0.2])).toBeNaN();
  });

  it('one-vs-rest macro AUC', () => {
    // class 0: 1; class 1: 10/12; class 2: 9.5/10 → mean 0.9277…
    expect(multiclassAuc(labels, probs, 3)).toBeCloseTo((1 + 10 / 12 + 0.95) / 3, 6);
    // binary uses the class-1 column
    expect(multiclassAuc([0, 1], [0.9, 0.1, 0.2, 0.8], 2)).toBe(1);
  });

  it('quantiles interpolate like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 12);
  });

  it('classificationMetrics: point values, binary sensitivity/specificity, seeded bootstrap', () => {
    const r = classificationMetrics(labels, probs, 3, { bootstrap: 200, seed: 3 });
    expect(r.accuracy).toBeCloseTo(5 / 7, 12);
    expect(r.balancedAccuracy).toBeCloseTo(13 / 18, 12);
    expect(r.sensitivity).toBeUndefined();
    const [lo, hi] = r.ci!.accuracy;
    expect(lo).toBeLessThan(r.accuracy);
    expect(hi).toBeGreaterThan(r.accuracy);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(classificationMetrics(labels, probs, 3, { bootstrap: 200, seed: 3 }).ci).toEqual(r.ci);
    expect(classificationMetrics(labels, probs, 3, { bootstrap: 200, seed: 4 }).ci).not.toEqual(r.ci);

    // binary: labels [0,0,1,1], preds [0,1,1,1] → sensitivity 1, specificity 1/2
    const b = classificationMetrics([0, 0, 1, 1], [0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.3, 0.7], 2, { bootstrap: 0 });
    expect(b.sensitivity).toBe(1);
    expect(b.specificity).toBe(0.5);
    expect(b.ci).toBeUndefined();
    // perfect predictions: every bootstrap accuracy is 1
    const perfect = classificationMetrics([0, 1, 1], [1, 0, 0, 1, 0, 1], 2, { bootstrap: 50 });
    expect(perfect.ci!.accuracy).toEqual([1, 1]);
  });

  it('rejects unknown options and bad labels', () => {
    expect(() => classificationMetrics([0], [1, 0], 2, { boot: 1 } as never)).toThrow(/ClassificationMetricsOptions.boot/);
    expect(() => confusionMatrix([3], [0], 2)).toThrow(/sample 0: label 3/);
  });
});
