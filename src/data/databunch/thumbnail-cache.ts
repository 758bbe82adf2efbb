/**
 * The on-disk cache of near-duplicate thumbnails: one file per thumbnail size in a cache folder
 * (a DataBunch's cache folder by default), `thumbnails-<size>.bin`, so that a second scan of the
 * same files costs a stat per file and the search.
 *
 * Layout: the 8 bytes `TMRTHUMB`, a little-endian u32 n, n bytes of JSON ({@link ThumbnailIndex}:
 * format version, thumbnail method, size and one entry per file with its identity and the CRC-32 of
 * its thumbnail), zero padding to a multiple of 4, then the float32 thumbnails in entry order.
 * An entry is used only when its file's size, mtime, ctime and inode are those recorded and its
 * CRC matches; anything else is decoded again. The file is written to a temp file and renamed
 * (writeAtomic), so a reader never sees half of it; two processes writing at once lose nothing but
 * the entries of the first rename (decoded again next time). Entries of files not asked for are
 * kept, so scanning a subset does not evict the rest.
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { RACY_MS, writeAtomic } from './cache-files.js';

/** Version of the file layout; another version is rebuilt. */
export const THUMBNAIL_CACHE_VERSION = 1;

const MAGIC = 'TMRTHUMB';

/** One cached thumbnail: the file it was decoded from, that file's identity then, and its CRC-32. */
export interface ThumbnailEntry {
  /** Absolute path. */
  file: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** CRC-32 of the thumbnail's float32 bytes, seeded with the CRC-32 of `file`, 8 hex digits. */
  crc: string;
}

/** The JSON part of the cache file. */
export interface ThumbnailIndex {
  formatVersion: number;
  /** What the thumbnails are (changes when their definition changes). */
  method: string;
  /** Thumbnail side, pixels. */
  size: number;
  entries: ThumbnailEntry[];
}

/** Path of the cache file of `size`-pixel thumbnails in `dir`. */
export function thumbnailCacheFile(dir: string, size: number): string {
  return path.join(dir, `thumbnails-${size}.bin`);
}

/** Whether `st` is the file version an entry recorded. */
export function sameIdentity(e: ThumbnailEntry, st: Stats): boolean {
  return e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs && e.ino === st.ino;
}

/** The CRC of a thumbnail of `file` (see {@link ThumbnailEntry.crc}). */
export function thumbnailCrc(file: string, thumb: Float32Array): string {
  return crc32(new Uint8Array(thumb.buffer, thumb.byteOffset, thumb.byteLength), crc32(file)).toString(16).padStart(8, '0');
}

/**
 * Reads the cache file: the entries whose CRC matches, with their thumbnails, by absolute path.
 * A missing file gives an empty map; a file of another version, method or size is ignored; a
 * damaged one (bad magic, JSON or length, CRC mismatch) is reported through `onMessage` and
 * its bad entries dropped (they are decoded again).
 */
export async function readThumbnailCache(file: string, method: string, size: number, onMessage: (m: string) => void): Promise<Map<string, { entry: ThumbnailEntry; thumb: Float32Array }>> {
  const out = new Map<string, { entry: ThumbnailEntry; thumb: Float32Array }>();
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return out;
  }
  const damaged = (why: string): Map<string, { entry: ThumbnailEntry; thumb: Float32Array }> => {
    onMessage(`thumbnail cache ${file}: ${why}; decoding the images again`);
    return out;
  };
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) return damaged('not a thumbnail cache (bad magic)');
  const n = bytes.readUInt32LE(8);
  if (12 + n > bytes.length) return damaged('truncated');
  let index: ThumbnailIndex;
  try {
    index = JSON.parse(bytes.toString('utf8', 12, 12 + n)) as ThumbnailIndex;
  } catch {
    return damaged('unreadable index');
  }
  if (index.formatVersion !== THUMBNAIL_CACHE_VERSION || index.method !== method || index.size !== size) return out;
  if (!Array.isArray(index.entries)) return damaged('unreadable index');
  const d = size * size;
  const start = Math.ceil((12 + n) / 4) * 4;
  if (bytes.length !== start + index.entries.length * d * 4) return damaged(`length ${bytes.length} B, expected ${start + index.entries.length * d * 4} B for ${index.entries.length} thumbnails`);
  let bad = 0;
  index.entries.forEach((entry, k) => {
    const thumb = new Float32Array(d);
    new Uint8Array(thumb.buffer).set(bytes.subarray(start + k * d * 4, start + (k + 1) * d * 4));
    if (typeof entry?.file !== 'string' || thumbnailCrc(entry.file, thumb) !== entry.crc) bad++;
    else out.set(entry.file, { entry, thumb });
  });
  if (bad > 0) damaged(`${bad} of ${index.entries.length} thumbnails fail their checksum`);
  return out;
}

/**
 * Writes the cache file atomically with `entries` (insertion order). Entries whose file changed
 * less than {@link RACY_MS} before `now` are left out: a change within the same timestamp tick
 * would not be seen.
 */
export async function writeThumbnailCache(file: string, method: string, size: number, entries: ReadonlyMap<string, { entry: ThumbnailEntry; thumb: Float32Array }>, now = Date.now()): Promise<void> {
  const kept = [...entries.values()].filter(({ entry }) => now - Math.max(entry.mtimeMs, entry.ctimeMs) >= RACY_MS);
  const index: ThumbnailIndex = { formatVersion: THUMBNAIL_CACHE_VERSION, method, size, entries: kept.map((k) => k.entry) };
  const json = Buffer.from(JSON.stringify(index), 'utf8');
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const d = size * size;
  const out = Buffer.alloc(start + kept.length * d * 4);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  kept.forEach(({ thumb }, k) => out.set(new Uint8Array(thumb.buffer, thumb.byteOffset, d * 4), start + k * d * 4));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, out);
}
