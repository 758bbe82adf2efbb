/**
 * Batch norm inside the CNN that joint fusion and CNN-LSTM share across slices (issue 7). tfjs'
 * TimeDistributed ran the CNN once per slice position, so while training each position was
 * normalised with its own batch statistics and the moving averages were updated k times per step,
 * ending near the last position's; in inference all positions used those. The joint-fusion student
 * then fit its training set (loss 0.005) but its inference-mode loss on that set was 0.41, and it fell to near chance on test.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { Rng } from '../../src/backend/rng.js';
import { jointFusion } from '../../src/models/students/joint-fusion.js';
import { cnnLstm } from '../../src/models/students/cnn-lstm.js';
import type { StudentModel } from '../../src/models/students/student-cnn.js';

expectNoTensorLeaks();

/** [n, k, h, w, 1] of unit normals plus 4·t on slice t: the positions have different statistics. */
function offsetSlices(n: number, k: number, h: number, seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = h * h;
  return tf.tensor(Float32Array.from({ length: n * k * size }, (_, i) => rng.normal() + 4 * (Math.floor(i / size) % k)), [n, k, h, h, 1]);
}

function backboneLayer(s: StudentModel, name: string): tf.layers.Layer {
  const wrapper = s.model.getLayer(`${(s.config as { name: string }).name}_per_slice`) as unknown as { layer: tf.LayersModel };
  return wrapper.layer.getLayer(name);
}

describe('batch norm in the CNN shared across slices', () => {
  it('updates the moving mean and variance once per step, from all N·k slices (hand-computed)', () => {
    const s = jointFusion({ sliceShape: [2, 2, 1], slices: 3, widths: [1], batchNormMomentum: 0.9 }, 2);
    // conv1 = identity (centre tap 1), so bn1 sees the input: slice t of both samples is constant 3t.
    const kernel = tf.tensor4d([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1, 1]);
    backboneLayer(s, 'joint_fusion_backbone_conv1').setWeights([kernel]);
    const x = tf.tidy(() => tf.tile(tf.tensor5d([0, 3, 6], [1, 3, 1, 1, 1]), [2, 1, 2, 2, 1]));
    tf.tidy(() => {
      s.model.apply(x, { training: true });
    });
    const [, , mean, variance] = backboneLayer(s, 'joint_fusion_backbone_bn1').getWeights();
    // values {0, 3, 6} equally often: mean 3, biased variance (9 + 0 + 9)/3 = 6;
    // moving = 0.9·initial + 0.1·batch: mean 0.9·0 + 0.3 = 0.3, variance 0.9·1 + 0.6 = 1.5.
    // (Per position, k updates: mean 0 → 0 → 0.3 → 0.87, variance 1 → 0.9 → 0.81 → 0.729.)
    expect(mean.dataSync()[0]).toBeCloseTo(0.3, 5);
    expect(variance.dataSync()[0]).toBeCloseTo(1.5, 5);
    tf.dispose([kernel, x]);
    s.model.dispose();
  });

  it('with momentum 0, training and inference mode give the same outputs on the same batch (joint fusion and CNN-LSTM)', () => {
    const common = { sliceShape: [6, 6, 1] as [number, number, number], slices: 3, widths: [4, 4], batchNormMomentum: 0 };
    for (const s of [jointFusion({ ...common, fusion: 'concat' }, 2), cnnLstm({ ...common, lstmUnits: 3 }, 2)]) {
      const x = offsetSlices(4, 3, 6, 7);
      // A training pass sets the moving statistics to this batch's; inference then normalises alike.
      const [train, infer] = tf.tidy(() => {
        const t = Array.from((s.model.apply(x, { training: true }) as tf.Tensor[])[1].dataSync());
        return [t, Array.from((s.model.apply(x, { training: false }) as tf.Tensor[])[1].dataSync())];
      });
      const gap = train.reduce((m, v, i) => Math.max(m, Math.abs(v - infer[i])), 0);
      const scale = train.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale, s.model.name).toBeGreaterThan(0.1);
      expect(gap, s.model.name).toBeLessThan(1e-4 * Math.max(1, scale));
      x.dispose();
      s.model.dispose();
    }
  });

  it('runs the shared CNN on the slices folded into the batch: features equal the CNN on each slice alone in inference mode', () => {
    const s = jointFusion({ sliceShape: [6, 6, 1], slices: 3, widths: [4] }, 2);
    const x = offsetSlices(2, 3, 6, 8);
    const wrapper = s.model.getLayer('joint_fusion_per_slice') as unknown as { layer: tf.LayersModel };
    const [got, want] = tf.tidy(() => {
      const f = (s.model.predict(x) as tf.Tensor[])[1];
      const bySlice = [0, 1, 2].map((t) => wrapper.layer.predict(tf.squeeze(x.slice([0, t], [2, 1]), [1])) as tf.Tensor);
      return [f.dataSync(), tf.stack(bySlice, 1).reshape([2, 12]).dataSync()];
    });
    Array.from(got).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    x.dispose();
    s.model.dispose();
  });
});
