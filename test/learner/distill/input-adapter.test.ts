import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { normalizationAffine, withInputAffine } from '../../../src/learner/distill/input-adapter.js';
import type { StepSpec } from '../../../src/data/databunch/steps.js';
import { expectNoTensorLeaks } from '../../helpers/tensor-leaks.js';

/** ImageNet's per-channel mean and std on 0..255 pixels. */
const IMAGENET_NORMALIZE: StepSpec = { op: 'normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

describe('the input adapter of a teacher normalised otherwise', () => {
  expectNoTensorLeaks();
  const fitted = { op: 'zScore' as const, mean: 47.29, std: 49.91 };

  it('maps ImageNet-normalised pixels to a global z-score exactly: raw = x·std_c + mean_c, then (raw − 47.29) / 49.91', () => {
    const a = normalizationAffine(IMAGENET_NORMALIZE, fitted, 3)!;
    // channel 0: scale 58.395 / 49.91 = 1.170006, offset (123.675 − 47.29) / 49.91 = 1.530455
    expect(a.scale[0]).toBeCloseTo(1.170006, 6);
    expect(a.offset[0]).toBeCloseTo(1.530455, 6);
    // a raw pixel of 200 in channel 2 lands where the z-score puts it
    const x = (200 - 103.53) / 57.375;
    expect(x * a.scale[2] + a.offset[2]).toBeCloseTo((200 - 47.29) / 49.91, 10);
    expect(normalizationAffine(fitted, fitted, 3)).toBeUndefined();
    expect(() => normalizationAffine({ op: 'zScore', mode: 'sample' }, fitted, 3)).toThrow(/cannot map inputs/);
  });

  it('the adapted model sees what the original saw: f(adapt(x)) = f(z-scored raw), and nothing in it trains', () => {
    const input = tf.input({ shape: [2, 2, 3] });
    const inner = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, kernelInitializer: 'glorotUniform' }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor });
    const affine = normalizationAffine(IMAGENET_NORMALIZE, fitted, 3)!;
    const adapted = withInputAffine(inner, affine);
    const raw = Array.from({ length: 12 }, (_, i) => (i * 37) % 256);
    const [got, want] = tf.tidy(() => {
      const m = [123.675, 116.28, 103.53];
      const sd = [58.395, 57.12, 57.375];
      const imagenet = tf.tensor4d(raw.map((v, i) => (v - m[i % 3]) / sd[i % 3]), [1, 2, 2, 3]);
      const z = tf.tensor4d(raw.map((v) => (v - 47.29) / 49.91), [1, 2, 2, 3]);
      return [Array.from((adapted.predict(imagenet) as tf.Tensor).dataSync()), Array.from((inner.predict(z) as tf.Tensor).dataSync())];
    });
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    expect(adapted.getLayer('input_affine').trainable).toBe(false);
    adapted.dispose(); // its layers: the adapter and the wrapped model's
  });
});
