/**
 * `runSweep`: a sweep config expanded into jobs, the unfinished ones run on the local pool (default)
 * or a BullMQ queue (`queue: 'redis://...'`), every record kept in `<out>/jobs/`, and the merged
 * results written as results.json, table.md and one self-contained report.html.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';
import { report } from '../viz/report/report.js';
import type { Experiment } from '../viz/report/experiment.js';
import { loadSweepConfig, parseSweepConfig, type SweepConfig, type SweepConfigInput } from './config.js';
import { expandJobs, resolveCodeVersion, type SweepJobSpec } from './jobs.js';
import { runLocalPool, type ExecutorHooks } from './local-pool.js';
import { mergeRecords, summaryMarkdown, type SweepSummary } from './merge.js';
import { DEFAULT_QUEUE_NAME, runOnQueue } from './queue.js';
import type { SweepJobRecord } from './run-job.js';
import { readRecords, writeJsonAtomic, writeRecord } from './store.js';

/** Where a sweep stands. */
export interface SweepProgress {
  total: number;
  /** Finished before this run (re-used by key). */
  reused: number;
  done: number;
  failed: number;
  running: number;
  pending: number;
  elapsedSeconds: number;
  /** Estimated seconds left (from this run's finished jobs; undefined before the first). */
  etaSeconds: number | undefined;
}

/** Options of {@link runSweep}. */
export interface RunSweepOptions {
  /** Local worker processes; default one per core (`os.availableParallelism()`). Ignored with `queue`. */
  workers?: number;
  /** Threads per local worker (TRANSMRI_THREADS in its environment); default max(1, floor(cores / workers)). */
  threads?: number;
  /** Redis URL of a BullMQ queue (`redis://host:port`); default none: the local pool. */
  queue?: string;
  /** Queue name; default 'transmri-sweep'. */
  queueName?: string;
  /** Run again the jobs recorded as failed (a finished job is never re-run); default true. */
  retryFailed?: boolean;
  /** Milliseconds between polls of the queue; default 250. */
  pollMs?: number;
  /** Write report.html; default true. */
  report?: boolean;
  /** Called whenever a job starts, finishes or is retried. */
  onProgress?: (progress: SweepProgress) => void;
  /** Log lines (retries, failures, workers' lines); default none. */
  log?: (line: string) => void;
}

/** Defaults of {@link RunSweepOptions}. */
export const DEFAULT_RUN_SWEEP = { workers: undefined as number | undefined, threads: undefined as number | undefined, queue: undefined as string | undefined, queueName: DEFAULT_QUEUE_NAME, retryFailed: true, pollMs: 250, report: true, onProgress: undefined as ((p: SweepProgress) => void) | undefined, log: undefined as ((line: string) => void) | undefined };

/** What {@link runSweep} returns. */
export interface SweepResult {
  config: SweepConfig;
  codeVersion: string;
  summary: SweepSummary;
  /** Records of the sweep's jobs, in job order. */
  records: SweepJobRecord[];
  /** Jobs that ran in this call (the others were re-used). */
  ran: number;
  seconds: number;
  files: { results: string; table: string; report?: string };
}

/**
 * Runs a sweep (a config object or a .json/.yaml file) and merges its results.
 * @example
 * const r = await runSweep({ experiment: { module: './job.ts' }, settings: { grid: { lr: [1e-3, 3e-3] } }, seeds: 5 }, { workers: 2 });
 * console.log(r.summary.differences);
 */
export async function runSweep(config: SweepConfigInput | SweepConfig | string, options: RunSweepOptions = {}): Promise<SweepResult> {
  rejectUnknownOptions('RunSweepOptions', options, DEFAULT_RUN_SWEEP);
  const o = { ...DEFAULT_RUN_SWEEP, ...options };
  const cfg = typeof config === 'string' ? loadSweepConfig(config) : isChecked(config) ? config : parseSweepConfig(config, 'runSweep config');
  const cores = availableParallelism();
  const workers = o.workers ?? cores;
  if (!Number.isInteger(workers) || workers < 1) throw new OptionError('RunSweepOptions.workers', `must be a positive integer, got ${workers}`);
  const threads = o.threads ?? Math.max(1, Math.floor(cores / workers));
  if (!Number.isInteger(threads) || threads < 1) throw new OptionError('RunSweepOptions.threads', `must be a positive integer, got ${threads}`);
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const codeVersion = resolveCodeVersion(cfg);
  const jobs = expandJobs(cfg, codeVersion);
  const records = readRecords(cfg.out);
  const todo = jobs.filter((j) => {
    const r = records.get(j.key);
    return r === undefined || (r.status === 'failed' && o.retryFailed);
  });
  const reused = jobs.length - todo.length;
  if (reused > 0) log(`${reused} of ${jobs.length} jobs already recorded in ${cfg.out}: re-used`);

  const progress = { total: jobs.length, reused, done: 0, failed: 0, running: new Set<string>(), finishedSeconds: [] as number[] };
  for (const j of jobs) {
    const r = records.get(j.key);
    if (r !== undefined && !todo.includes(j)) progress[r.status === 'done' ? 'done' : 'failed']++;
  }
  const report_ = (): void => {
    if (!o.onProgress) return;
    const elapsed = (performance.now() - t0) / 1000;
    const finishedNow = progress.done + progress.failed - reused;
    const pending = jobs.length - progress.done - progress.failed - progress.running.size;
    const left = pending + progress.running.size;
    o.onProgress({ total: jobs.length, reused, done: progress.done, failed: progress.failed, running: progress.running.size, pending, elapsedSeconds: elapsed, etaSeconds: finishedNow > 0 ? (elapsed / finishedNow) * left : undefined });
  };
  const hooks: ExecutorHooks = {
    onStart: (key) => {
      progress.running.add(key);
      report_();
    },
    onRecord: (record) => {
      progress.running.delete(record.key);
      writeRecord(cfg.out, record);
      records.set(record.key, record);
      progress[record.status === 'done' ? 'done' : 'failed']++;
      if (record.status === 'failed') log(`job ${record.key} (${record.setting}, seed ${record.seed}) failed after ${record.attempts} tries: ${record.error?.name}: ${record.error?.message}`);
      report_();
    },
    onRetry: (key, reason) => {
      progress.running.delete(key);
      log(`job ${key}: ${reason}; it goes back to the queue`);
      report_();
    },
    log,
  };
  report_();
  if (o.queue !== undefined) {
    await runOnQueue(todo, { url: o.queue, queueName: o.queueName, attempts: cfg.attempts, pollMs: o.pollMs, retryFailed: o.retryFailed }, hooks);
  } else {
    await runLocalPool(todo, { workers, threads, attempts: cfg.attempts, maxStalls: cfg.maxStalls }, hooks);
  }
  const summary = mergeRecords(cfg, jobs, records);
  const seconds = (performance.now() - t0) / 1000;
  const ours = jobs.map((j) => records.get(j.key)).filter((r): r is SweepJobRecord => r !== undefined);
  const files: SweepResult['files'] = { results: join(cfg.out, 'results.json'), table: join(cfg.out, 'table.md') };
  writeJsonAtomic(files.results, { config: cfg, codeVersion, summary, records: ours, seconds, ran: todo.length, executor: o.queue === undefined ? { local: { workers, threads } } : { queue: o.queueName } });
  writeFileSync(files.table, `# Sweep ${cfg.name}\n\n${summaryMarkdown(summary)}`);
  if (o.report) files.report = (await report(sweepExperiment(cfg, codeVersion, summary, seconds, todo), { out: join(cfg.out, 'report.html') })).path;
  return { config: cfg, codeVersion, summary, records: ours, ran: todo.length, seconds, files };
}

function isChecked(c: SweepConfigInput | SweepConfig): c is SweepConfig {
  const s = (c as SweepConfig).settings;
  return Array.isArray(s) && typeof (c as SweepConfig).out === 'string' && Array.isArray((c as SweepConfig).seeds);
}

/** The report's Experiment of a sweep: configuration, the table as metrics with intervals, one figure per metric. */
export function sweepExperiment(cfg: SweepConfig, codeVersion: string, s: SweepSummary, seconds: number, ran: readonly SweepJobSpec[]): Experiment {
  const metrics: Array<NonNullable<Experiment['metrics']>[number]> = [];
  for (const r of s.rows) metrics.push({ name: `${r.metric} · ${r.setting} (mean over ${r.n} seeds; sd ${r.sd.toFixed(4)})`, value: r.mean });
  for (const d of s.differences) metrics.push({ name: `${d.metric} · ${d.setting} − ${d.baseline} (paired, ${d.n} seeds; ${d.wins}/${d.ties}/${d.losses} better/tie/worse)`, value: d.mean, ci: d.ci });
  const seedValues: Array<NonNullable<Experiment['seedValues']>[number]> = [];
  for (const m of s.metrics) {
    seedValues.push({ title: `${m} per setting`, yTitle: m, groups: s.rows.filter((r) => r.metric === m).map((r) => ({ name: r.setting, values: r.perSeed })) });
    const diffs = s.differences.filter((d) => d.metric === m);
    if (diffs.length > 0) seedValues.push({ title: `${m}: minus ${s.baseline}, paired by seed`, yTitle: `Δ ${m}`, rule: 0, groups: diffs.map((d) => ({ name: d.setting, values: d.perSeed })) });
  }
  return {
    title: `Sweep ${cfg.name}`,
    description: `${s.jobs.total} jobs: ${s.settings.length} setting(s) × ${s.seeds.length} seed(s)${s.folds ? ` × ${s.folds} folds` : ''}; ${s.jobs.done} done, ${s.jobs.failed} failed; ${ran.length} ran in this call, the others were re-used by key.`,
    config: { experiment: cfg.experiment.name ?? `${cfg.experiment.module}#${cfg.experiment.export}`, codeVersion, seeds: cfg.seeds.join(', '), folds: cfg.folds ?? 'none', baseline: cfg.baseline, settings: cfg.settings.map((x) => x.label).join(' | '), attempts: cfg.attempts, bootstrap: cfg.bootstrap },
    metrics,
    seedValues,
    timings: [{ name: 'sweep wall time (this call)', seconds }],
    notes: [
      `The finished jobs took ${s.jobSeconds.toFixed(1)} s of wall time in all (${s.jobs.done > 0 ? (s.jobSeconds / s.jobs.done).toFixed(2) : '0'} s each).`,
      ...s.failures.map((f) => `failed: ${f.setting}, seed ${f.seed}${f.fold === null ? '' : `, fold ${f.fold}`} after ${f.attempts} tries: ${f.error}`),
    ],
  };
}
