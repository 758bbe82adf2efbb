/**
 * The sample cache under faults (issue 21, items 5, 7 and 9): a source replaced by another of the
 * same size and mtime, read-only and half-writable cache folders, a hand-edited entry shape.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SampleCache, type CacheKey } from '../../../src/data/databunch/cache.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transmri-cache21-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A source file whose "preprocessing" is bytes → floats ×2, shape [n, 1]; counts how often it is produced. */
async function source(name: string, bytes: number[]): Promise<{ file: string; key: () => CacheKey; produced: () => number }> {
  const file = path.join(dir, name);
  await fs.writeFile(file, Uint8Array.from(bytes));
  let n = 0;
  return {
    file,
    produced: () => n,
    key: () => ({
      id: name,
      source: file,
      pipelineHash: 'p1',
      produce: async () => {
        n += 1;
        const b = await fs.readFile(file);
        return { data: Float32Array.from(b, (v) => v * 2), shape: [b.length, 1] };
      },
    }),
  };
}

const quiet = { onMessage: () => {} };

describe('stale sources', () => {
  it('a source replaced by a file of the same size with the mtime kept (cp B tmp && touch -r A tmp && mv tmp A) is rebuilt', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cdir = path.join(dir, 'c');
    await (await SampleCache.open(cdir, quiet)).get(a.key());
    const tmp = path.join(dir, 'tmp.bin');
    await fs.writeFile(tmp, Uint8Array.from([7, 8, 9]));
    execFileSync('touch', ['-r', a.file, tmp]);
    await fs.rename(tmp, a.file);
    const messages: string[] = [];
    const cache = await SampleCache.open(cdir, { onMessage: (m) => messages.push(m) });
    expect(Array.from((await cache.get(a.key())).data)).toEqual([14, 16, 18]);
    expect(a.produced()).toBe(2);
  });

  it('the same bytes rewritten in place (ctime moved, mtime kept) are hashed once, not rebuilt', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cdir = path.join(dir, 'c');
    await (await SampleCache.open(cdir, quiet)).get(a.key());
    const before = await fs.stat(a.file, { bigint: true });
    await new Promise((r) => setTimeout(r, 20));
    await fs.writeFile(a.file, Uint8Array.from([1, 2, 3]));
    execFileSync('touch', ['-m', '-d', `@${(before.mtimeNs / 1000000000n).toString()}.${(before.mtimeNs % 1000000000n).toString().padStart(9, '0')}`, a.file]);
    const cache = await SampleCache.open(cdir, quiet);
    expect(Array.from((await cache.get(a.key())).data)).toEqual([2, 4, 6]);
    expect(a.produced()).toBe(1);
    const entry = (await cache.manifest()).entries['a.bin'];
    expect(entry.source.ctimeMs).toBe((await fs.stat(a.file)).ctimeMs);
  });
});

describe('entry shape', () => {
  it('a hand-edited shape with the same element count is caught by the entry checksum and rebuilt', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cdir = path.join(dir, 'c');
    await (await SampleCache.open(cdir, quiet)).get(a.key());
    const entries = path.join(cdir, 'entries');
    const [name] = await fs.readdir(entries);
    const entry = JSON.parse(await fs.readFile(path.join(entries, name), 'utf8'));
    await fs.writeFile(path.join(entries, name), JSON.stringify({ ...entry, shape: [1, 3] }));
    const messages: string[] = [];
    const cache = await SampleCache.open(cdir, { onMessage: (m) => messages.push(m) });
    expect((await cache.get(a.key())).shape).toEqual([3, 1]);
    expect(a.produced()).toBe(2);
    expect(messages.join()).toMatch(/a\.bin .* truncated or corrupted; rebuilding/);
    // getInto checks it too
    await fs.writeFile(path.join(entries, name), JSON.stringify({ ...JSON.parse(await fs.readFile(path.join(entries, name), 'utf8')), shape: [1, 3] }));
    const other = await SampleCache.open(cdir, quiet);
    expect(await other.getInto(a.key(), new Float32Array(3), 0)).toEqual([3, 1]);
    expect(a.produced()).toBe(3);
  });
});

/** Runs cache-perm-child.ts as an unprivileged user (when this process is root, which ignores permission bits). */
async function asUser(cacheDir: string, sources: string[], lockEntries = false): Promise<{ values?: number[][]; error?: { name: string; message: string; file?: string }; messages: string[]; counters?: { hits: number; builds: number } }> {
  const root = process.getuid?.() === 0;
  const child = path.join(import.meta.dirname, 'cache-perm-child.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, ...(lockEntries ? ['--lock-entries'] : []), cacheDir, ...sources], { encoding: 'utf8', ...(root ? { uid: 65534, gid: 65534 } : {}), cwd: process.cwd() });
  return JSON.parse(stdout);
}

/** Tree of file names under `d` with their sizes. */
async function tree(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(d, { withFileTypes: true, recursive: true })) out.push(path.relative(d, path.join(e.parentPath, e.name)));
  return out.sort();
}

describe('permissions', () => {
  beforeEach(async () => {
    await fs.chmod(dir, 0o755);
  });

  it('a fully warm read-only cache opens and serves without writing; a missing sample is built in memory with a message', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const b = await source('b.bin', [4, 5]);
    const cdir = path.join(dir, 'c');
    await (await SampleCache.open(cdir, quiet)).get(a.key());
    execFileSync('chmod', ['-R', 'a-w', cdir]);
    const files = await tree(cdir);
    const warm = await asUser(cdir, [a.file]);
    expect(warm.error).toBeUndefined();
    expect(warm.values).toEqual([[2, 4, 6]]);
    expect(warm.counters).toMatchObject({ hits: 1, builds: 0 });
    const cold = await asUser(cdir, [a.file, b.file]);
    expect(cold.values).toEqual([[2, 4, 6], [8, 10]]);
    expect(cold.messages.join('\n')).toMatch(/cache .*\/c is read-only .*b\.bin .* built in memory, not stored/);
    expect(await tree(cdir)).toEqual(files);
  });

  it('an unwritable entries/ folder is a DataError naming it, and leaves no orphaned data file', async () => {
    const a = await source('a.bin', [1, 2, 3]);
    const cdir = path.join(dir, 'c');
    await SampleCache.open(cdir, quiet);
    await fs.chmod(path.join(cdir, 'entries'), 0o555);
    await fs.chmod(cdir, 0o777);
    const r = await asUser(cdir, [a.file]);
    expect(r.error?.name).toBe('DataError');
    expect(r.error?.file).toBe(path.join(cdir, 'entries'));
    expect(r.error?.message).toMatch(/not writable \(EACCES\)/);
    expect((await tree(cdir)).filter((f) => /\.f(16|32)/.test(f))).toEqual([]);
    // made unwritable under a running process: the failed entry write is typed, and its data file removed
    const fresh = path.join(dir, 'fresh');
    await fs.mkdir(fresh);
    await fs.chmod(fresh, 0o777);
    const locked = await asUser(fresh, [a.file], true);
    expect(locked.error).toMatchObject({ name: 'DataError', file: path.join(fresh, 'entries') });
    expect((await tree(fresh)).filter((f) => /\.f(16|32)/.test(f))).toEqual([]);
  });
});
