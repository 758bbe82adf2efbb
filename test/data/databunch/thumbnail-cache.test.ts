import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OptionError } from '../../../src/backend/errors.js';
import { DataBunch } from '../../../src/data/databunch/databunch.js';
import { folderLeakage } from '../../../src/data/databunch/folder-leakage.js';
import { readThumbnailCache, thumbnailCacheFile, writeThumbnailCache, type ThumbnailEntry } from '../../../src/data/databunch/thumbnail-cache.js';
import { THUMBNAIL_METHOD, thumbnail, thumbnails, thumbnailsWithStats } from '../../../src/data/databunch/thumbnails.js';
import { startThumbnailWorker } from '../../../src/data/databunch/thumbnail-pool.js';
import type { ThumbnailJob, ThumbnailJobResult } from '../../../src/data/databunch/thumbnail-worker.js';
import { jpeg, png, slice } from '../../helpers/synthetic-slices.js';

let dir: string;
let files: string[];
const bytesOf = (t: Float32Array): Buffer => Buffer.from(t.buffer, t.byteOffset, t.byteLength);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-thumbcache-'));
  files = [];
  for (let k = 0; k < 4; k++) {
    const f = path.join(dir, `img${k}.${k === 3 ? 'png' : 'jpg'}`);
    await fs.writeFile(f, k === 3 ? await png(slice(k, 0)) : await jpeg(slice(k, 0), 90));
    files.push(f);
  }
  // files changed less than 2 s before the cache is written are not cached (timestamps tick coarsely)
  await new Promise((r) => setTimeout(r, 2100));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A fresh cache folder per test. */
async function cacheDirFor(name: string): Promise<string> {
  return fs.mkdtemp(path.join(dir, `cache-${name}-`));
}

describe('thumbnail cache', () => {
  it('round trip: the second scan reads every thumbnail from the cache, bit for bit the decoded ones', async () => {
    const cacheDir = await cacheDirFor('trip');
    const plain = await thumbnails(files);
    const messages: string[] = [];
    const first = await thumbnailsWithStats(files, { cacheDir, onMessage: (m) => messages.push(m) });
    expect([first.decoded, first.fromCache]).toEqual([4, 0]);
    const second = await thumbnailsWithStats(files, { cacheDir, onMessage: (m) => messages.push(m) });
    expect([second.decoded, second.fromCache]).toEqual([0, 4]);
    second.thumbs.forEach((t, k) => expect(bytesOf(t).equals(bytesOf(plain[k]))).toBe(true));
    expect(messages).toEqual([]);
    // a subset does not evict the others, relative paths find the same entries
    const rel = path.relative(process.cwd(), files[1]);
    expect((await thumbnailsWithStats([rel], { cacheDir })).fromCache).toBe(1);
    expect((await thumbnailsWithStats(files, { cacheDir })).fromCache).toBe(4);
  });

  it('a file rewritten in place with the same size and mtime put back is decoded again (its ctime moved)', async () => {
    const cacheDir = await cacheDirFor('inval');
    const f = path.join(dir, 'changing.jpg');
    // two subjects' slices made the same length (zeros after the shorter one's EOI are never read), so only the contents differ
    const [a0, b0] = [await jpeg(slice(10, 0), 90), await jpeg(slice(11, 0), 90)];
    const n = Math.max(a0.length, b0.length);
    const [a, b] = [Buffer.concat([a0, Buffer.alloc(n - a0.length)]), Buffer.concat([b0, Buffer.alloc(n - b0.length)])];
    await fs.writeFile(f, a);
    const st = await fs.stat(f);
    await new Promise((r) => setTimeout(r, 2100));
    const old = (await thumbnailsWithStats([f], { cacheDir })).thumbs[0];
    expect((await thumbnailsWithStats([f], { cacheDir })).fromCache).toBe(1);
    const fh = await fs.open(f, 'r+');
    await fh.write(b, 0, b.length, 0);
    await fh.truncate(b.length);
    await fh.close();
    await fs.utimes(f, st.atime, st.mtime);
    const again = await thumbnailsWithStats([f], { cacheDir });
    expect([again.decoded, again.fromCache]).toEqual([1, 0]);
    expect(bytesOf(again.thumbs[0]).equals(bytesOf(await thumbnail(f)))).toBe(true);
    expect(bytesOf(again.thumbs[0]).equals(bytesOf(old))).toBe(false);
  });

  it('a replaced file (new inode, other size) is decoded again; the others still come from the cache', async () => {
    const cacheDir = await cacheDirFor('replace');
    const copy = files.map((f, k) => path.join(dir, `copy${k}${path.extname(f)}`));
    for (let k = 0; k < files.length; k++) await fs.copyFile(files[k], copy[k]);
    await new Promise((r) => setTimeout(r, 2100));
    await thumbnailsWithStats(copy, { cacheDir });
    const tmp = `${copy[2]}.new`;
    await fs.writeFile(tmp, await jpeg(slice(20, 0), 70));
    await fs.rename(tmp, copy[2]);
    const r = await thumbnailsWithStats(copy, { cacheDir });
    expect([r.decoded, r.fromCache]).toEqual([1, 3]);
    expect(bytesOf(r.thumbs[2]).equals(bytesOf(await thumbnail(copy[2])))).toBe(true);
  });

  it('a corrupted thumbnail fails its checksum: said once, decoded again, the cache rewritten', async () => {
    const cacheDir = await cacheDirFor('corrupt');
    const plain = await thumbnails(files);
    await thumbnailsWithStats(files, { cacheDir });
    const file = thumbnailCacheFile(cacheDir, 32);
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 4 * 1024 - 100] ^= 0x40; // inside the third thumbnail's floats
    await fs.writeFile(file, bytes);
    const messages: string[] = [];
    const r = await thumbnailsWithStats(files, { cacheDir, onMessage: (m) => messages.push(m) });
    expect([r.decoded, r.fromCache]).toEqual([1, 3]);
    expect(messages).toEqual([`thumbnail cache ${file}: 1 of 4 thumbnails fail their checksum; decoding the images again`]);
    r.thumbs.forEach((t, k) => expect(bytesOf(t).equals(bytesOf(plain[k]))).toBe(true));
    const after = await thumbnailsWithStats(files, { cacheDir, onMessage: (m) => messages.push(m) });
    expect([after.decoded, after.fromCache, messages.length]).toEqual([0, 4, 1]);
  });

  it('a cache file that is not one, or is truncated, is said and rebuilt; one of another method is ignored silently', async () => {
    const cacheDir = await cacheDirFor('garbage');
    const file = thumbnailCacheFile(cacheDir, 32);
    const messages: string[] = [];
    const onMessage = (m: string): number => messages.push(m);
    await fs.writeFile(file, 'hello, I am not a thumbnail cache');
    expect((await thumbnailsWithStats(files, { cacheDir, onMessage })).decoded).toBe(4);
    expect(messages).toEqual([`thumbnail cache ${file}: not a thumbnail cache (bad magic); decoding the images again`]);
    expect((await thumbnailsWithStats(files, { cacheDir, onMessage })).fromCache).toBe(4);
    const whole = await fs.readFile(file);
    await fs.writeFile(file, whole.subarray(0, whole.length - 10));
    expect((await thumbnailsWithStats(files, { cacheDir, onMessage })).decoded).toBe(4);
    expect(messages[1]).toMatch(/^thumbnail cache .*: length \d+ B, expected \d+ B for 4 thumbnails; decoding the images again$/);
    const other = await readThumbnailCache(file, `${THUMBNAIL_METHOD}-older`, 32, onMessage);
    expect([other.size, messages.length]).toEqual([0, 2]);
  });

  it('entries of files changed less than 2 s before the write are not stored', async () => {
    const file = thumbnailCacheFile(await cacheDirFor('racy'), 32);
    const now = 1_700_000_000_000;
    const entry = (name: string, mtimeMs: number): [string, { entry: ThumbnailEntry; thumb: Float32Array }] => [
      name,
      { entry: { file: name, size: 1, mtimeMs, ctimeMs: mtimeMs, ino: 1, crc: '' }, thumb: new Float32Array(1024) },
    ];
    await writeThumbnailCache(file, THUMBNAIL_METHOD, 32, new Map([entry('/old', now - 5000), entry('/new', now - 500)]), now);
    const index = JSON.parse((await fs.readFile(file)).toString('utf8', 12, 12 + (await fs.readFile(file)).readUInt32LE(8))) as { entries: ThumbnailEntry[] };
    expect(index.entries.map((e) => e.file)).toEqual(['/old']);
  });

  it('options are checked', async () => {
    await expect(thumbnailsWithStats(files, { cacheDir: 3 as unknown as string })).rejects.toThrow(OptionError);
    await expect(thumbnailsWithStats(files, { cache: true } as never)).rejects.toThrow(/ThumbnailsOptions.cache: unknown option/);
    await expect(folderLeakage(dir, { cacheDir: 1 as unknown as string })).rejects.toThrow(/FolderLeakageOptions.cacheDir/);
  });

  it('folderLeakage: a second check of the same folder takes its thumbnails from the cache and says the same', async () => {
    const root = path.join(dir, 'set');
    for (const cls of ['a', 'b']) {
      await fs.mkdir(path.join(root, cls), { recursive: true });
      for (let k = 0; k < 6; k++) await fs.writeFile(path.join(root, cls, `${k}.jpg`), await jpeg(slice(cls === 'a' ? k : 50 + k, k % 2), 90));
    }
    await new Promise((r) => setTimeout(r, 2100));
    const cacheDir = path.join(dir, 'set-cache');
    const first = await folderLeakage(root, { cacheDir });
    const second = await folderLeakage(root, { cacheDir });
    expect([first.fromCache, second.fromCache]).toEqual([0, 12]);
    expect({ ...second, seconds: 0, fromCache: 0 }).toEqual({ ...first, seconds: 0, fromCache: 0 });
    // the default folder is the DataBunch's: <root>/.transmri-cache
    await folderLeakage(root);
    expect((await folderLeakage(root)).fromCache).toBe(12);
    await fs.access(thumbnailCacheFile(path.join(root, '.transmri-cache'), 32));
    expect((await folderLeakage(root, { cacheDir: false })).fromCache).toBe(0);
    // a DataBunch on the same folder and cache folder scans through the same cache, and says so in printStats
    const warnings: string[] = [];
    const opts = { cacheDir, pipeline: { input: { kind: 'image2d' as const, size: [32, 32] as [number, number] }, steps: [] }, onWarning: (m: string) => warnings.push(m) };
    const bunch = await DataBunch.fromFolder(root, opts);
    expect(bunch.nearScan?.fromCache).toBe(12);
    let text = '';
    bunch.printStats((t) => (text += t));
    expect(text).toContain('(12 thumbnails from the cache)');
    // leakage() at another threshold scans again through the same cache: a damaged cache file is said through onWarning
    await fs.writeFile(thumbnailCacheFile(cacheDir, 32), 'damaged');
    await bunch.leakage({ nearDuplicates: { threshold: 0.9 } });
    expect(warnings.filter((m) => m.includes('not a thumbnail cache'))).toHaveLength(1);
  });
});

describe('thumbnail workers', () => {
  it('a worker thread answers a job with the main thread\'s thumbnails (null for what it does not decode); workers: 1 gives the same thumbnails', async () => {
    const worker = startThumbnailWorker();
    expect(worker).toBeDefined();
    try {
      const job: ThumbnailJob = { id: 7, files: [files[0], files[3], path.join(dir, 'missing.jpg'), files[1]], size: 32 };
      const answer = await new Promise<ThumbnailJobResult>((resolve, reject) => {
        worker!.once('message', resolve);
        worker!.once('error', reject);
        worker!.postMessage(job);
      });
      expect(answer.id).toBe(7);
      // the PNG and the missing file are left to the main thread
      expect(answer.thumbs.map((t) => t === null)).toEqual([false, true, true, false]);
      expect(bytesOf(answer.thumbs[0]!).equals(bytesOf(await thumbnail(files[0])))).toBe(true);
      expect(bytesOf(answer.thumbs[3]!).equals(bytesOf(await thumbnail(files[1])))).toBe(true);
    } finally {
      await worker?.terminate();
    }
    const many = Array.from({ length: 40 }, (_, k) => files[k % 4]);
    const [one, none] = [await thumbnails(many, { workers: 1 }), await thumbnails(many, { workers: 0 })];
    one.forEach((t, k) => expect(bytesOf(t).equals(bytesOf(none[k]))).toBe(true));
    await expect(thumbnails(files, { workers: -1 })).rejects.toThrow(/ThumbnailsOptions.workers/);
  }, 30_000);
});
