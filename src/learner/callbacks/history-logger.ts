/**
 * Writes the history as CSV and/or JSON after every epoch (atomically).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import type { Callback, EpochRecord, FitState } from '../callback.js';

/** Options of {@link HistoryLogger}. */
export interface HistoryLoggerOptions {
  /** CSV file to write; default none. */
  csv?: string;
  /** JSON file to write; default none. */
  json?: string;
}

/** Defaults of {@link HistoryLoggerOptions}. */
export const DEFAULT_HISTORY_LOGGER: HistoryLoggerOptions = { csv: undefined, json: undefined };

/** The history as CSV: epoch, trainLoss, validLoss, lr, seconds, then one column per metric (in order of appearance). */
export function historyToCsv(history: readonly EpochRecord[]): string {
  const metricNames: string[] = [];
  for (const r of history) for (const k of Object.keys(r.metrics)) if (!metricNames.includes(k)) metricNames.push(k);
  const header = ['epoch', 'trainLoss', 'validLoss', 'lr', 'seconds', ...metricNames];
  const rows = history.map((r) => [r.epoch, r.trainLoss, r.validLoss, r.lr, r.seconds, ...metricNames.map((k) => r.metrics[k] ?? '')].join(','));
  return [header.join(','), ...rows].join('\n') + '\n';
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/**
 * Logs the learner's whole history (all fits so far) after each epoch.
 * @example new HistoryLogger({ csv: 'runs/cae/history.csv', json: 'runs/cae/history.json' })
 */
export class HistoryLogger implements Callback {
  readonly name = 'HistoryLogger';
  private readonly o: HistoryLoggerOptions;

  constructor(options: HistoryLoggerOptions) {
    rejectUnknownOptions('HistoryLoggerOptions', options, DEFAULT_HISTORY_LOGGER);
    if (!options?.csv && !options?.json) throw new OptionError('HistoryLoggerOptions', 'give csv and/or json');
    this.o = { ...options };
  }

  async afterEpoch(state: FitState): Promise<void> {
    if (state.lrFind) return;
    const history = state.learner.history;
    if (this.o.csv) await writeAtomic(this.o.csv, historyToCsv(history));
    if (this.o.json) await writeAtomic(this.o.json, JSON.stringify(history, null, 1) + '\n');
  }
}
