import { describe, expect, it } from 'vitest';
import { OptionError, renderReport, seedValuesFigure } from '../../src/index.js';

describe('seedValuesFigure', () => {
  it('draws one dot per seed and one mean tick per setting, with the seed on hover', async () => {
    const groups = [
      { name: 'a=1', values: [{ seed: 0, value: 2 }, { seed: 1, value: 3 }, { seed: 2, value: 4 }] },
      { name: 'a=2', values: [{ seed: 0, value: 3 }, { seed: 1, value: 5 }, { seed: 2, value: 7 }] },
    ];
    const svg = await seedValuesFigure(groups, { title: 'score', yTitle: 'score', rule: 0 });
    expect(svg.startsWith('<svg')).toBe(true);
    // 6 points, each with a hover title naming its setting and seed
    expect(svg.match(/<title>setting: a=\d; score: [\d.]+; seed: \d; value: [\d.]+<\/title>/g)).toHaveLength(6);
    // mean ticks: a=1 → 3.0000, a=2 → 5.0000
    expect(svg).toContain('mean: 3.0000');
    expect(svg).toContain('mean: 5.0000');
    await expect(seedValuesFigure([])).rejects.toThrow(OptionError);
    await expect(seedValuesFigure(groups, { bins: 3 } as never)).rejects.toThrow(/SeedValuesFigureOptions\.bins/);
  });

  it('is a report figure through Experiment.seedValues', async () => {
    const { html } = await renderReport({ title: 'sweep', seedValues: [{ title: 'score per setting', groups: [{ name: 'x', values: [{ seed: 0, value: 1 }] }] }] });
    expect(html).toContain('data-figure="seeds-0"');
  });
});
