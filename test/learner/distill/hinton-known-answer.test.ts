/**
 * Known-answer test of the Hinton KD loss and its gradient (issue 18, item 4) against PyTorch:
 *   loss = (1−α)·F.cross_entropy(z_s, y, ignore_index=−1) + α·T²·F.kl_div(log_softmax(z_s/T), softmax(z_t/T), reduction)
 * for reduction 'batchmean' (the KL proper: sum over classes, mean over the batch) and PyTorch's default
 * 'mean' (also divided by the class count C), at T = 1 and T = 4, with and without an unlabelled sample
 * (label −1: PyTorch's ignore_index averages the CE over the labelled samples, as hintonKd does).
 *
 * Reference values: python3-torch 1.13 (Debian 12), float64, made by this script:
 *
 *   import torch, torch.nn.functional as F
 *   zs = torch.tensor([[1.5, -0.3, 0.2, 2.0], [0.1, 0.4, -1.2, 0.0], [-0.7, 2.2, 0.9, -0.5]], dtype=torch.float64)
 *   zt = torch.tensor([[3.0, -1.0, 0.5, 1.0], [0.0, 2.5, -0.5, 0.3], [1.0, 1.0, 0.0, -2.0]], dtype=torch.float64)
 *   for y in ([0, 1, 3], [0, -1, 3]):
 *       for T, a, red in ((1, 0.5, 'mean'), (1, 0.5, 'batchmean'), (4, 0.9, 'batchmean'), (4, 0.9, 'mean')):
 *           s = zs.clone().requires_grad_(True)
 *           ce = F.cross_entropy(s, torch.tensor(y), ignore_index=-1)
 *           kl = F.kl_div(F.log_softmax(s / T, 1), F.softmax(zt / T, 1), reduction=red)
 *           loss = (1 - a) * ce + a * T * T * kl
 *           loss.backward()
 *           print(y, T, a, red, f"{loss.item():.9f} {ce.item():.9f} {kl.item():.9f}", [round(v, 9) for v in s.grad.flatten().tolist()])
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoTensorLeaks } from '../../helpers/tensor-leaks.js';
import { hintonKd } from '../../../src/learner/distill/logit-losses.js';

expectNoTensorLeaks();

const zs = [1.5, -0.3, 0.2, 2.0, 0.1, 0.4, -1.2, 0.0, -0.7, 2.2, 0.9, -0.5];
const zt = [3.0, -1.0, 0.5, 1.0, 0.0, 2.5, -0.5, 0.3, 1.0, 1.0, 0.0, -2.0];

interface Case {
  y: number[];
  temperature: number;
  alpha: number;
  reduction: 'batchmean' | 'mean';
  loss: number;
  grad: number[];
}

// prettier-ignore
const cases: Case[] = [
  { y: [0, 1, 3], temperature: 1, alpha: 0.5, reduction: 'mean', loss: 0.920027698,
    grad: [-0.132887657, 0.010539629, 0.015627358, 0.106720671, 0.056312028, -0.120467983, 0.014427555, 0.0497284, -0.009015511, 0.132134284, 0.034367548, -0.157486321] },
  { y: [0, 1, 3], temperature: 1, alpha: 0.5, reduction: 'batchmean', loss: 1.119965979,
    grad: [-0.19354369, 0.015381241, 0.018361172, 0.159801277, 0.083493738, -0.173220321, 0.019077645, 0.070648938, -0.055787016, 0.170052656, 0.039771775, -0.154037415] },
  { y: [0, 1, 3], temperature: 4, alpha: 0.9, reduction: 'batchmean', loss: 0.703298169,
    grad: [-0.157169679, 0.044917928, -0.004793648, 0.117045399, 0.0787525, -0.142296038, 0.012892958, 0.050650579, -0.153796565, 0.096625627, 0.038289809, 0.018881129] },
  { y: [0, 1, 3], temperature: 4, alpha: 0.9, reduction: 'mean', loss: 0.303831783,
    grad: [-0.056192767, 0.012568346, 0.001009001, 0.04261542, 0.026775844, -0.05100659, 0.005154868, 0.019075878, -0.037462893, 0.042080631, 0.014457373, -0.019075111] },
  { y: [0, -1, 3], temperature: 1, alpha: 0.5, reduction: 'mean', loss: 1.106590426,
    grad: [-0.189222147, 0.015002507, 0.022985401, 0.151234238, 0.00906057, -0.017584113, 0.00155003, 0.006973513, -0.005728016, 0.191881697, 0.050650618, -0.236804298] },
  { y: [0, -1, 3], temperature: 1, alpha: 0.5, reduction: 'batchmean', loss: 1.306528706,
    grad: [-0.24987818, 0.01984412, 0.025719216, 0.204314844, 0.03624228, -0.070336451, 0.00620012, 0.027894051, -0.052499521, 0.22980007, 0.056054845, -0.233355393] },
  { y: [0, -1, 3], temperature: 4, alpha: 0.9, reduction: 'batchmean', loss: 0.740610715,
    grad: [-0.168436577, 0.045810504, -0.003322039, 0.125948113, 0.069302209, -0.121719264, 0.010317453, 0.042099602, -0.153139066, 0.108575109, 0.041546423, 0.003017534] },
  { y: [0, -1, 3], temperature: 4, alpha: 0.9, reduction: 'mean', loss: 0.341144329,
    grad: [-0.067459665, 0.013460921, 0.00248061, 0.051518134, 0.017325552, -0.030429816, 0.002579363, 0.0105249, -0.036805394, 0.054030113, 0.017713987, -0.034938707] },
];

/** hintonKd's loss and its gradient with respect to the student logits, as plain numbers. */
function lossAndGrad(c: Case): { loss: number; grad: number[] } {
  return tf.tidy(() => {
    const s = tf.tensor2d(zs, [3, 4]);
    const t = tf.tensor2d(zt, [3, 4]);
    const y = tf.tensor1d(c.y, 'int32');
    const f = (x: tf.Tensor): tf.Scalar => hintonKd(x, t, y, { temperature: c.temperature, alpha: c.alpha, reduction: c.reduction });
    const { value, grad } = tf.valueAndGrad(f)(s);
    return { loss: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
  });
}

describe('hintonKd against PyTorch (known answers)', () => {
  for (const c of cases) {
    it(`y = [${c.y}], T = ${c.temperature}, α = ${c.alpha}, ${c.reduction}: loss ${c.loss} and its gradient`, () => {
      const got = lossAndGrad(c);
      expect(got.loss).toBeCloseTo(c.loss, 5);
      expect(got.grad.length).toBe(12);
      got.grad.forEach((g, i) => expect(Math.abs(g - c.grad[i])).toBeLessThan(2e-6));
    });
  }

  it("'mean' divides the KL term by the class count C = 4: the soft term is a quarter of 'batchmean''s", () => {
    // PyTorch: kl batchmean 0.533168748 = 4 × kl mean 0.133292187 (T = 1); CE 1.706763209 either way
    const ce = 1.706763209;
    const soft = (c: Case): number => lossAndGrad(c).loss - (1 - c.alpha) * ce;
    expect(soft(cases[1]) / soft(cases[0])).toBeCloseTo(4, 4);
    expect(soft(cases[1])).toBeCloseTo(0.5 * 0.533168748, 5);
    // T = 4: α·T²·KL with KL(batchmean) = 0.036987628 → 0.9 · 16 · 0.036987628 = 0.532621843
    expect(soft(cases[2])).toBeCloseTo(0.9 * 16 * 0.036987628, 5);
  });
});
