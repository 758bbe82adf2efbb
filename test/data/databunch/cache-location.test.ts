import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataBunch } from '../../../src/data/databunch/databunch.js';
import { CACHE_DIR_NAME, commonDir, defaultCacheDir, directorySize, formatBytes } from '../../../src/data/databunch/cache-location.js';
import { writeCohort } from '../../../src/data/synthetic/write.js';

describe('the default cache folder: next to the data, its size said once filled', () => {
  it('commonDir and formatBytes by hand', () => {
    expect(commonDir(['/a/b/c/x.nii', '/a/b/d/y.nii', '/a/b/z.nii'])).toBe('/a/b');
    expect(commonDir(['/a/b/x.nii'])).toBe('/a/b');
    expect(commonDir(['/x.nii', '/y/z.nii'])).toBe('/');
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(926_400_000)).toBe('926.4 MB');
  });

  it('fromCsv caches in <csv folder>/.transmri-cache and reports its size once, when every sample went through it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'transmri-cacheloc-'));
    try {
      const { csvPath } = await writeCohort(path.join(dir, 'cohort'), { seed: 1, subjects: 8, sessions: 1, shape: [8, 8, 8], spacing: 24 });
      const messages: string[] = [];
      const bunch = await DataBunch.fromCsv(csvPath, { split: { valid: 0.25, test: 0.25, seed: 0 }, onWarning: (m) => messages.push(m) });
      const cacheDir = path.join(path.dirname(csvPath), CACHE_DIR_NAME);
      expect(bunch.cache.dir).toBe(cacheDir);
      expect(messages.filter((m) => m.includes('filled'))).toEqual([]); // the zScore-free pipeline read the first sample only
      for (const split of ['train', 'valid', 'test'] as const) for await (const batch of bunch.batches(split, { batchSize: 4, shuffle: false, augment: false })) void batch;
      const filled = messages.filter((m) => m.includes('filled'));
      expect(filled).toHaveLength(1);
      const n = bunch.size('train') + bunch.size('valid') + bunch.size('test');
      expect(filled[0]).toContain(`cache ${cacheDir} filled: ${formatBytes(await directorySize(cacheDir))} for ${n} samples`);
      expect((await readdir(path.join(cacheDir, 'entries'))).length).toBe(n);
      // a second pass (all hits) says nothing more
      for await (const batch of bunch.batches('train', { batchSize: 4 })) void batch;
      expect(messages.filter((m) => m.includes('filled'))).toHaveLength(1);
      // an explicit cacheDir is used as given
      const other = path.join(dir, 'elsewhere');
      const b2 = await DataBunch.fromCsv(csvPath, { split: { valid: 0.25, test: 0.25, seed: 0 }, cacheDir: other, onWarning: () => {} });
      expect(b2.cache.dir).toBe(other);
      expect(existsSync(other)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a data folder without write permission bits is read-only data, also for root: the cache goes to the temp folder, with a warning', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'transmri-cacheloc-ro-'));
    const data = path.join(dir, 'data');
    try {
      await mkdir(data);
      await chmod(data, 0o555);
      const warnings: string[] = [];
      const got = await defaultCacheDir(data, (m) => warnings.push(m));
      const expected = path.join(tmpdir(), 'transmri-cache', createHash('sha1').update(path.resolve(data)).digest('hex').slice(0, 12));
      expect(got).toBe(expected);
      expect(existsSync(path.join(data, CACHE_DIR_NAME))).toBe(false);
      expect(warnings).toEqual([`DataBunch: the data folder ${data} cannot hold the cache (mode 555); caching in ${expected} (DataBunchOptions.cacheDir chooses another folder)`]);
      // a cache folder the user made there is used
      await chmod(data, 0o755);
      await mkdir(path.join(data, CACHE_DIR_NAME));
      await chmod(data, 0o555);
      expect(await defaultCacheDir(data, (m) => warnings.push(m))).toBe(path.join(data, CACHE_DIR_NAME));
      expect(warnings).toHaveLength(1);
    } finally {
      await chmod(data, 0o755).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
  });
});
