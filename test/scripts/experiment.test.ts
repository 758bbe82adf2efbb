import { describe, expect, it } from 'vitest';
import { markdownTable, parseShape } from '../../scripts/lib/experiment.js';

describe('experiment helpers', () => {
  it('parses shapes and formats tables', () => {
    expect(parseShape('crop', '96x120x120')).toEqual([96, 120, 120]);
    expect(() => parseShape('crop', '96x120')).toThrow(/crop/);
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});
