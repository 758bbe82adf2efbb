import { describe, expect, it } from 'vitest';
import { markdownTable, parseShape, pcaReconstructionMse, projectRows } from '../../scripts/lib/experiment.js';

describe('experiment helpers', () => {
  it('projects and reconstructs with principal axes', () => {
    const fit = { components: [[1, 0]], mean: [1, 1] };
    const coords = projectRows([[3, 2]], fit);
    expect(coords).toEqual([[2]]);
    // reconstruction [1 + 2, 1] = [3, 1] vs [3, 2] → MSE (0 + 1) / 2
    expect(pcaReconstructionMse([[3, 2]], coords, fit)).toEqual([0.5]);
  });

  it('parses shapes and formats tables', () => {
    expect(parseShape('crop', '96x120x120')).toEqual([96, 120, 120]);
    expect(() => parseShape('crop', '96x120')).toThrow(/crop/);
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});
