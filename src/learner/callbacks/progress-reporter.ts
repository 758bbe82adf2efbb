/**
 * The default progress reporter of `fit()`: a bar in a terminal (ProgressBar), one plain line per
 * epoch otherwise (a log file, nohup, a cluster job), with the losses, the metrics, the epoch's time
 * and the ETA of the fit. `new Learner(..., { progress: false })` turns it off.
 */
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, FitState } from '../callback.js';
import { ProgressBar } from './progress-bar.js';

/** How {@link ProgressReporter} shows progress. */
export type ProgressMode = 'auto' | 'bar' | 'lines';

/** Options of {@link ProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where to write; default process.stdout. */
  stream?: NodeJS.WritableStream;
  /** 'bar' (redrawn per batch), 'lines' (one line per epoch) or 'auto': the bar when the stream is a TTY and `CI` is not set, else lines. Default 'auto'. */
  mode?: ProgressMode;
}

/** Defaults of {@link ProgressReporterOptions}. */
export const DEFAULT_PROGRESS_REPORTER = { stream: undefined as NodeJS.WritableStream | undefined, mode: 'auto' as ProgressMode };

/** A number in a log line: 4 significant digits, NaN/Infinity as words. */
function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}

/** Seconds as `12.3 s`, `4m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Shows training progress: the bar in a terminal, otherwise one line per epoch like
 * `epoch 3/10  train loss 0.4512  valid loss 0.5120  accuracy 0.7500  2.1 s  ETA 14.7 s`
 * (the ETA is the mean time of this fit's epochs so far times the epochs left).
 * @example new Learner(source, model, { callbacks: [new ProgressReporter({ mode: 'lines', stream: process.stderr })], progress: false })
 */
export class ProgressReporter implements Callback {
  readonly name = 'ProgressReporter';
  /** The mode in use ('bar' or 'lines'). */
  readonly mode: 'bar' | 'lines';
  private readonly stream: NodeJS.WritableStream;
  private readonly bar?: ProgressBar;
  private seconds = 0;
  private epochsTimed = 0;

  constructor(options: ProgressReporterOptions = {}) {
    rejectUnknownOptions('ProgressReporterOptions', options, DEFAULT_PROGRESS_REPORTER);
    const mode = options.mode ?? 'auto';
    if (!['auto', 'bar', 'lines'].includes(mode)) throw new OptionError('ProgressReporterOptions.mode', `expected 'auto', 'bar' or 'lines', got ${JSON.stringify(mode)}`);
    this.stream = options.stream ?? process.stdout;
    const tty = (this.stream as NodeJS.WriteStream).isTTY === true && !process.env.CI;
    this.mode = mode === 'auto' ? (tty ? 'bar' : 'lines') : mode;
    if (this.mode === 'bar') this.bar = new ProgressBar({ stream: this.stream, force: true });
  }

  beforeFit(): void {
    this.seconds = 0;
    this.epochsTimed = 0;
  }

  beforeEpoch(state: FitState): void {
    this.bar?.beforeEpoch(state);
  }

  afterBatch(state: FitState): void {
    this.bar?.afterBatch(state);
  }

  afterEpoch(state: FitState): void {
    if (this.bar) {
      this.bar.afterEpoch(state);
      return;
    }
    if (state.lrFind || state.record === undefined) return;
    this.stream.write(`${this.epochLine(state)}\n`);
  }

  afterFit(state: FitState): void {
    this.bar?.afterFit();
    if (!this.bar && state.stopReason !== undefined && !state.lrFind) this.stream.write(`stopped early: ${state.stopReason}\n`);
  }

  /** The plain line of the epoch just finished. */
  epochLine(state: FitState): string {
    const r = state.record!;
    this.seconds += r.seconds;
    this.epochsTimed += 1;
    const left = state.epochs - (r.epoch + 1);
    const eta = left > 0 ? `  ETA ${formatDuration((this.seconds / this.epochsTimed) * left)}` : '';
    const valid = Number.isNaN(r.validLoss) ? '' : `  valid loss ${fmt(r.validLoss)}`;
    const metrics = Object.entries(r.metrics)
      .map(([k, v]) => `  ${k} ${fmt(v)}`)
      .join('');
    const width = String(state.epochs).length;
    return `epoch ${String(r.epoch + 1).padStart(width)}/${state.epochs}  train loss ${fmt(r.trainLoss)}${valid}${metrics}  ${formatDuration(r.seconds)}${eta}`;
  }
}
