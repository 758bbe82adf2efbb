/** Image rows from class-per-subfolder datasets (optionally split into Training/Testing folders). */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { OptionError, Rng, type DataBunchRow } from '../../src/index.js';

const IMAGE = /\.(jpe?g|png)$/i;

/**
 * Rows of `root/<class>/*` or `root/<Training|Testing>/<class>/*` (Testing pinned to the test split),
 * at most `limit` files per class folder (0 = all), drawn without replacement by an Rng seeded with
 * `seed` and forked per folder, then listed in name order.
 *
 * Why a random draw and not the first `limit` names: the brain-tumour folders are sorted by source
 * (e.g. Testing/meningioma starts with 115 non-512-px SARTAJ/Br35H images, Training/meningioma with
 * 103 figshare 512-px ones), so the first 40 of each folder paired a class with a different image
 * source in Training and Testing, and a 320-image run scored 0.19 balanced accuracy on Testing
 * against 0.63 on validation.
 */
export async function folderRowsLimited(root: string, limit: number, seed = 0): Promise<{ rows: DataBunchRow[]; hasTest: boolean }> {
  if (!(Number.isInteger(limit) && limit >= 0)) throw new OptionError('limit', `expected an integer ≥ 0, got ${limit}`);
  const entries = (await readdir(root)).sort();
  const train = entries.find((e) => /^(training|train)$/i.test(e));
  const test = entries.find((e) => /^(testing|test)$/i.test(e));
  const folders: Array<[string, 'test' | undefined]> = train ? [[train, undefined], ...(test ? [[test, 'test'] as [string, 'test']] : [])] : [['', undefined]];
  const rows: DataBunchRow[] = [];
  for (const [folder, split] of folders) {
    for (const label of (await readdir(path.join(root, folder))).sort()) {
      const dir = path.join(root, folder, label);
      if (!(await stat(dir)).isDirectory()) continue;
      let files = (await readdir(dir)).filter((f) => IMAGE.test(f)).sort();
      if (limit > 0 && files.length > limit) files = new Rng(seed).fork(`limit/${folder}/${label}`).shuffle(files).slice(0, limit).sort();
      for (const f of files) rows.push({ path: path.join(dir, f), label, id: path.join(folder, label, f), ...(split ? { split } : {}) });
    }
  }
  return { rows, hasTest: test !== undefined && train !== undefined };
}
