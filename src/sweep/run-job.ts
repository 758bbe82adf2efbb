/**
 * Runs one sweep job in the current process (a local pool child or a BullMQ worker) and returns its
 * record: metrics, extra results, timings, host, process and attempt.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { TransmriError } from '../backend/errors.js';
import { loadJobFunction, type SweepJobResults } from './experiments.js';
import type { SweepJobSpec } from './jobs.js';

/** A job's outcome, as stored in `<out>/jobs/<key>.json` and returned by workers. */
export interface SweepJobRecord {
  key: string;
  setting: string;
  settings: Record<string, unknown>;
  seed: number;
  fold: number | null;
  codeVersion: string;
  status: 'done' | 'failed';
  /** Metrics of a finished job ({} for a failed one). */
  metrics: Record<string, number>;
  /** Whatever else the job function returned. */
  results?: Record<string, unknown>;
  /** Why a failed job failed: error class and message (stack when the worker had one). */
  error?: { name: string; message: string; stack?: string };
  /** Tries it took (1 = first try), counting tries lost with a dead worker. */
  attempts: number;
  /** Times its worker died while running it (stalled jobs). */
  stalls: number;
  /** Wall time of the successful (or last) try, seconds. */
  seconds: number;
  startedAt: string;
  finishedAt: string;
  host: string;
  pid: number;
  /** Worker name (`local-2`, or the --name of a queue worker). */
  worker: string;
}

/** A job function's result that cannot be recorded (metrics missing or not finite). */
export class SweepJobResultError extends TransmriError {}

/** A job that ran longer than the sweep's `timeoutSeconds` (its process was killed). */
export class SweepJobTimeoutError extends TransmriError {}

/** An error as it travels between processes and is recorded: class name, message, stack. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

/** The recorded error of a job killed after `limitSeconds` (a {@link SweepJobTimeoutError}). */
export function jobTimeoutError(job: SweepJobSpec, limitSeconds: number): ErrorInfo {
  const e = new SweepJobTimeoutError(`job ${job.key} (${job.setting}, seed ${job.seed}${job.fold === null ? '' : `, fold ${job.fold}`}) ran longer than the limit of ${limitSeconds} s (timeoutSeconds): killed`);
  return { name: 'SweepJobTimeoutError', message: e.message };
}

/** How the worker runs a job. */
export interface JobRuntime {
  attempt: number;
  threads: number;
  worker: string;
  log: (line: string) => void;
  /** Called when the job function is about to run (its module loaded), and awaited: where a time limit starts. */
  onStart?: () => void | Promise<void>;
}

/** Checks a job function's return value; NaN or infinite metrics fail the job. */
export function checkResults(value: unknown, key: string): SweepJobResults {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SweepJobResultError(`job ${key}: the job function must return an object { metrics: { name: number, ... } }, got ${JSON.stringify(value)}`);
  const metrics = (value as { metrics?: unknown }).metrics;
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) throw new SweepJobResultError(`job ${key}: results.metrics must be an object of numbers`);
  for (const [name, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SweepJobResultError(`job ${key}: metric "${name}" is ${typeof v === 'number' ? String(v) : JSON.stringify(v)} (metrics must be finite numbers)`);
  }
  return value as SweepJobResults;
}

/**
 * Runs a job; a thrown error propagates (the caller records it, after its retries).
 * @returns the job's record with status 'done'
 */
export async function executeJob(job: SweepJobSpec, runtime: JobRuntime): Promise<SweepJobRecord> {
  const fn = await loadJobFunction(job.experiment);
  await mkdir(job.artefactDir, { recursive: true });
  await runtime.onStart?.();
  const startedAt = new Date();
  const t0 = performance.now();
  const value = await fn(structuredClone(job.settings), {
    seed: job.seed,
    fold: job.fold,
    folds: job.folds,
    key: job.key,
    setting: job.setting,
    artefactDir: job.artefactDir,
    attempt: runtime.attempt,
    threads: runtime.threads,
    worker: runtime.worker,
    log: runtime.log,
  });
  const seconds = (performance.now() - t0) / 1000;
  const { metrics, ...rest } = checkResults(value, job.key);
  return {
    ...recordBase(job),
    status: 'done',
    metrics: { ...metrics },
    ...(Object.keys(rest).length > 0 ? { results: JSON.parse(JSON.stringify(rest)) as Record<string, unknown> } : {}),
    attempts: runtime.attempt,
    stalls: 0,
    seconds,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: hostname(),
    pid: process.pid,
    worker: runtime.worker,
  };
}

/** The fields of a record that come from the job itself. */
export function recordBase(job: SweepJobSpec): Pick<SweepJobRecord, 'key' | 'setting' | 'settings' | 'seed' | 'fold' | 'codeVersion'> {
  return { key: job.key, setting: job.setting, settings: job.settings, seed: job.seed, fold: job.fold, codeVersion: job.codeVersion };
}

/** The record of a job that failed for good. */
export function failedRecord(job: SweepJobSpec, error: ErrorInfo, attempts: number, stalls: number, where: { host?: string; pid?: number; worker?: string; seconds?: number } = {}): SweepJobRecord {
  const now = new Date().toISOString();
  return { ...recordBase(job), status: 'failed', metrics: {}, error, attempts, stalls, seconds: where.seconds ?? 0, startedAt: now, finishedAt: now, host: where.host ?? '', pid: where.pid ?? 0, worker: where.worker ?? '' };
}

/** `{ name, message, stack }` of anything thrown. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}
