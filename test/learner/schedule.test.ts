import { describe, expect, it } from 'vitest';
import { scheduleLr, scheduleMomentum } from '../../src/learner/schedule.js';

describe('scheduleLr', () => {
  it('constant', () => {
    expect(scheduleLr('constant', 0.01, 57, 100)).toBe(0.01);
  });

  it('step: lr·gamma^floor(step/every)', () => {
    expect(scheduleLr({ kind: 'step', gamma: 0.1, every: 10 }, 1, 25, 100)).toBeCloseTo(0.01, 15);
    // default every = ceil(100/3) = 34: step 33 → lr, step 34 → lr/10
    expect(scheduleLr('step', 1, 33, 100)).toBe(1);
    expect(scheduleLr('step', 1, 34, 100)).toBeCloseTo(0.1, 15);
  });

  it('cosine: half-way is the mean of the ends', () => {
    expect(scheduleLr('cosine', 1e-3, 0, 100)).toBeCloseTo(1e-3, 15);
    expect(scheduleLr('cosine', 1e-3, 50, 100)).toBeCloseTo(5e-4, 15);
    expect(scheduleLr({ kind: 'cosine', minFactor: 0.1 }, 1, 100, 100)).toBeCloseTo(0.1, 15);
  });

  it('oneCycle: lr/25 → lr at 25 % → lr/1e5', () => {
    expect(scheduleLr('oneCycle', 1e-2, 0, 100)).toBeCloseTo(4e-4, 15);
    expect(scheduleLr('oneCycle', 1e-2, 25, 100)).toBeCloseTo(1e-2, 15);
    // half-way through the warm-up: (4e-4 + 1e-2) / 2
    expect(scheduleLr('oneCycle', 1e-2, 12.5, 100)).toBeCloseTo(5.2e-3, 15);
    expect(scheduleLr('oneCycle', 1e-2, 100, 100) / 1e-7).toBeCloseTo(1, 9);
  });

  it('oneCycle momentum: 0.95 → 0.85 at the lr peak → 0.95, cosine in both phases (fastai moms)', () => {
    expect(scheduleMomentum('oneCycle', 0, 100)).toBeCloseTo(0.95, 15);
    expect(scheduleMomentum('oneCycle', 25, 100)).toBeCloseTo(0.85, 15);
    // half-way through the warm-up and through the annealing: the mean (0.95 + 0.85) / 2
    expect(scheduleMomentum('oneCycle', 12.5, 100)).toBeCloseTo(0.9, 15);
    expect(scheduleMomentum('oneCycle', 62.5, 100)).toBeCloseTo(0.9, 15);
    // a quarter of the warm-up: 0.95 + (1 + cos(0.75π)) · (0.85 − 0.95) / 2 = 0.95 − 0.05 · (1 − √½) = 0.9353553
    expect(scheduleMomentum('oneCycle', 6.25, 100)).toBeCloseTo(0.95 - 0.05 * (1 - Math.SQRT1_2), 15);
    expect(scheduleMomentum('oneCycle', 100, 100)).toBeCloseTo(0.95, 15);
    // custom moms and warm-up: [0.9, 0.8, 0.85], pctStart 0.5: peak at step 50, end 0.85, 3/4 → (0.8 + 0.85) / 2
    const custom = { kind: 'oneCycle', pctStart: 0.5, moms: [0.9, 0.8, 0.85] } as const;
    expect(scheduleMomentum({ ...custom, moms: [...custom.moms] }, 50, 100)).toBeCloseTo(0.8, 15);
    expect(scheduleMomentum({ ...custom, moms: [...custom.moms] }, 75, 100)).toBeCloseTo(0.825, 15);
    expect(scheduleMomentum({ ...custom, moms: [...custom.moms] }, 100, 100)).toBeCloseTo(0.85, 15);
    // the lr of the same steps is unchanged by moms
    expect(scheduleLr({ kind: 'oneCycle', moms: [0.9, 0.8, 0.85] }, 1e-2, 25, 100)).toBeCloseTo(1e-2, 15);
  });

  it('momentum is left to the optimizer by the other schedules and by moms: null; bad moms throw', () => {
    for (const s of ['constant', 'step', 'cosine'] as const) expect(scheduleMomentum(s, 3, 10)).toBeUndefined();
    expect(scheduleMomentum({ kind: 'oneCycle', moms: null }, 3, 10)).toBeUndefined();
    expect(() => scheduleMomentum({ kind: 'oneCycle', moms: [0.95, 1.2, 0.95] }, 0, 1)).toThrow(/schedule\(oneCycle\).moms/);
    expect(() => scheduleLr({ kind: 'oneCycle', moms: [0.95, 0.85] as never }, 1, 0, 1)).toThrow(/schedule\(oneCycle\).moms/);
  });

  it('rejects unknown schedules and keys', () => {
    expect(() => scheduleLr('linear' as never, 1, 0, 1)).toThrow(/unknown schedule "linear"/);
    expect(() => scheduleLr({ kind: 'cosine', gamma: 1 } as never, 1, 0, 1)).toThrow(/schedule\(cosine\).gamma/);
  });
});
