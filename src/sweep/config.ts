/**
 * The sweep description: an experiment, a grid or list of settings, seeds and folds, checked by a
 * zod schema. A problem is an OptionError naming the key path and the file, e.g.
 * `option settings.grid.lr: expected array, received number (in sweep.yaml)`.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DataError, OptionError } from '../backend/errors.js';

const settingsObject = z.record(z.string(), z.unknown());

/** The schema of a sweep file (JSON or YAML). */
export const SweepConfigSchema = z.strictObject({
  /** Sweep name (results folder, report title); default: the config file's name, else the experiment's. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').optional(),
  /** A registered experiment name (see SWEEP_EXPERIMENTS) or a module exporting the job function. */
  experiment: z.union([z.string().min(1), z.strictObject({ module: z.string().min(1), export: z.string().min(1).optional() })]),
  /** `grid` (every combination) or `list` (these settings), plus `base` settings shared by all; default one empty setting. */
  settings: z
    .strictObject({ grid: z.record(z.string(), z.array(z.unknown()).min(1)).optional(), list: z.array(settingsObject).min(1).optional(), base: settingsObject.optional() })
    .refine((s) => !(s.grid && s.list), { message: 'give either grid or list, not both' })
    .optional(),
  /** Seeds: a list, or a count N for seeds 0..N-1. */
  seeds: z.union([z.array(z.number().int().nonnegative()).min(1), z.number().int().positive()]),
  /** Folds per seed (k of k-fold; each job gets fold 0..k-1); default none. */
  folds: z.number().int().min(2).optional(),
  /** Metric of the paired differences and the report's figures; default every metric the jobs return. */
  metric: z.string().min(1).optional(),
  /** Setting the others are compared with (its label, e.g. `lr=0.001`); default the first setting. */
  baseline: z.string().min(1).optional(),
  /** Results folder (job records, results.json, table.md, report.html); default `sweeps/<name>` beside the config file. */
  out: z.string().min(1).optional(),
  /** Folder of the jobs' artefacts (one sub-folder per job); default `<out>/artefacts`. */
  artefacts: z.string().min(1).optional(),
  /** Attempts per job when it throws (BullMQ `attempts`); default 1: a job that throws is recorded as failed. */
  attempts: z.number().int().positive().optional(),
  /** Times a job may be recovered after its worker died (BullMQ `maxStalledCount` on the local pool); default 2. */
  maxStalls: z.number().int().nonnegative().optional(),
  /** Seconds the job function may run in one try (the time a record's `seconds` measures; loading its module is not counted); a try running longer has its process killed and fails with a SweepJobTimeoutError, retried per `attempts`. Default none (no limit). */
  timeoutSeconds: z.number().positive().optional(),
  /** Code version in the job keys; default the git commit of the experiment's checkout plus a hash of its module file. */
  codeVersion: z.string().min(1).optional(),
  /** Bootstrap resamples of the paired-difference intervals; default 2000. */
  bootstrap: z.number().int().positive().optional(),
});

/** A sweep as written in its file. */
export type SweepConfigInput = z.input<typeof SweepConfigSchema>;

/** Defaults of the optional sweep keys. */
export const DEFAULT_SWEEP = { attempts: 1, maxStalls: 2, timeoutSeconds: null, bootstrap: 2000, resultsFolder: 'sweeps' } as const;

/** Which job function a sweep runs. */
export interface ExperimentRef {
  /** Registered name, resolved by each worker on its own machine. */
  name?: string;
  /** Absolute module path (user modules). */
  module?: string;
  /** Export holding the job function; default `default` for modules, `sweepJob` for registered experiments. */
  export: string;
}

/** One setting: its label and values (base merged in). */
export interface SweepSetting {
  label: string;
  values: Record<string, unknown>;
}

/** A checked sweep with defaults applied and paths made absolute. */
export interface SweepConfig {
  name: string;
  experiment: ExperimentRef;
  settings: SweepSetting[];
  seeds: number[];
  folds: number | null;
  metric: string | undefined;
  baseline: string;
  out: string;
  artefacts: string;
  attempts: number;
  maxStalls: number;
  /** Per-try time limit in seconds, or null (no limit). */
  timeoutSeconds: number | null;
  codeVersion: string | undefined;
  bootstrap: number;
}

/**
 * Checks a sweep object and applies defaults.
 * @param source where it came from, for messages (a file name, or 'runSweep config')
 * @param baseDir folder that relative paths are resolved against (the config file's)
 */
export function parseSweepConfig(input: unknown, source = 'sweep config', baseDir = process.cwd()): SweepConfig {
  const result = SweepConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const key = [path, issue.keys[0]].filter((s) => s !== '').join('.');
      throw new OptionError(key, `unknown key in ${source}${path === '' ? ` (known: ${Object.keys(SweepConfigSchema.shape).join(', ')})` : ''}`);
    }
    throw new OptionError(path || '(sweep)', `${issue.message} (in ${source})`);
  }
  const c = result.data;
  const experiment: ExperimentRef = typeof c.experiment === 'string' ? { name: c.experiment, export: 'sweepJob' } : { module: resolve(baseDir, c.experiment.module), export: c.experiment.export ?? 'default' };
  const settings = expandSettings(c.settings, source);
  const labels = settings.map((s) => s.label);
  const baseline = c.baseline ?? labels[0];
  if (!labels.includes(baseline)) throw new OptionError('baseline', `"${baseline}" is not a setting of the sweep (settings: ${labels.join('; ')}) (in ${source})`);
  const seeds = typeof c.seeds === 'number' ? Array.from({ length: c.seeds }, (_, i) => i) : c.seeds;
  if (new Set(seeds).size !== seeds.length) throw new OptionError('seeds', `seeds must be distinct, got [${seeds.join(', ')}] (in ${source})`);
  const name = c.name ?? (experiment.name ?? basename(experiment.module!, extname(experiment.module!)));
  const out = resolve(baseDir, c.out ?? `${DEFAULT_SWEEP.resultsFolder}/${name}`);
  return {
    name,
    experiment,
    settings,
    seeds,
    folds: c.folds ?? null,
    metric: c.metric,
    baseline,
    out,
    artefacts: c.artefacts === undefined ? resolve(out, 'artefacts') : resolve(baseDir, c.artefacts),
    attempts: c.attempts ?? DEFAULT_SWEEP.attempts,
    maxStalls: c.maxStalls ?? DEFAULT_SWEEP.maxStalls,
    timeoutSeconds: c.timeoutSeconds ?? DEFAULT_SWEEP.timeoutSeconds,
    codeVersion: c.codeVersion,
    bootstrap: c.bootstrap ?? DEFAULT_SWEEP.bootstrap,
  };
}

/** Reads a sweep file (.json, .yaml, .yml) and checks it; relative paths are taken from the file's folder. */
export function loadSweepConfig(file: string): SweepConfig {
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') throw new DataError(`a sweep file ends in .json, .yaml or .yml (got "${ext || 'no extension'}")`, { file });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read sweep file: ${(err as Error).message}`, { file });
  }
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new DataError(`malformed ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, { file });
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('name' in value)) value = { ...value, name: basename(file, ext).replace(/[^A-Za-z0-9_.-]/g, '-') };
  return parseSweepConfig(value, basename(file), dirname(resolve(file)));
}

/** The settings of a sweep: the grid's combinations (first key varies slowest) or the list, base merged in. */
function expandSettings(s: SweepConfigInput['settings'], source: string): SweepSetting[] {
  const base = s?.base ?? {};
  let items: Array<Record<string, unknown>>;
  if (s?.grid) {
    items = [{}];
    for (const [key, values] of Object.entries(s.grid)) items = items.flatMap((item) => values.map((v) => ({ ...item, [key]: v })));
  } else {
    items = s?.list ?? [{}];
  }
  const settings = items.map((item) => ({ label: settingLabel(item), values: { ...base, ...item } }));
  const seen = new Set<string>();
  for (const [i, st] of settings.entries()) {
    if (seen.has(st.label)) throw new OptionError(`settings.list.${i}`, `repeats the setting "${st.label}" (in ${source})`);
    seen.add(st.label);
  }
  return settings;
}

/** `lr=0.001, alpha=0.5` (the keys in their order; 'default' for an empty setting). */
export function settingLabel(values: Record<string, unknown>): string {
  const parts = Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length === 0 ? 'default' : parts.join(', ');
}
