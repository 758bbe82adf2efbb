import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '../../src/backend/errors.js';
import type { FitState } from '../../src/learner/callback.js';
import { Learner, type FitOptions } from '../../src/learner/learner.js';
import { adamW } from '../../src/learner/adamw.js';
import { disposeOptimizer } from '../../src/learner/optim.js';
import { scheduleMomentum } from '../../src/learner/schedule.js';
import { optimizerMomentum, withMomentum } from '../../src/learner/schedule-momentum.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { tinyClassifier, toySource, weightValues } from './helpers.js';

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-moms-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two optimizer steps on a scalar variable x = 0 with gradients g1, g2 and momenta mom1, mom2. */
let uid = 0;
function twoSteps(opt: tf.Optimizer, g: [number, number], moms: [number, number]): number {
  const x = tf.tidy(() => tf.variable(tf.scalar(0), true, `momentum_test_x${uid++}`));
  try {
    for (let i = 0; i < 2; i++) {
      const grad = tf.scalar(g[i]);
      withMomentum(opt, moms[i], () => opt.applyGradients({ [x.name]: grad }));
      grad.dispose();
    }
    return x.dataSync()[0];
  } finally {
    x.dispose();
  }
}

describe('withMomentum', () => {
  expectNoTensorLeaks();

  it("Adam: β1 per step with the bias correction 1 − Π β1 (hand-computed), the optimizer's own β1 back afterwards", () => {
    const opt = tf.train.adam(0.1, 0.9, 0.999, 1e-8);
    // step 1 (β1 0.95, g 1): m = 0.05, m̂ = 0.05 / (1 − 0.95) = 1, v̂ = 1 → x = −0.1
    // step 2 (β1 0.85, g 2): m = 0.85·0.05 + 0.15·2 = 0.3425, m̂ = 0.3425 / (1 − 0.95·0.85) = 1.7792208;
    //   v = 0.999·0.001 + 0.001·4 = 0.004999, v̂ = 0.004999 / (1 − 0.999²) = 2.5007504 → x = −0.1 − 0.1·1.7792208/1.5813761 = −0.2125109
    // (tfjs' own β1 = 0.9 in the first correction would give m̂ = 0.5 and x = −0.05 after step 1)
    expect(twoSteps(opt, [1, 2], [0.95, 0.85])).toBeCloseTo(-0.2125109, 5);
    expect(optimizerMomentum(opt)).toBe(0.9);
    // between steps the product is kept premultiplied by the base β1: 0.95 · 0.85 · 0.9
    const acc = (opt as unknown as { accBeta1: tf.Variable }).accBeta1;
    expect(acc.dataSync()[0]).toBeCloseTo(0.95 * 0.85 * 0.9, 6);
    opt.dispose();
  });

  it('AdamW is an Adam; momentum SGD swaps the momentum its update reads; plain SGD has none', () => {
    const w = adamW(1e-3);
    expect(optimizerMomentum(w)).toBe(0.9);
    w.dispose();
    const mom = tf.train.momentum(0.1, 0.9);
    // acc = 1 (g 1), x = −0.1; acc = 0.5·1 + 1 = 1.5 (momentum 0.5), x = −0.25 (0.9 would give −0.29)
    expect(twoSteps(mom, [1, 1], [0.5, 0.5])).toBeCloseTo(-0.25, 6);
    expect(optimizerMomentum(mom)).toBe(0.9);
    disposeOptimizer(mom);
    const sgd = tf.train.sgd(0.1);
    expect(optimizerMomentum(sgd)).toBeUndefined();
    expect(twoSteps(sgd, [1, 1], [0.5, 0.5])).toBeCloseTo(-0.2, 6);
    sgd.dispose();
  });
});

describe('fit with oneCycle cycles the momentum', () => {
  it('each step uses scheduleMomentum; moms: null gives other weights; Adam keeps β1 = 0.9 between fits', async () => {
    const moms: Array<number | undefined> = [];
    const l = new Learner(toySource(), tinyClassifier(1, 0), { seed: 1, callbacks: [{ beforeBatch: (s: FitState) => void moms.push(s.mom) }] });
    await l.fit(2, { lr: 0.01, schedule: 'oneCycle' });
    // 24 samples / batch 8 = 3 batches per epoch, 6 steps
    expect(moms).toEqual(Array.from({ length: 6 }, (_, i) => scheduleMomentum('oneCycle', i, 6)));
    expect(moms[0]).toBeCloseTo(0.95, 12);
    l.optimizers.forEach((o) => o && expect(optimizerMomentum(o)).toBe(0.9));
    const plain = new Learner(toySource(), tinyClassifier(1, 0), { seed: 1 });
    await plain.fit(2, { lr: 0.01, schedule: { kind: 'oneCycle', moms: null } });
    expect(weightValues(plain.model)).not.toEqual(weightValues(l.model));
    for (const x of [l, plain]) x.dispose();
  });

  it("a 'momentum' learner leaves no tensor behind once disposed (tfjs' MomentumOptimizer.dispose() keeps its lr scalar)", async () => {
    const model = tinyClassifier(1, 0);
    const l = new Learner(toySource(), model, { optimizer: 'momentum', seed: 1 });
    await l.fit(1, { lr: 0.01, schedule: 'oneCycle' });
    l.reset();
    await l.fit(1, { lr: 0.01 });
    l.dispose();
    model.dispose();
  });

  it("explicit moms on 'sgd' throw an OptionError naming the option; the default moms are skipped there", async () => {
    const l = new Learner(toySource(), tinyClassifier(1, 0), { optimizer: 'sgd' });
    await expect(l.fit(1, { schedule: { kind: 'oneCycle', moms: [0.95, 0.85, 0.95] } })).rejects.toThrow(OptionError);
    await expect(l.fit(1, { schedule: { kind: 'oneCycle', moms: [0.95, 0.85, 0.95] } })).rejects.toThrow(/schedule\.moms.*SGD/);
    await l.fit(1, { lr: 0.01, schedule: 'oneCycle' });
    expect(l.history).toHaveLength(1);
    l.dispose();
  });

  it('a oneCycle fit killed after epoch 2 and resumed equals the uninterrupted fit bitwise', async () => {
    const fitOptions: FitOptions = { lr: 0.01, schedule: 'oneCycle' };
    const reference = new Learner(toySource(), tinyClassifier(1, 0.5), { seed: 4 });
    await reference.fit(4, fitOptions);
    const dir = join(root, 'resume');
    const killed = new Learner(toySource(), tinyClassifier(1, 0.5), { seed: 4, callbacks: [{ beforeEpoch: (s) => { if (s.epoch === 2) throw new Error('killed'); } }] });
    await expect(killed.fit(4, { ...fitOptions, checkpoint: dir })).rejects.toThrow('killed');
    const resumed = new Learner(toySource(), tinyClassifier(9, 0.5), { seed: 4 });
    await resumed.fit(4, { ...fitOptions, resume: dir });
    expect(weightValues(resumed.model)).toEqual(weightValues(reference.model));
    for (const l of [reference, killed, resumed]) l.dispose();
  });
});
