import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, OptionError } from '../../src/backend/errors.js';
import { readCohortCsv } from '../../src/data/csv.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transmri-csv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  mkdirSync(join(dir, 'img'));
  for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, 'img', `${n}.nii.gz`), 'x');
});
let counter = 0;
function csv(text: string): string {
  const path = join(dir, `t${counter++}.csv`);
  writeFileSync(path, text);
  return path;
}
async function dataError(promise: Promise<unknown>): Promise<DataError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('readCohortCsv', () => {
  it('reads typed rows, resolves relative paths, keeps extra columns', async () => {
    const path = csv('path,label,subject,session,site,age,sex,scanner\nimg/a.nii.gz,CN,s1,1,A,61.5,F,3T\nimg/b.nii.gz,AD,s1,2,A,,M,1.5T\n');
    const rows = await readCohortCsv(path);
    expect(rows).toEqual([
      { row: 1, path: join(dir, 'img/a.nii.gz'), label: 'CN', subject: 's1', session: '1', site: 'A', age: 61.5, sex: 'F', extra: { scanner: '3T' } },
      { row: 2, path: join(dir, 'img/b.nii.gz'), label: 'AD', subject: 's1', session: '2', site: 'A', sex: 'M', extra: { scanner: '1.5T' } },
    ]);
  });

  it('strips a BOM and accepts CRLF line ends (and quoted cells)', async () => {
    const path = csv('\uFEFFpath,label,subject\r\nimg/a.nii.gz,CN,s1\r\n"img/b.nii.gz","A, D",s2\r\n');
    const rows = await readCohortCsv(path);
    expect(rows.map((r) => [r.row, r.label, r.subject])).toEqual([
      [1, 'CN', 's1'],
      [2, 'A, D', 's2'],
    ]);
  });

  it('uses configured column names; label may be optional', async () => {
    const path = csv('MRID,Age,file\nIXI1,50,img/a.nii.gz\n');
    const rows = await readCohortCsv(path, { columns: { path: 'file', subject: 'MRID', age: 'Age' }, labelRequired: false });
    expect(rows).toEqual([{ row: 1, path: join(dir, 'img/a.nii.gz'), subject: 'IXI1', age: 50, extra: {} }]);
    // The same file with the label required: its column is missing.
    const e = await dataError(readCohortCsv(path, { columns: { path: 'file', subject: 'MRID' } }));
    expect(e.message).toBe(`${path} column label: missing required column "label" (columns found: MRID, Age, file)`);
  });

  it('absolute paths stay as they are', async () => {
    const abs = join(dir, 'img', 'c.nii.gz');
    const rows = await readCohortCsv(csv(`path,label,subject\n${abs},CN,s1\n`));
    expect(rows[0].path).toBe(abs);
  });
});

describe('readCohortCsv: bad input names file, row and column', () => {
  it('missing required column', async () => {
    const path = csv('path,diagnosis,subject\nimg/a.nii.gz,CN,s1\n');
    const e = await dataError(readCohortCsv(path));
    expect([e.file, e.row, e.column]).toEqual([path, undefined, 'label']);
    expect(e.message).toMatch(/missing required column "label" \(columns found: path, diagnosis, subject\)/);
  });

  it('unknown label', async () => {
    const path = csv('path,label,subject\nimg/a.nii.gz,CN,s1\nimg/b.nii.gz,MCI,s2\n');
    const e = await dataError(readCohortCsv(path, { labels: ['CN', 'AD'] }));
    expect(e.message).toBe(`${path} row 2, column label: unknown label "MCI" (expected CN, AD)`);
  });

  it('duplicated path (also after resolving) names both rows', async () => {
    const path = csv('path,label,subject\nimg/a.nii.gz,CN,s1\nimg/b.nii.gz,CN,s2\nimg/../img/a.nii.gz,AD,s3\n');
    const e = await dataError(readCohortCsv(path));
    expect([e.row, e.column]).toEqual([3, 'path']);
    expect(e.message).toMatch(/row 3, column path: duplicated path "img\/\.\.\/img\/a\.nii\.gz" \(also in row 1\)/);
  });

  it('a path that does not exist (checkFiles: true by default; false skips the check)', async () => {
    const path = csv('path,label,subject\nimg/a.nii.gz,CN,s1\nimg/zz.nii.gz,CN,s2\nimg/yy.nii.gz,CN,s3\n');
    const e = await dataError(readCohortCsv(path));
    expect(e.message).toBe(`${path} row 2, column path: file not found: ${join(dir, 'img/zz.nii.gz')} (2 of 3 files are missing)`);
    expect(await readCohortCsv(path, { checkFiles: false })).toHaveLength(3);
  });

  it('empty required cell, non-numeric age', async () => {
    const p1 = csv('path,label,subject\nimg/a.nii.gz,,s1\n');
    expect((await dataError(readCohortCsv(p1))).message).toBe(`${p1} row 1, column label: empty value in a required column`);
    const p2 = csv('path,label,subject,age\nimg/a.nii.gz,CN,s1,60\nimg/b.nii.gz,CN,s2,sixty\n');
    expect((await dataError(readCohortCsv(p2))).message).toBe(`${p2} row 2, column age: age is not a number: "sixty"`);
  });

  it('ragged rows, duplicated header names, empty file', async () => {
    const p1 = csv('path,label,subject\nimg/a.nii.gz,CN,s1\nimg/b.nii.gz,CN\n');
    const e1 = await dataError(readCohortCsv(p1));
    expect(e1.message).toMatch(/malformed CSV/);
    expect(e1.row).toBe(2);
    const p2 = csv('path,label,subject,label\nimg/a.nii.gz,CN,s1,AD\n');
    expect((await dataError(readCohortCsv(p2))).message).toBe(`${p2} row 0, column label: duplicated column name in the header`);
    const p3 = csv('');
    expect((await dataError(readCohortCsv(p3))).message).toBe(`${p3}: empty CSV: no header line`);
  });

  it('bad options throw OptionError', async () => {
    const path = csv('path,label,subject\nimg/a.nii.gz,CN,s1\n');
    await expect(readCohortCsv(path, { label: 'x' } as never)).rejects.toBeInstanceOf(OptionError);
    await expect(readCohortCsv(path, { columns: { patient: 'x' } as never })).rejects.toThrow(/ReadCohortCsvOptions\.columns\.patient: unknown option/);
  });
});
