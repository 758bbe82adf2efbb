import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectNoTensorLeaks } from '../../helpers/tensor-leaks.js';
import { OptionError } from '../../../src/backend/errors.js';
import type { Batch, BatchSource } from '../../../src/data/batch.js';
import { Learner } from '../../../src/learner/learner.js';
import type { ModelHandle } from '../../../src/learner/model-handle.js';
import { exportModel } from '../../../src/learner/export/export-model.js';
import { topologyClassNames } from '../../../src/learner/export/stock-topology.js';
import { withInputAffine } from '../../../src/learner/distill/input-adapter.js';
import { sliceCnn, earlyFusion } from '../../../src/models/students/slice.js';
import { edgeCnn } from '../../../src/models/students/edge.js';
import { jointFusion } from '../../../src/models/students/joint-fusion.js';
import { cnnLstm } from '../../../src/models/students/cnn-lstm.js';
import { dynamicImage } from '../../../src/models/students/dynamic-image.js';
import { resnet2d } from '../../../src/models/teachers/resnet2d.js';
import { backboneClassifier } from '../../../src/models/backbone2d.js';
import { buildCae } from '../../../src/models/cae.js';
import { classifierFromEncoder } from '../../../src/models/classifier.js';
import { UpSampling3D } from '../../../src/models/upsampling3d.js';
import { ZeroPadding3D } from '../../../src/models/padding3d.js';
import { Rng } from '../../../src/backend/rng.js';
import { tinyClassifier, toySource } from '../helpers.js';
import { ArrayBatchSource } from '../../../src/data/array-source.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A source with the given sample shape and classes and no samples (enough to wrap a model in a Learner). */
function shapeSource(sampleShape: number[], classes = ['a', 'b']): BatchSource {
  return {
    classes,
    sampleShape,
    size: () => 0,
    // eslint-disable-next-line require-yield
    async *batches(): AsyncIterable<Batch> {
      return;
    },
  };
}

/** Batch-norm statistics and scales away from their 0/1 initial values, so a dropped or renamed BN changes the output. */
function perturbBatchNorm(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const w of model.weights) {
    if (!/gamma|beta|moving_mean|moving_variance/.test(w.originalName)) continue;
    const positive = /gamma|moving_variance/.test(w.originalName);
    const size = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, () => (positive ? rng.uniform(0.5, 1.5) : rng.uniform(-0.5, 0.5)));
    const t = tf.tensor(values, w.shape as number[]);
    w.write(t);
    t.dispose();
  }
}

interface Case {
  name: string;
  handle: () => Promise<ModelHandle> | ModelHandle;
  classes?: string[];
}

/** A tiny 2D backbone with 3 input channels (stands in for a pretrained one). */
function tinyBackbone(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), name: 'bb_conv' }).apply(input) as tf.SymbolicTensor;
  const pool = tf.layers.globalAveragePooling2d({ name: 'bb_gap' }).apply(conv) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: pool, name: 'tiny_backbone' });
}

/** A 3D model with ZeroPadding3D and nearest UpSampling3D (the CAE's decoder layers). */
function pad3dUp3d(): ModelHandle {
  const input = tf.input({ shape: [4, 5, 3, 2] });
  const padded = new ZeroPadding3D({ padding: [[1, 2], [0, 1], [2, 0]], name: 'pad' }).apply(input) as tf.SymbolicTensor;
  const conv = tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'c3' }).apply(padded) as tf.SymbolicTensor;
  const up = new UpSampling3D({ size: [2, 1, 3], name: 'up' }).apply(conv) as tf.SymbolicTensor;
  const up2 = new UpSampling3D({ outputSize: [14, 12, 15], name: 'up_to' }).apply(up) as tf.SymbolicTensor;
  const code = tf.layers.flatten({ name: 'gap' }).apply(up2) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: [up2, code], name: 'pad_up' }), kind: 'autoencoder' };
}

const CASES: Case[] = [
  { name: 'sliceCnn', handle: () => ({ model: sliceCnn({ inputShape: [16, 16, 1], widths: [4, 8], seed: 1 }, 2).model, kind: 'classifier' }) },
  { name: 'earlyFusion', handle: () => ({ model: earlyFusion({ sliceShape: [16, 16], slices: 3, widths: [4, 8] }, 2).model, kind: 'classifier' }) },
  { name: 'edgeCnn', handle: () => ({ model: edgeCnn({ inputShape: [16, 16, 3] }, 3).model, kind: 'classifier' }), classes: ['g', 'm', 'p'] },
  { name: 'jointFusion', handle: () => ({ model: jointFusion({ sliceShape: [12, 12, 1], slices: 3, widths: [4, 8] }, 2).model, kind: 'classifier' }) },
  { name: 'cnnLstm', handle: () => ({ model: cnnLstm({ sliceShape: [12, 12, 1], slices: 3, widths: [4], lstmUnits: 5 }, 2).model, kind: 'classifier' }) },
  { name: 'dynamicImage', handle: () => ({ model: dynamicImage({ sliceShape: [12, 12, 1], slices: 3, widths: [4, 8] }, 2).model, kind: 'classifier' }) },
  { name: 'resnet2d', handle: () => ({ model: resnet2d({ inputShape: [32, 32, 1], widths: [4, 8] }, 2).model, kind: 'classifier' }) },
  {
    name: 'backboneClassifier',
    handle: async () => {
      const clf = await backboneClassifier(tinyBackbone(), { numClasses: 2, inputSize: [16, 16], channels: 1, normalization: 'imagenet-caffe', dropout: 0 });
      return { model: clf.model, kind: 'classifier' };
    },
  },
  {
    name: 'classifier3d',
    handle: () => {
      const cae = buildCae({ inputShape: [8, 8, 8, 1], widths: [2, 4], batchNorm: true, seed: 3 });
      const clf = classifierFromEncoder(cae.encoder, { numClasses: 2, hidden: 4 });
      return { model: clf.model, kind: 'classifier', encoderLayerNames: clf.encoderLayerNames };
    },
  },
  { name: 'cae', handle: () => ({ model: buildCae({ inputShape: [8, 8, 8, 1], widths: [2, 4], batchNorm: true, seed: 4 }).model, kind: 'autoencoder' }) },
  { name: 'pad3dUp3d', handle: () => pad3dUp3d() },
  {
    name: 'inputAdapter',
    handle: () => ({ model: withInputAffine(sliceCnn({ inputShape: [16, 16, 3], widths: [4] }, 2).classifier, { scale: [2, 0.5, 1.5], offset: [0.1, -0.2, 0.3] }), kind: 'classifier' }),
  },
];

describe('exportModel', () => {
  // the builders keep extra models alive (the CAE behind its encoder copy, a backbone): exportModel's own leaks are checked per call
  it('every student, the 2D backbones and the 3D models reload in stock tfjs (child process) with outputs equal to the Learner\'s', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'transmri-export-'));
    try {
      const jobs: Array<{ dir: string; x: number[]; shape: number[] }> = [];
      const expected = new Map<string, { y: Float32Array; shape: number[] }>();
      for (const [i, c] of CASES.entries()) {
        const handle = await c.handle();
        perturbBatchNorm(handle.model, i);
        const inputShape = (handle.model.inputs[0].shape as number[]).slice(1);
        const learner = new Learner(shapeSource(inputShape, c.classes), handle);
        const out = path.join(dir, c.name);
        const live = tf.memory().numTensors;
        const { meta } = await exportModel(learner, out);
        expect(tf.memory().numTensors, `${c.name}: tensors left by exportModel`).toBe(live);
        expect(meta.inputShape).toEqual(inputShape);
        expect(meta.task).toBe(handle.kind === 'autoencoder' ? 'reconstruction' : 'classification');
        const modelJson = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'));
        const classes = topologyClassNames(modelJson.modelTopology);
        expect(classes.filter((n) => /Transmri|3D$/.test(n) && !['Conv3D', 'MaxPooling3D'].includes(n)), c.name).toEqual([]);
        const rng = new Rng(100 + i);
        const n = 2;
        const x = Array.from({ length: n * inputShape.reduce((a, b) => a * b, 1) }, () => rng.normal());
        const y = tf.tidy(() => {
          const outs = handle.model.predict(tf.tensor(x, [n, ...inputShape])) as tf.Tensor | tf.Tensor[];
          return Array.isArray(outs) ? outs[0] : outs;
        });
        expected.set(out, { y: y.dataSync() as Float32Array, shape: y.shape });
        y.dispose();
        jobs.push({ dir: out, x, shape: [n, ...inputShape] });
        handle.model.dispose();
      }
      const jobFile = path.join(dir, 'jobs.json');
      await writeFile(jobFile, JSON.stringify(jobs));
      const stdout = execFileSync(process.execPath, [path.join(HERE, 'stock-predict.mjs'), jobFile], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const results = JSON.parse(stdout) as Array<{ dir: string; outputs: number; y: number[]; shape: number[] }>;
      expect(results).toHaveLength(CASES.length);
      const diffs: Record<string, number> = {};
      for (const r of results) {
        const want = expected.get(r.dir)!;
        expect(r.outputs).toBe(1);
        expect(r.shape).toEqual(want.shape);
        diffs[path.basename(r.dir)] = Math.max(...r.y.map((v, k) => Math.abs(v - want.y[k])));
      }
      if (process.env.TRANSMRI_EXPORT_LOG) console.log('export max |stock − learner|:', diffs);
      for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a layer with no stock equivalent, naming it', async () => {
    const input = tf.input({ shape: [2, 2, 2, 1] });
    const conv = tf.layers.conv3d({ filters: 1, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const up = new UpSampling3D({ method: 'trilinear', name: 'tri_up' }).apply(conv) as tf.SymbolicTensor;
    const gap = tf.layers.flatten({}).apply(up) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [up, gap] });
    const learner = new Learner(shapeSource([2, 2, 2, 1]), { model, kind: 'autoencoder' });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'transmri-export-bad-'));
    try {
      await expect(exportModel(learner, path.join(dir, 'x'))).rejects.toThrow(/layer tri_up.*trilinear/);
      await expect(exportModel(learner, path.join(dir, 'x'), { output: 5 })).rejects.toThrow(OptionError);
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('exportModel metadata', () => {
  expectNoTensorLeaks();

  it('records the pipeline of options.data (a distilled student trained on views of a DataBunch) and a checked student view', async () => {
    const { model } = sliceCnn({ inputShape: [6, 5, 3], widths: [2] }, 2);
    const learner = new Learner(shapeSource([6, 5, 3]), { model, kind: 'classifier' });
    const pipeline = { formatVersion: 1, input: { kind: 'nifti' as const }, steps: [{ op: 'zScore' as const, mean: 1, std: 2 }] };
    const data = new ArrayBatchSource({ classes: ['a', 'b'], sampleShape: [6, 5, 4, 1], splits: {}, pipeline });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'transmri-export-meta-'));
    try {
      const { meta } = await exportModel(learner, path.join(dir, 'e'), { data, view: { kind: 'channels', axis: 2, count: 3 } });
      expect(meta.pipeline).toEqual(pipeline);
      expect(meta.view).toEqual({ kind: 'channels', axis: 2, count: 3 });
      expect(JSON.parse(await readFile(path.join(dir, 'e', 'transmri.json'), 'utf8'))).toEqual(meta);
      await expect(exportModel(learner, path.join(dir, 'f'), { view: { kind: 'slice', axis: 2, count: 1 } })).rejects.toThrow(/ExportOptions\.view.*gives inputs \[6, 5, 1\].*takes \[6, 5, 3\]/);
      await expect(exportModel(learner, path.join(dir, 'g'), { nope: 1 } as never)).rejects.toThrow(/ExportOptions/);
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('inference from a checkpoint needs no training options', () => {
  expectNoTensorLeaks();

  it('Learner.load of a custom-loss, adamw checkpoint predicts without options; fit names the missing loss; exportModel(dir) works', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'transmri-ckpt-infer-'));
    const source = toySource();
    const model = tinyClassifier(3, 0);
    const custom = (i: { outputs: tf.Tensor[]; y: tf.Tensor1D }) => tf.losses.softmaxCrossEntropy(tf.oneHot(i.y, 2), i.outputs[0]) as tf.Scalar;
    const learner = new Learner(source, model, { loss: custom, optimizer: 'adamw', seed: 2 });
    let loaded: Learner | undefined;
    try {
      await learner.fit(1, { lr: 1e-2 });
      const before = await learner.predict('test');
      await learner.save(path.join(dir, 'ckpt'));
      loaded = await Learner.load(path.join(dir, 'ckpt'), source);
      expect(loaded.optimizers.some((o) => o?.getClassName() === 'AdamW')).toBe(true);
      const after = await loaded.predict('test');
      expect(Array.from(after.probabilities!)).toEqual(Array.from(before.probabilities!));
      await expect(loaded.fit(2)).rejects.toThrow(/custom loss function.*options\.loss/);
      await expect(loaded.validate()).rejects.toThrow(/custom loss function/);
      const { meta } = await exportModel(path.join(dir, 'ckpt'), path.join(dir, 'export'));
      expect(meta.classes).toEqual(['CN', 'AD']);
      expect(meta.task).toBe('classification');
    } finally {
      learner.dispose();
      loaded?.dispose();
      loaded?.model.dispose();
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
