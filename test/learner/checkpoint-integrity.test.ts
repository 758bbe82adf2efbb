/**
 * Checkpoint integrity (per-file checksums), resume fingerprints (data and model) and
 * leftovers of interrupted writes (issue 21, items 1, 2 and 6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { Rng } from '../../src/backend/rng.js';
import { FormatError, OptionError } from '../../src/backend/errors.js';
import { Learner, type FitOptions } from '../../src/learner/learner.js';
import { loadModel } from '../../src/learner/checkpoint.js';
import { tinyClassifier, weightValues } from './helpers.js';
import { DataBunch, type DataBunchOptions, type DataBunchRow } from '../../src/data/databunch/databunch.js';
import { writeNifti } from '../../src/data/nifti/writer.js';
import { Volume } from '../../src/data/volume.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

await tf.setBackend('cpu');
expectNoTensorLeaks();
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-ckpt21-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fitOptions: FitOptions = { lr: 0.01, schedule: 'cosine' };

/** toySource's kind of data, with a chosen pipeline description and split assignment. */
function source(options: { pipeline?: unknown; moveToValid?: number; extraTrain?: boolean } = {}): ArrayBatchSource {
  const rng = new Rng(7);
  const sample = (label: number): number[] => Array.from({ length: 16 }, (_, p) => 0.3 * rng.normal() + (label === 1 && p % 4 < 2 && p < 8 ? 1 : 0));
  const ids = { train: Array.from({ length: options.extraTrain ? 17 : 16 }, (_, i) => `s${i}`), valid: Array.from({ length: 8 }, (_, i) => `s${100 + i}`) };
  if (options.moveToValid !== undefined) {
    const [id] = ids.train.splice(options.moveToValid, 1);
    ids.valid.push(id);
  }
  const split = (list: string[]) => {
    const y = list.map((_, i) => i % 2);
    return { x: Float32Array.from(y.flatMap(sample)), y, ids: list };
  };
  return new ArrayBatchSource({ classes: ['CN', 'AD'], sampleShape: [4, 4, 1], splits: { train: split(ids.train), valid: split(ids.valid) }, seed: 3, pipeline: options.pipeline ?? { steps: [{ op: 'zScore' }] } });
}

/** Frees a learner's optimizers and model. */
function done(l: Learner): void {
  l.dispose();
  l.model.dispose();
}

/** The checkpoint of a fit of `epochs` epochs killed after `after` of them. */
async function checkpointAfter(dir: string, epochs: number, after: number): Promise<void> {
  const l = new Learner(source(), tinyClassifier(1, 0), { seed: 5, callbacks: [{ beforeEpoch: (s) => { if (s.epoch === after) throw new Error('killed'); } }] });
  await expect(l.fit(epochs, { ...fitOptions, checkpoint: dir })).rejects.toThrow('killed');
  done(l);
}

describe('checkpoint integrity (per-file checksums)', () => {
  it('a truncated optimizer file or a flipped weight byte is a FormatError naming the file, on resume and on load', async () => {
    const dir = join(root, 'integrity');
    await checkpointAfter(dir, 3, 1);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual(['model/model.json', 'model/weights.bin', 'optimizer-0.bin', 'optimizer-1.bin']);
    expect(manifest.files['model/weights.bin']).toMatchObject({ bytes: expect.any(Number), crc32: expect.stringMatching(/^[0-9a-f]{8}$/) });

    const opt = join(dir, 'optimizer-0.bin');
    const optBytes = readFileSync(opt);
    truncateSync(opt, optBytes.length - 2);
    const resume = () => {
      const l = new Learner(source(), tinyClassifier(9, 0), { seed: 5 });
      return l.fit(3, { ...fitOptions, resume: dir }).finally(() => done(l));
    };
    let err = await resume().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(opt);
    expect((err as Error).message).toMatch(/optimizer-0\.bin: truncated or extended: \d+ bytes, the manifest says \d+/);
    writeFileSync(opt, optBytes);

    const weights = join(dir, 'model', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes[5] ^= 0x40;
    writeFileSync(weights, bytes);
    err = await resume().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(weights);
    expect((err as Error).message).toMatch(/weights\.bin: checksum mismatch \(crc32 [0-9a-f]{8}, the manifest says [0-9a-f]{8}\): the file is corrupted/);
    err = await Learner.load(dir, source()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(weights);
    // loading the model alone (inference, export) checks it too
    err = await loadModel(dir).catch((e: unknown) => e);
    expect((err as FormatError).file).toBe(weights);
    bytes[5] ^= 0x40;
    writeFileSync(weights, bytes);
    done(await Learner.load(dir, source()));
  });
});

describe('resume fingerprints (data and model)', () => {
  it('refuses another pipeline, another split assignment or other samples, saying what differs; allowDataChange lets it through', async () => {
    const dir = join(root, 'data-fp');
    await checkpointAfter(dir, 2, 1);
    const resume = (src: ArrayBatchSource, extra: FitOptions = {}) => {
      const l = new Learner(src, tinyClassifier(9, 0), { seed: 5 });
      return l.fit(2, { ...fitOptions, resume: dir, ...extra }).finally(() => done(l));
    };
    let err = await resume(source({ pipeline: { steps: [{ op: 'minMax' }] } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionError);
    expect((err as Error).message).toMatch(/another dataset than the checkpoint's: pipeline differs \(steps\[0\]\.op: "zScore" saved, "minMax" now\)/);
    expect((err as Error).message).toMatch(/allowDataChange: true/);
    err = await resume(source({ moveToValid: 3 })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/split assignment differs \(train 16 → 15 samples, valid 8 → 9 samples\)/);
    expect((err as Error).message).not.toMatch(/pipeline differs/);
    err = await resume(source({ extraTrain: true })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/sample ids differ \(24 saved, 25 now\)/);
    // an explicit opt-in (fine-tuning on changed data) resumes
    const history = await resume(source({ moveToValid: 3 }), { allowDataChange: true });
    expect(history).toHaveLength(2);
  });

  it('refuses a model with another config of the same weight shapes (activation), naming the layer', async () => {
    const dir = join(root, 'model-fp');
    await checkpointAfter(dir, 2, 1);
    const other = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 8, activation: 'elu' }), tf.layers.dense({ units: 2 })] });
    const l = new Learner(source(), other, { seed: 5 });
    const err = await l.fit(2, { ...fitOptions, resume: dir }).catch((e: unknown) => e);
    done(l);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/checkpoint of another model: layer 1 \(Dense\) differs \(activation: "relu" saved, "elu" now\)/);
    // another seed of the same architecture (initializers) is the same model
    const same = new Learner(source(), tinyClassifier(42, 0), { seed: 5 });
    await same.fit(2, { ...fitOptions, resume: dir });
    done(same);
  });

  it('refuses another batch size (other batches and steps per epoch), naming LearnerOptions.batchSize', async () => {
    const dir = join(root, 'batch-size');
    await checkpointAfter(dir, 2, 1);
    const l = new Learner(source(), tinyClassifier(1, 0), { seed: 5, batchSize: 4 });
    const err = await l.fit(2, { ...fitOptions, resume: dir }).catch((e: unknown) => e);
    done(l);
    expect(err).toBeInstanceOf(OptionError);
    expect((err as Error).message).toMatch(/LearnerOptions\.batchSize.*original batch size 8 .*got 4/);
    const same = new Learner(source(), tinyClassifier(1, 0), { seed: 5, batchSize: 8 });
    expect(await same.fit(2, { ...fitOptions, resume: dir })).toHaveLength(2);
    done(same);
  });
});

describe('resume fingerprints on a DataBunch', () => {
  it('refuses a DataBunch with minMax instead of zScore, or another split seed', async () => {
    const data = join(root, 'bunch');
    mkdirSync(data);
    const rows: DataBunchRow[] = [];
    for (let s = 0; s < 12; s++) {
      const file = join(data, `s${s}.nii`);
      await writeNifti(file, new Volume({ data: Float32Array.from({ length: 16 }, (_, i) => s + (i % 5) + (s % 2) * 3), shape: [4, 4, 1] }));
      rows.push({ path: file, id: `s${s}`, subject: `s${s}`, label: s % 2 ? 'AD' : 'CN' });
    }
    const bunch = (options: DataBunchOptions) => DataBunch.fromRows(rows, { cacheDir: join(data, 'cache'), onWarning: () => {}, split: { valid: 0.25, test: 0.25, seed: 1 }, pipeline: { steps: [{ op: 'zScore' }] }, ...options });
    const model = () => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1, 1] }), tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    const dir = join(root, 'bunch-ck');
    const first = new Learner(await bunch({}), model(), { seed: 5, batchSize: 2, callbacks: [{ beforeEpoch: (s) => { if (s.epoch === 1) throw new Error('killed'); } }] });
    await expect(first.fit(2, { ...fitOptions, checkpoint: dir })).rejects.toThrow('killed');
    done(first);
    const resume = async (options: DataBunchOptions) => {
      const l = new Learner(await bunch(options), model(), { seed: 5, batchSize: 2 });
      return l.fit(2, { ...fitOptions, resume: dir }).finally(() => done(l));
    };
    await expect(resume({ pipeline: { steps: [{ op: 'minMax' }] } })).rejects.toThrow(/pipeline differs \(steps\[0\]\.op: "zScore" saved, "minMax" now\)/);
    await expect(resume({ split: { valid: 0.25, test: 0.25, seed: 2 } })).rejects.toThrow(/split assignment differs \(/);
    expect(await resume({})).toHaveLength(2);
  });
});

/** A process that stays alive until killed (its pid marks leftovers of a running writer). */
function liveProcess(): { pid: number; kill: () => void } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: child.pid as number, kill: () => child.kill('SIGKILL') };
}

describe('leftovers of interrupted checkpoint writes', () => {
  it('save and resume remove the .tmp-/.old- folders of dead processes, keep a live writer\'s, and recover an interrupted swap', async () => {
    const parent = join(root, 'left');
    mkdirSync(parent);
    const dir = join(parent, 'ck');
    await checkpointAfter(dir, 3, 1);
    const dead = 2 ** 22 + 12345; // above any pid_max default: never a running process
    const live = liveProcess();
    try {
      for (const name of [`.ck.tmp-${dead}-1`, `.ck.old-${dead}-2`, `.ck.tmp-${live.pid}-3`]) {
        mkdirSync(join(parent, name));
        writeFileSync(join(parent, name, 'x'), 'partial');
      }
      // killed between the two renames of a swap: only the old copy is left; resume puts it back
      renameSync(dir, join(parent, `.ck.old-${dead}-4`));
      const reference = new Learner(source(), tinyClassifier(1, 0), { seed: 5 });
      await reference.fit(3, fitOptions);
      const r = new Learner(source(), tinyClassifier(9, 0), { seed: 5 });
      await r.fit(3, { ...fitOptions, resume: dir, checkpoint: dir });
      expect(weightValues(r.model)).toEqual(weightValues(reference.model));
      expect(readdirSync(parent).sort()).toEqual([`.ck.tmp-${live.pid}-3`, 'ck']);
      expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
      done(r);
      done(reference);
    } finally {
      live.kill();
    }
  });
});
