/**
 * The job function a sweep runs, and where it comes from: a user module exporting
 * `(settings, context) => results`, or a registered experiment name whose module lives in the
 * transmri checkout (`scripts/jobs/<name>.ts`, or its compiled copy under `dist/scripts/jobs/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OptionError } from '../backend/errors.js';
import type { ExperimentRef } from './config.js';

/** What a job function is told about its job. */
export interface SweepJobContext {
  /** Seed of this job (derive every random stream from it). */
  seed: number;
  /** Fold index 0..folds-1, or null without folds. */
  fold: number | null;
  /** Number of folds, or null. */
  folds: number | null;
  /** Job key (stable across re-runs of the same code). */
  key: string;
  /** Label of the setting, e.g. `lr=0.001, alpha=0.5`. */
  setting: string;
  /** Folder for this job's artefacts (created before the call). */
  artefactDir: string;
  /** 1 on the first try; higher when the job is retried after an error or a dead worker. */
  attempt: number;
  /** Threads this worker process may use (also in TRANSMRI_THREADS). */
  threads: number;
  /** A line of progress for the worker's log. */
  log: (line: string) => void;
}

/** What a job function returns: numeric metrics, plus anything else JSON-serialisable (kept in the job record). */
export interface SweepJobResults {
  metrics: Record<string, number>;
  [extra: string]: unknown;
}

/** A sweep job: settings and context in, metrics out. */
export type SweepJobFunction = (settings: Record<string, unknown>, context: SweepJobContext) => SweepJobResults | Promise<SweepJobResults>;

/** Registered experiments: name → module under scripts/ (without extension) and what one job does. */
export const SWEEP_EXPERIMENTS: Readonly<Record<string, { script: string; description: string }>> = {
  'transfer-seeds': { script: 'jobs/transfer-seeds', description: 'one seed of transfer vs scratch on the synthetic two-site cohort: settings { variant, subjects, size, aeEpochs, clfEpochs, batchSize, flip }' },
};

/** The transmri package root: the nearest folder above this module whose package.json is named transmri. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; ) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'transmri') return dir;
    const up = dirname(dir);
    if (up === dir) throw new OptionError('experiment', `no transmri package.json above ${here}`);
    dir = up;
  }
}

/**
 * The file of an experiment's module on this machine.
 * @throws OptionError naming the experiment when it is unknown or its file is missing.
 */
export function resolveExperimentModule(ref: ExperimentRef): string {
  if (ref.module !== undefined) {
    if (!existsSync(ref.module)) throw new OptionError('experiment.module', `file not found: ${ref.module}`);
    return ref.module;
  }
  const entry = ref.name === undefined ? undefined : SWEEP_EXPERIMENTS[ref.name];
  if (entry === undefined) throw new OptionError('experiment', `unknown experiment "${ref.name}" (registered: ${Object.keys(SWEEP_EXPERIMENTS).join(', ')}; or give { module: path })`);
  const root = packageRoot();
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fromSource ? join(root, 'scripts', `${entry.script}.ts`) : join(root, 'dist', 'scripts', `${entry.script}.js`);
  if (!existsSync(file)) throw new OptionError('experiment', `${ref.name}: ${file} is missing (registered experiments need the transmri source checkout or a build with scripts/)`);
  return file;
}

/** True when a module file needs a TypeScript loader (tsx) to be imported. */
export function isTypeScriptModule(file: string): boolean {
  return /\.(c|m)?ts$/.test(file);
}

/**
 * Imports an experiment's module and returns its job function.
 * @throws OptionError naming the module and export when the export is not a function.
 */
export async function loadJobFunction(ref: ExperimentRef): Promise<SweepJobFunction> {
  const file = resolveExperimentModule(ref);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const fn = mod[ref.export];
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new OptionError('experiment.export', `${file} has no function export "${ref.export}" (function exports: ${exported.join(', ') || 'none'})`);
  }
  return fn as SweepJobFunction;
}
