/**
 * A sweep expanded into jobs (settings × seeds × folds), each with a key that identifies its result:
 * experiment + settings + seed + fold + code version. A finished key is never run again.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExperimentRef, SweepConfig } from './config.js';
import { resolveExperimentModule } from './experiments.js';

/** What a worker needs to run one job (plain JSON: it travels over IPC and through Redis). */
export interface SweepJobSpec {
  /** Job key (hex); BullMQ job id. */
  key: string;
  sweep: string;
  experiment: ExperimentRef;
  /** Setting label, e.g. `lr=0.001`. */
  setting: string;
  settings: Record<string, unknown>;
  seed: number;
  /** Fold index, or null without folds. */
  fold: number | null;
  folds: number | null;
  codeVersion: string;
  /** Folder for this job's artefacts (checkpoints, reports). */
  artefactDir: string;
  /** Seconds a try may run before its process is killed (the sweep's `timeoutSeconds`); null: no limit. Not part of the key. */
  timeoutSeconds?: number | null;
}

/** Sorted-key JSON, so that equal settings give equal keys whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The key of one job: the first 24 hex digits of sha256(experiment, settings, seed, fold, code version). */
export function jobKey(experiment: ExperimentRef, settings: Record<string, unknown>, seed: number, fold: number | null, codeVersion: string): string {
  const id = experiment.name !== undefined ? { name: experiment.name, export: experiment.export } : { module: experiment.module, export: experiment.export };
  return createHash('sha256').update(canonicalJson({ experiment: id, settings, seed, fold, codeVersion })).digest('hex').slice(0, 24);
}

/**
 * The code version of a sweep: `config.codeVersion` when given, else the git commit of the checkout
 * holding the experiment's module plus the sha1 of the module file (so editing the job function gives
 * new keys; uncommitted edits elsewhere do not: set `codeVersion` when they matter).
 */
export function resolveCodeVersion(config: SweepConfig): string {
  if (config.codeVersion !== undefined) return config.codeVersion;
  const file = resolveExperimentModule(config.experiment);
  const fileHash = createHash('sha1').update(readFileSync(file)).digest('hex').slice(0, 12);
  const commit = gitCommit(dirname(file));
  return commit === undefined ? `file:${fileHash}` : `git:${commit.slice(0, 12)}+${fileHash}`;
}

function gitCommit(dir: string): string | undefined {
  let d = dir;
  for (;;) {
    if (existsSync(join(d, '.git'))) break;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: d, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Every job of a sweep, setting by setting, then seed, then fold. */
export function expandJobs(config: SweepConfig, codeVersion: string): SweepJobSpec[] {
  const jobs: SweepJobSpec[] = [];
  const folds = config.folds === null ? [null] : Array.from({ length: config.folds }, (_, i) => i);
  for (const setting of config.settings) {
    for (const seed of config.seeds) {
      for (const fold of folds) {
        const key = jobKey(config.experiment, setting.values, seed, fold, codeVersion);
        jobs.push({ key, sweep: config.name, experiment: config.experiment, setting: setting.label, settings: setting.values, seed, fold, folds: config.folds, codeVersion, artefactDir: join(config.artefacts, key), timeoutSeconds: config.timeoutSeconds });
      }
    }
  }
  return jobs;
}
