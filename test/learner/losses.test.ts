import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, l1Loss, l1Sparsity, mseLoss, multitaskLoss } from '../../src/learner/losses.js';
import { adamW, AdamWOptimizer } from '../../src/learner/adamw.js';
import { OptionError, ShapeError } from '../../src/backend/errors.js';

/** Max |analytic − central finite difference| / (1 + |fd|) of a scalar function of one tensor. */
function gradError(f: (x: tf.Tensor) => tf.Scalar, x0: number[], shape: number[], h = 1e-2): number {
  const analytic = tf.tidy(() => tf.grad(f)(tf.tensor(x0, shape)).arraySync() as number | number[]);
  const flat = (Array.isArray(analytic) ? (analytic as unknown as number[]).flat(4) : [analytic]) as number[];
  let worst = 0;
  for (let i = 0; i < x0.length; i++) {
    const at = (d: number): number => tf.tidy(() => {
      const x = x0.slice();
      x[i] += d;
      return f(tf.tensor(x, shape)).dataSync()[0];
    });
    const fd = (at(h) - at(-h)) / (2 * h);
    worst = Math.max(worst, Math.abs(flat[i] - fd) / (1 + Math.abs(fd)));
  }
  return worst;
}

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

describe('mseLoss / l1Loss', () => {
  it('match hand-computed values', () => {
    // diffs: 1, -2, 0.5, 0 -> squares 1, 4, 0.25, 0 -> mean 5.25/4 = 1.3125; abs mean 3.5/4 = 0.875
    const p = tf.tensor([[1, 0], [2.5, 3]]);
    const t = tf.tensor([[0, 2], [2, 3]]);
    const mse = mseLoss(p, t);
    const l1 = l1Loss(p, t);
    expect(mse.dataSync()[0]).toBeCloseTo(1.3125, 6);
    expect(l1.dataSync()[0]).toBeCloseTo(0.875, 6);
    tf.dispose([p, t, mse, l1]);
  });

  it('gradients match finite differences', () => {
    const t = tf.tensor([0.3, -0.2, 0.9, 0.1, 0.5, -0.7]);
    const x0 = [1, 0.4, -0.3, 0.35, 0.8, 0.2];
    expect(gradError((x) => mseLoss(x, t), x0, [6])).toBeLessThan(2e-3);
    expect(gradError((x) => l1Loss(x, t), x0, [6])).toBeLessThan(2e-3);
    t.dispose();
  });

  it('reject mismatched shapes', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 2]);
    expect(() => mseLoss(a, b)).toThrow(ShapeError);
    expect(() => l1Loss(a, b)).toThrow(/l1Loss/);
    tf.dispose([a, b]);
  });
});

describe('l1Sparsity', () => {
  it('is weight · mean |code| and differentiable away from 0', () => {
    // |code| = 1, 2, 0.5, 4.5 -> mean 2; weight 0.1 -> 0.2
    const code = tf.tensor([[1, -2], [0.5, -4.5]]);
    const s = l1Sparsity(code, 0.1);
    expect(s.dataSync()[0]).toBeCloseTo(0.2, 6);
    // d/dx 0.1·mean|x| = 0.1·sign(x)/4
    const g = tf.grad((c: tf.Tensor) => l1Sparsity(c, 0.1))(code);
    expect(Array.from(g.dataSync())).toEqual([0.025, -0.025, 0.025, -0.025].map((v) => Math.fround(v)));
    expect(gradError((c) => l1Sparsity(c, 0.3), [1, -2, 0.5, -4.5], [2, 2])).toBeLessThan(1e-3);
    expect(() => l1Sparsity(code, -1)).toThrow(OptionError);
    tf.dispose([code, s, g]);
  });
});

describe('crossEntropy', () => {
  const logitsData = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-0.5, 1.5, 0.0], [1.0, -1.0, 2.0]];
  // Reference values: torch 1.13 F.cross_entropy in float64 on these logits and labels [0, 2, 1, 1].
  it('matches PyTorch without weights, with weights and with label smoothing', () => {
    const logits = tf.tensor2d(logitsData);
    const labels = tf.tensor1d([0, 2, 1, 1], 'int32');
    const cases: Array<[Parameters<typeof crossEntropy>[2], number]> = [
      [{}, 1.2246555184709336],
      [{ classWeights: [1, 2, 0.5] }, 1.464185196139354],
      [{ classWeights: [1, 2, 0.5], labelSmoothing: 0.2 }, 1.4294715176217023],
      [{ labelSmoothing: 0.1 }, 1.2521555184709334],
    ];
    for (const [opts, expected] of cases) {
      const l = crossEntropy(logits, labels, opts);
      expect(l.dataSync()[0]).toBeCloseTo(expected, 5);
      l.dispose();
    }
    tf.dispose([logits, labels]);
  });

  it('hand-computed two-class case', () => {
    // logits [0, ln 3] -> p = [1/4, 3/4]; label 1 -> -ln(3/4) = 0.2876821
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    const labels = tf.tensor1d([1], 'int32');
    const l = crossEntropy(logits, labels);
    expect(l.dataSync()[0]).toBeCloseTo(-Math.log(0.75), 6);
    tf.dispose([logits, labels, l]);
  });

  it('gradient matches finite differences', () => {
    const labels = tf.tensor1d([0, 2, 1, 1], 'int32');
    const f = (x: tf.Tensor): tf.Scalar => crossEntropy(x, labels, { classWeights: [1, 2, 0.5], labelSmoothing: 0.2 });
    expect(gradError(f, logitsData.flat(), [4, 3])).toBeLessThan(2e-3);
    labels.dispose();
  });

  it('rejects bad labels, weights and options', () => {
    const logits = tf.tensor2d(logitsData);
    const bad = tf.tensor1d([0, 3, 1, 1], 'int32');
    const floats = tf.tensor1d([0, 1, 1, 1], 'float32');
    const short = tf.tensor1d([0, 1], 'int32');
    const ok = tf.tensor1d([0, 1, 1, 1], 'int32');
    expect(() => crossEntropy(logits, bad)).toThrow(/label 3 at index 1 is out of range \[0, 3\)/);
    expect(() => crossEntropy(logits, floats)).toThrow(/int32/);
    expect(() => crossEntropy(logits, short)).toThrow(ShapeError);
    expect(() => crossEntropy(logits, ok, { classWeights: [1, 2] })).toThrow(/2 entries for 3 classes/);
    expect(() => crossEntropy(logits, ok, { labelSmoothing: 1 })).toThrow(OptionError);
    expect(() => crossEntropy(logits, ok, { smoothing: 0.1 } as never)).toThrow(/CrossEntropyOptions.smoothing/);
    tf.dispose([logits, bad, floats, short, ok]);
  });
});

describe('multitaskLoss', () => {
  it('is alpha·MSE + (1−alpha)·CE', () => {
    // MSE: diffs 1, -1 -> 1. CE: logits [0, ln 3], label 1 -> -ln 0.75.
    const reconstruction = tf.tensor([1, 0]);
    const target = tf.tensor([0, 1]);
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    const labels = tf.tensor1d([1], 'int32');
    const l = multitaskLoss({ reconstruction, target, logits, labels });
    expect(l.dataSync()[0]).toBeCloseTo(0.7 * 1 + 0.3 * -Math.log(0.75), 6);
    const l2 = multitaskLoss({ reconstruction, target, logits, labels, alpha: 0.25 });
    expect(l2.dataSync()[0]).toBeCloseTo(0.25 + 0.75 * -Math.log(0.75), 6);
    expect(() => multitaskLoss({ reconstruction, target, logits, labels, alpha: 2 })).toThrow(OptionError);
    expect(() => multitaskLoss({ reconstruction, target, logits, labels, beta: 1 } as never)).toThrow(/MultitaskLossArgs.beta/);
    const f = (x: tf.Tensor): tf.Scalar => multitaskLoss({ reconstruction: x, target, logits, labels, alpha: 0.4 });
    expect(gradError(f, [0.3, 0.2], [2])).toBeLessThan(1e-3);
    tf.dispose([reconstruction, target, logits, labels, l, l2]);
  });
});

describe('adamW', () => {
  it('two steps match the AdamW formula (PyTorch reference)', () => {
    // Step 1 by hand: m̂ = g, v̂ = g², update = lr·g/(|g|+eps) = 0.1·sign(g);
    // decay first: w·(1 − 0.1·0.1) → 1·0.99 − 0.1 = 0.89, −2·0.99 + 0.1 = −1.88, 0.5·0.99 − 0 = 0.495.
    // Step 2: torch.optim.AdamW(lr=0.1, weight_decay=0.1) gives [0.79124248, -1.81841514, 0.56446368].
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'adamw_test_w'));
    const opt = adamW(0.1, { weightDecay: 0.1 });
    const g1 = tf.tensor1d([0.5, -1, 0]);
    const g2 = tf.tensor1d([0.2, 0.3, -0.4]);
    opt.applyGradients({ adamw_test_w: g1 } as never); // tfjs types say NamedVariableMap; any tensor works
    const s1 = Array.from(w.dataSync());
    opt.applyGradients([{ name: 'adamw_test_w', tensor: g2 }]);
    const s2 = Array.from(w.dataSync());
    [0.89, -1.88, 0.495].forEach((v, i) => expect(s1[i]).toBeCloseTo(v, 5));
    [0.7912424838829282, -1.8184151424192265, 0.5644636797264351].forEach((v, i) => expect(s2[i]).toBeCloseTo(v, 5));
    expect(opt).toBeInstanceOf(AdamWOptimizer);
    expect(opt.getConfig().weightDecay).toBe(0.1);
    opt.dispose();
    tf.dispose([w, g1, g2]);
  });

  it('rejects bad options', () => {
    expect(() => adamW(0)).toThrow(OptionError);
    expect(() => adamW(1e-3, { weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => adamW(1e-3, { decay: 1 } as never)).toThrow(/AdamWOptions.decay/);
  });
});
