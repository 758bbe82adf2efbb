import { describe, expect, it } from 'vitest';
import { formatMeanSd, meanSd, pairedDifference, seedSummary, winTieLoss } from '../../../src/learner/metrics/mean-sd.js';

describe('mean ± sd over seeds', () => {
  it('summarises with the sample sd and counts paired wins, ties and losses', () => {
    // values 0.5, 0.75, 1: mean 0.75, sd = sqrt((0.0625 + 0 + 0.0625) / 2) = 0.25
    const s = seedSummary([0.5, 0.75, 1]);
    expect(s.mean).toBeCloseTo(0.75, 12);
    expect(s.sd).toBeCloseTo(0.25, 12);
    expect(s.values).toEqual([0.5, 0.75, 1]);
    expect(meanSd([0.5, 0.75, 1])).toEqual({ mean: s.mean, sd: s.sd });
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0 });
    expect(formatMeanSd(s)).toBe('0.750 ± 0.250');
    expect(pairedDifference([1, 0.5, 0.5], [0.5, 0.5, 0.75])).toEqual([0.5, 0, -0.25]);
    expect(winTieLoss([1, 0.5, 0.5], [0.5, 0.5, 0.75])).toEqual({ wins: 1, ties: 1, losses: 1 });
    expect(() => pairedDifference([1], [1, 2])).toThrow(/equal lengths/);
  });
});
