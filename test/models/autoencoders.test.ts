import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildCae } from '../../src/models/cae.js';
import { buildSrcae } from '../../src/models/srcae.js';
import { classifierFromEncoder } from '../../src/models/classifier.js';
import { OptionError, ShapeError } from '../../src/backend/errors.js';

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

describe('buildCae', () => {
  it('has the original 62,769 parameters and layer-by-layer counts', () => {
    // enc: 27·1·8+8 = 224, 27·8·16+16 = 3472, 27·16·32+32 = 13856, 27·32·16+16 = 13840  (31,392)
    // dec: 27·16·32+32 = 13856, 27·32·16+16 = 13840, 27·16·8+8 = 3464, 27·8·1+1 = 217   (31,377)
    const cae = buildCae({ inputShape: [16, 16, 16, 1] });
    expect(cae.model.countParams()).toBe(62769);
    const counts = Object.fromEntries(cae.model.layers.map((l) => [l.name, l.countParams()]));
    expect(counts).toMatchObject({ enc_conv1: 224, enc_conv2: 3472, enc_conv3: 13856, enc_conv4: 13840, dec_conv1: 13856, dec_conv2: 13840, dec_conv3: 3464, dec_conv4: 217 });
    expect(cae.encoder.countParams()).toBe(31392);
    expect(cae.encoder.outputs[0].shape).toEqual([null, 2, 2, 2, 16]);
    expect(cae.model.outputs.map((o) => o.shape)).toEqual([[null, 16, 16, 16, 1], [null, 2, 2, 2, 16]]);
    expect(cae.encoderLayerNames).toEqual(['cae_input', 'enc_conv1', 'enc_pool1', 'enc_conv2', 'enc_pool2', 'enc_conv3', 'enc_pool3', 'enc_conv4']);
    expect(cae.config.widths).toEqual([8, 16, 32, 16]);
    expect(JSON.parse(JSON.stringify(cae.config))).toEqual(cae.config);
    cae.model.dispose();
  });

  it('batchNorm: conv without bias → batch norm per channel over N·D·H·W → activation, counted by hand', () => {
    // widths [2, 4] on 8³: enc_conv1 27·1·2 = 54 (no bias) + bn 2·2 trainable (+ 2·2 moving), enc_conv2 27·2·4 = 216 + bn 8 (+ 8);
    // dec_conv1 27·4·2 = 216 + bn 4 (+ 4); dec_conv2 (the output) 27·2·1 + 1 = 55, no batch norm
    const cae = buildCae({ inputShape: [8, 8, 8, 1], widths: [2, 4], batchNorm: true, seed: 3 });
    const trainable = cae.model.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
    expect(trainable).toBe(54 + 4 + 216 + 8 + 216 + 4 + 55);
    expect(cae.model.countParams()).toBe(557 + 16);
    expect(cae.encoderLayerNames).toEqual(['cae_input', 'enc_conv1', 'enc_conv1_bn_fold', 'enc_conv1_bn', 'enc_conv1_bn_unfold', 'enc_conv1_act', 'enc_pool1', 'enc_conv2', 'enc_conv2_bn_fold', 'enc_conv2_bn', 'enc_conv2_bn_unfold', 'enc_conv2_act']);
    // in inference (fresh moving statistics: mean 0, variance 1) it is x / √(1 + 1e-3); checked first, as a training call moves them
    const probe = tf.model({ inputs: cae.model.inputs, outputs: cae.model.getLayer('enc_conv1_bn_unfold').output as tf.SymbolicTensor });
    const [infer, conv] = tf.tidy(() => {
      const x = tf.randomNormal([1, 8, 8, 8, 1], 0, 1, 'float32', 6);
      return [Array.from((probe.apply(x, { training: false }) as tf.Tensor).dataSync()), Array.from((tf.model({ inputs: cae.model.inputs, outputs: cae.model.getLayer('enc_conv1').output as tf.SymbolicTensor }).apply(x) as tf.Tensor).dataSync())];
    });
    infer.forEach((v, i) => expect(v).toBeCloseTo(conv[i] / Math.sqrt(1 + 1e-3), 5));
    // in training, each channel of the first batch norm has mean 0 and variance v/(v + 1e-3) over all N·D·H·W values
    const [means, vars, raw] = tf.tidy(() => {
      const x = tf.randomNormal([3, 8, 8, 8, 1], 0, 1, 'float32', 5);
      const y = probe.apply(x, { training: true }) as tf.Tensor;
      const m = tf.moments(y, [0, 1, 2, 3]);
      const conv = tf.model({ inputs: cae.model.inputs, outputs: cae.model.getLayer('enc_conv1').output as tf.SymbolicTensor }).apply(x) as tf.Tensor;
      return [Array.from(m.mean.dataSync()), Array.from(m.variance.dataSync()), Array.from(tf.moments(conv, [0, 1, 2, 3]).variance.dataSync())];
    });
    means.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-5));
    vars.forEach((v, c) => expect(v).toBeCloseTo(raw[c] / (raw[c] + 1e-3), 4));
    expect(() => buildCae({ inputShape: [8, 8, 8, 1], batchNorm: 1 as never })).toThrow(/CaeOptions\.batchNorm/);
    expect(() => buildCae({ inputShape: [8, 8, 8, 1], batchNorm: true, batchNormMomentum: 1 })).toThrow(/batchNormMomentum/);
    cae.model.dispose();
  });

  it('batchNorm: the model saves and loads (plain layers) and predicts the same', async () => {
    const cae = buildCae({ inputShape: [8, 8, 8, 1], widths: [2, 4], batchNorm: true, outputActivation: 'linear', seed: 4 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await cae.model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const [a, b] = tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 8, 1], 0, 1, 'float32', 7);
      return [(cae.model.predict(x) as tf.Tensor[])[0].dataSync(), (loaded.predict(x) as tf.Tensor[])[0].dataSync()];
    });
    expect(Array.from(b)).toEqual(Array.from(a));
    // the classifier from the encoder copies its batch norms, moving statistics included
    const clf = classifierFromEncoder(cae.encoder, { numClasses: 2, seed: 1 });
    const moving = (m: tf.LayersModel) => (m.getLayer('enc_conv2_bn').getWeights().map((w) => Array.from(w.dataSync())));
    expect(moving(clf.model)).toEqual(moving(cae.encoder));
    expect(tf.tidy(() => (clf.model.predict(tf.zeros([1, 8, 8, 8, 1])) as tf.Tensor).shape)).toEqual([1, 2]);
    clf.model.dispose();
    cae.model.dispose();
    loaded.dispose();
  });

  it("reproduces the original's shapes with bottleneckPadding 'valid' (108×128×108 → code 16×11×14×11)", () => {
    const cae = buildCae({ inputShape: [108, 128, 108, 1], bottleneckPadding: 'valid' });
    expect(cae.model.countParams()).toBe(62769);
    const code = cae.encoder.outputs[0].shape;
    expect(code).toEqual([null, 11, 14, 11, 16]);
    expect((code.slice(1) as number[]).reduce((a, b) => a * b, 1)).toBe(27104);
    // odd pre-pool sizes are restored by the upsampling layers: 13 → 27 → 54 → 108
    expect(cae.model.getLayer('dec_up1').outputShape).toEqual([null, 27, 32, 27, 32]);
    expect(cae.model.outputs[0].shape).toEqual([null, 108, 128, 108, 1]);
    cae.model.dispose();
  });

  it('runs forward on a tiny volume, deterministic for a seed, with the sigmoid output in (0, 1)', () => {
    const a = buildCae({ inputShape: [8, 8, 8, 1], widths: [4, 6], seed: 3 });
    const b = buildCae({ inputShape: [8, 8, 8, 1], widths: [4, 6], seed: 3 });
    const c = buildCae({ inputShape: [8, 8, 8, 1], widths: [4, 6], seed: 4 });
    const x = tf.randomUniform([2, 8, 8, 8, 1], 0, 1, 'float32', 1);
    const [ra, ca] = a.model.predict(x) as tf.Tensor[];
    const [rb, cb] = b.model.predict(x) as tf.Tensor[];
    const [rc, cc] = c.model.predict(x) as tf.Tensor[];
    expect(ra.shape).toEqual([2, 8, 8, 8, 1]);
    expect(ca.shape).toEqual([2, 4, 4, 4, 6]);
    expect(Array.from(rb.dataSync())).toEqual(Array.from(ra.dataSync()));
    expect(Array.from(rc.dataSync())).not.toEqual(Array.from(ra.dataSync()));
    const v = ra.dataSync();
    expect(v.every((p) => p > 0 && p < 1)).toBe(true);
    // encoder output equals the model's code output (shared layers)
    const ce = a.encoder.predict(x) as tf.Tensor;
    expect(Array.from(ce.dataSync())).toEqual(Array.from(ca.dataSync()));
    // biases start at 0 and kernels are he-normal: std ≈ √(2/27) for the first conv (truncated at 2σ → ×0.88)
    const [kernel, bias] = a.model.getLayer('enc_conv1').getWeights();
    expect(Array.from(bias.dataSync())).toEqual([0, 0, 0, 0]);
    const std = tf.tidy(() => tf.moments(kernel).variance.sqrt().dataSync()[0]);
    expect(std).toBeGreaterThan(0.15);
    expect(std).toBeLessThan(0.35);
    tf.dispose([x, ra, ca, rb, cb, rc, cc, ce]);
    [a, b, c].forEach((m) => m.model.dispose());
  });

  it('rejects bad options and too-small inputs', () => {
    expect(() => buildCae({ inputShape: [8, 8, 8, 1], width: [1] } as never)).toThrow(/CaeOptions.width/);
    expect(() => buildCae({ inputShape: [8, 8, 1] } as never)).toThrow(OptionError);
    expect(() => buildCae({ inputShape: [8, 8, 8, 1], activation: 'gelu' as never })).toThrow(/unknown activation "gelu"/);
    expect(() => buildCae({ inputShape: [8, 8, 8, 1], kernelSize: 4 })).toThrow(/odd/);
    expect(() => buildCae({ inputShape: [4, 8, 8, 1] })).toThrow(ShapeError);
    expect(() => buildCae({ inputShape: [16, 16, 16, 1], bottleneckPadding: 'valid' })).toThrow(/valid bottleneck/);
  });
});

describe('buildSrcae', () => {
  it('has the original 91,688 parameters', () => {
    // enc blocks (cin, 7, cs): 27·cin·7+7 + 64·(7+cin)·cs+cs → (1,7,8) 4300, (8,7,16) 16895, (16,7,16) 26599
    // dec blocks: (16,7,16) 26599, (16,7,8) 3031+11784 = 14815, (8,7,1) 1519+961 = 2480 → total 91,688
    const ae = buildSrcae({ inputShape: [16, 16, 16, 1] });
    expect(ae.model.countParams()).toBe(91688);
    expect(ae.encoder.countParams()).toBe(4300 + 16895 + 26599);
    expect(ae.model.getLayer('dec3_out').countParams()).toBe(961);
    expect(ae.encoder.outputs[0].shape).toEqual([null, 2, 2, 2, 16]);
    expect(ae.model.outputs[0].shape).toEqual([null, 16, 16, 16, 1]);
    ae.model.dispose();
  });

  it('handles odd sizes, uses the hidden activation inside and a linear output by default', () => {
    const ae = buildSrcae({ inputShape: [9, 10, 7, 1], widths: [4, 6], hidden: 3 });
    expect(ae.encoder.outputs[0].shape).toEqual([null, 3, 3, 2, 6]);
    expect(ae.model.outputs[0].shape).toEqual([null, 9, 10, 7, 1]);
    const act = (name: string): string => (ae.model.getLayer(name).getConfig().activation as string);
    expect([act('enc1_down'), act('dec1_out'), act('dec2_out')]).toEqual(['elu', 'elu', 'linear']);
    const x = tf.randomUniform([1, 9, 10, 7, 1], -1, 1, 'float32', 2);
    const [r, c] = ae.model.predict(x) as tf.Tensor[];
    expect(r.shape).toEqual([1, 9, 10, 7, 1]);
    expect(c.shape).toEqual([1, 3, 3, 2, 6]);
    expect(r.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([x, r, c]);
    ae.model.dispose();
  });

  it('drops whole channels in training only (spatial dropout)', () => {
    const ae = buildSrcae({ inputShape: [4, 4, 4, 1], widths: [2], hidden: 8, dropout: 0.5 });
    const dropout = ae.model.getLayer('enc1_dropout');
    (dropout as unknown as { seed: number }).seed = 5; // fixed mask for this test (tfjs' Dropout reads `seed` on every call)
    const probe = tf.model({ inputs: ae.model.inputs, outputs: dropout.output as tf.SymbolicTensor });
    const conv = tf.model({ inputs: ae.model.inputs, outputs: ae.model.getLayer('enc1_conv').output as tf.SymbolicTensor });
    const x = tf.randomUniform([1, 4, 4, 4, 1], 0.5, 1, 'float32', 4);
    const [dropped, kept, h] = tf.tidy(() => [probe.apply(x, { training: true }) as tf.Tensor, probe.apply(x) as tf.Tensor, conv.apply(x) as tf.Tensor]
      .map((t) => t.reshape([64, 8]).transpose().arraySync() as number[][]));
    let zeroChannels = 0;
    dropped.forEach((channel, c) => {
      const zeros = channel.filter((v, i) => v === 0 && h[c][i] !== 0).length;
      // a channel is either dropped entirely or kept entirely, scaled by 1/(1 − 0.5)
      if (zeros > 0) {
        expect(channel.every((v) => v === 0)).toBe(true);
        zeroChannels++;
      } else {
        channel.forEach((v, i) => expect(v).toBeCloseTo(2 * h[c][i], 5));
      }
    });
    expect(zeroChannels).toBeGreaterThan(0);
    expect(zeroChannels).toBeLessThan(8);
    expect(kept).toEqual(h);
    x.dispose();
    ae.model.dispose();
  });

  it('rejects bad options', () => {
    expect(() => buildSrcae({ inputShape: [8, 8, 8, 1], dropout: 1 })).toThrow(/SrcaeOptions.dropout/);
    expect(() => buildSrcae({ inputShape: [2, 8, 8, 1] })).toThrow(ShapeError);
    expect(() => buildSrcae({ inputShape: [8, 8, 8, 1], hiddens: 2 } as never)).toThrow(/SrcaeOptions.hiddens/);
  });
});
