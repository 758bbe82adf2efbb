import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Writable } from 'node:stream';
import { Learner } from '../../src/learner/learner.js';
import { ProgressReporter, formatDuration } from '../../src/learner/callbacks/progress-reporter.js';
import { ProgressBar } from '../../src/learner/callbacks/progress-bar.js';
import type { EpochRecord, FitState } from '../../src/learner/callback.js';
import { OptionError } from '../../src/backend/errors.js';
import { tinyClassifier, toySource } from './helpers.js';

await tf.setBackend('cpu');

/** A fake non-TTY stream that keeps what is written. */
function sink(tty = false): { stream: NodeJS.WritableStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  if (tty) Object.assign(stream, { isTTY: true });
  return { stream, text: () => chunks.join('') };
}

const record = (epoch: number, seconds: number, validLoss = 0.5): EpochRecord => ({ epoch, trainLoss: 0.123456, validLoss, metrics: { accuracy: 0.75, balancedAccuracy: 2 / 3 }, lr: 1e-3, seconds });
const state = (r: EpochRecord, epochs: number) => ({ epoch: r.epoch, epochs, record: r, resumed: false }) as unknown as FitState;

describe('ProgressReporter', () => {
  it('writes one plain line per epoch on a non-TTY stream: losses, metrics, time, ETA', () => {
    const { stream, text } = sink();
    const p = new ProgressReporter({ stream });
    expect(p.mode).toBe('lines');
    p.beforeFit();
    // epochs take 2 s then 4 s: after epoch 2 of 12 the mean is 3 s, 10 epochs left → ETA 30 s
    p.afterEpoch(state(record(0, 2), 12));
    p.afterEpoch(state(record(1, 4), 12));
    // last epoch: no ETA; no validation split: no valid loss
    p.afterEpoch(state(record(11, 3, NaN), 12));
    expect(text().split('\n')).toEqual([
      'epoch  1/12  train loss 0.1235  valid loss 0.5000  accuracy 0.7500  balancedAccuracy 0.6667  2.0 s  ETA 22.0 s',
      'epoch  2/12  train loss 0.1235  valid loss 0.5000  accuracy 0.7500  balancedAccuracy 0.6667  4.0 s  ETA 30.0 s',
      'epoch 12/12  train loss 0.1235  accuracy 0.7500  balancedAccuracy 0.6667  3.0 s',
      '',
    ]);
  });

  it('prints nothing during lrFind and says why a fit stopped early', () => {
    const { stream, text } = sink();
    const p = new ProgressReporter({ stream, mode: 'lines' });
    p.afterEpoch({ epoch: 0, epochs: 1, lrFind: true, resumed: false } as unknown as FitState);
    p.afterFit({ stopReason: 'early stopping at epoch 3' } as unknown as FitState);
    expect(text()).toBe('stopped early: early stopping at epoch 3\n');
  });

  it('chooses the bar on a TTY (unless CI is set) and lines otherwise; unknown options throw', () => {
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      expect(new ProgressReporter({ stream: sink(true).stream }).mode).toBe('bar');
      process.env.CI = 'true';
      expect(new ProgressReporter({ stream: sink(true).stream }).mode).toBe('lines');
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
    expect(new ProgressReporter({ stream: sink().stream, mode: 'bar' }).mode).toBe('bar');
    expect(() => new ProgressReporter({ mode: 'dots' as never })).toThrow(OptionError);
    expect(() => new ProgressReporter({ colour: true } as never)).toThrow(/ProgressReporterOptions\.colour: unknown option/);
  });

  it('reports a real fit line by line', async () => {
    const { stream, text } = sink();
    const l = new Learner(toySource(), tinyClassifier(), { callbacks: [new ProgressReporter({ stream })] });
    await l.fit(3);
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^epoch 1\/3 {2}train loss [\d.]+ {2}valid loss [\d.]+ {2}accuracy [\d.]+ {2}balancedAccuracy [\d.]+ {2}[\d.]+ s {2}ETA [\d.]+ s$/);
    expect(lines[2]).toMatch(/^epoch 3\/3 .* [\d.]+ s$/);
    l.dispose();
  });

  it('formats durations', () => {
    expect(formatDuration(5.25)).toBe('5.3 s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3725)).toBe('1h02m');
  });
});

describe('the default progress of fit()', () => {
  /** Runs `fn` with process.stdout.write captured. */
  async function stdoutOf(fn: () => Promise<void>): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
    try {
      await fn();
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('prints one line per epoch on stdout (not a TTY here) without any option', async () => {
    const l = new Learner(toySource(), tinyClassifier());
    const out = await stdoutOf(async () => void (await l.fit(2)));
    expect(out).toMatch(/^epoch 1\/2 {2}train loss [\d.]+ {2}valid loss [\d.]+ {2}accuracy [\d.]+ {2}balancedAccuracy [\d.]+ {2}[\d.]+ s {2}ETA [\d.]+ s\nepoch 2\/2 .* s\n$/);
    expect(l.callbackNames).toEqual([]); // added per fit: not a learner callback, not in checkpoints
    l.dispose();
  });

  it('progress: false is silent; options choose the stream; an explicit ProgressBar replaces it', async () => {
    const quiet = new Learner(toySource(), tinyClassifier(), { progress: false });
    expect(await stdoutOf(async () => void (await quiet.fit(1)))).toBe('');
    quiet.dispose();
    const { stream, text } = sink();
    const own = new Learner(toySource(), tinyClassifier(), { progress: { stream } });
    expect(await stdoutOf(async () => void (await own.fit(1)))).toBe('');
    expect(text()).toMatch(/^epoch 1\/1 {2}train loss/);
    own.dispose();
    const bar = new Learner(toySource(), tinyClassifier(), { callbacks: [new ProgressBar({ stream: sink().stream })] });
    expect(await stdoutOf(async () => void (await bar.fit(1)))).toBe('');
    bar.dispose();
    expect(() => new Learner(toySource(), tinyClassifier(), { progress: 'yes' as never })).not.toThrow();
    await expect(new Learner(toySource(), tinyClassifier(), { progress: 'yes' as never }).fit(1)).rejects.toThrow(/LearnerOptions\.progress: expected true, false or ProgressReporterOptions/);
  });
});
