/**
 * The IXI T1 folder layout (NiChart's 2 mm IXI sample): `participants.csv` with columns
 * MRID, Age, Sex and one scan per subject at `t1/<MRID>_T1.nii.gz`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataError, readTableObjects } from '../../src/index.js';
import type { DataBunchRow } from '../../src/index.js';

/** Reads `<dir>/participants.csv` into DataBunch rows: label = sex (F/M), subject = id = MRID, age. */
export async function ixiRows(dir: string): Promise<DataBunchRow[]> {
  const file = path.join(dir, 'participants.csv');
  if (!existsSync(file)) throw new DataError('participants.csv not found (expected columns MRID, Age, Sex)', { file });
  const records = await readTableObjects(file);
  return records.map((r, i) => {
    const where = (column: string) => ({ file, row: i + 1, column });
    for (const c of ['MRID', 'Age', 'Sex']) if (!r[c]) throw new DataError('empty or missing value', where(c));
    const age = Number(r.Age);
    if (!Number.isFinite(age)) throw new DataError(`age "${r.Age}" is not a number`, where('Age'));
    if (r.Sex !== 'F' && r.Sex !== 'M') throw new DataError(`sex "${r.Sex}" (expected F or M)`, where('Sex'));
    const scan = path.join(dir, 't1', `${r.MRID}_T1.nii.gz`);
    if (!existsSync(scan)) throw new DataError(`scan not found: ${scan}`, where('MRID'));
    return { path: scan, id: r.MRID, subject: r.MRID, label: r.Sex, sex: r.Sex, age, where: `participants.csv row ${i + 1}` };
  });
}
