import { describe, expect, it } from 'vitest';
import { rocCurve, rocCurves } from '../../../src/learner/metrics/roc.js';
import { rocAuc } from '../../../src/learner/metrics/classification.js';

describe('rocCurve', () => {
  it('matches a hand-computed curve with a tie', () => {
    // scores sorted: 0.9(+) 0.6(+) 0.6(-) 0.4(-) 0.1(+); 3 positives, 2 negatives
    const pos = [true, true, false, false, true];
    const s = [0.9, 0.6, 0.6, 0.4, 0.1];
    const r = rocCurve(pos, s);
    expect(r.thresholds).toEqual([Infinity, 0.9, 0.6, 0.4, 0.1]);
    expect(r.tpr).toEqual([0, 1 / 3, 2 / 3, 2 / 3, 1]);
    expect(r.fpr).toEqual([0, 0, 0.5, 1, 1]);
    // trapezoids: (0.5)·(1/3+2/3)/2 + 0.5·(2/3) = 0.25 + 1/3
    let auc = 0;
    for (let i = 1; i < r.fpr.length; i++) auc += (r.fpr[i] - r.fpr[i - 1]) * (r.tpr[i] + r.tpr[i - 1]) / 2;
    expect(auc).toBeCloseTo(0.25 + 1 / 3, 12);
    expect(auc).toBeCloseTo(rocAuc(pos, s), 12);
  });

  it('gives one curve for two classes and one per class otherwise', () => {
    expect(rocCurves([0, 1], [0.8, 0.2, 0.3, 0.7], ['CN', 'AD']).map((c) => c.name)).toEqual(['AD']);
    const three = rocCurves([0, 1, 2], [1, 0, 0, 0, 1, 0, 0, 0, 1], ['a', 'b', 'c']);
    expect(three).toHaveLength(3);
    expect(three[0].tpr[1]).toBe(1);
    expect(three[0].fpr[1]).toBe(0);
  });
});
