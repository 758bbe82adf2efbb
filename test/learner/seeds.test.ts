/**
 * One seed drives a run (issue 18, docs/seeds.md): a DataBunch's `seed` reaches the split, the
 * batch order, augmentation, a Learner's dropout/bootstrap seed and, through the factories, the
 * weight initialisation; each part stays overridable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { VolumeViewSource } from '../../src/data/views/volume-views.js';
import { DataBunch } from '../../src/data/databunch/databunch.js';
import type { Batch } from '../../src/data/batch.js';
import { writeCohort } from '../../src/data/synthetic/write.js';
import { buildCae } from '../../src/models/cae.js';
import { buildClassifier, classifierFromEncoder } from '../../src/models/classifier.js';
import { autoencoderLearner, classifierLearner, classifierLearnerFromEncoder, multitaskLearner } from '../../src/learner/factories.js';
import { Learner } from '../../src/learner/learner.js';
import { OptionError } from '../../src/backend/errors.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

await tf.setBackend('cpu');

function source(seed?: number): ArrayBatchSource {
  const x = new Float32Array(4 * 64).map((_, i) => (i % 7) / 7);
  return new ArrayBatchSource({ classes: ['a', 'b'], sampleShape: [4, 4, 4, 1], splits: { train: { x, y: [0, 1, 0, 1] } }, ...(seed !== undefined ? { seed } : {}) });
}

const widths = [2, 3];
const weightsOf = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));
/** Weights of the classifier head's layers (`head_*`). */
const headWeightsOf = (m: tf.LayersModel): number[][] =>
  m.layers.filter((l) => l.name.startsWith('head_')).flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
/** Weights of a freshly built model, disposed after reading. */
function fresh(build: () => { model: tf.LayersModel }): number[][] {
  const m = build().model;
  const w = weightsOf(m);
  m.dispose();
  return w;
}

describe('one seed: Learner and factories', () => {
  expectNoTensorLeaks();

  it('autoencoderLearner initialises the CAE from the source seed, or learner.seed, or backbone.seed', () => {
    const cae = (seed: number) => fresh(() => buildCae({ inputShape: [4, 4, 4, 1], widths, seed }));
    const fromSource = autoencoderLearner(source(7), { backbone: { architecture: 'cae', widths } });
    expect(fromSource.options.seed).toBe(7);
    expect(weightsOf(fromSource.model)).toEqual(cae(7));
    expect(weightsOf(fromSource.model)).not.toEqual(cae(0)); // the old code always used seed 0
    const fromLearner = autoencoderLearner(source(7), { backbone: { architecture: 'cae', widths }, learner: { seed: 9 } });
    expect(fromLearner.options.seed).toBe(9);
    expect(weightsOf(fromLearner.model)).toEqual(cae(9));
    const fromBackbone = autoencoderLearner(source(7), { backbone: { architecture: 'cae', widths, seed: 4 }, learner: { seed: 9 } });
    expect(fromBackbone.options.seed).toBe(9);
    expect(weightsOf(fromBackbone.model)).toEqual(cae(4));
    for (const l of [fromSource, fromLearner, fromBackbone]) {
      l.dispose();
      l.model.dispose();
    }
  });

  it('classifierLearner and multitaskLearner seed the backbone and the head; head.seed overrides', () => {
    const clf = (backboneSeed: number, headSeed: number) =>
      fresh(() => buildClassifier({ backbone: { architecture: 'cae', inputShape: [4, 4, 4, 1], widths, seed: backboneSeed }, numClasses: 2, seed: headSeed }));
    const a = classifierLearner(source(5), { backbone: { architecture: 'cae', widths } });
    expect(a.options.seed).toBe(5);
    expect(weightsOf(a.model)).toEqual(clf(5, 5));
    const b = classifierLearner(source(5), { backbone: { architecture: 'cae', widths }, head: { seed: 2 } });
    expect(weightsOf(b.model)).toEqual(clf(5, 2));
    const m1 = multitaskLearner(source(5), { backbone: { architecture: 'cae', widths } });
    const m2 = multitaskLearner(source(6), { backbone: { architecture: 'cae', widths } });
    const m3 = multitaskLearner(source(6), { backbone: { architecture: 'cae', widths }, learner: { seed: 5 } });
    expect(weightsOf(m1.model)).not.toEqual(weightsOf(m2.model));
    expect(weightsOf(m1.model)).toEqual(weightsOf(m3.model));
    for (const l of [a, b, m1, m2, m3]) {
      l.dispose();
      l.model.dispose();
    }
  });

  it("classifierLearnerFromEncoder seeds its head and Learner with the autoencoder learner's seed", () => {
    const ae = autoencoderLearner(source(3), { backbone: { architecture: 'cae', widths } });
    const head = (seed: number): number[][] => {
      const m = classifierFromEncoder(ae.handle.encoder!, { numClasses: 2, seed }).model;
      const w = headWeightsOf(m);
      m.dispose();
      return w;
    };
    const [h3, h8] = [head(3), head(8)];
    expect(h3.length).toBe(4); // hidden dense + logits dense, kernel and bias each
    expect(h3).not.toEqual(h8);
    const clf = classifierLearnerFromEncoder(ae, source(11));
    expect(clf.options.seed).toBe(3);
    expect(headWeightsOf(clf.model)).toEqual(h3);
    const own = classifierLearnerFromEncoder(ae, source(11), { learner: { seed: 8 } });
    expect(own.options.seed).toBe(8);
    expect(headWeightsOf(own.model)).toEqual(h8);
    for (const l of [ae, clf, own]) {
      l.dispose();
      l.model.dispose();
    }
  });

  it('a Learner takes its source seed unless given one; a source without a seed gives 0; a bad seed is an OptionError', () => {
    const model = () => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 4, 1] }), tf.layers.dense({ units: 2 })] });
    const m = model();
    const noSeed = { classes: ['a', 'b'], sampleShape: [4, 4, 4, 1], size: () => 0, batches: source().batches.bind(source()) };
    expect(new Learner(source(12), m, { loss: 'classifier' }).options.seed).toBe(12);
    expect(new Learner(source(12), m, { loss: 'classifier', seed: 1 }).options.seed).toBe(1);
    expect(new Learner(noSeed, m, { loss: 'classifier' }).options.seed).toBe(0);
    const split = { ids: ['a', 'b'], y: Int32Array.from([0, 1]), data: new Float32Array(2 * 64) };
    const views = new VolumeViewSource({ classes: ['a', 'b'], volumeShape: [4, 4, 4, 1], splits: { train: split }, view: { kind: 'slice', axis: 2, count: 1 }, seed: 6, flip: 0 });
    const m2 = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 2 })] });
    expect(new Learner(views, m2, { loss: 'classifier' }).options.seed).toBe(6);
    m2.dispose();
    expect(() => new Learner(source(12), m, { loss: 'classifier', seed: Number.NaN })).toThrow(OptionError);
    expect(() => new Learner(source(12), m, { loss: 'classifier', seed: Number.NaN })).toThrow(/LearnerOptions\.seed/);
    m.dispose();
  });
});

describe('one seed: DataBunch', () => {
  let dir: string;
  let csvPath: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-seeds-'));
    ({ csvPath } = await writeCohort(path.join(dir, 'cohort'), { seed: 1, subjects: 16, sessions: 1, shape: [8, 8, 8] }));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const pipeline = { steps: [{ op: 'zScore' as const }, { op: 'noise' as const, std: 0.5 }] };
  const make = (extra: object) => DataBunch.fromCsv(csvPath, { pipeline, cacheDir: path.join(dir, 'cache'), split: { valid: 0.25, test: 0.25 }, onWarning: () => {}, ...extra });
  const epoch = async (bunch: DataBunch): Promise<{ ids: string[]; x: number[] }> => {
    const bs: Batch[] = [];
    for await (const b of bunch.batches('train', { batchSize: 4, epoch: 1 })) bs.push(b);
    return { ids: bs.flatMap((b) => b.ids), x: bs.flatMap((b) => Array.from(b.x.data)) };
  };
  /** The noise added at each position of the epoch's order (augmented batch − clean read); a position's draw is `rng.fork(position)`. */
  const noiseByPosition = async (bunch: DataBunch): Promise<number[][]> => {
    const out: number[][] = [];
    for await (const b of bunch.batches('train', { batchSize: 4, epoch: 1 })) {
      for (const [i, id] of b.ids.entries()) {
        const clean = (await bunch.read(id)).data;
        out.push(Array.from(b.x.data.subarray(i * clean.length, (i + 1) * clean.length), (v, j) => v - clean[j]));
      }
    }
    return out;
  };
  /** Largest |a − b| over two equally shaped noise lists (float32 rounding of x + noise − x differs by sample). */
  const maxDiff = (a: number[][], b: number[][]): number => {
    expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
    return Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));
  };

  it('seed drives the split, the order and the augmentation; split.seed and seeds.* override one stream each', async () => {
    const s3 = await make({ seed: 3 });
    const s4 = await make({ seed: 4 });
    expect(s3.seed).toBe(3);
    // the split follows the top-level seed (before: always split.seed's default 42)
    expect(s3.splits).toEqual((await make({ seed: 9, split: { valid: 0.25, test: 0.25, seed: 3 } })).splits);
    expect(s3.splits).not.toEqual(s4.splits);
    const pinned = { split: { valid: 0.25, test: 0.25, seed: 0 } };
    const a = await make({ seed: 3, ...pinned });
    const b = await make({ seed: 4, ...pinned });
    expect(a.splits).toEqual(b.splits);
    const [ea, eb] = [await epoch(a), await epoch(b)];
    expect(ea.ids).not.toEqual(eb.ids);
    // seeds.order: the order of seed 4, the augmentation of seed 3
    const orderOf4 = await make({ seed: 3, seeds: { order: 4 }, ...pinned });
    expect((await epoch(orderOf4)).ids).toEqual(eb.ids);
    expect(maxDiff(await noiseByPosition(orderOf4), await noiseByPosition(a))).toBeLessThan(1e-5);
    // seeds.augment: the order of seed 3, the noise of seed 4
    const augmentOf4 = await make({ seed: 3, seeds: { augment: 4 }, ...pinned });
    expect((await epoch(augmentOf4)).ids).toEqual(ea.ids);
    const [na, nb, n4] = [await noiseByPosition(a), await noiseByPosition(b), await noiseByPosition(augmentOf4)];
    expect(maxDiff(n4, nb)).toBeLessThan(1e-5);
    expect(maxDiff(n4, na)).toBeGreaterThan(0.5);
    await expect(make({ seeds: { shuffle: 1 } })).rejects.toThrow(/DataBunchOptions\.seeds/);
    await expect(make({ seed: Number.NaN })).rejects.toThrow(OptionError);
  });
});
