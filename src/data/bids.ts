/**
 * bidsRows: DataBunch rows from a BIDS dataset: subjects and sessions from the `sub-*` / `ses-*`
 * folder names, one anatomical image per subject (and session) chosen by suffix and entity filters
 * (`sub-01/ses-M00/anat/sub-01_ses-M00_acq-mprage_T1w.nii.gz`), labels and covariates from
 * `participants.tsv` and, when present, `sub-*_sessions.tsv` (a session's value wins).
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataError, OptionError, rejectUnknownOptions } from '../backend/errors.js';
import { readTable } from './csv.js';
import type { DataBunchRow } from './databunch/rows.js';

/** Columns of participants.tsv / sessions.tsv read as covariates. */
export interface BidsColumns {
  /** Age in years (numeric; `n/a` = missing). Default 'age'. */
  age: string;
  /** Sex. Default 'sex'. */
  sex: string;
  /** Site / scanner. Default 'site'. */
  site: string;
}

/** Default covariate columns (BIDS' recommended participants.tsv names). */
export const DEFAULT_BIDS_COLUMNS: Readonly<BidsColumns> = { age: 'age', sex: 'sex', site: 'site' };

/** Options of {@link bidsRows} and `DataBunch.fromBids`. */
export interface BidsSourceOptions {
  /**
   * Column of participants.tsv (or sessions.tsv, which wins when it has the column) holding the class
   * label, e.g. 'diagnosis' or 'group'. Default undefined: no labels (e.g. autoencoder pretraining).
   */
  label?: string;
  /** Labels to keep (a list), or a mapping raw label → class name; rows with other labels are dropped. Default undefined (keep all). */
  labels?: readonly string[] | Readonly<Record<string, string>>;
  /** Rows whose label cell is empty or `n/a`: 'drop' them (with a warning) or 'keep' them unlabelled (a transfer set). Default 'drop'. */
  unlabelled?: 'drop' | 'keep';
  /** Covariate columns; missing keys keep {@link DEFAULT_BIDS_COLUMNS}. Default {}. */
  columns?: Partial<BidsColumns>;
  /** Image suffix (the last entity before the extension). Default 'T1w'. */
  suffix?: string;
  /** Keep only images with this `acq-` label (e.g. 'mprage'). Default undefined (any). */
  acquisition?: string;
  /** Keep only images with this `run-` index. Default undefined (any). */
  run?: number;
  /** Sessions to keep, as folder names or labels (`ses-M00` or `M00`). Default undefined (all). */
  sessions?: readonly string[];
  /** Several images left for one subject/session after the filters: 'error' (naming them), 'first' (sorted by name) or 'all' (one sample each). Default 'error'. */
  multiple?: 'error' | 'first' | 'all';
  /** Keep only the rows for which this returns true (after labels are read). Default keep all. */
  filter?: (row: DataBunchRow) => boolean;
}

/** Defaults of {@link BidsSourceOptions}. */
export const DEFAULT_BIDS_SOURCE: BidsSourceOptions = {
  label: undefined,
  labels: undefined,
  unlabelled: 'drop',
  columns: undefined,
  suffix: 'T1w',
  acquisition: undefined,
  run: undefined,
  sessions: undefined,
  multiple: 'error',
  filter: undefined,
};

/** A table of participants or sessions, by id, with the file and row of each id (for messages). */
interface IdTable {
  file: string;
  columns: string[];
  byId: Map<string, { row: number; cells: Record<string, string> }>;
}

const NIFTI = /\.nii(\.gz)?$/;

/** BIDS entities of a file name: `sub-01_ses-M00_acq-mprage_run-1_T1w.nii.gz` → { sub: '01', ses: 'M00', acq: 'mprage', run: '1' } and suffix T1w. */
export function bidsEntities(file: string): { entities: Record<string, string>; suffix: string } {
  const parts = path.basename(file).replace(NIFTI, '').split('_');
  const suffix = parts.pop() ?? '';
  const entities: Record<string, string> = {};
  for (const p of parts) {
    const dash = p.indexOf('-');
    if (dash > 0) entities[p.slice(0, dash)] = p.slice(dash + 1);
  }
  return { entities, suffix };
}

async function subFolders(dir: string, prefix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && e.name.startsWith(prefix))
    .map((e) => e.name)
    .sort();
}

async function readIdTable(file: string, idColumn: string, prefix: string): Promise<IdTable> {
  const { header, records } = await readTable(file);
  const idIndex = header.indexOf(idColumn);
  if (idIndex < 0) throw new DataError(`missing required column "${idColumn}" (columns found: ${header.join(', ')})`, { file, column: idColumn });
  const byId = new Map<string, { row: number; cells: Record<string, string> }>();
  for (let r = 1; r < records.length; r++) {
    const raw = records[r][idIndex];
    if (raw === '') throw new DataError('empty id', { file, row: r, column: idColumn });
    const id = raw.startsWith(prefix) ? raw : `${prefix}${raw}`;
    const first = byId.get(id);
    if (first) throw new DataError(`duplicated id "${raw}" (also in row ${first.row})`, { file, row: r, column: idColumn });
    byId.set(id, { row: r, cells: Object.fromEntries(header.map((h, i) => [h, records[r][i]])) });
  }
  return { file, columns: header, byId };
}

/** A cell's value, with BIDS' `n/a` (and an empty cell) as undefined. */
function value(cells: Record<string, string> | undefined, column: string): string | undefined {
  const v = cells?.[column];
  return v === undefined || v === '' || v === 'n/a' ? undefined : v;
}

/**
 * Reads a BIDS dataset into DataBunch rows (one per chosen image): `subject` = the `sub-` folder,
 * `session` = the `ses-` folder (when the dataset has sessions), `id` = the image path relative to
 * the root, label and covariates from participants.tsv and sub-X/sub-X_sessions.tsv.
 * @param root the BIDS root (holds `sub-*` folders and participants.tsv)
 * @param onWarning receives one line per skipped subject/session group (no image, no label)
 * @throws DataError naming the file (and row/column): a missing root, no `sub-*` folder,
 *   participants.tsv missing when a label is asked for, a subject absent from it, a missing
 *   participant_id/session_id column, a label column found in neither table, an age that is not a
 *   number, several images for one session (with `multiple: 'error'`), no image at all.
 * @throws OptionError for unknown or ill-typed options.
 * @example
 * const rows = await bidsRows('ds-adni', { label: 'diagnosis', labels: ['CN', 'AD'], acquisition: 'mprage' });
 */
export async function bidsRows(root: string, options: BidsSourceOptions = {}, onWarning: (message: string) => void = () => {}): Promise<DataBunchRow[]> {
  rejectUnknownOptions('BidsSourceOptions', options, DEFAULT_BIDS_SOURCE);
  const opts = { ...DEFAULT_BIDS_SOURCE, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as BidsSourceOptions;
  rejectUnknownOptions('BidsSourceOptions.columns', opts.columns, DEFAULT_BIDS_COLUMNS);
  const cols: BidsColumns = { ...DEFAULT_BIDS_COLUMNS, ...opts.columns };
  if (!['error', 'first', 'all'].includes(opts.multiple as string)) throw new OptionError('BidsSourceOptions.multiple', `expected 'error', 'first' or 'all', got ${JSON.stringify(opts.multiple)}`);
  if (!['drop', 'keep'].includes(opts.unlabelled as string)) throw new OptionError('BidsSourceOptions.unlabelled', `expected 'drop' or 'keep', got ${JSON.stringify(opts.unlabelled)}`);
  if (opts.run !== undefined && !Number.isInteger(opts.run)) throw new OptionError('BidsSourceOptions.run', `expected an integer, got ${JSON.stringify(opts.run)}`);
  const absRoot = path.resolve(root);
  const rootStat = await stat(absRoot).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new DataError('BIDS root not found (or not a folder)', { file: absRoot });
  const subjects = await subFolders(absRoot, 'sub-');
  if (subjects.length === 0) throw new DataError('no sub-* folders: not a BIDS dataset root', { file: absRoot });

  const participantsFile = path.join(absRoot, 'participants.tsv');
  const participants = existsSync(participantsFile) ? await readIdTable(participantsFile, 'participant_id', 'sub-') : undefined;
  if (opts.label !== undefined && participants === undefined) throw new DataError(`participants.tsv not found (needed for the label column "${opts.label}")`, { file: participantsFile });
  const keepSessions = opts.sessions?.map((s) => (s.startsWith('ses-') ? s : `ses-${s}`));
  const map = opts.labels === undefined ? undefined : Array.isArray(opts.labels) ? Object.fromEntries(opts.labels.map((l) => [l, l])) : (opts.labels as Record<string, string>);

  const rows: DataBunchRow[] = [];
  const skipped = { noImage: [] as string[], noLabel: [] as string[], otherLabel: 0 };
  let labelColumnSeen = opts.label === undefined;
  for (const sub of subjects) {
    const part = participants?.byId.get(sub);
    if (participants && part === undefined && opts.label !== undefined) throw new DataError(`subject ${sub} has a folder but no row (participant_id)`, { file: participants.file });
    const subDir = path.join(absRoot, sub);
    const sesFolders = await subFolders(subDir, 'ses-');
    const sessionsFile = path.join(subDir, `${sub}_sessions.tsv`);
    const sessions = sesFolders.length > 0 && existsSync(sessionsFile) ? await readIdTable(sessionsFile, 'session_id', 'ses-') : undefined;
    const groups = sesFolders.length > 0 ? sesFolders.filter((s) => keepSessions === undefined || keepSessions.includes(s)).map((s) => ({ ses: s as string | undefined, dir: path.join(subDir, s, 'anat') })) : [{ ses: undefined, dir: path.join(subDir, 'anat') }];
    for (const { ses, dir } of groups) {
      const name = ses ? `${sub}/${ses}` : sub;
      const images = (await imagesIn(dir)).filter((f) => {
        const { entities, suffix } = bidsEntities(f);
        return suffix === opts.suffix && (opts.acquisition === undefined || entities.acq === opts.acquisition) && (opts.run === undefined || Number(entities.run) === opts.run);
      });
      if (images.length === 0) {
        skipped.noImage.push(name);
        continue;
      }
      if (images.length > 1 && opts.multiple === 'error') {
        throw new DataError(`${images.length} images match suffix ${opts.suffix}${opts.acquisition ? `, acq-${opts.acquisition}` : ''}${opts.run !== undefined ? `, run-${opts.run}` : ''}: ${images.join(', ')} (choose with the acquisition or run option, or multiple: 'first' | 'all')`, { file: dir });
      }
      const sesRow = ses ? sessions?.byId.get(ses) : undefined;
      const cell = (column: string): { v?: string; file: string; row?: number } => {
        const s = value(sesRow?.cells, column);
        if (s !== undefined) return { v: s, file: sessions!.file, row: sesRow!.row };
        return { v: value(part?.cells, column), file: participantsFile, row: part?.row };
      };
      let label: string | null = null;
      if (opts.label !== undefined) {
        if (participants!.columns.includes(opts.label) || sessions?.columns.includes(opts.label)) labelColumnSeen = true;
        const raw = cell(opts.label).v;
        if (raw === undefined && opts.unlabelled === 'drop') {
          skipped.noLabel.push(name);
          continue;
        }
        if (raw !== undefined && map) {
          if (!(raw in map)) {
            skipped.otherLabel++;
            continue;
          }
          label = map[raw];
        } else label = raw ?? null;
      }
      const age = cell(cols.age);
      const ageValue = age.v === undefined ? undefined : Number(age.v);
      if (ageValue !== undefined && !Number.isFinite(ageValue)) throw new DataError(`age is not a number: "${age.v}"`, { file: age.file, row: age.row, column: cols.age });
      for (const image of opts.multiple === 'all' ? images : images.slice(0, 1)) {
        const abs = path.join(dir, image);
        const row: DataBunchRow = { path: abs, id: path.relative(absRoot, abs), label, subject: sub, where: `${path.basename(absRoot)}/${path.relative(absRoot, abs)}` };
        if (ses !== undefined) row.session = ses;
        if (ageValue !== undefined) row.age = ageValue;
        const sex = cell(cols.sex).v;
        if (sex !== undefined) row.sex = sex;
        const site = cell(cols.site).v;
        if (site !== undefined) row.site = site;
        if (!opts.filter || opts.filter(row)) rows.push(row);
      }
    }
  }
  if (!labelColumnSeen) throw new DataError(`label column "${opts.label}" is in neither participants.tsv nor any sessions.tsv (columns: ${participants!.columns.join(', ')})`, { file: participantsFile, column: opts.label });
  const list = (names: string[]) => `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, ... (${names.length})` : ''}`;
  if (skipped.noImage.length > 0) onWarning(`BIDS ${root}: no ${opts.suffix} image${opts.acquisition ? ` with acq-${opts.acquisition}` : ''} for ${list(skipped.noImage)}; skipped`);
  if (skipped.noLabel.length > 0) onWarning(`BIDS ${root}: no "${opts.label}" value (empty or n/a) for ${list(skipped.noLabel)}; skipped (unlabelled: 'keep' keeps them)`);
  if (rows.length === 0) {
    throw new DataError(`no images left: ${skipped.noImage.length} subject/session folders without a ${opts.suffix} image, ${skipped.noLabel.length} without a label, ${skipped.otherLabel} with another label`, { file: absRoot });
  }
  return rows;
}

/** NIfTI files of an anat/ folder, sorted; none when the folder is missing. */
async function imagesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory() && NIFTI.test(e.name))
    .map((e) => e.name)
    .sort();
}
