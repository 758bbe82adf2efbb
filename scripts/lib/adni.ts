/**
 * The ADNI and PPMI table conventions of trans-MRI, as DataBunch rows.
 *
 * ADNI: a table with columns PTID, Visit, Scan.Date, Image.ID, DX; each image lives at
 * `<root>/<PTID>/<Visit, spaces removed>/<PTID>_<Scan.Date, / → ->_<Visit, spaces removed>_<Image.ID>_<DX>_Warped.nii.gz`
 * (the layout of trans-MRI's README). A `file_path` column, when present, wins (relative to the CSV).
 *
 * PPMI (or any cohort): a generic CSV with an image path, a label and a subject column
 * (default trans-MRI's names file_path, DX, PTID; paths relative to the CSV's folder).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataError, OptionError, readCohortCsv, readTableObjects } from '../../src/index.js';
import type { DataBunchRow } from '../../src/index.js';

/** Columns that build an ADNI path. */
export const ADNI_COLUMNS = ['PTID', 'Visit', 'Scan.Date', 'Image.ID', 'DX'] as const;

/** The relative path of one ADNI image under trans-MRI's convention. */
export function adniImagePath(row: Record<(typeof ADNI_COLUMNS)[number], string>): string {
  const visit = row.Visit.replace(/\s+/g, '');
  const date = row['Scan.Date'].replace(/\//g, '-');
  return path.join(row.PTID, visit, `${row.PTID}_${date}_${visit}_${row['Image.ID']}_${row.DX}_Warped.nii.gz`);
}

/**
 * Parses `Dementia:AD,CN:CN` (raw label → class) or `PD,HC` (kept as they are).
 * @throws OptionError for an empty mapping or an empty name
 */
export function parseLabelMap(where: string, text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [raw, cls = raw] = part.split(':').map((s) => s.trim());
    if (!raw || !cls) throw new OptionError(where, `expected "RAW:CLASS,RAW:CLASS" or "A,B", got "${text}"`);
    map[raw] = cls;
  }
  if (Object.keys(map).length < 2) throw new OptionError(where, `needs at least two labels, got "${text}"`);
  return map;
}

/**
 * Rows of an ADNI table: labels mapped by `labels` (other rows dropped), subject = PTID.
 * @param root folder the convention paths start from (default: the CSV's folder)
 * @throws DataError naming file, row and column for a missing column, empty cell or missing image
 */
export async function adniRows(csvPath: string, labels: Record<string, string>, root?: string): Promise<DataBunchRow[]> {
  const file = path.resolve(csvPath);
  const base = root ? path.resolve(root) : path.dirname(file);
  const records = await readTableObjects(file);
  if (records.length === 0) throw new DataError('no data rows', { file });
  const hasPath = 'file_path' in records[0];
  const needed = hasPath ? ['file_path', 'PTID', 'DX'] : [...ADNI_COLUMNS];
  for (const c of needed) if (!(c in records[0])) throw new DataError(`missing column "${c}" (columns found: ${Object.keys(records[0]).join(', ')})`, { file, column: c });
  const rows: DataBunchRow[] = [];
  records.forEach((r, i) => {
    const where = (column: string) => ({ file, row: i + 1, column });
    for (const c of needed) if (!r[c]) throw new DataError('empty value in a required column', where(c));
    if (!(r.DX in labels)) return;
    const image = hasPath ? path.resolve(path.dirname(file), r.file_path) : path.join(base, adniImagePath(r as Record<(typeof ADNI_COLUMNS)[number], string>));
    if (!existsSync(image)) throw new DataError(`image not found: ${image}`, where(hasPath ? 'file_path' : 'PTID'));
    rows.push({ path: image, label: labels[r.DX], subject: r.PTID, session: r.Visit, id: path.relative(base, image), where: `${path.basename(file)} row ${i + 1}` });
  });
  if (rows.length === 0) throw new DataError(`no rows with a label in ${Object.keys(labels).join(', ')}`, { file, column: 'DX' });
  return rows;
}

/**
 * Rows of a generic cohort CSV (e.g. PPMI): `columns` = "path,label,subject" header names.
 * @throws DataError (from readCohortCsv) naming file, row and column
 */
export async function genericRows(csvPath: string, labels: Record<string, string>, columns: string): Promise<DataBunchRow[]> {
  const [p, l, s] = columns.split(',').map((c) => c.trim());
  if (!p || !l || !s) throw new OptionError('ppmiColumns', `expected "PATH,LABEL,SUBJECT" header names, got "${columns}"`);
  const rows = await readCohortCsv(csvPath, { columns: { path: p, label: l, subject: s } });
  const kept = rows.filter((r) => r.label !== undefined && r.label in labels);
  if (kept.length === 0) throw new DataError(`no rows with a label in ${Object.keys(labels).join(', ')}`, { file: csvPath, column: l });
  const folder = path.dirname(path.resolve(csvPath));
  return kept.map((r) => ({ path: r.path, label: labels[r.label as string], subject: r.subject, session: r.session, id: path.relative(folder, r.path), where: `${path.basename(csvPath)} row ${r.row}` }));
}
