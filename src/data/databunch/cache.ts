/**
 * A versioned, atomic on-disk cache of preprocessed samples: one raw little-endian float32
 * (or float16) data file per sample, described by one small JSON entry file per sample in
 * `entries/`, plus `manifest.json` holding the format version. Every file is written to a temp
 * file and renamed into place, data before entry, so readers (in this or another process) never
 * see half-written data, and concurrent writers never lose each other's entries (there is no
 * shared file to read, merge and rewrite).
 * An entry is valid only if its source file's identity (size, mtime, inode and ctime, else sha1),
 * the pipeline hash, the file length and the checksums (which cover the shape and dtype) all
 * match; anything else is rebuilt. A cache folder that cannot be written but holds a current
 * format opens read-only: it serves its valid entries and builds the others in memory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, FormatError, OptionError, rejectUnknownOptions } from '../../backend/errors.js';
import { checksum, clearEntries, endsChecksum, ENTRIES, entrySeed, MANIFEST, RACY_MS, readEntryFile, readVersion, removeDeadTemps, sameStamp, sha1, stampOf, tempName, writeAtomic, writeDataFile, type FileStamp } from './cache-files.js';
import type { CacheEntry } from './cache-entry.js';
import { decodeHalf, encodeHalf } from './float16.js';

export { checksum, sha1, writeAtomic };

/** Current cache format version; an older one is rebuilt, a newer one refused. */
export const CACHE_FORMAT_VERSION = 3;

/** The cache as a whole ({@link SampleCache.manifest}). */
export interface CacheManifest {
  formatVersion: number;
  entries: Record<string, CacheEntry>;
}

/** Options of {@link SampleCache.open}. */
export interface CacheOptions {
  /** Storage type of the cached samples; default 'float32'. */
  dtype?: 'float32' | 'float16';
  /**
   * When a read checks the CRC-32 of the whole entry; default 'once'. Every read checks the
   * length and the CRC-32 of the first and last 4 KiB. 'once': the whole file is checked the first
   * time this process reads it, and again whenever its inode, size, mtime or ctime changed since
   * (a stamp taken within 2 s of the file's last change is not trusted, as timestamps tick
   * coarsely); entries this process wrote count as checked. 'always': on every read.
   */
  verify?: 'once' | 'always';
  /** Receives messages (rebuilds, old formats); default console.warn. */
  onMessage?: (message: string) => void;
}

/** Defaults of {@link CacheOptions}. */
export const DEFAULT_CACHE: Required<CacheOptions> = {
  dtype: 'float32',
  verify: 'once',
  onMessage: (m) => console.warn(m),
};

/** A sample as produced by the pipeline. */
export interface CachedSample {
  data: Float32Array;
  shape: number[];
}

/** What {@link SampleCache.get} needs to check or rebuild one sample. */
export interface CacheKey {
  /** Sample id (entry key). */
  id: string;
  /** Source file of the sample. */
  source: string;
  /** Hash of the cached pipeline prefix. */
  pipelineHash: string;
  /** Builds the sample from the source when the entry is missing or stale. */
  produce: () => Promise<CachedSample>;
}


/** The on-disk sample cache. Create with {@link SampleCache.open}. */
export class SampleCache {
  readonly dir: string;
  private readonly opts: Required<CacheOptions>;
  /** Entries this process has read or written, by id. */
  private readonly entries = new Map<string, CacheEntry>();
  /** Data files whose whole checksum this process checked (or wrote), with the file version then. */
  private readonly checked = new Map<string, { stamp: FileStamp; checksum: string }>();
  /** Counters since open: entries read valid, built (new or stale), and whole-file checksums computed on reads. */
  readonly counters = { hits: 0, builds: 0, fullChecks: 0 };
  /** Why the cache folder cannot be written (e.g. 'EACCES', 'EROFS'), or undefined when it can: then nothing is written. */
  readonly readOnly: string | undefined;

  /** Number of distinct samples this process has read from or written to the cache. */
  get knownEntries(): number {
    return this.entries.size;
  }

  private constructor(dir: string, opts: Required<CacheOptions>, readOnly?: string) {
    this.dir = dir;
    this.opts = opts;
    this.readOnly = readOnly;
  }

  /**
   * Opens (or creates) a cache directory; removes temp files left by dead processes. A directory
   * that cannot be written but holds a cache of the current format opens read-only (with a message).
   * @throws DataError naming the directory when it cannot be created or written (and is no current cache), or its
   *   `entries/` folder when only that one cannot be written
   * @throws FormatError when the cache was written by a newer format version
   * @example
   * const cache = await SampleCache.open('/tmp/cache', { dtype: 'float16' });
   */
  static async open(dir: string, options: CacheOptions = {}): Promise<SampleCache> {
    rejectUnknownOptions('CacheOptions', options, DEFAULT_CACHE);
    const opts = { ...DEFAULT_CACHE, ...options };
    if (opts.verify !== 'once' && opts.verify !== 'always') throw new OptionError('CacheOptions.verify', `expected 'once' or 'always', got ${JSON.stringify(opts.verify)}`);
    const code = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);
    try {
      await fs.mkdir(path.join(dir, ENTRIES), { recursive: true });
      await probeWrite(dir);
    } catch (err) {
      const version = await readVersion(dir);
      if (version === CACHE_FORMAT_VERSION && (await fs.stat(path.join(dir, ENTRIES)).catch(() => null))?.isDirectory()) {
        opts.onMessage(`cache ${dir} is read-only (${code(err)}): serving its entries; samples missing or stale in it are built in memory, not stored`);
        return new SampleCache(dir, opts, code(err));
      }
      throw new DataError(`cache directory is not writable (${code(err)})`, { file: dir });
    }
    try {
      await probeWrite(path.join(dir, ENTRIES));
    } catch (err) {
      throw new DataError(`cache entries folder is not writable (${code(err)}) while the cache directory is; fix its permissions`, { file: path.join(dir, ENTRIES) });
    }
    await removeDeadTemps(dir);
    await removeDeadTemps(path.join(dir, ENTRIES));
    const version = await readVersion(dir);
    if (version !== null && version > CACHE_FORMAT_VERSION) {
      throw new FormatError(`cache format version ${version} is newer than this library's ${CACHE_FORMAT_VERSION}; use another cache directory`, path.join(dir, MANIFEST));
    }
    if (version !== null && version < CACHE_FORMAT_VERSION) {
      opts.onMessage(`cache ${dir}: written by format version ${version} (current ${CACHE_FORMAT_VERSION}); rebuilding every entry`);
      await clearEntries(dir);
    }
    if (version !== CACHE_FORMAT_VERSION) await writeAtomic(path.join(dir, MANIFEST), JSON.stringify({ formatVersion: CACHE_FORMAT_VERSION }));
    return new SampleCache(dir, opts);
  }

  /** Every entry on disk now (written by any process). */
  async manifest(): Promise<CacheManifest> {
    const entries: Record<string, CacheEntry> = {};
    for (const name of await fs.readdir(path.join(this.dir, ENTRIES))) {
      if (!name.endsWith('.json')) continue;
      const e = await readEntryFile(path.join(this.dir, ENTRIES, name));
      if (e) entries[e.id] = e;
    }
    return { formatVersion: CACHE_FORMAT_VERSION, entries };
  }

  /**
   * Returns the cached sample, building (and storing) it first when the entry is missing,
   * stale (source or pipeline changed) or damaged (wrong length or checksum).
   */
  async get(key: CacheKey): Promise<CachedSample> {
    const found = await this.findValid(key, (e) => this.readSample(e));
    return found ?? this.build(key);
  }

  /**
   * Like {@link SampleCache.get}, but a valid float32 entry is read straight into `out` at
   * `offset` (no intermediate buffer: the streaming fast path). Returns the sample's shape; a
   * sample that does not fit in `out` from `offset` is not written (the caller checks the shape).
   */
  async getInto(key: CacheKey, out: Float32Array, offset: number): Promise<number[]> {
    const shape = await this.findValid(key, async (e) => {
      if (e.dtype === 'float32' && e.byteLength === 4 * e.shape.reduce((x, y) => x * y, 1) && offset + e.byteLength / 4 <= out.length) {
        return (await this.readChecked(e, new Uint8Array(out.buffer, out.byteOffset + offset * 4, e.byteLength))) ? [...e.shape] : null;
      }
      const s = await this.readSample(e);
      if (s && offset + s.data.length <= out.length) out.set(s.data, offset);
      return s?.shape ?? null;
    });
    if (shape) return shape;
    const sample = await this.build(key);
    if (offset + sample.data.length <= out.length) out.set(sample.data, offset);
    return sample.shape;
  }

  /** The valid entry of `key` read by `read` (null when the read fails), trying the entry on disk when ours is stale or damaged. */
  private async findValid<T>(key: CacheKey, read: (e: CacheEntry) => Promise<T | null>): Promise<T | null> {
    let entry = this.entries.get(key.id);
    let fromDisk = entry === undefined;
    if (!entry) entry = await this.loadEntry(key.id);
    let damaged: CacheEntry | undefined;
    for (;;) {
      if (entry && entry.pipelineHash === key.pipelineHash && (await this.sourceMatches(key, entry))) {
        const r = await read(entry);
        if (r !== null) {
          this.counters.hits += 1;
          return r;
        }
        damaged = entry;
      }
      if (fromDisk) break;
      // another process may have rebuilt the entry since this one loaded it
      const disk = await this.loadEntry(key.id);
      fromDisk = true;
      if (!disk || JSON.stringify(disk) === JSON.stringify(entry)) break;
      entry = disk;
    }
    if (damaged) this.opts.onMessage(`cache ${this.dir}: entry ${key.id} (${damaged.file}) is truncated or corrupted; rebuilding`);
    return null;
  }

  private async sourceMatches(key: CacheKey, entry: CacheEntry): Promise<boolean> {
    let st;
    try {
      st = await fs.stat(key.source);
    } catch {
      throw new DataError('source file is missing', { file: key.source });
    }
    if (st.size !== entry.source.size) return false;
    if (st.mtimeMs === entry.source.mtimeMs && st.ino === entry.source.ino && st.ctimeMs === entry.source.ctimeMs) return true;
    // touched, replaced or rewritten, maybe with the same bytes (or with the mtime put back): compare contents
    if (sha1(await fs.readFile(key.source)) !== entry.source.sha1) return false;
    Object.assign(entry.source, { mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs });
    // remembering the new identity only saves the next hash: a failed write costs nothing else
    if (!this.readOnly) await writeAtomic(this.entryPath(entry.id), JSON.stringify(entry)).catch(() => {});
    return true;
  }

  /** Reads a whole entry into a new array (decoding float16); null if it is damaged. */
  private async readSample(entry: CacheEntry): Promise<CachedSample | null> {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.byteLength !== n * (entry.dtype === 'float16' ? 2 : 4)) return null;
    const bytes = new Uint8Array(entry.byteLength);
    if (!(await this.readChecked(entry, bytes))) return null;
    const data = entry.dtype === 'float16' ? decodeHalf(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer);
    return { data, shape: [...entry.shape] };
  }

  /** Reads the data file of `entry` into `view` and checks it (see {@link CacheOptions.verify}); false if it is damaged. */
  private async readChecked(entry: CacheEntry, view: Uint8Array): Promise<boolean> {
    let fh;
    try {
      fh = await fs.open(path.join(this.dir, entry.file), 'r');
    } catch {
      return false;
    }
    try {
      const st = await fh.stat();
      if (st.size !== entry.byteLength || view.byteLength !== entry.byteLength) return false;
      let got = 0;
      while (got < view.byteLength) {
        const { bytesRead } = await fh.read(view, got, view.byteLength - got, got);
        if (bytesRead === 0) return false;
        got += bytesRead;
      }
      const seed = entrySeed(entry);
      if (endsChecksum(view, seed) !== entry.ends) return false;
      const stamp = stampOf(st);
      const seen = this.checked.get(entry.file);
      if (this.opts.verify === 'always' || seen?.checksum !== entry.checksum || !sameStamp(seen.stamp, stamp)) {
        this.counters.fullChecks += 1;
        if (checksum(view, seed) !== entry.checksum) return false;
        if (Date.now() - st.ctimeMs >= RACY_MS) this.checked.set(entry.file, { stamp, checksum: entry.checksum });
        else this.checked.delete(entry.file);
      }
      return true;
    } catch {
      return false;
    } finally {
      await fh.close();
    }
  }

  private async build(key: CacheKey): Promise<CachedSample> {
    const sourceBytes = await fs.readFile(key.source).catch(() => {
      throw new DataError('source file is missing', { file: key.source });
    });
    const st = await fs.stat(key.source);
    const sample = await key.produce();
    if (this.readOnly) {
      // once: a cold read-only cache would otherwise repeat this for every sample of every epoch
      if (this.counters.builds === 0) this.opts.onMessage(`cache ${this.dir} is read-only (${this.readOnly}): ${key.id} is missing or stale in it; built in memory, not stored (so are any others; counters.builds counts them)`);
      this.counters.builds += 1;
      return sample;
    }
    const stored = this.opts.dtype === 'float16' ? encodeHalf(sample.data) : sample.data;
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
    const file = `${sha1(key.id).slice(0, 20)}-${key.pipelineHash.slice(0, 12)}.${this.opts.dtype === 'float16' ? 'f16' : 'f32'}`;
    const entry: CacheEntry = {
      id: key.id,
      source: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs, sha1: sha1(sourceBytes) },
      pipelineHash: key.pipelineHash,
      shape: [...sample.shape],
      dtype: this.opts.dtype,
      file,
      byteLength: bytes.byteLength,
      checksum: '',
      ends: '',
    };
    const seed = entrySeed(entry);
    entry.checksum = checksum(bytes, seed);
    entry.ends = endsChecksum(bytes, seed);
    // data first, then the entry that points at it: a reader never finds an entry without its data
    const dataFile = path.join(this.dir, file);
    const stamp = await writeDataFile(dataFile, bytes).catch((err: NodeJS.ErrnoException) => {
      throw new DataError(`cannot write a cache data file (${err.code ?? String(err)})`, { file: dataFile });
    });
    const old = this.entries.get(key.id) ?? (await this.loadEntry(key.id));
    try {
      await writeAtomic(this.entryPath(key.id), JSON.stringify(entry));
    } catch (err) {
      // no orphan: drop the data file unless an entry on disk (another process's) points at it
      if ((await readEntryFile(this.entryPath(key.id)))?.file !== file) await fs.rm(dataFile, { force: true });
      throw new DataError(`cache entries folder is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: path.join(this.dir, ENTRIES) });
    }
    this.entries.set(key.id, entry);
    // this process wrote these bytes: no need to check them again while the file is unchanged
    this.checked.set(file, { stamp, checksum: entry.checksum });
    if (old && old.file !== file) await fs.rm(path.join(this.dir, old.file), { force: true });
    this.counters.builds += 1;
    if (this.opts.dtype === 'float16') return { data: decodeHalf(stored as Uint16Array), shape: [...sample.shape] };
    return sample;
  }

  private entryPath(id: string): string {
    return path.join(this.dir, ENTRIES, `${sha1(id)}.json`);
  }

  /** The entry of `id` on disk now (also kept as this process's view), or undefined. */
  private async loadEntry(id: string): Promise<CacheEntry | undefined> {
    const e = await readEntryFile(this.entryPath(id));
    if (!e || e.id !== id) return undefined;
    this.entries.set(id, e);
    return e;
  }
}

/** Creates and removes a temp file in `dir` (throws when it cannot be written). */
async function probeWrite(dir: string): Promise<void> {
  const probe = tempName(path.join(dir, '.probe'));
  await fs.writeFile(probe, '');
  await fs.rm(probe);
}
