/**
 * File helpers of the sample cache: hashes and checksums, atomic writes, leftover temp files, entry and version files,
 * and file stamps (what tells this process that a file it checked has not changed since).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { CacheEntry } from './cache-entry.js';

/** The file holding the format version. */
export const MANIFEST = 'manifest.json';
/** The folder of the entry files. */
export const ENTRIES = 'entries';

/** Bytes at each end of a cache entry covered by its cheap, every-read check. */
export const ENDS_BYTES = 4096;

/**
 * A stamp recorded less than this long after the file's last change is not trusted: file
 * timestamps tick coarsely (a few ms on Linux, up to 2 s on some filesystems), so a later
 * change within the same tick would leave the stamp equal (git's "racily clean" problem).
 */
export const RACY_MS = 2000;

let tempCounter = 0;

/** sha1 hex of bytes. */
export function sha1(bytes: Uint8Array | string): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/**
 * The starting CRC of an entry's checksums: the CRC-32 of its dtype and shape, so an entry whose
 * shape was changed (even keeping the element count) no longer matches its data.
 */
export function entrySeed(entry: { shape: readonly number[]; dtype: string }): number {
  return crc32(`${entry.dtype}[${entry.shape.join(',')}]`);
}

/** CRC-32 of bytes (continuing from `seed`, default 0) as 8 hex digits. */
export function checksum(bytes: Uint8Array, seed = 0): string {
  return crc32(bytes, seed).toString(16).padStart(8, '0');
}

/** CRC-32 (continuing from `seed`) of the first and last {@link ENDS_BYTES} bytes (the whole array when shorter than both), 8 hex digits. */
export function endsChecksum(bytes: Uint8Array, seed = 0): string {
  if (bytes.byteLength <= 2 * ENDS_BYTES) return checksum(bytes, seed);
  const head = crc32(bytes.subarray(0, ENDS_BYTES), seed);
  return crc32(bytes.subarray(bytes.byteLength - ENDS_BYTES), head).toString(16).padStart(8, '0');
}

/** A unique temp name next to `file`: `<file>.tmp-<pid>-<n>` (see {@link removeDeadTemps}). */
export function tempName(file: string): string {
  tempCounter += 1;
  return `${file}.tmp-${process.pid}-${tempCounter}`;
}

/** Writes bytes to `file` atomically: a unique temp file in the same directory, then rename. */
export async function writeAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = tempName(file);
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Removes `*.tmp-<pid>-<n>` files in `dir` whose process no longer runs (left by a crash). */
export async function removeDeadTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /\.tmp-(\d+)-\d+$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) await fs.rm(path.join(dir, name), { force: true });
  }
}

/** A file version as the filesystem sees it: replaced by rename → new inode; written in place → new ctime. */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** The stamp of a stat result. */
export function stampOf(st: Stats): FileStamp {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

/** Whether two stamps describe the same file version. */
export function sameStamp(a: FileStamp | undefined, b: FileStamp): boolean {
  return a !== undefined && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** Writes a data file atomically; returns the stamp of the renamed file (taken on our own descriptor). */
export async function writeDataFile(file: string, bytes: Uint8Array): Promise<FileStamp> {
  const tmp = tempName(file);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fs.rename(tmp, file);
    return stampOf(await fh.stat());
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  } finally {
    await fh.close();
  }
}

/** One entry file, or null when it is missing or not an entry. */
export async function readEntryFile(file: string): Promise<CacheEntry | null> {
  try {
    const e = JSON.parse(await fs.readFile(file, 'utf8')) as CacheEntry;
    return typeof e.id === 'string' && typeof e.file === 'string' && typeof e.checksum === 'string' && Array.isArray(e.shape) ? e : null;
  } catch {
    return null;
  }
}

/** Format version in manifest.json: null when there is none; 0 when it is unreadable (only ever replaced by rename, so something else wrote it). */
export async function readVersion(dir: string): Promise<number | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), 'utf8');
  } catch {
    return null;
  }
  try {
    const v = (JSON.parse(text) as { formatVersion?: unknown }).formatVersion;
    return typeof v === 'number' ? v : 0;
  } catch {
    return 0;
  }
}

/** Removes the entries and data files of an older format. */
export async function clearEntries(dir: string): Promise<void> {
  await fs.rm(path.join(dir, ENTRIES), { recursive: true, force: true });
  await fs.mkdir(path.join(dir, ENTRIES), { recursive: true });
  for (const name of await fs.readdir(dir)) if (/\.f(16|32)$/.test(name)) await fs.rm(path.join(dir, name), { force: true });
}
