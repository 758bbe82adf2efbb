import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { OptionError } from '../../src/backend/errors.js';
import { Rng } from '../../src/backend/rng.js';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { readNifti } from '../../src/data/nifti/reader.js';
import { preprocessVolume } from '../../src/data/preprocess.js';
import { Volume, type Affine } from '../../src/data/volume.js';
import type { PipelineJSON } from '../../src/data/databunch/pipeline.js';
import { Learner } from '../../src/learner/learner.js';
import { saliency } from '../../src/learner/saliency.js';
import { writeOnScanGrid } from '../../src/learner/saliency-nifti.js';

/** [8, 8, 8, 1] volumes: noise everywhere; class 1 adds +1.5 inside the box x 5..7, y 1..3, z 2..4 (the known region). */
const N = 8;
const inBox = (x: number, y: number, z: number) => x >= 5 && x < 8 && y >= 1 && y < 4 && z >= 2 && z < 5;
function volumes(count: number, rng: Rng): { x: Float32Array; y: number[] } {
  const x = new Float32Array(count * N ** 3);
  const y: number[] = [];
  for (let s = 0; s < count; s++) {
    const label = s % 2;
    y.push(label);
    for (let p = 0; p < N ** 3; p++) {
      const [i, j, k] = [Math.floor(p / 64), Math.floor(p / 8) % 8, p % 8];
      x[s * N ** 3 + p] = 0.3 * rng.normal() + (label === 1 && inBox(i, j, k) ? 1.5 : 0);
    }
  }
  return { x, y };
}

function tiny3d(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [N, N, N, 1] });
  const init = (k: number) => tf.initializers.heNormal({ seed: seed + k });
  const c1 = tf.layers.conv3d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'c1' }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv3d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'c2' }).apply(c1) as tf.SymbolicTensor;
  const flat = tf.layers.reshape({ targetShape: [N ** 3, 4] }).apply(c2) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling1d({}).apply(flat) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 2, kernelInitializer: init(3) }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'tiny3d' });
}

describe('saliency', () => {
  expectNoTensorLeaks();

  it('Grad-CAM and occlusion of a trained 3D classifier peak in the region that carries the class signal', async () => {
    const rng = new Rng(1);
    const train = volumes(48, rng);
    const test = volumes(4, rng);
    const source = new ArrayBatchSource({ classes: ['no', 'yes'], sampleShape: [N, N, N, 1], splits: { train, test }, seed: 1 });
    const model = tiny3d(0);
    const learner = new Learner(source, model, { seed: 1, batchSize: 8 });
    try {
      await learner.fit(12, { lr: 1e-2 });
      const acc = (await learner.predict('test')).metrics!.accuracy;
      expect(acc).toBe(1);
      const sample = test.x.slice(N ** 3, 2 * N ** 3); // test sample 1: class 1
      const insideMean = (m: Float32Array) => {
        let a = 0;
        let b = 0;
        let na = 0;
        let nb = 0;
        m.forEach((v, p) => {
          if (inBox(Math.floor(p / 64), Math.floor(p / 8) % 8, p % 8)) { a += v; na++; } else { b += v; nb++; }
        });
        return { inside: a / na, outside: b / nb };
      };
      const cam = await saliency(learner, sample, { method: 'gradcam', target: 1 });
      expect(cam.shape).toEqual([N, N, N]);
      expect(cam.layer).toBe('c2');
      // the peak lies in the box or on its border (two 3×3×3 convolutions spread the evidence by a voxel)
      const peak = cam.data.indexOf(Math.max(...cam.data));
      const [pi, pj, pk] = [Math.floor(peak / 64), Math.floor(peak / 8) % 8, peak % 8];
      expect(pi >= 4 && pj >= 0 && pj < 5 && pk >= 1 && pk < 6, `Grad-CAM peak at voxel (${pi}, ${pj}, ${pk})`).toBe(true);
      const c = insideMean(cam.data);
      if (process.env.TRANSMRI_SALIENCY_LOG) console.log('gradcam inside/outside', c);
      expect(c.inside).toBeGreaterThan(3 * c.outside);
      const occ = await saliency(learner, sample, { method: 'occlusion', target: 1, patch: 2 });
      const oc = insideMean(occ.data);
      if (process.env.TRANSMRI_SALIENCY_LOG) console.log('occlusion inside/outside', oc);
      expect(oc.inside).toBeGreaterThan(0);
      expect(oc.inside).toBeGreaterThan(3 * Math.abs(oc.outside));
    } finally {
      learner.dispose();
      model.dispose();
    }
  });

  it('the gradient map equals central finite differences of the target logit (2D, smooth model)', async () => {
    const input = tf.input({ shape: [5, 6, 2] });
    const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(conv) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: logits });
    try {
      const rng = new Rng(5);
      const x = Float32Array.from({ length: 60 }, () => rng.normal());
      const map = await saliency(model, x, { method: 'gradient', target: 2 });
      expect(map.shape).toEqual([5, 6]);
      const logit = (v: Float32Array) => tf.tidy(() => (model.predict(tf.tensor(v, [1, 5, 6, 2])) as tf.Tensor).dataSync()[2]);
      const eps = 1e-2;
      for (let p = 0; p < 30; p++) {
        // the map sums the two channels: (∂/∂x_c0 + ∂/∂x_c1), each by central differences
        let fd = 0;
        for (let c = 0; c < 2; c++) {
          const up = new Float32Array(x);
          const down = new Float32Array(x);
          up[p * 2 + c] += eps;
          down[p * 2 + c] -= eps;
          fd += (logit(up) - logit(down)) / (2 * eps);
        }
        expect(map.data[p]).toBeCloseTo(fd, 3);
      }
      await expect(saliency(model, x, { method: 'gradcam', layer: 'nope' })).rejects.toThrow(/no layer named "nope"/);
      await expect(saliency(model, x, { target: 3 })).rejects.toThrow(OptionError);
      await expect(saliency(model, new Float32Array(3))).rejects.toThrow(/input length/);
    } finally {
      model.dispose();
    }
  });

  it('writeOnScanGrid puts a map back on the scan grid and affine, in original intensity units', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'transmri-saliency-nifti-'));
    try {
      const shape: [number, number, number] = [10, 12, 8];
      const affine: Affine = [[-2, 0, 0, 30], [0, 2, 0, -40], [0, 0, 3, 5], [0, 0, 0, 1]];
      const rng = new Rng(2);
      const scan = new Volume({ data: Float32Array.from({ length: 960 }, () => 100 + 20 * rng.normal()), shape, affine, spacing: [2, 2, 3] });
      const pipeline: PipelineJSON = { formatVersion: 1, input: { kind: 'nifti' }, steps: [{ op: 'cropOrPad', shape: [8, 8, 8] }, { op: 'zScore', mean: 100, std: 20 }, { op: 'flip', axes: [0] }] };
      const model = preprocessVolume(pipeline, scan);
      expect(model.shape).toEqual([8, 8, 8]);
      // the z-scored model input, written back in original units, is the scan inside the crop and 0 outside
      const out = path.join(dir, 'recon.nii.gz');
      await writeOnScanGrid(out, model.data, scan, pipeline, { units: 'intensity' });
      const back = await readNifti(out, { reorient: false });
      expect(back.shape).toEqual(shape);
      expect(back.affine.flat().map((v) => Math.round(v * 1e4) / 1e4)).toEqual(affine.flat());
      let maxDiff = 0;
      let outside = 0;
      for (let i = 0; i < 10; i++) for (let j = 0; j < 12; j++) for (let k = 0; k < 8; k++) {
        const inCrop = i >= 1 && i < 9 && j >= 2 && j < 10;
        if (inCrop) maxDiff = Math.max(maxDiff, Math.abs(back.get(i, j, k) - scan.get(i, j, k)));
        else outside = Math.max(outside, Math.abs(back.get(i, j, k)));
      }
      expect(maxDiff).toBeLessThan(1e-3);
      expect(outside).toBe(0);
      // a gradient per model unit is divided by the std: per original intensity unit
      const ones = new Float32Array(512).fill(1);
      const g = await writeOnScanGrid(path.join(dir, 'grad.nii'), ones, scan, pipeline, { units: 'gradient' });
      expect(g.get(5, 5, 4)).toBeCloseTo(1 / 20, 6);
      await expect(writeOnScanGrid(path.join(dir, 'bad.nii'), new Float32Array(3), scan, pipeline)).rejects.toThrow(/preprocessed grid \[8, 8, 8\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
