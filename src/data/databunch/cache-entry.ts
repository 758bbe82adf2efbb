/**
 * The on-disk description of one cached sample (`entries/<sha1 of id>.json`), shared by the cache
 * (cache.ts) and its file helpers (cache-files.ts).
 */

/** Identity of a source file. */
export interface SourceIdentity {
  size: number;
  mtimeMs: number;
  /** Inode number: a file replaced by rename (`cp B tmp && touch -r A tmp && mv tmp A`) has another one. */
  ino: number;
  /** Status-change time: moves when the file is rewritten in place, even with its mtime put back. */
  ctimeMs: number;
  /** sha1 of the file bytes, hex. */
  sha1: string;
}

/** One cache entry (the file `entries/<sha1 of id>.json`). */
export interface CacheEntry {
  /** Sample id. */
  id: string;
  source: SourceIdentity;
  /** Hash of the cached part of the pipeline (and loader, and mask files). */
  pipelineHash: string;
  /** Sample shape, e.g. [nx, ny, nz, channels]. */
  shape: number[];
  dtype: 'float32' | 'float16';
  /** Data file name inside the cache directory. */
  file: string;
  byteLength: number;
  /** CRC-32 of the dtype and shape, then the data file bytes, 8 hex digits. */
  checksum: string;
  /** CRC-32 of the dtype and shape, then the first and last 4 KiB of the data file (checked on every read), 8 hex digits. */
  ends: string;
}
