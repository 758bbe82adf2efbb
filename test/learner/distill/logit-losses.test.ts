import { describe, expect, it } from 'vitest';
import { expectNoTensorLeaks } from '../../helpers/tensor-leaks.js';
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError } from '../../../src/backend/errors.js';
import { decoupledKd, decoupledKdParts, hintonKd, logitMatching } from '../../../src/learner/distill/logit-losses.js';
import {
  attentionTransfer,
  batchOrthogonality,
  fitnetsHint,
  makeHintRegressor,
  similarityPreserving,
} from '../../../src/learner/distill/feature-losses.js';

expectNoTensorLeaks();

/** Runs f on fresh tensors, returns the number and disposes everything. */
function value(f: () => tf.Scalar): number {
  return tf.tidy(() => f().dataSync()[0]);
}

/**
 * Finite-difference gradient check of f at x (central differences, step h, in float32):
 * returns the largest |analytic − numeric|.
 */
function gradError(f: (x: tf.Tensor) => tf.Scalar, x: number[], shape: number[], h = 1e-2): number {
  return tf.tidy(() => {
    const x0 = tf.tensor(x, shape);
    const analytic = tf.grad(f)(x0).dataSync();
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const plus = [...x];
      const minus = [...x];
      plus[i] += h;
      minus[i] -= h;
      const numeric = (f(tf.tensor(plus, shape)).dataSync()[0] - f(tf.tensor(minus, shape)).dataSync()[0]) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - analytic[i]));
    }
    return worst;
  });
}

// Test values from notes/kd.md §0 and §3 (PyTorch, float64).
const zs1 = [2, 0.5, -1];
const zt1 = [1, 2, 0];
const zs = [1, 0, -1, 0.5, 0.2, 0.1, 0, -0.3];
const zt = [2, -1, 0, 0, 0, 1, 0, 0];

describe('hintonKd', () => {
  it('single sample, T = 4: α = 1 gives T²·KL = 0.636264, α = 0 gives CE = 0.241311', () => {
    const run = (alpha: number): number =>
      value(() => hintonKd(tf.tensor2d([zs1]), tf.tensor2d([zt1]), tf.tensor1d([0], 'int32'), { temperature: 4, alpha }));
    expect(run(1)).toBeCloseTo(0.636264, 5);
    expect(run(0)).toBeCloseTo(0.241311, 5);
    // (1−α)·CE + α·T²·KL is linear in α
    expect(run(0.25)).toBeCloseTo(0.75 * 0.241311 + 0.25 * 0.636264, 5);
    // T² scaling: T²·KL/T² = KL = 0.039766
    expect(run(1) / 16).toBeCloseTo(0.039766, 5);
  });

  it('edge-paper batch: PyTorch "mean" reduction gives 0.533898; batchmean at T = 4, α = 0.9 gives 0.314121', () => {
    const s = (): tf.Tensor => tf.tensor2d(zs, [2, 4]);
    const t = (): tf.Tensor => tf.tensor2d(zt, [2, 4]);
    const y = (): tf.Tensor => tf.tensor1d([0, 1], 'int32');
    // 0.5·CE (1.024785) + 0.5·1²·KL/(B·C) (0.043012)
    expect(value(() => hintonKd(s(), t(), y(), { temperature: 1, alpha: 0.5, reduction: 'mean' }))).toBeCloseTo(0.533898, 5);
    expect(value(() => hintonKd(s(), t(), y(), { temperature: 1, alpha: 1 }))).toBeCloseTo(0.172047, 5);
    expect(value(() => hintonKd(s(), t(), y()))).toBeCloseTo(0.314121, 5);
  });

  it('unlabelled samples (label −1) get the KL term only: CE averaged over the labelled ones (hand-computed)', () => {
    const s = (): tf.Tensor => tf.tensor2d(zs, [2, 4]);
    const t = (): tf.Tensor => tf.tensor2d(zt, [2, 4]);
    const y = (labels: number[]) => (): tf.Tensor => tf.tensor1d(labels, 'int32');
    // CE of sample 0 alone = 0.746567; KL at T = 1 per sample = 0.239443, 0.104652
    expect(value(() => hintonKd(s(), t(), y([0, -1])(), { temperature: 1, alpha: 0 }))).toBeCloseTo(0.746567, 5);
    expect(value(() => hintonKd(s(), t(), y([0, -1])(), { temperature: 1, alpha: 0.5 }))).toBeCloseTo(0.5 * 0.746567 + 0.5 * (0.239443 + 0.104652) / 2, 5);
    // nothing labelled: α·T²·KL alone (KL at T = 4: 0.023638, 0.005757), and plain CE is 0, not NaN
    expect(value(() => hintonKd(s(), t(), y([-1, -1])(), { temperature: 4, alpha: 0.7 }))).toBeCloseTo(0.164611, 5);
    expect(value(() => hintonKd(s(), t(), y([-1, -1])(), { alpha: 0 }))).toBe(0);
    // with every label present it is the old mean over the batch
    expect(value(() => hintonKd(s(), t(), y([0, 1])(), { temperature: 1, alpha: 0 }))).toBeCloseTo((0.746567 + 1.303002) / 2, 5);
  });

  it('is 0 when student and teacher logits agree (α = 1), shifted logits included', () => {
    expect(value(() => hintonKd(tf.tensor2d([zs1]), tf.tensor2d([zs1.map((v) => v + 3)]), tf.tensor1d([2], 'int32'), { alpha: 1 }))).toBeCloseTo(0, 6);
  });

  it('at T = 1, α = 1 the gradient is (p_s − p_t)/B; finite differences agree at T = 4, α = 0.7', () => {
    const t = [1, 2, 0, -1, 0.5, 0];
    const f = (x: tf.Tensor): tf.Scalar => hintonKd(x, tf.tensor2d(t, [2, 3]), tf.tensor1d([1, 0], 'int32'), { temperature: 1, alpha: 1 });
    const s = [2, 0.5, -1, 0, 0, 1];
    const grad = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor2d(s, [2, 3])).dataSync()));
    const expected = tf.tidy(() => Array.from(tf.div(tf.sub(tf.softmax(tf.tensor2d(s, [2, 3])), tf.softmax(tf.tensor2d(t, [2, 3]))), 2).dataSync()));
    grad.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 6));
    const g = (x: tf.Tensor): tf.Scalar => hintonKd(x, tf.tensor2d(zt, [2, 4]), tf.tensor1d([0, 1], 'int32'), { temperature: 4, alpha: 0.7 });
    expect(gradError(g, zs, [2, 4])).toBeLessThan(2e-3);
  });

  it('rejects bad shapes and options', () => {
    tf.tidy(() => {
      expect(() => hintonKd(tf.zeros([2, 3]), tf.zeros([2, 4]), tf.tensor1d([0, 1], 'int32'))).toThrow(ShapeError);
      expect(() => hintonKd(tf.zeros([2, 3]), tf.zeros([2, 3]), tf.tensor1d([0], 'int32'))).toThrow(ShapeError);
      expect(() => hintonKd(tf.zeros([2, 3]), tf.zeros([2, 3]), tf.tensor1d([0, 1], 'int32'), { temperature: 0 })).toThrow(OptionError);
      expect(() => hintonKd(tf.zeros([2, 3]), tf.zeros([2, 3]), tf.tensor1d([0, 1], 'int32'), { alpha: 2 })).toThrow(OptionError);
      expect(() => hintonKd(tf.zeros([2, 3]), tf.zeros([2, 3]), tf.tensor1d([0, 1], 'int32'), { T: 2 } as never)).toThrow(OptionError);
    });
  });
});

describe('hintonKd with class weights', () => {
  // sample 1: logits [0, 0], label 0 → p = 0.5, CE ln 2 = 0.693147; sample 2: logits [ln 3, 0], label 1 → p_1 = 0.25, CE ln 4 = 1.386294
  // weights [1, 3]: (1·ln 2 + 3·ln 4) / (1 + 3) = 4.852030 / 4 = 1.213008 (unweighted: 1.039721)
  const s = (): tf.Tensor => tf.tensor2d([[0, 0], [Math.log(3), 0]]);
  it('α = 0 gives the weighted mean CE 1.213008 (PyTorch CrossEntropyLoss(weight)); an unlabelled sample changes nothing', () => {
    expect(value(() => hintonKd(s(), s(), tf.tensor1d([0, 1], 'int32'), { alpha: 0, classWeights: [1, 3] }))).toBeCloseTo(1.213008, 5);
    expect(value(() => hintonKd(s(), s(), tf.tensor1d([0, 1], 'int32'), { alpha: 0 }))).toBeCloseTo(1.039721, 5);
    const s3 = (): tf.Tensor => tf.tensor2d([[0, 0], [Math.log(3), 0], [5, -5]]);
    expect(value(() => hintonKd(s3(), s3(), tf.tensor1d([0, 1, -1], 'int32'), { alpha: 0, classWeights: [1, 3] }))).toBeCloseTo(1.213008, 5);
  });
  it('the KL term is not weighted: teacher = student at α = 0.5 gives 0.5 · 1.213008 = 0.606504', () => {
    expect(value(() => hintonKd(s(), s(), tf.tensor1d([0, 1], 'int32'), { alpha: 0.5, temperature: 1, classWeights: [1, 3] }))).toBeCloseTo(0.606504, 5);
  });
  it('rejects weights of the wrong length or sign, naming the option', () => {
    expect(() => tf.tidy(() => hintonKd(s(), s(), tf.tensor1d([0, 1], 'int32'), { classWeights: [1, 2, 3] }))).toThrow(/HintonKdOptions\.classWeights: expected 2 class weights/);
    expect(() => tf.tidy(() => hintonKd(s(), s(), tf.tensor1d([0, 1], 'int32'), { classWeights: [1, -1] }))).toThrow(OptionError);
  });
});

describe('logitMatching', () => {
  it('is the mean squared logit difference, with gradient 2(s − t)/n', () => {
    // ((2−1)² + (0.5−2)² + (−1−0)²)/3 = (1 + 2.25 + 1)/3 = 1.416667
    expect(value(() => logitMatching(tf.tensor2d([zs1]), tf.tensor2d([zt1])))).toBeCloseTo(1.416667, 5);
    const grad = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => logitMatching(x, tf.tensor2d([zt1])))(tf.tensor2d([zs1])).dataSync()));
    expect(grad.map((v) => Number(v.toFixed(5)))).toEqual([0.66667, -1, -0.66667]);
  });
});

function partsOf(f: () => { tckd: tf.Scalar; nckd: tf.Scalar }): [number, number] {
  return tf.tidy(() => {
    const p = f();
    return [p.tckd.dataSync()[0], p.nckd.dataSync()[0]];
  });
}

describe('decoupledKd', () => {
  const s = (): tf.Tensor => tf.tensor2d(zs, [2, 4]);
  const t = (): tf.Tensor => tf.tensor2d(zt, [2, 4]);
  const y = (): tf.Tensor => tf.tensor1d([0, 1], 'int32');

  it('matches the authors\' formula (PyTorch reference): TCKD 0.118742, NCKD 0.184272, total 1.592919 at α 1, β 8, T 4', () => {
    const [tckd, nckd] = partsOf(() => decoupledKdParts(s(), t(), y(), 4));
    expect(tckd).toBeCloseTo(0.118742, 5);
    expect(nckd).toBeCloseTo(0.184272, 5);
    expect(value(() => decoupledKd(s(), t(), y()))).toBeCloseTo(1.592919, 4);
    expect(value(() => decoupledKd(s(), t(), y(), { temperature: 1 }))).toBeCloseTo(1.404848, 4);
  });

  it('recomposes classical KD: T²·KL = TCKD + (1 − p_t,target)·NCKD for one sample', () => {
    const T = 2;
    const sv = [1.5, -0.5, 0.3, 0];
    const tv = [0.2, 1.1, -0.4, 0.6];
    const label = 1;
    const kd = value(() => hintonKd(tf.tensor2d([sv]), tf.tensor2d([tv]), tf.tensor1d([label], 'int32'), { temperature: T, alpha: 1 }));
    const [tckd, nckd] = partsOf(() => decoupledKdParts(tf.tensor2d([sv]), tf.tensor2d([tv]), tf.tensor1d([label], 'int32'), T));
    const pt = value(() => tf.softmax(tf.div(tf.tensor1d(tv), T)).slice(label, 1).sum() as tf.Scalar);
    expect(tckd + (1 - pt) * nckd).toBeCloseTo(kd, 5);
  });

  it('has no NCKD for two classes (1.848469 is all TCKD) and its gradient passes a finite-difference check', () => {
    const [tckd, nckd] = partsOf(() => decoupledKdParts(tf.tensor2d([[1, -1]]), tf.tensor2d([[0, 2]]), tf.tensor1d([0], 'int32'), 2));
    expect(nckd).toBeCloseTo(0, 6);
    expect(tckd).toBeCloseTo(1.848469, 5);
    const f = (x: tf.Tensor): tf.Scalar => decoupledKd(x, tf.tensor2d(zt, [2, 4]), tf.tensor1d([0, 1], 'int32'), { beta: 2 });
    expect(gradError(f, zs, [2, 4])).toBeLessThan(3e-3);
  });
});

describe('similarityPreserving and the batch-graph losses', () => {
  // kd.md §1: f_s = [[1,0],[1,1],[0,2]], f_t = [[1,0,0],[0,1,0],[1,1,1]]
  const fs = [1, 0, 1, 1, 0, 2];
  const ft = [1, 0, 0, 0, 1, 0, 1, 1, 1];

  it('Tung & Mori (rows) gives 0.136291; the cosine-max graph gives L_fg = 0.188927; L_metric = 0.222222', () => {
    expect(value(() => similarityPreserving(tf.tensor2d(fs, [3, 2]), tf.tensor2d(ft, [3, 3])))).toBeCloseTo(0.136291, 5);
    expect(value(() => similarityPreserving(tf.tensor2d(fs, [3, 2]), tf.tensor2d(ft, [3, 3]), { normalize: 'cosine-max' }))).toBeCloseTo(0.188927, 5);
    expect(value(() => batchOrthogonality(tf.tensor2d(fs, [3, 2])))).toBeCloseTo(0.222222, 5);
  });

  it('works across shapes (3D teacher maps vs 2D student vectors) and is 0 for the same Gram matrix', () => {
    // Teacher [3, 2, 2, 2, 1] whose flattened rows are the student's rows padded with zeros: same F·Fᵀ.
    const teacher = [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
    expect(value(() => similarityPreserving(tf.tensor2d(fs, [3, 2]), tf.tensor(teacher, [3, 2, 2, 2, 1])))).toBeCloseTo(0, 7);
    expect(value(() => similarityPreserving(tf.tensor2d(fs, [3, 2]), tf.tensor(teacher, [3, 2, 2, 2, 1]), { normalize: 'cosine-max' }))).toBeCloseTo(0, 7);
    tf.tidy(() => {
      expect(() => similarityPreserving(tf.zeros([3, 2]), tf.zeros([4, 2]))).toThrow(ShapeError);
      expect(() => similarityPreserving(tf.zeros([3, 2]), tf.zeros([3, 2]), { normalize: 'cols' } as never)).toThrow(OptionError);
    });
  });

  it('gradients pass finite-difference checks (rows and cosine-max)', () => {
    const f = (x: tf.Tensor): tf.Scalar => similarityPreserving(x, tf.tensor2d(ft, [3, 3]));
    expect(gradError(f, [1, 0.2, 1, 1, 0.3, 2], [3, 2])).toBeLessThan(1e-3);
    const g = (x: tf.Tensor): tf.Scalar => similarityPreserving(x, tf.tensor2d(ft, [3, 3]), { normalize: 'cosine-max' });
    expect(gradError(g, [1, 0.2, 1, 1, 0.3, 2], [3, 2])).toBeLessThan(1e-3);
  });
});

describe('attentionTransfer', () => {
  // numpy reference, β = 1000: 500 · mean((Q_s − Q_t)²) = 105.511419
  const s = [0.1, -0.1, 0.6, 0.1, -0.5, 0.4, 1.3, 0.9, -0.7, -1.3, -0.6, 0.0, -2.3, -0.2, -1.2, -0.7];
  const t = [-0.5, -0.3, 0.4, 1.0, -0.1, 1.4, -0.7, 0.4, 0.9, 0.1, -0.7, -0.9, -0.5, 0.2, -1.0, -0.2, -0.2, 0.5, 0.2, 0.4, -0.7, -0.1, 0.8, 1.5];

  it('matches the reference with different channel counts, sums over layers, and is 0 for equal maps', () => {
    const one = value(() => attentionTransfer(tf.tensor4d(s, [2, 2, 2, 2]), tf.tensor4d(t, [2, 2, 2, 3])));
    expect(one).toBeCloseTo(105.511419, 3);
    const two = value(() => attentionTransfer([tf.tensor4d(s, [2, 2, 2, 2]), tf.tensor4d(s, [2, 2, 2, 2])], [tf.tensor4d(t, [2, 2, 2, 3]), tf.tensor4d(s, [2, 2, 2, 2])], { beta: 2 }));
    expect(two).toBeCloseTo(105.511419 / 500, 5);
    tf.tidy(() => {
      expect(() => attentionTransfer(tf.zeros([2, 2, 2, 2]), tf.zeros([2, 3, 2, 2]))).toThrow(ShapeError);
      expect(() => attentionTransfer([tf.zeros([2, 2, 2, 2])], [])).toThrow(ShapeError);
    });
  });

  it('gradient passes a finite-difference check', () => {
    const f = (x: tf.Tensor): tf.Scalar => attentionTransfer(x, tf.tensor4d(t, [2, 2, 2, 3]), { beta: 1 });
    expect(gradError(f, s, [2, 2, 2, 2], 1e-2)).toBeLessThan(2e-3);
  });
});

describe('FitNets hint', () => {
  it('½·mean over the batch of ‖r(F_s) − F_t‖² with a hand-set dense regressor = 0.625', () => {
    const reg = makeHintRegressor([2], [3]);
    const weights = [tf.tensor2d([[1, 0, 1], [0, 1, 1]]), tf.tensor1d([0, 0, 0.5])];
    reg.setWeights(weights);
    tf.dispose(weights);
    // r = [[1, 2, 3.5], [0, −1, −0.5]]; diff to F_t = [[0, 0, 0.5], [−1, −1, −0.5]] → ½·(0.25 + 2.25)/2
    expect(value(() => fitnetsHint(tf.tensor2d([[1, 2], [0, -1]]), tf.tensor2d([[1, 2, 3], [1, 0, 0]]), reg))).toBeCloseTo(0.625, 6);
    // The regressor's weights get gradients.
    const { value: loss, grads } = tf.variableGrads(() => fitnetsHint(tf.tensor2d([[1, 2], [0, -1]]), tf.tensor2d([[1, 2, 3], [1, 0, 0]]), reg));
    expect(Object.keys(grads)).toHaveLength(2);
    // d/d bias = mean over batch of the differences: [(0 − 1)/2, (0 − 1)/2, (0.5 − 0.5)/2]
    const biasGrad = Object.entries(grads).find(([name]) => name.includes('bias'))![1];
    expect(Array.from(biasGrad.dataSync())).toEqual([-0.5, -0.5, 0]);
    tf.dispose([loss, ...Object.values(grads)]);
    reg.dispose();
  });

  it('conv regressor maps a larger student map to the teacher\'s size (kernel = difference + 1)', () => {
    const reg = makeHintRegressor([6, 6, 4], [4, 4, 8], { seed: 3 });
    const out = tf.tidy(() => (reg.predict(tf.zeros([2, 6, 6, 4])) as tf.Tensor).shape);
    expect(out).toEqual([2, 4, 4, 8]);
    expect(reg.countParams()).toBe(3 * 3 * 4 * 8 + 8);
    reg.dispose();
    const reg3 = makeHintRegressor([4, 4, 4, 2], [4, 4, 4, 6]);
    expect(reg3.countParams()).toBe(2 * 6 + 6);
    reg3.dispose();
    expect(() => makeHintRegressor([4, 4, 2], [6, 6, 2])).toThrow(ShapeError);
    expect(() => makeHintRegressor([4], [4, 4, 2])).toThrow(ShapeError);
  });
});
