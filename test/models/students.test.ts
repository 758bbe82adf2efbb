import { describe, expect, it } from 'vitest';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../src/backend/errors.js';
import { Rng } from '../../src/backend/rng.js';
import type { StudentModel } from '../../src/models/students/student-cnn.js';
import { earlyFusion, sliceCnn } from '../../src/models/students/slice.js';
import { jointFusion } from '../../src/models/students/joint-fusion.js';
import { cnnLstm } from '../../src/models/students/cnn-lstm.js';
import { dynamicImage, rankPoolingCoefficients } from '../../src/models/students/dynamic-image.js';
import { edgeCnn } from '../../src/models/students/edge.js';
import { resnet2d } from '../../src/models/teachers/resnet2d.js';
import { summarize } from '../../src/models/summary.js';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { Learner } from '../../src/learner/learner.js';

expectNoTensorLeaks();

function dispose(s: StudentModel): void {
  s.model.dispose();
}

function randomInput(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function outputShapes(s: StudentModel, x: tf.Tensor): number[][] {
  return tf.tidy(() => (s.model.predict(x) as tf.Tensor[]).map((t) => t.shape));
}

describe('edgeCnn', () => {
  it('has the paper\'s 12,628 parameters for 128×128 RGB and 4 classes (12,574 for grey)', () => {
    // convs: (3·3·3·3 + 3) + 3·(3·3·3·3 + 3) = 84·4 = 336; dense 3072·4 + 4 = 12,292
    const rgb = edgeCnn({}, 4);
    expect(rgb.model.countParams()).toBe(12628);
    expect(rgb.classifier.countParams()).toBe(12628);
    const x = tf.zeros([2, 128, 128, 3]);
    expect(outputShapes(rgb, x)).toEqual([[2, 4], [2, 3072]]);
    x.dispose();
    // FLOPs (multiply-add = 2): 2·(3·3·3·3)·128² ·2 convs + 2·81·64² ·2 convs + 2·3072·4
    // = 5,308,416 + 1,327,104 + 24,576 = 6,660,096
    const summary = summarize(rgb.model);
    expect(summary.totals.params).toBe(12628);
    expect(summary.totals.flops).toBe(6660096);
    dispose(rgb);
    // first conv 1→3: 3·3·1·3 + 3 = 30 instead of 84
    const grey = edgeCnn({ inputShape: [128, 128, 1] }, 4);
    expect(grey.model.countParams()).toBe(12574);
    dispose(grey);
    expect(() => edgeCnn({ inputShape: [30, 30, 1] }, 4)).toThrow(OptionError);
    expect(() => edgeCnn({ hidden: 3 } as never, 4)).toThrow(OptionError);
  });

  it("init 'torch' draws kernels and biases from PyTorch's U(±1/√fan_in); 'he' keeps zero biases", () => {
    const torch = edgeCnn({ init: 'torch', seed: 1 }, 4);
    const he = edgeCnn({ seed: 1 }, 4);
    expect(torch.model.countParams()).toBe(12628);
    const check = (layer: string, fanIn: number, n: number) => {
      const [kernel, bias] = torch.model.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
      expect(kernel).toHaveLength(n);
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...kernel.map(Math.abs), ...bias.map(Math.abs))).toBeLessThanOrEqual(bound);
      // U(±a) has sd a/√3; and a draw fills the range (max |w| near a)
      const sd = Math.sqrt(kernel.reduce((a, w) => a + w * w, 0) / kernel.length);
      if (n > 1000) expect(sd).toBeCloseTo(bound / Math.sqrt(3), 3);
      expect(Math.max(...kernel.map(Math.abs))).toBeGreaterThan(0.8 * bound);
      expect(bias.some((b) => b !== 0)).toBe(true);
    };
    check('edge_cnn_b1_conv1', 27, 81); // 3×3×3 fan-in
    check('edge_cnn_b2_conv2', 27, 81); // 3×3×3 (3 filters) fan-in
    check('edge_cnn_logits', 3072, 3072 * 4);
    expect(Array.from(he.model.getLayer('edge_cnn_b1_conv1').getWeights()[1].dataSync())).toEqual([0, 0, 0]);
    expect(() => edgeCnn({ init: 'xavier' as never }, 4)).toThrow(/EdgeCnnOptions\.init/);
    dispose(torch);
    dispose(he);
  });
});

describe('resnet2d', () => {
  it("has the anchor teacher's 886,820 trainable parameters at 128×128×3 and 4 classes, and downsamples 32×", () => {
    // BN channels: stem 32 + s1 2·32 + s2 3·64 + s3 3·128 + s4 3·192 = 1248 (γ, β trainable; mean, var not)
    // convs: 864 + 2·9216 + (18432 + 36864 + 2048) + (73728 + 147456 + 8192) + (221184 + 331776 + 24576) = 883,968
    // 883,968 + 2·1248 + dense 192·4 + 4 = 886,820; with the moving statistics 889,316
    const r = resnet2d({ inputShape: [128, 128, 3] }, 4);
    const trainable = r.model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
    expect(trainable).toBe(886820);
    expect(r.model.countParams()).toBe(889316);
    const x = tf.zeros([1, 128, 128, 3]);
    expect(outputShapes(r, x)).toEqual([[1, 4], [1, 192]]);
    x.dispose();
    // 128 → stem stride 2 → 64 → pool → 32 → 16 → 8 → 4
    expect(r.model.getLayer('resnet2d_s4b1_add').outputShape).toEqual([null, 4, 4, 192]);
    dispose(r);
    expect(() => resnet2d({ inputShape: [16, 16, 3] }, 4)).toThrow(/at least 32/);
    expect(() => resnet2d({ inputShape: [64, 64, 1], blocks: [1, 2] }, 4)).toThrow(/ResNet2dOptions\.blocks/);
    expect(() => resnet2d({ inputShape: [64, 64, 1], stemStride: 3 as never }, 4)).toThrow(/stemStride/);
    expect(() => resnet2d({ inputShape: [64, 64, 1], width: 3 } as never, 4)).toThrow(OptionError);
  });

  it('a block whose residual branch is zeroed passes its input through (identity shortcut), the features are its average', () => {
    // one stage of width 2 at full resolution: y = relu(bn2(conv2(...)) + x) with bn2 γ = β = 0 gives relu(x) = x,
    // and x is the stem's relu(bn(conv(input))); in inference mode bn(v) = v / √(1 + ε) with fresh statistics
    const r = resnet2d({ inputShape: [5, 5, 1], widths: [2], stemStride: 1, stemPool: false, seed: 3 }, 2);
    const bn2 = r.model.getLayer('resnet2d_s1b1_bn2');
    tf.tidy(() => bn2.setWeights(bn2.getWeights().map((w, i) => (i < 2 ? tf.zerosLike(w) : w))));
    const input = randomInput([2, 5, 5, 1], 4);
    const kernel = r.model.getLayer('resnet2d_stem_conv').getWeights()[0];
    const eps = (r.model.getLayer('resnet2d_stem_bn').getConfig() as { epsilon: number }).epsilon;
    const [want, got] = tf.tidy(() => {
      const stem = tf.relu(tf.div(tf.conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same'), Math.sqrt(1 + eps)));
      return [tf.mean(stem, [1, 2]).arraySync() as number[][], ((r.model.predict(input) as tf.Tensor[])[1]).arraySync() as number[][]];
    });
    for (let i = 0; i < 2; i++) for (let c = 0; c < 2; c++) expect(got[i][c]).toBeCloseTo(want[i][c], 5);
    expect(Math.max(...want.flat())).toBeGreaterThan(0);
    input.dispose();
    dispose(r);
  });

  it('saves and reloads through tf.io with identical predictions', async () => {
    const r = resnet2d({ inputShape: [16, 16, 3], widths: [4, 8], blocks: [1, 2], stemPool: false }, 3);
    let saved: tf.io.ModelArtifacts | undefined;
    await r.classifier.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = randomInput([2, 16, 16, 3], 5);
    const [a, b] = tf.tidy(() => [(r.classifier.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.getLayer('resnet2d_s2b2_add')).toBeDefined();
    x.dispose();
    loaded.dispose();
    dispose(r);
  });
});

describe('sliceCnn and earlyFusion', () => {
  it('count parameters as computed by hand and output [logits, pooled features]', () => {
    // conv 3·3·1·4 + 4 = 40, conv 3·3·4·8 + 8 = 296, dense 8·2 + 2 = 18
    const plain = sliceCnn({ inputShape: [16, 16, 1], widths: [4, 8], batchNorm: false }, 2);
    expect(plain.model.countParams()).toBe(354);
    dispose(plain);
    // without conv biases (36 + 288) + batch norm 4·(4 + 8) + dense 18
    const bn = sliceCnn({ inputShape: [16, 16, 1], widths: [4, 8] }, 2);
    expect(bn.model.countParams()).toBe(390);
    const x = randomInput([3, 16, 16, 1], 1);
    expect(outputShapes(bn, x)).toEqual([[3, 2], [3, 8]]);
    // The classifier shares the weights: same logits.
    const [a, b] = tf.tidy(() => [(bn.model.predict(x) as tf.Tensor[])[0].arraySync(), (bn.classifier.predict(x) as tf.Tensor).arraySync()]);
    expect(a).toEqual(b);
    x.dispose();
    dispose(bn);
  });

  it('early fusion stacks k slices as channels', () => {
    const s = earlyFusion({ sliceShape: [16, 16], slices: 3, widths: [4], batchNorm: false }, 2);
    expect(s.model.inputs[0].shape).toEqual([null, 16, 16, 3]);
    // 3·3·3·4 + 4 = 112, dense 4·2 + 2 = 10
    expect(s.model.countParams()).toBe(122);
    expect(s.config.inputShape).toEqual([16, 16, 3]);
    dispose(s);
    expect(() => earlyFusion({ sliceShape: [16, 16], slices: 0 }, 2)).toThrow(OptionError);
  });

  it('batch-norm moving statistics follow the batch within a short run (momentum 0.9 by default)', () => {
    // A training-mode call moves the moving mean to m·old + (1 − m)·batch mean; from 0, after n calls on the
    // same batch it is (1 − m^n)·batch mean. With tfjs' m = 0.99, 40 calls reach only 33 % of it, and a
    // student trained ~150 steps on a small set predicted one class in inference mode (kd-synthetic).
    const x = tf.tidy(() => tf.add(randomInput([4, 6, 6, 1], 3), 3));
    const movingAndBatch = (options: { batchNormMomentum?: number }, calls: number): [number[], number[]] => {
      const s = sliceCnn({ inputShape: [6, 6, 1], widths: [2], seed: 1, ...options }, 2);
      const conv = tf.model({ inputs: s.model.inputs, outputs: s.model.getLayer('slice_cnn_conv1').output as tf.SymbolicTensor });
      const batchMean = tf.tidy(() => Array.from(tf.mean(conv.predict(x) as tf.Tensor, [0, 1, 2]).dataSync()));
      for (let i = 0; i < calls; i++) tf.dispose(s.classifier.apply(x, { training: true }) as tf.Tensor);
      const moving = Array.from(s.model.getLayer('slice_cnn_bn1').getWeights()[2].dataSync());
      dispose(s);
      return [moving, batchMean];
    };
    // m = 0.5, one call: half the batch mean
    const [half, mean] = movingAndBatch({ batchNormMomentum: 0.5 }, 1);
    half.forEach((v, c) => expect(v).toBeCloseTo(0.5 * mean[c], 5));
    // default m = 0.9, 40 calls: 1 − 0.9^40 = 98.5 % of the batch mean
    const [moving, batch] = movingAndBatch({}, 40);
    moving.forEach((v, c) => expect(Math.abs(v - batch[c])).toBeLessThan(0.02 * Math.abs(batch[c])));
    expect(() => sliceCnn({ inputShape: [6, 6, 1], batchNormMomentum: 1 }, 2)).toThrow(OptionError);
    x.dispose();
  });

  it('same seed gives the same weights, another seed different ones', () => {
    const w = (seed: number): number[] => {
      const s = sliceCnn({ inputShape: [8, 8, 1], widths: [2], seed }, 2);
      const v = Array.from(s.model.getWeights()[0].dataSync());
      dispose(s);
      return v;
    };
    expect(w(5)).toEqual(w(5));
    expect(w(5)).not.toEqual(w(6));
  });
});

describe('jointFusion', () => {
  it('shares one CNN across slices: mean fusion is invariant to slice order; concat has k·F features', () => {
    const opts = { sliceShape: [8, 8, 1] as [number, number, number], slices: 3, widths: [4], batchNorm: false };
    const mean = jointFusion({ ...opts, fusion: 'mean' }, 2);
    const concat = jointFusion({ ...opts, fusion: 'concat' }, 2);
    // backbone 3·3·1·4 + 4 = 40 (once, shared); dense 4·2 + 2 = 10 (mean) or 12·2 + 2 = 26 (concat)
    expect(mean.model.countParams()).toBe(50);
    expect(concat.model.countParams()).toBe(66);
    const x = randomInput([2, 3, 8, 8, 1], 2);
    expect(outputShapes(concat, x)).toEqual([[2, 2], [2, 12]]);
    const reversed = tf.tidy(() => tf.reverse(x, 1));
    const [f1, f2] = tf.tidy(() => [(mean.model.predict(x) as tf.Tensor[])[1].dataSync(), (mean.model.predict(reversed) as tf.Tensor[])[1].dataSync()]);
    Array.from(f1).forEach((v, i) => expect(v).toBeCloseTo(f2[i], 5));
    tf.dispose([x, reversed]);
    dispose(mean);
    dispose(concat);
  });

  it('saves and reloads through tf.io with identical predictions', async () => {
    const s = jointFusion({ sliceShape: [8, 8, 1], slices: 2, widths: [4] }, 3);
    let saved: tf.io.ModelArtifacts | undefined;
    await s.model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = randomInput([2, 2, 8, 8, 1], 3);
    const [a, b] = tf.tidy(() => [(s.model.predict(x) as tf.Tensor[])[0].dataSync(), (loaded.predict(x) as tf.Tensor[])[0].dataSync()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    x.dispose();
    loaded.dispose();
    dispose(s);
  });
});

describe('dynamicImage', () => {
  it('rank-pooling coefficients: linear 2t − T − 1, Bilen Σ(2i − T − 1)/i, Yoon Σ(2i − T)/i (kd.md: N = 4 → [−1/3, 5/3, 5/3, 1])', () => {
    expect(rankPoolingCoefficients(4)).toEqual([-3, -1, 1, 3]);
    const yoon = rankPoolingCoefficients(4, 'yoon');
    [-1 / 3, 5 / 3, 5 / 3, 1].forEach((v, i) => expect(yoon[i]).toBeCloseTo(v, 12));
    // t = 4: 3/4; t = 3: 1/3 + 3/4 = 13/12; t = 2: −1/2 + 13/12 = 7/12; t = 1: −3 + 7/12 = −29/12
    const bilen = rankPoolingCoefficients(4, 'bilen');
    [-29 / 12, 7 / 12, 13 / 12, 3 / 4].forEach((v, i) => expect(bilen[i]).toBeCloseTo(v, 12));
    expect(() => rankPoolingCoefficients(4, 'other' as never)).toThrow(OptionError);
  });

  it('pools the slices with the fixed, non-trainable coefficients before the CNN', () => {
    const s = dynamicImage({ sliceShape: [4, 4, 2], slices: 3, widths: [4], batchNorm: false }, 2);
    // only the CNN and dense train: (3·3·2·4 + 4) + (4·2 + 2) = 86; the 3 pooling weights do not
    expect(s.model.countParams()).toBe(89);
    const trainable = s.model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
    expect(trainable).toBe(86);
    const x = randomInput([1, 3, 4, 4, 2], 4);
    const image = tf.model({ inputs: s.model.inputs, outputs: s.model.getLayer('dynamic_image_image').output as tf.SymbolicTensor });
    const got = tf.tidy(() => (image.predict(x) as tf.Tensor).dataSync());
    const xs = x.dataSync();
    const alpha = [-2, 0, 2]; // linear, T = 3
    for (let p = 0; p < 32; p++) expect(got[p]).toBeCloseTo(alpha[0] * xs[p] + alpha[1] * xs[32 + p] + alpha[2] * xs[64 + p], 5);
    x.dispose();
    dispose(s);
  });
});

describe('cnnLstm', () => {
  it('runs an LSTM over per-slice CNN features; features are the last hidden state', () => {
    const s = cnnLstm({ sliceShape: [8, 8, 1], slices: 4, widths: [4], batchNorm: false, lstmUnits: 5 }, 3);
    // backbone 40; LSTM 4·(5·(4 + 5) + 5) = 200; dense 5·3 + 3 = 18
    expect(s.model.countParams()).toBe(258);
    const x = randomInput([2, 4, 8, 8, 1], 5);
    expect(outputShapes(s, x)).toEqual([[2, 3], [2, 5]]);
    x.dispose();
    dispose(s);
    expect(() => cnnLstm({ sliceShape: [8, 8, 1], slices: 4, lstmUnits: 0 }, 3)).toThrow(OptionError);
  });
});

describe('sequence students through the Learner', () => {
  // The shared CNN sits inside timeDistributed and the LSTM keeps its weights in its cell: the Learner
  // once collected neither, so only the last dense layer of joint fusion and CNN-LSTM ever trained.
  it('one fit step changes every trainable weight, the wrapped CNN and the LSTM included', async () => {
    const x = randomInput([2, 2, 6, 6, 1], 4);
    const source = new ArrayBatchSource({ classes: ['a', 'b'], sampleShape: [2, 6, 6, 1], splits: { train: { x: x.dataSync() as Float32Array, y: [0, 1] } } });
    x.dispose();
    for (const s of [jointFusion({ sliceShape: [6, 6, 1], slices: 2, widths: [2] }, 2), cnnLstm({ sliceShape: [6, 6, 1], slices: 2, widths: [2], lstmUnits: 3 }, 2)]) {
      const before = s.classifier.trainableWeights.map((w) => ({ name: w.name, value: Array.from(w.read().dataSync()) }));
      const learner = new Learner(source, { model: s.classifier, kind: 'classifier' }, { loss: 'classifier', batchSize: 2 });
      expect(learner.groups.flatMap((g) => g.variables).length).toBe(before.length);
      await learner.fit(1, { lr: 0.1 });
      const after = new Map(s.classifier.trainableWeights.map((w) => [w.name, Array.from(w.read().dataSync())]));
      for (const { name, value } of before) expect(after.get(name), name).not.toEqual(value);
      learner.dispose();
      dispose(s);
    }
  });
});
