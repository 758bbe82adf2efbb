import { describe, expect, it } from 'vitest';
import { classScores, classScoresTable, confusionText, predictionScores, recallText, sumConfusion } from '../../../src/learner/metrics/class-scores.js';
import { classificationMetrics } from '../../../src/index.js';

describe('learner/metrics/class-scores.ts', () => {
  it('takes recall and confusion from the library report; the table shows mean ± sd of recall and the summed confusion', () => {
    // labels 0 0 0 1 1, predictions 0 0 1 1 0 → confusion [[2, 1], [1, 1]], recall 2/3 and 1/2
    const probs = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6, 0.6, 0.4];
    const a = classScores(classificationMetrics([0, 0, 0, 1, 1], probs, 2));
    expect(a.confusion).toEqual([
      [2, 1],
      [1, 1],
    ]);
    expect(a.recall[0]).toBeCloseTo(2 / 3, 12);
    expect(a.recall[1]).toBeCloseTo(1 / 2, 12);
    expect(recallText(['CN', 'AD'], a)).toBe('CN 0.667, AD 0.500');
    expect(confusionText(a.confusion)).toBe('[2 1; 1 1]');
    // a second run: confusion [[3, 0], [0, 2]], recall 1 and 1
    const b = { recall: [1, 1], confusion: [[3, 0], [0, 2]] };
    expect(sumConfusion([a.confusion, b.confusion])).toEqual([[5, 1], [1, 3]]);
    // recall CN: mean (2/3 + 1)/2 = 0.8333, sd |1 − 2/3| / √2 = 0.2357; AD: 0.75 ± 0.3536
    const table = classScoresTable(['CN', 'AD'], [
      { name: 'plain', runs: [a, b] },
      { name: 'old results', runs: [{ recall: [1, 1] }, undefined] },
    ]);
    expect(table).toBe(
      '| model | recall CN | recall AD | confusion (rows true CN/AD, columns predicted; summed over runs) |\n' +
        '| --- | --- | --- | --- |\n' +
        '| plain | 0.833 ± 0.236 | 0.750 ± 0.354 | [5 1; 1 3] |',
    );
    expect(classScoresTable(['CN', 'AD'], [{ name: 'old', runs: [{}] }])).toBeUndefined();
  });

  it('predictionScores: recall and confusion of hard predictions, as the report computes them', () => {
    // labels 0 0 0 1 1 2, predictions 0 1 0 1 1 0 → confusion [[2, 1, 0], [0, 2, 0], [1, 0, 0]], recall 2/3, 1, 0
    const s = predictionScores([0, 0, 0, 1, 1, 2], Int32Array.from([0, 1, 0, 1, 1, 0]), 3);
    expect(s.confusion).toEqual([[2, 1, 0], [0, 2, 0], [1, 0, 0]]);
    expect(s.recall).toEqual([2 / 3, 1, 0]);
    const probs = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6, 0.6, 0.4];
    expect(predictionScores([0, 0, 0, 1, 1], [0, 0, 1, 1, 0], 2)).toEqual(classScores(classificationMetrics([0, 0, 0, 1, 1], probs, 2)));
  });
});
