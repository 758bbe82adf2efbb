import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Learner } from '../../src/learner/learner.js';
import { EarlyStopping } from '../../src/learner/callbacks/early-stopping.js';
import { BestModelCheckpoint } from '../../src/learner/callbacks/keep-best.js';
import { ProgressBar } from '../../src/learner/callbacks/progress-bar.js';
import { HistoryLogger, historyToCsv } from '../../src/learner/callbacks/history-logger.js';
import type { EpochRecord, FitState } from '../../src/learner/callback.js';
import { steepestIndex, valleyIndex } from '../../src/learner/lr-find.js';
import { OptionError } from '../../src/backend/errors.js';
import { tinyClassifier, toySource, weightValues } from './helpers.js';

await tf.setBackend('cpu');
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-cb-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (epoch: number, validLoss: number, accuracy = 0): EpochRecord => ({ epoch, trainLoss: 1, validLoss, metrics: { accuracy }, lr: 1e-3, seconds: 0 });
const stateAt = (r: EpochRecord) => ({ epoch: r.epoch, record: r, resumed: false }) as unknown as FitState;

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement (min mode for losses)', () => {
    const es = new EarlyStopping({ patience: 2 });
    es.beforeFit(stateAt(record(0, 0)));
    // valid losses 1.0, 0.8, 0.9, 0.85 → best 0.8 at epoch 1; epochs 2, 3 do not improve → stop at epoch 3
    es.afterEpoch(stateAt(record(0, 1.0)));
    es.afterEpoch(stateAt(record(1, 0.8)));
    es.afterEpoch(stateAt(record(2, 0.9)));
    expect(() => es.afterEpoch(stateAt(record(3, 0.85)))).toThrow(/early stopping at epoch 3: validLoss has not improved for 2 epochs \(best 0.8 at epoch 1\)/);
  });

  it('max mode for metrics, minDelta, state round trip, unknown monitor', () => {
    const es = new EarlyStopping({ monitor: 'accuracy', patience: 1, minDelta: 0.05 });
    es.afterEpoch(stateAt(record(0, 1, 0.5)));
    expect(() => es.afterEpoch(stateAt(record(1, 1, 0.54)))).toThrow(/accuracy has not improved/); // +0.04 < minDelta
    const copy = new EarlyStopping({ monitor: 'accuracy', patience: 1 });
    copy.setState(JSON.parse(JSON.stringify(es.getState())));
    expect(copy.getState()).toEqual(es.getState());
    expect(() => new EarlyStopping({ monitor: 'auc' }).afterEpoch(stateAt(record(0, 1)))).toThrow(/"auc" is not recorded \(have trainLoss, validLoss, accuracy\)/);
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(OptionError);
  });

  it('ends a real fit early and leaves a history of the epochs run', async () => {
    // lr 0 never improves after epoch 0 → stop at epoch 2 with patience 2
    const l = new Learner(toySource(), tinyClassifier(), { optimizer: 'sgd', callbacks: [new EarlyStopping({ patience: 2 })] });
    const history = await l.fit(10, { lr: 1e-12 });
    expect(history.length).toBe(3);
    l.dispose();
  });
});

describe('BestModelCheckpoint and HistoryLogger', () => {
  it('saves the best epoch and logs the history as CSV and JSON', async () => {
    const best = join(root, 'best');
    const csv = join(root, 'log', 'history.csv');
    const json = join(root, 'log', 'history.json');
    let bestWeights: Float32Array[] = [];
    const cb = new BestModelCheckpoint({ dir: best, monitor: 'accuracy' });
    const l = new Learner(toySource(), tinyClassifier(), {
      seed: 1,
      callbacks: [cb, new HistoryLogger({ csv, json }), { afterEpoch: (s) => { if (cb.bestEpoch === s.epoch) bestWeights = weightValues(s.learner.model); } }],
    });
    await l.fit(3, { lr: 0.02 });
    expect(existsSync(join(best, 'manifest.json'))).toBe(true);
    const loaded = await Learner.load(best, toySource());
    expect(weightValues(loaded.model)).toEqual(bestWeights);
    expect(loaded.history).toHaveLength(cb.bestEpoch + 1);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,trainLoss,validLoss,lr,seconds,accuracy,balancedAccuracy');
    expect(lines).toHaveLength(4);
    expect(lines[1].split(',')[0]).toBe('0');
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(l.history);
    expect(() => new HistoryLogger({})).toThrow(OptionError);
    l.dispose();
    loaded.dispose();
  });

  it('historyToCsv leaves missing metrics empty', () => {
    const h = [record(0, 0.5, 0.7), { ...record(1, 0.4), metrics: {} }];
    expect(historyToCsv(h)).toBe('epoch,trainLoss,validLoss,lr,seconds,accuracy\n0,1,0.5,0.001,0,0.7\n1,1,0.4,0.001,0,\n');
  });
});

describe('ProgressBar', () => {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
    return { stream, text: () => chunks.join('') };
  };

  it('draws batches, loss and epoch summaries when forced', async () => {
    const { stream, text } = sink();
    const l = new Learner(toySource(), tinyClassifier(), { callbacks: [new ProgressBar({ stream, force: true })] });
    await l.fit(2);
    expect(text()).toMatch(/epoch 1\/2 .*batches \| loss/);
    expect(text()).toMatch(/epoch 2\/2: train loss [0-9.]+ valid loss [0-9.]+ accuracy/);
    l.dispose();
  });

  it('is quiet on a non-TTY stream or with CI set', async () => {
    const { stream, text } = sink();
    const bar = new ProgressBar({ stream });
    expect(bar.enabled).toBe(false);
    const l = new Learner(toySource(), tinyClassifier(), { callbacks: [bar] });
    await l.fit(1);
    expect(text()).toBe('');
    const saved = process.env.CI;
    process.env.CI = '1';
    try {
      const tty = Object.assign(sink().stream, { isTTY: true });
      expect(new ProgressBar({ stream: tty }).enabled).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
    l.dispose();
  });
});

describe('lrFind', () => {
  it('suggestion helpers (hand-computed)', () => {
    // losses 5 4 3 2 1 2 3: longest decreasing run is indices 0..4 → 0 + ⌊4/3⌋ + ⌊4/6⌋ = 1
    expect(valleyIndex([5, 4, 3, 2, 1, 2, 3])).toBe(1);
    // 9 9 8 6 3 2 2 5: run 0(or 1)..5, length 5: start 0, end 5 → 0 + 1 + 0 = 1
    expect(valleyIndex([9, 9, 8, 6, 3, 2, 2, 5])).toBe(1);
    // slopes per unit log-lr: -1, -3, -1 → steepest starts at index 1
    const lrs = [1, Math.E, Math.E ** 2, Math.E ** 3];
    expect(steepestIndex(lrs, [10, 9, 6, 5])).toBe(1);
  });

  it('records a curve, stops on divergence and restores weights and optimizer state', async () => {
    const l = new Learner(toySource({ n: { train: 16, valid: 4, test: 4 } }), tinyClassifier(1, 0.25), { optimizer: 'sgd', batchSize: 4 });
    await l.fit(1, { lr: 0.01 });
    const w0 = weightValues(l.model);
    const opt = l.optimizers[1];
    const before = tf.memory().numTensors;
    const r = await l.lrFind({ numIt: 60, startLr: 1e-4, endLr: 1e4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(weightValues(l.model)).toEqual(w0);
    expect(l.optimizers[1]).toBe(opt);
    expect(r.lrs.length).toBeLessThan(60); // SGD at lr 1e4 diverges
    expect(r.lrs[0]).toBeCloseTo(1e-4, 12);
    expect(r.lrs[1] / r.lrs[0]).toBeCloseTo(1e8 ** (1 / 59), 9);
    expect(r.suggestion).toBe(r.suggestions.valley);
    expect(r.suggestion).toBeGreaterThan(1e-4);
    expect(r.suggestion).toBeLessThan(1e4);
    l.dispose();
  });
});
