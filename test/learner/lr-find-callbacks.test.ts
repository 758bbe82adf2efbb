import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CancelBatchError, CancelFitError } from '../../src/backend/errors.js';
import { LEARNER_EVENTS, type Callback, type FitState, type LearnerEvent } from '../../src/learner/callback.js';
import { BestModelCheckpoint } from '../../src/learner/callbacks/keep-best.js';
import { EarlyStopping } from '../../src/learner/callbacks/early-stopping.js';
import { HistoryLogger } from '../../src/learner/callbacks/history-logger.js';
import { ProgressBar } from '../../src/learner/callbacks/progress-bar.js';
import { Learner } from '../../src/learner/learner.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';
import { tinyClassifier, toySource, weightValues } from './helpers.js';

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'transmri-lrfind-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A callback that records every event with the state fields it saw. */
function spy(): { cb: Callback; calls: Array<{ event: LearnerEvent; lrFind?: boolean; step: number; batchesPerEpoch: number; lr: number; record: boolean }> } {
  const calls: Array<{ event: LearnerEvent; lrFind?: boolean; step: number; batchesPerEpoch: number; lr: number; record: boolean }> = [];
  const cb = Object.fromEntries(
    LEARNER_EVENTS.map((event) => [event, (s: FitState) => void calls.push({ event, lrFind: s.lrFind, step: s.step, batchesPerEpoch: s.batchesPerEpoch, lr: s.lr, record: s.record !== undefined })]),
  ) as Callback;
  return { cb, calls };
}

describe('lrFind fires the callbacks with state.lrFind set', () => {
  expectNoTensorLeaks();

  it('one epoch of numIt batches: beforeFit, beforeEpoch, (beforeBatch, afterPred, afterLoss, beforeStep, afterBatch) × 5, afterEpoch, afterFit', async () => {
    const { cb, calls } = spy();
    // 16 training samples / batch 4 = 4 batches per pass: the 5th step starts a second pass, still one "epoch"
    const l = new Learner(toySource({ n: { train: 16, valid: 4, test: 4 } }), tinyClassifier(1, 0), { batchSize: 4, callbacks: [cb] });
    const r = await l.lrFind({ numIt: 5, startLr: 1e-4, endLr: 1e-2, stopDiv: false });
    expect(calls.map((c) => c.event)).toEqual(['beforeFit', 'beforeEpoch', ...Array.from({ length: 5 }, () => ['beforeBatch', 'afterPred', 'afterLoss', 'beforeStep', 'afterBatch']).flat(), 'afterEpoch', 'afterFit']);
    expect(calls.every((c) => c.lrFind === true && c.batchesPerEpoch === 5 && !c.record)).toBe(true);
    // the lr each afterBatch saw is the curve's lr: 1e-4 · 100^(step/4)
    const after = calls.filter((c) => c.event === 'afterBatch');
    expect(after.map((c) => c.step)).toEqual([0, 1, 2, 3, 4]);
    after.forEach((c, i) => expect(c.lr).toBeCloseTo(1e-4 * 100 ** (i / 4), 12));
    expect(r.lrs).toEqual(after.map((c) => c.lr));
    // a fit afterwards sees no lrFind flag
    calls.length = 0;
    await l.fit(1, { lr: 1e-3 });
    expect(calls.some((c) => c.lrFind)).toBe(false);
    l.dispose();
    l.model.dispose();
  });

  it('checkpoints, history logging and early stopping ignore it; a forced ProgressBar draws an "lr find" bar', async () => {
    const dir = join(root, 'best');
    const csv = join(root, 'history.csv');
    const es = new EarlyStopping({ patience: 1 });
    let text = '';
    const stream = new Writable({ write: (chunk, _enc, done) => void ((text += String(chunk)), done()) });
    const l = new Learner(toySource({ n: { train: 16, valid: 4, test: 4 } }), tinyClassifier(1, 0), {
      batchSize: 4,
      callbacks: [new BestModelCheckpoint({ dir }), new HistoryLogger({ csv }), es, new ProgressBar({ stream, force: true })],
    });
    const w0 = weightValues(l.model);
    const r = await l.lrFind({ numIt: 6, stopDiv: false });
    expect(r.lrs).toHaveLength(6);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(csv)).toBe(false);
    expect(es.getState()).toEqual({ best: NaN, bestEpoch: -1, wait: 0 });
    expect(text).toContain('lr find');
    expect(text).toMatch(/lr find: done at lr/);
    expect(weightValues(l.model)).toEqual(w0);
    l.dispose();
    l.model.dispose();
  });

  it('CancelFitError ends the test with the curve so far (afterFit still fires); CancelBatchError skips a point', async () => {
    const events: string[] = [];
    const stopper: Callback = {
      beforeBatch: (s) => {
        if (s.step === 1) throw new CancelBatchError('skip');
      },
      afterBatch: (s) => {
        if (s.step === 3) throw new CancelFitError('enough');
      },
      afterFit: (s) => void events.push(`afterFit ${s.stopReason}`),
    };
    const l = new Learner(toySource({ n: { train: 16, valid: 4, test: 4 } }), tinyClassifier(1, 0), { batchSize: 4, callbacks: [stopper] });
    const w0 = weightValues(l.model);
    const r = await l.lrFind({ numIt: 10, startLr: 1e-4, endLr: 1e-2, stopDiv: false });
    // steps 0, 2, 3 recorded (1 skipped; 3 recorded before its afterBatch stopped the test)
    expect(r.lrs).toHaveLength(3);
    expect(r.lrs[1]).toBeCloseTo(1e-4 * 100 ** (2 / 9), 12);
    expect(events).toEqual(['afterFit enough']);
    expect(weightValues(l.model)).toEqual(w0);
    l.dispose();
    l.model.dispose();
  });
});
