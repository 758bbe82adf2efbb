import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DataError, FormatError, OptionError } from '../../../src/backend/errors.js';
import { CACHE_FORMAT_VERSION, SampleCache, type CacheKey } from '../../../src/data/databunch/cache.js';
import { fromHalfBits, toHalfBits } from '../../../src/data/databunch/float16.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-cache-'));
});
afterEach(async () => {
  await fs.chmod(dir, 0o755).catch(() => {});
  await fs.rm(dir, { recursive: true, force: true });
});

/** A source file whose "preprocessing" is: bytes → floats ×2. Counts how often it is produced. */
async function source(name: string, bytes: number[]): Promise<{ key: (hash?: string) => CacheKey; produced: () => number }> {
  const file = path.join(dir, name);
  await fs.writeFile(file, Uint8Array.from(bytes));
  let n = 0;
  return {
    produced: () => n,
    key: (hash = 'p1') => ({
      id: name,
      source: file,
      pipelineHash: hash,
      produce: async () => {
        n += 1;
        const b = await fs.readFile(file);
        return { data: Float32Array.from(b, (v) => v * 2), shape: [b.length, 1] };
      },
    }),
  };
}

describe('SampleCache', () => {
  it('builds once, then reads; a new process (open) reads from the manifest', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cache = await SampleCache.open(path.join(dir, 'c'), { onMessage: () => {} });
    expect(Array.from((await cache.get(a.key())).data)).toEqual([2, 4, 6]);
    expect(Array.from((await cache.get(a.key())).data)).toEqual([2, 4, 6]);
    expect(a.produced()).toBe(1);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'c', 'manifest.json'), 'utf8'))).toEqual({ formatVersion: CACHE_FORMAT_VERSION });
    const manifest = await cache.manifest();
    expect(manifest.entries['a.bin']).toMatchObject({ id: 'a.bin', shape: [3, 1], dtype: 'float32', byteLength: 12, pipelineHash: 'p1' });
    expect(manifest.entries['a.bin'].source.size).toBe(3);
    const again = await SampleCache.open(path.join(dir, 'c'), { onMessage: () => {} });
    expect(Array.from((await again.get(a.key())).data)).toEqual([2, 4, 6]);
    expect(a.produced()).toBe(1);
    expect(again.counters).toEqual({ hits: 1, builds: 0, fullChecks: 1 });
  });

  it('a changed source or pipeline invalidates only what it affects', async () => {
    const a = await source('a.bin', [1, 2]);
    const b = await source('b.bin', [5]);
    const cache = await SampleCache.open(path.join(dir, 'c'), { onMessage: () => {} });
    await cache.get(a.key());
    await cache.get(b.key());
    await fs.writeFile(path.join(dir, 'a.bin'), Uint8Array.from([7, 8, 9]));
    expect(Array.from((await cache.get(a.key())).data)).toEqual([14, 16, 18]);
    expect(Array.from((await cache.get(b.key())).data)).toEqual([10]);
    expect([a.produced(), b.produced()]).toEqual([2, 1]);
    await cache.get(b.key('p2'));
    expect(b.produced()).toBe(2);
    // touched but unchanged (same bytes, new mtime): no rebuild
    const t = new Date(Date.now() + 5000);
    await fs.utimes(path.join(dir, 'b.bin'), t, t);
    await cache.get(b.key('p2'));
    expect(b.produced()).toBe(2);
  });

  it('recovers from a crash: leftover temp file and truncated entry are rebuilt', async () => {
    const a = await source('a.bin', [1, 2, 3, 4]);
    const cdir = path.join(dir, 'c');
    const cache = await SampleCache.open(cdir, { onMessage: () => {} });
    await cache.get(a.key());
    const entry = (await cache.manifest()).entries['a.bin'];
    // simulate a crash mid-write: a temp file from a dead process and a truncated data file
    const deadTemp = path.join(cdir, `${entry.file}.tmp-999999999-1`);
    await fs.writeFile(deadTemp, Uint8Array.from([1, 2]));
    await fs.truncate(path.join(cdir, entry.file), 5);
    const messages: string[] = [];
    const restarted = await SampleCache.open(cdir, { onMessage: (m) => messages.push(m) });
    await expect(fs.access(deadTemp)).rejects.toThrow();
    expect(Array.from((await restarted.get(a.key())).data)).toEqual([2, 4, 6, 8]);
    expect(messages.join()).toMatch(/a\.bin .* truncated or corrupted; rebuilding/);
    expect((await fs.stat(path.join(cdir, entry.file))).size).toBe(16);
    // a flipped byte of the same length is caught by the checksum
    const bytes = await fs.readFile(path.join(cdir, entry.file));
    bytes[0] ^= 0xff;
    await fs.writeFile(path.join(cdir, entry.file), bytes);
    expect(Array.from((await restarted.get(a.key())).data)).toEqual([2, 4, 6, 8]);
    expect(a.produced()).toBe(3);
    // an entry file that is not an entry (written by something else) counts as missing
    const entryFile = (await fs.readdir(path.join(cdir, 'entries')))[0];
    await fs.writeFile(path.join(cdir, 'entries', entryFile), '{"id": "a.bin", "fi');
    const third = await SampleCache.open(cdir, { onMessage: () => {} });
    expect(Array.from((await third.get(a.key())).data)).toEqual([2, 4, 6, 8]);
    expect([third.counters.builds, a.produced()]).toEqual([1, 4]);
  });

  it('getInto reads a valid entry straight into a buffer and rebuilds a damaged one', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cdir = path.join(dir, 'c');
    const cache = await SampleCache.open(cdir, { onMessage: () => {} });
    const out = new Float32Array(5);
    expect(await cache.getInto(a.key(), out, 1)).toEqual([3, 1]); // built, then copied
    expect(await cache.getInto(a.key(), out, 2)).toEqual([3, 1]); // read directly
    expect(Array.from(out)).toEqual([0, 2, 2, 4, 6]);
    expect(cache.counters).toEqual({ hits: 1, builds: 1, fullChecks: 0 });
    const file = path.join(cdir, (await cache.manifest()).entries['a.bin'].file);
    const bytes = await fs.readFile(file);
    bytes[4] ^= 0x01;
    await fs.writeFile(file, bytes);
    const fresh = new Float32Array(3);
    await cache.getInto(a.key(), fresh, 0);
    expect(Array.from(fresh)).toEqual([2, 4, 6]);
    expect(a.produced()).toBe(2);
  });

  it("verify 'once': a whole-file check per file version, so warm reads skip it; any rewrite is caught", async () => {
    const bytes = Array.from({ length: 3000 }, (_, i) => i % 251); // 12000 cached bytes: a middle beyond both 4 KiB ends
    const a = await source('a.bin', bytes);
    const cdir = path.join(dir, 'c');
    const cache = await SampleCache.open(cdir, { onMessage: () => {} });
    await cache.get(a.key());
    for (let r = 0; r < 3; r++) await cache.get(a.key());
    // it wrote the file itself: no whole-file checksum on the three reads
    expect(cache.counters).toEqual({ hits: 3, builds: 1, fullChecks: 0 });
    const file = path.join(cdir, (await cache.manifest()).entries['a.bin'].file);
    // a byte in the middle flipped in place, later than one timestamp tick: the file's ctime changed
    await new Promise((r) => setTimeout(r, 50));
    const damaged = await fs.readFile(file);
    damaged[6000] ^= 0x10;
    await fs.writeFile(file, damaged);
    expect((await cache.get(a.key())).data[1500]).toBe(2 * (1500 % 251));
    expect(cache.counters).toMatchObject({ builds: 2, fullChecks: 1 });
    // another process (a new open) checks each file once; a file changed within 2 s is checked on every read
    const other = await SampleCache.open(cdir, { onMessage: () => {} });
    await other.get(a.key());
    await other.get(a.key());
    expect(other.counters).toEqual({ hits: 2, builds: 0, fullChecks: 2 });
    const again = await fs.readFile(file);
    again[6000] ^= 0x10;
    await fs.writeFile(file, again);
    expect((await other.get(a.key())).data[1500]).toBe(2 * (1500 % 251));
    expect(other.counters.builds).toBe(1);
    expect(a.produced()).toBe(3);
  });

  it("verify 'always' checks the whole file on every read; a bad value is an OptionError", async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cache = await SampleCache.open(path.join(dir, 'c'), { verify: 'always', onMessage: () => {} });
    await cache.get(a.key());
    await cache.get(a.key());
    await cache.getInto(a.key(), new Float32Array(3), 0);
    expect(cache.counters).toEqual({ hits: 2, builds: 1, fullChecks: 2 });
    await expect(SampleCache.open(path.join(dir, 'c'), { verify: 'never' as never })).rejects.toThrow(OptionError);
  });

  it('float16 storage halves the bytes and rounds to half precision', async () => {
    const a = await source('a.bin', [1, 3, 255]);
    const cache = await SampleCache.open(path.join(dir, 'c'), { dtype: 'float16', onMessage: () => {} });
    await cache.get(a.key());
    const again = await SampleCache.open(path.join(dir, 'c'), { dtype: 'float16', onMessage: () => {} });
    expect(Array.from((await again.get(a.key())).data)).toEqual([2, 6, 510]);
    expect((await again.manifest()).entries['a.bin'].byteLength).toBe(6);
    // getInto decodes a float16 entry into the float32 slot
    const out = new Float32Array(4);
    expect(await again.getInto(a.key(), out, 1)).toEqual([3, 1]);
    expect(Array.from(out)).toEqual([0, 2, 6, 510]);
    // 1/3 in half precision: 0x3555 = (1 + 341/1024) / 4 = 0.333251953125
    expect(toHalfBits(1 / 3)).toBe(0x3555);
    expect(fromHalfBits(0x3555)).toBe(0.333251953125);
    expect(fromHalfBits(toHalfBits(65504))).toBe(65504);
    expect(fromHalfBits(toHalfBits(1e6))).toBe(Infinity);
    expect(fromHalfBits(toHalfBits(2 ** -24))).toBe(2 ** -24);
  });

  it('an older format version is rebuilt with a message; a newer one is refused', async () => {
    const a = await source('a.bin', [1]);
    const cdir = path.join(dir, 'c');
    const cache = await SampleCache.open(cdir, { onMessage: () => {} });
    await cache.get(a.key());
    const manifestFile = path.join(cdir, 'manifest.json');
    const dataFile = (await cache.manifest()).entries['a.bin'].file;
    // format 1 kept every entry inside manifest.json
    await fs.writeFile(manifestFile, JSON.stringify({ formatVersion: 1, entries: {} }));
    const messages: string[] = [];
    const old = await SampleCache.open(cdir, { onMessage: (msg) => messages.push(msg) });
    expect(messages[0]).toMatch(new RegExp(`format version 1 \\(current ${CACHE_FORMAT_VERSION}\\); rebuilding every entry`));
    await expect(fs.access(path.join(cdir, dataFile))).rejects.toThrow();
    expect(Object.keys((await old.manifest()).entries)).toEqual([]);
    await old.get(a.key());
    expect(a.produced()).toBe(2);
    await fs.writeFile(manifestFile, JSON.stringify({ formatVersion: CACHE_FORMAT_VERSION + 1 }));
    await expect(SampleCache.open(cdir)).rejects.toThrow(FormatError);
  });

  it('a cache path that cannot be a directory is a DataError naming it', async () => {
    const file = path.join(dir, 'plain-file');
    await fs.writeFile(file, 'x');
    await expect(SampleCache.open(path.join(file, 'cache'))).rejects.toThrow(DataError);
    await expect(SampleCache.open(path.join(file, 'cache'))).rejects.toThrow(/plain-file\/cache: cache directory is not writable \(ENOTDIR\)/);
  });

  // root ignores permission bits, so this one only runs as a normal user
  it.skipIf(process.getuid?.() === 0)('an unwritable directory is a DataError naming it', async () => {
    const ro = path.join(dir, 'ro');
    await fs.mkdir(ro);
    await fs.chmod(ro, 0o555);
    await expect(SampleCache.open(path.join(ro, 'cache'))).rejects.toThrow(DataError);
    await expect(SampleCache.open(ro)).rejects.toThrow(new RegExp(`${ro}: cache directory is not writable`));
  });

  it('two caches on one directory (as two processes) keep each other\'s entries', async () => {
    const a = await source('a.bin', [1]);
    const b = await source('b.bin', [2]);
    const cdir = path.join(dir, 'c');
    const [c1, c2] = await Promise.all([SampleCache.open(cdir, { onMessage: () => {} }), SampleCache.open(cdir, { onMessage: () => {} })]);
    await Promise.all([c1.get(a.key()), c2.get(b.key())]);
    const merged = await SampleCache.open(cdir);
    expect(Object.keys((await merged.manifest()).entries).sort()).toEqual(['a.bin', 'b.bin']);
    expect((await fs.readdir(cdir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('two real processes writing one cache at once lose no entries and never read a half-written one', async () => {
    const src = path.join(dir, 'src');
    await fs.mkdir(src);
    const n = 80;
    for (let i = 0; i < n; i++) await fs.writeFile(path.join(src, `s${i}.bin`), Uint8Array.from({ length: 256 }, (_, k) => (k + i) % 256));
    const cdir = path.join(dir, 'shared');
    const child = path.join(import.meta.dirname, 'cache-child.ts');
    const run = (parity: number) => promisify(execFile)(process.execPath, ['--import', 'tsx', child, cdir, src, String(n), String(parity)], { encoding: 'utf8' });
    const outs = (await Promise.all([run(0), run(1)])).map((o) => JSON.parse(o.stdout.trim().split('\n').pop() as string));
    // every read checked its whole checksum and its values
    for (const o of outs) expect(o.bad).toBe(0);
    // each built its own 40, then found most of the other's (a race may build a few twice)
    expect(outs[0].builds + outs[1].builds).toBeGreaterThanOrEqual(n);
    expect(outs[0].hits + outs[1].hits).toBeGreaterThan(4 * n - 10);
    expect((await fs.readdir(cdir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const after = await SampleCache.open(cdir, { onMessage: () => {} });
    expect(Object.keys((await after.manifest()).entries)).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const s = await after.get({ id: `s${i}`, source: path.join(src, `s${i}.bin`), pipelineHash: 'p', produce: async () => ({ data: new Float32Array(256), shape: [256] }) });
      expect(s.data[0]).toBe(2 * i);
    }
    expect(after.counters.builds).toBe(0);
  });
});
