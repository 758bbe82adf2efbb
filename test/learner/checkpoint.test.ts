import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Learner, type FitOptions } from '../../src/learner/learner.js';
import { FormatError, NonFiniteLossError, OptionError } from '../../src/backend/errors.js';
import { tinyClassifier, toySource, weightValues } from './helpers.js';
import { EarlyStopping } from '../../src/learner/callbacks/early-stopping.js';

await tf.setBackend('cpu');
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-ckpt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fitOptions: FitOptions = { lr: 0.01, schedule: 'cosine' };

describe('checkpoints and exact resume', () => {
  it('fit 4 epochs == fit, killed after epoch 2, resumed to 4: bitwise-equal weights and history', async () => {
    const reference = new Learner(toySource(), tinyClassifier(1, 0.5), { seed: 4 });
    await reference.fit(4, fitOptions);

    const dir = join(root, 'resume');
    const killed = new Learner(toySource(), tinyClassifier(1, 0.5), {
      seed: 4,
      callbacks: [{ beforeEpoch: (s) => { if (s.epoch === 2) throw new Error('killed'); } }],
    });
    await expect(killed.fit(4, { ...fitOptions, checkpoint: dir })).rejects.toThrow('killed');
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).epochsDone).toBe(2);

    // a new process: a differently initialised model of the same architecture
    const resumed = new Learner(toySource(), tinyClassifier(9, 0.5), { seed: 4 });
    const history = await resumed.fit(4, { ...fitOptions, checkpoint: dir, resume: dir });
    expect(weightValues(resumed.model)).toEqual(weightValues(reference.model));
    expect(history.map((h) => [h.trainLoss, h.validLoss, h.lr])).toEqual(reference.history.map((h) => [h.trainLoss, h.validLoss, h.lr]));
    expect(readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    for (const l of [reference, killed, resumed]) l.dispose();
  });

  it('a resumed fit restores callback state (EarlyStopping)', async () => {
    const dir = join(root, 'resume-es');
    const refStop = new EarlyStopping({ patience: 10 });
    const ref = new Learner(toySource(), tinyClassifier(), { seed: 2, callbacks: [refStop] });
    await ref.fit(4, fitOptions);
    const es1 = new EarlyStopping({ patience: 10 });
    const killed = new Learner(toySource(), tinyClassifier(), { seed: 2, callbacks: [es1, { beforeEpoch: (s) => { if (s.epoch === 3) throw new Error('killed'); } }] });
    await expect(killed.fit(4, { ...fitOptions, checkpoint: dir })).rejects.toThrow('killed');
    const es2 = new EarlyStopping({ patience: 10 });
    let restored: unknown;
    await new Learner(toySource(), tinyClassifier(), { seed: 2, callbacks: [es2, { beforeFit: () => void (restored = es2.getState()) }] }).fit(4, { ...fitOptions, resume: dir });
    // before the resumed epoch runs, the state is the one saved after epoch 2
    expect(restored).toEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).callbacks.EarlyStopping);
    expect((restored as { bestEpoch: number }).bestEpoch).toBeGreaterThanOrEqual(0);
    expect(es2.getState()).toEqual(refStop.getState());
  });

  it('refuses to resume another plan, another architecture, or a future format', async () => {
    const dir = join(root, 'refuse');
    const l = new Learner(toySource(), tinyClassifier(), { seed: 1 });
    await l.fit(1, { ...fitOptions, checkpoint: dir });
    await expect(new Learner(toySource(), tinyClassifier(), { seed: 1 }).fit(3, { ...fitOptions, resume: dir })).rejects.toThrow(/same epochs as the original fit \(1\), got 3/);
    await expect(new Learner(toySource(), tinyClassifier(), { seed: 2 }).fit(1, { ...fitOptions, resume: dir })).rejects.toThrow(OptionError);

    const wide = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 16 }), tf.layers.dense({ units: 2 })] });
    const err = await new Learner(toySource(), wide, { seed: 1 }).fit(1, { ...fitOptions, resume: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/another architecture: weight 0 .* has shape \[16,8\], model .* has \[16,16\]/);

    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, version: 99 }));
    await expect(Learner.load(dir, toySource())).rejects.toThrow(/newer transmri \(format version 99; this version reads up to 1\)/);
    l.dispose();
  });

  it('save/load round trip: same predictions, history, freezing, and the same next epoch', async () => {
    const dir = join(root, 'saved');
    const a = new Learner(toySource(), tinyClassifier(1, 0.25), { seed: 3, bootstrap: 0 });
    a.freeze();
    await a.fit(2, { lr: 0.01 });
    await a.save(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.classes).toEqual(['CN', 'AD']);
    expect(manifest.pipeline).toEqual({ steps: ['toy'], version: 1 });
    expect(manifest.seed).toBe(3);

    const b = await Learner.load(dir, toySource(), { bootstrap: 0 });
    expect(b.trainableGroups).toEqual([false, true]);
    expect(b.history).toEqual(a.history);
    expect((await b.predict('test')).probabilities).toEqual((await a.predict('test')).probabilities);
    await a.fit(1, { lr: 0.01 });
    await b.fit(1, { lr: 0.01 });
    expect(weightValues(b.model)).toEqual(weightValues(a.model));
    a.dispose();
    b.dispose();
  });

  it('a NaN loss leaves the last good checkpoint in place', async () => {
    const dir = join(root, 'nan');
    let step = 0;
    const l = new Learner(toySource(), tinyClassifier(), {
      loss: ({ outputs, training }) => (training && step++ === 4 ? (tf.mean(outputs[0]).mul(NaN) as tf.Scalar) : (tf.mean(tf.square(outputs[0])) as tf.Scalar)),
    });
    await expect(l.fit(3, { checkpoint: dir })).rejects.toThrow(NonFiniteLossError);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).epochsDone).toBe(1);
    expect(existsSync(join(dir, 'model', 'model.json'))).toBe(true);
    // inference needs no training options; training without the custom loss names it (issue 20)
    const back = await Learner.load(dir, toySource());
    await expect(back.fit(3)).rejects.toThrow(/custom loss function/);
    back.dispose();
    back.model.dispose();
    l.dispose();
  });
});
