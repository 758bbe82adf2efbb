/**
 * readCohortCsv: a cohort table (one row per image: path, label, subject, ...)
 * parsed with csv-parse into typed rows, with paths resolved against the CSV's folder.
 * readTable: any delimited table, comma- or tab-separated (by extension or sniffed).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DataError, OptionError, rejectUnknownOptions } from '../backend/errors.js';

/** Header names of the schema fields. */
export interface CsvColumns {
  /** Image path (required), relative to the CSV's folder or absolute. */
  path: string;
  /** Class label (required unless `labelRequired: false`). */
  label: string;
  /** Subject / patient id (required): splits group by it. */
  subject: string;
  /** Session id (optional column). */
  session: string;
  /** Site / scanner (optional column). */
  site: string;
  /** Age in years (optional column, numeric). */
  age: string;
  /** Sex (optional column). */
  sex: string;
}

/** Default header names: the field names themselves. */
export const DEFAULT_CSV_COLUMNS: Readonly<CsvColumns> = {
  path: 'path',
  label: 'label',
  subject: 'subject',
  session: 'session',
  site: 'site',
  age: 'age',
  sex: 'sex',
};

/** Options of {@link readCohortCsv}. */
export interface ReadCohortCsvOptions {
  /** Header names to use for the schema fields; missing keys keep {@link DEFAULT_CSV_COLUMNS}. Default {}. */
  columns?: Partial<CsvColumns>;
  /** The label column must exist and every row needs a label. Default true. */
  labelRequired?: boolean;
  /** Allowed labels; any other label is a DataError. Default undefined (any label). */
  labels?: readonly string[];
  /** Check that every path exists. Default true. */
  checkFiles?: boolean;
}

/** Defaults of {@link ReadCohortCsvOptions}. */
export const DEFAULT_READ_COHORT_CSV: Readonly<{ columns: Partial<CsvColumns>; labelRequired: boolean; labels: readonly string[] | undefined; checkFiles: boolean }> = {
  columns: {},
  labelRequired: true,
  labels: undefined,
  checkFiles: true,
};

/** One row of a cohort CSV. */
export interface CohortRow {
  /** 1-based data row (the header is row 0). */
  row: number;
  /** Absolute path of the image. */
  path: string;
  label?: string;
  subject: string;
  session?: string;
  site?: string;
  age?: number;
  sex?: string;
  /** Every column that is not a schema field, by header name. */
  extra: Record<string, string>;
}

type Field = keyof CsvColumns;
const FIELDS: Field[] = ['path', 'label', 'subject', 'session', 'site', 'age', 'sex'];

/**
 * Reads a cohort CSV or TSV (tab-separated: `.tsv`, or sniffed, see {@link tableDelimiter}).
 * A UTF-8 BOM is stripped, CRLF and LF line ends are both accepted, cells are trimmed, empty
 * lines are skipped.
 * @param path the CSV file
 * @param options see {@link ReadCohortCsvOptions}
 * @throws DataError naming the file, row and column: a missing required column
 *   (with the columns found), an empty required cell, an age that is not a
 *   number, an unknown label, a duplicated path (naming both rows), a missing file.
 * @example
 * const rows = await readCohortCsv('cohort/labels.csv', { labels: ['CN', 'AD'] });
 * rows[0]; // { row: 1, path: '/abs/cohort/sub-01.nii.gz', label: 'CN', subject: 'sub-01', extra: {} }
 */
export async function readCohortCsv(path: string, options: ReadCohortCsvOptions = {}): Promise<CohortRow[]> {
  rejectUnknownOptions('ReadCohortCsvOptions', options, DEFAULT_READ_COHORT_CSV);
  const opts = { ...DEFAULT_READ_COHORT_CSV, ...options };
  rejectUnknownOptions('ReadCohortCsvOptions.columns', opts.columns, DEFAULT_CSV_COLUMNS);
  const names: CsvColumns = { ...DEFAULT_CSV_COLUMNS, ...opts.columns };
  if (opts.labels !== undefined && !(Array.isArray(opts.labels) && opts.labels.every((l) => typeof l === 'string'))) {
    throw new OptionError('ReadCohortCsvOptions.labels', 'expected an array of strings');
  }
  const { header, records } = await readTable(path);
  const index = columnIndex(header, path);
  const required: Field[] = opts.labelRequired ? ['path', 'label', 'subject'] : ['path', 'subject'];
  for (const f of required) {
    if (!index.has(names[f])) {
      throw new DataError(`missing required column "${names[f]}" (columns found: ${header.join(', ')})${otherDelimiterHint(header)}`, { file: path, column: names[f] });
    }
  }
  const schemaNames = new Set(FIELDS.map((f) => names[f]));
  const folder = dirname(resolve(path));
  const allowed = opts.labels ? new Set(opts.labels) : null;
  const seen = new Map<string, number>();
  const rows: CohortRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const cell = (f: Field): string | undefined => {
      const i = index.get(names[f]);
      return i === undefined || rec[i] === '' ? undefined : rec[i];
    };
    const where = (f: Field) => ({ file: path, row: r, column: names[f] });
    for (const f of required) if (cell(f) === undefined) throw new DataError('empty value in a required column', where(f));
    const abs = resolve(folder, cell('path') as string);
    const first = seen.get(abs);
    if (first !== undefined) throw new DataError(`duplicated path "${cell('path')}" (also in row ${first})`, where('path'));
    seen.set(abs, r);
    const label = cell('label');
    if (allowed && label !== undefined && !allowed.has(label)) {
      throw new DataError(`unknown label "${label}" (expected ${[...allowed].join(', ')})`, where('label'));
    }
    const ageText = cell('age');
    const age = ageText === undefined ? undefined : Number(ageText);
    if (age !== undefined && !Number.isFinite(age)) throw new DataError(`age is not a number: "${ageText}"`, where('age'));
    const extra: Record<string, string> = {};
    header.forEach((name, i) => {
      if (!schemaNames.has(name)) extra[name] = rec[i];
    });
    const row: CohortRow = { row: r, path: abs, subject: cell('subject') as string, extra };
    if (label !== undefined) row.label = label;
    for (const f of ['session', 'site', 'sex'] as const) {
      const v = cell(f);
      if (v !== undefined) row[f] = v;
    }
    if (age !== undefined) row.age = age;
    rows.push(row);
  }
  if (opts.checkFiles) await checkFilesExist(rows, path, names.path);
  return rows;
}

/** Field separator of a delimited table. */
export type TableDelimiter = ',' | '\t';

/** A delimited table: its header and every line as cells (records[0] is the header; empty lines skipped). */
export interface Table {
  header: string[];
  records: string[][];
  delimiter: TableDelimiter;
}

/**
 * The delimiter of a table: tab for `.tsv`/`.tab`, comma for `.csv`, otherwise sniffed from the
 * first line (tab when it has more tabs than commas). A `.csv` whose first line has tabs and no
 * comma is read as TSV too (a TSV saved under the wrong name).
 */
export function tableDelimiter(file: string, text: string): TableDelimiter {
  const ext = extname(file).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return '\t';
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const tabs = first.split('\t').length - 1;
  const commas = first.split(',').length - 1;
  if (ext === '.csv') return tabs > 0 && commas === 0 ? '\t' : ',';
  return tabs > commas ? '\t' : ',';
}

/**
 * Parses a delimited table (CSV or TSV, see {@link tableDelimiter}): UTF-8 BOM stripped, CRLF or
 * LF, cells trimmed, empty lines skipped, every line with the header's number of cells.
 * @throws DataError naming the file (and the row) when it is malformed or has no header line.
 */
export function parseTable(text: string, file: string): Table {
  const delimiter = tableDelimiter(file, text);
  const kind = delimiter === '\t' ? 'TSV' : 'CSV';
  let records: string[][];
  try {
    // TSV (BIDS, ClinicaDL) has no quoting: a quote character is data.
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false, delimiter, quote: delimiter === '\t' ? false : '"' }) as string[][];
  } catch (err) {
    const e = err as Error & { records?: number };
    throw new DataError(`malformed ${kind}: ${e.message}`, { file, row: e.records });
  }
  if (records.length === 0) throw new DataError(`empty ${kind}: no header line`, { file });
  return { header: records[0], records, delimiter };
}

/** Reads and parses a CSV or TSV file ({@link parseTable}); a file that cannot be read is a DataError. */
export async function readTable(file: string): Promise<Table> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read file: ${(err as Error).message}`, { file });
  }
  return parseTable(text, file);
}

/**
 * Reads a CSV or TSV file into one object per line keyed by the header's names.
 * @returns the objects and, for messages, each one's 1-based data row
 */
export async function readTableObjects(file: string): Promise<Array<Record<string, string>>> {
  const { header, records } = await readTable(file);
  columnIndex(header, file);
  return records.slice(1).map((rec) => Object.fromEntries(header.map((name, i) => [name, rec[i]])));
}

/** When a header parsed as one column holds another separator, says so (instead of listing it as one name). */
function otherDelimiterHint(header: string[]): string {
  if (header.length !== 1) return '';
  const sep = [';', '\t', '|', ','].find((c) => header[0].includes(c));
  return sep === undefined ? '' : `; the header is one column containing "${sep === '\t' ? '\\t' : sep}": the file is not comma- or tab-separated (or is named wrongly)`;
}

function columnIndex(header: string[], file: string): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new DataError(`empty column name in the header (column ${i + 1})`, { file, row: 0 });
    if (index.has(name)) throw new DataError(`duplicated column name in the header`, { file, row: 0, column: name });
    index.set(name, i);
  });
  return index;
}

/** Stats every path (64 at a time); the first missing one, in row order, is a DataError. */
async function checkFilesExist(rows: CohortRow[], file: string, column: string): Promise<void> {
  const missing: CohortRow[] = [];
  for (let s = 0; s < rows.length; s += 64) {
    const chunk = rows.slice(s, s + 64);
    const ok = await Promise.all(chunk.map((r) => stat(r.path).then((st) => st.isFile(), () => false)));
    chunk.forEach((r, i) => {
      if (!ok[i]) missing.push(r);
    });
  }
  if (missing.length > 0) {
    const r = missing[0];
    const more = missing.length > 1 ? ` (${missing.length} of ${rows.length} files are missing)` : '';
    throw new DataError(`file not found: ${r.path}${more}`, { file, row: r.row, column });
  }
}
