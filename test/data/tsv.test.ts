import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/backend/errors.js';
import { parseTable, readCohortCsv, readTableObjects, tableDelimiter } from '../../src/data/csv.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transmri-tsv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  mkdirSync(join(dir, 'img'));
  for (const n of ['a', 'b']) writeFileSync(join(dir, 'img', `${n}.nii.gz`), 'x');
});
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('TSV in every table reader', () => {
  it('chooses the delimiter by extension, else by sniffing the first line', () => {
    expect(tableDelimiter('x.tsv', 'a,b,c\n')).toBe('\t'); // the extension wins
    expect(tableDelimiter('x.csv', 'a,b\tc\n')).toBe(',');
    expect(tableDelimiter('x.csv', 'a\tb\tc\n')).toBe('\t'); // a TSV saved as .csv
    expect(tableDelimiter('x.txt', '\uFEFFa\tb\tc\n')).toBe('\t');
    expect(tableDelimiter('x.txt', 'a,b,c\n')).toBe(',');
  });

  it('reads a cohort TSV like its CSV (ClinicaDL/BIDS style, quotes are data)', async () => {
    const tsv = file('cohort.tsv', 'path\tlabel\tsubject\tsession\tage\tnote\nimg/a.nii.gz\tAD\tsub-01\tses-M00\t71.5\tsays "hi", then\nimg/b.nii.gz\tCN\tsub-02\tses-M00\t68\t\n');
    const csv = file('cohort.csv', 'path,label,subject,session,age,note\nimg/a.nii.gz,AD,sub-01,ses-M00,71.5,"says ""hi"", then"\nimg/b.nii.gz,CN,sub-02,ses-M00,68,\n');
    const fromTsv = await readCohortCsv(tsv);
    expect(fromTsv).toEqual(await readCohortCsv(csv));
    expect(fromTsv[0]).toMatchObject({ row: 1, path: join(dir, 'img', 'a.nii.gz'), label: 'AD', subject: 'sub-01', session: 'ses-M00', age: 71.5, extra: { note: 'says "hi", then' } });
  });

  it('a header that is one column with another separator says so instead of listing it as one name', async () => {
    const semi = file('semi.csv', 'path;label;subject\nimg/a.nii.gz;AD;sub-01\n');
    const err = await readCohortCsv(semi).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `${semi} column path: missing required column "path" (columns found: path;label;subject); the header is one column containing ";": the file is not comma- or tab-separated (or is named wrongly)`,
    );
  });

  it('a ragged TSV line is a DataError naming the file and the line', () => {
    expect(() => parseTable('a\tb\n1\t2\t3\n', 'bad.tsv')).toThrow(/^bad\.tsv row 1: malformed TSV: /);
    expect(() => parseTable('', 'empty.tsv')).toThrow('empty.tsv: empty TSV: no header line');
  });

  it('readTableObjects keys each line by the header (CSV or TSV)', async () => {
    const tsv = file('p.tsv', 'participant_id\tage\tsex\nsub-01\t30\tF\nsub-02\tn/a\tM\n');
    expect(await readTableObjects(tsv)).toEqual([
      { participant_id: 'sub-01', age: '30', sex: 'F' },
      { participant_id: 'sub-02', age: 'n/a', sex: 'M' },
    ]);
    await expect(readTableObjects(join(dir, 'none.tsv'))).rejects.toThrow(/none\.tsv: cannot read file/);
  });
});
