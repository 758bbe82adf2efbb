/**
 * A progress bar (cli-progress): batch within the epoch, loss, ETA, and one
 * summary line per epoch. Quiet when the stream is not a TTY or `CI` is set.
 */
import cliProgress from 'cli-progress';
import { rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, FitState } from '../callback.js';

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Where to draw; default process.stderr. */
  stream?: NodeJS.WritableStream;
  /** Draw even when the stream is not a TTY or CI is set; default false. */
  force?: boolean;
}

/** Defaults of {@link ProgressBarOptions}. */
export const DEFAULT_PROGRESS_BAR = { stream: undefined as NodeJS.WritableStream | undefined, force: false };

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}

/**
 * Shows training progress.
 * @example new Learner(source, model, { callbacks: [new ProgressBar()] })
 */
export class ProgressBar implements Callback {
  readonly name = 'ProgressBar';
  private readonly stream: NodeJS.WritableStream;
  private readonly active: boolean;
  private bar?: cliProgress.SingleBar;

  constructor(options: ProgressBarOptions = {}) {
    rejectUnknownOptions('ProgressBarOptions', options, DEFAULT_PROGRESS_BAR);
    this.stream = options.stream ?? process.stderr;
    const tty = (this.stream as NodeJS.WriteStream).isTTY === true;
    this.active = options.force === true || (tty && !process.env.CI);
  }

  /** Whether anything is drawn. */
  get enabled(): boolean {
    return this.active;
  }

  beforeEpoch(state: FitState): void {
    if (!this.active) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${state.lrFind ? 'lr find' : `epoch ${state.epoch + 1}/${state.epochs}`} |{bar}| {value}/{total} batches | loss {loss} | ETA {eta}s`,
        stream: this.stream,
        noTTYOutput: true,
        notTTYSchedule: 0,
        hideCursor: false,
        clearOnComplete: true,
        barsize: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(state.batchesPerEpoch, 0, { loss: '-' });
  }

  afterBatch(state: FitState): void {
    this.bar?.update(state.batch + 1, { loss: fmt(state.loss) });
  }

  afterEpoch(state: FitState): void {
    if (!this.active) return;
    this.bar?.stop();
    this.bar = undefined;
    if (state.lrFind) {
      this.stream.write(`lr find: done at lr ${fmt(state.lr)} (loss ${fmt(state.loss)})\n`);
      return;
    }
    const r = state.record!;
    const metrics = Object.entries(r.metrics).map(([k, v]) => ` ${k} ${fmt(v)}`).join('');
    this.stream.write(`epoch ${r.epoch + 1}/${state.epochs}: train loss ${fmt(r.trainLoss)} valid loss ${fmt(r.validLoss)}${metrics} (${r.seconds.toFixed(1)} s)\n`);
  }

  afterFit(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
