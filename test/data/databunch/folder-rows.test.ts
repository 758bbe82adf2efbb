import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderRows } from '../../../src/data/databunch/sources.js';

describe('folderRows: limit draws a seeded random subset of each class folder', () => {
  // Bug (lead 10): --limit took the first N names of each folder. The brain-tumour folders are sorted
  // by source, so the first 40 meningioma images were all figshare 512-px slices in Training and all
  // SARTAJ/Br35H ones in Testing, and the test split scored 0.19 balanced accuracy (0.63 on valid).
  it('takes N files per folder, each file with probability N / n over seeds, deterministic per seed, Testing pinned to test', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'alz-limit-'));
    try {
      // 10 files per class folder, sorted by name; only names are read, so empty files do.
      for (const folder of ['Training', 'Testing']) {
        for (const label of ['x', 'y']) {
          await mkdir(path.join(root, folder, label), { recursive: true });
          for (let i = 0; i < 10; i++) await writeFile(path.join(root, folder, label, `f${i}.png`), '');
        }
      }
      const a = await folderRows(root, { limit: 4, limitSeed: 7 });
      expect(a.hasTestFolder).toBe(true);
      expect(a.rows).toHaveLength(16);
      expect(await folderRows(root, { limit: 4, limitSeed: 7 })).toEqual(a);
      for (const folder of ['Training', 'Testing']) {
        for (const label of ['x', 'y']) {
          const ids = a.rows.filter((r) => r.id!.startsWith(path.join(folder, label) + path.sep)).map((r) => r.id!);
          expect(ids).toHaveLength(4);
          expect([...ids].sort()).toEqual(ids);
        }
      }
      expect(a.rows.every((r) => (r.id!.startsWith('Testing') ? r.split === 'test' : r.split === undefined))).toBe(true);
      // Over 100 seeds each of the 10 files of a folder is drawn ~40 times (binomial sd 4.9);
      // the first-N rule drew f0..f3 100 times and f4..f9 never.
      const drawn = new Map<string, number>();
      for (let seed = 0; seed < 100; seed++) {
        for (const r of (await folderRows(root, { limit: 4, limitSeed: seed })).rows) if (r.id!.startsWith(path.join('Training', 'x'))) drawn.set(r.id!, (drawn.get(r.id!) ?? 0) + 1);
      }
      expect(drawn.size).toBe(10);
      for (const n of drawn.values()) {
        expect(n).toBeGreaterThan(25);
        expect(n).toBeLessThan(55);
      }
      // limit ≥ files keeps them all; a bad limit is an OptionError naming it
      expect((await folderRows(root, { limit: 10, limitSeed: 0 })).rows).toHaveLength(40);
      await expect(folderRows(root, { limit: -1, limitSeed: 0 })).rejects.toThrow(/limit/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
