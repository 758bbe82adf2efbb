/**
 * Optimizer hyper-parameters in checkpoints: AdamW's weight decay, betas and epsilon are saved in the
 * manifest and restored on resume and by Learner.load (before, a resumed or reloaded AdamW took the
 * learner's default decay 0.01 and default betas).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Learner, type FitOptions } from '../../src/learner/learner.js';
import { adamW, type AdamWOptimizer } from '../../src/learner/adamw.js';
import { disposeOptimizer, optimizerHyperParameters, withHyperParameters } from '../../src/learner/optim.js';
import { tinyClassifier, toySource, weightValues } from './helpers.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

await tf.setBackend('cpu');
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-ckpt-opt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fitOptions: FitOptions = { lr: 0.01, schedule: 'cosine' };
const killAt = (epoch: number) => ({ beforeEpoch: (s: { epoch: number }) => { if (s.epoch === epoch) throw new Error('killed'); } });
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const dispose = (...ls: Learner[]) => ls.forEach((l) => { l.dispose(); l.model.dispose(); });

describe('optimizer hyper-parameters in checkpoints', () => {
  expectNoTensorLeaks();

  it('optimizerHyperParameters / withHyperParameters: config without the learning rate; a rebuilt optimizer of the same class', () => {
    const opt = adamW(0.01, { beta1: 0.5, beta2: 0.9, epsilon: 1e-4, weightDecay: 0.3 });
    expect(optimizerHyperParameters(opt)).toEqual({ beta1: 0.5, beta2: 0.9, epsilon: 1e-4, weightDecay: 0.3 });
    const adam = tf.train.adam(0.02);
    const rebuilt = withHyperParameters(adam, {}) as tf.AdamOptimizer;
    expect(rebuilt.getClassName()).toBe('Adam');
    expect(rebuilt.getConfig()).toEqual(adam.getConfig());
    const plain = adamW(0.01);
    const decayed = withHyperParameters(plain, { weightDecay: 0.2, beta1: 0.7 }) as AdamWOptimizer;
    expect(decayed.getClassName()).toBe('AdamW');
    expect(decayed.getConfig()).toEqual({ learningRate: 0.01, beta1: 0.7, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.2 });
    const momentum = tf.train.momentum(0.1, 0.8, true);
    expect(optimizerHyperParameters(momentum)).toEqual({ momentum: 0.8, useNesterov: true });
    for (const o of [opt, adam, rebuilt, plain, decayed, momentum]) disposeOptimizer(o);
  });

  it('a resumed AdamW fit keeps the checkpoint weight decay (learner built with the default): bitwise equal to the uninterrupted fit', async () => {
    const options = { seed: 4, optimizer: 'adamw' as const, weightDecay: 0.3 };
    const reference = new Learner(toySource(), tinyClassifier(1, 0.5), options);
    await reference.fit(4, fitOptions);
    const dir = join(root, 'resume-adamw');
    const killed = new Learner(toySource(), tinyClassifier(1, 0.5), { ...options, callbacks: [killAt(2)] });
    await expect(killed.fit(4, { ...fitOptions, checkpoint: dir })).rejects.toThrow('killed');
    const saved = manifestOf(dir).optimizers.filter((o: unknown) => o !== null);
    expect(saved.length).toBeGreaterThan(0);
    for (const o of saved) expect(o.hyper).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.3 });

    // a new process that does not repeat weightDecay (default 0.01): the checkpoint's 0.3 is used
    const resumed = new Learner(toySource(), tinyClassifier(9, 0.5), { seed: 4, optimizer: 'adamw' });
    await resumed.fit(4, { ...fitOptions, checkpoint: dir, resume: dir });
    expect(resumed.optimizers.filter((o) => o !== undefined).map((o) => (o as AdamWOptimizer).weightDecay)).toEqual(saved.map(() => 0.3));
    expect(weightValues(resumed.model)).toEqual(weightValues(reference.model));
    // another optimizer class is still refused, naming both
    const adam = new Learner(toySource(), tinyClassifier(9, 0.5), { seed: 4 });
    await expect(adam.fit(4, { ...fitOptions, resume: dir })).rejects.toThrow(/checkpoint optimizer is AdamW, the learner uses Adam/);
    dispose(reference, killed, resumed, adam);
  });

  it('Learner.load restores betas, epsilon and decay of a factory-made AdamW: the next epoch equals the original learner', async () => {
    const dir = join(root, 'load-adamw');
    const factory = (lr: number) => adamW(lr, { beta1: 0.5, beta2: 0.9, epsilon: 1e-4, weightDecay: 0.2 });
    const a = new Learner(toySource(), tinyClassifier(1, 0.25), { seed: 3, optimizer: factory, bootstrap: 0 });
    await a.fit(2, { lr: 0.01 });
    await a.save(dir);
    const b = await Learner.load(dir, toySource(), { bootstrap: 0 });
    const opts = b.optimizers.filter((o) => o !== undefined) as AdamWOptimizer[];
    expect(opts.length).toBe(2);
    for (const o of opts) expect(optimizerHyperParameters(o)).toEqual({ beta1: 0.5, beta2: 0.9, epsilon: 1e-4, weightDecay: 0.2 });
    expect(b.options.weightDecay).toBe(0.2);
    await a.fit(1, { lr: 0.01 });
    await b.fit(1, { lr: 0.01 });
    expect(weightValues(b.model)).toEqual(weightValues(a.model));

    // a weight decay given to load wins over the saved one; betas stay the saved ones
    const c = await Learner.load(dir, toySource(), { weightDecay: 0.05 });
    for (const o of c.optimizers.filter((x) => x !== undefined)) expect(optimizerHyperParameters(o as tf.Optimizer)).toEqual({ beta1: 0.5, beta2: 0.9, epsilon: 1e-4, weightDecay: 0.05 });

    // a checkpoint written before hyper-parameters were saved still loads (the learner's defaults)
    const manifest = manifestOf(dir);
    for (const o of manifest.optimizers) if (o) delete o.hyper;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const old = await Learner.load(dir, toySource());
    for (const o of old.optimizers.filter((x) => x !== undefined)) expect((o as AdamWOptimizer).weightDecay).toBe(0.01);
    dispose(a, b, c, old);
  });
});
