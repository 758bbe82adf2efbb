/**
 * The job function a sweep runs, and where it comes from: a user module exporting
 * `(settings, context) => results`, or a registered experiment name whose module lives in the
 * transmri checkout (`scripts/jobs/<name>.ts`, or its compiled copy under `dist/scripts/jobs/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  /** Name of the worker running the job (`local-2`, or a queue worker's `--name`). */
  worker: string;
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

/** The transmri package root: the nearest folder above `from` whose package.json is named transmri. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; ) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'transmri') return dir;
    const up = dirname(dir);
    if (up === dir) throw new OptionError('experiment', `no transmri package.json above ${from}`);
    dir = up;
  }
}

/** Where this copy of transmri runs from: its package root, and whether it is the compiled JavaScript (dist/) rather than the TypeScript source. */
export interface PackageLayout {
  root: string;
  compiled: boolean;
}

/** The layout of the running transmri: compiled when this module is not a .ts file. */
export function currentLayout(): PackageLayout {
  return { root: packageRoot(), compiled: !import.meta.url.endsWith('.ts') };
}

/**
 * The file of an experiment's module on this machine: a user module as given; a registered name's
 * `scripts/<script>.ts` in a source checkout, or `dist/scripts/<script>.js` (emitted by `npm run build`,
 * shipped in the package) when transmri runs compiled.
 * @throws OptionError naming the experiment when it is unknown or its file is missing.
 */
export function resolveExperimentModule(ref: ExperimentRef, layout?: PackageLayout): string {
  if (ref.module !== undefined) {
    if (!existsSync(ref.module)) throw new OptionError('experiment.module', `file not found: ${ref.module}`);
    return ref.module;
  }
  const entry = ref.name === undefined ? undefined : SWEEP_EXPERIMENTS[ref.name];
  if (entry === undefined) throw new OptionError('experiment', `unknown experiment "${ref.name}" (registered: ${Object.keys(SWEEP_EXPERIMENTS).join(', ')}; or give { module: path })`);
  const { root, compiled } = layout ?? currentLayout();
  const file = compiled ? join(root, 'dist', 'scripts', `${entry.script}.js`) : join(root, 'scripts', `${entry.script}.ts`);
  if (!existsSync(file)) throw new OptionError('experiment', `${ref.name}: ${file} is missing (${compiled ? 'this transmri runs compiled: its build must include scripts/ (npm run build emits dist/scripts/)' : 'the source checkout has no such script'})`);
  return file;
}

/** True when a module file needs a TypeScript loader (tsx) to be imported. */
export function isTypeScriptModule(file: string): boolean {
  return /\.(c|m)?ts$/.test(file);
}

/** True when this process can already import TypeScript: transmri itself runs from its .ts source (tsx, vitest), tsx was given to node, or node strips types itself. */
export function typeScriptLoaderActive(): boolean {
  if (import.meta.url.endsWith('.ts')) return true;
  if ((process.features as { typescript?: unknown }).typescript) return true;
  return [...loaderArgs(process.execArgv), ...loaderArgs((process.env.NODE_OPTIONS ?? '').split(/\s+/))].some((a) => /\btsx\b/.test(a));
}

/** The values of node's --import/--loader/--require options among `args`. */
function loaderArgs(args: readonly string[]): string[] {
  const flags = ['--import', '--loader', '--experimental-loader', '--require', '-r'];
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const eq = /^(--[a-z-]+)=(.*)$/.exec(args[i]);
    if (eq && flags.includes(eq[1])) values.push(eq[2]);
    else if (flags.includes(args[i]) && i + 1 < args.length) values.push(args[++i]);
  }
  return values;
}

/**
 * The file of tsx's ESM registration API (`tsx/esm/api`), looked up from the job module's folder
 * (the user's project) and then from transmri's; undefined when tsx is not installed in either.
 */
export function findTsx(fromFile: string): string | undefined {
  for (const from of [fromFile, fileURLToPath(import.meta.url)]) {
    try {
      const pkgFile = createRequire(from).resolve('tsx/package.json');
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> };
      const api = pkg.exports?.['./esm/api']?.import;
      const rel = typeof api === 'string' ? api : api?.default;
      if (rel !== undefined) return join(dirname(pkgFile), rel);
    } catch {
      // not found from here
    }
  }
  return undefined;
}

let tsxRegistered = false;

/**
 * Imports a job module. A TypeScript module in a process without a TypeScript loader (transmri run
 * compiled, e.g. `transmri worker` from an installed package) registers tsx first when tsx is installed.
 * @throws OptionError naming the module when it is TypeScript and no loader is available
 */
export async function importJobModule(file: string): Promise<Record<string, unknown>> {
  if (isTypeScriptModule(file) && !tsxRegistered && !typeScriptLoaderActive()) {
    const api = findTsx(file);
    if (api === undefined) {
      throw new OptionError('experiment.module', `${file} is TypeScript and this process has no TypeScript loader: install tsx where the worker runs (npm install tsx), start node with --import tsx, or compile the module to .js/.mjs`);
    }
    const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
    register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/**
 * Imports an experiment's module and returns its job function.
 * @throws OptionError naming the module and export when the export is not a function.
 */
export async function loadJobFunction(ref: ExperimentRef): Promise<SweepJobFunction> {
  const file = resolveExperimentModule(ref);
  const mod = await importJobModule(file);
  const fn = mod[ref.export];
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new OptionError('experiment.export', `${file} has no function export "${ref.export}" (function exports: ${exported.join(', ') || 'none'})`);
  }
  return fn as SweepJobFunction;
}
