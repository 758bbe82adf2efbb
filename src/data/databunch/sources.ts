/**
 * Where DataBunch rows come from: a cohort CSV, or a folder of class folders
 * (optionally split into Training/Testing folders).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import type { SplitName } from '../batch.js';
import { readCohortCsv, type CohortRow, type CsvColumns } from '../csv.js';
import type { DataBunchRow } from './rows.js';

/** Row selection options of {@link csvRows}. */
export interface CsvSourceOptions {
  /** Header names of the schema fields (path, label, subject, session, site, age, sex); default the field names. */
  columns?: Partial<CsvColumns>;
  /**
   * Labels to keep (a list), or a mapping raw label → class name (e.g. { Dementia: 'AD', CN: 'CN' });
   * rows with other labels are dropped. Default undefined (keep every label).
   */
  labels?: readonly string[] | Readonly<Record<string, string>>;
  /** Keep only the rows for which this returns true (applied before `labels`); default keep all. */
  filter?: (row: CohortRow) => boolean;
  /** Name of a column holding train/valid/test; it wins over the split fractions. Default undefined. */
  splitColumn?: string;
}

/** Defaults of {@link CsvSourceOptions}. */
export const DEFAULT_CSV_SOURCE: CsvSourceOptions = { columns: undefined, labels: undefined, filter: undefined, splitColumn: undefined };

/**
 * Rows of a cohort CSV for {@link DataBunch.fromRows}, filtered and label-mapped.
 * @param onWarning receives how many rows `labels` dropped, per label (default console.warn)
 * @throws DataError naming file, row and column for bad cells, unknown split values, or no rows left
 */
export async function csvRows(csvPath: string, options: CsvSourceOptions = {}, onWarning: (message: string) => void = (m) => console.warn(m)): Promise<DataBunchRow[]> {
  rejectUnknownOptions('CsvSourceOptions', options, DEFAULT_CSV_SOURCE);
  const rows = await readCohortCsv(csvPath, { columns: options.columns ?? {} });
  const map = options.labels === undefined ? undefined : Array.isArray(options.labels) ? Object.fromEntries(options.labels.map((l) => [l, l])) : (options.labels as Record<string, string>);
  const out: DataBunchRow[] = [];
  const file = path.basename(csvPath);
  const dropped = new Map<string, number>();
  for (const r of rows) {
    if (options.filter && !options.filter(r)) continue;
    let label = r.label ?? null;
    if (map && label !== null) {
      if (!(label in map)) {
        dropped.set(label, (dropped.get(label) ?? 0) + 1);
        continue;
      }
      label = map[label];
    }
    let split: SplitName | undefined;
    if (options.splitColumn !== undefined) {
      if (!(options.splitColumn in r.extra)) throw new DataError(`split column not found (columns: ${Object.keys(r.extra).join(', ')})`, { file, row: r.row, column: options.splitColumn });
      const v = r.extra[options.splitColumn];
      if (v !== 'train' && v !== 'valid' && v !== 'test') throw new DataError(`unknown split "${v}" (expected train, valid, test)`, { file, row: r.row, column: options.splitColumn });
      split = v;
    }
    out.push({ path: r.path, id: path.relative(path.dirname(path.resolve(csvPath)), r.path), label, subject: r.subject, session: r.session, site: r.site, age: r.age, sex: r.sex, split, where: `${file} row ${r.row}` });
  }
  if (dropped.size > 0) {
    const counts = [...dropped].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const n = counts.reduce((s, [, c]) => s + c, 0);
    onWarning(`${file}: dropped ${n} of ${rows.length} rows whose label is not in labels: ${counts.map(([l, c]) => `${l} ${c}`).join(', ')}`);
  }
  if (out.length === 0) throw new DataError(`no rows left after filtering (${rows.length} read)`, { file: csvPath });
  return out;
}

/** Options of {@link folderRows}. */
export interface FolderSourceOptions {
  /** File name endings to take; default ['.jpg', '.jpeg', '.png', '.nii', '.nii.gz']. */
  extensions?: string[];
  /** Names of a training and a test folder above the class folders, matched case-insensitively; default { train: ['training', 'train'], test: ['testing', 'test'] }. */
  splitFolders?: { train: string[]; test: string[] };
  /**
   * At most this many files per class folder, drawn without replacement by a seeded Rng (forked per
   * folder), then listed in name order; default 0 = all. A random draw, not the first names: folders
   * sorted by source (brain-tumour MRI) would otherwise pair a class with one image source per split.
   */
  limit?: number;
  /** Seed of the `limit` draw; default 0. */
  limitSeed?: number;
}

/** Defaults of {@link FolderSourceOptions}. */
export const DEFAULT_FOLDER_SOURCE: Required<FolderSourceOptions> = {
  extensions: ['.jpg', '.jpeg', '.png', '.nii', '.nii.gz'],
  splitFolders: { train: ['training', 'train'], test: ['testing', 'test'] },
  limit: 0,
  limitSeed: 0,
};

/**
 * Rows of a class-per-subfolder dataset: `root/<class>/<file>`, or `root/<Training|Testing>/<class>/<file>`
 * (then the Testing files are pinned to the test split). The id is the path relative to `root`;
 * there are no subject ids.
 * @returns the rows and whether a test folder was found
 */
export async function folderRows(root: string, options: FolderSourceOptions = {}): Promise<{ rows: DataBunchRow[]; hasTestFolder: boolean }> {
  rejectUnknownOptions('FolderSourceOptions', options, DEFAULT_FOLDER_SOURCE);
  const opts = { ...DEFAULT_FOLDER_SOURCE, ...options };
  if (!(Number.isInteger(opts.limit) && opts.limit >= 0)) throw new OptionError('FolderSourceOptions.limit', `expected an integer ≥ 0, got ${opts.limit}`);
  const top = await subdirs(root);
  const trainDir = top.find((d) => opts.splitFolders.train.includes(d.toLowerCase()));
  const testDir = top.find((d) => opts.splitFolders.test.includes(d.toLowerCase()));
  if ((trainDir === undefined) !== (testDir === undefined)) {
    throw new DataError(`found ${trainDir ?? testDir} but not its ${trainDir ? 'test' : 'training'} folder; give both or neither`, { file: root });
  }
  const parts: Array<{ dir: string; split?: SplitName }> = trainDir && testDir ? [{ dir: trainDir }, { dir: testDir, split: 'test' }] : [{ dir: '' }];
  const rows: DataBunchRow[] = [];
  for (const part of parts) {
    const base = path.join(root, part.dir);
    const classes = (await subdirs(base)).sort();
    if (classes.length === 0) throw await noImagesError(root, opts.extensions);
    for (const cls of classes) {
      let files = (await fs.readdir(path.join(base, cls))).filter((f) => opts.extensions.some((e) => f.toLowerCase().endsWith(e))).sort();
      if (opts.limit > 0 && files.length > opts.limit) files = new Rng(opts.limitSeed).fork(`limit/${part.dir}/${cls}`).shuffle(files).slice(0, opts.limit).sort();
      for (const f of files) {
        const file = path.join(base, cls, f);
        rows.push({ path: file, id: path.relative(root, file), label: cls, split: part.split });
      }
    }
  }
  if (rows.length === 0) throw await noImagesError(root, opts.extensions);
  return { rows, hasTestFolder: testDir !== undefined };
}

/**
 * "No images found", with the likely cause: a root one level too high (a subfolder holds
 * Training/Testing or class folders of images), an empty root, or files with other endings.
 */
async function noImagesError(root: string, extensions: readonly string[]): Promise<DataError> {
  const layout = `expected ${root}/<class>/<image> or ${root}/<Training|Testing>/<class>/<image>, images ending in ${extensions.join(', ')}`;
  const isImage = (f: string): boolean => extensions.some((e) => f.toLowerCase().endsWith(e));
  const list = async (dir: string): Promise<Array<{ name: string; dir: boolean }>> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    // a symlinked dataset folder counts as a folder
    return Promise.all(entries.map(async (e) => ({ name: e.name, dir: e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(path.join(dir, e.name)).catch(() => null))?.isDirectory() === true) })));
  };
  const top = await list(root);
  if (top.length === 0) return new DataError(`no images found: the folder is empty (${layout})`, { file: root });
  // one level too high: some subfolder is itself a dataset root (its subfolders hold images, or Training/Testing)
  for (const sub of top.filter((e) => e.dir)) {
    const inner = await list(path.join(root, sub.name));
    const splitLike = inner.filter((e) => e.dir && /^(train|training|test|testing)$/i.test(e.name)).map((e) => e.name);
    let holdsClasses = false;
    for (const cls of inner.filter((e) => e.dir).slice(0, 20)) if ((await list(path.join(root, sub.name, cls.name))).some((e) => !e.dir && isImage(e.name))) holdsClasses = true;
    if (splitLike.length > 0 || holdsClasses) {
      const what = splitLike.length > 0 ? `${splitLike.join('/, ')}/` : 'class folders of images';
      return new DataError(`no images found: ${path.join(root, sub.name)} holds ${what}; is the root one level too high? (try ${path.join(root, sub.name)}; ${layout})`, { file: root });
    }
  }
  return new DataError(`no images found (${layout})`, { file: root });
}

async function subdirs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new DataError(`cannot read folder (${(err as NodeJS.ErrnoException).code})`, { file: dir });
  }
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}
