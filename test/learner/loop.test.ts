import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { CancelFitError, OptionError } from '../../src/backend/errors.js';
import type { Callback, FitState } from '../../src/learner/callback.js';
import { GradientClipping } from '../../src/learner/callbacks/gradient-clipping.js';
import { Learner } from '../../src/learner/learner.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { tinyClassifier, toySource, weightValues } from './helpers.js';

/** One SGD step (lr 1, one batch of all 24 training samples, no dropout) from the same weights; returns the weight change. */
async function oneStep(callbacks: Callback[]): Promise<number[]> {
  const model = tinyClassifier(1, 0);
  const learner = new Learner(toySource(), model, { optimizer: 'sgd', batchSize: 24, seed: 0, callbacks });
  const w0 = weightValues(model).flatMap((w) => Array.from(w));
  await learner.fit(1, { lr: 1 });
  const w1 = weightValues(model).flatMap((w) => Array.from(w));
  learner.dispose();
  model.dispose();
  return w1.map((v, i) => v - w0[i]);
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

describe('the training loop', () => {
  expectNoTensorLeaks();

  it('GradientClipping scales the gradients to the global norm maxNorm in beforeStep: Δw = −lr · g · maxNorm / (‖g‖ + 1e-6)', async () => {
    const plain = await oneStep([]); // SGD, lr 1: Δw = −g
    const g = norm(plain);
    expect(g).toBeGreaterThan(0.05); // the toy loss has a real gradient
    const maxNorm = g / 4;
    const clip = new GradientClipping({ maxNorm });
    const clipped = await oneStep([clip]);
    expect(clip.lastNorm).toBeCloseTo(g, 5);
    const coef = maxNorm / (g + 1e-6);
    clipped.forEach((d, i) => expect(d).toBeCloseTo(plain[i] * coef, 6));
    expect(norm(clipped)).toBeCloseTo(maxNorm, 5);
    // under the limit, nothing changes
    const loose = await oneStep([new GradientClipping({ maxNorm: 10 * g })]);
    loose.forEach((d, i) => expect(d).toBeCloseTo(plain[i], 7));
    expect(() => new GradientClipping({ maxNorm: 0 })).toThrow(OptionError);
    expect(() => new GradientClipping({ maxNorm: 1, norm: 2 } as never)).toThrow(/GradientClippingOptions/);
  });

  it('afterPred sees the outputs inside the tape and may replace them; beforeStep sees every trainable gradient', async () => {
    const seen: string[] = [];
    const spy: Callback = {
      afterPred: (s: FitState) => {
        seen.push(`pred ${s.pred!.map((t) => t.shape.join('x')).join(',')}`);
        // doubling the logits doubles dL/dlogits' argument: the step differs from the plain one
        s.pred = s.pred!.map((t) => tf.mul(t, 2));
      },
      beforeStep: (s: FitState) => void seen.push(`grads ${Object.keys(s.grads!).length}`),
    };
    const plain = await oneStep([]);
    const doubled = await oneStep([spy]);
    // 24 samples, 2 logits; 4 trainable variables (two kernels, two biases)
    expect(seen).toEqual(['pred 24x2', 'grads 4']);
    expect(doubled.some((d, i) => Math.abs(d - plain[i]) > 1e-4)).toBe(true);
    const model = tinyClassifier(1, 0);
    const learner = new Learner(toySource(), model, { callbacks: [{ name: 'AsyncPred', afterPred: (async () => undefined) as unknown as () => void }] });
    await expect(learner.fit(1)).rejects.toThrow(/AsyncPred\.afterPred.*synchronous/);
    learner.dispose();
    model.dispose();
  });

  it('runs callbacks by order (ties in list order) and lets every callback see an epoch a CancelFitError ended', async () => {
    const log: string[] = [];
    const cb = (name: string, order?: number, cancel = false): Callback => ({
      name,
      order,
      afterEpoch: (s: FitState) => {
        log.push(`${name}:${s.record ? 'record' : 'none'}`);
        if (cancel) throw new CancelFitError('stop');
      },
    });
    const model = tinyClassifier(1, 0);
    const learner = new Learner(toySource(), model, { callbacks: [cb('late', 5), cb('a', undefined, true), cb('early', -5), cb('b')] });
    const history = await learner.fit(3);
    // the recorder (order −10) ran first, so every callback saw the record; 'a' cancelled, 'b' and 'late' still ran
    expect(log).toEqual(['early:record', 'a:record', 'b:record', 'late:record']);
    expect(history).toHaveLength(1);
    learner.dispose();
    model.dispose();
  });
});

describe('BestModelCheckpoint with restore (the in-memory best epoch)', () => {
  expectNoTensorLeaks();

  it('puts the best epoch’s weights back after fit, and refuses to keep the best nowhere', async () => {
    const { BestModelCheckpoint } = await import('../../src/learner/callbacks/keep-best.js');
    const model = tinyClassifier(1, 0);
    const perEpoch: Float32Array[][] = [];
    const spy: Callback = { afterEpoch: () => void perEpoch.push(weightValues(model).map((w) => w.slice())) };
    // max train loss: the first epoch is the "best" (the loss falls), so the restored weights are epoch 0's, not the last
    const keep = new BestModelCheckpoint({ monitor: 'trainLoss', mode: 'max', restore: true });
    const learner = new Learner(toySource(), model, { seed: 1, callbacks: [keep, spy] });
    const history = await learner.fit(3, { lr: 0.02 });
    const best = history.reduce((b, r) => (r.trainLoss > history[b].trainLoss ? r.epoch : b), 0);
    expect(keep.bestEpoch).toBe(best);
    expect(weightValues(model)).toEqual(perEpoch[best]);
    expect(weightValues(model)).not.toEqual(perEpoch[2]);
    expect(() => new BestModelCheckpoint({ monitor: 'accuracy' })).toThrow(/dir.*restore/);
    learner.dispose();
    model.dispose();
  });
});
